"""Known answers, invariants and bad input for ``analytics.scorecard`` (the ``Scorecard`` estimator,
``GradeScale`` and ``column_kind``)."""

from __future__ import annotations

import copy
import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from loanpilot.analytics.binning import NumericBinner
from loanpilot.analytics.binning_categorical import CategoricalBinner
from loanpilot.analytics.scorecard import DEFAULT_GRADES, GradeScale, Scorecard, column_kind
from loanpilot.analytics.scorecard_kernel import CategoricalVar, NumericVar, points_for, scaling

HYP = hsettings(database=None, deadline=None, max_examples=40)
GERMAN = Path("/work/shared/data/german_credit.csv")
NAN = float("nan")
LN2 = math.log(2.0)
OFFSET, FACTOR = scaling()  # 600 points at 50:1, 20 points to double the odds

# ------------------------------------------------------------------------ tiny hand-made card
#
# Rows of (x, c, goods, bads). Manual bins: x edges [1.5, 2.5] (bins x=1, x=2, x=3, missing) and
# c groups [["a"], ["b", "c"]] (plus the missing bin). Totals: G = 35 goods, B = 22 bads.
#   x bins:   x=1 good 14 bad 4 | x=2 good 11 bad 7 | x=3 good 7 bad 8 | missing good 3 bad 3
#   c groups: a good 20 bad 7   | b,c good 14 bad 14                   | missing good 1 bad 1
TINY_TABLE: tuple[tuple[float, str | None, int, int], ...] = (
    (1.0, "a", 8, 1),
    (1.0, "b", 4, 2),
    (1.0, "c", 2, 1),
    (2.0, "a", 6, 2),
    (2.0, "b", 3, 3),
    (2.0, "c", 2, 2),
    (3.0, "a", 4, 3),
    (3.0, "b", 2, 4),
    (3.0, None, 1, 1),
    (NAN, "a", 2, 1),
    (NAN, "c", 1, 2),
)
TINY_MANUAL: dict[str, Any] = {"x": [1.5, 2.5], "c": [["a"], ["b", "c"]]}
G_TOT, B_TOT = 35, 22
WOE_X = [  # ln(good share / bad share) per bin, the missing bin last
    math.log((14 / G_TOT) / (4 / B_TOT)),
    math.log((11 / G_TOT) / (7 / B_TOT)),
    math.log((7 / G_TOT) / (8 / B_TOT)),
    math.log((3 / G_TOT) / (3 / B_TOT)),
]
WOE_C = [
    math.log((20 / G_TOT) / (7 / B_TOT)),
    math.log((14 / G_TOT) / (14 / B_TOT)),
    math.log((1 / G_TOT) / (1 / B_TOT)),
]


def tiny_data() -> tuple[pd.DataFrame, np.ndarray]:
    xs: list[float] = []
    cs: list[str | None] = []
    ys: list[int] = []
    for x, c, goods, bads in TINY_TABLE:
        for label, count in ((0, goods), (1, bads)):
            xs += [x] * count
            cs += [c] * count
            ys += [label] * count
    return pd.DataFrame({"x": xs, "c": cs}), np.array(ys)


def tiny_card(**params: Any) -> Scorecard:
    frame, y = tiny_data()
    kw: dict[str, Any] = {
        "manual_bins": TINY_MANUAL,
        "min_iv": 0.0,
        "max_corr": 1.0,
        "max_vif": 1e9,
    }
    return Scorecard(**{**kw, **params}).fit(frame, y)


def hand_woe(frame: pd.DataFrame) -> np.ndarray:
    """The WoE matrix of the tiny data, from the hand-computed WoE (not from the estimator)."""
    x_bin = [3 if math.isnan(v) else int(v) - 1 for v in frame["x"]]
    c_bin = [2 if v is None or v != v else (0 if v == "a" else 1) for v in frame["c"]]
    return np.column_stack([np.array(WOE_X)[x_bin], np.array(WOE_C)[c_bin]])


# ------------------------------------------------------------------------ synthetic bank data

JOBS = ("clerk", "owner", "it", "farmer", "pilot", "artist", "monk")
JOB_P = (0.40, 0.25, 0.20, 0.09, 0.03, 0.02, 0.01)  # the last three are rare: pooled as "other"
JOB_RISK = {"clerk": 0.0, "owner": -0.6, "it": -0.3, "farmer": 0.7, "pilot": -0.2}


