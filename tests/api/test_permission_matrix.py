"""Every role on every protected route, over real HTTP: exactly the allowed ones get through.

The routes and the permission each requires are read from the application itself
(``loanpilot.web.routes.route_rules``), and what each role holds from the stored matrix
(``access.service.permission_matrix``), so a new route is tried the day it is added. A role that
lacks the permission gets ``403 auth.forbidden`` (and the refusal is audited); a role that holds it
gets anything else but a refusal of authentication or permission: 200, 201, 204, 404 (the id is
made up), 422 (no body was sent), 409, or ``403 scope.forbidden`` (beyond its branch or
customers). Without credentials every protected route is ``401``.

The calls must not damage the shared demo site: reads use id 1, state-changing calls a made-up id
(999999) and an empty body, and the stored role-permission matrix is put back if a call changed it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.orm import Session

from loanpilot.access.models import RolePermission
from loanpilot.access.rules import Permission
from loanpilot.access.service import permission_matrix
from loanpilot.audit.models import AuditLog
from loanpilot.demo.accounts import DEMO_USERS
from loanpilot.team.models import Role
from loanpilot.web.routes import RouteRule, route_rules

if TYPE_CHECKING:
    from tests.conftest import DemoSite

READ_ID = "1"
WRITE_ID = "999999"  # no such row: a state-changing call finds nothing to change
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_PARAM = re.compile(r"\{[^}]+\}")
_HTML_ERROR = re.compile(r'data-error="([^"]+)"')
#: What a role holding the route's permission may get (anything but 401 or 403 auth.forbidden).
ALLOWED_STATUSES = frozenset({200, 201, 204, 303, 307, 404, 409, 422})


def _path(rule: RouteRule) -> str:
    return _PARAM.sub(READ_ID if rule.method in SAFE else WRITE_ID, rule.path)


def _call(client: httpx.Client, rule: RouteRule, headers: dict[str, str]) -> httpx.Response:
    """One call; retried once on a fresh connection if the server dropped a kept-alive one
    (it closes the connection after a 500, and the next request on it would be reset)."""
    try:
        return _send(client, rule, headers)
    except httpx.TransportError:
        return _send(client, rule, headers)


def _send(client: httpx.Client, rule: RouteRule, headers: dict[str, str]) -> httpx.Response:
    url = _path(rule)
    if rule.method in SAFE:
        return client.request(rule.method, url, headers=headers)
    if url.startswith("/api/"):
        return client.request(rule.method, url, headers=headers, json={})
    return client.request(rule.method, url, headers=headers)  # a console form, sent empty


def _error_code(response: httpx.Response) -> str | None:
    """The error code of a refusal: the JSON ``error`` or the error page's ``data-error``."""
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        return body.get("error") if isinstance(body, dict) else None
    found = _HTML_ERROR.search(response.text)
    return found.group(1) if found else None


@dataclass(frozen=True)
class _Matrix:
    rows: list[tuple[str, str]]

    @classmethod
    def read(cls, engine: Engine) -> _Matrix:
        with Session(engine) as session:
            rows = session.execute(
                select(RolePermission.role, RolePermission.permission).order_by(
                    RolePermission.role, RolePermission.permission
                )
            )
            return cls([(str(role), str(permission)) for role, permission in rows])

    def restore(self, engine: Engine) -> None:
        with Session(engine) as session, session.begin():
            session.execute(delete(RolePermission))
            session.execute(
                insert(RolePermission),
                [{"role": role, "permission": permission} for role, permission in self.rows],
            )


@pytest.fixture
def guarded_matrix(demo_site: DemoSite) -> Iterator[_Matrix]:
    """The stored matrix before the test; put back afterwards if any call changed it."""
    engine = demo_site.bank.engine
    before = _Matrix.read(engine)
    yield before
    if _Matrix.read(engine) != before:
        before.restore(engine)


def _protected(demo_site: DemoSite) -> list[RouteRule]:
    rules = [rule for rule in route_rules(demo_site.app) if rule.protected]
    assert rules, "no protected route found: route_rules() no longer sees the Require gate"
    return rules


def _denials(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.count()).where(
            AuditLog.action == "access.denied", AuditLog.outcome == "denied"
        )
        return int(session.scalar(query) or 0)


def test_the_demo_roles_cover_distinct_roles() -> None:
    roles = [role for _user, role in DEMO_USERS]
    assert len(set(roles)) == len(roles) == 9
    assert all(isinstance(role, Role) for role in roles)


