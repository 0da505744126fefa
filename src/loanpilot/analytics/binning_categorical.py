"""Optimal binning of a categorical variable for credit scorecards.

Categories under ``min_bin_share`` are pooled into one "other" group; groups are sorted by event
rate, then adjacent groups are merged, least IV loss first, while there are more than ``max_bins``
or a group is still under the minimum share. ``user_groups`` gives the groups exactly. Missing
values (None/NaN) have their own bin; an unseen category goes to ``fallback_bin_``: the "other" bin
if there is one, else the bin with the most rows. WoE conventions: ``analytics.woe``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from loanpilot.analytics.woe import (
    FloatArray,
    IntArray,
    _BinnerBase,
    _greedy_merge,
    as_categories,
    check_param,
    check_y,
)


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