def synthetic(seed: int = 0, n: int = 3000) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 71, n).astype(float)
    income = np.round(rng.lognormal(9.0, 0.5, n), -2)
    job = rng.choice(np.array(JOBS, dtype=object), n, p=JOB_P)
    noise = rng.normal(size=n).round(3)
    logit = (
        -1.2
        - 0.04 * (age - 40)
        - 0.9 * (np.log(income) - 9.0)
        + np.array([JOB_RISK.get(j, 0.3) for j in job])
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    age[rng.random(n) < 0.05] = np.nan
    job[rng.random(n) < 0.03] = None
    frame = pd.DataFrame({"age": age, "income": income, "job": job, "noise": noise})
    return frame, y


@functools.cache
def synthetic_card() -> Scorecard:
    frame, y = synthetic()
    return Scorecard().fit(frame, y)


# ============================================================================ known answers


def test_tiny_card_keeps_both_variables_with_negative_coefficients() -> None:
    sc = tiny_card()
    assert sc.variables_ == ("x", "c")
    assert sc.kinds_ == {"x": "numeric", "c": "categorical"}
    assert sc.dropped_ == {}
    assert all(c < 0 for c in sc.coef_.values())
    assert (sc.n_rows_, sc.n_bad_) == (57, 22)


def test_woe_per_bin_is_hand_computed() -> None:
    sc = tiny_card()
    bx, bc = sc.binners_["x"], sc.binners_["c"]
    assert isinstance(bx, NumericBinner)
    assert isinstance(bc, CategoricalBinner)
    # counts_ rows are (total, bad, good) per bin, missing last
    assert bx.counts_.tolist() == [[18, 4, 14], [18, 7, 11], [15, 8, 7], [6, 3, 3]]
    assert bc.counts_.tolist() == [[27, 7, 20], [28, 14, 14], [2, 1, 1]]
    np.testing.assert_allclose(bx.woe_, WOE_X, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(bc.woe_, WOE_C, rtol=1e-13, atol=1e-15)
    frame, _ = tiny_data()
    np.testing.assert_allclose(sc.woe_frame(frame).to_numpy(), hand_woe(frame), rtol=1e-13)


def test_points_follow_points_for_exactly() -> None:
    sc = tiny_card()
    n = len(sc.variables_)
    for var in sc.card_.variables:
        b = sc.binners_[var.name]
        coef = sc.coef_[var.name]
        expected = points_for(b.woe_, coef, sc.intercept_, n, OFFSET, FACTOR)
        np.testing.assert_array_equal(var.points, expected[:-1])
        assert var.missing_points == expected[-1]
        # and the formula written out: points = -(coef * woe + intercept / n) * factor + offset / n
        by_hand = -(coef * np.asarray(b.woe_) + sc.intercept_ / n) * FACTOR + OFFSET / n
        np.testing.assert_allclose(expected, by_hand, rtol=1e-14)
    x_var = sc.card_.variables[0]
    assert isinstance(x_var, NumericVar)
    np.testing.assert_array_equal(x_var.edges, [1.5, 2.5])
    assert x_var.train_range == (1.0, 3.0)
    c_var = sc.card_.variables[1]
    assert isinstance(c_var, CategoricalVar)
    assert dict(zip(c_var.categories, c_var.bin_of_category.tolist(), strict=True)) == {
        "a": 0,
        "b": 1,
        "c": 1,
    }


@pytest.mark.parametrize("c", [1.0, 0.3, 25.0])
def test_predict_proba_is_sklearn_logistic_regression_on_woe(c: float) -> None:
    sc = tiny_card(C=c)
    frame, y = tiny_data()
    w = hand_woe(frame)
    lr = LogisticRegression(C=c, tol=1e-8, max_iter=5000).fit(w, y)
    assert sc.intercept_ == pytest.approx(float(lr.intercept_[0]), abs=1e-9)
    np.testing.assert_allclose([sc.coef_["x"], sc.coef_["c"]], lr.coef_[0], atol=1e-9)
    np.testing.assert_allclose(sc.predict_proba(frame), lr.predict_proba(w), rtol=0, atol=1e-9)
    # the score is offset + factor * ln(odds_good) of that model
    p_bad = lr.predict_proba(w)[:, 1]
    np.testing.assert_allclose(
        sc.score(frame), OFFSET + FACTOR * np.log((1 - p_bad) / p_bad), rtol=1e-11
    )


def test_score_is_the_linear_predictor_scaled() -> None:
    sc = tiny_card()
    frame, _ = tiny_data()
    w = hand_woe(frame)
    ln_odds_good = -(sc.intercept_ + w @ np.array([sc.coef_["x"], sc.coef_["c"]]))
    np.testing.assert_allclose(sc.score(frame), OFFSET + FACTOR * ln_odds_good, rtol=1e-13)
    proba = sc.predict_proba(frame)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(ln_odds_good)), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)


# ============================================================================ scaling


def test_default_scaling_is_600_points_at_50_to_1_and_20_pdo() -> None:
    sc = tiny_card()
    assert sc.card_.factor == pytest.approx(20 / LN2, rel=1e-15)
    assert sc.card_.offset == pytest.approx(600 - 20 / LN2 * math.log(50), rel=1e-15)
    frame, _ = tiny_data()
    # A card whose model log-odds are known: no slopes, intercept ln(odds_bad) = -ln 50.
    known = copy.copy(sc)
    known.coef_ = {"x": 0.0, "c": 0.0}
    for odds_good, points in ((50.0, 600.0), (100.0, 620.0), (25.0, 580.0), (400.0, 660.0)):
        known.intercept_ = -math.log(odds_good)
        known.card_ = known.compile()
        np.testing.assert_allclose(known.score(frame), points, rtol=1e-13)
        np.testing.assert_allclose(known.predict_proba(frame)[:, 1], 1 / (1 + odds_good), 1e-12)


def test_custom_scaling_parameters() -> None:
    sc = tiny_card(base_points=500.0, base_odds=20.0, pdo=40.0)
    assert sc.card_.factor == pytest.approx(40 / LN2)
    frame, _ = tiny_data()
    w = hand_woe(frame)
    ln_odds_good = -(sc.intercept_ + w @ np.array([sc.coef_["x"], sc.coef_["c"]]))
    # 500 points at 20:1 and 40 more points per doubling of the odds
    np.testing.assert_allclose(
        sc.score(frame), 500 + 40 * (ln_odds_good - math.log(20)) / LN2, rtol=1e-12
    )
    # scaling changes the points, not the model: the probabilities are the default card's
    np.testing.assert_allclose(sc.predict_proba(frame), tiny_card().predict_proba(frame), 1e-12)


@HYP
@given(st.floats(200.0, 900.0))
def test_pdo_points_double_the_odds(score: float) -> None:
    card = tiny_card().card_
    p0, p1 = card.pd_of([score, score + 20.0])
    assert ((1 - p1) / p1) / ((1 - p0) / p0) == pytest.approx(2.0, rel=1e-9)


# ============================================================================ grades


def test_grade_minimum_scores_invert_the_pd_exactly() -> None:
    scale = GradeScale.from_pd_bounds(DEFAULT_GRADES, OFFSET, FACTOR)
    assert scale.names == tuple(name for name, _ in DEFAULT_GRADES)
    assert scale.max_pd == tuple(p for _, p in DEFAULT_GRADES)
    assert scale.max_pd[-1] == 1.0
    assert scale.min_scores[-1] == -math.inf
    card = tiny_card().card_
    for p, s in zip(scale.max_pd[:-1], scale.min_scores[:-1], strict=True):
        assert s == pytest.approx(OFFSET + FACTOR * math.log((1 - p) / p), rel=1e-15)
        assert float(card.pd_of(s)) == pytest.approx(p, rel=1e-12)
    assert list(scale.min_scores[:-1]) == sorted(scale.min_scores[:-1], reverse=True)
    # known answers: PD 0.5 % is odds 199:1, i.e. 600 + 20 * log2(199 / 50) points; PD 1/51 is
    # exactly 50:1, i.e. 600 points; PD 2 % is odds 49:1, just under 600
    fixed = GradeScale.from_pd_bounds(
        (("A", 0.005), ("B", 1 / 51), ("C", 0.02), ("D", 1.0)), OFFSET, FACTOR
    )
    assert fixed.min_scores[0] == pytest.approx(600 + 20 * math.log2(199 / 50), rel=1e-14)
    assert fixed.min_scores[1] == pytest.approx(600.0, rel=1e-14)
    assert fixed.min_scores[2] == pytest.approx(600 + 20 * math.log2(49 / 50), rel=1e-14)


