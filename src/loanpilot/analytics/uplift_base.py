"""Kernels of the uplift learners (``analytics.uplift``): the column encoder fixed at fit, and
the base classifiers as JSON-safe dicts, fitted and applied on the log-odds scale.

A base classifier may be fitted with an ``offset``: log-odds added to its own before the link, so
it learns only what differs from a reference model (the two-model learner's arm models learn the
arm's effect on top of the control model's log-odds). Logistic regression minimises
C·Σ w·(log(1 + e^z) − y·z) + ½‖β‖², z = offset + Xβ + b (L-BFGS; the intercept is not penalised);
LightGBM takes the offset as ``init_score``. An outcome with one class gives a constant model
(log-odds of the clipped rate; with an offset, no shift).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, log_expit

FloatArray = npt.NDArray[np.float64]
_LGB_FIXED: dict[str, Any] = {"objective": "binary", "verbosity": -1, "num_threads": 1}
_LGB_FIXED |= {"deterministic": True, "force_col_wise": True, "bagging_freq": 1}
_CLIP = 1e-6


class Encoder:
    """Column kinds, medians, scales and categories fixed at fit; the two encodings."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.numeric: list[str] = list(spec["numeric"])
        self.median: list[float] = [float(v) for v in spec["median"]]
        self.scale: list[float] = [float(v) for v in spec["scale"]]
        self.categorical: dict[str, list[str]] = {
            str(k): [str(c) for c in v] for k, v in spec["categorical"].items()
        }

    @classmethod
    def fit(cls, X: pd.DataFrame) -> Encoder:
        numeric, categorical, problems = [], {}, []
        for name in X.columns:
            s = X[name]
            if (
                isinstance(s.dtype, pd.CategoricalDtype)
                or s.dtype.kind in "OSU"
                or (pd.api.types.is_string_dtype(s.dtype))
            ):
                categorical[str(name)] = sorted({str(v) for v in s.dropna()})
            elif s.dtype.kind in "biuf":
                if s.isna().all():
                    problems.append(f"column {name!r} is all missing")
                numeric.append(str(name))
            else:
                problems.append(f"column {name!r} has unsupported dtype {s.dtype}")
        if problems:
            raise ValueError("; ".join(problems))
        values = X[numeric].to_numpy(dtype=float) if numeric else np.zeros((len(X), 0))
        median = np.nanmedian(values, axis=0) if numeric else np.zeros(0)
        filled = np.where(np.isnan(values), median, values)
        scale = filled.std(axis=0) if numeric else np.zeros(0)
        return cls(
            {
                "numeric": numeric,
                "median": median.tolist(),
                "scale": np.where(scale > 0, scale, 1.0).tolist(),
                "categorical": categorical,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "numeric": self.numeric,
            "median": self.median,
            "scale": self.scale,
            "categorical": self.categorical,
        }

    def columns(self) -> list[str]:
        return self.numeric + [f"{k}={c}" for k, cats in self.categorical.items() for c in cats]

    def encode(self, X: pd.DataFrame, *, standardise: bool) -> FloatArray:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        absent = [c for c in [*self.numeric, *self.categorical] if c not in X.columns]
        if absent:
            raise ValueError(f"X lacks the model's columns {absent}")
        parts: list[FloatArray] = []
        if self.numeric:
            values = X[self.numeric].to_numpy(dtype=float)
            if standardise:
                med = np.asarray(self.median)
                values = (np.where(np.isnan(values), med, values) - med) / np.asarray(self.scale)
            parts.append(values)
        for name, cats in self.categorical.items():
            # each distinct value is looked up once (a chunk of the offer grid has ~800,000 rows
            # and a few dozen values); missing and unknown values get no column
            seen, uniques = pd.factorize(X[name].astype(object), use_na_sentinel=True)
            position = {c: i for i, c in enumerate(cats)}
            lookup = np.array([position.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
            codes = lookup[seen]  # the sentinel -1 picks the trailing -1
            onehot = np.zeros((len(X), len(cats)))
            known = codes >= 0
            onehot[np.flatnonzero(known), codes[known]] = 1.0
            parts.append(onehot)
        return np.hstack(parts) if parts else np.zeros((len(X), 0))


def _logistic(
    matrix: FloatArray, y: FloatArray, weight: FloatArray, offset: FloatArray, C: float
) -> tuple[FloatArray, float]:
    """Penalised logistic regression with an offset; (coefficients, intercept)."""
    n_features = matrix.shape[1]

    def loss(theta: FloatArray) -> tuple[float, FloatArray]:
        beta, b = theta[:n_features], theta[n_features]
        z = offset + matrix @ beta + b
        # -log p(y|z) = -(y·log σ(z) + (1-y)·log σ(-z))
        nll = -(y * log_expit(z) + (1.0 - y) * log_expit(-z))
        resid = weight * (expit(z) - y)
        grad = np.r_[C * (matrix.T @ resid) + beta, C * resid.sum()]
        return float(C * np.dot(weight, nll) + 0.5 * np.dot(beta, beta)), grad

    start = np.zeros(n_features + 1)
    rate = float(np.clip(np.average(y, weights=weight), _CLIP, 1 - _CLIP))
    start[-1] = np.log(rate / (1 - rate)) - float(np.average(offset, weights=weight))
    result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    theta = np.asarray(result.x, dtype=float)
    return theta[:n_features], float(theta[n_features])


def fit_base(
    params: Mapping[str, Any],
    matrix: FloatArray,
    y: FloatArray,
    weight: FloatArray | None = None,
    offset: FloatArray | None = None,
) -> dict[str, Any]:
    """One fitted classifier as a JSON-safe dict (see the module docstring)."""
    w = np.ones(len(y)) if weight is None else weight
    rate = float(np.average(y, weights=w)) if w.sum() > 0 else 0.0
    if rate in (0.0, 1.0):
        logit = (
            0.0 if offset is not None else float(np.log(max(rate, _CLIP) / max(1 - rate, _CLIP)))
        )
        return {"kind": "constant", "log_odds": logit}
    off = np.zeros(len(y)) if offset is None else offset
    if params["base"] == "logistic":
        coef, intercept = _logistic(matrix, y, w, off, float(params["C"]))
        return {"kind": "logistic", "coef": coef.tolist(), "intercept": intercept}
    lgb_params = _LGB_FIXED | {
        "learning_rate": float(params["learning_rate"]),
        "num_leaves": int(params["num_leaves"]),
        "min_child_samples": int(params["min_child_samples"]),
        "lambda_l2": float(params["reg_lambda"]),
        "bagging_fraction": 0.8,
        "feature_fraction": 0.8,
        "seed": int(params["random_state"]),
    }
    # an offset replaces LightGBM's start from the average log-odds: give it only when there is one
    data = lgb.Dataset(matrix, y, weight=w, init_score=offset, params=lgb_params)
    booster = lgb.train(lgb_params, data, num_boost_round=int(params["n_estimators"]))
    return {"kind": "lightgbm", "model": booster.model_to_string()}


def log_odds(model: Mapping[str, Any], matrix: FloatArray, cache: dict[int, Any]) -> FloatArray:
    """The model's own log-odds of each row (without any offset)."""
    kind = model["kind"]
    if kind == "constant":
        return np.full(len(matrix), float(model["log_odds"]))
    if kind == "logistic":
        return np.asarray(
            matrix @ np.asarray(model["coef"], dtype=float) + float(model["intercept"])
        )
    key = id(model)
    if key not in cache:
        cache[key] = lgb.Booster(model_str=str(model["model"]))
    raw = cache[key].predict(matrix, num_threads=1, raw_score=True)
    return np.asarray(raw, dtype=np.float64)
