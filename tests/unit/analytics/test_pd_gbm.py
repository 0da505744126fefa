"""GbmPD: the LightGBM challenger PD model (known behaviour, contributions, artefact, bad input)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.analytics.metrics import auc
from loanpilot.analytics.pd_gbm import FORMAT_VERSION, GbmPD

EFFECT = {"A": -0.8, "B": 0.0, "C": 0.9}


def synthetic(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Logistic truth: logit P(bad) = -1.2 + 1.1 x1 - 0.7 x2 + effect(grade); x3 is noise."""
    rng = np.random.default_rng(seed)
    x1, x2, x3 = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    grade = rng.choice(list(EFFECT), size=n)
    logit = -1.2 + 1.1 * x1 - 0.7 * x2 + np.vectorize(EFFECT.get)(grade)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    x2_missing = x2.copy()
    x2_missing[rng.random(n) < 0.05] = np.nan
    x = pd.DataFrame({"x1": x1, "x2": x2_missing, "x3": x3, "grade": grade})
    return x, y, logit


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray, np.ndarray]:
    x, y, _ = synthetic(3000, seed=1)
    x_test, y_test, logit_test = synthetic(1500, seed=2)
    return x, y, x_test, y_test, logit_test


@pytest.fixture(scope="module")
def model(data: tuple) -> GbmPD:
    x, y, *_ = data
    return GbmPD().fit(x, y)


