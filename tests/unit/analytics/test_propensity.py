"""PropensityModel: column handling, choice by CV, calibration, JSON round trip, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from loanpilot.analytics.metrics import auc
from loanpilot.analytics.propensity import PropensityModel
from loanpilot.analytics.propensity_calibration import apply_calibration, fit_calibration

FAST = {"cv": 3, "inner_cv": 2, "Cs": (0.1, 1.0), "n_estimators": 60, "learning_rate": 0.1}


def _data(n: int = 500, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    city = rng.choice(["北京", "上海", "深圳", "rare"], size=n, p=[0.4, 0.35, 0.24, 0.01])
    logit = -1.0 + 1.5 * x1 + np.where(city == "北京", 1.0, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    x2_text = np.where(rng.random(n) < 0.1, "", np.round(x2, 3).astype(str))
    x = pd.DataFrame(
        {"x1": x1, "x2": pd.Series(x2_text, dtype=object).replace("", np.nan), "city": city}
    )
    x["constant"] = 1.0
    return x, y


@pytest.fixture(scope="module")
def fitted() -> tuple[PropensityModel, pd.DataFrame, np.ndarray]:
    x, y = _data()
    return PropensityModel(candidates=("logistic", "lightgbm", "blend"), **FAST).fit(x, y), x, y


def test_fit_chooses_by_cv_and_ranks(
    fitted: tuple[PropensityModel, pd.DataFrame, np.ndarray],
) -> None:
    model, x, y = fitted
    assert set(model.cv_scores_) == {"logistic", "lightgbm", "blend"}
    best = max(model.cv_scores_, key=lambda c: model.cv_scores_[c]["mean"])
    assert model.chosen_ == best
    assert len(model.cv_scores_["logistic"]["folds"]) == 3
    assert model.feature_names_ == ["x1", "x2", "city"]  # the constant column is dropped
    assert model.training_["dropped_columns"] == ["constant"]
    p = model.predict_proba(x)
    assert p.shape == (len(x),)
    assert ((p >= 0) & (p <= 1)).all()
    assert auc(y, p) > 0.75
    assert model.oof_proba_.shape == (len(x),)


def test_round_trip_is_bit_identical(
    fitted: tuple[PropensityModel, pd.DataFrame, np.ndarray],
) -> None:
    model, x, _ = fitted
    text = json.dumps(model.to_dict(), allow_nan=False)
    again = PropensityModel.from_dict(json.loads(text))
    assert again.chosen_ == model.chosen_
    np.testing.assert_array_equal(again.predict_proba(x), model.predict_proba(x))


@pytest.mark.parametrize("learner", ["logistic", "lightgbm"])
def test_each_learner_round_trips(learner: str) -> None:
    x, y = _data(300, seed=1)
    model = PropensityModel(candidates=(learner,), **FAST).fit(x, y)
    assert model.chosen_ == learner
    again = PropensityModel.from_dict(json.loads(json.dumps(model.to_dict())))
    np.testing.assert_array_equal(again.predict_proba(x), model.predict_proba(x))


def test_unseen_and_missing_categories_score(
    fitted: tuple[PropensityModel, pd.DataFrame, np.ndarray],
) -> None:
    model, x, _ = fitted
    new = x.head(3).copy()
    new["city"] = ["广州", None, "北京"]
    p = model.predict_proba(new)
    assert np.isfinite(p).all()


def test_deterministic() -> None:
    x, y = _data(300, seed=2)
    a = PropensityModel(candidates=("lightgbm",), **FAST).fit(x, y).predict_proba(x)
    b = PropensityModel(candidates=("lightgbm",), **FAST).fit(x, y).predict_proba(x)
    np.testing.assert_array_equal(a, b)


def test_text_in_numeric_column_names_column_value_and_row() -> None:
    x, y = _data(200)
    x["x2"] = x["x2"].astype(object)
    x.index = x.index + 2  # rows as a spreadsheet numbers them
    x.loc[7, "x2"] = "abc"
    with pytest.raises(
        ValueError, match=r"column 'x2' is numeric but holds the text 'abc' at row 7"
    ):
        PropensityModel(**FAST).fit(x, y)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"candidates": ("svm",)},
            r"candidates must be .*'logistic', 'lightgbm', 'blend'.*got \('svm',\)",
        ),
        ({"cv": 1}, r"cv must be an integer >= 2, got 1"),
        ({"learning_rate": 0.0}, r"learning_rate must be a number in \(0, 1\], got 0.0"),
        ({"calibration": "beta"}, r"calibration must be one of .*got 'beta'"),
        ({"Cs": ()}, r"Cs must be a non-empty list of positive numbers, got \(\)"),
        (
            {"validation_fraction": 0.5},
            r"validation_fraction must be a number in \(0, 0.5\), got 0.5",
        ),
    ],
)
def test_parameter_errors(params: dict[str, object], message: str) -> None:
    x, y = _data(100)
    with pytest.raises(ValueError, match=message):
        PropensityModel(**params).fit(x, y)  # type: ignore[arg-type]


def test_y_errors() -> None:
    x, _ = _data(50)
    with pytest.raises(ValueError, match="single class"):
        PropensityModel().fit(x, np.zeros(50))
    with pytest.raises(ValueError, match=r"binary 0/1.*\[2\]"):
        PropensityModel().fit(x, np.full(50, 2))
    with pytest.raises(ValueError, match="cv=5 needs at least 5"):
        PropensityModel().fit(x, np.r_[np.ones(3), np.zeros(47)])
    with pytest.raises(RuntimeError, match="not fitted"):
        PropensityModel().predict_proba(x)


def test_from_dict_refuses_tampering(
    fitted: tuple[PropensityModel, pd.DataFrame, np.ndarray],
) -> None:
    model, x, y = fitted
    gbm = PropensityModel(candidates=("lightgbm",), **FAST).fit(x, y)
    art = json.loads(json.dumps(gbm.to_dict()))
    art["parts"]["lightgbm"]["model"] += " "
    with pytest.raises(ValueError, match="tampered"):
        PropensityModel.from_dict(art)
    with pytest.raises(ValueError, match="newer than"):
        PropensityModel.from_dict({**model.to_dict(), "format_version": 99})
    with pytest.raises(ValueError, match=r"must be a 'loanpilot\.propensity' artefact"):
        PropensityModel.from_dict({"format": "other"})


def test_calibration_keeps_order_and_fits_rates() -> None:
    rng = np.random.default_rng(3)
    score = rng.random(4000)
    y = (rng.random(4000) < score**2).astype(np.int8)  # true P = score²: raw scores too high
    platt = fit_calibration(score, y, "platt")
    cal = apply_calibration(platt, score)
    order = np.argsort(score)
    assert (np.diff(cal[order]) >= 0).all()
    assert abs(cal.mean() - y.mean()) < 0.01
    iso = fit_calibration(score, y, "isotonic")
    assert iso["method"] == "isotonic"
    assert (np.diff(iso["x"]) > 0).all()
    ci = apply_calibration(iso, score)
    assert (np.diff(ci[order]) >= -1e-12).all()
    assert abs(ci.mean() - y.mean()) < 0.01
    assert fit_calibration(score, y, "auto")["method"] == "isotonic"  # ≥ 1000 of each class
    assert fit_calibration(score[:500], y[:500], "auto")["method"] == "platt"
    with pytest.raises(ValueError, match="calibration must be one of"):
        fit_calibration(score, y, "spline")
