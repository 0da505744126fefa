"""SQL behind the team chapter of the work plan (read-only, portable): headcount by branch and
role, training hours in a period, certificates expiring in a window."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanpilot.team.models import Branch, Certification, Staff, StaffStatus, TrainingRecord


def headcount(session: Session) -> list[tuple[str, str, str, int]]:
    """(branch code, branch name, role, active staff) for every branch and role with staff."""
    query = (
        select(Branch.code, Branch.name, Staff.role, func.count(Staff.id))
        .join(Branch, Branch.id == Staff.branch_id)
        .where(Staff.status == StaffStatus.ACTIVE)
        .group_by(Branch.code, Branch.name, Staff.role)
        .order_by(Branch.code)
    )
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