def test_discriminates_near_the_logistic_truth(model: GbmPD, data: tuple) -> None:
    _, _, x_test, y_test, logit_test = data
    p = model.predict_proba(x_test)
    assert p.shape == (len(x_test), 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert ((p > 0) & (p < 1)).all()
    truth = auc(y_test, logit_test)
    ours = auc(y_test, p[:, 1])
    assert ours > 0.7
    assert truth - 0.03 < ours <= truth + 0.01
    # Calibrated on average: mean predicted PD close to the observed bad rate.
    assert abs(p[:, 1].mean() - y_test.mean()) < 0.03


def test_kinds_categories_and_metadata(model: GbmPD, data: tuple) -> None:
    x, y, *_ = data
    assert model.feature_names_ == ["x1", "x2", "x3", "grade"]
    assert model.feature_kinds_ == ["numeric", "numeric", "numeric", "categorical"]
    assert model.categories_ == [None, None, None, ["A", "B", "C"]]
    meta = model.training_
    assert meta["n_rows"] == len(x)
    assert meta["n_bad"] == int(y.sum())
    assert 1 <= meta["n_trees"] <= 400
    assert meta["n_valid"] == 600
    assert len(meta["data_sha256"]) == 64


def test_contributions_sum_to_the_log_odds(model: GbmPD, data: tuple) -> None:
    _, _, x_test, *_ = data
    contrib = model.contributions(x_test)
    assert list(contrib.columns) == ["x1", "x2", "x3", "grade", "bias"]
    assert contrib.index.equals(x_test.index)
    raw = model.raw_log_odds(x_test)
    np.testing.assert_allclose(contrib.sum(axis=1).to_numpy(), raw, rtol=0, atol=1e-10)
    p = model.predict_proba(x_test)[:, 1]
    np.testing.assert_allclose(raw, np.log(p / (1 - p)), rtol=0, atol=1e-9)
    assert contrib["bias"].nunique() == 1
    # The informative features carry far more than the noise feature.
    spread = contrib.drop(columns="bias").abs().mean()
    assert spread["x1"] > 3 * spread["x3"]
    assert spread["grade"] > 3 * spread["x3"]


def test_reasons_are_the_largest_positive_contributions(model: GbmPD, data: tuple) -> None:
    _, _, x_test, *_ = data
    rows = x_test.iloc[:200]
    reasons = model.reasons(rows, top=2)
    assert list(reasons.columns) == ["reason_1", "contribution_1", "reason_2", "contribution_2"]
    contrib = model.contributions(rows).drop(columns="bias")
    for i in range(len(rows)):
        c = contrib.iloc[i]
        positive = c[c > 0].sort_values(ascending=False, kind="stable")
        expect = [*positive.index[:2], "", ""][:2]
        assert [reasons.iloc[i]["reason_1"], reasons.iloc[i]["reason_2"]] == expect
        values = [*positive.to_numpy()[:2], 0.0, 0.0][:2]
        assert reasons.iloc[i]["contribution_1"] == values[0]
        assert reasons.iloc[i]["contribution_2"] == values[1]
    # A clearly risky applicant: high x1, low x2, worst grade -> those are the reasons.
    risky = pd.DataFrame({"x1": [2.5], "x2": [-2.0], "x3": [0.0], "grade": ["C"]})
    assert set(model.reasons(risky, top=3).iloc[0][["reason_1", "reason_2", "reason_3"]]) == {
        "x1",
        "x2",
        "grade",
    }
    assert model.reasons(risky, top=10).shape == (1, 8)  # capped at the number of features
    with pytest.raises(ValueError, match="top must be an integer >= 1, got 0"):
        model.reasons(risky, top=0)


def test_round_trip_predicts_bit_for_bit(model: GbmPD, data: tuple) -> None:
    _, _, x_test, *_ = data
    art = model.to_dict()
    assert art["format"] == "loanpilot.gbm_pd"
    assert art["format_version"] == FORMAT_VERSION
    assert art["model"].startswith("tree\n")
    assert art["features"] == ["x1", "x2", "x3", "grade"]
    assert art["categories"][3] == ["A", "B", "C"]
    text = json.dumps(art)
    again = GbmPD.from_dict(json.loads(text))
    assert np.array_equal(again.predict_proba(x_test), model.predict_proba(x_test))
    assert again.contributions(x_test).equals(model.contributions(x_test))
    assert again.get_params() == model.get_params()
    assert again.training_ == model.training_
    assert json.dumps(again.to_dict()) == text


def test_artefact_refusals(model: GbmPD) -> None:
    art = json.loads(json.dumps(model.to_dict()))
    with pytest.raises(ValueError, match=r"format_version 2 is newer .* \(1\); upgrade"):
        GbmPD.from_dict({**art, "format_version": FORMAT_VERSION + 1})
    with pytest.raises(ValueError, match=r"must be a 'loanpilot\.gbm_pd' artefact"):
        GbmPD.from_dict({**art, "format": "something.else"})
    tampered = art["model"].replace("leaf_value=", "leaf_value=1", 1)
    with pytest.raises(ValueError, match="does not match its model_sha256"):
        GbmPD.from_dict({**art, "model": tampered})
    with pytest.raises(ValueError, match="equal-length lists"):
        GbmPD.from_dict({**art, "kinds": ["numeric"] * 4})  # grade lost its kind
    with pytest.raises(ValueError, match=r"unknown parameters \[.boosting.\]"):
        GbmPD.from_dict({**art, "params": {**art["params"], "boosting": "dart"}})
    with pytest.raises(ValueError, match="learning_rate must be a number in"):
        GbmPD.from_dict({**art, "params": {**art["params"], "learning_rate": -1}})


def test_unseen_and_missing_categories_score_as_missing(model: GbmPD) -> None:
    rows = pd.DataFrame(
        {"x1": [0.3] * 4, "x2": [0.1] * 4, "x3": [0.0] * 4, "grade": ["Z", None, np.nan, "C"]}
    )
    p = model.predict_proba(rows)[:, 1]
    assert p[0] == p[1] == p[2]
    assert p[3] != p[0]
    # A category column given as pandas category with other categories works the same.
    as_cat = rows.assign(grade=rows["grade"].astype("category"))
    assert np.array_equal(model.predict_proba(as_cat)[:, 1], p)
    # Extra columns are ignored; column order does not matter.
    shuffled = rows[["grade", "x3", "x2", "x1"]].assign(extra=1)
    assert np.array_equal(model.predict_proba(shuffled)[:, 1], p)


def test_deterministic(data: tuple) -> None:
    x, y, x_test, *_ = data
    a = GbmPD(n_estimators=60, validation_fraction=None).fit(x, y)
    b = GbmPD(n_estimators=60, validation_fraction=None).fit(x, y)
    assert a.booster_.model_to_string() == b.booster_.model_to_string()
    assert np.array_equal(a.predict_proba(x_test), b.predict_proba(x_test))
    assert a.training_["n_trees"] == 60
    c = GbmPD(n_estimators=60, validation_fraction=None, random_state=7).fit(x, y)
    assert not np.array_equal(c.predict_proba(x_test), a.predict_proba(x_test))


def test_monotone_constraint_holds(data: tuple) -> None:
    x, y, *_ = data
    m = GbmPD(n_estimators=80, monotone_constraints={"x2": 1, "x1": 1}).fit(x, y)
    grid = pd.DataFrame(
        {"x1": 0.0, "x2": np.linspace(-3, 3, 121), "x3": 0.0, "grade": "B"}, index=range(121)
    )
    p = m.predict_proba(grid)[:, 1]
    assert (np.diff(p) >= 0).all()  # forced to rise although the truth falls in x2
    with pytest.raises(ValueError, match="column 'grade' is categorical"):
        GbmPD(monotone_constraints={"grade": 1}).fit(x, y)
    with pytest.raises(ValueError, match="not in X: 'nope'"):
        GbmPD(monotone_constraints={"nope": -1}).fit(x, y)
    with pytest.raises(ValueError, match=r"monotone_constraints\['x1'\] must be -1, 0 or \+1"):
        GbmPD(monotone_constraints={"x1": 2}).fit(x, y)


def test_column_kinds_inferred_and_overridden() -> None:
    x, y, _ = synthetic(600, seed=3)
    x = x.assign(
        x1=x["x1"].round(2).astype(str),  # numeric text is numbers
        grade=x["grade"].astype("string"),  # pandas string dtype is categorical
        code=np.where(x["grade"] == "C", 7, 3),  # numbers, made categorical below
    )
    m = GbmPD(n_estimators=30, validation_fraction=None).fit(x, y)
    assert m.feature_kinds_ == ["numeric", "numeric", "numeric", "categorical", "numeric"]
    m2 = GbmPD(n_estimators=30, validation_fraction=None, categorical=["grade", "code"]).fit(x, y)
    assert m2.feature_kinds_[3:] == ["categorical", "categorical"]
    assert m2.categories_[4] == ["3", "7"]
    row = x.iloc[:1].assign(code=7.0)  # 7.0 matches category "7"
    assert np.array_equal(m2.predict_proba(row), m2.predict_proba(x.iloc[:1].assign(code="7")))


def test_bad_input_errors_name_the_problem() -> None:
    x, y, _ = synthetic(400, seed=4)
    with pytest.raises(ValueError, match=r"single class \(0 bad of 400\)"):
        GbmPD().fit(x, np.zeros(400, dtype=int))
    with pytest.raises(ValueError, match=r"binary 0/1 \(1 = bad\), got values \[2\]"):
        GbmPD().fit(x, np.where(y == 1, 2, 0))
    with pytest.raises(ValueError, match="one value per row of X"):
        GbmPD().fit(x, y[:-1])
    text = x.assign(x1=x["x1"].astype(object))
    text.loc[5, "x1"] = "abc"
    with pytest.raises(ValueError, match=r"column 'x1' is numeric but holds text 'abc' \(row 5"):
        GbmPD().fit(text, y)
    empty = x.assign(x3=np.nan, x2="")
    empty["x2"] = None
    with pytest.raises(ValueError, match=r"column 'x2' is all missing.*column 'x3' is all missing"):
        GbmPD().fit(empty, y)
    with pytest.raises(ValueError, match=r"categorical names columns not in X: \['nope'\]"):
        GbmPD(categorical=["nope"]).fit(x, y)
    with pytest.raises(ValueError, match="column 'grade' is numeric but holds text"):
        GbmPD(categorical=[]).fit(x, y)
    with pytest.raises(TypeError, match="X must be a pandas DataFrame"):
        GbmPD().fit(x.to_numpy(), y)
    with pytest.raises(RuntimeError, match="not fitted"):
        GbmPD().predict_proba(x)


def test_bad_input_at_prediction(model: GbmPD) -> None:
    row = pd.DataFrame({"x1": ["high"], "x2": [0.1], "x3": [0.0], "grade": ["A"]})
    with pytest.raises(ValueError, match="column 'x1' is numeric but holds text 'high'"):
        model.predict_proba(row)
    with pytest.raises(ValueError, match=r"lacks the model's columns \['x3'\]"):
        model.predict_proba(row.drop(columns="x3"))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_estimators": 0}, "n_estimators must be an integer >= 1, got 0"),
        ({"num_leaves": 1.5}, "num_leaves must be an integer >= 2, got 1.5"),
        ({"max_depth": 0}, "max_depth must be -1 .* got 0"),
        ({"learning_rate": 0.0}, r"learning_rate must be a number in \(0, 1\], got 0.0"),
        ({"subsample": 1.5}, r"subsample must be a number in \(0, 1\], got 1.5"),
        ({"reg_lambda": -1.0}, r"reg_lambda must be a number in \[0, inf\), got -1.0"),
        ({"validation_fraction": 0.5}, r"validation_fraction must be a number in \(0, 0.5\)"),
        ({"random_state": True}, "random_state must be an integer >= 0, got True"),
    ],
)
def test_parameter_errors_name_the_parameter(params: dict, message: str) -> None:
    x, y, _ = synthetic(200, seed=5)
    with pytest.raises(ValueError, match=message):
        GbmPD(**params).fit(x, y)


@settings(max_examples=15, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(-4, 4) | st.none(),
            st.floats(-4, 4),
            st.sampled_from(["A", "B", "C", "Q", None]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_one_row_scores_as_in_a_batch_and_sums_hold(model: GbmPD, rows: list) -> None:
    frame = pd.DataFrame(
        {
            "x1": [r[0] for r in rows],
            "x2": [r[1] for r in rows],
            "x3": 0.0,
            "grade": [r[2] for r in rows],
        }
    ).astype({"x1": float})
    batch = model.predict_proba(frame)[:, 1]
    single = np.array([model.predict_proba(frame.iloc[[i]])[0, 1] for i in range(len(frame))])
    assert np.array_equal(batch, single)
    contrib = model.contributions(frame)
    np.testing.assert_allclose(
        contrib.sum(axis=1).to_numpy(), model.raw_log_odds(frame), rtol=0, atol=1e-10
    )
