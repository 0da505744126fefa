"""Probability calibration of a propensity model, fitted on out-of-fold predictions.

* ``platt``: ``p = sigmoid(a · logit(s) + b)`` fitted by maximum likelihood (a barely
  regularised logistic regression on the logit of the raw score). Strictly increasing when
  ``a > 0``, so the ranking (AUC, lift) is kept exactly.
* ``isotonic``: the pool-adjacent-violators fit of the outcome on the raw score, stored as the
  blocks' mean score (``x``) and outcome rate (``y``); a score is mapped by linear interpolation
  between block centres (flat beyond the first and last centre), so scores inside the range keep
  their order and only the extremes tie.
* ``auto``: isotonic when the out-of-fold sample holds at least ``ISOTONIC_MIN`` positives and as
  many negatives (enough for a stable step function), Platt otherwise.

The state is a small JSON dict; ``apply_calibration`` is vectorised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

FloatArray = npt.NDArray[np.float64]
METHODS = ("auto", "platt", "isotonic", "none")
ISOTONIC_MIN = 1000
_EPS = 1e-12


def logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, _EPS, 1.0 - _EPS)
    return np.asarray(np.log(q) - np.log1p(-q), dtype=np.float64)


def sigmoid(z: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def fit_calibration(score: FloatArray, y: npt.NDArray[np.int8], method: str) -> dict[str, Any]:
    """Calibration state for raw probabilities ``score`` and outcomes ``y`` (0/1)."""
    if method not in METHODS:
        raise ValueError(f"calibration must be one of {list(METHODS)}, got {method!r}")
    if method == "none":
        return {"method": "none"}
    n_pos = int(y.sum())
    if method == "auto":
        method = "isotonic" if min(n_pos, y.size - n_pos) >= ISOTONIC_MIN else "platt"
    if method == "platt":
        lr = LogisticRegression(C=1e6, max_iter=1000)
        lr.fit(logit(score)[:, None], y)
        a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        if not a > 0:  # a score that does not rank: fall back to the base rate
            a, b = 0.0, float(np.log(max(n_pos, 1) / max(y.size - n_pos, 1)))
        return {"method": "platt", "a": a, "b": b}
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    fitted = np.asarray(iso.fit_transform(score, y.astype(np.float64)), dtype=np.float64)
    order = np.argsort(score, kind="stable")
    s_sorted, f_sorted = score[order], fitted[order]
    starts = np.flatnonzero(np.r_[True, np.diff(f_sorted) != 0])
    sizes = np.diff(np.r_[starts, s_sorted.size])
    x = np.add.reduceat(s_sorted, starts) / sizes
    return {"method": "isotonic", "x": x.tolist(), "y": f_sorted[starts].tolist()}


def apply_calibration(state: Mapping[str, Any], score: FloatArray) -> FloatArray:
    """Calibrated probabilities of raw probabilities ``score``."""
    method = state.get("method")
    if method == "none":
        return score
    if method == "platt":
        return sigmoid(float(state["a"]) * logit(score) + float(state["b"]))
    if method == "isotonic":
        x = np.asarray(state["x"], dtype=np.float64)
        y = np.asarray(state["y"], dtype=np.float64)
        return np.asarray(np.interp(score, x, y), dtype=np.float64)
    raise ValueError(f"calibration method must be platt, isotonic or none, got {method!r}")
