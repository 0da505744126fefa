"""Lift and gains tables of a propensity score (marketing vocabulary: positives = responders).

Rows are ranked by descending probability with a stable sort (ties keep their input order) and
cut by rank into ``bins`` groups whose sizes differ by at most one: row ``r`` (0-based rank) falls
in decile ``floor(r · bins / n) + 1``, so decile 1 holds the most likely responders.

* ``lift_table``: ``decile``, ``count``, ``positives``, ``rate`` (positives / count),
  ``mean_probability``, ``lift`` (rate / overall rate).
* ``gains_table``: ``decile``, ``count``, ``positives``, ``rate``, ``lift``, ``cum_count``,
  ``cum_positives``, ``cum_population_pct`` (share of rows in this decile and the better ones, in
  %), ``cum_gains_pct`` (share of all positives captured there, in %) and ``cum_lift``
  (cumulative rate / overall rate; 1 on the last row).
* ``top_lift(y, p, share=0.1)``: the rate among the top ``ceil(share · n)`` rows over the overall
  rate (the "top-10 % lift").

Errors name the parameter, what is allowed and what was given.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

__all__ = ["gains_table", "lift_table", "top_lift"]


def _check(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[IntArray, FloatArray]:
    yy = np.asarray(y)
    pp = np.asarray(p, dtype=np.float64)
    if yy.ndim != 1 or pp.ndim != 1:
        raise ValueError(f"y and p must be 1-D, got shapes {yy.shape} and {pp.shape}")
    if yy.size != pp.size:
        raise ValueError(f"y and p must have the same length, got {yy.size} and {pp.size}")
    if yy.size == 0:
        raise ValueError("y must hold at least one row, got none")
    if yy.dtype.kind not in "biuf" or not np.isin(yy, (0, 1)).all():
        odd = np.unique(yy[~np.isin(yy, (0, 1))])[:5].tolist() if yy.dtype.kind in "biuf" else []
        raise ValueError(f"y must be 0/1 (1 = positive), got dtype {yy.dtype} values {odd}")
    if not np.isfinite(pp).all():
        raise ValueError("p must be finite probabilities, got NaN or infinite values")
    if int(yy.sum()) == 0:
        raise ValueError("y has no positive row; lift is undefined without positives")
    return yy.astype(np.int64), pp


def _bins(n: int, bins: int) -> IntArray:
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer):
        raise TypeError(f"bins must be an integer, got {bins!r}")
    if not 1 <= bins <= n:
        raise ValueError(f"bins must be between 1 and the number of rows ({n}), got {bins}")
    return (np.arange(n, dtype=np.int64) * int(bins)) // n


def _grouped(y: IntArray, p: FloatArray, bins: int) -> dict[str, npt.NDArray[np.float64]]:
    order = np.argsort(-p, kind="stable")
    b = _bins(y.size, bins)
    count = np.bincount(b, minlength=bins).astype(np.float64)
    pos = np.bincount(b, weights=y[order].astype(np.float64), minlength=bins).astype(np.float64)
    psum = np.bincount(b, weights=p[order], minlength=bins).astype(np.float64)
    return {"count": count, "positives": pos, "psum": psum}


def lift_table(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Per-decile counts, response rate and lift (see the module docstring)."""
    yy, pp = _check(y, p)
    g = _grouped(yy, pp, bins)
    overall = yy.sum() / yy.size
    rate = g["positives"] / g["count"]
    return pd.DataFrame(
        {
            "decile": np.arange(1, int(bins) + 1, dtype=np.int64),
            "count": g["count"].astype(np.int64),
            "positives": g["positives"].astype(np.int64),
            "rate": rate,
            "mean_probability": g["psum"] / g["count"],
            "lift": rate / overall,
        }
    )


def gains_table(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Per-decile and cumulative gains (see the module docstring)."""
    yy, pp = _check(y, p)
    g = _grouped(yy, pp, bins)
    n, total = yy.size, float(yy.sum())
    overall = total / n
    cum_count, cum_pos = np.cumsum(g["count"]), np.cumsum(g["positives"])
    rate = g["positives"] / g["count"]
    return pd.DataFrame(
        {
            "decile": np.arange(1, int(bins) + 1, dtype=np.int64),
            "count": g["count"].astype(np.int64),
            "positives": g["positives"].astype(np.int64),
            "rate": rate,
            "lift": rate / overall,
            "cum_count": cum_count.astype(np.int64),
            "cum_positives": cum_pos.astype(np.int64),
            "cum_population_pct": 100.0 * cum_count / n,
            "cum_gains_pct": 100.0 * cum_pos / total,
            "cum_lift": (cum_pos / cum_count) / overall,
        }
    )


def top_lift(y: npt.ArrayLike, p: npt.ArrayLike, share: float = 0.1) -> float:
    """Response rate of the top ``ceil(share · n)`` rows by ``p`` over the overall rate."""
    yy, pp = _check(y, p)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise ValueError(f"share must be a number in (0, 1], got {share!r}")
    k = max(1, math.ceil(share * yy.size - 1e-9))
    top = np.argsort(-pp, kind="stable")[:k]
    return float(yy[top].mean() / yy.mean())
