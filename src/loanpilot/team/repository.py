"""SQL of the team area (营销团队): the staff list, branches and org units with their headcounts."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from loanpilot.access.models import StaffAccount
from loanpilot.team.models import Branch, OrgUnit, Role, Staff, StaffStatus


@dataclass(frozen=True)
class StaffFilters:
    """Which staff to list. ``branch_ids`` (when not None) is the caller's scope: only staff of
    those branches; ``branch_id`` is the one branch asked for; ``q`` matches name or employee no."""

    role: Role | None = None
    branch_id: int | None = None
    status: StaffStatus | None = None
    q: str | None = None
    branch_ids: Collection[int] | None = None


_HAS_ACCOUNT = exists().where(StaffAccount.staff_id == Staff.id).label("has_account")

#: Sort keys of the staff list and their columns.
STAFF_SORTS: Final[Mapping[str, ColumnElement[Any]]] = {
    "employee_no": Staff.employee_no.expression,
    "name": Staff.name.expression,
    "role": Staff.role.expression,
    "branch": Branch.code.expression,
    "org_unit": OrgUnit.name.expression,
    "status": Staff.status.expression,
    "hired_on": Staff.hired_on.expression,
}
STAFF_TIE_BREAKER: Final[ColumnElement[Any]] = Staff.id.expression


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def staff_query(filters: StaffFilters) -> Select[*tuple[Any, ...]]:
    """Staff rows with their branch, org unit and whether they have a login account."""
    query: Select[*tuple[Any, ...]] = (
        select(
            Staff.id,
            Staff.employee_no,
            Staff.name,
            Staff.role,
            Staff.branch_id,
            Branch.code.label("branch_code"),
            Branch.name.label("branch_name"),
            Staff.org_unit_id,
            OrgUnit.name.label("org_unit_name"),
            Staff.status,
            Staff.hired_on,
            _HAS_ACCOUNT,
        )
        .join(Branch, Branch.id == Staff.branch_id)
        .outerjoin(OrgUnit, OrgUnit.id == Staff.org_unit_id)
    )
    if filters.branch_ids is not None:
        query = query.where(Staff.branch_id.in_(sorted(filters.branch_ids)))
    if filters.role is not None:
        query = query.where(Staff.role == filters.role)
    if filters.branch_id is not None:
        query = query.where(Staff.branch_id == filters.branch_id)
    if filters.status is not None:
        query = query.where(Staff.status == filters.status)
    if filters.q:
        pattern = f"%{_like_escape(filters.q.strip())}%"
        query = query.where(
            or_(
                Staff.name.like(pattern, escape="\\"),
                Staff.employee_no.like(pattern, escape="\\"),
            )
        )
    return query


def branches(session: Session, branch_ids: Collection[int] | None = None) -> list[Branch]:
    """Branches ordered by code (all, or only ``branch_ids``)."""
    query = select(Branch).order_by(Branch.code)
    if branch_ids is not None:
        query = query.where(Branch.id.in_(sorted(branch_ids)))
    return list(session.scalars(query))


@dataclass(frozen=True)
class OrgUnitRow:
    id: int
    code: str
    name: str
    kind: str
    branch_id: int
    parent_id: int | None
    head_staff_id: int | None
    head_name: str | None
    headcount: int


def org_units(session: Session, branch_ids: Collection[int] | None = None) -> list[OrgUnitRow]:
    """Org units with their head's name and active headcount, ordered by code."""
    head = aliased(Staff)
    members = (
        select(Staff.org_unit_id, func.count(Staff.id).label("n"))
        .where(Staff.status == StaffStatus.ACTIVE, Staff.org_unit_id.is_not(None))
        .group_by(Staff.org_unit_id)
        .subquery()
    )
    query = (
        select(
            OrgUnit.id,
            OrgUnit.code,
            OrgUnit.name,
            OrgUnit.kind,
            OrgUnit.branch_id,
            OrgUnit.parent_id,
            OrgUnit.head_staff_id,
            head.name,
            func.coalesce(members.c.n, 0),
        )
        .outerjoin(head, head.id == OrgUnit.head_staff_id)
        .outerjoin(members, members.c.org_unit_id == OrgUnit.id)
        .order_by(OrgUnit.code)
    )
    if branch_ids is not None:
        query = query.where(OrgUnit.branch_id.in_(sorted(branch_ids)))
    return [
        OrgUnitRow(
            id=row[0],
            code=row[1],
            name=row[2],
            kind=str(row[3]),
            branch_id=row[4],
            parent_id=row[5],
            head_staff_id=row[6],
            head_name=row[7],
            headcount=int(row[8] or 0),
        )
        for row in session.execute(query)
    ]


def branch_headcounts(
    session: Session, branch_ids: Collection[int] | None = None
) -> dict[int, int]:
    """Active staff per branch."""
    query = (
        select(Staff.branch_id, func.count(Staff.id))
        .where(Staff.status == StaffStatus.ACTIVE)
        .group_by(Staff.branch_id)
    )
    if branch_ids is not None:
        query = query.where(Staff.branch_id.in_(sorted(branch_ids)))
    return {branch_id: int(n) for branch_id, n in session.execute(query)}


def staff_names(session: Session, staff_ids: Sequence[int]) -> dict[int, str]:
    """Names of the given staff members (for labelling audit rows and org-unit heads)."""
    if not staff_ids:
        return {}
    query = select(Staff.id, Staff.name).where(Staff.id.in_(sorted(set(staff_ids))))
    return {int(staff_id): str(name) for staff_id, name in session.execute(query)}
