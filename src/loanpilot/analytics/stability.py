"""Population stability: PSI between two samples and per-variable CSI.

Pure numpy / pandas; imports nothing of ours. Bin counts come from ``np.searchsorted`` and
``np.bincount`` (no loop over rows); ``csi`` loops over variables only.

Method
------
The population stability index compares the share of an *expected* (development, baseline)
sample and an *actual* (recent, monitored) sample in each of ``k`` bins::

    PSI = sum_i (a_i - e_i) * ln(a_i / e_i),   e_i = E_i / sum(E),  a_i = A_i / sum(A)

Every term is >= 0, and PSI = 0 when the two distributions agree bin by bin. A share of zero
(a bin empty in one sample) would make the logarithm infinite, so a zero share is replaced by
``smoothing`` (default 1e-4) before the sum; non-zero shares are used as they are. CSI
(characteristic stability index) is the same formula applied to one input variable at a time.

Binning follows the house convention for a binned numeric variable: sorted, strictly increasing
inner ``edges`` (``k - 1`` of them for ``k`` bins); bin ``j`` holds ``edges[j-1] <= x < edges[j]``,
i.e. ``np.searchsorted(edges, x, side="right")``; missing values (NaN / None) go to a bin of their
own with index ``k``, present only when either sample has a missing value. With ``bins=n`` the
edges are the expected sample's ``1/n, 2/n, ..., (n-1)/n`` quantiles (numpy's default linear
interpolation), duplicates and edges at or below the expected minimum dropped, so heavy ties give
fewer bins. A categorical variable has one bin per category seen in the expected sample, one
``"other"`` bin (index ``k``) for categories seen only in the actual sample, and the missing bin
(index ``k + 1``).

Bands (the usual industry reading): PSI < 0.1 ``"stable"``, 0.1 <= PSI <= 0.25 ``"watch"``
(investigate), PSI > 0.25 ``"shift"`` (significant population change; review the model).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api import types as ptypes

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

STABLE_BELOW = 0.1
SHIFT_ABOVE = 0.25
DEFAULT_SMOOTHING = 1e-4
OTHER = "other"
MISSING = "missing"

__all__ = [
    "MISSING",
    "OTHER",
    "SHIFT_ABOVE",
    "STABLE_BELOW",
    "PSIResult",
    "csi",
    "psi",
    "psi_band",
    "psi_from_counts",
]


class PSIResult(NamedTuple):
    """Total PSI and the per-bin table it is the sum of (column ``psi``)."""

    value: float
    table: pd.DataFrame


# --------------------------------------------------------------------------- kernel


def _check_smoothing(smoothing: float) -> float:
    if isinstance(smoothing, bool) or not isinstance(smoothing, int | float | np.floating):
        raise TypeError(f"smoothing must be a number in (0, 1); got {smoothing!r}")
    if not 0.0 < float(smoothing) < 1.0:
        raise ValueError(f"smoothing must be in (0, 1); got {smoothing!r}")
    return float(smoothing)


def _shares(counts: FloatArray, smoothing: float) -> FloatArray:
    share = counts / counts.sum()
    return np.where(share == 0.0, smoothing, share)


def _compute_psi(
    expected_counts: FloatArray, actual_counts: FloatArray, smoothing: float
) -> FloatArray:
    """Per-bin PSI terms ``(a - e) ln(a / e)`` with zero shares replaced by ``smoothing``."""
    e = _shares(expected_counts, smoothing)
    a = _shares(actual_counts, smoothing)
    return np.asarray((a - e) * np.log(a / e), dtype=np.float64)


def psi_band(value: float) -> str:
    """``"stable"`` below 0.1, ``"watch"`` from 0.1 to 0.25, ``"shift"`` above 0.25."""
    if value < STABLE_BELOW:
        return "stable"
    if value <= SHIFT_ABOVE:
        return "watch"
    return "shift"


def psi_from_counts(
    expected_counts: npt.ArrayLike,
    actual_counts: npt.ArrayLike,
    *,
    smoothing: float = DEFAULT_SMOOTHING,
) -> float:
    """PSI from two vectors of bin counts (same bins, same order)."""
    sm = _check_smoothing(smoothing)
    e = _check_counts(expected_counts, "expected_counts")
    a = _check_counts(actual_counts, "actual_counts")
    if e.size != a.size:
        raise ValueError(
            f"expected_counts and actual_counts must have the same number of bins; "
            f"got {e.size} and {a.size}"
        )
    return float(_compute_psi(e, a, sm).sum())


def _check_counts(counts: npt.ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(counts)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty one-dimensional array; got shape {arr.shape}")
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must be numeric counts; got dtype {arr.dtype}")
    out = arr.astype(np.float64)
    if not np.isfinite(out).all() or (out < 0).any():
        raise ValueError(f"{name} must be finite and >= 0; got {out.tolist()[:10]}")
    if out.sum() <= 0:
        raise ValueError(f"{name} must have a positive total; got {out.sum()}")
    return out


# --------------------------------------------------------------------------- numeric PSI


def _numeric(values: object, name: str) -> FloatArray:
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty one-dimensional sample; got shape {arr.shape}"
        )
    if arr.dtype == np.bool_ or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == object):
        raise ValueError(f"{name} must be numeric; got dtype {arr.dtype}")
    try:
        out = np.asarray(pd.to_numeric(pd.Series(arr), errors="raise"), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric; {exc}") from exc
    if np.isinf(out).any():
        raise ValueError(f"{name} must not contain infinity; got {int(np.isinf(out).sum())}")
    return out


def _edges(
    expected: FloatArray, bins: int | Sequence[float] | npt.ArrayLike, name: str
) -> FloatArray:
    if isinstance(bins, bool):
        raise TypeError(f"{name} must be an int >= 1 or a sequence of edges; got {bins!r}")
    if isinstance(bins, int | np.integer):
        if bins < 1:
            raise ValueError(f"{name} must be >= 1 quantile bins; got {bins}")
        present = expected[~np.isnan(expected)]
        if present.size == 0 or bins == 1:
            return np.empty(0, dtype=np.float64)
        q = np.unique(np.quantile(present, np.linspace(0.0, 1.0, int(bins) + 1)[1:-1]))
        return np.asarray(q[q > present.min()], dtype=np.float64)
    edges = np.asarray(bins, dtype=np.float64)
    if edges.ndim != 1 or not np.isfinite(edges).all() or (np.diff(edges) <= 0).any():
        raise ValueError(
            f"{name} edges must be finite and strictly increasing; got {np.asarray(bins).tolist()}"
        )
    return edges


def _numeric_table(
    e: FloatArray, a: FloatArray, edges: FloatArray, smoothing: float
) -> pd.DataFrame:
    k = edges.size + 1
    e_nan, a_nan = np.isnan(e), np.isnan(a)
    has_missing = bool(e_nan.any() or a_nan.any())
    e_idx = np.where(e_nan, k, np.searchsorted(edges, e, side="right"))
    a_idx = np.where(a_nan, k, np.searchsorted(edges, a, side="right"))
    size = k + 1 if has_missing else k
    e_counts = np.bincount(e_idx, minlength=size).astype(np.float64)
    a_counts = np.bincount(a_idx, minlength=size).astype(np.float64)
    lower = np.r_[-np.inf, edges]
    upper = np.r_[edges, np.inf]
    labels = [f"[{lo:g}, {hi:g})" for lo, hi in zip(lower, upper, strict=True)]
    if has_missing:
        lower, upper = np.r_[lower, np.nan], np.r_[upper, np.nan]
        labels.append(MISSING)
    return _table(labels, e_counts, a_counts, smoothing, lower=lower, upper=upper)


def _table(
    labels: Sequence[object],
    e_counts: FloatArray,
    a_counts: FloatArray,
    smoothing: float,
    **extra: Any,
) -> pd.DataFrame:
    terms = _compute_psi(e_counts, a_counts, smoothing)
    return pd.DataFrame(
        {
            "bin": np.arange(len(labels), dtype=np.int64),
            "label": pd.Series(list(labels), dtype=object),
            **extra,
            "expected_count": e_counts.astype(np.int64),
            "actual_count": a_counts.astype(np.int64),
            "expected_share": e_counts / e_counts.sum(),
            "actual_share": a_counts / a_counts.sum(),
            "psi": terms,
        }
    )


def psi(
    expected: npt.ArrayLike,
    actual: npt.ArrayLike,
    bins: int | Sequence[float] | npt.ArrayLike = 10,
    *,
    smoothing: float = DEFAULT_SMOOTHING,
) -> PSIResult:
    """PSI of a numeric variable (or score) between an expected and an actual sample.

    ``bins`` is a number of quantile bins of the expected sample, or explicit inner edges.
    Returns ``PSIResult(value, table)``; the table has one row per bin (``bin``, ``label``,
    ``lower``, ``upper``, counts, shares and the bin's ``psi`` term) and ``value`` is the sum of
    the ``psi`` column.
    """
    sm = _check_smoothing(smoothing)
    e = _numeric(expected, "expected")
    a = _numeric(actual, "actual")
    table = _numeric_table(e, a, _edges(e, bins, "bins"), sm)
    return PSIResult(float(table["psi"].sum()), table)


# --------------------------------------------------------------------------- categorical and CSI


def _categorical_table(e: pd.Series, a: pd.Series, smoothing: float) -> pd.DataFrame:
    e_str = e.astype(object).where(e.notna(), None)
    a_str = a.astype(object).where(a.notna(), None)
    e_present = e_str.dropna().astype(str)
    cats = pd.Index(e_present.unique()).sort_values()
    k = len(cats)
    e_codes = np.asarray(cats.get_indexer(e_present), dtype=np.int64)
    a_present = a_str.dropna().astype(str)
    a_codes = np.asarray(cats.get_indexer(a_present), dtype=np.int64)
    a_codes = np.where(a_codes < 0, k, a_codes)
    e_counts = np.bincount(e_codes, minlength=k + 2).astype(np.float64)
    a_counts = np.bincount(a_codes, minlength=k + 2).astype(np.float64)
    e_counts[k + 1] = float(e_str.isna().sum())
    a_counts[k + 1] = float(a_str.isna().sum())
    return _table([*cats.tolist(), OTHER, MISSING], e_counts, a_counts, smoothing)


def csi(
    expected_df: pd.DataFrame,
    actual_df: pd.DataFrame,
    columns: Sequence[str] | None = None,
    bins: int | Mapping[str, Sequence[float]] = 10,
    *,
    smoothing: float = DEFAULT_SMOOTHING,
) -> pd.DataFrame:
    """Per-variable stability (CSI) for many variables, worst first.

    ``columns`` defaults to the expected frame's columns. Numeric columns (not boolean) are
    binned by ``bins`` expected-sample quantiles, or by explicit edges when ``bins`` maps the
    column's name to its edges; other columns are categorical. Returns a DataFrame with
    ``variable``, ``kind`` (``"numeric"`` / ``"categorical"``), ``n_bins``, ``psi`` and ``band``,
    sorted by ``psi`` descending (ties by variable name).
    """
    sm = _check_smoothing(smoothing)
    for name, frame in (("expected_df", expected_df), ("actual_df", actual_df)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} must be a pandas DataFrame; got {type(frame).__name__}")
        if len(frame) == 0:
            raise ValueError(f"{name} must have at least one row; got 0")
    cols = list(expected_df.columns) if columns is None else list(columns)
    if not cols:
        raise ValueError("columns must name at least one column; got none")
    for name, frame in (("expected_df", expected_df), ("actual_df", actual_df)):
        absent = [c for c in cols if c not in frame.columns]
        if absent:
            raise ValueError(f"columns {absent} are not in {name}; it has {list(frame.columns)}")
    if not isinstance(bins, Mapping) and (
        isinstance(bins, bool) or not isinstance(bins, int | np.integer)
    ):
        raise TypeError(f"bins must be an int or a mapping of column to edges; got {bins!r}")

    rows: list[dict[str, object]] = []
    for col in cols:
        e_col, a_col = expected_df[col], actual_df[col]
        numeric = ptypes.is_numeric_dtype(e_col) and not ptypes.is_bool_dtype(e_col)
        if numeric:
            e = _numeric(e_col, f"expected_df[{col!r}]")
            a = _numeric(a_col, f"actual_df[{col!r}]")
            col_bins: int | Sequence[float] = (
                bins.get(col, 10) if isinstance(bins, Mapping) else int(bins)
            )
            table = _numeric_table(e, a, _edges(e, col_bins, f"bins[{col!r}]"), sm)
        else:
            table = _categorical_table(e_col, a_col, sm)
        value = float(table["psi"].sum())
        rows.append(
            {
                "variable": str(col),
                "kind": "numeric" if numeric else "categorical",
                "n_bins": len(table),
                "psi": value,
                "band": psi_band(value),
            }
        )
    out = pd.DataFrame(rows, columns=["variable", "kind", "n_bins", "psi", "band"])
    return out.sort_values(["psi", "variable"], ascending=[False, True]).reset_index(drop=True)
