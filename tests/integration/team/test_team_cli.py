"""``loanpilot team`` on the small hand-built bank (SQLite and PostgreSQL): reassign a whole
portfolio or a file of customers (exit 0; refused with the problems and exit 1), import attendance
(good rows kept, rejected rows listed), print the reminders and the hours of a period."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.team import test_team_bank as shared
from tests.integration.team.test_team_bank import Bank
from typer.testing import CliRunner, Result

from loanpilot.customers.models import Customer
from loanpilot.db.session import transaction
from loanpilot.kit.clock import SHANGHAI
from loanpilot.team.cli import team_app
from loanpilot.team.models import Certification, TrainingCourse

team_url, team_db, bank = shared.team_url, shared.team_db, shared.bank  # the fixtures


@pytest.fixture
def run(team_url: str, tmp_path: Path) -> CliRunner:
    var = tmp_path / "var"
    var.mkdir()
    return CliRunner(env={"COLUMNS": "200", "LOANPILOT_DATABASE_URL": team_url,
                          "LOANPILOT_ENVIRONMENT": "test", "LOANPILOT_VAR_DIR": str(var)})  # fmt: skip


def _said(result: Result) -> str:
    return result.output + (result.stderr if result.stderr_bytes else "")


def test_reassign_a_whole_portfolio_then_a_file(
    run: CliRunner, team_db: sessionmaker[Session], bank: Bank, tmp_path: Path
) -> None:
    done = run.invoke(team_app, ["reassign", "--from", bank.e("E001"), "--to", bank.e("E004"),
                                 "--reason", "离职交接"])  # fmt: skip
    assert done.exit_code == 0, _said(done)
    assert "moved 3 customers" in done.output
    listing = tmp_path / "customers.csv"
    listing.write_text(f"customer_no\n{bank.c('C1')}\nNOPE\n", encoding="utf-8")
    refused = run.invoke(team_app, ["reassign", "--to", bank.e("E002"), "--customers",
                                    str(listing), "--reason", "调整"])  # fmt: skip
    assert refused.exit_code == 1
    assert "customers.csv, row 3, column customer: no customer NOPE" in _said(refused)
    listing.write_text(f"{bank.c('C1')}\n{bank.c('C2')}\n", encoding="utf-8")
    moved = run.invoke(team_app, ["reassign", "--to", bank.e("E002"), "--customers",
                                  str(listing), "--reason", "调整"])  # fmt: skip
    assert moved.exit_code == 0, _said(moved)
    with team_db() as s:
        assert s.get(Customer, bank.customers["C1"]).manager_id == bank.staff["E002"]
        assert s.get(Customer, bank.customers["C3"]).manager_id == bank.staff["E004"]
    usage = run.invoke(team_app, ["reassign", "--to", bank.e("E002"), "--reason", "x"])
    assert usage.exit_code == 2


def test_training_import_reminders_and_hours(
    run: CliRunner, team_db: sessionmaker[Session], bank: Bank, tmp_path: Path
) -> None:
    today = datetime.now(SHANGHAI).date()
    with transaction(team_db) as s:
        s.add(TrainingCourse(code=f"{bank.prefix}A", title="产品", topic="product", hours=4,
                             mandatory_for=["customer_manager"]))  # fmt: skip
        s.add(Certification(staff_id=bank.staff["E001"], name="AFP", issuer="FPSB",
                            issued_on=date(2024, 1, 1), expires_on=today + timedelta(days=5)))  # fmt: skip
    day = (today - timedelta(days=3)).isoformat()
    file = tmp_path / "attendance.csv"
    file.write_text(
        "employee_no,course_code,session_date,hours_attended,exam_score,passed\n"
        f"{bank.e('E001')},{bank.prefix}A,{day},4,90,\n"
        f"{bank.e('E001')},{bank.prefix}A,{day},5,,\n", encoding="utf-8")  # fmt: skip
    imported = run.invoke(team_app, ["training", "import", str(file)])
    assert imported.exit_code == 0, _said(imported)
    assert "2 rows, imported 1, rejected 1" in imported.output
    assert "hours_attended" in imported.output
    reminders = run.invoke(team_app, ["reminders"])
    assert reminders.exit_code == 0, _said(reminders)
    assert bank.e("E001") in reminders.output
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    hours = run.invoke(team_app, ["hours", "--period", quarter])
    assert hours.exit_code == 0, _said(hours)
    line = next(x for x in hours.output.splitlines() if bank.e("E001") in x)
    cells = [c.strip() for c in line.split("│")]
    assert cells[5:7] == ["1", "4"]  # sessions, hours
    bad = run.invoke(team_app, ["hours", "--period", "2026Q5"])
    assert bad.exit_code == 2
