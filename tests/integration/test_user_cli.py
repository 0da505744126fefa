"""``loanpilot user create`` and ``user token`` end to end, and the demo bank's logins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from loanpilot.access import service
from loanpilot.access.models import StaffAccount
from loanpilot.access.rules import DEFAULT_MATRIX
from loanpilot.audit.models import AuditLog
from loanpilot.cli import app
from loanpilot.config import Settings
from loanpilot.demo.accounts import DEMO_PASSWORD, DEMO_USERS
from loanpilot.team.models import Branch, Role, Staff

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


@pytest.fixture
def cli(settings: Settings, migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LOANPILOT_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def test_the_first_administrator_is_created_and_can_log_in(
    cli: CliRunner, migrated_engine: Engine
) -> None:
    result = cli.invoke(
        app,
        ["user", "create", "--username", "wangmin", "--name", "王敏", "--password-stdin"],
        input="Strong-pass-2026\n",
    )
    assert result.exit_code == 0, result.output
    assert "Strong-pass-2026" not in result.output
    with Session(migrated_engine) as session:
        account = service.authenticate(
            session, username="wangmin", password="Strong-pass-2026", now=NOW, client=None
        )
        staff = session.get(Staff, account.staff_id)
        assert staff is not None
        assert staff.role is Role.ADMINISTRATOR
        branch = session.get(Branch, staff.branch_id)
        assert branch is not None
        assert branch.parent_id is None  # the head office, created on an empty database
        assert (
            service.permission_matrix(session)[Role.ADMINISTRATOR]
            == DEFAULT_MATRIX[Role.ADMINISTRATOR]
        )
        audit = session.scalar(select(AuditLog).where(AuditLog.action == "account.create"))
        assert audit is not None
        assert audit.actor_label == "cli"

    token = cli.invoke(
        app, ["user", "token", "--username", "wangmin", "--name", "crm", "--days", "7"]
    )
    assert token.exit_code == 0, token.output
    value = token.output.strip().splitlines()[-1]
    assert value.startswith("lp_")
    with Session(migrated_engine) as session:
        assert service.principal_for_token(session, value, now=NOW) is not None


def test_a_weak_password_or_a_taken_name_is_refused_with_every_reason(
    cli: CliRunner, migrated_engine: Engine
) -> None:
    weak = cli.invoke(
        app,
        ["user", "create", "--username", "li", "--name", "李", "--password-stdin"],
        input="li\n",
    )
    assert weak.exit_code == 1
    assert "account.invalid" in weak.output
    assert "at least 10 characters" in weak.output
    assert "user name" in weak.output
    ok = cli.invoke(
        app,
        [
            "user",
            "create",
            "--username",
            "zhao",
            "--name",
            "赵",
            "--role",
            "auditor",
            "--password-stdin",
        ],
        input="Audit-pass-2026\n",
    )
    assert ok.exit_code == 0, ok.output
    again = cli.invoke(
        app,
        ["user", "create", "--username", "zhao", "--name", "赵", "--password-stdin"],
        input="Audit-pass-2026\n",
    )
    assert again.exit_code == 1
    assert "account.username_taken" in again.output
    with Session(migrated_engine) as session:
        assert session.scalar(select(StaffAccount.id).where(StaffAccount.username == "li")) is None
        assert len(session.scalars(select(StaffAccount.id)).all()) == 1


def test_the_demo_bank_has_one_login_per_role(demo_bank) -> None:
    with Session(demo_bank.engine) as session:
        rows = session.execute(
            select(StaffAccount.username, Staff.role).join(Staff, Staff.id == StaffAccount.staff_id)
        ).all()
        assert {(u, Role(r)) for u, r in rows} == set(DEMO_USERS)
        for username, _role in DEMO_USERS:
            service.authenticate(
                session, username=username, password=DEMO_PASSWORD, now=NOW, client=None
            )
        session.rollback()


def test_the_demo_bank_is_refused_in_production(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import secrets

    monkeypatch.setenv("LOANPILOT_ENVIRONMENT", "production")
    monkeypatch.setenv("LOANPILOT_SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("LOANPILOT_DATA_KEY", base64.b64encode(secrets.token_bytes(64)).decode())
    result = cli.invoke(app, ["demo", "build", "--customers", "100"])
    assert result.exit_code == 1
    assert "demo.production" in result.output
