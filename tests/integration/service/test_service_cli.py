"""``loanpilot service`` commands and the work plan's service chapter on the demo site's bank (which
tests may write to: counts are not assumed, only their consistency)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy.orm import Session
from tests.conftest import DEMO_AS_OF, DemoSite
from typer.testing import CliRunner

from loanpilot.cli import app
from loanpilot.evaluation.plan_types import Section
from loanpilot.kit.periods import parse_period
from loanpilot.service.plan_section import plan_section


def test_service_commands(demo_site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = demo_site.bank.settings
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LOANPILOT_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("COLUMNS", "220")
    cli = CliRunner()
    first = cli.invoke(app, ["service", "send-surveys", "--date", DEMO_AS_OF])
    assert first.exit_code == 0, first.output
    again = cli.invoke(app, ["service", "send-surveys", "--date", DEMO_AS_OF])
    assert again.exit_code == 0, again.output
    assert f"{DEMO_AS_OF}: 0 invitation(s) sent" in again.output
    breaches = cli.invoke(app, ["service", "sla-breaches", "--period", "2026Q4", "--limit", "5"])
    assert breaches.exit_code == 0, breaches.output
    assert "application_to_decision" in breaches.output
    assert "Breaches (" in breaches.output
    shown = cli.invoke(app, ["service", "satisfaction", "--period", "2026Q3", "--by", "product"])
    assert shown.exit_code == 0, shown.output
    assert "source: kpi:satisfaction,nps period=2026Q3 by=product" in shown.output
    assert cli.invoke(app, ["service", "quality", "--period", "2026Q3"]).exit_code == 0
    for argv in (
        ["send-surveys", "--date", "29/11/2026"],
        ["sla-breaches", "--period", "2026Q5"],
        ["satisfaction", "--by", "weather"],
    ):
        assert cli.invoke(app, ["service", *argv]).exit_code == 2


def test_plan_section_every_number_has_its_source(demo_site: DemoSite) -> None:
    with Session(demo_site.bank.engine) as session:
        section = plan_section(session, parse_period("2026Q3"), date.fromisoformat(DEMO_AS_OF))
    assert isinstance(section, Section)
    assert (section.key, section.title_zh) == ("service", "客户服务")
    keys = {f.key for f in section.figures}
    for text in section.paragraphs_zh + section.paragraphs_en:
        assert set(re.findall(r"\{(\w+)\}", text)) <= keys
    assert all(f.source for f in section.figures)
    assert all(t.source and t.rows for t in section.tables[:3])
    assert all(c.source and len(c.categories) == 12 for c in section.charts[:2])
    figures = {f.key: f.value for f in section.figures}
    assert 1 <= figures["satisfaction"] <= 5
    assert -1 <= figures["nps"] <= 1
    assert figures["sla_breaches"] <= figures["sla_measured"]
    assert 0 < figures["quality_average"] <= 100
