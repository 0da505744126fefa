"""Appraisal rules: curves, weighted totals, ranks and groups worked by hand; plan validation that
collects every problem; hypothesis properties of totals, the weights rule and ranks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.team import appraisal_explain as explain
from loanpilot.team import appraisal_rules as rules
from loanpilot.team.appraisal_rules import Actual, Curve, Indicator, IndicatorDraft, PlanDraft

D = Decimal
LINEAR = Curve("linear")
INVERSE = Curve("linear_inverse")
RATING = Curve("rating", cap=D(100))


@pytest.mark.parametrize(
    ("actual", "target", "curve", "expected"),
    [
        ("50", "100", LINEAR, "50.00"),
        ("16.9", "9.6", LINEAR, "120.00"),  # 176.04 capped at 120
        ("66.6667", "60", LINEAR, "111.11"),
        ("2", "3", LINEAR, "66.67"),
        ("0.00125", "1", LINEAR, "0.13"),  # half-up, not banker's rounding (0.12)
        ("0", "9", LINEAR, "0.00"),
        ("10", "100", Curve("linear", floor=D(60)), "60.00"),  # floor
        ("1", "2", INVERSE, "120.00"),  # (2 - 0.5) × 100 = 150, capped
        ("3", "2", INVERSE, "50.00"),
        ("2", "2", INVERSE, "100.00"),
        ("5", "2", INVERSE, "0.00"),  # -50 floored
        ("83", None, RATING, "83.00"),
        ("4", None, Curve("rating", cap=D(100), scale_min=D(1), scale_max=D(5)), "75.00"),
        ("7", None, LINEAR, "7.00"),  # no target: the actual itself (as the demo's history)
    ],
)
def test_curves_known_answers(actual: str, target: str | None, curve: Curve, expected: str) -> None:
    assert rules.curve_score(D(actual), None if target is None else D(target), curve) == D(expected)


def test_stored_curves_read_with_defaults() -> None:
    assert Curve.of({"type": "linear", "floor": 0, "cap": 120}) == LINEAR
    assert Curve.of({"type": "rating"}).cap == D(100)
    assert Curve.of({"type": "rating", "floor": 0, "cap": 100}).stored() == {
        "type": "rating", "floor": 0, "cap": 100, "scale_min": 0, "scale_max": 100,
    }  # fmt: skip


def _ind(i: int, code: str, weight: str, target: str | None, curve: Curve, kind: str = "quantitative") -> Indicator:  # fmt: skip
    return Indicator(i, code, code, kind, D(weight), None if target is None else D(target), curve)


def test_weighted_total_worked_by_hand() -> None:
    # 120 × 0.30 = 36.00; 111.11 × 0.10 = 11.111 → 11.11; 83 × 0.05 = 4.15;
    # missing → 80 × 0.05 = 4.00; 100 × 0.50 = 50.00; total 105.26
    lines = [
        rules.score_line(_ind(1, "disbursed_amount", "0.30", "9.6", LINEAR), Actual(D("16.9"), "k")),
        rules.score_line(_ind(2, "approval_rate", "0.10", "60", LINEAR), Actual(D("66.6667"), "k")),
        rules.score_line(_ind(3, "teamwork", "0.05", None, RATING, "qualitative"),
                         Actual(D(83), "rating", rated_by_id=7)),
        rules.score_line(_ind(4, "innovation", "0.05", None, RATING, "qualitative"),
                         Actual(None, "rating")),
        rules.score_line(_ind(5, "new_customers", "0.50", "10", LINEAR), Actual(D(10), "k")),
    ]  # fmt: skip
    assert [line.weighted for line in lines] == [D("36.00"), D("11.11"), D("4.15"), D("4.00"),
                                                 D("50.00")]  # fmt: skip
    assert lines[3].missing
    assert lines[3].score == rules.MISSING_SCORE
    assert rules.total_of(lines) == D("105.26")
    text = explain.explain(lines[0], "zh")
    assert "实际 16.9" in text
    assert "目标 9.6" in text
    assert "120 分" in text
    assert "= 36" in text
    assert "no data" in explain.explain(lines[3], "en")
    assert "rated by 何泽" in explain.explain(lines[2], "en", "何泽")


def test_ranks_share_ties_and_skip() -> None:
    assert rules.ranks({"a": D(90), "b": D(95), "c": D(90), "d": D(80)}) == {
        "a": 2, "b": 1, "c": 2, "d": 4,
    }  # fmt: skip
    got = rules.ranks_in_groups({1: ("BR01", D(90)), 2: ("BR01", D(91)), 3: ("BR02", D(50))})
    assert got == {1: (2, 2), 2: (1, 2), 3: (1, 1)}


def test_groups_by_city_branch_or_bank() -> None:
    sub = [("BR0106", "sub_branch"), ("BR0100", "branch"), ("HO", "head_office")]
    assert rules.group_of("branch", sub) == "BR0100"
    assert rules.group_of("branch", sub[1:]) == "BR0100"
    assert rules.group_of("branch", [("HO", "head_office")]) == "HO"
    assert rules.group_of("bank", sub) == "bank"


def test_distribution_bands() -> None:
    got = explain.distribution([D("59.99"), D(60), D("99.99"), D(100), D(130)])
    assert got == {"<60": 1, "60-70": 1, "70-80": 0, "80-90": 0, "90-100": 1, "100-110": 1,
                   ">=110": 1}  # fmt: skip


# --- validation -----------------------------------------------------------------------------------


def _draft(code: str, weight: str | None, *, kind: str = "quantitative", target: str | None = "10",
           curve: Curve = LINEAR, higher: bool = True) -> IndicatorDraft:  # fmt: skip
    return IndicatorDraft(code, code, kind, None if weight is None else D(weight),
                          None if target is None else D(target), higher, curve)  # fmt: skip


ROLES = ["customer_manager"]


def test_a_good_plan_has_no_problems() -> None:
    plan = PlanDraft("Q4", "customer_manager", "2026Q4", (
        _draft("disbursed_amount", "60"),
        _draft("portfolio_overdue_rate", "30", curve=INVERSE, higher=False),
        _draft("teamwork", "10", kind="qualitative", target=None, curve=RATING),
    ))  # fmt: skip
    assert rules.validate_plan(plan, roles=ROLES) == []


def test_weights_not_100_name_the_sum_and_each_weight() -> None:
    plan = PlanDraft("Q4", "customer_manager", "2026Q4", (
        _draft("disbursed_amount", "60"), _draft("new_customers", "35"),
    ))  # fmt: skip
    problems = rules.validate_plan(plan, roles=ROLES)
    assert [p.code for p in problems] == ["weights_sum"]
    assert problems[0].field == "weights"
    assert problems[0].message == (
        "the weights add up to 95 %, not 100 % (disbursed_amount 60 %, new_customers 35 %)"
    )


def test_every_problem_is_collected() -> None:
    plan = PlanDraft("", "nobody", "2026Q4", (
        _draft("disbursed_amount", "0", target="0"),
        _draft("disbursed_amount", "50", curve=INVERSE),
        _draft("Bad Code", "50", kind="qualitative", target=None, curve=LINEAR),
        _draft("mystery_metric", "10", target=None),
        _draft("teamwork", "10", kind="qualitative", target=None,
               curve=Curve("rating", floor=D(90), cap=D(80), scale_min=D(5), scale_max=D(1))),
        _draft("new_customers", "10", curve=Curve("linear", cap=D(500))),
    ))  # fmt: skip
    got = {(p.field, p.code) for p in rules.validate_plan(plan, roles=ROLES)}
    assert {
        ("name", "required"),
        ("role", "unknown_role"),
        ("indicators[0].weight", "weight_range"),
        ("indicators[0].target", "target_required"),
        ("indicators[1].code", "duplicate_code"),
        ("indicators[1].curve", "curve_direction"),
        ("indicators[2].code", "bad_code"),
        ("indicators[2].curve", "curve_kind"),
        ("indicators[3].code", "unknown_measure"),
        ("indicators[3].target", "target_required"),
        ("indicators[4].floor", "floor_range"),
        ("indicators[4].scale", "scale_range"),
        ("indicators[5].cap", "cap_range"),
        ("weights", "weights_sum"),
    } <= got


def test_a_rating_off_its_scale_is_refused_clearly() -> None:
    scale = Curve("rating", cap=D(100), scale_min=D(1), scale_max=D(5))
    found = rules.rating_problem("ratings[0].rating", D(6), scale)
    assert found is not None
    assert found.message == "the rating 6 is outside the scale 1 to 5"
    assert rules.rating_problem("r", D(5), scale) is None


# --- properties -----------------------------------------------------------------------------------

scores = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def weighted_lines(draw: st.DrawFn) -> tuple[list[Indicator], list[Actual]]:
    n = draw(st.integers(1, 8))
    cuts = sorted(draw(st.lists(st.integers(1, 9999), min_size=n - 1, max_size=n - 1, unique=True)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 10000], strict=True)]
    inds, actuals = [], []
    for i, part in enumerate(parts):
        cap = D(draw(st.integers(101, 200)))
        curve = Curve(draw(st.sampled_from(["linear", "linear_inverse"])), D(0), cap)
        inds.append(Indicator(i, f"c{i}", "x", "quantitative", D(part) / 10000, D(10), curve))
        actuals.append(Actual(draw(st.none() | scores), "s"))
    return inds, actuals


@settings(max_examples=150, deadline=None)
@given(weighted_lines())
def test_total_lies_between_floor_and_cap(case: tuple[list[Indicator], list[Actual]]) -> None:
    inds, actuals = case
    total = rules.total_of(rules.score_line(i, a) for i, a in zip(inds, actuals, strict=True))
    cap = max(i.curve.cap for i in inds)
    slack = D("0.01") * len(inds)  # each weighted part is rounded to the cent
    assert D(0) <= total <= cap + slack


@settings(max_examples=150, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=100, places=2), min_size=1, max_size=8))
def test_weights_rule_accepts_exactly_100(weights: list[Decimal]) -> None:
    drafts = tuple(_draft(f"q{i}", str(w), kind="qualitative", target=None, curve=RATING)
                   for i, w in enumerate(weights))  # fmt: skip
    found = rules.weights_problem(drafts)
    assert (found is None) == (sum(weights) == 100)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.integers(0, 50), scores, min_size=1, max_size=30))
def test_rank_order_follows_totals(totals: dict[int, Decimal]) -> None:
    got = rules.ranks(totals)
    for a, total_a in totals.items():
        for b, total_b in totals.items():
            if total_a > total_b:
                assert got[a] < got[b]
            elif total_a == total_b:
                assert got[a] == got[b]
        assert got[a] == 1 + sum(1 for other in totals.values() if other > total_a)


def test_absurd_numbers_are_problems_not_crashes() -> None:
    plan = PlanDraft("Q4", "customer_manager", "2026Q4", (
        _draft("disbursed_amount", "1E+40", target="1E+40"),
        _draft("new_customers", "33.333"),
    ))  # fmt: skip
    got = {(p.field, p.code) for p in rules.validate_plan(plan, roles=ROLES)}
    assert got == {
        ("indicators[0].weight", "weight_range"),
        ("indicators[0].target", "target_too_large"),
        ("indicators[1].weight", "weight_places"),
        ("weights", "weights_sum"),
    }
