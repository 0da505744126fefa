"""The credit policy as versioned data: the JSON body parses into the frozen policy and pricing
grid and back, and a bad body is refused with every problem at once, each naming its field."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from loanpilot.kit.errors import FieldProblem, ValidationError
from loanpilot.products.pricing import PricingGrid
from loanpilot.risk.policy_store import (
    APPLICATION_MODEL,
    DEFAULT_BODY,
    check_body,
    parse_body,
    to_body,
)
from loanpilot.risk.rules import Cutoffs, HardRules


def body(**changes: Any) -> dict[str, Any]:
    """DEFAULT_BODY with ``section.key`` (or ``section``) replaced; a value of ``...`` deletes."""
    out = copy.deepcopy(DEFAULT_BODY)
    for path, value in changes.items():
        parts = path.split("__")
        target = out
        for part in parts[:-1]:
            target = target[part]
        if value is ...:
            del target[parts[-1]]
        else:
            target[parts[-1]] = value
    return out


def fields(problems: list[FieldProblem]) -> list[str]:
    return [p.field for p in problems]


def test_the_default_body_parses_into_the_policy_and_the_grid() -> None:
    stored, problems = parse_body("2026.1", DEFAULT_BODY)
    assert problems == []
    assert stored is not None
    assert stored.model_name == APPLICATION_MODEL
    assert stored.policy.version == "2026.1"
    assert stored.policy.hard == HardRules(
        min_age=18,
        max_age=60,
        max_age_at_maturity=70,
        min_monthly_income_fen=200_000,
        max_dti=Decimal("0.60"),
        decline_current_delinquency=True,
        decline_blacklisted=True,
        occupations={},
        collateral={},
    )
    assert stored.policy.cutoffs == Cutoffs(approve_from=560, decline_below=520)
    assert stored.grid == PricingGrid(
        spread_by_grade={
            "A": Decimal("0"),
            "B": Decimal("0.003"),
            "C": Decimal("0.007"),
            "D": Decimal("0.012"),
            "E": Decimal("0.02"),
        },
        income_months_by_grade={"A": 36, "B": 30, "C": 24, "D": 15, "E": 8},
    )


def test_to_body_is_the_inverse_of_parse_body() -> None:
    stored, _ = parse_body("2026.1", DEFAULT_BODY)
    assert stored is not None
    assert to_body(stored) == DEFAULT_BODY


def test_the_round_trip_keeps_product_rules_and_a_named_model() -> None:
    source = body(
        hard__occupations={"BL-OPR": ["self_employed"], "BL-CRD": ["self_employed", "freelancer"]},
        hard__collateral={"HL-COM": "property"},
        model="behaviour",
    )
    stored, problems = parse_body("v2", source)
    assert problems == []
    assert stored is not None
    assert stored.policy.hard.occupations == {
        "BL-OPR": frozenset({"self_employed"}),
        "BL-CRD": frozenset({"freelancer", "self_employed"}),
    }
    assert stored.policy.hard.collateral == {"HL-COM": "property"}
    assert stored.model_name == "behaviour"
    again = to_body(stored)
    assert again["hard"]["occupations"] == {
        "BL-OPR": ["self_employed"],
        "BL-CRD": ["freelancer", "self_employed"],  # sorted
    }
    reparsed, more = parse_body("v2", again)
    assert more == []
    assert reparsed == stored


def test_numbers_given_as_text_are_read() -> None:
    stored, problems = parse_body(
        "v", body(hard__min_age=" 21 ", cutoffs__approve_from="600", hard__max_dti=0.5)
    )
    assert problems == []
    assert stored is not None
    assert stored.policy.hard.min_age == 21
    assert stored.policy.cutoffs.approve_from == 600
    assert stored.policy.hard.max_dti == Decimal("0.5")


def test_every_problem_is_reported_at_once_with_its_field_path() -> None:
    bad = body(
        hard__min_monthly_income_fen="lots",  # not a number
        hard__max_age=75,  # above max_age_at_maturity (70)
        hard__decline_blacklisted="yes",  # not a boolean
        hard__occupations={"BL-OPR": []},  # would refuse everyone
        cutoffs__decline_below=600,  # above approve_from (560): the bands overlap
        pricing__spread_by_grade={"A": "0", "B": "-0.01", "C": "abc"},  # no D/E; negative; text
    )
    stored, problems = parse_body("v-bad", bad)
    assert stored is None
    by_field = {p.field: p.message for p in problems}
    assert set(by_field) == {
        "hard.min_monthly_income_fen",
        "hard.max_age_at_maturity",
        "hard.decline_blacklisted",
        "hard.occupations.BL-OPR",
        "cutoffs",
        "pricing",
        "pricing.spread_by_grade.B",
        "pricing.spread_by_grade.C",
    }
    assert "whole number" in by_field["hard.min_monthly_income_fen"]
    assert "'lots'" in by_field["hard.min_monthly_income_fen"]
    assert "max_age" in by_field["hard.max_age_at_maturity"]
    assert "true or false" in by_field["hard.decline_blacklisted"]
    assert "empty list" in by_field["hard.occupations.BL-OPR"]
    # The contradiction names both cut-offs and their values.
    assert "decline_below (600)" in by_field["cutoffs"]
    assert "approve_from (560)" in by_field["cutoffs"]
    assert "['A', 'B', 'C']" in by_field["pricing"]
    assert "['A', 'B', 'C', 'D', 'E']" in by_field["pricing"]
    assert "between 0 and 0.24" in by_field["pricing.spread_by_grade.B"]
    assert "decimal number" in by_field["pricing.spread_by_grade.C"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"hard__min_age": "abc"}, "hard.min_age", "whole number"),
        ({"hard__min_age": 12.5}, "hard.min_age", "whole number"),
        ({"hard__min_age": True}, "hard.min_age", "whole number"),
        ({"hard__max_age": ...}, "hard.max_age", "whole number"),
        ({"hard__max_dti": "abc"}, "hard.max_dti", "decimal number"),
        ({"hard__max_dti": "NaN"}, "hard.max_dti", "finite"),
        ({"hard__max_dti": "1.5"}, "hard.max_dti", "at most 1"),
        ({"hard__min_age": 0}, "hard.min_age", "positive"),
        ({"hard__min_age": 61}, "hard.min_age", "at most max_age"),
        ({"hard__min_monthly_income_fen": -1}, "hard.min_monthly_income_fen", "negative"),
        ({"cutoffs__approve_from": "high"}, "cutoffs.approve_from", "whole number"),
        ({"pricing__spread_by_grade__E": "0.3"}, "pricing.spread_by_grade.E", "0.24"),
        ({"pricing__income_months_by_grade__E": -8}, "pricing.income_months_by_grade.E", ">= 0"),
        (
            {"pricing__spread_by_grade": {}, "pricing__income_months_by_grade": {}},
            "pricing.spread_by_grade",
            "at least one grade",
        ),
        ({"hard__occupations": ["self_employed"]}, "hard.occupations", "map product codes"),
    ],
)
def test_one_bad_field_is_named(changes: dict[str, Any], field: str, words: str) -> None:
    stored, problems = parse_body("v", body(**changes))
    assert stored is None
    named = [p for p in problems if p.field == field]
    assert named, f"no problem for {field}: {problems}"
    assert any(words in p.message for p in named), named


def test_a_missing_section_is_named_and_nothing_else_is_guessed() -> None:
    stored, problems = parse_body("v", body(pricing=...))
    assert stored is None
    assert [(p.field, p.message) for p in problems] == [("pricing", "section missing")]
    stored, problems = parse_body("v", {"hard": "none"})
    assert stored is None
    assert fields(problems) == ["hard", "cutoffs", "pricing"]


def test_an_equal_approve_and_decline_cutoff_is_allowed() -> None:
    """No refer band at all is a usable (if blunt) policy, not a contradiction."""
    stored, problems = parse_body("v", body(cutoffs__approve_from=560, cutoffs__decline_below=560))
    assert problems == []
    assert stored is not None


def test_check_body_raises_once_listing_every_problem() -> None:
    bad = body(cutoffs__decline_below=600, hard__max_age=75, pricing__spread_by_grade__B="-0.01")
    with pytest.raises(ValidationError) as caught:
        check_body("v-bad", bad)
    err = caught.value
    assert err.code == "policy.invalid"
    assert "'v-bad'" in err.message
    assert set(fields(err.problems)) == {
        "cutoffs",
        "hard.max_age_at_maturity",
        "pricing.spread_by_grade.B",
    }
    assert check_body("ok", DEFAULT_BODY).policy.version == "ok"


def test_an_empty_version_is_a_problem() -> None:
    stored, problems = parse_body("  ", DEFAULT_BODY)
    assert stored is None
    assert fields(problems) == ["version"]


@pytest.mark.parametrize("value", ["self_employed", None, 5])
def test_an_occupation_entry_that_is_not_a_list_is_a_problem(value: object) -> None:
    stored, problems = parse_body("v", body(hard__occupations={"BL-OPR": value}))
    assert stored is None
    assert "hard.occupations.BL-OPR" in fields(problems)
