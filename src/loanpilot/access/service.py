"""Accounts, login, sessions and API tokens. Services flush; the entry point commits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from loanpilot.access.models import ApiToken, RolePermission, StaffAccount, StaffSession
from loanpilot.access.rules import (
    DEFAULT_MATRIX,
    LoginState,
    Permission,
    Principal,
    after_failure,
    after_success,
    effective_permissions,
    is_locked,
    matrix_change_problem,
    password_problems,
    scope_for,
)
from loanpilot.audit.service import record
from loanpilot.kit.errors import (
    AuthenticationError,
    ConflictError,
    FieldProblem,
    NotFoundError,
    ValidationError,
)
from loanpilot.team.models import Branch, Role, Staff, StaffStatus

#: argon2id with the library's defaults (RFC 9106 low-memory profile).
_HASHER = PasswordHasher()
#: A hash of a random password, verified against when the user name is unknown, so a wrong name
#: takes as long as a wrong password and does not reveal which names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))

#: Longest user name ("user:" + name must fit the audit log's 64-character actor label).
USERNAME_MAX = 48
SESSION_IDLE = timedelta(minutes=30)
SESSION_ABSOLUTE = timedelta(hours=10)
#: Sessions record activity at most this often (one write per minute, not per request).
_TOUCH_EVERY = timedelta(seconds=60)
API_TOKEN_DAYS = 90
API_TOKEN_PREFIX = "lp_"  # noqa: S105 - a prefix, not a secret


def digest(token: str) -> bytes:
    """SHA-256 of a session or API token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode()).digest()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the argon2 ``password_hash`` (False for a malformed hash)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --- the permission matrix ------------------------------------------------------------------------


def sync_permission_matrix(session: Session) -> int:
    """Insert the default cells of every permission the stored matrix has never heard of.

    A permission already in the table keeps whatever an administrator made of it; a permission new
    in this release arrives with its defaults. Returns the number of cells added.
    """
    known = set(session.scalars(select(RolePermission.permission).distinct()))
    added = 0
    for role, permissions in DEFAULT_MATRIX.items():
        for permission in sorted(permissions):
            if permission.value not in known:
                session.add(RolePermission(role=role, permission=permission.value))
                added += 1
    session.flush()
    return added


def permission_matrix(session: Session) -> dict[Role, frozenset[Permission]]:
    """The stored matrix as each role effectively holds it."""
    stored: dict[Role, set[str]] = {role: set() for role in Role}
    for role, permission in session.execute(select(RolePermission.role, RolePermission.permission)):
        stored[Role(role)].add(permission)
    return {role: effective_permissions(role, frozenset(names)) for role, names in stored.items()}


def set_permission(
    session: Session,
    *,
    role: Role,
    permission: Permission,
    granted: bool,
    actor_staff_id: int,
    actor_label: str,
    client_address: str | None,
    now: datetime,
) -> bool:
    """Grant or withdraw one cell of the matrix (audited). Returns whether anything changed."""
    problem = matrix_change_problem(role, permission, granted)
    if problem is not None:
        raise ValidationError(
            "permissions.invalid", "The matrix was not changed", [FieldProblem("granted", problem)]
        )
    row = session.scalar(
        select(RolePermission).where(
            RolePermission.role == role, RolePermission.permission == permission.value
        )
    )
    if (row is not None) == granted:
        return False
    if granted:
        session.add(RolePermission(role=role, permission=permission.value))
    else:
        session.delete(row)
    session.flush()
    record(
        session,
        action="permission.grant" if granted else "permission.withdraw",
        actor_staff_id=actor_staff_id,
        actor_label=actor_label,
        entity="role_permission",
        entity_id=f"{role.value}:{permission.value}",
        client_address=client_address,
        at=now,
    )
    return True


def role_permissions(session: Session, role: Role) -> frozenset[Permission]:
    names = session.scalars(select(RolePermission.permission).where(RolePermission.role == role))
    return effective_permissions(role, frozenset(names))


# --- accounts ------------------------------------------------------------------------------------


