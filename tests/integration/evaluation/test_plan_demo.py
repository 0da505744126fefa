"""The generated work plan on the read-only demo bank (built once per module, nothing stored):
every chapter of ours is there and well formed, every number agrees with the KPI suite to the fen,
the appendix lists every source, the CLI writes the page, and Chromium prints a real PDF."""

from __future__ import annotations

import html as html_lib
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import DEMO_AS_OF, DemoBank
from typer.testing import CliRunner

from loanpilot.cli import app
from loanpilot.db.session import make_session_factory
from loanpilot.evaluation import kpis, plan_store
from loanpilot.evaluation.plan_pdf import cjk_fonts, html_to_pdf
from loanpilot.evaluation.plan_render import all_sources, check_section, format_value, render_html
from loanpilot.evaluation.plan_types import Section
from loanpilot.kit.money import format_wan
from loanpilot.kit.periods import parse_period

TODAY = date.fromisoformat(DEMO_AS_OF)
NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
PERIOD = parse_period("2026Q4")
OURS = {"customers": ["customers"], "products": ["products"], "channels": ["channels"],
        "campaigns": ["campaigns", "proposals"], "risk": ["risk"]}  # fmt: skip


@dataclass(frozen=True)
class Made:
    generated: plan_store.Generated
    backend: str
    overall: dict[str, kpis.KpiValue]
    by_channel: list[kpis.KpiValue]


@pytest.fixture(scope="module")
def made(demo_bank: DemoBank) -> Made:
    with make_session_factory(demo_bank.engine)() as session:
        generated = plan_store.generate(session, "2026Q4", now=NOW, today=TODAY, store=False)
        overall = {v.code: v for v in kpis.compute(session, PERIOD, today=TODAY)}
        by_channel = kpis.compute(session, PERIOD, dimension="channel", today=TODAY,
                                  codes=["applications", "approval_rate", "disbursed_fen", "referral_rate"])  # fmt: skip
        session.rollback()
    return Made(generated, demo_bank.engine.dialect.name, overall, by_channel)


def _part(made: Made, key: str) -> Section:
    return next(p for c in made.generated.document.chapters for p in c.parts if p.key == key)


def test_our_chapters_are_built_and_well_formed(made: Made) -> None:
    doc = made.generated.document
    assert [c.number for c in doc.chapters] == list(range(1, 10))
    for chapter, parts in OURS.items():
        found = doc.chapter(chapter)
        assert found is not None, chapter
        assert [p.key for p in found.parts][: len(parts)] == parts, found.unavailable
    kpi_part = doc.chapter("evaluation")
    assert kpi_part is not None
    assert kpi_part.parts[0].key == "kpis"
    for section in doc.sections():
        assert check_section(section) == [], section.key
        for paragraph in section.paragraphs_zh:  # no number typed into prose by hand
            prose = re.sub(
                r"\{\w+\}|\d{4}年(第\d季度|[上下]半年|\d{1,2}月)?|\d{4}(Q\d|H\d|-\d\d)",
                "",
                paragraph,
            )
            assert not re.search(r"\d{3,}", prose), paragraph
    summary = doc.summary
    assert {"applications", "disbursed", "npl_ratio"} <= {f.key for f in summary.figures}
    # the demo bank has no next-best-offer run: the proposals say so and how to make one
    assert "loanpilot offers build" in _part(made, "proposals").paragraphs_zh[0]


def test_every_kpi_figure_agrees_with_the_kpi_suite_to_the_fen(made: Made) -> None:
    figures = {f.key: f for f in _part(made, "kpis").figures}
    for code, value in made.overall.items():
        assert figures[code].value == value.value, code
        assert figures[code].source == kpis.source(code, PERIOD, "all")
    risk = {f.key: f for f in _part(made, "risk").figures}
    assert risk["npl_ratio"].value == made.overall["npl_ratio"].value
    assert risk["overdue_rate"].value == made.overall["overdue_rate"].value
    summary = {f.key: f for f in made.generated.document.summary.figures}
    assert summary["disbursed"].value == made.overall["disbursed_fen"].value
    assert isinstance(summary["disbursed"].value, Decimal)
    assert summary["disbursed"].value > 0
    table = _part(made, "channels").tables[0]
    expected = {v.key: v for v in made.by_channel if v.code == "disbursed_fen"}
    assert sum(row[3] or 0 for row in table.rows) == sum(v.value or 0 for v in expected.values())
    assert len(table.rows) == len({v.key for v in made.by_channel})


def test_the_page_links_every_number_and_lists_every_source(made: Made) -> None:
    page = made.generated.html
    sources = all_sources(made.generated.document.sections())
    assert len(sources) > 20
    for source in sources:
        assert f"<code>{escape(source)}</code>" in page, source
    numbers = set(re.findall(r'href="#src-(\d+)"', page))
    assert numbers == {str(i) for i in range(1, len(sources) + 1)}
    assert page.count("<svg") >= 8
    assert "<script" not in page
    english = render_html(made.generated.document, "en", strict=True)
    assert "Personal-Loan Marketing Work Plan" in english
    assert "Appendix: data sources" in english


#: Chinese characters and the full-width punctuation that only Chinese text uses.
CJK = re.compile(r"[\u3400-\u9fff\u3001\u3002\uff08\uff09\uff0c\uff1a\uff1b]+")


