"""The demo bank's appraisal history on the product's definitions: the territory's market share of
every stored run is the appraisal engine's (the KPI suite's ``market_share`` by branch, in per cent),
to the digit, and its targets are within reach."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import DEMO_AS_OF, DemoBank

from loanpilot.kit.periods import parse_period
from loanpilot.team import appraisal_rules as rules
from loanpilot.team import repository_appraisal as repo
from loanpilot.team.appraisal_actuals import actuals
from loanpilot.team.models_appraisal import (
    AppraisalIndicator,
    AppraisalPlan,
    AppraisalRun,
    AppraisalScore,
    AppraisalScoreLine,
)

CODE = "territory_market_share"


def test_market_share_history_is_the_engines(demo_bank: DemoBank) -> None:
    today = date.fromisoformat(DEMO_AS_OF)
    stmt = (
        select(
            AppraisalPlan.role,
            AppraisalPlan.period,
            AppraisalIndicator.name,
            AppraisalIndicator.target,
            AppraisalIndicator.curve,
            AppraisalScore.staff_id,
            AppraisalScoreLine.actual,
            AppraisalScoreLine.score,
        )
        .join(AppraisalRun, AppraisalRun.plan_id == AppraisalPlan.id)
        .join(AppraisalScore, AppraisalScore.run_id == AppraisalRun.id)
        .join(AppraisalScoreLine, AppraisalScoreLine.score_id == AppraisalScore.id)
        .join(AppraisalIndicator, AppraisalIndicator.id == AppraisalScoreLine.indicator_id)
        .where(AppraisalIndicator.code == CODE, AppraisalRun.group_rule.is_(None))  # the demo's
    )
    with Session(demo_bank.engine) as session:
        history = defaultdict(list)
        for role, period, name, target, curve, staff_id, actual, score in session.execute(stmt):
            history[role, period].append((name, target, curve, staff_id, actual, score))
        assert len(history) >= 3 * 6  # three sales roles, every ended quarter
        compared = 0
        for (role, label), lines in history.items():
            period = parse_period(label)
            members = repo.members(session, role, period.last_day)
            found = actuals(session, period, [CODE], members, today=today)[CODE]
            for name, target, curve, staff_id, actual, score in lines:
                assert name == "辖区市场份额（%）"
                if staff_id not in {m.id for m in members}:  # left since: not appraised now
                    continue
                engine = found[staff_id].value if staff_id in found else None
                if actual is None:  # a branch without any loan yet: missing on both sides
                    assert engine is None, (role, label, staff_id)
                    assert Decimal(score) == rules.MISSING_SCORE
                    continue
                assert Decimal(actual) == engine, (role, label, staff_id)
                points = rules.curve_score(engine, Decimal(target), rules.Curve.of(curve))
                assert Decimal(score) == points, (role, label, staff_id)
                compared += 1
        assert compared >= 0.8 * sum(len(v) for v in history.values())
        # the target is a reachable ambition: the typical line of a quarter scores near it
        last = max(label for _role, label in history)
        scores = [
            float(line[5]) for (_r, label), v in history.items() if label == last for line in v
        ]
        assert 70 <= median(scores) <= 110
