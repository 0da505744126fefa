"""The one adapter between appraisal and the KPI suite: the actual of every quantitative indicator
for every staff member of a run, in the indicator's unit.

Appraisal computes none of these figures itself; each comes from ``evaluation.kpis.compute``,
defined once for the dashboard, appraisal and the work plan alike:

==========================  ==================  ==========  ==================================
indicator                   KPI                 dimension   unit here
==========================  ==================  ==========  ==================================
disbursed_amount            disbursed_fen       manager     万元 (fen ÷ 1,000,000)
new_customers               new_customers       manager     count
approval_rate               approval_rate       manager     per cent (fraction × 100)
customer_satisfaction       satisfaction        manager     CSAT mean, 1-5
portfolio_overdue_rate      overdue_rate        manager     per cent (fraction × 100)
territory_market_share      market_share        branch      per cent, of the person's branch
service_quality             quality_reviews     (staff)     mean review score, 0-100
==========================  ==================  ==========  ==================================

``manager`` rows are keyed by employee number; ``branch`` rows by branch code (the territory of a
staff member is their branch). ``service_quality`` is the mean of the staff member's
service-quality reviews (``service.models.QualityReview``) in the period. A person without a row
has no actual (the run scores the line as missing, by the stated rule).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.evaluation import kpis
from loanpilot.kit.periods import Period
from loanpilot.team import appraisal_rules as rules
from loanpilot.team import repository_appraisal as repo

_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Measure:
    kpi: str
    dimension: str
    scale: Decimal  # KPI value × scale = the indicator's unit


MEASURES: dict[str, Measure] = {
    "disbursed_amount": Measure("disbursed_fen", "manager", Decimal("0.000001")),
    "new_customers": Measure("new_customers", "manager", Decimal(1)),
    "approval_rate": Measure("approval_rate", "manager", Decimal(100)),
    "customer_satisfaction": Measure("satisfaction", "manager", Decimal(1)),
    "portfolio_overdue_rate": Measure("overdue_rate", "manager", Decimal(100)),
    "territory_market_share": Measure("market_share", "branch", Decimal(100)),
}
SERVICE_QUALITY = "service_quality"
#: Every quantitative indicator the adapter can measure.
MEASURABLE: tuple[str, ...] = (*MEASURES, SERVICE_QUALITY)


def source_of(code: str, period: Period) -> str:
    """The query behind an indicator's actuals (the KPI suite's own source text)."""
    if code == SERVICE_QUALITY:
        return f"service.quality_reviews mean period={period.label}"
    m = MEASURES[code]
    return kpis.source(m.kpi, period, m.dimension)


def actuals(
    session: Session,
    period: Period,
    codes: Collection[str],
    members: Sequence[repo.Member],
    *,
    today: date | None = None,
) -> dict[str, dict[int, rules.Actual]]:
    """``{indicator code: {staff id: Actual}}`` for the quantitative ``codes`` asked for; staff
    without a value are absent (missing)."""
    out: dict[str, dict[int, rules.Actual]] = {code: {} for code in codes}
    by_dimension: dict[str, list[str]] = {}
    for code in codes:
        if code in MEASURES:
            by_dimension.setdefault(MEASURES[code].dimension, []).append(MEASURES[code].kpi)
    values: dict[tuple[str, str], dict[str, Decimal]] = {}  # (kpi, dimension) → key → value
    for dimension, kpi_codes in by_dimension.items():
        found = kpis.compute(session, period, codes=sorted(set(kpi_codes)), dimension=dimension,
                             today=today)  # fmt: skip
        for v in found:
            if v.value is not None:
                values.setdefault((v.code, dimension), {})[v.key] = v.value
    for code in codes:
        if code not in MEASURES:
            continue
        m = MEASURES[code]
        table = values.get((m.kpi, m.dimension), {})
        src = source_of(code, period)
        for member in members:
            key = member.employee_no if m.dimension == "manager" else member.branch_code
            if key in table:
                value = (table[key] * m.scale).quantize(_PLACES)
                out[code][member.id] = rules.Actual(value, f"{src} key={key}")
    if SERVICE_QUALITY in codes:
        means = repo.quality_review_means(session, period.start, period.end,
                                          [m.id for m in members])  # fmt: skip
        src = source_of(SERVICE_QUALITY, period)
        for staff_id, (mean, n) in means.items():
            out[SERVICE_QUALITY][staff_id] = rules.Actual(
                mean.quantize(_PLACES), f"{src} reviews={n}"
            )
    return out
