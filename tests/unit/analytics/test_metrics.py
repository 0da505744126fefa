"""Known answers, agreement with sklearn / scipy, and parameter errors for ``analytics.metrics``."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest, ks_2samp
from sklearn.metrics import roc_auc_score

from loanpilot.analytics.metrics import (
    KSResult,
    auc,
    calibration_by_grade,
    gains_table,
    gini,
    ks,
)

GERMAN = Path("/work/shared/data/german_credit.csv")


@st.composite
def labelled_scores(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Both classes present; scores on a coarse grid so that ties are common."""
    n = draw(st.integers(2, 120))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    y[0], y[1] = 0, 1
    grid = draw(st.sampled_from([3, 10, 1000]))
    s = np.array(draw(st.lists(st.integers(0, grid), min_size=n, max_size=n)), dtype=float) / grid
    return y, s


# --------------------------------------------------------------------------- AUC / Gini


def test_auc_known_answer_without_ties() -> None:
    # bads score 0.35 and 0.8, goods 0.1 and 0.4. Pairs (bad > good?):
    # 0.35>0.1 yes, 0.35>0.4 no, 0.8>0.1 yes, 0.8>0.4 yes -> 3 of 4 pairs -> AUC = 0.75.
    y = [0, 0, 1, 1]
    s = [0.1, 0.4, 0.35, 0.8]
    assert auc(y, s) == pytest.approx(0.75, abs=1e-15)
    assert gini(y, s) == pytest.approx(0.5, abs=1e-15)  # 2 * 0.75 - 1


def test_auc_known_answer_with_a_tie_counts_half() -> None:
    # bads {1, 3}, goods {1, 2}: (1 vs 1) tie = 0.5, (1 vs 2) = 0, (3 vs 1) = 1, (3 vs 2) = 1
    # -> 2.5 / 4 = 0.625.
    y = [0, 1, 0, 1]
    s = [1, 1, 2, 3]
    assert auc(y, s) == pytest.approx(0.625, abs=1e-15)
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_points_orientation_gives_the_same_auc() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    points = np.array([650.0, 700.0, 540.0, 610.0, 600.0, 580.0])  # higher points = safer
    a = auc(y, points, higher_is_riskier=False)
    assert a == auc(y, -points)
    assert a == pytest.approx(roc_auc_score(y, -points), abs=1e-12)
    assert gini(y, points, higher_is_riskier=False) == pytest.approx(2 * a - 1)


@given(labelled_scores())
def test_auc_equals_sklearn(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = data
    assert abs(auc(y, s) - roc_auc_score(y, s)) <= 1e-12
    assert abs(gini(y, s) - (2 * roc_auc_score(y, s) - 1)) <= 1e-12
    assert abs(auc(y, s, higher_is_riskier=False) - (1 - auc(y, s))) <= 1e-12


def test_auc_on_a_large_random_sample_equals_sklearn() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 200_000)
    s = np.round(rng.normal(size=y.size) + 0.4 * y, 2)
    assert abs(auc(y, s) - roc_auc_score(y, s)) <= 1e-12


# --------------------------------------------------------------------------- KS


def test_ks_known_answer() -> None:
    # scores 1..6, y = 0 1 0 0 1 1 (3 bads, 3 goods). F(t) = share with score <= t:
    # t=1: bad 0/3, good 1/3 -> 1/3;  t=2: 1/3, 1/3 -> 0;  t=3: 1/3, 2/3 -> 1/3
    # t=4: 1/3, 3/3 -> 2/3 (max);  t=5: 2/3, 1 -> 1/3;  t=6: 1, 1 -> 0.
    y = [0, 1, 0, 0, 1, 1]
    s = [1, 2, 3, 4, 5, 6]
    result = ks(y, s)
    assert isinstance(result, KSResult)
    assert result.statistic == pytest.approx(2 / 3, abs=1e-15)
    assert result.threshold == 4.0