def test_grade_boundaries_belong_to_the_better_grade() -> None:
    scale = GradeScale.from_pd_bounds(DEFAULT_GRADES, OFFSET, FACTOR)
    at = np.array(scale.min_scores[:-1])
    below = np.nextafter(at, -np.inf)
    assert scale.of(at).tolist() == list(scale.names[:-1])
    assert scale.of(below).tolist() == list(scale.names[1:])
    assert scale.of([1e6, -1e6]).tolist() == [scale.names[0], scale.names[-1]]


SCALE = GradeScale.from_pd_bounds(DEFAULT_GRADES, OFFSET, FACTOR)
SCORES = st.one_of(
    st.floats(300.0, 800.0),
    st.sampled_from(SCALE.min_scores[:-1]),
    st.sampled_from(SCALE.min_scores[:-1]).map(lambda s: float(np.nextafter(s, -np.inf))),
)


@HYP
@given(st.lists(SCORES, min_size=1, max_size=30))
def test_grade_agrees_with_the_pd_bounds(scores: list[float]) -> None:
    card = tiny_card().card_
    grades = SCALE.of(scores).tolist()
    pds = card.pd_of(scores)
    for s, g, p in zip(scores, grades, pds.tolist(), strict=True):
        i = SCALE.names.index(g)
        assert p <= SCALE.max_pd[i] * (1 + 1e-12), (s, g, p)
        if i > 0:
            assert p > SCALE.max_pd[i - 1] * (1 - 1e-12), (s, g, p)
    # a higher score never gets a worse grade
    order = np.argsort(scores, kind="stable")
    ranks = [SCALE.names.index(grades[j]) for j in order]
    assert ranks == sorted(ranks, reverse=True)


def test_grade_of_fitted_rows_agrees_with_predict_proba() -> None:
    sc = synthetic_card()
    frame, _ = synthetic()
    grades = sc.grade(frame)
    p_bad = sc.predict_proba(frame)[:, 1]
    bounds = dict(DEFAULT_GRADES)
    names = [g for g, _ in DEFAULT_GRADES]
    assert len(set(grades.tolist())) >= 3
    for g, p in zip(grades.tolist(), p_bad.tolist(), strict=True):
        i = names.index(g)
        assert p <= bounds[g] * (1 + 1e-12)
        assert i == 0 or p > bounds[names[i - 1]] * (1 - 1e-12)


def test_custom_grades_are_used() -> None:
    scale = (("low", 0.1), ("mid", 0.3), ("high", 1.0))
    sc = tiny_card(grades=scale)
    frame, _ = tiny_data()
    p_bad = sc.predict_proba(frame)[:, 1]
    expected = np.where(p_bad <= 0.1, "low", np.where(p_bad <= 0.3, "mid", "high"))
    assert sc.grade(frame).tolist() == expected.tolist()
    assert sc.grades_.names == ("low", "mid", "high")


@pytest.mark.parametrize(
    ("bounds", "match"),
    [
        ((("A", 1.0),), "at least two distinct names"),
        ((("A", 0.1), ("A", 1.0)), "at least two distinct names"),
        ((("A", 0.2), ("B", 0.1), ("C", 1.0)), "strictly increasing"),
        ((("A", 0.2), ("B", 0.2), ("C", 1.0)), "strictly increasing"),
        ((("A", 0.0), ("B", 1.0)), "strictly increasing in \\(0, 1\\]"),
        ((("A", -0.1), ("B", 1.0)), "strictly increasing in \\(0, 1\\]"),
        ((("A", 0.5), ("B", 1.5)), "strictly increasing in \\(0, 1\\]"),
        ((("A", 0.5), ("B", 0.9)), "last grade must take every PD up to 1"),
    ],
)
def test_bad_grade_bounds_are_rejected(bounds: tuple[tuple[str, float], ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GradeScale.from_pd_bounds(bounds, OFFSET, FACTOR)
    frame, y = tiny_data()
    with pytest.raises(ValueError, match=match):
        Scorecard(grades=bounds).fit(frame, y)


def test_grade_scale_list_round_trip() -> None:
    scale = GradeScale.from_pd_bounds(DEFAULT_GRADES, OFFSET, FACTOR)
    rows = scale.to_list()
    assert rows[-1] == {"grade": scale.names[-1], "max_pd": 1.0, "min_score": None}
    assert rows[0]["min_score"] == scale.min_scores[0]
    assert GradeScale.from_list(rows) == scale


# ============================================================================ column kinds


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (pd.Series([1.5, 2.0, NAN]), "numeric"),
        (pd.Series([1, 2, 3], dtype="int64"), "numeric"),
        (pd.Series([1, None, 3], dtype="Int64"), "numeric"),
        (pd.Series([" 12 ", "3", None, "4.5"], dtype=object), "numeric"),
        (pd.Series([" 12 ", "3", "-1e3"]), "numeric"),  # pandas' default text dtype
        (pd.Series(["a", "b", None], dtype=object), "categorical"),
        (pd.Series(["a", "b", "c"]), "categorical"),
        (pd.Series(["A11", "A12", "7"]), "categorical"),  # one number among codes
        (pd.Series([True, False, True]), "categorical"),
        (pd.Series([True, None, False], dtype="boolean"), "categorical"),
        (pd.Series(["x", "y"], dtype="category"), "categorical"),
        (pd.Series([None, None], dtype=object), "numeric"),  # nothing to read: dropped later
    ],
)
def test_column_kind(values: pd.Series, kind: str) -> None:
    assert column_kind(values, "col") == kind


