"""Known answers for the campaign results rules: Newcombe's published intervals, Wilson, the
two-proportion z-test, Fisher's exact test, the sample-size formula, NII and ROI."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.campaigns.results_rules import (
    GroupCounts,
    Interval,
    ab_test,
    fisher_exact_p,
    goal_actuals,
    goal_progress,
    lift_by_stage,
    net_revenue_per_loan,
    newcombe_interval,
    roi,
    sample_size_per_arm,
    two_proportion_z,
    wilson_interval,
)

# Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score)
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_TABLE_II)
def test_newcombe_matches_the_published_table(counts, expected):
    got = newcombe_interval(*counts)
    assert got.low == pytest.approx(expected[0], abs=6e-5)
    assert got.high == pytest.approx(expected[1], abs=6e-5)


def test_wilson_known_answer():
    # Newcombe (1998a) / Agresti-Coull: 81 of 263 → 0.2553 to 0.3662
    got = wilson_interval(81, 263)
    assert (round(got.low, 4), round(got.high, 4)) == (0.2553, 0.3662)
    assert wilson_interval(0, 0) == Interval(0.0, 0.0, 1.0)


def test_z_test_by_hand():
    # 120/1000 vs 150/1000: pooled p = 0.135, se = sqrt(.135*.865*.002) = 0.0152824
    z, p = two_proportion_z(120, 1000, 150, 1000)
    assert z == pytest.approx(0.03 / math.sqrt(0.135 * 0.865 * 0.002), rel=1e-12)
    assert p == pytest.approx(0.04964, abs=1e-5)
    assert two_proportion_z(0, 10, 0, 10) is None


def test_fisher_tea_tasting():
    # Fisher's lady tasting tea: 3 of 4 right → two-sided p = 0.4857
    assert fisher_exact_p(3, 4, 1, 4) == pytest.approx(0.4857, abs=1e-4)


def test_sample_size_known_answer():
    # 10 % vs 15 %, α = 0.05 two-sided, power 0.8 → 686 per group (Fleiss, no correction)
    assert sample_size_per_arm(0.10, 0.15) == 686
    assert sample_size_per_arm(0.2, 0.2) is None


def test_ab_test_uses_z_for_large_and_fisher_for_small_counts():
    big = ab_test("A", 120, 1000, "B", 150, 1000)
    assert big.test == "z"
    assert big.significant
    assert big.difference.estimate == pytest.approx(0.03)
    assert big.relative_lift == pytest.approx(0.25)
    assert big.n_per_arm_needed == 2036
    small = ab_test("A", 1, 12, "B", 6, 12)
    assert small.test == "fisher"
    assert small.p_value == small.p_value_fisher
    assert small.p_value == pytest.approx(fisher_exact_p(1, 12, 6, 12))
    assert not small.significant  # p ≈ 0.069
    with pytest.raises(ValueError, match="arm A"):
        ab_test("A", 5, 4, "B", 1, 4)


def test_lift_and_incremental_counts():
    t = GroupCounts(
        targeted=1000, contacted=800, responded=60, applied=50, approved=30, disbursed=25
    )
    c = GroupCounts(targeted=200, responded=6, applied=5, approved=3, disbursed=2)
    lifts = {s.stage: s for s in lift_by_stage(t, c)}
    d = lifts["disbursed"]
    assert d.lift.estimate == pytest.approx(0.025 - 0.01)
    assert d.incremental.estimate == pytest.approx(15.0)
    assert d.incremental.low == pytest.approx(d.lift.low * 1000)
    assert lifts["responded"].lift == newcombe_interval(60, 1000, 6, 200)


def test_goals_against_actuals():
    t = GroupCounts(targeted=100, responded=10, applied=8, disbursed=4, disbursed_fen=2_000_000)
    progress = {
        g.metric: g
        for g in goal_progress(
            {"applications": 16, "disbursed_yuan": 40_000, "satisfaction": 4.5},
            goal_actuals(t),
        )
    }
    assert progress["applications"].share == pytest.approx(0.5)
    assert progress["disbursed_yuan"].actual == 20_000
    assert progress["satisfaction"].actual is None


def test_net_revenue_known_answers():
    # ¥10,000 at 6 % over 12 months, equal instalments of ¥860.66: interest ¥327.97
    nii = net_revenue_per_loan([1_000_000], [0.06], [12], [0.0], [0.5], funding_rate=0.0)
    assert nii[0] == pytest.approx(32_797.16, abs=0.05)
    # zero rate: balances 12/12..1/12 of the amount; one-month hazard only on the first month
    loss = net_revenue_per_loan([1_200], [0.0], [1], [1 - 0.9**12], [1.0], funding_rate=0.0)
    assert loss[0] == pytest.approx(-120.0)
    assert net_revenue_per_loan([], [], [], [], []).shape == (0,)


def test_roi_propagates_the_interval():
    t = GroupCounts(targeted=1000, disbursed=25)
    c = GroupCounts(targeted=200, disbursed=2)
    lift = next(s for s in lift_by_stage(t, c) if s.stage == "disbursed")
    r = roi(lift, 10_000.0, 50_000)
    assert r.roi is not None
    assert r.roi.estimate == pytest.approx((15 * 10_000 - 50_000) / 50_000)
    assert r.roi.low == pytest.approx((lift.incremental.low * 10_000 - 50_000) / 50_000)
    assert roi(lift, 10_000.0, 0).roi is None


@given(
    st.integers(0, 200),
    st.integers(1, 200),
    st.integers(0, 200),
    st.integers(1, 200),
)
def test_newcombe_contains_the_estimate(x1, n1, x2, n2):
    x1, x2 = min(x1, n1), min(x2, n2)
    got = newcombe_interval(x1, n1, x2, n2)
    assert -1.0 <= got.low <= got.estimate <= got.high <= 1.0
    mirrored = newcombe_interval(x2, n2, x1, n1)
    assert mirrored.low == pytest.approx(-got.high)
    assert np.isfinite(got.low)