def test_every_protected_route_declares_a_known_permission_or_none(demo_site: DemoSite) -> None:
    rules = _protected(demo_site)
    assert {r.permission for r in rules} <= {*Permission, None}
    # Every API route is either open on purpose (login, token) or protected.
    open_api = {
        (r.method, r.path)
        for r in route_rules(demo_site.app)
        if r.path.startswith("/api/v1/") and not r.protected
    }
    assert open_api <= {("POST", "/api/v1/auth/token")} | {
        (r.method, r.path)
        for r in route_rules(demo_site.app)
        if r.path.startswith(("/api/v1/portal", "/api/v1/public"))
    }


@pytest.mark.parametrize(("username", "role"), DEMO_USERS, ids=[u for u, _ in DEMO_USERS])
def test_each_role_passes_exactly_the_routes_its_permissions_allow(
    demo_site: DemoSite, guarded_matrix: _Matrix, username: str, role: Role
) -> None:
    engine = demo_site.bank.engine
    with Session(engine) as session:
        holds = permission_matrix(session)[role]
    headers = demo_site.bearer(username)
    rules = _protected(demo_site)
    mismatches: list[str] = []
    matrix_changed_by: list[str] = []
    expected_denials = 0
    denials_before = _denials(engine)

    with demo_site.client(follow_redirects=False) as client:
        # Reads first, then the state-changing calls (so a change cannot affect a later read).
        for rule in sorted(rules, key=lambda r: (r.method not in SAFE, r.path, r.method)):
            label = f"{rule.method} {_path(rule)} [{rule.permission or 'any staff'}]"
            try:
                response = _call(client, rule, headers)
            except httpx.TransportError as exc:  # the server failed without answering
                mismatches.append(f"{label}: no answer ({exc!r})")
                continue
            code = _error_code(response) if response.status_code >= 400 else None
            allowed = rule.permission is None or rule.permission in holds
            if rule.session_only:
                # Bearer tokens never pass these routes, whatever the role.
                if (response.status_code, code) != (403, "auth.session_required"):
                    mismatches.append(
                        f"{label}: expected 403 auth.session_required, "
                        f"got {response.status_code} {code}"
                    )
            elif not allowed:
                expected_denials += 1
                if (response.status_code, code) != (403, "auth.forbidden"):
                    mismatches.append(
                        f"{label}: expected 403 auth.forbidden, got {response.status_code} {code}"
                    )
            elif response.status_code == 403:
                if code != "scope.forbidden":
                    mismatches.append(f"{label}: refused ({code}) though {role.value} may")
            elif response.status_code not in ALLOWED_STATUSES:
                mismatches.append(f"{label}: unexpected {response.status_code} {code}")
            if rule.method not in SAFE and _Matrix.read(engine) != guarded_matrix:
                matrix_changed_by.append(label)
                guarded_matrix.restore(engine)

    assert not mismatches, f"{username} ({role.value}):\n  " + "\n  ".join(mismatches)
    assert not matrix_changed_by, f"an empty request changed the matrix: {matrix_changed_by}"
    # Every refusal of a permission is in the audit log (one row each).
    assert _denials(engine) - denials_before >= expected_denials


def test_every_protected_route_needs_credentials(demo_site: DemoSite) -> None:
    rules = _protected(demo_site)
    wrong: list[str] = []
    with demo_site.client(follow_redirects=False) as client:
        for rule in rules:
            response = _call(client, rule, {})
            location = response.headers.get("location", "")
            if rule.path.startswith("/console") and rule.method == "GET":
                # A console page sends an anonymous visitor to the login page instead.
                if response.status_code != 303 or not location.startswith("/console/login?"):
                    wrong.append(f"{rule.method} {rule.path}: {response.status_code} {location}")
            elif response.status_code != 401:
                wrong.append(f"{rule.method} {rule.path}: {response.status_code}")
            elif rule.path.startswith("/api/"):
                assert response.json()["error"] == "auth.required"
                assert response.headers["www-authenticate"] == "Bearer"
    assert not wrong, "protected routes answered without credentials:\n  " + "\n  ".join(wrong)


def test_a_bearer_token_that_is_not_ours_is_refused_everywhere(demo_site: DemoSite) -> None:
    headers = {"Authorization": "Bearer lp_" + "x" * 43}
    with demo_site.client(follow_redirects=False) as client:
        for rule in _protected(demo_site):
            if not rule.path.startswith("/api/"):
                continue
            response = _call(client, rule, headers)
            assert response.status_code == 401, f"{rule.method} {rule.path}"
            assert response.json()["error"] == "auth.invalid_token"