def mostly_numeric(n: int = 40, text: str = "n/a", at: int = 17) -> pd.Series:
    values = [str(i) for i in range(n)]
    values[at] = text
    return pd.Series(values, index=range(100, 100 + n), dtype=object)


def test_mostly_numeric_column_with_one_text_names_column_text_and_row() -> None:
    with pytest.raises(ValueError, match=r"column 'amount'.*row 117.*'n/a'") as info:
        column_kind(mostly_numeric(), "amount")
    assert "declare the column categorical" in str(info.value)


def test_mostly_numeric_error_through_fit() -> None:
    col = mostly_numeric(text="12,5", at=3)
    y = np.arange(40) % 2
    with pytest.raises(ValueError, match=r"column 'amount'.*row 103.*'12,5'"):
        Scorecard().fit(pd.DataFrame({"amount": col}), y)


def test_numeric_share_threshold() -> None:
    one_in_20 = mostly_numeric(n=20, at=5)  # 95 % numbers: an error at the default 0.95
    with pytest.raises(ValueError, match="row 105"):
        column_kind(one_in_20, "v")
    two_in_20 = one_in_20.copy()
    two_in_20.iloc[6] = "x"  # 90 % numbers: text on purpose
    assert column_kind(two_in_20, "v") == "categorical"
    with pytest.raises(ValueError, match="row 105"):
        column_kind(two_in_20, "v", numeric_share=0.9)


def test_numeric_text_column_fits_exactly_as_the_numbers() -> None:
    frame, y = synthetic()
    age_text = frame["age"].map(lambda v: None if v != v else f" {int(v)} ").astype(object)
    as_text = frame.assign(age=age_text)
    sc_text = Scorecard().fit(as_text, y)
    sc_num = synthetic_card()
    assert sc_text.kinds_["age"] == "numeric"
    assert sc_text.variables_ == sc_num.variables_
    np.testing.assert_array_equal(sc_text.binners_["age"].woe_, sc_num.binners_["age"].woe_)
    np.testing.assert_array_equal(sc_text.score(as_text), sc_num.score(frame))


def test_column_named_numeric_holding_text_is_an_error() -> None:
    frame, y = tiny_data()
    with pytest.raises(ValueError, match=r"column 'c'.*'a'"):
        Scorecard(numeric=["c"]).fit(frame, y)
    mostly = frame.assign(x=frame["x"].astype(object))
    mostly.loc[5, "x"] = "unknown"
    with pytest.raises(ValueError, match=r"column 'x'.*row 5.*'unknown'"):
        Scorecard(numeric=["x"], numeric_share=0.5).fit(mostly, y)


