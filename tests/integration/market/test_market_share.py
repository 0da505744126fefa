"""On the demo bank (read only): our share through the KPI adapter agrees with the KPI suite and
adds up across regions, lines and line × region; positioning uses the catalogue's own APR; the
work-plan chapter carries a source for every number and fills every placeholder."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session
from tests.conftest import DEMO_AS_OF, DemoBank

from loanpilot.evaluation import kpis
from loanpilot.kit.periods import parse_period
from loanpilot.market import positioning as pos
from loanpilot.market import service
from loanpilot.market import share as shares
from loanpilot.market.plan_section import plan_section
from loanpilot.products import service as products

TODAY = date.fromisoformat(DEMO_AS_OF)
Q3 = parse_period("2026Q3")


def test_share_adapter_is_the_kpi_and_adds_up(demo_bank: DemoBank) -> None:
    with Session(demo_bank.engine) as s:
        assert service.latest_period(s, TODAY) == parse_period("2026Q4")
        overall = shares.shares(s, Q3, "all", today=TODAY)
        kpi = kpis.compute(s, Q3, codes=["market_share"], dimension="all", today=TODAY)
        assert [(o.value, o.ours_fen, o.market_fen) for o in overall] == [
            (k.value, int(k.numerator or 0), int(k.denominator or 0)) for k in kpi
        ]
        (total,) = overall
        assert total.value is not None
        assert Decimal("0.01") < total.value < Decimal("0.2")
        assert total.source == "kpi:market_share period=2026Q3 by=all"
        assert total.ours_fen is not None
        assert total.market_fen is not None
        for dimension in ("region", "product_line"):
            parts = shares.shares(s, Q3, dimension, today=TODAY)  # type: ignore[arg-type]
            assert sum(p.ours_fen or 0 for p in parts) == total.ours_fen
            assert sum(p.market_fen or 0 for p in parts) == total.market_fen
        cells = shares.matrix(s, Q3, today=TODAY)
        assert {c.region for c in cells} == {"浙江", "上海", "江苏"}
        assert sum(c.ours_fen or 0 for c in cells) == total.ours_fen
        assert sum(c.market_fen or 0 for c in cells) == total.market_fen
        for cell in cells:
            if cell.market_fen:
                assert cell.value == Decimal(cell.ours_fen or 0) / Decimal(cell.market_fen)
        trend = shares.trend(s, shares.last_periods(Q3, 4), "region", today=TODAY)
        assert [t.period for t in trend][::3] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]


def test_positioning_uses_the_catalogues_apr(demo_bank: DemoBank) -> None:
    with Session(demo_bank.engine) as s:
        rows = pos.positioning(s, TODAY)
        catalogue = products.catalogue_entries(s, products.list_products(s), TODAY)
        assert [r.code for r in rows] == [e.product.code for e in catalogue]
        assert [r.our_apr for r in rows] == [e.price.min_apr for e in catalogue]
        compared = [r for r in rows if r.competitors is not None]
        assert len(compared) >= 10
        for r in compared:
            assert r.competitors is not None
            aprs = sorted(q.apr for q in r.quotes if q.apr is not None)
            assert (r.competitors.minimum, r.competitors.maximum) == (aprs[0], aprs[-1])
            assert r.competitors.count == len(aprs)
            assert all(q.observed_on <= TODAY for q in r.quotes)
            # one quote per competitor product: its latest observation
            assert len({(q.competitor, q.product) for q in r.quotes}) == len(r.quotes)
        assert {r.position for r in compared} <= {"cheaper", "at_market", "dearer"}
        assert pos.gaps(s, TODAY) == []  # the demo catalogue has every subtype competitors offer


def test_plan_chapter_sources_and_placeholders(demo_bank: DemoBank) -> None:
    with Session(demo_bank.engine) as s:
        section = plan_section(s, Q3, TODAY)
        overall = shares.shares(s, Q3, "all", today=TODAY)[0]
    assert section.key == "market"
    assert section.title_zh == "市场分析"
    keys = {f.key for f in section.figures}
    assert len(keys) == len(section.figures)
    for f in section.figures:
        assert f.source, f.key
    for table in section.tables:
        assert table.source
        assert all(len(row) == len(table.columns) for row in table.rows)
    for chart in section.charts:
        assert chart.source
        assert all(len(series.values) == len(chart.categories) for series in chart.series)
    for paragraph in (*section.paragraphs_zh, *section.paragraphs_en):
        assert set(re.findall(r"\{(\w+)\}", paragraph)) <= keys, paragraph
    figures = {f.key: f for f in section.figures}
    assert figures["share_all"].value == overall.value
    assert figures["share_all"].source == "kpi:market_share period=2026Q3 by=all"
    lines = {row[0] for row in section.tables[0].rows}
    assert lines == {"住房贷款", "消费贷款", "个人经营贷款", "私人银行"}
    assert figures["market_total"].value == sum(row[1] for row in section.tables[0].rows)  # type: ignore[misc]
