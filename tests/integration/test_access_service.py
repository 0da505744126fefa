"""Accounts, sessions, tokens and the stored matrix on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.access import service
from loanpilot.access.models import RolePermission, StaffAccount
from loanpilot.access.rules import DEFAULT_MATRIX, Permission, ScopeKind
from loanpilot.audit.models import AuditLog
from loanpilot.db.session import transaction
from loanpilot.kit.errors import AuthenticationError, ConflictError, ValidationError
from loanpilot.team.models import Branch, BranchLevel, Role

NOW = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
PASSWORD = "Zhang-san-2026"


def _user(
    session: Session, username: str = "zhangsan", role: Role = Role.RISK_OFFICER
) -> StaffAccount:
    service.sync_permission_matrix(session)
    return service.create_staff_user(
        session, username=username, password=PASSWORD, name="张三", role=role, now=NOW
    )


def test_matrix_sync_adds_defaults_once_and_keeps_an_administrators_change(
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as session:
        assert service.sync_permission_matrix(session) == 0  # `db upgrade` already filled it
        session.execute(delete(RolePermission))
        added = service.sync_permission_matrix(session)
        assert added == sum(len(p) for p in DEFAULT_MATRIX.values())
        assert service.sync_permission_matrix(session) == 0
        session.execute(
            delete(RolePermission).where(
                RolePermission.role == Role.MARKETING_MANAGER,
                RolePermission.permission == Permission.PRODUCTS_WRITE.value,
            )
        )
        assert service.sync_permission_matrix(session) == 0  # the removal is kept
        matrix = service.permission_matrix(session)
    assert Permission.PRODUCTS_WRITE not in matrix[Role.MARKETING_MANAGER]
    assert matrix[Role.RISK_OFFICER] == DEFAULT_MATRIX[Role.RISK_OFFICER]


def test_login_sessions_expire_when_idle_or_old_and_end_at_logout(
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as session:
        account = _user(session)
        authenticated = service.authenticate(
            session, username="zhangsan", password=PASSWORD, now=NOW, client="127.0.0.1"
        )
        assert authenticated.id == account.id
        token, _row = service.open_session(session, account, now=NOW, client="127.0.0.1")
        principal = service.principal_for_session(session, token, now=NOW + timedelta(minutes=5))
        assert principal is not None
        assert principal.role is Role.RISK_OFFICER
        assert principal.scope is ScopeKind.ALL
        assert principal.permissions == DEFAULT_MATRIX[Role.RISK_OFFICER]
        # Activity keeps it alive; 30 idle minutes end it; ten hours end it whatever happens.
        later = NOW
        for _ in range(19):
            later += timedelta(minutes=29)
            assert service.principal_for_session(session, token, now=later) is not None
        assert (
            service.principal_for_session(session, token, now=later + timedelta(minutes=31)) is None
        )
        token2, _row2 = service.open_session(session, account, now=NOW, client=None)
        assert service.principal_for_session(session, token2, now=NOW + timedelta(hours=10)) is None
        token3, row3 = service.open_session(session, account, now=NOW, client=None)
        service.end_session(session, row3.id, now=NOW)
        assert service.principal_for_session(session, token3, now=NOW) is None
        assert service.principal_for_session(session, "forged", now=NOW) is None
        logins = session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "login")
        )
    assert logins == 1


def test_api_tokens_are_stored_as_digests_and_stop_when_revoked_or_expired(
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as session:
        account = _user(session)
        token, row = service.issue_api_token(
            session, account_id=account.id, name="crm", now=NOW, days=2
        )
        assert token.startswith("lp_")
        assert row.token_digest == service.digest(token)
        assert token.encode() not in row.token_digest
        assert service.principal_for_token(session, token, now=NOW) is not None
        assert service.principal_for_token(session, token, now=NOW + timedelta(days=2)) is None
        service.revoke_api_token(session, token_id=row.id, account_id=account.id, now=NOW)
        assert service.principal_for_token(session, token, now=NOW) is None


def test_wrong_passwords_lock_and_the_lock_is_stored(
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as session:
        _user(session)
    for _ in range(5):
        with transaction(session_factory) as session, pytest.raises(AuthenticationError):
            service.authenticate(
                session, username="zhangsan", password="nope", now=NOW, client=None
            )
    with transaction(session_factory) as session:
        with pytest.raises(AuthenticationError) as caught:
            service.authenticate(
                session, username="zhangsan", password=PASSWORD, now=NOW, client=None
            )
        assert caught.value.code == "auth.failed"  # the same answer as a wrong password
        account = service.authenticate(
            session,
            username="zhangsan",
            password=PASSWORD,
            now=NOW + timedelta(minutes=16),
            client=None,
        )
        assert account.failed_attempts == 0
        outcomes = list(
            session.scalars(
                select(AuditLog.outcome).where(AuditLog.action == "login").order_by(AuditLog.id)
            )
        )
    assert outcomes == ["failed"] * 5 + ["denied", "ok"]


def test_accounts_refuse_taken_names_and_weak_passwords(
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as session:
        account = _user(session)
        with pytest.raises(ConflictError):
            service.create_staff_user(
                session,
                username="zhangsan",
                password=PASSWORD,
                name="李四",
                role=Role.APPROVER,
                now=NOW,
            )
        with pytest.raises(ValidationError) as caught:
            service.create_account(
                session, staff_id=account.staff_id, username="a b", password="short", now=NOW
            )
        fields = sorted(p.field for p in caught.value.problems)
    assert fields == ["password", "password", "username"]


def test_a_branch_head_scope_covers_the_branches_below(
    session_factory: sessionmaker[Session],
) -> None:
    with transaction(session_factory) as session:
        head = Branch(
            code="B1", name="分行", level=BranchLevel.BRANCH, province="浙江", city="杭州"
        )
        session.add(head)
        session.flush()
        subs = [
            Branch(
                code=f"S{i}",
                name="支行",
                level=BranchLevel.SUB_BRANCH,
                parent_id=head.id,
                province="浙江",
                city="杭州",
            )
            for i in range(2)
        ]
        other = Branch(
            code="B2", name="分行", level=BranchLevel.BRANCH, province="浙江", city="宁波"
        )
        session.add_all([*subs, other])
        session.flush()
        service.sync_permission_matrix(session)
        account = service.create_staff_user(
            session,
            username="hangzhou",
            password=PASSWORD,
            name="王五",
            role=Role.BRANCH_HEAD,
            now=NOW,
            branch_code="B1",
        )
        token, _ = service.open_session(session, account, now=NOW, client=None)
        principal = service.principal_for_session(session, token, now=NOW)
        assert principal is not None
        assert principal.branch_ids == {head.id, subs[0].id, subs[1].id}
        assert principal.sees_customer(subs[1].id, None)
        assert not principal.sees_customer(other.id, None)
