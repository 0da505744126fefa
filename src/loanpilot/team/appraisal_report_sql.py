"""SQL behind the team chapter of the work plan (read-only, portable): headcount by branch and
role, training hours in a period, certificates expiring in a window."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from loanpilot.kit.clock import SHANGHAI
from loanpilot.team.models import Branch, Certification, Staff, StaffStatus, TrainingRecord


def headcount(session: Session, on: date | None = None) -> list[tuple[str, str, str, int]]:
    """(branch code, branch name, role, staff) for every branch and role with staff: those active
    today, or, ``on`` a past day, those on staff that day — hired on or before it, and either
    active now or whose record last changed after it (staff keep no status history, so a
    leaver's or a leave-taker's last change is taken as the day they stopped working)."""
    query = select(Branch.code, Branch.name, Staff.role, func.count(Staff.id)).join(
        Branch, Branch.id == Staff.branch_id
    )
    if on is None:
        query = query.where(Staff.status == StaffStatus.ACTIVE)
    else:
        next_day = datetime.combine(on + timedelta(days=1), time.min, tzinfo=SHANGHAI)
        query = query.where(
            Staff.hired_on <= on,
            or_(Staff.status == StaffStatus.ACTIVE, Staff.updated_at >= next_day.astimezone(UTC)),
        )
    query = query.group_by(Branch.code, Branch.name, Staff.role).order_by(Branch.code)
    return [
        (code, name, str(getattr(role, "value", role)), int(n))
        for code, name, role, n in session.execute(query)
    ]


def training(session: Session, start: date, end: date) -> tuple[Decimal, int, int]:
    """(hours attended, attendances, people trained) of sessions in [start, end)."""
    query = select(
        func.coalesce(func.sum(TrainingRecord.hours_attended), 0),
        func.count(TrainingRecord.id),
        func.count(func.distinct(TrainingRecord.staff_id)),
    ).where(TrainingRecord.session_date >= start, TrainingRecord.session_date < end)
    hours, n, people = session.execute(query).one()
    return Decimal(str(hours)), int(n), int(people)


def certificates_expiring(session: Session, first: date, last: date) -> int:
    """Certificates of active staff expiring on a day in [first, last]."""
    query = (
        select(func.count(Certification.id))
        .join(Staff, Staff.id == Certification.staff_id)
        .where(
            Staff.status == StaffStatus.ACTIVE,
            Certification.expires_on >= first,
            Certification.expires_on <= last,
        )
    )
    return int(session.execute(query).scalar_one())
