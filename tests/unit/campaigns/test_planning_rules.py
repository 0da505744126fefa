"""The pure rules of campaign planning: constraints as a manager writes them (every problem
reported at once, with its field and code), the stratified randomised hold-out (share per
stratum, reproducible for a seed, independent of the input order), the masking of exported
rows, and the words of an infeasible plan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.campaigns import planning_rules as rules
from loanpilot.kit.errors import ValidationError

CHANNELS = ("sms", "call_center", "branch", "online")
SEGMENTS = {"young", "middle", "senior"}
PRODUCTS = {"CL-GEN", "CL-TRV"}


def _validate(**kwargs: object) -> rules.PlanConstraints:
    return rules.validate_constraints(
        channels=CHANNELS, segments=SEGMENTS, products=PRODUCTS, **kwargs
    )


# --- constraints ----------------------------------------------------------------------------------


def test_text_constraints_become_fen_and_counts() -> None:
    c = _validate(
        budget_yuan="50,000.50",
        channel_capacity="sms=100000, call_center：2000\nbranch=400.5",
        segment_min="young=200；senior=0",
        product_cap="CL-GEN=500",
        branch_hours_per_contact="0.75",
    )
    assert c.budget_fen == 5_000_050
    assert c.channel_capacity == {"sms": 100_000.0, "call_center": 2_000.0, "branch": 400.5}
    assert c.segment_min == {"young": 200, "senior": 0}
    assert c.product_cap == {"CL-GEN": 500}
    assert c.usage_of("branch") == 0.75
    assert c.usage_of("sms") == 1.0
    assert rules.PlanConstraints.from_json(c.to_json()) == c


def test_mappings_are_accepted_as_well_as_text() -> None:
    c = _validate(budget_yuan=1000, channel_capacity={"sms": 10}, segment_min={"young": "3"})
    assert (c.budget_fen, c.channel_capacity, c.segment_min) == (
        100_000,
        {"sms": 10.0},
        {"young": 3},
    )


def test_every_problem_is_reported_at_once_with_its_field_and_code() -> None:
    with pytest.raises(ValidationError) as caught:
        _validate(
            budget_yuan="-3",
            channel_capacity="fax=1,sms=x,call_center=2.5,online",
            segment_min="nobody=3,young=-1",
            product_cap="XX=1;CL-GEN=1.5;CL-GEN=2",
            branch_hours_per_contact="0",
        )
    found = sorted((p.field, p.code) for p in caught.value.problems)  # type: ignore[attr-defined]
    assert found == sorted(
        [
            ("channel_capacity", "pair_format"),
            ("product_cap", "duplicate"),
            ("budget", "positive"),
            ("branch_hours_per_contact", "positive"),
            ("channel_capacity", "unknown_channel"),
            ("channel_capacity", "decimal"),
            ("channel_capacity", "whole_number"),
            ("segment_min", "unknown_segment"),
            ("segment_min", "not_negative"),
            ("product_cap", "unknown_product"),
            ("product_cap", "whole_number"),
        ]
    )
    messages = [p.message for p in caught.value.problems]
    assert "'fax' is not a channel; allowed: branch, call_center, online, sms" in messages
    assert (
        "'nobody' is not a segment of the segmentation used; allowed: middle, senior, young"
        in messages
    )


@pytest.mark.parametrize(
    ("budget", "code"),
    [("", "required"), (None, "required"), ("abc", "decimal"), ("0", "positive"),
     ("NaN", "decimal"), ("1e13", "too_large")],
)  # fmt: skip
def test_a_bad_budget_is_named(budget: object, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _validate(budget_yuan=budget)
    assert [(p.field, p.code) for p in caught.value.problems] == [("budget", code)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("budget", "fen"),
    [("0.005", 1), ("0.015", 2), ("0.025", 3), ("10.125", 1013), ("10.135", 1014),
     ("1,234.565", 123_457)],
)  # fmt: skip
def test_a_budget_in_yuan_rounds_half_up_to_whole_fen(budget: str, fen: int) -> None:
    """Half a fen rounds up (0.025 yuan → 3 fen), never to the even fen (banker's rounding)."""
    problems: list[rules.Problem] = []
    assert rules.budget_fen_of(budget, problems) == fen
    assert problems == []
    assert rules.budget_fen_of("0.0049", problems) is None  # less than half a fen: not > 0
    assert [(p.field, p.code) for p in problems] == [("budget", "positive")]


def test_pairs_text_round_trips() -> None:
    assert rules.pairs_text({"sms": 100000.0, "branch": 400.5}) == "sms=100000,branch=400.5"
    problems: list[rules.Problem] = []
    assert rules.parse_pairs("sms=100000,branch=400.5", "channel_capacity", problems) == {
        "sms": "100000",
        "branch": "400.5",
    }
    assert problems == []


@pytest.mark.parametrize("share", ["1", "-0.1", "x", "1.5", ""])
def test_a_bad_holdout_share_is_refused(share: str) -> None:
    with pytest.raises(ValidationError) as caught:
        rules.holdout_share_of(share)
    assert caught.value.problems[0].field == "holdout"


def test_holdout_share_of_accepts_zero_and_fractions() -> None:
    assert rules.holdout_share_of("0") == 0.0
    assert rules.holdout_share_of(0.15) == 0.15


# --- hold-out -------------------------------------------------------------------------------------


def test_holdout_known_answer_per_stratum() -> None:
    ids = np.arange(1, 1001)
    strata = np.where(ids <= 600, "A|young", "B|senior")
    control = rules.assign_holdout(ids, strata, 0.1, seed=7)
    assert control.sum() == 100
    assert control[:600].sum() == 60
    assert control[600:].sum() == 40


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=5),
    share=st.floats(min_value=0.0, max_value=0.95),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_holdout_share_per_stratum_and_overall(sizes: list[int], share: float, seed: int) -> None:
    strata = np.repeat([f"s{i}" for i in range(len(sizes))], sizes)
    ids = np.random.default_rng(seed).permutation(10_000)[: strata.size] + 1
    control = rules.assign_holdout(ids, strata, share, seed)
    n = strata.size
    assert np.floor(n * share) - 1e-9 <= control.sum() <= np.ceil(n * share) + 1e-9
    for i, size in enumerate(sizes):
        got = control[strata == f"s{i}"].sum()
        assert np.floor(size * share) - 1e-9 <= got <= np.ceil(size * share) + 1e-9


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=300),
    share=st.floats(min_value=0.01, max_value=0.9),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_holdout_is_reproducible_and_order_free(n: int, share: float, seed: int) -> None:
    ids = np.arange(1, n + 1) * 7
    strata = np.array(["A", "B", "C"])[ids % 3]
    first = rules.assign_holdout(ids, strata, share, seed)
    again = rules.assign_holdout(ids, strata, share, seed)
    assert (first == again).all()
    order = np.random.default_rng(seed + 1).permutation(n)
    shuffled = rules.assign_holdout(ids[order], strata[order], share, seed)
    assert (shuffled == first[order]).all()


