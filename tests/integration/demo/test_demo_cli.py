"""`loanpilot demo build` end to end on a real SQLite file: builds, refuses to overwrite, resets."""

from __future__ import annotations

import json
import sqlite3

from typer.testing import CliRunner

from loanpilot.cli import app

runner = CliRunner()


def _env(tmp_path) -> dict[str, str]:
    return {
        "LOANPILOT_VAR_DIR": str(tmp_path / "var"),
        "LOANPILOT_DATABASE_URL": "",
        "COLUMNS": "160",
        "NO_COLOR": "1",
    }


def _customers(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "var" / "loanpilot.db") as conn:
        return conn.execute("select count(*) from customers").fetchone()[0]


def test_build_refuse_keep_and_reset(tmp_path) -> None:
    env = _env(tmp_path)
    first = runner.invoke(
        app,
        ["demo", "build", "--customers", "300", "--seed", "5", "--as-of", "2026-06-30"],
        env=env,
    )
    assert first.exit_code == 0, first.output
    assert "Demo bank built" in first.output
    assert _customers(tmp_path) == 300
    truth = json.loads((tmp_path / "var" / "demo-truth.json").read_text(encoding="utf-8"))
    assert truth["as_of"] == "2026-06-30"

    again = runner.invoke(app, ["demo", "build", "--customers", "400"], env=env)
    assert again.exit_code == 1
    assert "already holds 300 customers" in again.output
    assert _customers(tmp_path) == 300

    keep = runner.invoke(app, ["demo", "build", "--if-missing"], env=env)
    assert keep.exit_code == 0
    assert "nothing to do" in keep.output

    reset = runner.invoke(
        app, ["demo", "build", "--customers", "400", "--reset", "--as-of", "2026-06-30"], env=env
    )
    assert reset.exit_code == 0, reset.output
    assert _customers(tmp_path) == 400


def test_bad_date_is_explained(tmp_path) -> None:
    result = runner.invoke(app, ["demo", "build", "--as-of", "2026-13-01"], env=_env(tmp_path))
    assert result.exit_code == 2
    assert "--as-of must be a date" in result.output
