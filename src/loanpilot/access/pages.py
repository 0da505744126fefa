"""Console login and logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access import service
from loanpilot.access.rules import Principal
from loanpilot.app import EntityId, SessionDep
from loanpilot.kit.errors import AuthenticationError, ValidationError
from loanpilot.web.auth import (
    anon_csrf,
    clear_session_cookie,
    client_address,
    clock,
    forget_principals,
    require,
    set_anon_csrf_cookie,
    set_session_cookie,
    verify_anon_csrf,
)
from loanpilot.web.render import render

router = APIRouter(include_in_schema=False)

_REASONS = {
    "expired": "login.expired",
    "invalid": "login.invalid",
    "required": "login.required",
    "logged_out": "login.logged_out",
}
_FAILURES = {"auth.inactive": "login.inactive"}


def safe_next(value: str | None) -> str:
    """Where to go after login: a console path only (never another site)."""
    if value and value.startswith("/console") and "//" not in value and "\\" not in value:
        return value
    return "/console/"


def _login_page(
    request: Request, *, next_url: str, message_key: str | None, status: int, username: str = ""
) -> Response:
    anon_csrf(request)
    response = render(
        request,
        "console/login.html",
        {"next_url": next_url, "message_key": message_key, "username": username},
        status_code=status,
    )
    set_anon_csrf_cookie(request, response)
    return response


@router.get("/console/login")
def login_form(
    request: Request,
    next_url: Annotated[str | None, Query(alias="next", max_length=512)] = None,
    reason: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    return _login_page(
        request, next_url=safe_next(next_url), message_key=_REASONS.get(reason or ""), status=200
    )


@router.post("/console/login", dependencies=[Depends(verify_anon_csrf)])
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=128)],
    next_url: Annotated[str | None, Form(alias="next", max_length=512)] = None,
) -> Response:
    now = clock(request)
    try:
        account = service.authenticate(
            session,
            username=username,
            password=password,
            now=now,
            client=client_address(request),
        )
    except AuthenticationError as exc:
        # Returned, not raised: the failed attempt and its audit row are committed.
        return _login_page(
            request,
            next_url=safe_next(next_url),
            status=401,
            message_key=_FAILURES.get(exc.code, "login.failed"),
            username=username[:64],
        )
    token, _row = service.open_session(session, account, now=now, client=client_address(request))
    response = RedirectResponse(safe_next(next_url), status_code=303)
    set_session_cookie(request, response, token, int(service.SESSION_ABSOLUTE.total_seconds()))
    return response


@router.post("/console/logout")
def logout(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require()],
) -> Response:
    if principal.session_id is not None:
        service.end_session(session, principal.session_id, now=clock(request))
        forget_principals(request)
    response = RedirectResponse("/console/login?reason=logged_out", status_code=303)
    clear_session_cookie(response)
    return response


# --- the signed-in staff member's own account -------------------------------------------------------


def _account_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    new_token: str | None = None,
    fields: list[dict[str, str | int | None]] | None = None,
    message_key: str | None = None,
    status: int = 200,
) -> Response:
    tokens = service.list_api_tokens(session, account_id=principal.account_id)
    return render(
        request,
        "console/account.html",
        {
            "permissions": sorted(p.value for p in principal.permissions),
            "tokens": tokens,
            "new_token": new_token,
            "fields": fields or [],
            "message_key": message_key,
            "now": clock(request),
        },
        status_code=status,
    )


@router.get("/console/account")
def account(
    request: Request, session: SessionDep, principal: Annotated[Principal, require()]
) -> Response:
    """Who I am, what I may do, my API tokens, and a form to change my password."""
    return _account_page(request, session, principal)


@router.post("/console/account/tokens")
def issue_token(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(session_only=True)],
    name: Annotated[str, Form(min_length=1, max_length=64)],
    days: Annotated[int, Form(ge=1, le=365)] = 90,
) -> Response:
    token, _row = service.issue_api_token(
        session, account_id=principal.account_id, name=name, now=clock(request), days=days
    )
    return _account_page(request, session, principal, new_token=token)


@router.post("/console/account/tokens/{token_id}/revoke")
def revoke_token(
    token_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require()],
) -> Response:
    service.revoke_api_token(
        session, token_id=token_id, account_id=principal.account_id, now=clock(request)
    )
    forget_principals(request)
    return RedirectResponse("/console/account", status_code=303)


@router.post("/console/account/password")
def change_password(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(session_only=True)],
    old_password: Annotated[str, Form(max_length=128)],
    new_password: Annotated[str, Form(max_length=128)],
) -> Response:
    try:
        service.change_password(
            session,
            account_id=principal.account_id,
            old=old_password,
            new=new_password,
            now=clock(request),
            keep_session_id=principal.session_id,
        )
    except ValidationError as exc:
        return _account_page(
            request, session, principal, status=422, fields=[p.public() for p in exc.problems]
        )
    forget_principals(request)
    return _account_page(request, session, principal, message_key="account.password_changed")