def test_different_seeds_draw_different_holdouts() -> None:
    ids = np.arange(1, 2001)
    strata = np.full(ids.size, "x")
    a = rules.assign_holdout(ids, strata, 0.2, seed=1)
    b = rules.assign_holdout(ids, strata, 0.2, seed=2)
    assert a.sum() == b.sum() == 400
    assert (a != b).any()


def test_holdout_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="share"):
        rules.assign_holdout([1, 2], ["a", "a"], 1.0, 0)
    with pytest.raises(ValueError, match="repeat"):
        rules.assign_holdout([1, 1], ["a", "a"], 0.5, 0)
    with pytest.raises(ValueError, match="one length"):
        rules.assign_holdout([1, 2], ["a"], 0.5, 0)
    assert not rules.assign_holdout([], [], 0.5, 0).any()
    assert not rules.assign_holdout([1, 2, 3], ["a"] * 3, 0.0, 0).any()


# --- masking --------------------------------------------------------------------------------------


def test_rows_are_masked_as_the_rest_of_the_product_masks() -> None:
    row = {"customer_no": "C001", "name": "张小明", "phone": "13812345678",
           "id_number": "11010519491231002X", "product": "薪享消费贷"}  # fmt: skip
    masked = rules.mask_row(row, rules.MaskRule())
    assert masked == {"customer_no": "C001", "name": "张*明", "phone": "138****5678",
                      "id_number": "110***********002X", "product": "薪享消费贷"}  # fmt: skip
    assert rules.mask_row({"name": "张三", "phone": None}, rules.MaskRule()) == {
        "name": "张*",
        "phone": None,
    }
    assert rules.mask_rows([row], rules.MaskRule(phone_head=2, phone_tail=2))[0]["phone"] == (
        "13*******78"
    )


