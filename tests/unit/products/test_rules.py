"""Product edit rules: every problem at once, what changed, the console form's units, and the
representative loan of a sample schedule."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from loanpilot.products import rules
from loanpilot.products.models import ProductStatus, RepaymentMethod

STATUSES = tuple(s.value for s in ProductStatus)
METHODS = tuple(m.value for m in RepaymentMethod)

GOOD = rules.ProductValues(
    name_zh="助学进修贷",
    name_en="Education loan",
    status="active",
    min_amount_fen=500_000,
    max_amount_fen=30_000_000,
    min_term_months=6,
    max_term_months=60,
    min_spread=Decimal("0.036"),
    max_spread=Decimal("0.06"),
    monthly_fee_rate=Decimal(0),
    upfront_fee_rate=Decimal(0),
    repayment_methods=("equal_instalment", "interest_only"),
    description_zh="用于教育",
    description_en=None,
)


def problems_of(values: rules.ProductValues, **kwargs: object) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for p in rules.edit_problems(values, statuses=STATUSES, methods=METHODS, **kwargs):  # type: ignore[arg-type]
        found.setdefault(p.field, []).append(p.message)
    return found


def test_good_values_have_no_problem() -> None:
    assert problems_of(GOOD) == {}


def test_bounds_themselves_are_allowed() -> None:
    edge = replace(
        GOOD,
        name_zh="名" * 100,
        min_term_months=1,
        max_term_months=360,
        min_spread=Decimal("-0.01"),
        max_spread=Decimal("0.10"),
        min_amount_fen=1,
        max_amount_fen=1,
        repayment_methods=METHODS,
    )
    assert problems_of(edge) == {}


def test_every_problem_is_reported_at_once() -> None:
    bad = rules.ProductValues(
        name_zh="   ",
        name_en="x" * 101,
        status="launched",
        min_amount_fen=0,
        max_amount_fen=-5,
        min_term_months=0,
        max_term_months=361,
        min_spread=Decimal("-0.0101"),
        max_spread=Decimal("0.1001"),
        monthly_fee_rate=Decimal("-0.001"),
        upfront_fee_rate=Decimal("-1"),
        repayment_methods=(),
        description_zh="长" * 2001,
        description_en=None,
    )
    found = problems_of(bad)
    assert set(found) == {
        "name_zh",
        "name_en",
        "status",
        "min_amount_fen",
        "max_amount_fen",
        "min_term_months",
        "max_term_months",
        "min_spread",
        "max_spread",
        "monthly_fee_rate",
        "upfront_fee_rate",
        "repayment_methods",
        "description_zh",
    }
    assert found["name_zh"] == ["must not be empty"]
    assert found["name_en"] == ["must be at most 100 characters"]
    assert found["repayment_methods"] == ["choose at least one"]
    assert found["min_spread"] == ["must be between -1% and +10%"]


def test_minimum_above_maximum_is_a_problem_of_each_pair() -> None:
    crossed = replace(
        GOOD,
        min_amount_fen=40_000_000,
        min_term_months=61,
        min_spread=Decimal("0.07"),
    )
    found = problems_of(crossed)
    assert found == {
        "min_amount_fen": ["must not be more than the maximum amount"],
        "min_term_months": ["must not be more than the maximum term"],
        "min_spread": ["must not be more than the maximum spread"],
    }


def test_unknown_or_repeated_method_and_fee_caps() -> None:
    found = problems_of(
        replace(
            GOOD,
            repayment_methods=("equal_instalment", "balloon"),
            monthly_fee_rate=Decimal("0.021"),
            upfront_fee_rate=Decimal("0.11"),
        )
    )
    assert set(found) == {"repayment_methods", "monthly_fee_rate", "upfront_fee_rate"}
    repeated = problems_of(replace(GOOD, repayment_methods=("bullet", "bullet")))
    assert repeated == {"repayment_methods": ["must not repeat a method"]}


def test_skipped_fields_are_not_checked_or_compared() -> None:
    crossed = replace(GOOD, min_amount_fen=40_000_000)
    assert problems_of(crossed, skip={"max_amount_fen"}) == {}
    assert problems_of(crossed, skip={"min_amount_fen"}) == {}


def test_changes_lists_only_what_differs() -> None:
    new = GOOD.with_updates({"name_en": "Study loan", "max_spread": Decimal("0.0600")})
    # 0.0600 == 0.06: not a change
    assert rules.changes(GOOD, new) == {"name_en": ("Education loan", "Study loan")}
    assert rules.changes(GOOD, GOOD) == {}
    with pytest.raises(ValueError, match="not editable"):
        GOOD.with_updates({"code": "X"})


@pytest.mark.parametrize(
    ("text", "fen"),
    [("5000", 500_000), ("5,000.5", 500_050), (" 12000.25 ", 1_200_025), ("0", 0)],
)
def test_parse_yuan(text: str, fen: int) -> None:
    assert rules.parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["abc", "1.005", "NaN", "Infinity", ""])
def test_parse_yuan_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="must"):
        rules.parse_yuan(text)


def test_parse_percent() -> None:
    assert rules.parse_percent("0.35") == Decimal("0.0035")
    assert rules.parse_percent("-0.3%") == Decimal("-0.003")
    with pytest.raises(ValueError, match="percentage"):
        rules.parse_percent("0,35x")


def test_parse_form_collects_every_unreadable_field() -> None:
    form = {
        "name_zh": " 助学贷 ",
        "name_en": "Edu",
        "status": "active",
        "min_amount_fen": "abc",
        "max_amount_fen": "300000",
        "min_term_months": "6.5",
        "max_term_months": "60",
        "min_spread": "3.6",
        "max_spread": "",
        "monthly_fee_rate": "0",
        "upfront_fee_rate": "0.5",
        "description_zh": "  ",
    }
    updates, problems = rules.parse_form(form, ["equal_instalment"])
    assert {p.field for p in problems} == {"min_amount_fen", "min_term_months", "max_spread"}
    assert updates["name_zh"] == "助学贷"
    assert updates["max_amount_fen"] == 30_000_000
    assert updates["min_spread"] == Decimal("0.036")
    assert updates["upfront_fee_rate"] == Decimal("0.005")
    assert updates["description_zh"] is None
    assert updates["repayment_methods"] == ("equal_instalment",)


def test_sample_loan_is_the_mid_amount_and_twelve_months_or_nearest() -> None:
    assert rules.sample_amount(500_000, 30_000_000) == 15_000_000  # ¥15万, a round 万元
    assert rules.sample_amount(300_000, 20_000_000) == 10_000_000
    assert rules.sample_amount(100, 300) == 200  # too small to round to 万元
    assert rules.sample_term(6, 60) == 12
    assert rules.sample_term(60, 360) == 60
    assert rules.sample_term(1, 6) == 6


def test_control_characters_are_refused_but_newlines_in_descriptions_are_not() -> None:
    found = problems_of(replace(GOOD, name_zh="贷\x00", description_en="a\x07"))
    assert found == {
        "name_zh": ["must not contain control characters"],
        "description_en": ["must not contain control characters"],
    }
    assert problems_of(replace(GOOD, description_zh="第一行\n第二行\t")) == {}