def create_account(
    session: Session, *, staff_id: int, username: str, password: str, now: datetime
) -> StaffAccount:
    """A login for staff member ``staff_id``; every problem with the input is reported at once."""
    problems: list[FieldProblem] = []
    username = username.strip()
    if not (3 <= len(username) <= USERNAME_MAX) or not all(
        c.isalnum() or c in "._-" for c in username
    ):
        problems.append(
            FieldProblem(
                "username",
                f"must be 3–{USERNAME_MAX} letters, digits, dots, dashes or underscores",
            )
        )
    problems += password_problems(password, username)
    staff = session.get(Staff, staff_id)
    if staff is None:
        problems.append(FieldProblem("staff_id", f"no staff member with id {staff_id}"))
    if problems:
        raise ValidationError("account.invalid", "The account cannot be created", problems)
    taken = session.scalar(select(StaffAccount.id).where(StaffAccount.username == username))
    if taken is not None:
        raise ConflictError("account.username_taken", f"The user name {username!r} is taken")
    has_account = session.scalar(select(StaffAccount.id).where(StaffAccount.staff_id == staff_id))
    if has_account is not None:
        raise ConflictError("account.exists", f"Staff member {staff_id} already has an account")
    account = StaffAccount(
        staff_id=staff_id,
        username=username,
        password_hash=hash_password(password),
        password_changed_at=now,
        failed_attempts=0,
        is_active=True,
    )
    session.add(account)
    session.flush()
    return account


def _head_office(session: Session) -> Branch:
    branch = session.scalar(select(Branch).where(Branch.parent_id.is_(None)).order_by(Branch.id))
    if branch is not None:
        return branch
    branch = Branch(
        code="HQ", name="总行", level="head_office", province="—", city="—", city_tier=1
    )
    session.add(branch)
    session.flush()
    return branch


def create_staff_user(
    session: Session,
    *,
    username: str,
    password: str,
    name: str,
    role: Role,
    now: datetime,
    branch_code: str | None = None,
) -> StaffAccount:
    """A new staff member with a login (``loanpilot user create``). Without ``branch_code`` the
    staff member belongs to the head office, which is created when the database has no branch."""
    if branch_code:
        branch = session.scalar(select(Branch).where(Branch.code == branch_code))
        if branch is None:
            raise ValidationError(
                "account.invalid",
                "The account cannot be created",
                [FieldProblem("branch", f"no branch with code {branch_code!r}")],
            )
    else:
        branch = _head_office(session)
    count = session.scalar(select(Staff.id).order_by(Staff.id.desc()).limit(1)) or 0
    staff = Staff(
        employee_no=f"U{count + 1:06d}",
        name=name,
        gender="U",
        role=role,
        branch_id=branch.id,
        hired_on=now.date(),
        status=StaffStatus.ACTIVE,
    )
    session.add(staff)
    session.flush()
    return create_account(session, staff_id=staff.id, username=username, password=password, now=now)


# --- login ---------------------------------------------------------------------------------------

_WRONG = (
    "Wrong user name or password (after five wrong passwords in a row an account is locked for "
    "15 minutes)"
)


def authenticate(
    session: Session, *, username: str, password: str, now: datetime, client: str | None
) -> StaffAccount:
    """The account whose password this is, or AuthenticationError (audited either way).

    Five wrong passwords in a row lock the account for 15 minutes; the message never says whether
    the user name exists.
    """
    account = session.scalar(select(StaffAccount).where(StaffAccount.username == username.strip()))
    if account is None:
        verify_password(_DUMMY_HASH, password)
        record(
            session,
            action="login",
            actor_label="user:?",  # what was typed may be a password or a phone number
            outcome="failed",
            detail={"reason": "unknown_user"},
            client_address=client,
            at=now,
        )
        raise AuthenticationError("auth.failed", _WRONG)
    state = LoginState(account.failed_attempts, account.locked_until)

    def audit(outcome: str, detail: dict[str, object] | None = None) -> None:
        record(
            session,
            action="login",
            actor_staff_id=account.staff_id,
            actor_label=f"user:{account.username}",
            outcome=outcome,
            detail=dict(detail or {}),
            client_address=client,
            at=now,
        )

    # A locked account answers as a wrong password does: the answer never tells whether the
    # user name exists (the audit log keeps the difference).
    if is_locked(state, now):
        audit("denied", {"reason": "locked"})
        raise AuthenticationError("auth.failed", _WRONG)
    staff = session.get(Staff, account.staff_id)
    if not verify_password(account.password_hash, password):
        new = after_failure(state, now)
        account.failed_attempts, account.locked_until = new.failed_attempts, new.locked_until
        locked = is_locked(new, now)
        audit("failed", {"reason": "wrong_password", "locked": locked})
        raise AuthenticationError("auth.failed", _WRONG)
    if not account.is_active or staff is None or staff.status is not StaffStatus.ACTIVE:
        audit("denied", {"reason": "inactive"})
        raise AuthenticationError("auth.inactive", "The account is disabled")
    new = after_success()
    account.failed_attempts, account.locked_until = new.failed_attempts, new.locked_until
    account.last_login_at = now
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    audit("ok")
    return account


