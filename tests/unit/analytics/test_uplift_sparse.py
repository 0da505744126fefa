# ruff: noqa: N806  (scikit-learn's X)
"""The sparse-effect uplift learner: the group-lasso solver's optimality conditions, a known
heterogeneous effect recovered (the modifier kept, noise dropped, the ranking right), parameter
errors, JSON round trip bit for bit."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from loanpilot.analytics.uplift import TwoModelUplift, uplift_model_from_dict
from loanpilot.analytics.uplift_sparse import SparseEffectUplift, group_lasso_logistic


def _experiment(
    n: int = 24_000, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Three channels and a control (20 %). Baseline log-odds −3 + 0.6·income (+0.5 for segment
    "b"); the contact adds, on the log-odds, mobile 1.2 − 0.05·(age − 45), branch
    0.3 + 0.05·(age − 45), sms 0.4 (the same for everyone); "noise1", "noise2" and "city" move
    nothing. Returns X, the arm labels, y and each channel's true uplift (probability)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.uniform(20, 70, n),
            "income": rng.normal(0, 1, n),
            "seg": rng.choice(["a", "b"], n),
            "noise1": rng.normal(0, 1, n),
            "noise2": rng.normal(0, 1, n),
            "city": rng.choice(["x", "y", "z"], n),
        }
    )
    arm = np.where(rng.random(n) < 0.2, "control", rng.choice(["mobile", "branch", "sms"], n))
    base = -3.0 + 0.6 * X["income"].to_numpy() + 0.5 * (X["seg"] == "b").to_numpy()
    age = X["age"].to_numpy() - 45.0
    shift = {"mobile": 1.2 - 0.05 * age, "branch": 0.3 + 0.05 * age, "sms": np.full(n, 0.4)}
    z = base + sum(np.where(arm == a, s, 0.0) for a, s in shift.items())
    y = (rng.random(n) < expit(z)).astype(int)
    true = {a: expit(base + s) - expit(base) for a, s in shift.items()}
    return X, arm, y, true


def test_group_lasso_meets_its_optimality_conditions() -> None:
    rng = np.random.default_rng(1)
    blocks = [rng.normal(size=(3000, 4)) for _ in range(3)]
    offsets = [np.full(3000, -1.0) for _ in range(3)]
    betas = [np.array([0.8, 0.0, 0.0, 0.3]), np.array([-0.6, 0.0, 0.0, 0.2]), np.zeros(4)]
    ys = [
        (rng.random(3000) < expit(o + e @ b)).astype(float)
        for e, o, b in zip(blocks, offsets, betas, strict=True)
    ]
    C = 0.02
    B, b = group_lasso_logistic(blocks, ys, offsets, C, tol=1e-9)
    # KKT: G_j = C·Σ e_j (p − y) per task; ‖G_j‖ ≤ 1 where the column is dropped,
    # G_j = −B_j / ‖B_j‖ where it is kept; the intercepts' gradients vanish
    grads, gb = [], []
    for a in range(3):
        r = C * (expit(offsets[a] + blocks[a] @ B[a] + b[a]) - ys[a])
        grads.append(blocks[a].T @ r)
        gb.append(r.sum())
    G = np.array(grads)
    np.testing.assert_allclose(gb, 0.0, atol=1e-3)
    for j in range(4):
        norm = np.linalg.norm(B[:, j])
        if norm == 0:
            assert np.linalg.norm(G[:, j]) <= 1 + 1e-3
        else:
            np.testing.assert_allclose(G[:, j], -B[:, j] / norm, atol=1e-3)
    assert np.linalg.norm(B[:, 0]) > 0
    assert np.linalg.norm(B[:, 3]) > 0
    # a penalty that outweighs every gradient drops every column
    B0, _ = group_lasso_logistic(blocks, ys, offsets, 1e-5)
    assert not B0.any()


def test_recovers_a_known_age_pattern_and_drops_noise() -> None:
    X, arm, y, true = _experiment()
    model = SparseEffectUplift(effect_features=["age", "noise1", "noise2", "city"]).fit(X, arm, y)
    assert model.treatments_ == ["branch", "mobile", "sms"]
    assert "age" in model.training_["effect_columns_kept"]
    coef = np.array([model.models_[t]["coef"] for t in model.treatments_])  # arms × columns
    norm = dict(zip(model.effect_encoder_.columns(), np.linalg.norm(coef, axis=0), strict=True))
    assert max(norm["noise1"], norm["noise2"]) < 0.2 * norm["age"]  # noise: dropped or small
    u = model.predict_uplift(X)
    for j, name in enumerate(model.treatments_):
        if name != "sms":  # sms's effect is the same for everyone: only its level is checked
            rho = pd.Series(u[:, j]).corr(pd.Series(true[name]), method="spearman")
            assert rho > 0.8, (name, rho)
        assert abs(u[:, j].mean() - true[name].mean()) < 0.02
    age = model.effect_encoder_.columns().index("age")
    assert model.models_["mobile"]["coef"][age] < 0 < model.models_["branch"]["coef"][age]
    # the young are best reached by mobile, the old by branch
    young, old = X["age"].to_numpy() < 30, X["age"].to_numpy() > 60
    best = np.asarray(model.treatments_)[u.argmax(axis=1)]
    assert (best[young] == "mobile").mean() > 0.9
    assert (best[old] == "branch").mean() > 0.9
    response = model.predict_response(X)
    assert response.shape == u.shape
    assert ((response > 0) & (response < 1)).all()


def test_beats_the_l2_two_model_on_the_pattern() -> None:
    X, arm, y, true = _experiment(seed=3)
    sparse = SparseEffectUplift(effect_features=["age", "noise1", "noise2", "city"])
    u_sparse = sparse.fit(X, arm, y).predict_uplift(X)
    u_l2 = TwoModelUplift().fit(X, arm, y).predict_uplift(X)
    j = sparse.treatments_.index("mobile")
    err_sparse = np.mean((u_sparse[:, j] - true["mobile"]) ** 2)
    err_l2 = np.mean((u_l2[:, j] - true["mobile"]) ** 2)
    assert err_sparse < err_l2


def test_json_round_trip_is_exact() -> None:
    X, arm, y, _ = _experiment(n=6000)
    model = SparseEffectUplift(effect_features=["age", "city"], effect_C=(0.01, 0.1)).fit(X, arm, y)
    text = json.dumps(model.to_dict())
    again = uplift_model_from_dict(json.loads(text))
    assert isinstance(again, SparseEffectUplift)
    assert json.dumps(again.to_dict()) == text
    np.testing.assert_array_equal(again.predict_uplift(X), model.predict_uplift(X))
    np.testing.assert_array_equal(again.predict_response(X), model.predict_response(X))
    assert model.to_dict()["method"] == "sparse_effect"


def test_every_column_is_an_effect_feature_by_default() -> None:
    X, arm, y, _ = _experiment(n=4000)
    model = SparseEffectUplift(effect_C=0.05).fit(X, arm, y)
    assert len(model.effect_encoder_.columns()) == len(model.encoder_.columns())
    assert set(model.effect_c_.values()) == {0.05}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"effect_features": "age"}, "effect_features must be None"),
        ({"effect_features": []}, "effect_features must be None"),
        ({"effect_C": None}, "effect_C must be a number"),
        ({"effect_C": (0.1, -1.0)}, "effect_C must be a number"),
        ({"cv": 1}, "cv must be an integer >= 2"),
        ({"C": 0}, "C must be a number in"),
    ],
)
def test_parameter_errors_name_the_parameter(params: dict[str, object], message: str) -> None:
    X, arm, y, _ = _experiment(n=500)
    with pytest.raises(ValueError, match=message):
        SparseEffectUplift(**params).fit(X, arm, y)  # type: ignore[arg-type]


def test_data_errors() -> None:
    X, arm, y, _ = _experiment(n=500)
    with pytest.raises(ValueError, match=r"effect_features names columns X lacks: \['tenure'\]"):
        SparseEffectUplift(effect_features=["age", "tenure"]).fit(X, arm, y)
    with pytest.raises(RuntimeError, match="not fitted yet"):
        SparseEffectUplift().predict_uplift(X)
    with pytest.raises(ValueError, match="no control rows"):
        SparseEffectUplift().fit(X, np.full(len(y), "sms"), y)


def _offer_experiment(
    n: int = 6000, seed: int = 5
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, pd.DataFrame]:
    """The experiment with the offer's context (product type, channel = the arm, or the channel
    a control row's campaign would have used) and a customer × product-type cross, as the
    contact-uplift model is fitted; some ages missing. Returns X, arms, y and the customers'
    own columns (one row per customer, for the grid)."""
    X, arm, y, _ = _experiment(n=n, seed=seed)
    rng = np.random.default_rng(seed)
    X["age"] = np.where(rng.random(n) < 0.05, np.nan, X["age"])
    X["product_type"] = rng.choice(["consumer", "business", "mortgage"], n)
    X["channel"] = np.where(arm == "control", rng.choice(["mobile", "branch", "sms"], n), arm)
    X["seg*product_type"] = X["seg"] + "*" + X["product_type"]
    customers = X[["age", "income", "seg", "noise1", "noise2", "city"]].iloc[:700].copy()
    customers.loc[customers.index[:5], "city"] = "w"  # a city the model never saw
    customers.loc[customers.index[5:8], "seg"] = np.nan  # a missing category
    return X, arm, y, customers.reset_index(drop=True)


def test_factored_grid_prediction_equals_the_frame() -> None:
    X, arm, y, customers = _offer_experiment()
    model = SparseEffectUplift(effect_features=["age", "city", "seg"]).fit(X, arm, y)
    types = np.array(["consumer", "business", "mortgage"], dtype=object)
    chans = np.array(["mobile", "branch", "sms", "call_center"], dtype=object)  # one with no arm
    rng = np.random.default_rng(0)
    rows = rng.integers(0, len(customers), 5000)
    t, c = rng.integers(0, len(types), 5000), rng.integers(0, len(chans), 5000)
    frame = customers.iloc[rows].reset_index(drop=True)
    frame["product_type"], frame["channel"] = types[t], chans[c]
    frame["seg*product_type"] = frame["seg"].astype(str) + "*" + frame["product_type"]
    # as the offer adapter builds crosses: a missing category is a label the model never saw
    codes, uniques = pd.factorize(customers["seg"].astype(str), use_na_sentinel=False)
    labels = np.array([f"{u}*{p}" for u in uniques for p in types], dtype=object)
    columns: dict[str, tuple[Any, Any]] = {n: (customers[n], rows) for n in customers.columns}
    columns |= {"product_type": (types, t), "channel": (chans, c)}
    columns["seg*product_type"] = (labels, codes[rows] * len(types) + t)
    fast = model.predict_uplift_factored(columns, len(rows))
    slow = model.predict_uplift(frame)
    assert fast.shape == slow.shape == (5000, 3)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-15)
    # a baseline that is not logistic builds the frame: the very same numbers
    gbm = SparseEffectUplift(base="lightgbm", effect_features=["age"], n_estimators=20)
    gbm.fit(X, arm, y)
    np.testing.assert_array_equal(
        gbm.predict_uplift_factored(columns, len(rows)), gbm.predict_uplift(frame)
    )
    with pytest.raises(ValueError, match=r"lacks the model's columns \['channel'\]"):
        model.predict_uplift_factored({k: v for k, v in columns.items() if k != "channel"}, 1)


def test_offer_grid_adapter_gives_the_frame_path_numbers() -> None:
    """``offers_inputs.uplift_model`` over a customers × product types × channels grid: the
    factored path (the sparse-effect learner) equals the frame path it replaced."""
    from loanpilot.products import offers_inputs

    X, arm, y, customers = _offer_experiment()
    X = X.rename(columns={"seg": "occupation", "seg*product_type": "occupation*product_type"})
    customers = customers.rename(columns={"seg": "occupation"})
    model = SparseEffectUplift(effect_features=["age", "occupation"]).fit(X, arm, y)

    class FramePath:  # the same learner without its factored prediction
        treatments_ = model.treatments_
        control_ = model.control_

        def predict_uplift(self, frame: pd.DataFrame) -> np.ndarray:
            return model.predict_uplift(frame)

    types, chans = ("consumer", "business", "mortgage"), ("mobile", "branch", "sms", "call_center")
    n = len(customers)
    rows = np.repeat(np.arange(0, n, 2), len(types) * len(chans))  # every other customer
    t = np.tile(np.repeat(np.arange(len(types)), len(chans)), n // 2)
    c = np.tile(np.arange(len(chans)), (n // 2) * len(types))
    p_take = np.random.default_rng(1).uniform(0, 0.2, rows.size)
    fast = offers_inputs.uplift_model(model, customers, types, chans)(rows, t, c, p_take)
    slow = offers_inputs.uplift_model(FramePath(), customers, types, chans)(rows, t, c, p_take)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-15)
    assert np.isfinite(fast).all()
    no_arm = c == chans.index("call_center")  # no arm: the default share of p_take
    np.testing.assert_array_equal(fast[no_arm], slow[no_arm])
