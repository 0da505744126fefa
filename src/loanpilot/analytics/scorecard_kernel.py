"""The compiled scoring kernel of a points scorecard, its reason codes and its exports.

One kernel, three runners (DESIGN.md house rule 9): ``CompiledCard.score`` is the only scoring
code; the API calls it with one row, batch with chunks, Spark inside ``mapInPandas``. It does one
lookup per variable and no Python loop over rows, so one row scores bit for bit as it does inside
a batch, and a card saved with ``to_dict`` and reloaded with ``from_dict`` scores exactly as before.

Points scaling (Siddiqi, *Credit Risk Scorecards*, ch. 6)
--------------------------------------------------------
Score = offset + factor * ln(odds), odds = good:bad. ``scaling`` fixes ``factor = pdo / ln 2``
and ``offset = base_points - factor * ln(base_odds)``: the default card gives 600 points at 50:1
and every 20 points double the odds. The inverse used for the PD is
``odds_good = exp((score - offset) / factor)``, ``PD = 1 / (1 + odds_good)``.

Sign convention. WoE = ln(good share / bad share), so a higher WoE is safer. The logistic
regression is fitted on the house target (1 = bad), so ``ln(odds_bad) = intercept + sum coef_j
woe_j`` with (normally) negative coefficients, and ``ln(odds_good)`` is its negative. Spreading
intercept and offset evenly over the ``n`` variables gives, for bin i of variable j,
``points_ij = -(coef_j * woe_ij + intercept / n) * factor + offset / n`` (``points_for``; pass
``log_odds_of="good"`` for coefficients of a model of ``ln(odds_good)``, which drops the minus).
Either way higher WoE means more points means safer, and the points of a row sum to
``offset + factor * ln(odds_good)`` of the model.

Bins, fallbacks and codes
-------------------------
* Numeric: ``edges`` strictly increasing and finite, bin j holds ``edges[j-1] <= x < edges[j]``
  (``np.searchsorted(edges, x, side="right")``); NaN/None goes to the missing bin, code ``k``
  (k = number of bins). The searchsorted runs on ``edges + [NaN]``: numpy sorts NaN last, so a
  NaN lands in bin k in the same single search. Values outside ``train_range`` (and +/-inf) are
  scored in the end bins and counted in ``out_of_range_counts``. Text that ``pd.to_numeric``
  cannot read is an error naming the column; numeric text such as ``"12"`` is read as 12.
* Categorical: values are matched by their text (``str``; integral numbers as ``"3"``, not
  ``"3.0"``). NaN/None is the missing bin, code ``m`` (m = number of bins); a category not in
  the card is unseen, scored ``unseen_points``, code ``m + 1`` and counted in ``unseen_counts``.
* Scores are float64 sums, never rounded, summed in the card's variable order starting from
  ``base``; the SQL export adds in the same order.
* Reason codes: per row, the variables whose points fall furthest below that variable's best
  points (the max over its bins and its missing bin), largest loss first, ties in card order;
  a variable at its best is no reason (name ``""``, bin ``-1``, loss 0).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit

from loanpilot.analytics.scorecard_vars import CategoricalVar, NumericVar, Var, _finite, _text

FloatArray = npt.NDArray[np.float64]
_FAST_ROWS = 256  # from this many rows, a numeric variable with few edges ...
_FAST_EDGES = 32  # ... is binned by counting comparisons (int8 codes) instead of searchsorted
MAX_BINS = 32000  # bin codes are int16
IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.int16]
ObjArray = npt.NDArray[np.object_]


def scaling(
    base_points: float = 600.0, base_odds: float = 50.0, pdo: float = 20.0
) -> tuple[float, float]:
    """Return ``(offset, factor)`` with ``factor = pdo / ln 2`` and ``offset = base_points -
    factor * ln(base_odds)``; ``base_odds`` is good:bad."""
    for name, value in (("base_points", base_points), ("base_odds", base_odds), ("pdo", pdo)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    if base_odds <= 0:
        raise ValueError(f"base_odds must be > 0 (good:bad odds), got {base_odds!r}")
    if pdo <= 0:
        raise ValueError(f"pdo must be > 0 (points to double the odds), got {pdo!r}")
    factor = pdo / math.log(2.0)
    return base_points - factor * math.log(base_odds), factor


def points_for(
    woe: npt.ArrayLike,
    coef: float,
    intercept: float,
    n_vars: int,
    offset: float,
    factor: float,
    *,
    log_odds_of: Literal["bad", "good"] = "bad",
) -> FloatArray:
    """Points of each bin of one variable from its WoE (see the module docstring for the sign).

    ``coef`` and ``intercept`` come from a logistic regression of ``ln(odds_bad)`` (house target,
    1 = bad, as scikit-learn fits it) unless ``log_odds_of="good"``.
    """
    if log_odds_of not in ("bad", "good"):
        raise ValueError(f"log_odds_of must be 'bad' or 'good', got {log_odds_of!r}")
    if isinstance(n_vars, bool) or not isinstance(n_vars, int | np.integer) or n_vars < 1:
        raise ValueError(f"n_vars must be an integer >= 1, got {n_vars!r}")
    if not (isinstance(factor, int | float) and math.isfinite(factor) and factor > 0):
        raise ValueError(f"factor must be a finite number > 0, got {factor!r}")
    w = np.asarray(woe, dtype=np.float64)
    sign = -1.0 if log_odds_of == "bad" else 1.0
    out: FloatArray = sign * (coef * w + intercept / n_vars) * factor + offset / n_vars
    return out


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Scores of n rows: ``points`` and ``bins`` are n x variables (card order)."""

    score: FloatArray
    pd: FloatArray
    points: FloatArray
    bins: CodeArray
    variables: tuple[str, ...]
    missing_counts: dict[str, int]
    unseen_counts: dict[str, int]
    out_of_range_counts: dict[str, int]


