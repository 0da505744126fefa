"""Console pages of team: the staff list, the org chart and the permission matrix."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from loanpilot.access.rules import Permission, Principal
from loanpilot.access.service import permission_matrix
from loanpilot.app import SessionDep
from loanpilot.db.paging import fetch_page, page_request
from loanpilot.team import service
from loanpilot.team.api import staff_filters
from loanpilot.team.models import Role, StaffStatus
from loanpilot.team.schemas import StaffQuery
from loanpilot.web.auth import require
from loanpilot.web.render import render
from loanpilot.web.routes import route_rules

router = APIRouter(include_in_schema=False)


@router.get("/console/staff")
def staff_list(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.STAFF_READ)],
    query: Annotated[StaffQuery, Query()],
) -> Response:
    """Staff with role, branch, org unit, status and login; filters and sortable columns."""
    paging = page_request(
        query.page, query.size, query.sort, service.STAFF_SORT_KEYS, service.STAFF_DEFAULT_SORT
    )
    page = fetch_page(
        session,
        service.staff_query(principal, staff_filters(query)),
        paging,
        service.STAFF_SORTS,
        service.STAFF_TIE_BREAKER,
    )
    return render(
        request,
        "console/admin/staff.html",
        {
            "page": page,
            "query": query,
            "roles": list(Role),
            "statuses": list(StaffStatus),
            "branches": service.branch_choices(session, principal),
            "branch_scoped": service.visible_branch_ids(principal) is not None,
        },
    )


@router.get("/console/org-units")
def org_units(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.STAFF_READ)],
) -> Response:
    """Head office → branches → sub-branches, each with its org units, heads and headcounts."""
    return render(
        request,
        "console/admin/org_units.html",
        {
            "tree": service.org_tree(session, principal),
            "branch_scoped": service.visible_branch_ids(principal) is not None,
        },
    )


@router.get("/console/permissions")
def permissions(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.PERMISSIONS_READ)],
) -> Response:
    """The role-permission matrix as enforced, and what every route requires."""
    matrix = permission_matrix(session)
    return render(
        request,
        "console/admin/permissions.html",
        {
            "permissions": list(Permission),
            "roles": list(Role),
            "matrix": {role: {p.value for p in held} for role, held in matrix.items()},
            "rules": route_rules(request.app),
        },
    )
