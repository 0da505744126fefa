"""Known answers, properties and parameter errors for ``analytics.stability`` (PSI, CSI)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.analytics.stability import (
    MISSING,
    OTHER,
    PSIResult,
    csi,
    psi,
    psi_band,
    psi_from_counts,
)

GERMAN = Path("/work/shared/data/german_credit.csv")
samples = st.lists(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=1, max_size=80
)


# --------------------------------------------------------------------------- known answers


def test_psi_from_counts_known_answer() -> None:
    # shares 0.5 / 0.5 against 0.25 / 0.75:
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5)
    # = 0.25 ln 2 + 0.25 ln 1.5 = 0.25 ln 3 = 0.27465307...
    assert psi_from_counts([50, 50], [25, 75]) == pytest.approx(0.25 * math.log(3), abs=1e-15)
    assert psi_from_counts([50, 50], [25, 75]) == pytest.approx(0.2746530721670, abs=1e-12)


def test_psi_from_counts_smoothing_of_an_empty_bin() -> None:
    # expected shares 1, 0 -> 1, 1e-4 (the empty bin gets the smoothing share); actual 0.5, 0.5:
    # (0.5 - 1) ln(0.5 / 1) + (0.5 - 1e-4) ln(0.5 / 1e-4)
    hand = (0.5 - 1) * math.log(0.5) + (0.5 - 1e-4) * math.log(0.5 / 1e-4)
    assert psi_from_counts([10, 0], [5, 5]) == pytest.approx(hand, rel=1e-14)
    hand_2 = (0.5 - 1) * math.log(0.5) + (0.5 - 1e-3) * math.log(0.5 / 1e-3)
    assert psi_from_counts([10, 0], [5, 5], smoothing=1e-3) == pytest.approx(hand_2, rel=1e-14)


def test_psi_numeric_known_answer_with_quantile_edges() -> None:
    # expected 1 2 3 4, two quantile bins -> median 2.5 is the single edge;
    # expected 2 | 2 (0.5 / 0.5), actual 1 1 1 | 4 (0.75 / 0.25) -> 0.25 ln 3.
    result = psi([1, 2, 3, 4], [1, 1, 1, 4], bins=2)
    assert isinstance(result, PSIResult)
    assert result.value == pytest.approx(0.25 * math.log(3), abs=1e-15)
    t = result.table
    assert t["label"].tolist() == ["[-inf, 2.5)", "[2.5, inf)"]
    assert t["lower"].tolist() == [-np.inf, 2.5]
    assert t["upper"].tolist() == [2.5, np.inf]
    assert t["expected_count"].tolist() == [2, 2]
    assert t["actual_count"].tolist() == [3, 1]
    assert t["psi"].sum() == pytest.approx(result.value)


def test_psi_explicit_edges_left_closed_and_missing_bin() -> None:
    # edges [10, 20]: bin 0 = x < 10, bin 1 = 10 <= x < 20, bin 2 = x >= 20, bin 3 = missing.
    # expected: 5 | 10, 15 | 20 | NaN -> 1, 2, 1, 1 of 5; actual: 10 | 20, 25 | (no NaN)
    # -> 0, 1, 2, 0 of 3. Zero shares become 1e-4.
    result = psi([5, 10, 15, 20, np.nan], [10, 20, 25], bins=[10, 20])
    t = result.table
    assert t["label"].tolist() == ["[-inf, 10)", "[10, 20)", "[20, inf)", MISSING]
    assert t["expected_count"].tolist() == [1, 2, 1, 1]
    assert t["actual_count"].tolist() == [0, 1, 2, 0]
    e = np.array([0.2, 0.4, 0.2, 0.2])
    a = np.array([1e-4, 1 / 3, 2 / 3, 1e-4])
    assert result.value == pytest.approx(float(np.sum((a - e) * np.log(a / e))), rel=1e-14)


def test_psi_heavy_ties_give_fewer_bins() -> None:
    expected = [0.0] * 90 + [1.0] * 10
    result = psi(expected, expected, bins=10)
    assert len(result.table) == 2  # every decile edge is 0 or 1; edges at the minimum dropped
    assert result.value == 0.0


def test_psi_accepts_series_with_missing_values() -> None:
    e = pd.Series([1.0, 2.0, None, 4.0])
    a = pd.Series([1.0, None, None, 4.0])
    t = psi(e, a, bins=2).table
    assert t["label"].iloc[-1] == MISSING
    assert t["expected_count"].iloc[-1] == 1
    assert t["actual_count"].iloc[-1] == 2


@pytest.mark.parametrize(
    ("value", "band"),
    [(0.0, "stable"), (0.0999, "stable"), (0.1, "watch"), (0.25, "watch"), (0.2501, "shift")],
)
def test_bands(value: float, band: str) -> None:
    assert psi_band(value) == band


# --------------------------------------------------------------------------- properties


@given(samples, st.integers(1, 20))
def test_psi_of_identical_samples_is_zero(xs: list[float], bins: int) -> None:
    result = psi(xs, xs, bins=bins)
    assert result.value == 0.0
    assert (result.table["psi"] == 0.0).all()


@given(samples, samples, st.integers(1, 12))
def test_psi_is_non_negative_and_the_sum_of_its_table(
    xs: list[float], ys: list[float], bins: int
) -> None:
    result = psi(xs, ys, bins=bins)
    assert result.value >= 0.0
    assert (result.table["psi"] >= 0.0).all()
    assert result.value == pytest.approx(result.table["psi"].sum())
    assert result.table["expected_count"].sum() == len(xs)
    assert result.table["actual_count"].sum() == len(ys)
    assert result.table["expected_share"].sum() == pytest.approx(1.0)


@given(
    st.lists(st.integers(0, 1000), min_size=1, max_size=15).filter(lambda c: sum(c) > 0),
    st.integers(1, 50),
)
def test_psi_from_counts_depends_only_on_shares(counts: list[int], factor: int) -> None:
    assert psi_from_counts(counts, counts) == 0.0
    shifted = [c * factor for c in counts]
    assert psi_from_counts(counts, shifted) == pytest.approx(0.0, abs=1e-12)


# --------------------------------------------------------------------------- CSI


def test_csi_categorical_known_answer_with_other_and_missing() -> None:
    # expected a a b b -> a 0.5, b 0.5, other 0, missing 0
    # actual   a a a c -> a 0.75, b 0, other ("c", unseen) 0.25, missing 0
    # zero shares -> 1e-4; PSI = sum (a - e) ln(a / e) over a, b, other, missing (last term 0).
    e = pd.DataFrame({"purpose": ["a", "a", "b", "b"]})
    a = pd.DataFrame({"purpose": ["a", "a", "a", "c"]})
    sm = 1e-4
    hand = (
        (0.75 - 0.5) * math.log(0.75 / 0.5)
        + (sm - 0.5) * math.log(sm / 0.5)
        + (0.25 - sm) * math.log(0.25 / sm)
    )
    out = csi(e, a)
    assert out.columns.tolist() == ["variable", "kind", "n_bins", "psi", "band"]
    row = out.iloc[0]
    assert row["variable"] == "purpose"
    assert row["kind"] == "categorical"
    assert row["n_bins"] == 4  # a, b, other, missing
    assert row["psi"] == pytest.approx(hand, rel=1e-14)
    assert row["band"] == "shift"
    assert OTHER == "other"


def test_csi_many_variables_sorted_with_bands() -> None:
    rng = np.random.default_rng(5)
    n = 4000
    e = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "income": rng.lognormal(9, 0.5, n),
            "city": rng.choice(["bj", "sh", "gz"], n),
            "owner": rng.random(n) < 0.5,
        }
    )
    a = e.copy()
    a["age"] = rng.normal(40, 10, n)  # same population: stable
    a["income"] = rng.lognormal(9.5, 0.5, n)  # a clear shift
    a["city"] = rng.choice(["bj", "sh", "gz", "sz"], n, p=[0.3, 0.3, 0.2, 0.2])
    out = csi(e, a, bins={"age": [30, 40, 50]})
    assert out["psi"].is_monotonic_decreasing
    by = out.set_index("variable")
    assert by.loc["age", "kind"] == "numeric"
    assert by.loc["age", "n_bins"] == 4  # explicit edges -> 4 bins, no missing
    assert by.loc["age", "band"] == "stable"
    assert by.loc["owner", "kind"] == "categorical"  # booleans are categories
    assert by.loc["owner", "psi"] == 0.0
    assert by.loc["income", "band"] == "shift"
    assert by.loc["income", "psi"] == pytest.approx(psi(e["income"], a["income"]).value)
    assert out["band"].tolist() == [psi_band(v) for v in out["psi"]]
    sub = csi(e, a, columns=["age", "owner"])
    assert sorted(sub["variable"]) == ["age", "owner"]


@pytest.mark.skipif(not GERMAN.exists(), reason="German Credit data not present")
def test_csi_on_german_credit_halves_is_small() -> None:
    df = pd.read_csv(GERMAN).drop(columns=["creditability"])
    first, second = df.iloc[::2], df.iloc[1::2]
    out = csi(first, first)
    assert (out["psi"] == 0.0).all()
    assert (csi(first, second)["psi"] >= 0).all()


# --------------------------------------------------------------------------- parameter errors


def test_parameter_errors() -> None:
    with pytest.raises(
        ValueError,
        match="expected_counts and actual_counts must have the same number of bins; got 2 and 3",
    ):
        psi_from_counts([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="actual_counts must be finite and >= 0"):
        psi_from_counts([1, 2], [1, -2])
    with pytest.raises(ValueError, match="expected_counts must have a positive total; got 0"):
        psi_from_counts([0, 0], [1, 2])
    with pytest.raises(ValueError, match=r"smoothing must be in \(0, 1\); got 0"):
        psi_from_counts([1, 2], [1, 2], smoothing=0)
    with pytest.raises(ValueError, match="bins edges must be finite and strictly increasing; got"):
        psi([1, 2], [1, 2], bins=[2, 1])
    with pytest.raises(ValueError, match="bins must be >= 1 quantile bins; got 0"):
        psi([1, 2], [1, 2], bins=0)
    with pytest.raises(
        TypeError, match="bins must be an int >= 1 or a sequence of edges; got True"
    ):
        psi([1, 2], [1, 2], bins=True)
    with pytest.raises(ValueError, match="actual must be numeric"):
        psi([1, 2], ["a", "b"])
    with pytest.raises(ValueError, match="expected must be a non-empty one-dimensional sample"):
        psi([], [1.0])
    with pytest.raises(ValueError, match="actual must not contain infinity"):
        psi([1.0], [np.inf])


def test_csi_parameter_errors() -> None:
    e = pd.DataFrame({"x": [1.0, 2.0], "c": ["a", "b"]})
    with pytest.raises(ValueError, match=r"columns \['x'\] are not in actual_df"):
        csi(e, pd.DataFrame({"c": ["a"]}))
    with pytest.raises(TypeError, match="actual_df must be a pandas DataFrame; got list"):
        csi(e, [1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="actual_df must have at least one row"):
        csi(e, e.iloc[:0])
    with pytest.raises(ValueError, match=r"actual_df\['x'\] must be numeric"):
        csi(e, pd.DataFrame({"x": ["one", "two"], "c": ["a", "b"]}))
    with pytest.raises(ValueError, match="columns must name at least one column"):
        csi(e, e, columns=[])
    with pytest.raises(TypeError, match="bins must be an int or a mapping"):
        csi(e, e, bins=2.5)  # type: ignore[arg-type]
