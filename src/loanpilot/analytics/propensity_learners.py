"""The two learners of ``PropensityModel`` as plain fitting functions and scoring kernels.

* ``fit_logistic``: L2 logistic regression (lbfgs) on a standardised design; ``C`` from ``Cs``
  by inner stratified ``inner_cv``-fold AUC, walking the C path upwards with warm starts; then
  the fit on all rows. The state is the coefficients as floats; ``logistic_kernel`` scores with
  numpy, so a reloaded state scores bit-for-bit the same.
* ``fit_lightgbm``: LightGBM, trees chosen by early stopping (AUC) on a stratified validation
  share, then refitted on all rows with that many trees; the booster is rebuilt from its own text
  model, so scoring after ``model_to_string`` / ``Booster(model_str=...)`` is identical.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split

from loanpilot.analytics.metrics import auc
from loanpilot.analytics.propensity_calibration import sigmoid

FloatArray = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int8]

#: Fixed LightGBM settings: binary, one thread, deterministic, regularised categorical splits.
LGB_FIXED: dict[str, Any] = {
    "objective": "binary",
    "verbosity": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_col_wise": True,
    "min_data_per_group": 50,
    "cat_smooth": 20.0,
    "bagging_freq": 1,
    "metric": "auc",
}


def fit_logistic(
    Z: FloatArray, y: Labels, Cs: Sequence[float], inner_cv: int, seed: int
) -> dict[str, Any]:
    """``{"C", "coef", "intercept"}`` of the logistic regression with the best inner-CV C."""
    cs = sorted(float(c) for c in Cs)
    scores = np.zeros(len(cs))
    if len(cs) > 1:
        inner = StratifiedKFold(inner_cv, shuffle=True, random_state=seed + 1)
        for train, test in inner.split(Z, y):
            lr = LogisticRegression(C=cs[0], max_iter=500, warm_start=True)
            for i, c in enumerate(cs):
                lr.set_params(C=c)
                lr.fit(Z[train], y[train])
                scores[i] += auc(y[test], Z[test] @ lr.coef_[0])
    best = cs[int(np.argmax(scores))]
    lr = LogisticRegression(C=best, max_iter=1000).fit(Z, y)
    return {
        "C": best,
        "coef": lr.coef_[0].astype(np.float64).tolist(),
        "intercept": float(lr.intercept_[0]),
    }


def fit_lightgbm(
    M: FloatArray,
    y: Labels,
    cats: list[int],
    params: Mapping[str, Any],
    *,
    n_estimators: int,
    validation_fraction: float,
    early_stopping_rounds: int,
    seed: int,
) -> dict[str, Any]:
    """``{"n_trees", "model" (text), "booster"}`` (see the module docstring)."""
    names = [f"f{j}" for j in range(M.shape[1])]
    lgb_params = dict(params)

    def data(rows: npt.NDArray[np.intp], ref: Any = None) -> Any:
        return lgb.Dataset(
            M[rows],
            y[rows],
            reference=ref,
            feature_name=names,
            categorical_feature=cats,
            params=lgb_params,
            free_raw_data=False,
        )

    fit_rows, val_rows = train_test_split(
        np.arange(len(y)), test_size=validation_fraction, stratify=y, random_state=seed
    )
    train_set = data(fit_rows)
    stop: list[Callable[..., Any]] = [lgb.early_stopping(early_stopping_rounds, verbose=False)]
    probe = lgb.train(
        lgb_params,
        train_set,
        n_estimators,
        valid_sets=[data(val_rows, train_set)],
        callbacks=stop,
    )
    n_trees = max(int(probe.best_iteration), 1)
    booster = lgb.train(lgb_params, data(np.arange(len(y))), num_boost_round=n_trees)
    text = booster.model_to_string()
    return {"n_trees": n_trees, "model": text, "booster": lgb.Booster(model_str=text)}


def logistic_kernel(part: Mapping[str, Any], Z: FloatArray) -> FloatArray:
    """P(positive) of a logistic state on a design matrix."""
    return sigmoid(Z @ np.asarray(part["coef"], dtype=np.float64) + float(part["intercept"]))


def lightgbm_kernel(part: Mapping[str, Any], M: FloatArray) -> FloatArray:
    """P(positive) of a LightGBM state on a tree matrix (one thread)."""
    return np.asarray(part["booster"].predict(M, num_threads=1), dtype=np.float64)
