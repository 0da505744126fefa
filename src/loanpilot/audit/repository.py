"""SQL of the audit log search: the filtered query, its sort columns and the export's rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Row, Select, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from loanpilot.access.models import StaffAccount
from loanpilot.audit.models import AuditLog
from loanpilot.team.models import Staff


@dataclass(frozen=True)
class AuditFilters:
    """What to look for; instants are UTC (``start`` inclusive, ``end`` exclusive)."""

    actor: str | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    outcome: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    client: str | None = None
    max_id: int | None = None  # only rows up to this id (a stable export)


#: Sort keys of the audit log and their columns; ties newest first.
AUDIT_SORTS: Final[Mapping[str, ColumnElement[Any]]] = {
    "at": AuditLog.at.expression,
    "action": AuditLog.action.expression,
    "outcome": AuditLog.outcome.expression,
}
AUDIT_TIE_BREAKER: Final[ColumnElement[Any]] = AuditLog.id.desc()


def _prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _actor_condition(actor: str) -> ColumnElement[bool]:
    """A staff id (digits), or a user name: its ``user:`` label or the staff behind the account."""
    if actor.isdigit() and len(actor) <= 18:  # a staff id (longer digits: a label to match)
        return AuditLog.actor_staff_id == int(actor)
    name = actor.removeprefix("user:")
    account_staff = select(StaffAccount.staff_id).where(StaffAccount.username == name)
    return or_(
        AuditLog.actor_label == actor,
        AuditLog.actor_label == f"user:{name}",
        AuditLog.actor_staff_id.in_(account_staff.scalar_subquery()),
    )


def audit_query(filters: AuditFilters) -> Select[*tuple[Any, ...]]:
    """Audit rows matching ``filters``, with the acting staff member's name."""
    query: Select[*tuple[Any, ...]] = select(
        AuditLog.id,
        AuditLog.at,
        AuditLog.actor_staff_id,
        Staff.name.label("actor_name"),
        AuditLog.actor_label,
        AuditLog.action,
        AuditLog.entity,
        AuditLog.entity_id,
        AuditLog.outcome,
        AuditLog.client_address,
        AuditLog.detail,
    ).outerjoin(Staff, Staff.id == AuditLog.actor_staff_id)
    if filters.actor:
        query = query.where(_actor_condition(filters.actor))
    if filters.action:
        query = query.where(AuditLog.action.like(_prefix(filters.action), escape="\\"))
    if filters.entity:
        query = query.where(AuditLog.entity == filters.entity)
    if filters.entity_id:
        query = query.where(AuditLog.entity_id == filters.entity_id)
    if filters.outcome:
        query = query.where(AuditLog.outcome == filters.outcome)
    if filters.start is not None:
        query = query.where(AuditLog.at >= filters.start)
    if filters.end is not None:
        query = query.where(AuditLog.at < filters.end)
    if filters.client:
        query = query.where(AuditLog.client_address == filters.client)
    if filters.max_id is not None:
        query = query.where(AuditLog.id <= filters.max_id)
    return query


def count_and_last_id(session: Session, filters: AuditFilters) -> tuple[int, int | None]:
    """How many rows match, and the highest matching id (None when none match)."""
    sub = audit_query(filters).subquery()
    total, last = session.execute(select(func.count(), func.max(sub.c.id))).one()
    return int(total or 0), (int(last) if last is not None else None)


def newest_rows(
    session: Session, filters: AuditFilters, limit: int, batch: int = 2_000
) -> Iterator[Row[Any]]:
    """Up to ``limit`` matching rows, newest first, fetched ``batch`` at a time."""
    query = (
        audit_query(filters)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
        .execution_options(yield_per=batch)
    )
    yield from session.execute(query)
