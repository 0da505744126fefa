"""Column handling of the propensity models: what kind each column is, and the two encodings.

* Kinds are fixed at fit. Numeric dtypes (bool too) are numeric. An object/string column is
  numeric when all its values read as numbers (``"12"``, ``"3.5"``), categorical when most do
  not, and an error naming the column, the first offending text and its row (the frame's index
  label: the CLI indexes rows by their number in the file) when most values are numbers but some
  are not. A column that is all missing or holds a single value is dropped (``dropped``).
* Categories are matched by text (integral numbers as ``"3"``). Levels seen fewer than
  ``min_category_count`` times, and all but the ``max_categories`` most frequent, are pooled into
  one ``other`` level; missing is a level of its own for the logistic encoding and LightGBM's
  missing (NaN) for the tree encoding; an unseen level at scoring time is ``other``.
* Logistic encoding (dense float matrix): numeric columns are clipped to their 0.5 / 99.5 %
  training quantiles, missing values replaced by the training median with a 0/1 missing flag
  (only for columns that had missing values in training), then standardised; categorical columns
  are one-hot over kept levels + ``other`` + ``missing``.
* Tree encoding: numbers as they are (NaN = missing), categories as integer codes.

The state is plain lists and floats (JSON-safe); encoding is vectorised per column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
NUMERIC, CATEGORICAL = "numeric", "categorical"
_CLIP = (0.005, 0.995)


def _distinct(s: pd.Series) -> tuple[npt.NDArray[np.intp], pd.Series] | None:
    """(code per row, -1 = missing; the distinct non-missing values) when working on the distinct
    values gives exactly the per-row answer: numeric columns, and object columns whose values
    are all text (``pd.factorize`` would merge ``1``, ``1.0`` and ``True``, which read apart).
    None otherwise: the caller works row by row."""
    if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(s.dtype):
        return None
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if s.dtype == object:
        values = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
        if not all(isinstance(v, str) for v in values):
            return None
    else:
        values = pd.Series(uniques)
    return np.asarray(codes, dtype=np.intp), values


def _labels_rows(s: pd.Series) -> pd.Series:
    miss = s.isna().to_numpy()
    vals = s.to_numpy(dtype=object)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        f = s.to_numpy(dtype=np.float64, na_value=np.nan)
        whole = ~miss & (f == np.round(f)) & (np.abs(f) < 2.0**53)
        vals = np.where(whole, np.where(whole, f, 0).astype(np.int64).astype(str), vals)
    out = pd.Series(vals, index=s.index, dtype=object).astype(str).str.strip()
    return out.where(~miss, None)


def labels(s: pd.Series) -> pd.Series:
    """Non-missing values as text (integral numbers as ``"3"``); missing stays None. Worked out
    once per distinct value (``_distinct``), so a column of 80,000 rows and 30 cities costs
    30 string operations."""
    split = _distinct(s)
    if split is None:
        return _labels_rows(s)
    codes, values = split
    if values.empty:
        return _labels_rows(s)
    text = _labels_rows(values).iloc[np.maximum(codes, 0)].set_axis(s.index)
    return text.where(codes >= 0, None)


def _numbers_rows(s: pd.Series) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    obj = s.astype(object)
    stripped = obj.where(obj.isna(), obj.astype(str).str.strip())
    stripped = stripped.where(stripped != "", None)
    num = pd.to_numeric(stripped, errors="coerce")
    text = (stripped.notna() & num.isna()).to_numpy()
    return num.to_numpy(dtype=np.float64, na_value=np.nan), text


def numbers(s: pd.Series) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """(float values, mask of non-missing values that are text, not numbers)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(s), dtype=bool)
    split = _distinct(s)
    if split is None:
        return _numbers_rows(s)
    codes, values = split
    vals, text = _numbers_rows(values)
    return np.append(vals, np.nan)[codes], np.append(text, False)[codes]


def text_problem(name: str, s: pd.Series, text: npt.NDArray[np.bool_]) -> str:
    """The message for a numeric column holding text: column, value, row, how many."""
    pos = int(np.flatnonzero(text)[0])
    return (
        f"column {name!r} is numeric but holds the text {str(s.iloc[pos]).strip()!r} at row "
        f"{s.index[pos]} ({int(text.sum())} such value(s)); fix the file or exclude the column"
    )


