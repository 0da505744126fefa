"""The variables of a compiled scorecard: a numeric variable (edges, points, missing points,
the training range) and a categorical one (categories, their bins, points, missing and unseen
points), each turning a column into bin codes in one vectorised step. Conventions: the module
docstring of ``analytics.scorecard_kernel``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
_FAST_ROWS = 256  # from this many rows, a numeric variable with few edges ...
_FAST_EDGES = 32  # ... is binned by counting comparisons (int8 codes) instead of searchsorted
MAX_BINS = 32000  # bin codes are int16
IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.int16]
ObjArray = npt.NDArray[np.object_]


def _finite(name: str, what: str, value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {what} must be a finite number, got {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"{name}: {what} must be a finite number, got {value!r}")
    return out


def _float_vector(name: str, what: str, values: Any) -> FloatArray:
    arr = np.array(values, dtype=np.float64).reshape(-1)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: {what} must be finite numbers, got {arr.tolist()!r}")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class NumericVar:
    """A binned numeric variable: ``len(edges) + 1`` bins plus a missing bin."""

    name: str
    edges: FloatArray
    points: FloatArray
    missing_points: float
    train_range: tuple[float, float] | None = None
    _search: FloatArray = field(init=False, repr=False)
    _lookup: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        edges = _float_vector(self.name, "edges", self.edges)
        if edges.size > 1 and not (np.diff(edges) > 0).all():
            raise ValueError(
                f"{self.name}: edges must be strictly increasing, got {edges.tolist()}"
            )
        if edges.size + 1 > MAX_BINS:
            raise ValueError(f"{self.name}: at most {MAX_BINS} bins allowed, got {edges.size + 1}")
        points = _float_vector(self.name, "points", self.points)
        if points.size != edges.size + 1:
            raise ValueError(
                f"{self.name}: points must have len(edges) + 1 = {edges.size + 1} values "
                f"(one per bin), got {points.size}"
            )
        missing = _finite(self.name, "missing_points", self.missing_points)
        rng = self.train_range
        if rng is not None:
            lo, hi = (_finite(self.name, "train_range", v) for v in rng)
            if lo > hi:
                raise ValueError(f"{self.name}: train_range must be (low, high), got {rng!r}")
            rng = (lo, hi)
        put = object.__setattr__
        put(self, "edges", edges)
        put(self, "points", points)
        put(self, "missing_points", missing)
        put(self, "train_range", rng)
        put(self, "_search", np.append(edges, np.nan))
        put(self, "_lookup", np.append(points, missing))

    @property
    def n_bins(self) -> int:
        """Number of bins, the missing bin not counted (its code is ``n_bins``)."""
        return int(self.points.size)

    @property
    def best_points(self) -> float:
        """The most points any value can earn (bins and missing bin)."""
        return float(self._lookup.max())

    def _codes(self, values: Any) -> tuple[npt.NDArray[np.integer[Any]], int, int]:
        """Bin codes (missing = ``n_bins``), missing count, out-of-range count."""
        x = _as_float(self.name, values)
        k = self.edges.size
        codes: npt.NDArray[np.integer[Any]]
        if x.size >= _FAST_ROWS and k <= _FAST_EDGES:
            # Same codes as the searchsorted below, faster for a few edges: the number of
            # edges <= x, and NaN (which compares False everywhere) set to the missing code.
            codes = np.zeros(x.size, dtype=np.int8)
            hit = np.empty(x.size, dtype=bool)
            for edge in self.edges.tolist():
                np.greater_equal(x, edge, out=hit)
                np.add(codes, hit.view(np.int8), out=codes)
            np.isnan(x, out=hit)
            n_missing = int(np.count_nonzero(hit))
            np.putmask(codes, hit, k + 1)
        else:
            codes = self._search.searchsorted(x, side="right")
            n_missing = int(np.count_nonzero(codes == k + 1))
        n_out = 0
        if self.train_range is not None:
            lo, hi = self.train_range
            n_out = int(np.count_nonzero(x < lo)) + int(np.count_nonzero(x > hi))
        return codes, n_missing, n_out


@dataclass(frozen=True, eq=False)
class CategoricalVar:
    """A categorical variable: each category maps to a bin; plus missing and unseen."""

    name: str
    categories: tuple[str, ...]
    bin_of_category: IntArray
    points: FloatArray
    missing_points: float
    unseen_points: float
    _index: pd.Index = field(init=False, repr=False)
    _code_of: dict[str, int] = field(init=False, repr=False)
    _lookup: FloatArray = field(init=False, repr=False)
    _bin_code: CodeArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        name = self.name
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        cats = tuple(self.categories)
        bad = [c for c in cats if not isinstance(c, str) or "\x00" in c]
        if bad:
            raise ValueError(f"{name}: categories must be strings without NUL, got {bad[:3]!r}")
        if len(set(cats)) != len(cats):
            raise ValueError(f"{name}: categories must be unique, got {list(cats)!r}")
        points = _float_vector(name, "points", self.points)
        if not 1 <= points.size <= MAX_BINS:
            raise ValueError(
                f"{name}: points must hold one value per bin (1..{MAX_BINS}), got {points.size}"
            )
        bins = np.array(self.bin_of_category, dtype=np.int64).reshape(-1)
        if bins.size != len(cats):
            raise ValueError(
                f"{name}: bin_of_category must have one bin per category ({len(cats)}), "
                f"got {bins.size}"
            )
        if bins.size and (bins.min() < 0 or bins.max() >= points.size):
            raise ValueError(
                f"{name}: bin_of_category must be in 0..{points.size - 1}, got {bins.tolist()}"
            )
        bins.setflags(write=False)
        missing = _finite(name, "missing_points", self.missing_points)
        unseen = _finite(name, "unseen_points", self.unseen_points)
        m = points.size
        put = object.__setattr__
        put(self, "categories", cats)
        put(self, "bin_of_category", bins)
        put(self, "points", points)
        put(self, "missing_points", missing)
        put(self, "unseen_points", unseen)
        put(self, "_index", pd.Index(list(cats), dtype=object))
        put(self, "_code_of", {c: i for i, c in enumerate(cats)})
        # lookup position: category i -> i, unseen -> len(cats), missing -> len(cats) + 1
        put(self, "_lookup", np.concatenate([points[bins], [unseen, missing]]))
        put(self, "_bin_code", np.concatenate([bins, [m + 1, m]]).astype(np.int16))

    @property
    def n_bins(self) -> int:
        """Number of bins (missing is code ``n_bins``, unseen ``n_bins + 1``)."""
        return int(self.points.size)

    @property
    def best_points(self) -> float:
        """The most points a value can earn (bins and missing bin; unseen is not a bin)."""
        return float(max(self.points.max(), self.missing_points))

    def _positions(self, values: Any) -> tuple[IntArray, int, int]:
        """Lookup positions (category i -> i, unseen, missing), missing and unseen counts."""
        arr = _as_labels(values)
        n_cat = len(self.categories)
        code_of = self._code_of
        if arr.size <= 16:  # one applicant: a dict beats pandas' set-up cost, same answer
            missing = np.asarray(pd.isna(arr), dtype=bool)
            found = (
                -1 if m else code_of.get(_text(v), -1)
                for v, m in zip(arr.tolist(), missing.tolist(), strict=True)
            )
            pos = np.fromiter(found, np.int64, arr.size)
        else:
            pos = np.asarray(self._index.get_indexer(arr), dtype=np.int64)  # type: ignore[arg-type]
            missing = np.zeros(arr.size, dtype=bool)
            miss = np.flatnonzero(pos < 0)
            if miss.size:
                sub = arr[miss]
                na = np.asarray(pd.isna(sub), dtype=bool)
                missing[miss[na]] = True
                rest = miss[~na]
                if rest.size and arr.dtype.kind == "O":  # non-text values: match their text
                    retry = [
                        -1 if isinstance(v, str) else code_of.get(_text(v), -1)
                        for v in arr[rest].tolist()
                    ]
                    pos[rest] = retry
        pos[pos < 0] = n_cat
        n_missing = int(np.count_nonzero(missing))
        pos[missing] = n_cat + 1
        unseen = int(np.count_nonzero(pos == n_cat))
        return pos, n_missing, unseen


Var = NumericVar | CategoricalVar


def _as_float(name: str, values: Any) -> FloatArray:
    if isinstance(values, pd.Series):
        if values.dtype == np.float64:
            return values.to_numpy()
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
            values.dtype
        ):
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        values = values.to_numpy(dtype=object)
    arr = np.asarray(values)
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(np.float64, copy=False).reshape(-1)
    if kind in "iub":
        return arr.astype(np.float64).reshape(-1)
    if kind in "OUS":
        flat = pd.Series(arr.reshape(-1), dtype=object)
        num = pd.to_numeric(flat, errors="coerce")
        bad = num.isna().to_numpy() & ~flat.isna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"column {name!r} is numeric in the card but holds text {flat.iloc[i]!r} (row {i})"
            )
        return num.to_numpy(dtype=np.float64, na_value=np.nan)
    raise ValueError(f"column {name!r} is numeric in the card but has dtype {arr.dtype}")


def _as_labels(values: Any) -> ObjArray:
    """Values as an object (or str) array; numbers become their text, NaN numbers None."""
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=object)
    arr = np.asarray(values).reshape(-1)
    kind = arr.dtype.kind
    if kind in "OUS":
        return arr
    if kind == "f":
        nan = np.isnan(arr)
        whole = (np.abs(arr) < 2.0**53) & (arr == np.round(arr))
        ints = np.where(whole, arr, 0).astype(np.int64).astype(str)
        text = np.where(whole, ints, arr.astype(str)).astype(object)
        text[nan] = None
        return text
    return arr.astype(str).astype(object)


def _text(v: Any) -> Any:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, float | np.floating):
        f = float(v)
        if abs(f) < 2.0**53 and f.is_integer():
            return str(int(f))
    return str(v)
