"""The KPI suite on the (read-only) demo bank: the console dashboard and the KPI module give the
same figures for the same month (one definition), the slices of every dimension add up to the
whole bank, and the campaign ROI is the campaign results' own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import DEMO_AS_OF, DemoBank

from loanpilot.access.rules import ScopeKind
from loanpilot.evaluation import kpi_rules, kpis
from loanpilot.evaluation.dashboard import RawFilters, Viewer, compute
from loanpilot.evaluation.kpis_service import viewer_slice
from loanpilot.evaluation.repository import Slice
from loanpilot.kit.periods import parse_period
from loanpilot.team.models import Branch

TODAY = date.fromisoformat(DEMO_AS_OF)


def _by_code(values: list[kpis.KpiValue]) -> dict[str, kpis.KpiValue]:
    return {v.code: v for v in values if v.key == "all"}


def test_dashboard_and_kpis_agree_for_a_month(demo_bank: DemoBank) -> None:
    codes = ["applications", "approval_rate", "disbursed_fen", "npl_ratio"]
    with Session(demo_bank.engine) as session:
        first = session.execute(
            select(func.min(Branch.id)).where(Branch.parent_id.is_not(None))
        ).scalar_one()
        branch_viewer = Viewer(ScopeKind.BRANCH, 0, first, frozenset({first}))
        for month in ("2026-09", "2026-10", "2026-11"):
            for viewer in (Viewer.whole_bank(), branch_viewer):
                board = compute(session, RawFilters(month, month), viewer, TODAY)
                got = _by_code(
                    kpis.compute(
                        session,
                        parse_period(month),
                        codes=codes,
                        where=viewer_slice(viewer),
                        today=TODAY,
                    )
                )
                t = board.total
                assert got["applications"].value == t.applications, month
                assert got["disbursed_fen"].value == t.disbursed_fen, month
                rate = got["approval_rate"]
                assert (rate.numerator, rate.denominator) == (t.approved, t.decided), month
                assert rate.value == t.approval_rate
                if month == "2026-11":  # the running month: both read today's book
                    npl = got["npl_ratio"]
                    assert (npl.numerator, npl.denominator) == (t.npl_fen, t.balance_fen)
                    assert npl.value == t.npl_ratio


def test_slices_add_up_on_the_demo_bank(demo_bank: DemoBank) -> None:
    period = parse_period("2026Q3")
    with Session(demo_bank.engine) as session:
        whole = _by_code(kpis.compute(session, period, today=TODAY))
        assert whole["applications"].value
        assert whole["satisfaction"].value
        assert whole["market_share"].value
        assert whole["npl_ratio"].value is not None
        for dimension in kpi_rules.DIMENSIONS[1:]:
            cut = kpis.compute(session, period, dimension=dimension, today=TODAY)
            assert cut, dimension
            for code in kpi_rules.KPI_CODES:
                if not kpi_rules.applies(code, dimension) or (code, dimension) == (
                    "market_share",
                    "branch",
                ):
                    assert (code, dimension) == ("market_share", "branch") or not [
                        v for v in cut if v.code == code
                    ]
                    continue
                rows = [v for v in cut if v.code == code]
                total = whole[code]
                if kpi_rules.DEFINITIONS[code].ratio:
                    assert sum(v.numerator or 0 for v in rows) == (total.numerator or 0), (
                        code,
                        dimension,
                    )
                    assert sum(v.denominator or 0 for v in rows) == (total.denominator or 0)
                else:
                    assert sum(v.value or 0 for v in rows) == total.value, (code, dimension)
                assert len({v.key for v in rows}) == len(rows)


def test_campaign_roi_is_the_campaign_results(demo_bank: DemoBank) -> None:
    from loanpilot.campaigns.results import campaign_results
    from loanpilot.evaluation import repository_kpis_stocks

    period = parse_period("2026Q3")
    with Session(demo_bank.engine) as session:
        got = _by_code(kpis.compute(session, period, codes=["campaign_roi"], today=TODAY))
        gain = cost = 0
        for c in repository_kpis_stocks.campaigns_ended(session, period.start, period.end, Slice()):
            roi = campaign_results(session, c.id).roi
            if roi.cost_fen > 0:
                gain += round(roi.incremental_net_revenue_fen.estimate) - roi.cost_fen
                cost += roi.cost_fen
    roi_value = got["campaign_roi"]
    assert cost > 0
    assert (roi_value.numerator, roi_value.denominator) == (Decimal(gain), Decimal(cost))


def test_source_names_the_rerunnable_query() -> None:
    assert (
        kpis.source("disbursed_fen", parse_period("2026Q4"), "branch")
        == "kpi:disbursed_fen period=2026Q4 by=branch"
    )
    d = kpis.definition("nps")
    assert (d.unit, d.ratio, d.higher_is_better) == ("pct", True, True)
