"""``loanpilot segments build / list / show`` on the demo site's bank (which tests may write to)."""

from __future__ import annotations

import pytest
from tests.conftest import DEMO_AS_OF, DemoSite
from typer.testing import CliRunner

from loanpilot.cli import app


def test_build_list_and_show(demo_site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = demo_site.bank.settings
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LOANPILOT_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("COLUMNS", "220")
    cli = CliRunner()
    built = cli.invoke(app, ["segments", "build", "--kind", "rules", "--as-of", DEMO_AS_OF])
    assert built.exit_code == 0, built.output
    assert "rules v" in built.output
    assert "青年白领·中收入" in built.output
    clusters = cli.invoke(
        app, ["segments", "build", "--kind", "clusters", "--k", "5", "--as-of", DEMO_AS_OF]
    )
    assert clusters.exit_code == 0, clusters.output
    assert "c05" in clusters.output
    assert "k = 5" in clusters.output
    listed = cli.invoke(app, ["segments", "list", "--kind", "clusters"])
    assert listed.exit_code == 0
    assert "clusters" in listed.output
    assert "✓" in listed.output
    run_id = int(next(line for line in listed.output.splitlines() if "✓" in line).split("│")[1])
    shown = cli.invoke(app, ["segments", "show", str(run_id)])
    assert shown.exit_code == 0
    assert "c01" in shown.output
    for argv in (
        ["build", "--kind", "nope"],
        ["build", "--k", "1"],
        ["build", "--as-of", "29/11/2026"],
    ):
        assert cli.invoke(app, ["segments", *argv]).exit_code == 2
    assert cli.invoke(app, ["segments", "show", "999999"]).exit_code == 1