@dataclass
class ColumnSchema:
    """The fitted columns: kind and encoding state per kept column (JSON via ``to_dict``)."""

    features: list[str]
    kinds: list[str]
    levels: list[list[str] | None]  # kept levels of a categorical column (sorted), else None
    has_other: list[bool]
    medians: list[float]
    clip_lo: list[float]
    clip_hi: list[float]
    flags: list[bool]  # numeric column had missing values in training: add a missing flag
    means: list[float]  # standardisation of the LR block, per LR column
    scales: list[float]
    dropped: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSchema:
        missing = [k for k in cls.__dataclass_fields__ if k not in data]
        if missing:
            raise ValueError(f"artefact 'columns' lacks the keys {missing}")
        out = cls(**{k: data[k] for k in cls.__dataclass_fields__})
        n = len(out.features)
        per_col = (out.kinds, out.levels, out.has_other, out.medians, out.flags)
        if any(len(v) != n for v in (*per_col, out.clip_lo, out.clip_hi)):
            raise ValueError("artefact 'columns' lists of unequal length")
        if any(k not in (NUMERIC, CATEGORICAL) for k in out.kinds):
            raise ValueError(f"artefact column kinds must be numeric/categorical, got {out.kinds}")
        return out

    # -- fitting -----------------------------------------------------------------------------

    @classmethod
    def fit(cls, X: pd.DataFrame, *, min_count: int, max_categories: int) -> ColumnSchema:
        """Fix kinds and encoding state on ``X``; every column problem is raised at once."""
        problems: list[str] = []
        out = cls([], [], [], [], [], [], [], [], [], [], [])
        for col in X.columns:
            name, s = str(col), X[col]
            if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(s.dtype):
                s = s.astype(object)
            vals, text = numbers(s)
            if text.any() and 2 * int(text.sum()) < int(s.notna().sum()):
                problems.append(text_problem(name, s, text))
                continue
            if text.any():
                lab = labels(s)
                if lab.nunique(dropna=True) + int(lab.isna().any()) < 2:
                    out.dropped.append(name)
                    continue
                counts = lab.value_counts(dropna=True)
                counts = counts[counts >= min_count]
                keep = sorted(
                    counts.sort_values(ascending=False, kind="stable").index[:max_categories]
                )
                out._add(
                    name,
                    CATEGORICAL,
                    [str(v) for v in keep],
                    bool(lab.notna().sum() > counts[keep].sum()),
                )
                continue
            finite = vals[~np.isnan(vals)]
            if finite.size == 0 or (np.unique(finite).size < 2 and finite.size == vals.size):
                out.dropped.append(name)
                continue
            if np.isinf(finite).any():
                problems.append(f"column {name!r} holds an infinite value")
                continue
            lo, hi = np.quantile(finite, _CLIP)
            out._add(name, NUMERIC, None, False, float(np.median(finite)), float(lo), float(hi))
            out.flags[-1] = finite.size < vals.size
        if problems:
            raise ValueError("; ".join(problems))
        if not out.features:
            raise ValueError(
                f"X has no usable column: every column is empty or constant ({out.dropped})"
            )
        block = out._lr_raw(X)
        out.means = block.mean(axis=0).tolist()
        sd = block.std(axis=0)
        out.scales = np.where(sd > 0, sd, 1.0).tolist()
        return out

    def _add(
        self,
        name: str,
        kind: str,
        levels: list[str] | None,
        other: bool,
        median: float = 0.0,
        lo: float = 0.0,
        hi: float = 0.0,
    ) -> None:
        self.features.append(name)
        self.kinds.append(kind)
        self.levels.append(levels)
        self.has_other.append(other)
        self.medians.append(median)
        self.clip_lo.append(lo)
        self.clip_hi.append(hi)
        self.flags.append(False)

    # -- encoding ----------------------------------------------------------------------------

    def _columns(self, X: pd.DataFrame, partial: bool = False) -> list[pd.Series | None]:
        """The model's columns of ``X`` in order; ``partial``: None for those ``X`` lacks."""
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        by_name = {str(c): c for c in X.columns}
        absent = [n for n in self.features if n not in by_name]
        if absent and not partial:
            raise ValueError(f"X lacks the model's columns {absent}")
        return [X[by_name[n]] if n in by_name else None for n in self.features]

    def _numeric(self, name: str, s: pd.Series) -> FloatArray:
        vals, text = numbers(s)
        if text.any():
            raise ValueError(text_problem(name, s, text))
        return vals

    def _codes(self, j: int, s: pd.Series) -> FloatArray:
        """Level index per row: kept levels 0..k-1, ``other`` k, missing NaN (looked up once
        per distinct value)."""
        levels = self.levels[j] or []
        lookup = {v: float(i) for i, v in enumerate(levels)}
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        split = _distinct(s)
        if split is None:
            rows, values = np.arange(len(s), dtype=np.intp), s
        else:
            rows, values = split
        lab = labels(values)
        codes = np.array(lab.map(lookup).to_numpy(dtype=np.float64, na_value=np.nan))
        codes[lab.notna().to_numpy() & np.isnan(codes)] = float(len(levels))
        if split is not None:
            codes = np.append(codes, np.nan)[rows]
        return codes.astype(np.float64)

    def lr_names(self) -> list[str]:
        """Names of the logistic design columns."""
        out: list[str] = []
        for j, name in enumerate(self.features):
            if self.kinds[j] == NUMERIC:
                out += [name] + ([f"{name}=missing"] if self.flags[j] else [])
            else:
                out += [f"{name}={v}" for v in (self.levels[j] or [])]
                out += [f"{name}=other", f"{name}=missing"]
        return out

    def _lr_raw(self, X: pd.DataFrame, partial: bool = False) -> FloatArray:
        """The unstandardised logistic design (``partial``: zeros for the columns ``X`` lacks,
        so the designs of two frames holding different columns add up to the joint one)."""
        blocks: list[FloatArray] = []
        for j, s in enumerate(self._columns(X, partial)):
            if self.kinds[j] == NUMERIC:
                width = 2 if self.flags[j] else 1
                if s is None:
                    blocks.append(np.zeros((len(X), width)))
                    continue
                v = self._numeric(self.features[j], s)
                miss = np.isnan(v)
                v = np.clip(np.where(miss, self.medians[j], v), self.clip_lo[j], self.clip_hi[j])
                blocks.append(v[:, None])
                if self.flags[j]:
                    blocks.append(miss.astype(np.float64)[:, None])
            else:
                k = len(self.levels[j] or [])
                if s is None:
                    blocks.append(np.zeros((len(X), k + 2)))
                    continue
                codes = self._codes(j, s)
                codes = np.where(np.isnan(codes), k + 1, codes).astype(np.int64)
                blocks.append(np.eye(k + 2, dtype=np.float64)[codes])
        return np.hstack(blocks) if blocks else np.empty((len(X), 0))

    def standardise(self, raw: FloatArray) -> FloatArray:
        """The logistic design matrix of an unstandardised one."""
        out: FloatArray = (raw - np.asarray(self.means)) / np.asarray(self.scales)
        return out

    def encode_lr(self, X: pd.DataFrame) -> FloatArray:
        """The standardised logistic design matrix (rows of ``X`` × ``lr_names()``)."""
        return self.standardise(self._lr_raw(X))

    def lr_raw_partial(self, X: pd.DataFrame) -> FloatArray:
        """The unstandardised design of the model's columns ``X`` holds, zeros elsewhere."""
        return self._lr_raw(X, partial=True)

    def encode_tree(self, X: pd.DataFrame, partial: bool = False) -> FloatArray:
        """The LightGBM matrix: numbers as they are, categories as codes, NaN = missing
        (``partial``: NaN for the model's columns ``X`` lacks)."""
        cols = self._columns(X, partial)
        out = np.full((len(X), len(cols)), np.nan, dtype=np.float64)
        for j, s in enumerate(cols):
            if s is None:
                continue
            out[:, j] = (
                self._numeric(self.features[j], s)
                if self.kinds[j] == NUMERIC
                else self._codes(j, s)
            )
        return out

    def categorical_positions(self) -> list[int]:
        return [j for j, k in enumerate(self.kinds) if k == CATEGORICAL]