@dataclass(frozen=True, eq=False)
class ReasonCodes:
    """Top reasons per row (n x top): variable name, bin code and points lost."""

    variables: ObjArray
    bins: CodeArray
    lost: FloatArray


@dataclass(frozen=True, eq=False)
class CompiledCard:
    """A fitted points card compiled for scoring; see the module docstring."""

    variables: tuple[Var, ...]
    offset: float
    factor: float
    base: float = 0.0
    _names: tuple[str, ...] = field(init=False, repr=False)
    _plan: tuple[tuple[Any, ...], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        variables = tuple(self.variables)
        for v in variables:
            if not isinstance(v, NumericVar | CategoricalVar):
                raise TypeError(
                    f"variables must be NumericVar or CategoricalVar, got {type(v).__name__}"
                )
        names = [v.name for v in variables]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"variables must have unique names, got duplicates {dup!r}")
        factor = _finite("card", "factor", self.factor)
        if factor <= 0:
            raise ValueError(f"factor must be > 0, got {factor!r}")
        object.__setattr__(self, "variables", variables)
        object.__setattr__(self, "_names", tuple(names))
        object.__setattr__(self, "factor", factor)
        object.__setattr__(self, "offset", _finite("card", "offset", self.offset))
        object.__setattr__(self, "base", _finite("card", "base", self.base))
        object.__setattr__(self, "_plan", tuple(_row_plan(v) for v in variables))

    @property
    def names(self) -> tuple[str, ...]:
        """Variable names in card order."""
        return self._names

    @property
    def best_points(self) -> FloatArray:
        """Best achievable points of each variable (card order)."""
        return np.array([v.best_points for v in self.variables], dtype=np.float64)

    def pd_of(self, score: npt.ArrayLike) -> FloatArray:
        """PD = 1 / (1 + odds_good), odds_good = exp((score - offset) / factor)."""
        s = np.asarray(score, dtype=np.float64)
        out: FloatArray = expit(-((s - self.offset) / self.factor))
        return out

    def score(self, frame: Mapping[str, Any] | pd.DataFrame) -> ScoreResult:
        """Score every row of ``frame`` (a DataFrame, a mapping of columns, or one row of scalars)."""
        if isinstance(frame, Mapping) and not isinstance(frame, pd.DataFrame):
            one = self._score_row(frame)
            if one is not None:
                return one
        cols = self._columns(frame)
        n = len(cols[0]) if cols else _n_rows(frame)
        n_var = len(self.variables)
        points = np.empty((n, n_var), dtype=np.float64, order="F")
        bins = np.empty((n, n_var), dtype=np.int16, order="F")
        score = np.full(n, self.base, dtype=np.float64)
        missing: dict[str, int] = {}
        unseen: dict[str, int] = {}
        out_range: dict[str, int] = {}
        for j, (var, values) in enumerate(zip(self.variables, cols, strict=True)):
            name = var.name
            if isinstance(var, NumericVar):
                codes, missing[name], out_range[name] = var._codes(values)
                bins[:, j] = codes
                unseen[name] = 0
            else:
                codes, missing[name], unseen[name] = var._positions(values)
                bins[:, j] = var._bin_code[codes]
                out_range[name] = 0
            points[:, j] = var._lookup[codes]
            score += points[:, j]
        return ScoreResult(
            score=score,
            pd=self.pd_of(score),
            points=points,
            bins=bins,
            variables=self.names,
            missing_counts=missing,
            unseen_counts=unseen,
            out_of_range_counts=out_range,
        )

    def _score_row(self, row: Mapping[str, Any]) -> ScoreResult | None:
        """One applicant given as scalars, in plain Python: the same bins, points and float sums
        (in card order from ``base``) as the vectorised path, without its per-call set-up. None
        when a value is not a plain number / text / missing (the vectorised path then decides)."""
        total = self.base
        pts: list[float] = []
        codes: list[int] = []
        missing: dict[str, int] = {}
        unseen: dict[str, int] = {}
        out_range: dict[str, int] = {}
        for plan in self._plan:
            name = plan[1]
            if name not in row:
                return None
            v = row[name]
            if plan[0]:  # numeric: (True, name, edges, lookup, k, lo, hi)
                _, _, edges, lookup, k, lo, hi = plan
                if v is None:
                    x = math.nan
                elif type(v) in _NUMBER_TYPES:
                    x = float(v)
                else:
                    return None
                if math.isnan(x):
                    code = k + 1
                    missing[name], out_range[name] = 1, 0
                else:
                    code = bisect_right(edges, x)
                    missing[name] = 0
                    out_range[name] = int(lo is not None and (x < lo or x > hi))
                unseen[name] = 0
                codes.append(code)
                p = lookup[code]
            else:  # categorical: (False, name, code_of, lookup, bin_code, n_cat)
                _, _, code_of, lookup, bin_code, n_cat = plan
                if v is None or (type(v) in _NUMBER_TYPES and math.isnan(float(v))):
                    pos = n_cat + 1
                    missing[name], unseen[name] = 1, 0
                elif type(v) is str or type(v) in _NUMBER_TYPES:
                    pos = code_of.get(v if type(v) is str else _text(v), n_cat)
                    missing[name], unseen[name] = 0, int(pos == n_cat)
                else:
                    return None
                out_range[name] = 0
                codes.append(bin_code[pos])
                p = lookup[pos]
            pts.append(p)
            total += p
        score = np.array([total], dtype=np.float64)
        return ScoreResult(
            score=score,
            pd=self.pd_of(score),
            points=np.array([pts], dtype=np.float64).reshape(1, len(pts)),
            bins=np.array([codes], dtype=np.int16).reshape(1, len(codes)),
            variables=self.names,
            missing_counts=missing,
            unseen_counts=unseen,
            out_of_range_counts=out_range,
        )

    def _columns(self, frame: Mapping[str, Any] | pd.DataFrame) -> list[Any]:
        if not isinstance(frame, pd.DataFrame | Mapping):
            raise TypeError(
                f"frame must be a pandas DataFrame or a mapping of columns, got {type(frame).__name__}"
            )
        absent = [name for name in self.names if name not in frame]
        if absent:
            raise ValueError(f"frame is missing the card's column(s) {absent!r}")
        if isinstance(frame, pd.DataFrame):
            return [frame[name] for name in self.names]
        cols: list[Any] = []
        length: int | None = None
        for name in self.names:
            raw = frame[name]
            if isinstance(raw, str):  # np.asarray("x\x00") would drop the NUL; a frame's won't
                raw = np.array([raw], dtype=object)
            col = raw if isinstance(raw, pd.Series) else np.asarray(raw, dtype=None)
            if isinstance(col, np.ndarray) and col.ndim == 0:
                col = col.reshape(1)
            if length is None:
                length = len(col)
            elif len(col) != length:
                raise ValueError(f"column {name!r} has {len(col)} rows, the others {length}")
            cols.append(col)
        return cols

    def reasons(self, result: ScoreResult | npt.ArrayLike, top: int = 3) -> ReasonCodes:
        """Top ``top`` reason codes per row from a ``ScoreResult`` (or a bare points matrix,
        whose bin codes are then reported as -1)."""
        if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
            raise ValueError(f"top must be an integer >= 1, got {top!r}")
        if isinstance(result, ScoreResult):
            pts, bins = result.points, result.bins
        else:
            pts = np.asarray(result, dtype=np.float64)
            bins = np.full(pts.shape, -1, dtype=np.int16)
        if pts.ndim != 2 or pts.shape[1] != len(self.variables):
            raise ValueError(
                f"points must be n x {len(self.variables)} (one column per variable), "
                f"got shape {pts.shape}"
            )
        k = min(int(top), pts.shape[1])
        lost = self.best_points[None, :] - pts
        order = np.argsort(-lost, axis=1, kind="stable")[:, :k]
        top_lost = np.take_along_axis(lost, order, axis=1)
        none = ~(top_lost > 0)
        names = np.array(self.names, dtype=object)[order] if k else np.empty(order.shape, object)
        names[none] = ""
        codes = np.take_along_axis(bins, order, axis=1).astype(np.int16)
        codes[none] = -1
        return ReasonCodes(variables=names, bins=codes, lost=np.where(none, 0.0, top_lost))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe description (``analytics.scorecard_export.card_to_dict``)."""
        from loanpilot.analytics.scorecard_export import card_to_dict

        return card_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompiledCard:
        """Rebuild a card from ``to_dict`` output, validating every field."""
        from loanpilot.analytics.scorecard_export import card_from_dict

        return card_from_dict(data)

    def to_sql_case(self, table_alias: str | None = "t") -> str:
        """One SQL expression computing the score (``scorecard_export.sql_case``)."""
        from loanpilot.analytics.scorecard_export import sql_case

        return sql_case(self, table_alias)

    def points_table(self) -> pd.DataFrame:
        """Points per bin for CSV/Excel export (``scorecard_export.points_table``)."""
        from loanpilot.analytics.scorecard_export import points_table

        return points_table(self)


#: Scalar types the one-row path reads as numbers (text and anything else take the batch path).
_NUMBER_TYPES = frozenset({int, float, bool, np.float64, np.float32, np.int64, np.int32, np.bool_})


def _row_plan(var: Var) -> tuple[Any, ...]:
    """What ``CompiledCard._score_row`` needs of a variable, as plain Python objects."""
    if isinstance(var, NumericVar):
        lo, hi = var.train_range if var.train_range is not None else (None, None)
        return (True, var.name, var.edges.tolist(), var._lookup.tolist(), var.edges.size, lo, hi)
    return (
        False,
        var.name,
        dict(var._code_of),
        var._lookup.tolist(),
        var._bin_code.tolist(),
        len(var.categories),
    )


def _n_rows(frame: Mapping[str, Any] | pd.DataFrame) -> int:
    if isinstance(frame, pd.DataFrame):
        return len(frame)
    lengths = {np.size(v) for v in frame.values()}
    return lengths.pop() if len(lengths) == 1 else 0


__all__: Sequence[str] = (
    "CategoricalVar",
    "CompiledCard",
    "NumericVar",
    "ReasonCodes",
    "ScoreResult",
    "points_for",
    "scaling",
)
