"""Who is asking, and may they: the one place permissions are enforced, for console and API alike.

Every protected route declares ``principal: Annotated[Principal, require(Permission.X)]``. The
dependency resolves the caller from a bearer token (``Authorization: Bearer lp_…``) or the signed
console session cookie, checks the CSRF token of every state-changing console request, checks the
permission against the stored role-permission matrix, and audits refusals. Tests find each route's
permission by looking for :class:`Require` among its dependencies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, Signer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from loanpilot.access.rules import Permission, Principal
from loanpilot.access.service import Lookup, digest, lookup_session, lookup_token, touch
from loanpilot.app import SessionDep
from loanpilot.audit.service import record
from loanpilot.config import Environment, Settings
from loanpilot.db.session import transaction
from loanpilot.kit.errors import AuthenticationError, PermissionDeniedError

SESSION_COOKIE = "lp_session"
ANON_CSRF_COOKIE = "lp_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SESSION_SALT = "loanpilot.session"


def clock(request: Request) -> datetime:
    """Now, from the application's clock (tests may replace ``app.state.now``)."""
    now: Callable[[], datetime] = request.app.state.now
    return now()


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _secret(request: Request) -> bytes:
    settings: Settings = request.app.state.settings
    return settings.secret_key.get_secret_value().encode()


def _signer(request: Request) -> Signer:
    return Signer(_secret(request), salt=_SESSION_SALT)


def sign_session(request: Request, token: str) -> str:
    return _signer(request).sign(token).decode()


def set_session_cookie(request: Request, response: Any, token: str, max_age: int) -> None:
    settings: Settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        sign_session(request, token),
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.environment is Environment.PRODUCTION,
    )


