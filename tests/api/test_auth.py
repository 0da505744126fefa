"""Login, lock-out, password rules, session expiry, forged cookies, CSRF, revoked tokens and bad
requests, over real HTTP against the demo site.

Tests that fail logins or lock accounts use accounts of their own (created directly in the demo
database), never the shared demo users.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import pytest
from itsdangerous import Signer
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from loanpilot.access.models import ApiToken, StaffAccount
from loanpilot.access.service import create_account, create_staff_user
from loanpilot.audit.models import AuditLog
from loanpilot.kit.errors import ValidationError
from loanpilot.team.models import Role

if TYPE_CHECKING:
    from tests.conftest import DemoSite

PASSWORD = "Tested-Pass-2026!"  # a throwaway account of the test database
WRONG = (
    "Wrong user name or password (after five wrong passwords in a row an account is locked for "
    "15 minutes)"
)


@dataclass(frozen=True)
class Account:
    username: str
    account_id: int
    staff_id: int


def _new_account(engine: Engine, role: Role = Role.RISK_OFFICER) -> Account:
    username = f"t{uuid.uuid4().hex[:10]}"
    with Session(engine) as session, session.begin():
        account = create_staff_user(
            session,
            username=username,
            password=PASSWORD,
            name="测试员工",
            role=role,
            now=datetime.now(UTC),
        )
        return Account(username, account.id, account.staff_id)


@pytest.fixture
def account(demo_site: DemoSite) -> Account:
    """A fresh risk-officer account of this test alone."""
    return _new_account(demo_site.bank.engine)


def _token(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def _tokens_of(engine: Engine, account_id: int) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(ApiToken).where(ApiToken.account_id == account_id)
        return int(session.scalar(query) or 0)


@pytest.fixture
def shift_clock(demo_site: DemoSite) -> Iterator[Callable[[timedelta], None]]:
    """``shift_clock(delta)``: the app's clock runs ``delta`` ahead until the test ends.

    (Not ``monkeypatch.setattr``: its undo goes through ``__dict__`` and would delete Starlette's
    ``State`` attribute instead of restoring it.)
    """
    state = demo_site.app.state
    real_now: Callable[[], datetime] = state.now

    def shift(delta: timedelta) -> None:
        state.now = lambda: real_now() + delta

    try:
        yield shift
    finally:
        state.now = real_now


@pytest.fixture
def web(demo_site: DemoSite) -> Iterator[httpx.Client]:
    with demo_site.client(follow_redirects=False) as client:
        yield client


# --- wrong passwords and the lock-out ---------------------------------------------------------------


def test_a_wrong_password_is_refused_and_audited(
    demo_site: DemoSite, account: Account, web: httpx.Client
) -> None:
    response = _token(web, account.username, "Not-the-password-1")

    assert response.status_code == 401
    assert response.json() == {
        "error": "auth.failed",
        "detail": WRONG,
        "fields": [],
    }
    assert response.headers["www-authenticate"] == "Bearer"
    with Session(demo_site.bank.engine) as session:
        rows = session.scalars(
            select(AuditLog).where(
                AuditLog.action == "login", AuditLog.actor_staff_id == account.staff_id
            )
        ).all()
        stored = session.get(StaffAccount, account.account_id)
        assert stored is not None
        assert stored.failed_attempts == 1
    assert [(r.outcome, r.detail.get("reason")) for r in rows] == [("failed", "wrong_password")]
    assert rows[0].actor_label == f"user:{account.username}"
    assert rows[0].client_address == "127.0.0.1"
    assert "Not-the-password-1" not in str(rows[0].detail)


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(web: httpx.Client) -> None:
    response = _token(web, f"nobody{uuid.uuid4().hex[:8]}", "Not-the-password-1")
    assert response.status_code == 401
    assert response.json()["error"] == "auth.failed"
    assert response.json()["detail"] == WRONG


def test_the_console_login_form_refuses_a_wrong_password(
    demo_site: DemoSite, account: Account, web: httpx.Client
) -> None:
    page = web.get("/console/login")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = web.post(
        "/console/login",
        data={"username": account.username, "password": "Wrong-one-2026", "csrf_token": csrf},
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert "lp_session" not in response.cookies


def test_five_wrong_passwords_lock_the_account(
    demo_site: DemoSite, account: Account, web: httpx.Client
) -> None:
    codes = [_token(web, account.username, f"Wrong-pass-{i}x").json()["error"] for i in range(5)]
    # The fifth failure locks the account; the answer stays the same, so it never tells an
    # attacker whether the user name exists.
    assert codes == ["auth.failed"] * 5

    right = _token(web, account.username, PASSWORD)
    assert right.status_code == 401
    assert right.json()["error"] == "auth.failed"
    assert "locked" in right.json()["detail"]

    with Session(demo_site.bank.engine) as session:
        stored = session.get(StaffAccount, account.account_id)
        assert stored is not None
        assert stored.locked_until is not None
        outcomes = session.execute(
            select(AuditLog.outcome, AuditLog.detail)
            .where(AuditLog.action == "login", AuditLog.actor_staff_id == account.staff_id)
            .order_by(AuditLog.id)
        ).all()
    assert [o for o, _ in outcomes] == ["failed"] * 5 + ["denied"]
    assert outcomes[4][1]["locked"] is True
    assert outcomes[5][1] == {"reason": "locked"}
    # The console's login form refuses it too, with the lock-out message.
    page = web.get("/console/login")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = web.post(
        "/console/login",
        data={"username": account.username, "password": PASSWORD, "csrf_token": csrf},
    )
    assert form.status_code == 401
    assert "lp_session" not in form.cookies


def test_the_lock_out_ends_after_fifteen_minutes(
    demo_site: DemoSite,
    account: Account,
    web: httpx.Client,
    shift_clock: Callable[[timedelta], None],
) -> None:
    for i in range(5):
        _token(web, account.username, f"Wrong-pass-{i}x")
    assert _token(web, account.username, PASSWORD).json()["error"] == "auth.failed"
    shift_clock(timedelta(minutes=16))
    assert _token(web, account.username, PASSWORD).status_code == 201


# --- password rules ----------------------------------------------------------------------------------


def test_a_weak_password_is_refused_with_every_problem(demo_site: DemoSite) -> None:
    with Session(demo_site.bank.engine) as session, session.begin():
        with pytest.raises(ValidationError) as refused:
            create_account(
                session,
                staff_id=999_999_999,
                username="weakling",
                password="weakling",
                now=datetime.now(UTC),
            )
        session.rollback()
    problems = [(p.field, p.message) for p in refused.value.problems]
    assert refused.value.code == "account.invalid"
    assert ("password", "must be at least 10 characters long") in problems
    assert (
        "password",
        "must mix at least three of: lower-case letters, upper-case letters, digits, symbols",
    ) in problems
    assert ("password", "must not contain the user name") in problems
    assert ("staff_id", "no staff member with id 999999999") in problems
    assert len(problems) == 4
    # The password itself is never repeated in a message.
    assert all("weakling" not in message for _field, message in problems)


def test_a_common_password_and_a_bad_user_name_are_both_reported(demo_site: DemoSite) -> None:
    with Session(demo_site.bank.engine) as session:
        with pytest.raises(ValidationError) as refused:
            create_account(
                session,
                staff_id=1,
                username="a b",
                password="Password123!",
                now=datetime.now(UTC),
            )
        session.rollback()
    fields = [p.field for p in refused.value.problems]
    messages = [p.message for p in refused.value.problems]
    assert fields == ["username", "password"]
    assert "is too common" in messages


# --- sessions: expiry, forged cookies, CSRF -----------------------------------------------------------


def _session_cookie(client: httpx.Client) -> str:
    return client.cookies["lp_session"]


def test_an_expired_session_sends_the_console_to_login_and_the_api_refuses_it(
    demo_site: DemoSite, account: Account, shift_clock: Callable[[timedelta], None]
) -> None:
    console = demo_site.login(account.username, PASSWORD)
    cookie = _session_cookie(console)
    headers = {"Cookie": f"lp_session={cookie}"}
    with demo_site.client(follow_redirects=False) as client:
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
        shift_clock(timedelta(hours=11))

        api = client.get("/api/v1/auth/me", headers=headers)
        assert api.status_code == 401
        assert api.json()["error"] == "auth.session_expired"

        page = client.get("/console/account", headers=headers)
        assert page.status_code == 303
        location = page.headers["location"]
        assert location.startswith("/console/login?")
        assert "reason=expired" in location
        assert "next=%2Fconsole%2Faccount" in location
        # The dead cookie is cleared.
        assert (
            'lp_session=""' in page.headers["set-cookie"]
            or "Max-Age=0" in (page.headers["set-cookie"])
        )
        login = client.get(location)
        assert login.status_code == 200
        assert "登录已过期" in login.text or "过期" in login.text
    console.close()


def test_an_idle_session_expires_after_thirty_minutes(
    demo_site: DemoSite, account: Account, shift_clock: Callable[[timedelta], None]
) -> None:
    console = demo_site.login(account.username, PASSWORD)
    headers = {"Cookie": f"lp_session={_session_cookie(console)}"}
    with demo_site.client(follow_redirects=False) as client:
        shift_clock(timedelta(minutes=29))
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
        # Activity at +29 min keeps it alive for another 30 minutes from then.
        shift_clock(timedelta(minutes=58))
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
        shift_clock(timedelta(minutes=90))
        expired = client.get("/api/v1/auth/me", headers=headers)
        assert expired.status_code == 401
        assert expired.json()["error"] == "auth.session_expired"
    console.close()


@pytest.mark.parametrize(
    "cookie",
    [
        "not-a-signed-value",
        "abc.def",
        Signer(b"another-secret", salt="loanpilot.session").sign("x" * 43).decode(),
    ],
    ids=["garbage", "bad-signature", "other-key"],
)
def test_a_forged_cookie_is_refused(demo_site: DemoSite, cookie: str) -> None:
    headers = {"Cookie": f"lp_session={cookie}"}
    with demo_site.client(follow_redirects=False) as client:
        page = client.get("/console/account", headers=headers)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/console/login?")
        assert "reason=invalid" in page.headers["location"]
        api = client.get("/api/v1/auth/me", headers=headers)
        assert api.status_code == 401
        assert api.json()["error"] == "auth.invalid_session"


def test_a_validly_signed_cookie_for_no_session_is_refused(demo_site: DemoSite) -> None:
    secret = demo_site.bank.settings.secret_key.get_secret_value().encode()
    cookie = Signer(secret, salt="loanpilot.session").sign("y" * 43).decode()
    with demo_site.client(follow_redirects=False) as client:
        api = client.get("/api/v1/auth/me", headers={"Cookie": f"lp_session={cookie}"})
    assert api.status_code == 401
    assert api.json()["error"] == "auth.session_expired"


def test_a_console_post_without_its_csrf_token_is_refused_and_changes_nothing(
    demo_site: DemoSite, account: Account
) -> None:
    engine = demo_site.bank.engine
    console = demo_site.login(account.username, PASSWORD)
    good = console.headers.pop("X-CSRF-Token")
    before = _tokens_of(engine, account.account_id)

    missing = console.post("/console/account/tokens", data={"name": "no-csrf", "days": "5"})
    assert missing.status_code == 403
    assert 'data-error="csrf.invalid"' in missing.text
    wrong = console.post(
        "/console/account/tokens", data={"name": "bad-csrf", "days": "5", "csrf_token": "0" * 40}
    )
    assert wrong.status_code == 403
    assert 'data-error="csrf.invalid"' in wrong.text
    assert _tokens_of(engine, account.account_id) == before
    with Session(engine) as session:
        denied = session.scalars(
            select(AuditLog.detail).where(
                AuditLog.action == "access.denied", AuditLog.actor_staff_id == account.staff_id
            )
        ).all()
    assert [d["code"] for d in denied] == ["csrf.invalid", "csrf.invalid"]

    # The same form with the session's token works (the control).
    ok = console.post(
        "/console/account/tokens", data={"name": "with-csrf", "days": "5", "csrf_token": good}
    )
    assert ok.status_code == 200
    assert _tokens_of(engine, account.account_id) == before + 1
    console.close()


# --- bearer tokens -----------------------------------------------------------------------------------


def test_a_revoked_bearer_token_is_refused(
    demo_site: DemoSite, account: Account, web: httpx.Client
) -> None:
    issued = _token(web, account.username, PASSWORD)
    assert issued.status_code == 201
    token, token_id = issued.json()["token"], issued.json()["token_id"]
    headers = {"Authorization": f"Bearer {token}"}
    me = web.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["username"] == account.username

    assert web.delete(f"/api/v1/auth/tokens/{token_id}", headers=headers).status_code == 204

    refused = web.get("/api/v1/auth/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"] == "auth.invalid_token"
    with Session(demo_site.bank.engine) as session:
        row = session.get(ApiToken, token_id)
        assert row is not None
        assert row.revoked_at is not None


def test_nobody_revokes_another_accounts_token(
    demo_site: DemoSite, account: Account, web: httpx.Client
) -> None:
    issued = _token(web, account.username, PASSWORD).json()
    other = demo_site.bearer("auditor")
    response = web.delete(f"/api/v1/auth/tokens/{issued['token_id']}", headers=other)
    assert response.status_code == 404
    mine = {"Authorization": f"Bearer {issued['token']}"}
    assert web.get("/api/v1/auth/me", headers=mine).status_code == 200


@pytest.mark.parametrize(
    "authorization", ["Basic YWRtaW46eA==", "Bearer", "Bearer lp_unknown", "lp_token"]
)
def test_a_malformed_or_unknown_authorization_is_refused(
    web: httpx.Client, authorization: str
) -> None:
    response = web.get("/api/v1/auth/me", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["error"] == "auth.invalid_token"


# --- bad requests -----------------------------------------------------------------------------------


def test_an_oversize_body_is_refused_with_413(demo_site: DemoSite, web: httpx.Client) -> None:
    assert demo_site.bank.settings.max_body_bytes < 2 * 1024 * 1024
    body = b'{"username": "' + b"a" * (2 * 1024 * 1024) + b'", "password": "x"}'
    response = web.post(
        "/api/v1/auth/token", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "request.too_large"
    assert set(response.json()) == {"error", "detail", "fields"}


def test_an_oversize_console_form_is_refused_with_413(web: httpx.Client) -> None:
    response = web.post("/console/login", data={"username": "a" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_the_scorecard_upload_alone_may_exceed_the_body_limit(web: httpx.Client) -> None:
    """The fit form's path has its own, larger limit (a development sample is megabytes); the
    guard lets 2 MiB through to the route (which then wants a login: 303/401/403, not 413)."""
    big = b"x" * (2 * 1024 * 1024)
    response = web.post("/console/risk/models/fit", files={"file": ("sample.csv", big)})
    assert response.status_code != 413
    assert web.post("/console/risk/models/1/promote", content=big).status_code == 413


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"username": "admin", ', b"\xff\xfe", b"[1, 2"], ids=str
)
def test_malformed_json_gets_422_in_the_error_shape(web: httpx.Client, body: bytes) -> None:
    response = web.post(
        "/api/v1/auth/token", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    payload = response.json()
    assert set(payload) == {"error", "detail", "fields"}
    assert payload["error"] == "request.invalid"
    assert isinstance(payload["detail"], str)
    assert payload["detail"]
    assert isinstance(payload["fields"], list)


def test_a_422_lists_every_invalid_field(web: httpx.Client) -> None:
    response = web.post("/api/v1/auth/token", json={"username": "", "password": "", "days": 0})
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "request.invalid"
    fields = sorted(f["field"] for f in payload["fields"])
    assert fields == ["body.days", "body.password", "body.username"]
    assert all(f["message"] for f in payload["fields"])


def test_an_unknown_field_is_refused(web: httpx.Client) -> None:
    response = web.post(
        "/api/v1/auth/token", json={"username": "admin", "password": "x", "role": "administrator"}
    )
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["fields"]] == ["body.role"]


# --- what only a console session may do ---------------------------------------------------------------


def test_a_bearer_token_cannot_issue_tokens_or_change_the_password(
    demo_site: DemoSite, account: Account, web: httpx.Client
) -> None:
    token = _token(web, account.username, PASSWORD).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    before = _tokens_of(demo_site.bank.engine, account.account_id)
    minted = web.post("/console/account/tokens", headers=headers, data={"name": "x", "days": "365"})
    assert minted.status_code == 403
    assert "lp_" not in minted.text
    changed = web.post(
        "/console/account/password",
        headers=headers,
        data={"old_password": PASSWORD, "new_password": "Another-pass-2026"},
    )
    assert changed.status_code == 403
    assert _tokens_of(demo_site.bank.engine, account.account_id) == before
    with Session(demo_site.bank.engine) as session:
        denied = session.scalars(
            select(AuditLog.detail).where(
                AuditLog.action == "access.denied", AuditLog.actor_staff_id == account.staff_id
            )
        ).all()
    assert [d["code"] for d in denied] == ["auth.session_required"] * 2


def _login(demo_site: DemoSite, username: str) -> httpx.Client:
    return demo_site.login(username, PASSWORD)


def test_a_password_change_ends_other_sessions_and_revokes_tokens(
    demo_site: DemoSite, account: Account, web: httpx.Client
) -> None:
    token = _token(web, account.username, PASSWORD).json()["token"]
    with (
        closing(_login(demo_site, account.username)) as mine,
        closing(_login(demo_site, account.username)) as other,
    ):
        changed = mine.post(
            "/console/account/password",
            data={"old_password": PASSWORD, "new_password": "Changed-pass-2026"},
        )
        assert changed.status_code == 200
        assert mine.get("/console/account", follow_redirects=False).status_code == 200
        # The principal cache of this process is cleared by the change, so the ends are at once.
        gone = other.get("/console/account", follow_redirects=False)
        assert gone.status_code == 303
        assert "reason=expired" in gone.headers["location"]
    assert (
        web.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    assert _token(web, account.username, "Changed-pass-2026").status_code == 201


def test_wrong_current_passwords_count_towards_the_lock_out(
    demo_site: DemoSite, account: Account, web: httpx.Client
) -> None:
    with closing(_login(demo_site, account.username)) as client:
        for i in range(5):
            response = client.post(
                "/console/account/password",
                data={"old_password": f"Guess-{i}-pass-2026", "new_password": "Whatever-pass-2026"},
            )
            assert response.status_code == 422
    with Session(demo_site.bank.engine) as session:
        stored = session.get(StaffAccount, account.account_id)
        assert stored is not None
        assert stored.locked_until is not None
        assert stored.password_changed_at is not None
    # Locked: even the right password does not log in now.
    assert _token(web, account.username, PASSWORD).status_code == 401


# --- values no database can hold, and addresses that must stay on this site ----------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/9223372036854775808",
        "/api/v1/staff?branch=99999999999999999999",
        "/api/v1/audit?actor=99999999999999999999999",
    ],
)
def test_numbers_beyond_64_bits_are_invalid_not_a_server_error(
    demo_site: DemoSite, web: httpx.Client, path: str
) -> None:
    response = web.get(path, headers=demo_site.bearer("auditor"))
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert set(response.json()) == {"error", "detail", "fields"}


def test_the_bank_wide_headline_is_refused_to_scoped_roles(
    demo_site: DemoSite, web: httpx.Client
) -> None:
    assert web.get("/api/v1/headline", headers=demo_site.bearer("risk")).status_code == 200
    for user in ("manager", "branch"):
        refused = web.get("/api/v1/headline", headers=demo_site.bearer(user))
        assert refused.status_code == 403
        assert refused.json()["error"] == "scope.forbidden"


def test_the_language_link_never_leads_to_another_site(
    demo_site: DemoSite, web: httpx.Client
) -> None:
    page = web.get(f"{demo_site.url}//evil.example/x")  # the path itself starts with //
    assert page.status_code == 404
    assert 'href="//evil.example' not in page.text
    assert 'href="/evil.example/x?lang=en"' in page.text
