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

Categorical variables: ``analytics.binning_categorical``; WoE, IV and the shared base:
``analytics.woe``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from loanpilot.analytics.woe import (
    MONOTONIC,
    FloatArray,
    IntArray,
    Monotonic,
    _BinnerBase,
    _greedy_merge,
    as_float,
    check_edges,
    check_param,
    check_y,
    woe_iv,
)


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