def test_ks_perfect_separation_and_orientation() -> None:
    y = [0, 0, 0, 1, 1]
    s = [1, 2, 3, 4, 5]
    assert ks(y, s) == KSResult(1.0, 3.0)  # every good <= 3 < every bad
    assert ks(y, s, higher_is_riskier=False) == KSResult(1.0, 3.0)  # orientation-free


@given(labelled_scores())
def test_ks_equals_scipy_ks_2samp(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = data
    result = ks(y, s)
    expected = ks_2samp(s[y == 1], s[y == 0]).statistic
    assert abs(result.statistic - expected) <= 1e-12
    # the threshold reproduces the statistic
    t = result.threshold
    gap = abs(np.mean(s[y == 1] <= t) - np.mean(s[y == 0] <= t))
    assert abs(gap - result.statistic) <= 1e-12


# --------------------------------------------------------------------------- gains table


def test_gains_table_known_answer() -> None:
    # Scores 10..1 (riskiest first); y in that order: 1 1 0 1 0 | 0 0 0 1 0 (4 bads, 6 goods).
    # Band 1: 5 rows, 3 bads -> bad rate 0.6, lift 0.6 / 0.4 = 1.5, capture 3/4,
    #   cum good share 2/6, ks = 3/4 - 1/3 = 5/12.
    # Band 2: 5 rows, 1 bad -> bad rate 0.2, lift 0.5, capture 1, cum lift 1.
    s = np.arange(10, 0, -1, dtype=float)
    y = [1, 1, 0, 1, 0, 0, 0, 0, 1, 0]
    t = gains_table(y, s, n_bins=2)
    assert t["bin"].tolist() == [1, 2]
    assert t["count"].tolist() == [5, 5]
    assert t["bads"].tolist() == [3, 1]
    assert t["goods"].tolist() == [2, 4]
    assert t["min_score"].tolist() == [6.0, 1.0]
    assert t["max_score"].tolist() == [10.0, 5.0]
    np.testing.assert_allclose(t["bad_rate"], [0.6, 0.2])
    np.testing.assert_allclose(t["lift"], [1.5, 0.5])
    np.testing.assert_allclose(t["cum_lift"], [1.5, 1.0])
    np.testing.assert_allclose(t["cum_bad_share"], [0.75, 1.0])
    np.testing.assert_allclose(t["cum_good_share"], [1 / 3, 1.0])
    np.testing.assert_allclose(t["ks"], [5 / 12, 0.0])


def test_gains_table_points_orientation_matches_negated_points() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    points = np.round(600 - 40 * y + rng.normal(0, 30, 500))
    a = gains_table(y, points, higher_is_riskier=False)
    b = gains_table(y, -points)
    pd.testing.assert_frame_equal(
        a.drop(columns=["min_score", "max_score"]), b.drop(columns=["min_score", "max_score"])
    )
    assert (a["min_score"].to_numpy() == -b["max_score"].to_numpy()).all()


def test_gains_table_ties_split_or_kept_together() -> None:
    s = [3.0, 3.0, 3.0, 1.0]
    y = [1, 0, 1, 0]
    split = gains_table(y, s, n_bins=2)
    assert split["count"].tolist() == [2, 2]
    assert split["bads"].tolist() == [1, 1]  # ties split in input order: rows 0,1 | rows 2,3
    together = gains_table(y, s, n_bins=2, ties="together")
    assert together["count"].tolist() == [3, 1]
    assert together["bads"].tolist() == [2, 0]


@given(labelled_scores(), st.integers(1, 12))
def test_gains_table_invariants(data: tuple[np.ndarray, np.ndarray], n_bins: int) -> None:
    y, s = data
    n_bins = min(n_bins, y.size)
    for ties in ("split", "together"):
        t = gains_table(y, s, n_bins=n_bins, ties=ties)  # type: ignore[arg-type]
        assert t["count"].sum() == y.size
        assert t["bads"].sum() == y.sum()
        assert t["bad_share"].sum() == pytest.approx(1.0)
        assert t["cum_bad_share"].iloc[-1] == pytest.approx(1.0)
        assert t["cum_good_share"].iloc[-1] == pytest.approx(1.0)
        assert t["cum_lift"].iloc[-1] == pytest.approx(1.0)  # the whole population
        assert (t["count"] * t["lift"]).sum() == pytest.approx(y.size)
        assert (np.diff(t["max_score"]) <= 0).all()
        if ties == "split":
            assert len(t) == n_bins
            assert t["count"].max() - t["count"].min() <= 1
        else:
            # no score value appears in two bands, so no band boundary beats the KS statistic
            assert t["ks"].abs().max() <= ks(y, s).statistic + 1e-12
            assert (t["min_score"].to_numpy()[:-1] > t["max_score"].to_numpy()[1:]).all()


# --------------------------------------------------------------------------- calibration


def test_calibration_known_binomial_p_value() -> None:
    # Grade A: 10 loans, PD 0.2 each (expected 2 bads), 4 observed bads.
    # Binomial(10, 0.2): P(X=k) = C(10,k) 0.2^k 0.8^(10-k); P(4) = 0.088080384.
    # Two-sided exact test = sum of P(X=k) over k with P(X=k) <= P(4): k = 4..10 (P(3) = 0.2013
    # and P(0) = 0.1074 are more likely) = 1 - P(0) - P(1) - P(2) - P(3) = 0.120873881...
    probs = [math.comb(10, k) * 0.2**k * 0.8 ** (10 - k) for k in range(11)]
    hand = sum(p for p in probs if p <= probs[4] * (1 + 1e-7))
    assert hand == pytest.approx(1 - sum(probs[:4]))
    y = [1] * 4 + [0] * 6 + [0] * 4
    pds = [0.2] * 10 + [0.01, 0.02, 0.03, 0.02]
    grade = ["A"] * 10 + ["B"] * 4
    t = calibration_by_grade(y, pds, grade)
    a = t.set_index("grade").loc["A"]
    assert a["n"] == 10
    assert a["bads"] == 4
    assert a["bad_rate"] == pytest.approx(0.4)
    assert a["mean_pd"] == pytest.approx(0.2)
    assert a["expected_bads"] == pytest.approx(2.0)
    assert a["p_value"] == pytest.approx(hand, rel=1e-9)
    assert a["p_value"] == pytest.approx(0.1208738816, rel=1e-8)
    assert not a["flag"]
    b = t.set_index("grade").loc["B"]
    assert b["bads"] == 0
    assert b["mean_pd"] == pytest.approx(0.02)
    # P(X=0 | n=4, p=0.02) = 0.98^4 is the most likely outcome -> p-value 1
    assert b["p_value"] == pytest.approx(1.0)


def test_calibration_flags_a_miscalibrated_grade_and_keeps_categorical_order() -> None:
    rng = np.random.default_rng(11)
    n = 2000
    grade = pd.Categorical(
        rng.choice(["AA", "A", "B"], n), categories=["AA", "A", "B", "C"], ordered=True
    )
    pds = np.select([grade == "AA", grade == "A"], [0.01, 0.05], 0.10)
    y = (rng.random(n) < np.where(grade == "B", 0.30, pds)).astype(int)  # B observed 3x its PD
    t = calibration_by_grade(y, pds, grade, alpha=0.01)
    assert t["grade"].tolist() == ["AA", "A", "B"]  # category order, empty "C" left out
    series = calibration_by_grade(y, pds, pd.Series(grade), alpha=0.01)
    pd.testing.assert_frame_equal(series, t)
    row = t.set_index("grade").loc["B"]
    assert row["flag"]
    assert row["p_value"] == pytest.approx(
        binomtest(int(row["bads"]), int(row["n"]), row["mean_pd"]).pvalue
    )


@pytest.mark.skipif(not GERMAN.exists(), reason="German Credit data not present")
def test_german_credit_duration_auc_matches_sklearn() -> None:
    df = pd.read_csv(GERMAN)
    target = df["creditability"]
    y = (target == target.value_counts().idxmin()).astype(int).to_numpy()  # minority = bad
    numeric = df.drop(columns=["creditability"]).select_dtypes("number")
    col = numeric.columns[0]
    s = numeric[col].to_numpy(dtype=float)
    assert abs(auc(y, s) - roc_auc_score(y, s)) <= 1e-12
    assert abs(ks(y, s).statistic - ks_2samp(s[y == 1], s[y == 0]).statistic) <= 1e-12


# --------------------------------------------------------------------------- parameter errors


@pytest.mark.parametrize("fn", [auc, gini, ks, gains_table])
def test_lengths_differ(fn: object) -> None:
    with pytest.raises(ValueError, match=r"score must have the same length as y \(3\); got 2"):
        fn([0, 1, 0], [0.1, 0.2])  # type: ignore[operator]


@pytest.mark.parametrize("fn", [auc, gini, ks, gains_table])
def test_y_not_binary(fn: object) -> None:
    with pytest.raises(
        ValueError, match=r"y must contain only 0 \(good\) and 1 \(bad\); got values \[2"
    ):
        fn([0, 1, 2], [0.1, 0.2, 0.3])  # type: ignore[operator]
    with pytest.raises(ValueError, match="y must be numeric or boolean"):
        fn(["good", "bad"], [0.1, 0.2])  # type: ignore[operator]


@pytest.mark.parametrize("fn", [auc, gini, ks, gains_table])
def test_single_class(fn: object) -> None:
    with pytest.raises(
        ValueError, match=r"y must contain both classes.*single class; got only good"
    ):
        fn([0, 0, 0], [0.1, 0.2, 0.3])  # type: ignore[operator]


def test_single_class_message_says_auc_is_undefined() -> None:
    with pytest.raises(ValueError, match="AUC is undefined with a single class; got only bad"):
        auc([1, 1], [0.1, 0.2])


@pytest.mark.parametrize("fn", [auc, gini, ks, gains_table])
def test_nan_scores(fn: object) -> None:
    with pytest.raises(
        ValueError,
        match=r"score must be finite \(no NaN or infinity\); got 1 non-finite values at positions \[1\]",
    ):
        fn([0, 1, 0], [0.1, np.nan, 0.3])  # type: ignore[operator]


def test_other_parameter_errors() -> None:
    y, s = [0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4]
    with pytest.raises(TypeError, match="higher_is_riskier must be a bool; got 'no'"):
        auc(y, s, higher_is_riskier="no")  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"n_bins must be between 1 and the number of rows \(4\); got 5"
    ):
        gains_table(y, s, n_bins=5)
    with pytest.raises(TypeError, match=r"n_bins must be an int; got 2\.5"):
        gains_table(y, s, n_bins=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ties must be 'split' or 'together'; got 'x'"):
        gains_table(y, s, 2, ties="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="score must be numeric; got dtype"):
        auc(y, ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="y must be one-dimensional"):
        auc([[0, 1]], [[0.1, 0.2]])
    with pytest.raises(ValueError, match="y must not be empty"):
        auc([], [])


def test_calibration_parameter_errors() -> None:
    y, p, g = [0, 1], [0.1, 0.2], ["A", "B"]
    with pytest.raises(
        ValueError, match=r"pd must be probabilities in \[0, 1\]; got values \[1.5\]"
    ):
        calibration_by_grade(y, [0.1, 1.5], g)
    with pytest.raises(ValueError, match=r"pd must have the same length as y \(2\); got 1"):
        calibration_by_grade(y, [0.1], g)
    with pytest.raises(ValueError, match=r"grade must have the same length as y \(2\); got 3"):
        calibration_by_grade(y, p, ["A", "B", "C"])
    with pytest.raises(ValueError, match="grade must not be missing; got 1 missing at positions"):
        calibration_by_grade(y, p, ["A", None])
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\); got 1.5"):
        calibration_by_grade(y, p, g, alpha=1.5)
    with pytest.raises(ValueError, match="pd must be finite"):
        calibration_by_grade(y, [np.nan, 0.1], g)