def test_declaring_a_mostly_numeric_column_categorical_fits_it_as_text() -> None:
    frame, y = synthetic()
    codes = frame["income"].map(lambda v: str(int(v) // 10000)).astype(object)
    codes.iloc[11] = "n/a"
    data = frame.assign(band=codes)
    with pytest.raises(ValueError, match="'band'"):
        Scorecard().fit(data, y)
    sc = Scorecard(categorical=["band"]).fit(data, y)
    assert sc.kinds_["band"] == "categorical"
    # the other columns are still inferred, not dropped because one column was named
    assert {"age", "income", "job"} <= set(sc.kinds_)


def test_bool_column_is_categorical_and_scores_its_values() -> None:
    frame, y = synthetic()
    flag = frame["income"] > frame["income"].median()
    sc = Scorecard(min_iv=0.0).fit(pd.DataFrame({"rich": flag}), y)
    assert sc.kinds_ == {"rich": "categorical"}
    binner = sc.binners_["rich"]
    assert isinstance(binner, CategoricalBinner)
    assert sorted(c for g in binner.groups_ for c in g) == ["False", "True"]
    result = sc.card_.score(pd.DataFrame({"rich": flag}))
    assert result.unseen_counts == {"rich": 0}
    batch = result.score
    assert sc.score({"rich": True})[0] == batch[np.flatnonzero(flag.to_numpy())[0]]
    assert sc.score({"rich": False})[0] == batch[np.flatnonzero(~flag.to_numpy())[0]]
    assert sc.score({"rich": True})[0] > sc.score({"rich": False})[0]  # richer is safer


def test_float_column_named_categorical_scores_its_training_rows() -> None:
    frame, y = synthetic()
    grade_code = np.floor(frame["income"] / 5000.0)  # float64 codes 0.0, 1.0, ... with NaN
    grade_code[frame["age"].isna()] = np.nan
    data = pd.DataFrame({"code": grade_code, "age": frame["age"]})
    sc = Scorecard(categorical=["code"], min_iv=0.0).fit(data, y)
    assert "code" in sc.variables_
    assert sc.card_.score(data).unseen_counts["code"] == 0
    lr = LogisticRegression(C=1.0, max_iter=5000, tol=1e-8).fit(
        sc.woe_frame(data, sc.variables_), y
    )
    np.testing.assert_allclose(
        sc.predict_proba(data), lr.predict_proba(sc.woe_frame(data, sc.variables_)), atol=1e-9
    )


def test_integer_column_labels() -> None:
    frame, y = synthetic()
    numbered = pd.DataFrame(frame[["age", "income"]].to_numpy())  # columns 0 and 1
    refusal: Exception | None = None
    try:
        sc = Scorecard().fit(numbered, y)
    except (TypeError, ValueError) as exc:  # a clear refusal naming the labels is fine too
        refusal = exc
    if refusal is not None:
        assert "column" in str(refusal)
    else:  # or it fits, and scores the frame it was fitted on
        assert len(sc.variables_) == 2
        assert np.isfinite(sc.score(numbered)).all()


def test_duplicate_column_labels_are_refused_by_name() -> None:
    frame, y = synthetic()
    dup = pd.concat([frame[["age", "income"]], frame[["age"]]], axis=1)
    with pytest.raises(ValueError, match="age"):
        Scorecard().fit(dup, y)


# ============================================================================ unusable columns


def test_inferred_all_missing_and_constant_columns_are_dropped_with_reasons() -> None:
    frame, y = synthetic()
    data = frame.assign(
        empty=np.nan, blank=pd.Series([None] * len(frame), dtype=object), same=7, same_text="yes"
    )
    sc = Scorecard().fit(data, y)
    assert sc.dropped_["empty"] == "all missing"
    assert sc.dropped_["blank"] == "all missing"
    assert sc.dropped_["same"].startswith("constant (only value ")
    assert sc.dropped_["same_text"] == "constant (only value 'yes')"
    for name in ("empty", "blank", "same", "same_text"):
        assert name not in sc.binners_
        assert any(f"'{name}'" in w for w in sc.warnings_)
    assert sc.variables_ == synthetic_card().variables_


@pytest.mark.parametrize(
    ("kw", "column", "problem"),
    [
        ({"numeric": ["empty"]}, "empty", "all missing"),
        ({"categorical": ["empty"]}, "empty", "all missing"),
        ({"numeric": ["same"]}, "same", "constant"),
        ({"categorical": ["same"]}, "same", "constant"),
    ],
)
def test_named_unusable_column_is_an_error(kw: dict[str, Any], column: str, problem: str) -> None:
    frame, y = tiny_data()
    data = frame.assign(empty=np.nan, same=3.0)
    with pytest.raises(ValueError, match=f"column '{column}' is {problem}"):
        Scorecard(**kw).fit(data, y)


def test_one_value_plus_missing_is_an_indicator_not_a_constant() -> None:
    # Bank extracts often hold flags as 1 or blank. With missing values in a bin of their own such
    # a column has two bins and can separate good from bad (here IV about 0.77), so it is not
    # "constant": only a column with one value and no missing value is.
    frame, y = synthetic()
    rng = np.random.default_rng(5)
    flag = np.where(rng.random(len(y)) < np.where(y == 1, 0.6, 0.2), 1.0, np.nan)
    assert NumericBinner().fit(flag, y, name="arrears").iv_ > 0.5
    sc = Scorecard().fit(frame.assign(arrears=flag), y)
    assert "arrears" not in sc.dropped_
    assert "arrears" in sc.variables_


def test_all_columns_unusable_lists_why() -> None:
    _, y = tiny_data()
    data = pd.DataFrame({"empty": np.nan, "same": "x", "one": 1.0}, index=range(len(y)))
    with pytest.raises(ValueError, match="no usable column") as info:
        Scorecard().fit(data, y)
    message = str(info.value)
    assert "empty: all missing" in message
    assert "same: constant (only value 'x')" in message
    assert "one: constant" in message


def test_every_column_excluded_is_an_error() -> None:
    frame, y = tiny_data()
    with pytest.raises(ValueError, match="no candidate columns"):
        Scorecard(exclude=["x", "c"]).fit(frame, y)


def test_excluded_column_is_not_used() -> None:
    frame, y = synthetic()
    sc = Scorecard(exclude=["income"]).fit(frame, y)
    assert "income" not in sc.kinds_
    assert "income" not in sc.variables_
    assert "age" in sc.variables_


def test_weak_column_dropped_by_iv_floor() -> None:
    sc = synthetic_card()
    assert "noise" not in sc.variables_
    assert sc.dropped_["noise"].startswith("IV ")
    assert sc.iv_["noise"] < 0.02


def test_bins_respect_max_bins_min_share_and_a_monotone_trend() -> None:
    sc = synthetic_card()
    n = sc.n_rows_
    for name, b in sc.binners_.items():
        counts = b.counts_[:-1, 0]  # the missing bin last, not bound by the share
        assert counts.size <= 10, name  # max_bins (default 10)
        assert (counts >= 0.04 * n).all(), name  # min_bin_share (default 4 %)
        if isinstance(b, NumericBinner):
            woe = np.diff(b.woe_[:-1])
            assert (woe >= 0).all() or (woe <= 0).all(), name  # monotonic="auto"
    assert sc.binners_["age"].woe_[0] < sc.binners_["age"].woe_[-2]  # older is safer


def test_max_bins_parameter_is_applied() -> None:
    frame, y = synthetic()
    sc = Scorecard(max_bins=3).fit(frame, y)
    for b in sc.binners_.values():
        assert b.counts_.shape[0] - 1 <= 3


def test_stepwise_selection_keeps_a_subset_with_reasons() -> None:
    frame, y = synthetic()
    sc = Scorecard(stepwise=True).fit(frame, y)
    plain = synthetic_card()
    assert set(sc.variables_) <= set(plain.variables_)
    for name in set(plain.variables_) - set(sc.variables_):
        assert sc.dropped_[name] == "not chosen by forward stepwise (AIC)"


# ============================================================================ target and X


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (np.zeros(57, dtype=int), r"single class \(0 bad of 57\)"),
        (np.ones(57, dtype=int), r"single class \(57 bad of 57\)"),
        (np.arange(57) % 3, "only 0 \\(good\\) and 1 \\(bad\\)"),
        (np.where(np.arange(57) % 2, "bad", "good"), "only 0 \\(good\\) and 1 \\(bad\\)"),
        (np.where(np.arange(57) % 2, 1.0, NAN), "only 0 \\(good\\) and 1 \\(bad\\)"),
        (np.arange(56) % 2, r"one value per row of X \(57\); got \(56,\)"),
        (np.zeros((57, 1), dtype=int), r"one value per row of X \(57\); got \(57, 1\)"),
    ],
)
def test_bad_target(y: np.ndarray, match: str) -> None:
    frame, _ = tiny_data()
    with pytest.raises(ValueError, match=match):
        Scorecard().fit(frame, y)


@pytest.mark.parametrize("convert", [lambda y: y.astype(float), lambda y: y.astype(bool), list])
def test_target_as_float_bool_or_list(convert: Any) -> None:
    frame, y = tiny_data()
    sc = Scorecard(manual_bins=TINY_MANUAL, min_iv=0.0, max_corr=1.0, max_vif=1e9)
    np.testing.assert_array_equal(sc.fit(frame, convert(y)).score(frame), tiny_card().score(frame))


@pytest.mark.parametrize(
    "data", [np.ones((4, 2)), {"x": [1, 2]}, [[1, 2]], pd.Series([1.0, 2.0])], ids=type
)
def test_x_must_be_a_dataframe(data: Any) -> None:
    with pytest.raises(TypeError, match="X must be a pandas DataFrame; got"):
        Scorecard().fit(data, [0, 1])


