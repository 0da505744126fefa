"""Rendering the work plan: value formats, template filling, the appendix of sources."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from loanpilot.evaluation.plan_doc import Chapter, PlanDocument, Unavailable
from loanpilot.evaluation.plan_render import (
    PlanTemplateError,
    Renderer,
    check_section,
    format_value,
    placeholders,
    render_html,
    split_lead_in,
)
from loanpilot.evaluation.plan_types import Chart, Column, Figure, Section, Series, Table
from loanpilot.kit.periods import parse_period


@pytest.mark.parametrize(
    ("value", "unit", "lang", "shown"),
    [
        (123_456_789, "fen", "zh", "123.46万元"),
        (12_000_000_000, "fen", "zh", "1.20亿元"),
        (865_000, "fen", "zh", "8,650.00元"),
        (123_456_789, "fen", "en", "¥1.23 million"),
        (865_000, "fen", "en", "¥8,650.00"),
        (Decimal("0.123456"), "pct", "zh", "12.35%"),
        (Decimal("0.0435"), "rate", "en", "4.35%"),
        (1234, "count", "zh", "1,234"),
        (12.5, "count", "zh", "12.5"),
        (Decimal("4.126"), "score", "en", "4.13"),
        (3.25, "days", "zh", "3.3天"),  # half-up in Decimal, not a float's round-half-even
        (3.25, "days", "en", "3.3 days"),
        # money rounds half-up in Decimal, to the dashboard's last digit
        (12_345_678, "fen", "zh", "12.35万元"),
        (1_115_000, "fen", "zh", "1.12万元"),  # a float would show 1.11万元
        (Decimal("1115000"), "fen", "zh", "1.12万元"),
        (1_234_567_890_500, "fen", "zh", "123.46亿元"),
        (-1_115_000, "fen", "zh", "-1.12万元"),
        (1_115_000, "fen", "en", "¥11,150.00"),
        (1_234_500_000, "fen", "en", "¥12.35 million"),
        (-100, "fen", "en", "-¥1.00"),
        (Decimal("0.001245"), "pct", "zh", "0.12%"),
        (Decimal("0.00125"), "rate", "zh", "0.13%"),
        # a gap between two rates is in percentage points, not per cent
        (Decimal("0.0037"), "pp", "zh", "0.37个百分点"),
        (Decimal("0.0037"), "pp", "en", "0.37 pp"),
        (Decimal("-0.0215"), "pp", "en", "-2.15 pp"),
        (60, "days", "zh", "60天"),  # a whole number of days has no ".0"
        (60, "days", "en", "60 days"),
        ("青年白领", "text", "zh", "青年白领"),
        (None, "pct", "zh", "—"),
        (None, "text", "en", "—"),
    ],
)
def test_format_value(value: object, unit: str, lang: str, shown: str) -> None:
    assert format_value(value, unit, lang) == shown  # type: ignore[arg-type]


def test_axis_labels_are_short_and_never_in_exponent_notation() -> None:
    from loanpilot.evaluation.plan_render import axis_formatter

    zh = axis_formatter("fen", "zh", [193_700_000_000.0, 3_074_000_000.0])
    assert zh(193_700_000_000) == "19.37亿"
    assert zh(50_000_000_000) == "5亿"
    small = axis_formatter("fen", "zh", [85_680_000.0])
    assert small(85_680_000) == "85.68万"
    assert small(200_000_000) == "200万"
    en = axis_formatter("fen", "en", [193_700_000_000.0])
    assert en(193_700_000_000) == "¥1.94bn"
    assert axis_formatter("fen", "en", [85_680_000.0])(85_680_000) == "¥856.8k"
    pct = axis_formatter("pct", "zh")
    assert pct(0.0006123) == "0.06%"
    assert pct(0.5342) == "53.42%"
    assert axis_formatter("count", "zh")(12_345) == "12,345"
    assert "e+" not in zh(1e14)


def _section() -> Section:
    return Section(
        "demo", "演示", "Demo",
        paragraphs_zh=("【现状】放款 {paid}，通过率 {rate}；{{不是占位符}}",),
        paragraphs_en=("[Situation] {paid} paid, {rate} approved.",),
        figures=(Figure("paid", "放款", "Paid", 1_000_000, "fen", "kpi:disbursed_fen period=2026Q4 by=all"),
                 Figure("rate", "通过率", "Rate", Decimal("0.5"), "pct", "kpi:approval_rate period=2026Q4 by=all")),
        tables=(Table("表", "Table", (Column("a", "a"), Column("b", "b", "fen")), (("x", 100),), "table:source"),),
        charts=(Chart("图", "Chart", "bar", ("x",), (Series("s", "s", (1,)),), "count", "chart:source"),),
    )  # fmt: skip


def test_fill_links_every_number_to_its_source() -> None:
    r = Renderer("zh", strict=True)
    text = str(r.fill(_section(), _section().paragraphs_zh[0]))
    assert text.startswith("<strong>【现状】</strong>")
    assert "1.00万元" in text
    assert "50.00%" in text
    assert 'href="#src-1"' in text
    assert 'href="#src-2"' in text
    assert "{不是占位符}" in text  # doubled braces are literal


def test_unknown_placeholder_is_an_error_when_strict() -> None:
    bad = Section("demo", "演示", "Demo", paragraphs_zh=("放款 {missing}",))
    with pytest.raises(PlanTemplateError, match="missing"):
        Renderer("zh", strict=True).fill(bad, bad.paragraphs_zh[0])
    assert str(Renderer("zh").fill(bad, bad.paragraphs_zh[0])) == "放款 —"
    assert check_section(bad) == ["demo: paragraph names unknown figure {missing}"]
    assert check_section(_section()) == []


def test_placeholders_and_lead_in() -> None:
    assert placeholders("a {x} b {y} {{z}}") == ["x", "y"]
    assert split_lead_in("【现状】正文") == ("【现状】", "正文")
    assert split_lead_in("[Next period] text") == ("[Next period]", " text")
    assert split_lead_in("no lead {x}") == ("", "no lead {x}")


def test_text_is_escaped() -> None:
    evil = Section("e", "<script>", "<script>", paragraphs_zh=("<b>{v}</b>",),
                   figures=(Figure("v", "v", "v", "<img>", "text", "s<1>"),))  # fmt: skip
    text = str(Renderer("zh", strict=True).fill(evil, evil.paragraphs_zh[0]))
    assert "<b>" not in text
    assert "<img>" not in text
    assert "&lt;img&gt;" in text


def _document() -> PlanDocument:
    return PlanDocument(
        parse_period("2026Q4"), date(2026, 11, 29), datetime(2026, 11, 29, tzinfo=UTC), "示范银行",
        "Demo Bank", Section("summary", "执行摘要", "Executive summary"),
        (Chapter(1, "market", "市场分析", "Market", (), (Unavailable("m.x", "not built yet"),)),
         Chapter(2, "customers", "目标客户定位", "Customers", (_section(),))),
    )  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_has_cover_contents_chapters_and_every_source(lang: str) -> None:
    page = render_html(_document(), lang, strict=True)  # type: ignore[arg-type]
    assert page.startswith("<!doctype html>")
    assert "<script" not in page
    for source in ("kpi:disbursed_fen period=2026Q4 by=all", "kpi:approval_rate period=2026Q4 by=all",
                   "table:source", "chart:source"):  # fmt: skip
        assert f"<code>{source}</code>" in page
    assert 'id="src-4"' in page
    assert 'id="src-5"' not in page
    assert 'data-chapter="market" data-available="no"' in page
    assert "not built yet" in page
    assert "<svg" in page
    assert "break-before: page" in page
    assert ("个人贷款营销工作方案" if lang == "zh" else "Personal-Loan Marketing Work Plan") in page