def change_password(
    session: Session,
    *,
    account_id: int,
    old: str,
    new: str,
    now: datetime,
    keep_session_id: int | None = None,
) -> None:
    """Change the password. A wrong current password counts towards the lock-out like a wrong
    login; a change ends every other session and revokes every API token of the account."""
    account = session.get(StaffAccount, account_id)
    if account is None:
        raise NotFoundError("account.not_found", f"No account {account_id}")
    state = LoginState(account.failed_attempts, account.locked_until)
    if is_locked(state, now):
        raise ValidationError(
            "account.password_invalid",
            "The password was not changed",
            [FieldProblem("old_password", "too many wrong passwords: try again in 15 minutes")],
        )
    problems: list[FieldProblem] = []
    if not verify_password(account.password_hash, old):
        failed = after_failure(state, now)
        account.failed_attempts, account.locked_until = failed.failed_attempts, failed.locked_until
        problems.append(FieldProblem("old_password", "is not the current password"))
    problems += password_problems(new, account.username, field="new_password")
    if problems:
        raise ValidationError("account.password_invalid", "The password was not changed", problems)
    account.password_hash = hash_password(new)
    account.password_changed_at = now
    account.failed_attempts, account.locked_until = 0, None
    ended = session.execute(
        update(StaffSession)
        .where(
            StaffSession.account_id == account.id,
            StaffSession.revoked_at.is_(None),
            StaffSession.id != (keep_session_id or 0),
        )
        .values(revoked_at=now)
    )
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    record(
        session,
        action="password.change",
        actor_staff_id=account.staff_id,
        actor_label=f"user:{account.username}",
        entity="staff_account",
        entity_id=str(account.id),
        detail={
            "sessions_ended": int(getattr(ended, "rowcount", 0) or 0),
            "tokens_revoked": int(getattr(revoked, "rowcount", 0) or 0),
        },
        at=now,
    )


# --- sessions and tokens --------------------------------------------------------------------------


def open_session(
    session: Session, account: StaffAccount, *, now: datetime, client: str | None
) -> tuple[str, StaffSession]:
    """A new console session; returns the token for the cookie (kept only as a digest here)."""
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        account_id=account.id,
        token_digest=digest(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_ABSOLUTE,
        client_address=client,
    )
    session.add(row)
    session.flush()
    return token, row


