"""``loanpilot kpi compute / show / targets`` on the demo site's bank (which tests may write to)."""

from __future__ import annotations

import json

import pytest
from tests.conftest import DemoSite
from typer.testing import CliRunner

from loanpilot.cli import app


def test_compute_show_and_targets(demo_site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = demo_site.bank.settings
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LOANPILOT_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("COLUMNS", "220")
    cli = CliRunner()
    computed = cli.invoke(app, ["kpi", "compute", "--period", "2026-08", "--by", "all,region"])
    assert computed.exit_code == 0, computed.output
    assert "rows written" in computed.output
    again = cli.invoke(app, ["kpi", "compute", "--period", "2026-08", "--by", "all,region"])
    assert again.output.split(":")[-1] == computed.output.split(":")[-1]  # replaced, not added
    live = cli.invoke(app, ["kpi", "show", "--period", "2026-08", "--by", "region", "--json"])
    stored = cli.invoke(
        app, ["kpi", "show", "--period", "2026-08", "--by", "region", "--json", "--stored"]
    )
    assert live.exit_code == 0, live.output
    assert stored.exit_code == 0, stored.output
    live_rows, stored_rows = json.loads(live.output), json.loads(stored.output)
    assert live_rows
    assert [(r["code"], r["key"], r["numerator"]) for r in live_rows] == [
        (r["code"], r["key"], r["numerator"]) for r in stored_rows
    ]
    assert live_rows[0]["source"].startswith("kpi:")
    table = cli.invoke(app, ["kpi", "show", "--period", "2026Q3", "--code", "nps,npl_ratio"])
    assert table.exit_code == 0, table.output
    assert "净推荐值" in table.output
    assert "不良贷款率" in table.output
    saved = cli.invoke(
        app,
        ["kpi", "targets", "set", "--code", "satisfaction", "--period", "2027H1", "--value", "4.6"],
    )
    assert saved.exit_code == 0, saved.output
    assert "4.60" in saved.output
    listed = cli.invoke(app, ["kpi", "targets", "list", "--period", "2027H1", "--json"])
    assert any(
        t["code"] == "satisfaction" and t["target"].startswith("4.6")
        for t in json.loads(listed.output)
    )
    for argv in (
        ["show", "--period", "2026Q5"],
        ["show", "--period", "2026Q3", "--by", "city"],
        ["show", "--period", "2026Q3", "--code", "profit"],
        ["targets", "set", "--code", "satisfaction", "--period", "2027H1", "--value", "6"],
        ["targets", "set", "--code", "applications", "--period", "2027", "--value", "1.5"],
    ):
        refused = cli.invoke(app, ["kpi", *argv])
        assert refused.exit_code == 1, argv
        assert "Error" in refused.output
