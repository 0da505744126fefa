"""Access API: issue a bearer token, say who the caller is, revoke a token, read the matrix."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, status

from loanpilot.access import service
from loanpilot.access.rules import Permission, Principal
from loanpilot.access.schemas import (
    MeRead,
    PermissionChange,
    PermissionMatrixRead,
    TokenCreate,
    TokenRead,
)
from loanpilot.app import EntityId, ErrorRead, SessionDep
from loanpilot.kit.errors import AuthenticationError
from loanpilot.team.models import Role
from loanpilot.web.auth import client_address, clock, forget_principals, require

router = APIRouter(prefix="/api/v1", tags=["access"])


@router.post(
    "/auth/token",
    response_model=TokenRead,
    status_code=status.HTTP_201_CREATED,
    responses={401: {"model": ErrorRead}, 429: {"model": ErrorRead}},
)
def create_token(body: TokenCreate, request: Request, session: SessionDep) -> TokenRead:
    """A bearer token for the staff account named by ``username`` and ``password``."""
    now = clock(request)
    try:
        account = service.authenticate(
            session,
            username=body.username,
            password=body.password,
            now=now,
            client=client_address(request),
        )
    except AuthenticationError:
        session.commit()  # keep the failed attempt and its audit row; the caller still gets 401
        raise
    token, row = service.issue_api_token(
        session, account_id=account.id, name=body.name, now=now, days=body.days
    )
    return TokenRead(token=token, token_id=row.id, expires_at=row.expires_at)


@router.delete(
    "/auth/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": ErrorRead}},
)
def revoke_token(
    token_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require()],
) -> None:
    """Revoke one of the caller's own API tokens."""
    service.revoke_api_token(
        session, token_id=token_id, account_id=principal.account_id, now=clock(request)
    )
    forget_principals(request)


@router.get("/auth/me", response_model=MeRead, responses={401: {"model": ErrorRead}})
def me(principal: Annotated[Principal, require()]) -> MeRead:
    """Who the caller is, their scope and their permissions."""
    return MeRead(
        staff_id=principal.staff_id,
        username=principal.username,
        name=principal.name,
        role=principal.role,
        branch_id=principal.branch_id,
        scope=principal.scope.value,
        permissions=sorted(principal.permissions),
    )


@router.get(
    "/permissions",
    response_model=PermissionMatrixRead,
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}},
)
def read_permissions(
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.PERMISSIONS_READ)],
) -> PermissionMatrixRead:
    """The role-permission matrix as it is enforced."""
    matrix = service.permission_matrix(session)
    return PermissionMatrixRead(
        permissions=list(Permission),
        roles={role: sorted(perms) for role, perms in matrix.items()},
    )


@router.put(
    "/permissions/{role}/{permission}",
    response_model=PermissionMatrixRead,
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
def change_permission(
    role: Role,
    permission: Permission,
    body: PermissionChange,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PERMISSIONS_WRITE)],
) -> PermissionMatrixRead:
    """Grant or withdraw one cell of the matrix (audited); returns the matrix as now enforced."""
    service.set_permission(
        session,
        role=role,
        permission=permission,
        granted=body.granted,
        actor_staff_id=principal.staff_id,
        actor_label=f"user:{principal.username}",
        client_address=client_address(request),
        now=clock(request),
    )
    forget_principals(request)
    return read_permissions(session, principal)