def end_session(session: Session, session_id: int, *, now: datetime) -> None:
    row = session.get(StaffSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        account = session.get(StaffAccount, row.account_id)
        record(
            session,
            action="logout",
            actor_staff_id=account.staff_id if account else None,
            entity="staff_session",
            entity_id=str(row.id),
            at=now,
        )


def issue_api_token(
    session: Session, *, account_id: int, name: str, now: datetime, days: int = API_TOKEN_DAYS
) -> tuple[str, ApiToken]:
    """A bearer token for ``account_id``; the token itself is returned once and never stored."""
    account = session.get(StaffAccount, account_id)
    if account is None:
        raise NotFoundError("account.not_found", f"No account {account_id}")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        account_id=account_id,
        name=name[:64] or "api",
        prefix=token[:10],
        token_digest=digest(token),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    record(
        session,
        action="api_token.issue",
        actor_staff_id=account.staff_id,
        entity="api_token",
        entity_id=str(row.id),
        detail={"name": row.name, "days": days},
        at=now,
    )
    return token, row


def list_api_tokens(session: Session, *, account_id: int) -> list[ApiToken]:
    """The account's tokens, newest first (digests only: a token is shown once, at issue)."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.account_id == account_id).order_by(ApiToken.id.desc())
        )
    )


def revoke_api_token(session: Session, *, token_id: int, account_id: int, now: datetime) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.account_id != account_id:
        raise NotFoundError("api_token.not_found", f"No API token {token_id} of yours")
    row.revoked_at = now
    account = session.get(StaffAccount, account_id)
    record(
        session,
        action="api_token.revoke",
        actor_staff_id=account.staff_id if account else None,
        entity="api_token",
        entity_id=str(token_id),
        at=now,
    )


@dataclass(frozen=True)
class _Resolved:
    account: StaffAccount
    via: str
    session_id: int | None
    token_id: int | None


@dataclass(frozen=True)
class Lookup:
    """Who a session or token belongs to, and whether its last activity is due to be recorded."""

    principal: Principal | None
    touch_due: bool = False


def lookup_session(session: Session, token: str, *, now: datetime) -> Lookup:
    """The principal of a live console session (None: unknown, revoked, idle or expired). Reads
    only: recording the activity is :func:`touch`'s, in a short transaction of its own."""
    row = session.scalar(select(StaffSession).where(StaffSession.token_digest == digest(token)))
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return Lookup(None)
    if now - row.last_seen_at > SESSION_IDLE:
        return Lookup(None)
    account = session.get(StaffAccount, row.account_id)
    if account is None:
        return Lookup(None)
    principal = _principal(session, _Resolved(account, "session", row.id, None))
    return Lookup(principal, now - row.last_seen_at > _TOUCH_EVERY)


def lookup_token(session: Session, token: str, *, now: datetime) -> Lookup:
    """The principal of a live API token, or None; reads only, like :func:`lookup_session`."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_digest == digest(token)))
    if row is None or row.revoked_at is not None or now >= row.expires_at:
        return Lookup(None)
    account = session.get(StaffAccount, row.account_id)
    if account is None:
        return Lookup(None)
    principal = _principal(session, _Resolved(account, "token", None, row.id))
    due = row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY
    return Lookup(principal, due)


def touch(session: Session, principal: Principal, *, now: datetime) -> None:
    """Record the session's or token's activity, at most once a minute: a conditional UPDATE, so
    concurrent requests of one user write once and hold no lock for long."""
    stale = now - _TOUCH_EVERY
    if principal.session_id is not None:
        session.execute(
            update(StaffSession)
            .where(StaffSession.id == principal.session_id, StaffSession.last_seen_at < stale)
            .values(last_seen_at=now)
        )
    elif principal.token_id is not None:
        session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == principal.token_id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < stale),
            )
            .values(last_used_at=now)
        )


def principal_for_session(session: Session, token: str, *, now: datetime) -> Principal | None:
    """:func:`lookup_session` and :func:`touch` in the caller's transaction."""
    found = lookup_session(session, token, now=now)
    if found.principal is not None and found.touch_due:
        touch(session, found.principal, now=now)
    return found.principal


def principal_for_token(session: Session, token: str, *, now: datetime) -> Principal | None:
    """:func:`lookup_token` and :func:`touch` in the caller's transaction."""
    found = lookup_token(session, token, now=now)
    if found.principal is not None and found.touch_due:
        touch(session, found.principal, now=now)
    return found.principal


def _descendant_branches(session: Session, root: int) -> frozenset[int]:
    children: dict[int | None, list[int]] = {}
    for branch_id, parent_id in session.execute(select(Branch.id, Branch.parent_id)):
        children.setdefault(parent_id, []).append(branch_id)
    found, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return frozenset(found)


def _principal(session: Session, resolved: _Resolved) -> Principal | None:
    account = resolved.account
    staff = session.get(Staff, account.staff_id)
    if not account.is_active or staff is None or staff.status is not StaffStatus.ACTIVE:
        return None
    role = Role(staff.role)
    scope = scope_for(role)
    return Principal(
        account_id=account.id,
        staff_id=staff.id,
        username=account.username,
        name=staff.name,
        role=role,
        branch_id=staff.branch_id,
        branch_ids=_descendant_branches(session, staff.branch_id)
        if scope.value == "branch"
        else frozenset({staff.branch_id}),
        permissions=role_permissions(session, role),
        scope=scope,
        via=resolved.via,
        session_id=resolved.session_id,
        token_id=resolved.token_id,
    )


def purge_expired_sessions(session: Session, *, now: datetime) -> int:
    """Delete sessions past their absolute expiry (housekeeping)."""
    result = session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    return int(getattr(result, "rowcount", 0) or 0)