def test_a_frame_is_masked_like_its_rows() -> None:
    frame = pd.DataFrame(
        {
            "name": ["张小明", "欧阳娜娜", None],
            "phone": ["13812345678", None, "13900001111"],
            "product": ["a", "b", "c"],
        }
    )
    masked = rules.mask_frame(frame, rules.MaskRule())
    assert masked["name"].tolist() == ["张*明", "欧**娜", None]
    assert masked["phone"].tolist() == ["138****5678", None, "139****1111"]
    assert masked["product"].tolist() == ["a", "b", "c"]
    assert frame["phone"].iloc[0] == "13812345678"  # the input is left alone


# --- infeasible, in words -------------------------------------------------------------------------

NAMES = {
    "channels": {0: "sms", 1: "call_center", 2: "branch"},
    "segments": {0: "middle", 1: "senior", 2: "young"},
    "products": {10: "CL-GEN", 7: "CL-TRV"},
}


def test_solver_keys_map_back_to_names() -> None:
    assert rules.constraint_ref("segment_min[1]", **NAMES) == rules.ConstraintRef(
        "segment_min", "senior"
    )
    assert rules.constraint_ref("channel_capacity[2]", **NAMES) == rules.ConstraintRef(
        "channel_capacity", "branch"
    )
    assert rules.constraint_ref("product_cap[10]", **NAMES) == rules.ConstraintRef(
        "product_cap", "CL-GEN"
    )
    assert rules.constraint_ref("budget", **NAMES) == rules.ConstraintRef("budget", None)


def test_infeasible_explanations_name_the_constraint() -> None:
    c = _validate(budget_yuan="30", segment_min="senior=300", product_cap="CL-GEN=10,CL-TRV=5")
    senior = rules.ConstraintRef("segment_min", "senior")
    short = rules.explain_infeasible(senior, c, details={"eligible": 293, "minimum": 300})
    assert (short.field, short.code) == ("segment_min", "segment_min")
    assert "segment senior" in short.english
    assert "300 customers asked" in short.english
    assert "only 293" in short.english

    budget = rules.explain_infeasible(
        rules.ConstraintRef("budget", None), c, details={"minimum_cost_fen": 5000.0}
    )
    assert (budget.field, budget.code) == ("budget", "budget")
    assert "30.00 yuan" in budget.english
    assert "50.00 yuan" in budget.english

    caps = [
        rules.ConstraintRef("product_cap", "CL-GEN"),
        rules.ConstraintRef("product_cap", "CL-TRV"),
    ]
    limited = rules.explain_infeasible(
        senior, c, related=[senior, *caps], details={"segment": 1, "minimum": 300, "room": 15}
    )
    assert limited.code == "segment_min_limits"
    assert "product_cap CL-GEN, product_cap CL-TRV allow at most 15" in limited.english

    none = rules.explain_infeasible(rules.ConstraintRef("no_candidates", None), c)
    assert none.code == "no_candidates"
    assert "loanpilot offers build" in none.english