def proper_names(session: Session) -> list[str]:
    """The names a plan may quote in Chinese in any language, being the bank's own words: the
    bank and its branches, staff, partners, campaigns, improvement actions' titles, competitors
    and their products (longest first, so a name inside another is not split)."""
    from loanpilot.campaigns.models import Campaign
    from loanpilot.channels.models import Partner
    from loanpilot.evaluation.models import ImprovementAction
    from loanpilot.market.models import Competitor, CompetitorProduct
    from loanpilot.team.models import Branch, Staff

    names: set[str] = set()
    for column in (Branch.name, Staff.name, Partner.name, Campaign.name, ImprovementAction.title,
                   Competitor.name, CompetitorProduct.name):  # fmt: skip
        names |= {str(n) for n in session.scalars(select(column)) if n}
    names |= {n.removesuffix("总行") for n in names if n.endswith("总行")}
    return sorted(names, key=len, reverse=True)


def chinese_outside_proper_names(page: str, names: list[str]) -> list[str]:
    """Every run of Chinese characters in the page's visible text (charts included) that is not
    one of ``names`` or a piece of one, with a little context."""
    text = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", text))
    for name in names:
        text = text.replace(name, " ")
    # what is left may be a piece of a name that a chart wrapped onto two lines or cut with "…"
    return [text[max(0, m.start() - 30) : m.end() + 30] for m in CJK.finditer(text)
            if not any(m.group() in name for name in names)]  # fmt: skip


def test_rates_gaps_are_in_points_and_money_rounds_as_the_dashboard(made: Made) -> None:
    products = {f.key: f for f in _part(made, "products").figures}
    assert products["band"].unit == "pp"
    assert format_value(products["band"].value, "pp", "zh") == "0.25个百分点"
    if "gap_points" in products:  # a gap to the competitors' median is in percentage points
        assert products["gap_points"].unit == "pp"
        assert "个百分点" in made.generated.html
    market = next((p for c in made.generated.document.chapters for p in c.parts
                   if p.key == "market"), None)  # fmt: skip
    if market is not None:
        change = {f.key: f for f in market.figures}["share_change"]
        assert change.unit == "pp"
    kpi_table = _part(made, "kpis").tables[0]
    for row in kpi_table.rows:
        assert "pts" not in str(row[5])
    fen = made.overall["disbursed_fen"].value
    assert fen is not None
    shown = format_value(fen, "fen", "zh")
    assert shown == format_wan(int(fen)) + "元"  # the dashboards' 万 rounding, to the last digit
    assert shown in made.generated.html
    caveat = "增量净收入"  # campaign ROI is never quoted without how it is defined
    assert all(
        caveat in p for p in made.generated.document.summary.paragraphs_zh if "{campaign_roi}" in p
    )


def test_cli_writes_the_plan_without_storing(demo_bank: DemoBank, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("LOANPILOT_DATABASE_URL", demo_bank.url)
    monkeypatch.setenv("LOANPILOT_VAR_DIR", str(demo_bank.settings.var_dir))
    monkeypatch.setenv("COLUMNS", "200")
    cli = CliRunner()
    out = tmp_path / "plan.html"
    argv = [
        "plan",
        "report",
        "--period",
        "2026Q4",
        "--out",
        str(out),
        "--no-store",
        "--today",
        DEMO_AS_OF,
    ]
    done = cli.invoke(app, [*argv, "--lang", "en"])
    assert done.exit_code == 0, done.output
    assert "not stored" in done.output
    assert "chapter" in done.output
    text = out.read_text(encoding="utf-8")
    assert "Personal-Loan Marketing Work Plan" in text
    assert 'data-chapter="risk" data-available="yes"' in text
    # the English plan reads in English: Chinese is left only in the bank's own proper names
    with Session(demo_bank.engine) as session:
        left = chinese_outside_proper_names(text, proper_names(session))
    assert left == [], left[:10]
    assert ">2026 Q4<" in text  # the cover's period, not "2026年第4季度"
    bad = cli.invoke(
        app, ["plan", "report", "--period", "2026Q5", "--out", str(tmp_path / "x.html")]
    )
    assert bad.exit_code == 1
    assert "--period" in bad.output
    future = cli.invoke(app, [*argv[:3], "2099Q1", *argv[4:]])
    assert future.exit_code == 1
    assert "--period" in future.output
    assert "2099Q1" in future.output
    assert cli.invoke(app, [*argv, "--lang", "fr"]).exit_code == 1


CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None
)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed here (CI installs it)")
def test_chromium_prints_a_real_pdf_with_chinese(made: Made, tmp_path: Path) -> None:
    if made.backend != "sqlite":
        pytest.skip("the page is the same on every backend: printed once, from the SQLite bank")
    assert cjk_fonts(), "no CJK font (fc-list :lang=zh): apt-get install fonts-noto-cjk"
    pdf = html_to_pdf(made.generated.html, tmp_path / "plan.pdf", CHROMIUM or "")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert 100_000 < len(data) < 30_000_000
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
    assert pages > 10  # cover, contents, summary, nine chapters, appendix
    assert b"CJK" in data  # a Chinese font is embedded
