"""Grid scoring of propensity models: the same numbers as scoring the cross join, bit for bit;
and the per-distinct-value encoding equals the per-row one."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from loanpilot.analytics import propensity_features as pf
from loanpilot.analytics.propensity import PropensityModel
from loanpilot.analytics.propensity_grid import K_ZERO, compile_forest

FAST = {"cv": 3, "inner_cv": 2, "Cs": (0.1, 1.0), "n_estimators": 80, "learning_rate": 0.1}


def _frames(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({
        "income": np.where(rng.random(n) < 0.1, np.nan, rng.lognormal(9, 0.5, n)),
        "balance": np.where(rng.random(n) < 0.3, 0.0, rng.normal(0, 3, n)),
        "tiny": rng.choice([0.0, -0.0, K_ZERO / 2, -K_ZERO, 1e-30, 1.0, np.nan], n),
        "city": rng.choice(["a", "b", "c", "d", "unknown"], n),
    })  # fmt: skip
    offers = pd.DataFrame(
        [(t, c) for t in ("housing", "consumer", "business") for c in ("sms", "branch", "mobile")],
        columns=["product_type", "channel"],
    )
    full = x.iloc[np.repeat(np.arange(n), len(offers))].reset_index(drop=True)
    full["product_type"] = np.tile(offers["product_type"].to_numpy(), n)
    full["channel"] = np.tile(offers["channel"].to_numpy(), n)
    logit = (
        -2.0 + 0.8 * np.nan_to_num(full["balance"].to_numpy())
        + np.where(full["channel"] == "branch", 1.0, 0.0)
        + np.where((full["product_type"] == "housing") & (full["city"] == "a"), 1.5, 0.0)
    )  # fmt: skip
    y = (rng.random(len(full)) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, offers, y


@pytest.mark.parametrize("learner", ["logistic", "lightgbm", "blend"])
def test_grid_equals_the_cross_join_bit_for_bit(learner: str) -> None:
    x, offers, y = _frames(600, seed=3)
    full = x.iloc[np.repeat(np.arange(len(x)), len(offers))].reset_index(drop=True)
    full["product_type"] = np.tile(offers["product_type"].to_numpy(), len(x))
    full["channel"] = np.tile(offers["channel"].to_numpy(), len(x))
    model = PropensityModel(candidates=(learner,), **FAST).fit(full, y)
    new_x, _, _ = _frames(300, seed=4)
    new_offers = pd.concat(
        [offers, pd.DataFrame({"product_type": ["private"], "channel": ["sms"]})]
    )
    cross = new_x.iloc[np.repeat(np.arange(300), len(new_offers))].reset_index(drop=True)
    cross["product_type"] = np.tile(new_offers["product_type"].to_numpy(), 300)
    cross["channel"] = np.tile(new_offers["channel"].to_numpy(), 300)
    grid = model.predict_proba_grid(new_x, new_offers.reset_index(drop=True))
    assert grid.shape == (300, len(new_offers))
    assert np.array_equal(grid.reshape(-1), model.predict_proba(cross))


def test_compiled_forest_matches_lightgbm_on_awkward_values() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    m = np.column_stack([
        rng.normal(0, 1, n), rng.choice([0.0, np.nan, 1.0, 2.0, -1.0], n),
        rng.integers(0, 6, n).astype(float), rng.choice([0.0, 1.0, 2.0], n),
    ])  # fmt: skip
    y = ((m[:, 0] + (m[:, 2] % 2) + np.nan_to_num(m[:, 1]) + m[:, 3] > 1.5) ^ (rng.random(n) < 0.1)).astype(int)  # fmt: skip
    for params in ({}, {"zero_as_missing": True}, {"use_missing": False}):
        booster = lgb.train(
            {"objective": "binary", "verbosity": -1, "num_leaves": 12, "min_data_per_group": 5,
             "cat_smooth": 1.0, "num_threads": 1, **params},
            lgb.Dataset(m, y, categorical_feature=[2, 3]), num_boost_round=40,
        )  # fmt: skip
        forest = compile_forest(booster.dump_model())
        assert forest is not None
        probe = np.column_stack([
            rng.normal(0, 1, 500), rng.choice([0.0, -0.0, K_ZERO, 1e-40, np.nan, 1.0, 2.0], 500),
            rng.choice([np.nan, -1.0, -0.5, 0.0, 2.7, 5.0, 9.0, 1e12], 500),
            rng.choice([0.0, 1.0, 2.0], 500),
        ])  # fmt: skip
        customers, offers = probe.copy(), np.unique(probe[:, [3]], axis=0)
        offers = np.column_stack([np.full((len(offers), 3), np.nan), offers])
        grid = forest.predict_grid(customers, offers, [3])
        cross = np.repeat(customers, len(offers), axis=0)
        cross[:, 3] = np.tile(offers[:, 3], len(customers))
        assert np.array_equal(grid.reshape(-1), booster.predict(cross, num_threads=1)), params


def test_grid_refuses_columns_in_both_frames_or_in_neither() -> None:
    x, offers, y = _frames(200, seed=5)
    full = x.iloc[np.repeat(np.arange(200), len(offers))].reset_index(drop=True)
    full["product_type"] = np.tile(offers["product_type"].to_numpy(), 200)
    full["channel"] = np.tile(offers["channel"].to_numpy(), 200)
    model = PropensityModel(candidates=("lightgbm",), **FAST).fit(full, y)
    with pytest.raises(ValueError, match=r"in both \['channel'\]"):
        model.predict_proba_grid(x.assign(channel="sms"), offers)
    with pytest.raises(ValueError, match=r"in neither \['channel'\]"):
        model.predict_proba_grid(x, offers[["product_type"]])


@pytest.mark.parametrize(
    "values",
    [
        [" x", "x", "y ", "", None, "z", np.nan],
        ["1", " 2", "3.5", None, "", "4", "a"],
        [1, 1.0, True, "1", " a ", None, 2.5, "2.5"],  # mixed objects: per row
        [0.0, 1.0, 2.0, np.nan, 3.5, -0.0, 2.0**60],
    ],
)
def test_distinct_value_encoding_equals_per_row(values: list[object]) -> None:
    rng = np.random.default_rng(1)
    pick = rng.integers(0, len(values), 400)
    s = pd.Series([values[i] for i in pick], dtype=object if isinstance(values[0], str) or len({type(v) for v in values}) > 2 else None)  # fmt: skip
    fast, slow = pf.labels(s), pf._labels_rows(s)
    assert fast.equals(slow)
    assert fast.dtype == slow.dtype
    v1, t1 = pf.numbers(s)
    v2, t2 = pf._numbers_rows(s) if s.dtype == object else (v1, t1)
    assert np.array_equal(v1, v2, equal_nan=True)
    assert np.array_equal(t1, t2)


def test_take_up_sample_is_stratified_capped_and_sorted() -> None:
    from loanpilot.products.offers_takeup import stratified_sample

    y = np.r_[np.ones(300, dtype=int), np.zeros(2700, dtype=int)]
    rows = stratified_sample(y, 1000, seed=0)
    assert rows.size == 1000
    assert np.all(np.diff(rows) > 0)
    assert y[rows].sum() == 100  # the 10 % share kept
    assert np.array_equal(stratified_sample(y, 5000, seed=0), np.arange(3000))
    with pytest.raises(ValueError, match="max_rows must be >= 200"):
        stratified_sample(y, 10, seed=0)