def test_x_without_rows() -> None:
    with pytest.raises(ValueError, match="X has no rows"):
        Scorecard().fit(pd.DataFrame({"x": pd.Series([], dtype=float)}), np.array([], dtype=int))


def test_constant_number_reason_shows_the_plain_number() -> None:
    frame, y = tiny_data()
    sc = Scorecard(manual_bins=TINY_MANUAL).fit(frame.assign(same=7), y)
    assert sc.dropped_["same"] == "constant (only value 7)"


def test_unfitted_scorecard_refuses_to_score() -> None:
    frame, _ = tiny_data()
    with pytest.raises(ValueError, match="Scorecard is not fitted; call fit first"):
        Scorecard().score(frame)


@pytest.mark.parametrize("method", ["predict_proba", "grade"])
def test_unfitted_scorecard_refuses_to_predict_or_grade(method: str) -> None:
    frame, _ = tiny_data()
    with pytest.raises(ValueError, match="Scorecard is not fitted; call fit first"):
        getattr(Scorecard(), method)(frame)


def test_fit_returns_self_and_refit_forgets_the_previous_data() -> None:
    frame, y = synthetic()
    sc = Scorecard()
    assert sc.fit(frame.assign(empty=np.nan), y) is sc
    assert "empty" in sc.dropped_
    sc.fit(frame, y)
    assert "empty" not in sc.dropped_
    assert not any("empty" in w for w in sc.warnings_)


# ============================================================================ missing, unseen, range


def test_missing_values_have_their_own_bin_and_points() -> None:
    sc = tiny_card()
    x_var, c_var = sc.card_.variables
    n = 2
    x_missing = points_for([WOE_X[3]], sc.coef_["x"], sc.intercept_, n, OFFSET, FACTOR)[0]
    c_missing = points_for([WOE_C[2]], sc.coef_["c"], sc.intercept_, n, OFFSET, FACTOR)[0]
    assert x_var.missing_points == pytest.approx(x_missing, rel=1e-13)
    assert c_var.missing_points == pytest.approx(c_missing, rel=1e-13)
    frame, _ = tiny_data()
    result = sc.card_.score(frame)
    assert result.missing_counts == {"x": 6, "c": 2}
    row = sc.card_.score({"x": None, "c": None})
    assert row.score[0] == x_var.missing_points + c_var.missing_points
    assert row.missing_counts == {"x": 1, "c": 1}
    # the missing rows of the training data score the missing points
    nan_rows = frame["x"].isna().to_numpy()
    assert (result.points[nan_rows, 0] == x_var.missing_points).all()


def test_empty_missing_bin_scores_the_average_applicant() -> None:
    frame, y = synthetic()
    data = frame.assign(age=frame["age"].fillna(40.0), job=frame["job"].fillna("clerk"))
    sc = Scorecard().fit(data, y)
    n = len(sc.variables_)
    for var in sc.card_.variables:
        neutral = points_for([0.0], sc.coef_[var.name], sc.intercept_, n, OFFSET, FACTOR)[0]
        assert var.missing_points == neutral, var.name


def test_unseen_category_scores_the_other_group_and_is_counted() -> None:
    sc = synthetic_card()
    assert "job" in sc.variables_
    binner = sc.binners_["job"]
    assert isinstance(binner, CategoricalBinner)
    assert binner.other_bin_ is not None
    other = next(g for g in binner.groups_ if "monk" in g)  # rare jobs are pooled as "other"
    assert binner.other_label in other
    var = sc.card_.variables[sc.variables_.index("job")]
    assert isinstance(var, CategoricalVar)
    assert var.unseen_points == var.points[binner.other_bin_]
    frame, _ = synthetic()
    jobs: list[str | None] = ["astronaut", "clerk", "astronaut", None, "monk"]
    rows = frame.head(5).assign(job=pd.Series(jobs, index=frame.index[:5], dtype=object))
    result = sc.card_.score(rows)
    assert result.unseen_counts["job"] == 2
    assert result.missing_counts["job"] == 1
    j = sc.variables_.index("job")
    assert result.points[0, j] == var.unseen_points == result.points[4, j]  # unseen == "monk"
    assert result.bins[0, j] == var.n_bins + 1  # unseen code
    one = sc.card_.score({name: frame[name].iloc[0] for name in sc.variables_} | {"job": "new"})
    assert one.unseen_counts["job"] == 1


def test_unseen_category_without_other_group_scores_woe_zero() -> None:
    sc = tiny_card()
    c_var = sc.card_.variables[1]
    assert isinstance(c_var, CategoricalVar)
    neutral = points_for([0.0], sc.coef_["c"], sc.intercept_, 2, OFFSET, FACTOR)[0]
    assert c_var.unseen_points == neutral
    assert c_var.unseen_points < c_var.best_points  # a new code never earns the best points
    result = sc.card_.score({"x": [1.0, 1.0], "c": ["zzz", "a"]})
    assert result.unseen_counts == {"x": 0, "c": 1}
    assert result.points[0, 1] == neutral


def test_out_of_range_numbers_are_counted_and_scored_in_the_end_bins() -> None:
    sc = tiny_card()
    x_var = sc.card_.variables[0]
    assert isinstance(x_var, NumericVar)
    result = sc.card_.score({"x": [-1e9, 0.5, 1.0, 3.0, 3.5, 1e9, np.inf], "c": ["a"] * 7})
    assert result.out_of_range_counts["x"] == 5  # -1e9, 0.5, 3.5, 1e9, inf (1 and 3 are in)
    assert result.points[:, 0].tolist() == [
        x_var.points[0],
        x_var.points[0],
        x_var.points[0],
        x_var.points[2],
        x_var.points[2],
        x_var.points[2],
        x_var.points[2],
    ]
    assert sc.ranges_["x"] == (1.0, 3.0)


# ============================================================================ wrong-sign coefficients


