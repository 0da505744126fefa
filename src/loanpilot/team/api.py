"""REST API of team: the staff list and the org chart (branch heads see their branch only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import ErrorRead, SessionDep
from loanpilot.db.paging import fetch_page, page_request
from loanpilot.team import service
from loanpilot.team.schemas import (
    BranchNodeRead,
    OrgUnitRead,
    StaffPageRead,
    StaffQuery,
    StaffRead,
)
from loanpilot.team.service import BranchNode, OrgUnitNode, StaffFilters
from loanpilot.web.auth import require

router = APIRouter(
    prefix="/api/v1",
    tags=["team"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)


def staff_filters(query: StaffQuery) -> StaffFilters:
    return StaffFilters(role=query.role, branch_id=query.branch, status=query.status, q=query.q)


@router.get("/staff", response_model=StaffPageRead)
def list_staff(
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.STAFF_READ)],
    query: Annotated[StaffQuery, Query()],
) -> StaffPageRead:
    """Staff, paged and sorted (``sort``: employee_no, name, role, branch, org_unit, status,
    hired_on; ``-key`` descending), filtered by role, branch id, status and name/employee no."""
    request = page_request(
        query.page, query.size, query.sort, service.STAFF_SORT_KEYS, service.STAFF_DEFAULT_SORT
    )
    page = fetch_page(
        session,
        service.staff_query(principal, staff_filters(query)),
        request,
        service.STAFF_SORTS,
        service.STAFF_TIE_BREAKER,
    )
    return StaffPageRead(
        total=page.total,
        page=page.number,
        pages=page.pages,
        size=page.size,
        sort=("-" if page.desc else "") + page.sort,
        items=[StaffRead.model_validate(row._mapping) for row in page.rows],
    )


def _unit_read(node: OrgUnitNode) -> OrgUnitRead:
    unit = node.unit
    return OrgUnitRead(
        id=unit.id,
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        head_staff_id=unit.head_staff_id,
        head_name=unit.head_name,
        headcount=unit.headcount,
        children=[_unit_read(child) for child in node.children],
    )


def branch_read(node: BranchNode) -> BranchNodeRead:
    branch = node.branch
    return BranchNodeRead(
        id=branch.id,
        code=branch.code,
        name=branch.name,
        level=branch.level,
        headcount=node.headcount,
        org_units=[_unit_read(unit) for unit in node.org_units],
        children=[branch_read(child) for child in node.children],
    )


@router.get("/org-units", response_model=list[BranchNodeRead])
def list_org_units(
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.STAFF_READ)],
) -> list[BranchNodeRead]:
    """The org chart: head office → branches → sub-branches, each with its org units (kind, head,
    active headcount)."""
    return [branch_read(node) for node in service.org_tree(session, principal)]
