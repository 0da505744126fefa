"""Demo steps after the build: the KPI targets of the demo's quarter, so the KPI page and the work
plan show attainment from the first start, and that quarter's appraisal runs so far.

Each target is last quarter's actual moved by a stated ambition: volumes (applications, disbursed
amount, new customers) +10 %, rates where higher is better +2 percentage points of their value
(approval, retention, referral; NPS +0.05), satisfaction at least 4.5, market share +5 %, campaign
ROI +10 % (at least 0.5), and the risk ratios (NPL, overdue) −5 %. Set for the bank as a whole and
for each branch that had the KPI last quarter; a KPI with no value last quarter gets no target.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.evaluation import kpi_rules, kpis
from loanpilot.evaluation.kpis_service import Actor, set_target
from loanpilot.kit.periods import Period
from loanpilot.team import appraisal_plans, appraisal_runs
from loanpilot.team.models_appraisal import AppraisalPlan

VOLUME_GROWTH = Decimal("1.10")
RATE_STEP = Decimal("0.02")
RISK_CUT = Decimal("0.95")
DEMO_ACTOR = Actor(staff_id=None, label="demo")


def ambition(code: str, last: Decimal) -> Decimal:
    """The target for ``code`` given last quarter's value ``last`` (module docstring)."""
    definition = kpi_rules.DEFINITIONS[code]
    if code == "satisfaction":
        return max(last, Decimal("4.5"))
    if code == "nps":
        return min(last + Decimal("0.05"), Decimal(1))
    if code == "market_share":
        return last * Decimal("1.05")
    if code == "campaign_roi":
        return max(last * Decimal("1.10"), Decimal("0.5"))
    if not definition.higher_is_better:
        return last * RISK_CUT
    if definition.ratio:
        return min(last + RATE_STEP, Decimal(1))
    return (last * VOLUME_GROWTH).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def as_written(code: str, value: Decimal) -> str:
    """``value`` (in the KPI's stored units) as a person types the target: percent, yuan..."""
    unit = kpi_rules.DEFINITIONS[code].unit
    cent = Decimal("0.01")
    if unit == "pct":
        return str((value * 100).quantize(cent, rounding=ROUND_HALF_UP))
    if unit == "fen":
        return str((value / 100).quantize(cent, rounding=ROUND_HALF_UP))
    if unit == "count":
        return str(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return str(value.quantize(cent, rounding=ROUND_HALF_UP))


def set_demo_targets(session: Session, day: date, now: datetime) -> int:
    """Targets for the quarter holding ``day``; returns how many were set. Flushes only."""
    quarter = Period.containing(day, "quarter")
    last = quarter.previous()
    count = 0
    for dimension in ("all", "branch"):
        for value in kpis.compute(session, last, dimension=dimension, today=day):
            if value.value is None or value.key == "none":
                continue
            target = ambition(value.code, Decimal(value.value))
            set_target(
                session,
                code=value.code,
                period=quarter.label,
                value=as_written(value.code, target),
                dimension=dimension,
                key=value.key,
                actor=DEMO_ACTOR,
                now=now,
            )
            count += 1
    return count


def run_quarter_appraisals(session: Session, day: date, now: datetime) -> int:
    """Run the current plan of each role for the quarter holding ``day`` (figures to date)."""
    quarter = Period.containing(day, "quarter").label
    plans = session.scalars(
        select(AppraisalPlan.id)
        .where(AppraisalPlan.period == quarter, AppraisalPlan.status != "superseded")
        .order_by(AppraisalPlan.id)
    ).all()
    actor = appraisal_plans.Actor(staff_id=None, label="demo")
    for plan_id in plans:
        appraisal_runs.run_plan(session, plan_id, actor=actor, now=now, today=day)
    return len(plans)
