"""The credit decision: hard rules decline with every reason, score cut-offs band the rest, and a
contradictory policy is refused naming each contradiction."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.kit.errors import ValidationError
from loanpilot.risk.rules import (
    Cutoffs,
    DecisionOutcome,
    Facts,
    HardRules,
    Policy,
    Reason,
    check_policy,
    decide,
    dti_after,
    policy_problems,
)

POLICY = Policy(
    version="P-2026.11",
    hard=HardRules(
        occupations={"BL-OPR": frozenset({"self_employed"})},
        collateral={"HL-COM": "property"},
    ),
    cutoffs=Cutoffs(approve_from=620, decline_below=560),
)
GOOD = Facts(
    product_code="CL-GEN",
    age=35,
    age_at_maturity=38,
    monthly_income_fen=2_000_000,  # ¥20,000
    monthly_debt_payment_fen=300_000,
    new_instalment_fen=500_000,  # DTI (3,000 + 5,000) / 20,000 = 0.40
    bureau_current_overdue=False,
    blacklisted=False,
    occupation="company_employee",
)


def test_dti_after_the_new_loan() -> None:
    assert dti_after(GOOD) == Decimal("0.4")
    assert dti_after(replace(GOOD, monthly_income_fen=0)) is None


@pytest.mark.parametrize(
    ("score", "outcome", "first_code"),
    [
        (700, DecisionOutcome.APPROVE, None),
        (620, DecisionOutcome.APPROVE, None),
        (619, DecisionOutcome.REFER, "score.refer_band"),
        (560, DecisionOutcome.REFER, "score.refer_band"),
        (559, DecisionOutcome.DECLINE, "score.below_decline"),
        (None, DecisionOutcome.REFER, "score.missing"),
    ],
)
def test_score_bands(score: int | None, outcome: DecisionOutcome, first_code: str | None) -> None:
    extra = (Reason("var.income", {"lost": "35"}),)
    decision = decide(GOOD, score, POLICY, extra)
    assert decision.outcome is outcome
    assert decision.policy_version == "P-2026.11"
    codes = [r.code for r in decision.reasons]
    if first_code is None:
        assert codes == []
    else:
        assert codes[0] == first_code
        if outcome is not DecisionOutcome.REFER or score is not None:
            assert codes[1:] == ["var.income"]


def test_every_broken_hard_rule_is_a_reason_and_the_score_does_not_matter() -> None:
    bad = replace(
        GOOD,
        product_code="BL-OPR",
        age=17,
        age_at_maturity=70,
        monthly_income_fen=200_000,
        monthly_debt_payment_fen=150_000,
        new_instalment_fen=100_000,  # (1,500 + 1,000) / 2,000 = 1.25
        bureau_current_overdue=True,
        blacklisted=True,
        occupation="student",
    )
    decision = decide(bad, 900, POLICY)
    assert decision.outcome is DecisionOutcome.DECLINE
    assert [r.code for r in decision.reasons] == [
        "rule.age_below_min",
        "rule.age_at_maturity",
        "rule.income_below_min",
        "rule.dti_above_max",
        "rule.bureau_delinquent",
        "rule.blacklisted",
        "rule.occupation_not_eligible",
    ]
    assert decision.reasons[3].params == {"dti": "1.2500", "max": "0.55"}


def test_product_rules_apply_to_their_product_only() -> None:
    mortgage = replace(GOOD, product_code="HL-COM")
    assert [r.code for r in decide(mortgage, 700, POLICY).reasons] == ["rule.collateral_required"]
    secured = replace(mortgage, collateral_kind="property")
    assert decide(secured, 700, POLICY).outcome is DecisionOutcome.APPROVE
    # An occupation rule of another product does not touch this one.
    assert (
        decide(replace(GOOD, occupation="student"), 700, POLICY).outcome is DecisionOutcome.APPROVE
    )


@given(score=st.integers(300, 900))
def test_without_hard_failures_the_outcome_is_monotone_in_the_score(score: int) -> None:
    order = {DecisionOutcome.DECLINE: 0, DecisionOutcome.REFER: 1, DecisionOutcome.APPROVE: 2}
    assert (
        order[decide(GOOD, score, POLICY).outcome] <= order[decide(GOOD, score + 1, POLICY).outcome]
    )


def test_a_contradictory_policy_names_every_contradiction() -> None:
    broken = Policy(
        version=" ",
        hard=HardRules(
            min_age=40,
            max_age=30,
            max_age_at_maturity=25,
            max_dti=Decimal("1.5"),
            occupations={"BL-OPR": frozenset()},
        ),
        cutoffs=Cutoffs(approve_from=600, decline_below=650),
    )
    fields = [p.field for p in policy_problems(broken)]
    assert fields == [
        "version",
        "hard.min_age",
        "hard.max_age_at_maturity",
        "hard.max_dti",
        "cutoffs",
        "hard.occupations.BL-OPR",
    ]
    with pytest.raises(ValidationError) as caught:
        check_policy(broken)
    assert caught.value.code == "policy.invalid"
    assert len(caught.value.problems) == 6
    assert check_policy(POLICY) is POLICY
