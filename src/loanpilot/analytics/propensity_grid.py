"""LightGBM scoring of a grid: every row of a customer matrix with every row of a small offer
matrix (product type × channel), without building the n × g rows LightGBM would walk one by one.

Next-best-offer asks one binary LightGBM model for P(take) of each customer for each of g offers;
the offer columns are the only ones that change along a customer's g rows. ``CompiledForest``
reads the booster's trees (``dump_model``) once and evaluates them the QuickScorer way
(Lucchese et al., SIGIR 2015): the leaves of a tree are numbered left to right and every split
a row does *not* take to the left clears the leaves of its left subtree from the row's bit mask;
the lowest bit left is the leaf the row reaches. Masks are ANDed, so a tree's mask is the AND of
its customer-column splits (evaluated on the n customers) and its offer-column splits
(evaluated on the g offers): n × g masks cost n + g split evaluations per split, not n × g.

Splits are decided exactly as LightGBM's ``Tree::Decision`` decides them (a value with
``|v| <= 1e-35f`` is 0 as in its dense-row reader; numeric: NaN is 0 unless the split's missing
type is NaN, the default direction for missing/zero, else ``v <= threshold``; categorical: NaN
or a negative value goes right, else left when ``int(v)`` is in the split's category set), the
leaf values are summed tree by tree in the booster's order, and the probability is
``1 / (1 + exp(-raw))`` (``scipy.special.expit``, the same formula as LightGBM's binary output),
so the result equals ``booster.predict`` of the n × g rows bit for bit (tested). Models with more
than 64 leaves per tree, or other objectives, are not compiled (``compile_forest`` returns None)
and the caller falls back to LightGBM on the full rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import expit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

K_ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (a float constant)
_MISSING = {"None": 0, "Zero": 1, "NaN": 2}
_ROW_BLOCK_CELLS = 4_000_000  # customers per block × offers × trees held at once


@dataclass(frozen=True)
class _Feature:
    """The splits of one column, as a table: ``masks[bin]`` (bins × trees) is the AND over the
    column's splits of the leaves a value of that bin leaves possible. Numeric columns: bin
    ``searchsorted(cuts, v)`` (``v <= cut[j]`` iff bin <= j), then a bin for (near) zero and one
    for NaN; categorical columns: the category code, then one bin for every value that goes
    right at every split (NaN, negative, or in no split's set)."""

    column: int
    categorical: bool
    cuts: FloatArray
    masks: npt.NDArray[Any]

    def bins(self, v: FloatArray) -> IntArray:
        nan = np.isnan(v)
        if self.categorical:
            width = self.masks.shape[0] - 1
            ok = ~nan & (v > -1.0) & (v < float(width))
            return np.where(ok, np.trunc(np.where(ok, v, 0.0)), width).astype(np.int64)
        k = self.cuts.size
        b = np.searchsorted(self.cuts, v, side="left")
        return np.where(nan, k + 2, np.where(np.abs(v) <= K_ZERO, k + 1, b)).astype(np.int64)


@dataclass(frozen=True)
class CompiledForest:
    """A binary LightGBM model as arrays (see the module docstring)."""

    n_trees: int
    n_features: int
    features: tuple[_Feature, ...]
    leaf_values: FloatArray  # n_trees × max leaves, leaves numbered left to right
    mask_dtype: np.dtype[Any]

    def predict_grid(
        self, customers: FloatArray, offers: FloatArray, offer_features: Sequence[int]
    ) -> FloatArray:
        """P(positive) of every customer row with every offer row: n × g. ``customers`` and
        ``offers`` are tree matrices of the model's full width; the columns ``offer_features``
        are read from ``offers``, every other column from ``customers``."""
        a = np.asarray(customers, dtype=np.float64)
        b = np.asarray(offers, dtype=np.float64)
        if a.ndim != 2 or b.ndim != 2 or {a.shape[1], b.shape[1]} != {self.n_features}:
            raise ValueError(
                f"customers and offers must be 2-D with {self.n_features} columns, "
                f"got {a.shape} and {b.shape}"
            )
        on_offer = {int(j) for j in offer_features}
        offer_masks = self._tree_masks(b, [f for f in self.features if f.column in on_offer])
        own = [f for f in self.features if f.column not in on_offer]
        return np.asarray(expit(self._raw(self._tree_masks(a, own), offer_masks)), np.float64)

    def _tree_masks(self, x: FloatArray, features: list[_Feature]) -> npt.NDArray[Any]:
        """rows × trees: the AND over each tree's splits of the leaves still possible."""
        out = np.full((x.shape[0], self.n_trees), np.iinfo(self.mask_dtype).max, self.mask_dtype)
        for f in features:
            out &= f.masks[f.bins(x[:, f.column])]
        return out

    def _raw(self, own: npt.NDArray[Any], offer: npt.NDArray[Any]) -> FloatArray:
        """n × g raw scores: the leaf values summed tree by tree, in the booster's order. Per
        tree the distinct customer masks (a few dozen) × the offers make a small table of leaf
        values, and each customer takes its row of it."""
        n, g = own.shape[0], offer.shape[0]
        raw = np.zeros((n, g), dtype=np.float64)
        one = self.mask_dtype.type(1)
        for t in range(self.n_trees):
            distinct, row = np.unique(own[:, t], return_inverse=True)
            mask = distinct[:, None] & offer[None, :, t]
            leaf = np.bitwise_count((mask & (~mask + one)) - one)
            raw += self.leaf_values[t, leaf][row.reshape(-1)]
        return raw


def compile_forest(dump: Mapping[str, Any]) -> CompiledForest | None:
    """The ``CompiledForest`` of a booster's ``dump_model()``; None when it cannot be compiled
    (not binary with sigmoid 1, more than one tree per iteration, more than 64 leaves in a tree,
    or a column split both as a number and as a category)."""
    objective = str(dump.get("objective", "")).replace(" ", "")
    trees = list(dump.get("tree_info", []))
    if not objective.startswith("binary") or "sigmoid:1" not in objective or not trees:
        return None
    leaves = max(int(t["num_leaves"]) for t in trees)
    if int(dump.get("num_tree_per_iteration", 1)) != 1 or leaves > 64:
        return None
    dtype = np.dtype(
        f"uint{8 if leaves <= 8 else 16 if leaves <= 16 else 32 if leaves <= 32 else 64}"
    )
    values = np.zeros((len(trees), leaves), dtype=np.float64)
    splits: list[tuple[int, Mapping[str, Any], int]] = []  # (tree, node, bits of left leaves)

    def walk(node: Mapping[str, Any], t: int, leaf_no: list[int]) -> int:
        if "split_feature" not in node:
            values[t, leaf_no[0]] = float(node["leaf_value"])
            leaf_no[0] += 1
            return 1 << (leaf_no[0] - 1)
        left = walk(node["left_child"], t, leaf_no)
        splits.append((t, node, left))
        return left | walk(node["right_child"], t, leaf_no)

    for t, info in enumerate(trees):
        walk(info["tree_structure"], t, [0])
    by_column: dict[int, list[tuple[int, Mapping[str, Any], int]]] = {}
    for split in splits:
        by_column.setdefault(int(split[1]["split_feature"]), []).append(split)
    features = []
    for column, group in sorted(by_column.items()):
        kinds = {node["decision_type"] == "==" for _, node, _ in group}
        if len(kinds) != 1:
            return None
        features.append(_feature(column, kinds.pop(), group, len(trees), dtype))
    return CompiledForest(
        n_trees=len(trees),
        n_features=int(dump["max_feature_idx"]) + 1,
        features=tuple(features),
        leaf_values=values,
        mask_dtype=dtype,
    )


def _feature(
    column: int,
    categorical: bool,
    group: list[tuple[int, Mapping[str, Any], int]],
    n_trees: int,
    dtype: np.dtype[Any],
) -> _Feature:
    """The bin × tree mask table of one column's splits (see ``_Feature``)."""
    full = np.iinfo(dtype).max
    if categorical:
        sets = [
            [int(c) for c in str(node["threshold"]).split("||") if c != ""] for _, node, _ in group
        ]
        width = max((max(c) + 1 for c in sets if c), default=0)
        cuts = np.empty(0, dtype=np.float64)
        goes_left = []
        for cats in sets:
            left = np.zeros(width + 1, dtype=bool)
            left[cats] = True
            goes_left.append(left)
    else:
        cuts = np.unique(np.array([float(node["threshold"]) for _, node, _ in group]))
        k = cuts.size
        goes_left = []
        for _, node, _ in group:
            thr = float(node["threshold"])
            missing = _MISSING[str(node["missing_type"])]
            default = bool(node["default_left"])
            left = np.empty(k + 3, dtype=bool)
            left[: k + 1] = np.arange(k + 1) <= int(np.searchsorted(cuts, thr))
            left[k + 1] = default if missing == 1 else thr >= 0.0  # (near) zero
            left[k + 2] = default if missing in (1, 2) else thr >= 0.0  # NaN
            goes_left.append(left)
    masks = np.full((goes_left[0].size, n_trees), full, dtype=dtype)
    for (t, _, left_bits), left in zip(group, goes_left, strict=True):
        masks[:, t] &= np.where(left, full, full ^ dtype.type(left_bits)).astype(dtype)
    return _Feature(column, categorical, cuts, masks)


def grid_scores(
    parts: dict[str, Any], X: Any, offers: Any, wanted: Sequence[str], blend_weight: float
) -> dict[str, FloatArray]:
    """Uncalibrated P(positive) of ``PropensityModel`` parts (``columns`` and the fitted
    learners) for every row of the frame ``X`` with every row of the frame ``offers``, n × g per
    learner of ``wanted``: what the learners give on the cross join of the two frames (rows of
    ``X`` outer, ``offers`` inner), bit for bit. The two frames hold disjoint columns that
    together are the model's columns. The LightGBM part is compiled once (kept in ``parts``)."""
    from loanpilot.analytics.propensity_calibration import logit, sigmoid
    from loanpilot.analytics.propensity_learners import lightgbm_kernel, logistic_kernel

    cols = parts["columns"]
    names = set(map(str, X.columns)), set(map(str, offers.columns))
    both = sorted(set(cols.features) & names[0] & names[1])
    absent = [f for f in cols.features if f not in names[0] | names[1]]
    if both or absent:
        raise ValueError(
            f"X and offers must hold the model's columns once each: in both {both}, in "
            f"neither {absent}"
        )
    n, g = len(X), len(offers)
    out: dict[str, FloatArray] = {}
    if "lightgbm" in parts:
        a, b = cols.encode_tree(X, partial=True), cols.encode_tree(offers, partial=True)
        on_offer = [j for j, f in enumerate(cols.features) if f in names[1]]
        part = parts["lightgbm"]
        if "forest" not in part:
            part["forest"] = compile_forest(part["booster"].dump_model())
        if part["forest"] is not None:
            out["lightgbm"] = part["forest"].predict_grid(a, b, on_offer)
        else:
            full = np.repeat(a, g, axis=0)
            full[:, on_offer] = np.tile(b[:, on_offer], (n, 1))
            out["lightgbm"] = lightgbm_kernel(part, full).reshape(n, g)
    if "logistic" in parts:
        raw = np.repeat(cols.lr_raw_partial(X), g, axis=0)
        raw += np.tile(cols.lr_raw_partial(offers), (n, 1))
        out["logistic"] = logistic_kernel(parts["logistic"], cols.standardise(raw)).reshape(n, g)
    if "blend" in wanted:
        w = float(blend_weight)
        out["blend"] = sigmoid(w * logit(out["logistic"]) + (1.0 - w) * logit(out["lightgbm"]))
    return {c: out[c] for c in wanted}
