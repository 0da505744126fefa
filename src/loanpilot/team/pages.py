"""Console pages of team: the staff list, the org chart and the permission matrix."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import (
    FIXED_CELLS,
    READ_ONLY_ROLES,
    WRITE_PERMISSIONS,
    Permission,
    Principal,
)
from loanpilot.access.service import permission_matrix, set_permission
from loanpilot.app import SessionDep
from loanpilot.db.paging import fetch_page, page_request
from loanpilot.kit.errors import ValidationError
from loanpilot.team import service
from loanpilot.team.api import staff_filters
from loanpilot.team.models import Role, StaffStatus
from loanpilot.team.schemas import StaffQuery
from loanpilot.web.auth import client_address, clock, forget_principals, require
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
    principal: Annotated[Principal, require(Permission.PERMISSIONS_READ)],
) -> Response:
    """The role-permission matrix as enforced, and what every route requires (administrators
    change a cell with its button)."""
    return _permissions_page(request, session, principal)


def _permissions_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    fields: list[dict[str, str | int | None]] | None = None,
    status_code: int = 200,
) -> Response:
    matrix = permission_matrix(session)
    return render(
        request,
        "console/admin/permissions.html",
        {
            "permissions": list(Permission),
            "roles": list(Role),
            "matrix": {role: {p.value for p in held} for role, held in matrix.items()},
            "rules": route_rules(request.app),
            "can_edit": principal.can(Permission.PERMISSIONS_WRITE),
            "fixed": {(role.value, perm.value) for role, perm in FIXED_CELLS},
            "read_only_roles": {role.value for role in READ_ONLY_ROLES},
            "write_permissions": {perm.value for perm in WRITE_PERMISSIONS},
            "fields": fields or [],
        },
        status_code=status_code,
    )


@router.post("/console/permissions")
def change_permission(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PERMISSIONS_WRITE)],
    role: Annotated[Role, Form()],
    permission: Annotated[Permission, Form()],
    granted: Annotated[bool, Form()],
) -> Response:
    """Grant or withdraw one cell (audited); the change applies to the next request."""
    try:
        set_permission(
            session,
            role=role,
            permission=permission,
            granted=granted,
            actor_staff_id=principal.staff_id,
            actor_label=f"user:{principal.username}",
            client_address=client_address(request),
            now=clock(request),
        )
    except ValidationError as exc:
        return _permissions_page(
            request, session, principal, fields=[p.public() for p in exc.problems], status_code=422
        )
    forget_principals(request)
    return RedirectResponse("/console/permissions#permission-matrix", status_code=303)
