"""A product's own eligibility tightens the policy's hard rules (``effective_hard_rules``), and the
pure decision then declines what the product does not lend to, e.g. a provident-fund loan to an
applicant who pays no provident fund. Products are built in memory: no database."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.products.models import LoanProduct
from loanpilot.risk.rules import (
    Cutoffs,
    DecisionOutcome,
    Facts,
    HardRules,
    Policy,
    Reason,
    decide,
)
from loanpilot.risk.service import effective_hard_rules

HARD = HardRules(
    min_age=18,
    max_age=60,
    max_age_at_maturity=70,
    min_monthly_income_fen=200_000,
    max_dti=Decimal("0.60"),
)
POLICY = Policy(version="2026.1", hard=HARD, cutoffs=Cutoffs(approve_from=560, decline_below=520))
APPLICANT = Facts(
    product_code="HL-PF",
    age=35,
    age_at_maturity=55,
    monthly_income_fen=2_000_000,
    monthly_debt_payment_fen=200_000,
    new_instalment_fen=600_000,  # DTI 0.40
    bureau_current_overdue=False,
    blacklisted=False,
    occupation="company_employee",
    has_provident_fund=False,
)


def product(code: str = "X-1", eligibility: dict[str, Any] | None = None) -> LoanProduct:
    return LoanProduct(code=code, eligibility=eligibility)


def decision_for(facts: Facts, code: str, eligibility: dict[str, Any], score: int = 700):  # type: ignore[no-untyped-def]
    policy = replace(POLICY, hard=effective_hard_rules(HARD, product(code, eligibility)))
    return decide(replace(facts, product_code=code), score, policy)


@pytest.mark.parametrize("eligibility", [None, {}, {"min_financial_assets_yuan": 6_000_000}])
def test_a_product_without_rules_leaves_the_policy_as_it_is(
    eligibility: dict[str, Any] | None,
) -> None:
    assert effective_hard_rules(HARD, product(eligibility=eligibility)) == HARD


@pytest.mark.parametrize(
    ("eligibility", "field", "expected"),
    [
        ({"min_age": 20}, "min_age", 20),  # stricter: taken
        ({"min_age": 16}, "min_age", 18),  # looser: the policy's stays
        ({"max_age": 45}, "max_age", 45),
        ({"max_age": 65}, "max_age", 60),
        ({"max_age_at_maturity": 65}, "max_age_at_maturity", 65),
        ({"max_age_at_maturity": 75}, "max_age_at_maturity", 70),
        ({"max_dti": "0.55"}, "max_dti", Decimal("0.55")),
        ({"max_dti": 0.5}, "max_dti", Decimal("0.5")),
        ({"max_dti": "0.70"}, "max_dti", Decimal("0.60")),
    ],
)
def test_ages_and_dti_take_the_stricter_of_policy_and_product(
    eligibility: dict[str, Any], field: str, expected: object
) -> None:
    out = effective_hard_rules(HARD, product(eligibility=eligibility))
    assert getattr(out, field) == expected
    assert type(getattr(out, field)) is type(expected)
    assert replace(out, **{field: getattr(HARD, field)}) == HARD  # nothing else changed


def test_the_catalogue_mortgage_rules_apply_together() -> None:
    out = effective_hard_rules(
        HARD,
        product("HL-COM", {"min_age": 18, "max_age_at_maturity": 70, "max_dti": "0.55"}),
    )
    assert (out.min_age, out.max_age, out.max_age_at_maturity) == (18, 60, 70)
    assert out.max_dti == Decimal("0.55")


def test_a_product_occupation_list_is_added_for_its_code() -> None:
    out = effective_hard_rules(
        HARD, product("BL-CRD", {"occupations": ["self_employed", "freelancer"]})
    )
    assert out.occupations == {"BL-CRD": frozenset({"self_employed", "freelancer"})}
    other = effective_hard_rules(
        replace(HARD, occupations={"BL-OPR": frozenset({"self_employed"})}),
        product("BL-CRD", {"occupations": ["freelancer"]}),
    )
    assert other.occupations == {
        "BL-OPR": frozenset({"self_employed"}),
        "BL-CRD": frozenset({"freelancer"}),
    }
    assert effective_hard_rules(HARD, product("BL-CRD", {"occupations": []})) == HARD


def test_a_policy_occupation_list_cannot_widen_the_products() -> None:
    hard = replace(HARD, occupations={"BL-OPR": frozenset({"self_employed", "freelancer"})})
    out = effective_hard_rules(hard, product("BL-OPR", {"occupations": ["self_employed"]}))
    assert out.occupations["BL-OPR"] == frozenset({"self_employed"})


def test_requires_provident_fund_adds_the_product_code() -> None:
    out = effective_hard_rules(HARD, product("HL-PF", {"requires_provident_fund": True}))
    assert out.provident_fund_required == frozenset({"HL-PF"})
    both = effective_hard_rules(
        replace(HARD, provident_fund_required=frozenset({"HL-C2F"})),
        product("HL-PF", {"requires_provident_fund": True}),
    )
    assert both.provident_fund_required == frozenset({"HL-C2F", "HL-PF"})
    assert effective_hard_rules(HARD, product("HL-PF", {"requires_provident_fund": False})) == HARD


def test_the_policy_object_is_not_changed() -> None:
    before = replace(HARD)
    effective_hard_rules(HARD, product("HL-PF", {"requires_provident_fund": True, "min_age": 30}))
    assert before == HARD


def test_a_provident_fund_product_declines_an_applicant_without_provident_fund() -> None:
    pf = {"requires_provident_fund": True, "min_age": 18, "max_age_at_maturity": 70}
    declined = decision_for(APPLICANT, "HL-PF", pf)
    assert declined.outcome is DecisionOutcome.DECLINE
    assert declined.reasons == (Reason("rule.provident_fund_required"),)
    assert declined.policy_version == "2026.1"
    approved = decision_for(replace(APPLICANT, has_provident_fund=True), "HL-PF", pf)
    assert approved.outcome is DecisionOutcome.APPROVE
    assert approved.reasons == ()
    # The same applicant may borrow a product that does not ask for provident fund.
    assert decision_for(APPLICANT, "CL-GEN", {}).outcome is DecisionOutcome.APPROVE


def test_product_rules_decline_with_every_reason() -> None:
    elig = {"max_age": 45, "max_dti": "0.35", "occupations": ["self_employed"]}
    decision = decision_for(replace(APPLICANT, age=50, age_at_maturity=60), "BL-OPR", elig)
    assert decision.outcome is DecisionOutcome.DECLINE
    assert decision.reasons == (
        Reason("rule.age_above_max", {"max": "45"}),
        Reason("rule.dti_above_max", {"dti": "0.4000", "max": "0.35"}),
        Reason("rule.occupation_not_eligible", {"occupation": "company_employee"}),
    )


def test_the_product_age_at_maturity_is_applied() -> None:
    elig = {"max_age_at_maturity": 65}
    old = replace(APPLICANT, age=45, age_at_maturity=66)
    decision = decision_for(old, "HL-COM", elig)
    assert decision.reasons == (Reason("rule.age_at_maturity", {"max": "65"}),)
    assert decision_for(old, "CL-GEN", {}).outcome is DecisionOutcome.APPROVE


_eligibility = st.fixed_dictionaries(
    {},
    optional={
        "min_age": st.integers(0, 80),
        "max_age": st.integers(0, 80),
        "max_age_at_maturity": st.integers(0, 90),
        "max_dti": st.decimals("0.05", "1.5", places=2).map(str),
        "occupations": st.lists(st.sampled_from(["self_employed", "freelancer"]), max_size=2),
        "requires_provident_fund": st.booleans(),
    },
)


@given(_eligibility)
def test_a_product_never_loosens_the_policy(eligibility: dict[str, Any]) -> None:
    out = effective_hard_rules(HARD, product("P-1", eligibility))
    assert out.min_age >= HARD.min_age
    assert out.max_age <= HARD.max_age
    assert out.max_age_at_maturity <= HARD.max_age_at_maturity
    assert out.max_dti <= HARD.max_dti
    assert out.min_monthly_income_fen == HARD.min_monthly_income_fen
    assert set(out.occupations) <= {"P-1"}
    assert out.provident_fund_required <= {"P-1"}
    assert (out.decline_current_delinquency, out.decline_blacklisted) == (True, True)
