"""The SQL of the stage SLAs (targets, the applications' stage instants) and of the service-quality
reviews (and the staff and branch lookups they need); the rest of the area's SQL is in
``repository``."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.lending.models import Application
from loanpilot.service.models import QualityReview, ServiceSla
from loanpilot.service.repository import Scope, day_bounds, scoped
from loanpilot.team.models import Branch, Staff

# --- SLAs --------------------------------------------------------------------------------------------


def slas(session: Session) -> list[ServiceSla]:
    return list(
        session.scalars(
            select(ServiceSla).order_by(
                ServiceSla.stage, ServiceSla.product_type, ServiceSla.valid_from.desc()
            )
        )
    )


def sla_exists(session: Session, stage: str, product_type: str | None, valid_from: date) -> bool:
    stmt = select(ServiceSla.id).where(
        ServiceSla.stage == stage, ServiceSla.valid_from == valid_from
    )
    stmt = stmt.where(
        ServiceSla.product_type.is_(None)
        if product_type is None
        else ServiceSla.product_type == product_type
    )
    return session.scalar(stmt) is not None


@dataclass(frozen=True)
class StageRow:
    application_id: int
    application_no: str
    product_id: int
    branch_id: int | None
    manager_id: int | None
    submitted_at: datetime | None
    decided_at: datetime | None
    disbursed_at: datetime | None


def stage_rows(session: Session, start: date, end: date, scope: Scope) -> list[StageRow]:
    """Applications decided or disbursed in [start, end), with their stage instants."""
    lo, hi = day_bounds(start, end)
    stmt = select(
        Application.id, Application.application_no, Application.product_id,
        Application.branch_id, Application.manager_id, Application.submitted_at,
        Application.decided_at, Application.disbursed_at,
    ).where(
        Application.submitted_at.is_not(None),
        ((Application.decided_at >= lo) & (Application.decided_at < hi))
        | ((Application.disbursed_at >= lo) & (Application.disbursed_at < hi)),
    ).order_by(Application.id)  # fmt: skip
    stmt = scoped(stmt, scope, Application.branch_id, Application.manager_id)
    return [StageRow(*row) for row in session.execute(stmt)]


# --- quality reviews ---------------------------------------------------------------------------------


def reviews(
    session: Session,
    scope: Scope,
    *,
    start: date | None = None,
    end: date | None = None,
    staff_id: int | None = None,
    branch_id: int | None = None,
    limit: int | None = 500,
) -> list[QualityReview]:
    stmt = select(QualityReview).order_by(QualityReview.reviewed_on.desc(), QualityReview.id.desc())
    if start is not None:
        stmt = stmt.where(QualityReview.reviewed_on >= start)
    if end is not None:
        stmt = stmt.where(QualityReview.reviewed_on < end)
    if staff_id is not None:
        stmt = stmt.where(QualityReview.staff_id == staff_id)
    if branch_id is not None:
        stmt = stmt.where(QualityReview.branch_id == branch_id)
    stmt = scoped(stmt, scope, QualityReview.branch_id, QualityReview.staff_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def review_scores(session: Session, start: date, end: date) -> list[tuple[int, int, Decimal]]:
    """(staff id, branch id, score) of the reviews made in [start, end)."""
    rows = session.execute(
        select(QualityReview.staff_id, QualityReview.branch_id, QualityReview.score).where(
            QualityReview.reviewed_on >= start, QualityReview.reviewed_on < end
        )
    )
    return [(int(s), int(b), Decimal(v)) for s, b, v in rows]


def branch_subtree(session: Session, root: int) -> frozenset[int]:
    """The branch ``root`` and every branch below it."""
    children: dict[int | None, list[int]] = {}
    for branch_id, parent_id in session.execute(select(Branch.id, Branch.parent_id)):
        children.setdefault(parent_id, []).append(int(branch_id))
    found, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return frozenset(found)


def staff_in(session: Session, ids: Sequence[int]) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.id.in_(list(ids))).order_by(Staff.name)))


def branch_staff(session: Session, branch_ids: Collection[int] | None) -> list[Staff]:
    stmt = select(Staff).order_by(Staff.branch_id, Staff.name)
    if branch_ids is not None:
        stmt = stmt.where(Staff.branch_id.in_(sorted(branch_ids)))
    return list(session.scalars(stmt))