def collinear(n: int = 3000, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    """z2 follows z1 (corr 0.9); the risk rises with z1 and falls with z2 at fixed z1. Alone, z2
    looks risky (its marginal effect is 2 * 0.9 - 1 > 0); beside z1 its WoE gets the wrong sign."""
    rng = np.random.default_rng(seed)
    z1 = rng.normal(size=n)
    z2 = 0.9 * z1 + math.sqrt(1 - 0.81) * rng.normal(size=n)
    logit = -1.0 + 2.0 * z1 - 1.0 * z2
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pd.DataFrame({"z1": z1.round(2), "z2": z2.round(2)}), y


def test_wrong_sign_coefficient_is_dropped_with_the_reason() -> None:
    frame, y = collinear()
    sc = Scorecard(max_corr=0.99, max_vif=1e6).fit(frame, y)
    # the situation is real: both WoE columns in one regression give z2 a positive coefficient
    both = LogisticRegression(C=1.0, max_iter=5000, tol=1e-8).fit(
        sc.woe_frame(frame, ["z1", "z2"]), y
    )
    assert both.coef_[0][0] < 0 < both.coef_[0][1]
    assert sc.variables_ == ("z1",)
    assert sc.dropped_["z2"] == "coefficient with the wrong sign (collinear with others)"
    assert sc.coef_["z1"] < 0
    alone = LogisticRegression(C=1.0, max_iter=5000, tol=1e-8).fit(sc.woe_frame(frame, ["z1"]), y)
    assert sc.coef_["z1"] == pytest.approx(float(alone.coef_[0][0]), abs=1e-12)


def test_selection_drops_collinear_variable_before_the_regression_by_default() -> None:
    frame, y = collinear()
    sc = Scorecard().fit(frame, y)
    assert sc.variables_ == ("z1",) or sc.variables_ == ("z2",)
    (dropped,) = {"z1", "z2"} - set(sc.variables_)
    assert sc.dropped_[dropped].startswith("correlation ")


# ============================================================================ manual bins


def test_manual_bins_are_used_exactly() -> None:
    frame, y = synthetic()
    groups = [["owner", "it"], ["clerk", "pilot"], ["farmer", "artist", "monk"]]
    manual: dict[str, Any] = {"age": [25.0, 35.5, 60.0], "job": groups}
    sc = Scorecard(manual_bins=manual, min_iv=0.0).fit(frame, y)
    age, job = sc.binners_["age"], sc.binners_["job"]
    assert isinstance(age, NumericBinner)
    assert isinstance(job, CategoricalBinner)
    assert age.manual_
    assert job.manual_
    np.testing.assert_array_equal(age.edges_, [25.0, 35.5, 60.0])
    assert job.groups_ == [["owner", "it"], ["clerk", "pilot"], ["farmer", "artist", "monk"]]
    age_var = sc.card_.variables[sc.variables_.index("age")]
    assert isinstance(age_var, NumericVar)
    np.testing.assert_array_equal(age_var.edges, [25.0, 35.5, 60.0])
    # counts come from those bins: x < 25 in the first bin, 25 <= x < 35.5 in the second, ...
    a = frame["age"].to_numpy()
    assert age.counts_[:, 0].tolist() == [
        int((a < 25).sum()),
        int(((a >= 25) & (a < 35.5)).sum()),
        int(((a >= 35.5) & (a < 60)).sum()),
        int((a >= 60).sum()),
        int(np.isnan(a).sum()),
    ]
    # a column without manual bins is still binned automatically
    assert not sc.binners_["income"].manual_


def test_manual_groups_must_cover_every_category() -> None:
    frame, y = synthetic()
    with pytest.raises(ValueError, match=r"column 'job' miss categories.*monk"):
        Scorecard(manual_bins={"job": [["clerk", "owner", "it", "farmer", "pilot", "artist"]]}).fit(
            frame, y
        )


def test_manual_edges_must_increase() -> None:
    frame, y = synthetic()
    with pytest.raises(ValueError, match="edges for column 'age' must be finite and strictly"):
        Scorecard(manual_bins={"age": [40.0, 30.0]}).fit(frame, y)


# ============================================================================ one row == batch


ROW_NUMBERS = st.one_of(
    st.none(),
    st.just(NAN),
    st.integers(0, 120),
    st.floats(-1e7, 1e7, allow_nan=False),
    st.sampled_from([18.0, 70.0, 2500.0]),
    st.sampled_from(["30", " 45 ", "2500.5", "-1e3"]),  # numeric text is read as the number
)


def card_edges() -> list[float]:
    sc = synthetic_card()
    return [
        float(e) for v in sc.card_.variables if isinstance(v, NumericVar) for e in v.edges.tolist()
    ]


EDGES = st.deferred(lambda: st.sampled_from(card_edges()))  # exact bin edges of the card


@HYP
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "age": st.one_of(ROW_NUMBERS, EDGES),
                "income": st.one_of(ROW_NUMBERS, EDGES),
                "job": st.sampled_from([*JOBS, "astronaut", "", None, NAN]),
                "noise": st.floats(-3, 3),
            }
        ),
        min_size=1,
        max_size=8,
    ),
    pad=st.sampled_from([0, 20, 300]),
)
def test_one_row_scores_exactly_as_inside_a_batch(rows: list[dict[str, Any]], pad: int) -> None:
    sc = synthetic_card()
    frame, _ = synthetic()
    batch = pd.concat([pd.DataFrame(rows), frame.head(pad)], ignore_index=True)
    scores = sc.score(batch)
    grades = sc.grade(batch)
    proba = sc.predict_proba(batch)
    for i, row in enumerate(rows):
        one = sc.score(row)
        assert one.shape == (1,)
        assert one[0] == scores[i], (row, one[0], scores[i])
        assert sc.grade(row)[0] == grades[i]
        assert sc.predict_proba(row)[0].tolist() == proba[i].tolist()
        assert sc.score(batch.iloc[[i]])[0] == scores[i]


