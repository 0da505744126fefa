# ruff: noqa: N806  (scikit-learn's X)
"""The multi-treatment uplift learners: known effects recovered, weighting, JSON round trip,
parameter and data errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from loanpilot.analytics.uplift import (
    EFFECT_C_GRID,
    ClassTransformationUplift,
    TwoModelUplift,
    arm_column,
    uplift_model_from_dict,
)


def _experiment(
    n: int = 9000, treated_share: float = 0.5, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """sms moves only segment "a" (+0.20), branch only segment "b" (+0.25); base rate 0.10,
    "age" is noise; arms split the treated evenly."""
    rng = np.random.default_rng(seed)
    seg = rng.choice(["a", "b"], n)
    X = pd.DataFrame({"seg": seg, "age": rng.normal(40, 10, n), "flag": rng.random(n) < 0.5})
    treated = rng.random(n) < treated_share
    arm = np.where(treated, rng.choice(["sms", "branch"], n), "control")
    effect = {"sms": np.where(seg == "a", 0.20, 0.0), "branch": np.where(seg == "b", 0.25, 0.0)}
    p = (
        0.10
        + np.where(arm == "sms", effect["sms"], 0.0)
        + np.where(arm == "branch", effect["branch"], 0.0)
    )
    y = (rng.random(n) < p).astype(int)
    return X, arm, y, effect


@pytest.mark.parametrize(
    "learner",
    [
        TwoModelUplift(base="logistic", effect_C=None),
        TwoModelUplift(base="logistic", effect_C=None, pooled_baseline=False),
        TwoModelUplift(base="logistic", baseline_offset=False),
        TwoModelUplift(base="lightgbm", n_estimators=60),
        ClassTransformationUplift(base="logistic"),
        ClassTransformationUplift(base="lightgbm", n_estimators=60),
    ],
    ids=[
        "tm-logistic",
        "tm-logistic-control-baseline",
        "tm-logistic-independent",
        "tm-lightgbm",
        "ct-logistic",
        "ct-lightgbm",
    ],
)
def test_recovers_which_arm_moves_which_segment(
    learner: TwoModelUplift | ClassTransformationUplift,
) -> None:
    X, arm, y, _ = _experiment()
    learner.fit(X, arm, y)
    assert learner.treatments_ == ["branch", "sms"]
    u = learner.predict_uplift(X)
    assert u.shape == (len(X), 2)
    seg_a = X["seg"].to_numpy() == "a"
    branch, sms = u[:, 0], u[:, 1]
    assert sms[seg_a].mean() == pytest.approx(0.20, abs=0.06)
    assert sms[~seg_a].mean() == pytest.approx(0.0, abs=0.06)
    assert branch[~seg_a].mean() == pytest.approx(0.25, abs=0.06)
    assert branch[seg_a].mean() == pytest.approx(0.0, abs=0.06)


def test_class_transformation_weights_unequal_groups() -> None:
    # 92 % treated: an unweighted class transformation would be biased by 2e - 1; ours is not
    X, arm, y, _ = _experiment(n=12000, treated_share=0.92, seed=3)
    model = ClassTransformationUplift(base="logistic").fit(X, arm, y)
    u = model.predict_uplift(X)
    seg_a = X["seg"].to_numpy() == "a"
    assert u[seg_a, 1].mean() == pytest.approx(0.20, abs=0.07)
    assert u[~seg_a, 1].mean() == pytest.approx(0.0, abs=0.07)


def test_strata_compare_each_arm_with_its_own_control_group() -> None:
    # two experiments with different base rates: sms ran in the low one, branch in the high one
    rng = np.random.default_rng(5)
    n = 8000
    exp = rng.choice(["e1", "e2"], n)
    X = pd.DataFrame({"x": rng.normal(size=n)})
    treated = rng.random(n) < 0.7
    arm = np.where(treated, np.where(exp == "e1", "sms", "branch"), "control")
    base = np.where(exp == "e1", 0.05, 0.40)
    y = (rng.random(n) < base + np.where(treated, 0.10, 0.0)).astype(int)
    model = ClassTransformationUplift().fit(X, arm, y, strata=exp)
    u = model.predict_uplift(X)
    assert u.mean(axis=0) == pytest.approx([0.10, 0.10], abs=0.05)
    assert model.training_["arms"]["sms"]["control"] == int(((exp == "e1") & ~treated).sum())


@pytest.mark.parametrize("base", ["logistic", "lightgbm"])
def test_json_round_trip_predicts_the_same(base: str) -> None:
    X, arm, y, _ = _experiment(n=3000)
    for model in (
        TwoModelUplift(base=base, n_estimators=30),
        ClassTransformationUplift(base=base, n_estimators=30),
    ):
        model.fit(X, arm, y)
        text = json.dumps(model.to_dict())
        again = uplift_model_from_dict(json.loads(text))
        assert type(again) is type(model)
        assert again.treatments_ == model.treatments_
        np.testing.assert_allclose(again.predict_uplift(X), model.predict_uplift(X), rtol=1e-12)


def test_unseen_and_missing_values_are_handled() -> None:
    X, arm, y, _ = _experiment(n=3000)
    X.loc[:10, "age"] = np.nan
    model = TwoModelUplift().fit(X, arm, y)
    new = pd.DataFrame({"seg": ["zzz", None], "age": [np.nan, 30.0], "flag": [True, False]})
    assert np.isfinite(model.predict_uplift(new)).all()
    assert arm_column(model, ["sms", "wechat", "branch"]).tolist() == [1, -1, 0]
    assert model.predict_response(new).shape == (2, 2)


def test_parameter_errors_name_parameter_allowed_and_given() -> None:
    X, arm, y, _ = _experiment(n=500)
    with pytest.raises(
        ValueError, match=r"base must be one of \('logistic', 'lightgbm'\), got 'svm'"
    ) as err:
        TwoModelUplift(base="svm", C=-1.0).fit(X, arm, y)
    assert "C must be a number in (0, inf), got -1.0" in str(err.value)
    with pytest.raises(ValueError, match="n_estimators must be an integer >= 1, got 0"):
        ClassTransformationUplift(n_estimators=0).fit(X, arm, y)
    with pytest.raises(ValueError, match="baseline_offset must be True or False"):
        TwoModelUplift(baseline_offset="yes").fit(X, arm, y)  # type: ignore[arg-type]


def test_data_errors() -> None:
    X, arm, y, _ = _experiment(n=500)
    with pytest.raises(
        ValueError, match="no control rows: no treatment label equals control='holdout'"
    ):
        TwoModelUplift().fit(X, arm, y, control="holdout")
    with pytest.raises(ValueError, match="y must hold only 0 and 1"):
        TwoModelUplift().fit(X, arm, y * 2)
    with pytest.raises(ValueError, match="treatment must be 1-D with one label per row"):
        TwoModelUplift().fit(X, arm[:-1], y)
    with pytest.raises(ValueError, match="strata must have one label per row"):
        ClassTransformationUplift().fit(X, arm, y, strata=["a"])
    with pytest.raises(RuntimeError, match="not fitted yet"):
        TwoModelUplift().predict_uplift(X)
    with pytest.raises(ValueError, match="not an uplift artefact"):
        uplift_model_from_dict({"format": "pickle"})
    model = TwoModelUplift().fit(X, arm, y)
    with pytest.raises(ValueError, match=r"X lacks the model's columns \['seg'\]"):
        model.predict_uplift(X.drop(columns="seg"))


def test_strong_effect_c_shrinks_effects_towards_one_shift_per_arm() -> None:
    # effect_C=0.003: the arm effect is nearly a constant log-odds shift, its average still right
    X, arm, y, _ = _experiment()
    u = TwoModelUplift(effect_C=0.003).fit(X, arm, y).predict_uplift(X)
    assert u.mean(axis=0) == pytest.approx([0.125, 0.10], abs=0.04)
    seg_a = X["seg"].to_numpy() == "a"
    assert abs(u[seg_a, 1].mean() - u[~seg_a, 1].mean()) < 0.12  # true contrast 0.20, shrunk


def test_default_chooses_each_arms_effect_c_by_cross_validation() -> None:
    X, arm, y, _ = _experiment()
    model = TwoModelUplift().fit(X, arm, y)
    assert set(model.effect_c_) == {"branch", "sms"}
    assert set(model.effect_c_.values()) <= set(EFFECT_C_GRID)
    assert model.training_["effect_C"] == model.effect_c_
    # the data show a real contrast between the segments: CV lets more of it through than 0.003
    u = model.predict_uplift(X)
    seg_a = X["seg"].to_numpy() == "a"
    assert abs(u[seg_a, 1].mean() - u[~seg_a, 1].mean()) > 0.12
    again = uplift_model_from_dict(json.loads(json.dumps(model.to_dict())))
    assert isinstance(again, TwoModelUplift)
    assert again.effect_c_ == model.effect_c_
    np.testing.assert_allclose(again.predict_uplift(X), u)
    with pytest.raises(ValueError, match=r"effect_C must be .* got \[\]"):
        TwoModelUplift(effect_C=[]).fit(X, arm, y)
    with pytest.raises(ValueError, match="cv must be an integer >= 2, got 1"):
        TwoModelUplift(cv=1).fit(X, arm, y)


def test_an_arm_without_responders() -> None:
    X, arm, y, _ = _experiment(n=3000)
    y = np.where(arm == "sms", 0, y)
    model = TwoModelUplift(pooled_baseline=False).fit(X, arm, y)
    assert model.models_["sms"]["kind"] == "constant"  # no shift of the control's log-odds
    np.testing.assert_allclose(model.predict_uplift(X)[:, 1], 0.0, atol=1e-12)
    pooled = TwoModelUplift().fit(X, arm, y)  # the pooled baseline sees sms never answer
    assert pooled.predict_uplift(X)[:, 1].mean() < -0.05


def test_the_encoder_looks_up_each_distinct_value_as_the_per_row_rule_did() -> None:
    """One-hot codes of text, numbers stored as objects, None, NaN and unseen values equal the
    per-row rule (``str(v)`` in the fitted categories, else no column)."""
    import pandas as pd

    from loanpilot.analytics.uplift_base import Encoder

    encoder = Encoder(
        {"numeric": [], "median": [], "scale": [], "categorical": {"c": ["a", "b", "1", "2.5"]}}
    )
    values = ["a", "b", None, np.nan, "z", 1, 2.5, "1", "a", None]
    got = encoder.encode(pd.DataFrame({"c": pd.Series(values, dtype=object)}), standardise=False)
    cats = ["a", "b", "1", "2.5"]
    expected = np.zeros((len(values), len(cats)))
    for i, v in enumerate(values):
        text = None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
        if text in cats:
            expected[i, cats.index(text)] = 1.0
    np.testing.assert_array_equal(got, expected)


def test_a_logistic_baseline_adds_each_arms_coefficient_as_the_stacked_matrix_would() -> None:
    """The pooled logistic baseline of an arm is the control's log-odds plus that arm's
    coefficient: the same (to rounding) as scoring the matrix with the arm's one-hot appended."""
    import pandas as pd

    from loanpilot.analytics.uplift import TwoModelUplift
    from loanpilot.analytics.uplift_base import log_odds

    rng = np.random.default_rng(3)
    n = 2_000
    x = pd.DataFrame({"age": rng.uniform(20, 60, n), "occ": rng.choice(["a", "b", "c"], n)})
    arm = rng.choice(["control", "sms", "branch", "mobile"], n)
    y = (rng.random(n) < np.where(arm == "branch", 0.3, 0.1)).astype(int)
    model = TwoModelUplift(base="logistic").fit(x, arm, y)
    assert model.baseline_offset
    assert model.pooled_baseline
    matrix = model._matrix(x)
    arms = len(model.treatments_)
    for j, fast in zip(range(-1, arms), model._arm_bases(matrix), strict=True):
        onehot = np.zeros((n, arms))
        if j >= 0:
            onehot[:, j] = 1.0
        stacked = log_odds(model.models_[model.control_], np.hstack([matrix, onehot]), {})
        np.testing.assert_allclose(fast, stacked, rtol=0, atol=1e-12)