def clear_session_cookie(response: Any) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def session_csrf(request: Request, session_token: str) -> str:
    """The CSRF token of a console session: an HMAC of the session token (nothing stored)."""
    mac = hmac.new(_secret(request), b"csrf:" + session_token.encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


async def submitted_csrf(request: Request) -> str:
    """The CSRF token sent with this request: the ``X-CSRF-Token`` header or the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def _csrf_failed() -> PermissionDeniedError:
    return PermissionDeniedError(
        "csrf.invalid", "The form's security token is missing or wrong; reload the page and retry"
    )


# --- anonymous forms (login, portal): double-submit cookie ------------------------------------------


def anon_csrf(request: Request) -> str:
    """The CSRF token of an anonymous visitor's forms (kept in a cookie; issued when missing)."""
    token = request.cookies.get(ANON_CSRF_COOKIE, "")
    if len(token) != 43:  # token_urlsafe(32)
        token = secrets.token_urlsafe(32)
        request.state.new_anon_csrf = token
    request.state.csrf_token = token
    return token


def set_anon_csrf_cookie(request: Request, response: Any) -> None:
    token = getattr(request.state, "new_anon_csrf", None)
    if token:
        settings: Settings = request.app.state.settings
        response.set_cookie(
            ANON_CSRF_COOKIE,
            token,
            path="/",
            httponly=True,
            samesite="strict",
            secure=settings.environment is Environment.PRODUCTION,
        )


async def verify_anon_csrf(request: Request) -> None:
    """Refuse an anonymous form whose token does not match the visitor's cookie."""
    cookie = request.cookies.get(ANON_CSRF_COOKIE, "")
    sent = await submitted_csrf(request)
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise _csrf_failed()
    request.state.csrf_token = cookie


# --- staff ------------------------------------------------------------------------------------------


class PrincipalCache:
    """Principals resolved in the last ``ttl`` seconds, by credential digest, so a busy client's
    requests do not each re-read its session, account, staff row and role permissions.

    Logout, token revocation and password changes clear it (``forget``); in another server process
    such a change, or an edit of the permission matrix, takes effect within ``ttl`` seconds.
    """

    def __init__(self, ttl: float = 10.0, max_entries: int = 10_000) -> None:
        self.ttl = timedelta(seconds=ttl)
        self.max_entries = max_entries
        self._entries: dict[bytes, tuple[Principal, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, key: bytes, now: datetime) -> Principal | None:
        """The principal cached under ``key`` if it was resolved less than ``ttl`` before ``now``
        (by the application's clock, so a test that moves the clock sees expiry at once)."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or not entry[1] <= now < entry[1] + self.ttl:
            return None
        return entry[0]

    def put(self, key: bytes, principal: Principal, now: datetime) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (principal, now)

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()


def forget_principals(request: Request) -> None:
    """Drop every cached principal (after a logout, a revocation or a password change)."""
    cache: PrincipalCache = request.app.state.principal_cache
    cache.forget()


def resolve_principal(request: Request, session: Session) -> Principal:
    """The signed-in staff member, or AuthenticationError saying why not."""
    now = clock(request)
    cache: PrincipalCache = request.app.state.principal_cache
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise AuthenticationError("auth.invalid_token", "Use 'Authorization: Bearer <token>'")
        key = b"t" + digest(credential.strip())
        principal = cache.get(key, now)
        if principal is None:
            found = lookup_token(session, credential.strip(), now=now)
            if found.principal is None:
                raise AuthenticationError(
                    "auth.invalid_token", "The API token is unknown, revoked or expired"
                )
            _record_activity(request, found, now)
            principal = found.principal
            cache.put(key, principal, now)
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise AuthenticationError("auth.required", "Log in first")
    try:
        token = _signer(request).unsign(cookie).decode()
    except BadSignature:
        raise AuthenticationError(
            "auth.invalid_session", "The session cookie is not valid"
        ) from None
    key = b"s" + digest(token)
    principal = cache.get(key, now)
    if principal is None:
        found = lookup_session(session, token, now=now)
        if found.principal is None:
            raise AuthenticationError(
                "auth.session_expired", "The session has expired; log in again"
            )
        _record_activity(request, found, now)
        principal = found.principal
        cache.put(key, principal, now)
    request.state.session_token = token
    request.state.csrf_token = session_csrf(request, token)
    return principal


def _record_activity(request: Request, found: Lookup, now: datetime) -> None:
    """Keep the session alive in a short transaction of its own, so the request's own transaction
    stays read-only unless the handler writes (one writer at a time on SQLite)."""
    if found.touch_due and found.principal is not None:
        factory: sessionmaker[Session] = request.app.state.session_factory
        with transaction(factory) as own:
            touch(own, found.principal, now=now)


def audit_denied(request: Request, principal: Principal | None, code: str, detail: str) -> None:
    """Record a refusal in its own transaction (the request's own work is rolled back)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with transaction(factory) as session:
        record(
            session,
            action="access.denied",
            actor_staff_id=principal.staff_id if principal else None,
            actor_label=f"user:{principal.username}" if principal else "anonymous",
            entity="route",
            entity_id=f"{request.method} {request.url.path}"[:64],
            detail={"code": code, "reason": detail},
            client_address=client_address(request),
            outcome="denied",
            at=clock(request),
        )


class Require:
    """Dependency: the caller must be signed in and hold ``permission`` (None: any staff).

    ``session_only`` routes (a new API token, a password change) refuse bearer tokens, so a
    leaked token cannot extend itself or guess its owner's password.
    """

    def __init__(self, permission: Permission | None, *, session_only: bool = False) -> None:
        self.permission = permission
        self.session_only = session_only

    def __repr__(self) -> str:
        return f"Require({self.permission})"

    async def __call__(self, request: Request, session: SessionDep) -> Principal:
        # Database work runs in the thread pool, never on the event loop: a blocked loop would
        # stall every request while one waits for a pooled connection.
        principal = await run_in_threadpool(resolve_principal, request, session)
        request.state.principal = principal
        if self.session_only and principal.via != "session":
            await run_in_threadpool(
                audit_denied, request, principal, "auth.session_required", "bearer token"
            )
            raise PermissionDeniedError(
                "auth.session_required", "This needs a console session; API tokens may not do it"
            )
        if request.method not in SAFE_METHODS and principal.via == "session":
            sent = await submitted_csrf(request)
            if not sent or not hmac.compare_digest(sent, request.state.csrf_token):
                await run_in_threadpool(
                    audit_denied, request, principal, "csrf.invalid", "missing or wrong CSRF token"
                )
                raise _csrf_failed()
        if self.permission is not None and not principal.can(self.permission):
            await run_in_threadpool(
                audit_denied, request, principal, "auth.forbidden", self.permission.value
            )
            raise PermissionDeniedError(
                "auth.forbidden",
                f"Your role ({principal.role.value}) lacks the permission {self.permission.value}",
            )
        return principal


def require(permission: Permission | None = None, *, session_only: bool = False) -> Any:
    """``Annotated[Principal, require(Permission.X)]``: the one gate of every protected route."""
    return Depends(Require(permission, session_only=session_only))


def deny_scope(request: Request, principal: Principal, entity: str, entity_id: str) -> None:
    """Audit a reach beyond the caller's branch or customers (the caller then raises)."""
    audit_denied(request, principal, "scope.forbidden", f"{entity} {entity_id}")
