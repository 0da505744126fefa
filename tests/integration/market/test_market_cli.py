"""``loanpilot market import-sizes / import-competitors / sizes / share / positioning`` on the demo
site's bank (which tests may write to; the rows made here are removed afterwards)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session
from tests.conftest import DEMO_AS_OF, DemoSite
from typer.testing import CliRunner

from loanpilot.cli import app
from loanpilot.market.models import Competitor, CompetitorProduct, MarketSize

REGION = "命令行测试省"
COMPETITOR = "命令行测试银行"


@pytest.fixture
def cli(demo_site: DemoSite, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    settings = demo_site.bank.settings
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LOANPILOT_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("COLUMNS", "200")
    yield CliRunner()
    with Session(demo_site.bank.engine) as s, s.begin():
        s.execute(delete(MarketSize).where(MarketSize.region == REGION))
        ids = [c.id for c in s.query(Competitor).filter(Competitor.name == COMPETITOR)]
        s.execute(delete(CompetitorProduct).where(CompetitorProduct.competitor_id.in_(ids)))
        s.execute(delete(Competitor).where(Competitor.id.in_(ids)))


def test_imports_and_reads(cli: CliRunner, tmp_path: Path) -> None:
    sizes = tmp_path / "sizes.csv"
    sizes.write_text(
        "product_line,region,period,total_balance_yuan,source\n"
        f"housing,{REGION},2026Q1,100,测试\nhousing,{REGION},2026-03,100,测试\n",
        encoding="utf-8",
    )
    done = cli.invoke(app, ["market", "import-sizes", str(sizes), "--as-of", DEMO_AS_OF])
    assert done.exit_code == 0, done.output
    assert "rejected" in done.output
    assert "sizes.csv, row 3, column period: period 2026-03 overlaps 2026Q1" in done.output
    again = cli.invoke(app, ["market", "import-sizes", str(sizes), "--as-of", DEMO_AS_OF])
    assert "1 rows matched stored figures and updated them" in again.output
    listed = cli.invoke(app, ["market", "sizes", "--region", REGION])
    assert listed.exit_code == 0
    assert "2026Q1" in listed.output
    comp = tmp_path / "comp.csv"
    comp.write_text(
        "competitor,competitor_kind,product,product_line,subtype,min_annual_rate,max_amount_yuan,"
        "max_term_months,observed_on,source\n"
        f"{COMPETITOR},city_commercial,测试贷,consumer,travel,4.5%,100000,24,2026-11-01,测试\n",
        encoding="gbk",
    )
    imported = cli.invoke(app, ["market", "import-competitors", str(comp), "--as-of", DEMO_AS_OF])
    assert imported.exit_code == 0, imported.output
    assert "gb18030" in imported.output
    share = cli.invoke(app, ["market", "share", "--period", "2026Q3", "--by", "region",
                             "--as-of", DEMO_AS_OF])  # fmt: skip
    assert share.exit_code == 0, share.output
    assert "浙江" in share.output
    assert "source: kpi:market_share period=2026Q3 by=region" in share.output
    positioning = cli.invoke(app, ["market", "positioning", "--as-of", DEMO_AS_OF])
    assert positioning.exit_code == 0
    assert "HL-COM" in positioning.output


def test_errors(cli: CliRunner, tmp_path: Path) -> None:
    missing = cli.invoke(app, ["market", "import-sizes", str(tmp_path / "none.csv")])
    assert missing.exit_code == 1
    assert "no such file" in missing.output
    assert cli.invoke(app, ["market", "share", "--period", "2026Q9"]).exit_code == 2
    assert cli.invoke(app, ["market", "share", "--by", "branch"]).exit_code == 2
    assert cli.invoke(app, ["market", "sizes", "--line", "cars"]).exit_code == 2
    assert cli.invoke(app, ["market", "positioning", "--as-of", "yesterday"]).exit_code == 2