# ============================================================================ parameters


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"C": 0}, ValueError, "C must be a number > 0; got 0"),
        ({"C": -1.0}, ValueError, "C must be a number > 0; got -1.0"),
        ({"C": float("nan")}, ValueError, "C must be a number > 0"),
        ({"C": "1"}, TypeError, "C must be a number > 0; got '1'"),
        ({"numeric_share": 0.3}, ValueError, r"numeric_share must be a number in \[0.5, 1\]"),
        ({"numeric_share": 1.5}, ValueError, r"numeric_share must be a number in \[0.5, 1\]"),
        ({"min_iv": -0.1}, ValueError, "min_iv must be a number >= 0"),
        ({"numeric": ["x"], "categorical": ["x"]}, ValueError, r"\['x'\].*both numeric and"),
        ({"manual_bins": {"zz": [1.0]}}, ValueError, r"manual_bins .*\['zz'\]"),
        ({"max_bins": 0}, ValueError, "max_bins must be an integer >= 1"),
        ({"min_bin_share": 0.7}, ValueError, "min_bin_share must be a number in"),
        ({"monotonic": "up"}, ValueError, "monotonic must be one of"),
        ({"prebins": 1}, ValueError, "prebins must be an integer >= 2"),
        ({"max_corr": 1.5}, ValueError, "max_corr must be in"),
        ({"max_vif": 0.5}, ValueError, "max_vif must be in"),
        ({"base_odds": 0.0}, ValueError, "base_odds must be > 0"),
        ({"pdo": -20.0}, ValueError, "pdo must be > 0"),
        ({"base_points": float("inf")}, ValueError, "base_points must be a finite number"),
    ],
)
def test_parameter_errors_name_the_parameter(
    kw: dict[str, Any], error: type[Exception], match: str
) -> None:
    frame, y = tiny_data()
    with pytest.raises(error, match=match):
        Scorecard(**kw).fit(frame, y)


def named(param: str, value: Any) -> dict[str, Any]:
    return {param: value}


@pytest.mark.parametrize("param", ["numeric", "categorical", "exclude"])
def test_column_not_in_x_names_the_parameter(param: str) -> None:
    frame, y = tiny_data()
    with pytest.raises(ValueError, match=rf"{param}.*'zz'|'zz'.*{param}"):
        Scorecard(**named(param, ["zz"])).fit(frame, y)


@pytest.mark.parametrize("param", ["numeric", "categorical", "exclude"])
def test_column_not_in_x_is_an_error_naming_the_column(param: str) -> None:
    frame, y = tiny_data()
    with pytest.raises(
        ValueError, match=r"names columns \['zz'\] that are not in the data; it has \['x', 'c'\]"
    ):
        Scorecard(**named(param, ["zz"])).fit(frame, y)


def test_manual_bins_for_an_excluded_column_is_an_error() -> None:
    frame, y = tiny_data()
    with pytest.raises(ValueError, match=r"manual_bins .*\['x'\]"):
        Scorecard(exclude=["x"], manual_bins={"x": [1.5]}).fit(frame, y)


def test_get_params_is_json_safe_and_rebuilds_the_estimator() -> None:
    sc = tiny_card(C=0.5, grades=(("P", 0.1), ("Q", 1.0)))
    params = sc.get_params()
    assert params["C"] == 0.5
    assert params["grades"] == [["P", 0.1], ["Q", 1.0]]
    assert params["manual_bins"] == TINY_MANUAL
    import json

    again = Scorecard(**{**json.loads(json.dumps(params)), "grades": [("P", 0.1), ("Q", 1.0)]})
    frame, y = tiny_data()
    np.testing.assert_array_equal(again.fit(frame, y).score(frame), sc.score(frame))


# ============================================================================ German Credit


@pytest.mark.skipif(not GERMAN.exists(), reason="German Credit CSV not available")
def test_german_credit_default_card() -> None:
    df = pd.read_csv(GERMAN)
    y = (df.pop("creditability") == "bad").to_numpy().astype(np.int64)
    sc = Scorecard().fit(df, y)
    assert sc.kinds_["duration_in_month"] == "numeric"
    assert sc.kinds_["purpose"] == "categorical"
    assert "status_of_existing_checking_account" in sc.variables_  # the strongest variable
    assert all(c < 0 for c in sc.coef_.values())
    p_bad = sc.predict_proba(df)[:, 1]
    assert roc_auc_score(y, p_bad) > 0.75
    assert abs(p_bad.mean() - y.mean()) < 0.02  # the intercept keeps the bad rate
    scores = sc.score(df)
    for i in range(0, len(df), 97):
        row = {str(k): v for k, v in df.iloc[i].items()}
        assert sc.score(row)[0] == scores[i]


def test_a_text_identifier_column_is_dropped_not_binned() -> None:
    rng = np.random.default_rng(5)
    n = 400
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x - 1)))).astype(int)
    frame = pd.DataFrame({"x": x, "customer_no": [f"C{i:06d}" for i in range(n)]})
    sc = Scorecard().fit(frame, y)
    assert "customer_no" not in sc.variables_
    assert sc.dropped_["customer_no"].startswith("an identifier")
    kept = Scorecard(categorical=["customer_no"], min_iv=0.0).fit(frame, y)
    assert "customer_no" in kept.binners_  # named on purpose: binned


def test_the_automatic_iv_floor_is_the_rule_of_thumb_or_significance() -> None:
    from scipy.stats import chi2

    frame, y = synthetic()
    sc = Scorecard().fit(frame, y)
    yv = np.asarray(y)
    p = yv.mean()
    for name in sc.binners_:
        bins = int(np.count_nonzero(sc.binners_[name].counts_[:, 0]))
        expected = min(0.02, chi2.ppf(0.95, bins - 1) / (yv.size * p * (1 - p)))
        assert sc.iv_floor(name, yv) == pytest.approx(expected, rel=1e-12)
        if name not in sc.variables_ and sc.iv_[name] < expected:
            assert sc.dropped_[name].startswith(f"IV {sc.iv_[name]:.4f} below")
    assert Scorecard(min_iv=0.1).fit(frame, y).iv_floor(name, yv) == 0.1
    with pytest.raises(ValueError, match="min_iv"):
        Scorecard(min_iv=-1.0).fit(frame, y)


def test_a_big_sample_keeps_a_weak_but_real_variable() -> None:
    rng = np.random.default_rng(11)
    n = 60_000
    strong, weak = rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + strong + 0.12 * weak)))).astype(int)
    frame = pd.DataFrame({"strong": strong, "weak": weak, "noise": rng.normal(size=n)})
    sc = Scorecard().fit(frame, y)
    assert 0.0 < sc.iv_["weak"] < 0.02  # useless by the rule of thumb ...
    assert "weak" in sc.variables_  # ... but significant on 60,000 rows
    assert "noise" not in sc.variables_
