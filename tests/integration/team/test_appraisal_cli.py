"""``loanpilot appraisal plans / run / show`` on the demo site's bank (which tests may write to)."""

from __future__ import annotations

import re

import pytest
from tests.conftest import DemoSite
from typer.testing import CliRunner

from loanpilot.cli import app


def test_plans_run_and_show(demo_site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = demo_site.bank.settings
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LOANPILOT_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("COLUMNS", "240")
    cli = CliRunner()
    listed = cli.invoke(app, ["appraisal", "plans", "--period", "2026Q3"])
    assert listed.exit_code == 0, listed.output
    assert "customer_manager" in listed.output
    ran = cli.invoke(
        app,
        ["appraisal", "run", "--role", "customer_manager", "--period", "2026Q3", "--group", "bank"],
    )
    assert ran.exit_code == 0, ran.output
    found = re.search(r"run (\d+) of plan \d+: (\d+) staff scored", ran.output)
    assert found is not None
    assert int(found.group(2)) > 10
    top = re.search(r"│ bank\s+│ 1/\d+\s+│ (E\d+)", ran.output)
    assert top is not None
    shown = cli.invoke(app, ["appraisal", "show", "--staff", top.group(1), "--period", "2026Q3"])
    assert shown.exit_code == 0, shown.output
    assert f"run {found.group(1)}" in shown.output
    assert "rank 1/" in shown.output
    assert "kpi:disbursed_fen period=2026Q3 by=manager" in shown.output
    english = cli.invoke(
        app, ["appraisal", "show", "--staff", top.group(1), "--period", "2026Q3", "--lang", "en"]
    )
    assert "weight 30%" in english.output
    for argv in (
        ["run"],
        ["run", "--role", "nobody", "--period", "2026Q3"],
        ["plans", "--role", "x"],
    ):
        assert cli.invoke(app, ["appraisal", *argv]).exit_code == 2
    for argv in (
        ["show", "--staff", "E99999", "--period", "2026Q3"],
        ["run", "--plan", "999999"],
        ["run", "--role", "customer_manager", "--period", "2031Q1"],
    ):
        failed = cli.invoke(app, ["appraisal", *argv])
        assert failed.exit_code == 1, failed.output
        assert "Error:" in failed.output
