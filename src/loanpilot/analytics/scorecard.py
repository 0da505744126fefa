"""The scorecard estimator: binning, WoE, variable selection, logistic regression, points scaling
and rating grades, compiled into the scoring kernel (``analytics.scorecard_kernel``).

``Scorecard(**params).fit(X, y)`` follows scikit-learn's contract (house rule 8); y is 1 = bad.

Steps of ``fit``
----------------
1. **Column kinds.** A column is numeric when its dtype is numeric or every non-missing value reads
   as a number; categorical when fewer than ``numeric_share`` (95 %) of them do. A column in between
   ("mostly numbers with some text") is an error naming the column, the text and its row: it is
   almost always a data error (``"12,5"``, ``"n/a"``), and silently treating the column as text
   would throw its order away. Pass it in ``categorical`` to bin it as text on purpose.
2. **Unusable columns.** An all-missing or constant column cannot separate good from bad, and a
   text column with more than 20 distinct values in over half its rows is an identifier (an ID,
   a name), not a characteristic. A column named in ``numeric`` / ``categorical`` is an error
   then (an identifier named as categorical is kept); an inferred one is dropped with the reason
   in ``dropped_`` and ``warnings_``.
3. **Binning** (``NumericBinner`` exact DP, ``CategoricalBinner``), with ``manual_bins`` (edges
   for numeric, groups for categorical) applied exactly and kept in the artefact.
4. **Selection**: first an IV floor, then ``select_variables`` (correlation, VIF, optional
   stepwise). ``min_iv="auto"`` (the default) keeps a variable whose IV is at least 0.02 (the
   usual rule of thumb, "useless" below it) or significant at 5 %, whichever is lower: for small
   effects the G-test statistic of a binned variable is about ``n p (1 - p) IV`` (n rows, p the bad
   rate), chi-square with (non-empty bins - 1) degrees of freedom under independence. On a
   development sample of thousands of rows this keeps weak but real variables (IV 0.005-0.02)
   that add discrimination; on a small one the rule of thumb stays the floor. A number fixes it.
5. **Logistic regression** of y on the WoE of the kept variables (L2, ``C``). A variable whose
   coefficient comes out with the wrong sign (a positive coefficient on WoE means "safer bins are
   riskier", the mark of collinearity) is dropped and the model refitted, as scorecard practice
   requires; the reason is recorded.
6. **Points** (``points_for``; default 600 points at good:bad 50:1, 20 points to double the odds)
   compiled into a ``CompiledCard``. An empty missing bin has WoE 0: the average applicant's points.
   A category never seen in training scores the points of the pooled rare categories ("other")
   when the variable has that group, else the points of WoE 0 (average risk): never the best bin,
   so a new code in the data cannot earn an applicant points.
7. **Rating grades**: a master scale of PD upper bounds (default A <= 2 %, B <= 5 %, C <= 10 %,
   D <= 20 %, E above: the five grades of the pricing grid, ``products.pricing``), turned into minimum scores by inverting the scaling:
   PD <= p  <=>  score >= offset + factor * ln((1 - p) / p). Grades are assigned by score, so a
   grade and a score can never disagree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import chi2
from sklearn.linear_model import LogisticRegression

from loanpilot.analytics.binning import NumericBinner
from loanpilot.analytics.binning_categorical import CategoricalBinner
from loanpilot.analytics.scorecard_kernel import CompiledCard, points_for, scaling
from loanpilot.analytics.scorecard_vars import CategoricalVar, NumericVar, Var, _as_labels, _text
from loanpilot.analytics.selection import select_variables
from loanpilot.analytics.woe import check_param

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Kind = Literal["numeric", "categorical"]
Binner = NumericBinner | CategoricalBinner

#: The IV rule of thumb ("useless below 0.02") and the significance level that relaxes it on
#: large samples (step 4 of the module docstring).
IV_FLOOR = 0.02
IV_ALPHA = 0.05

#: Default master scale: (grade, PD upper bound); the last grade takes everything above.
DEFAULT_GRADES: tuple[tuple[str, float], ...] = (
    ("A", 0.02),
    ("B", 0.05),
    ("C", 0.10),
    ("D", 0.20),
    ("E", 1.0),
)


@dataclass(frozen=True)
class GradeScale:
    """Rating grades by minimum score, best grade first (``min_scores`` descending; the last
    grade's minimum is -inf)."""

    names: tuple[str, ...]
    max_pd: tuple[float, ...]
    min_scores: tuple[float, ...]

    @classmethod
    def from_pd_bounds(
        cls, bounds: Sequence[tuple[str, float]], offset: float, factor: float
    ) -> GradeScale:
        names = tuple(str(n) for n, _ in bounds)
        pds = tuple(float(p) for _, p in bounds)
        if len(names) < 2 or len(set(names)) != len(names):
            raise ValueError(f"grades must be at least two distinct names; got {list(names)}")
        if any(not 0 < p <= 1 for p in pds) or any(a >= b for a, b in itertools.pairwise(pds)):
            raise ValueError(
                f"grade PD bounds must be strictly increasing in (0, 1]; got {list(pds)}"
            )
        if pds[-1] != 1.0:
            raise ValueError(f"the last grade must take every PD up to 1; got {pds[-1]}")
        mins = [offset + factor * math.log((1 - p) / p) for p in pds[:-1]]
        return cls(names, pds, (*mins, -math.inf))

    def of(self, score: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """The grade of each score."""
        s = np.asarray(score, dtype=np.float64)
        ascending = np.asarray(self.min_scores[::-1][1:], dtype=np.float64)  # finite minimums
        idx = len(self.names) - 1 - np.searchsorted(ascending, s, side="right")
        return np.asarray(self.names, dtype=object)[idx]

    def to_list(self) -> list[dict[str, Any]]:
        return [
            {"grade": n, "max_pd": p, "min_score": None if math.isinf(m) else m}
            for n, p, m in zip(self.names, self.max_pd, self.min_scores, strict=True)
        ]

    @classmethod
    def from_list(cls, rows: Sequence[Mapping[str, Any]]) -> GradeScale:
        names = tuple(str(r["grade"]) for r in rows)
        pds = tuple(float(r["max_pd"]) for r in rows)
        mins = tuple(-math.inf if r["min_score"] is None else float(r["min_score"]) for r in rows)
        return cls(names, pds, mins)


def column_kind(values: pd.Series, name: str, numeric_share: float = 0.95) -> Kind:
    """``"numeric"`` or ``"categorical"`` (see step 1 of the module docstring)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "numeric"
    codes, uniques = pd.factorize(values, use_na_sentinel=True)  # parse each distinct value once
    if len(uniques) == 0:
        return "numeric"
    text = pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.strip()
    bad_unique = pd.to_numeric(text, errors="coerce").isna().to_numpy()
    if not bad_unique.any():
        return "numeric"
    present = codes >= 0
    bad = np.zeros(codes.size, dtype=bool)
    bad[present] = bad_unique[codes[present]]
    if 1 - bad.sum() / present.sum() >= numeric_share:
        pos = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"column {name!r} is numeric but row {values.index[pos]} holds the text "
            f"{values.iloc[pos]!r}; correct the value, or declare the column categorical"
        )
    return "categorical"


def _unusable(values: pd.Series, kind: Kind) -> str | None:
    """Why a column cannot separate good from bad: all missing, or one value and no missing
    (one value plus missing values is a usable flag: value vs missing)."""
    present = values[values.notna()]
    if present.empty:
        return "all missing"
    if len(present) < len(values):
        return None
    if kind == "categorical":
        uniq = pd.unique(pd.Series(_labels(present), dtype=object))
    else:
        uniq = pd.unique(pd.Series(_numbers(present)))
    if len(uniq) == 1:
        only = uniq[0].item() if isinstance(uniq[0], np.generic) else uniq[0]
        if isinstance(only, float) and only.is_integer():
            only = int(only)
        return f"constant (only value {only!r})"
    return None


def labels_of(values: pd.Series) -> npt.NDArray[np.object_]:
    """Values as the text the kernel matches categories by (``scorecard_vars``: 3.0 -> "3",
    "a" -> "a"), missing as None."""
    if values.dtype.kind == "f":
        return np.asarray(_as_labels(values.to_numpy()), dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)  # each distinct value once
    texts = np.array([None, *(_text(u) for u in np.asarray(uniques, dtype=object))], dtype=object)
    return texts[codes + 1]


_labels = labels_of


class Scorecard:
    """A points scorecard (see the module docstring)."""

    binners_: dict[str, Binner]
    kinds_: dict[str, Kind]
    iv_: dict[str, float]
    ranges_: dict[str, tuple[float, float]]
    dropped_: dict[str, str]
    warnings_: list[str]
    variables_: tuple[str, ...]
    coef_: dict[str, float]
    intercept_: float
    card_: CompiledCard
    grades_: GradeScale
    n_rows_: int
    n_bad_: int

    def __init__(
        self,
        *,
        numeric: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
        max_bins: int = 10,
        min_bin_share: float = 0.04,
        monotonic: Literal["auto", "ascending", "descending"] | None = "auto",
        prebins: int = 20,
        min_iv: float | Literal["auto"] = "auto",
        max_corr: float = 0.7,
        max_vif: float = 5.0,
        stepwise: bool = False,
        C: float = 1.0,
        base_points: float = 600.0,
        base_odds: float = 50.0,
        pdo: float = 20.0,
        grades: Sequence[tuple[str, float]] = DEFAULT_GRADES,
        manual_bins: Mapping[str, Sequence[Any]] | None = None,
        numeric_share: float = 0.95,
    ) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.exclude = exclude
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.monotonic = monotonic
        self.prebins = prebins
        self.min_iv = min_iv
        self.max_corr = max_corr
        self.max_vif = max_vif
        self.stepwise = stepwise
        self.C = C
        self.base_points = base_points
        self.base_odds = base_odds
        self.pdo = pdo
        self.grades = grades
        self.manual_bins = manual_bins
        self.numeric_share = numeric_share

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, JSON-safe (for the artefact)."""
        return {
            "numeric": None if self.numeric is None else list(self.numeric),
            "categorical": None if self.categorical is None else list(self.categorical),
            "exclude": list(self.exclude),
            "max_bins": self.max_bins,
            "min_bin_share": self.min_bin_share,
            "monotonic": self.monotonic,
            "prebins": self.prebins,
            "min_iv": self.min_iv,
            "max_corr": self.max_corr,
            "max_vif": self.max_vif,
            "stepwise": self.stepwise,
            "C": self.C,
            "base_points": self.base_points,
            "base_odds": self.base_odds,
            "pdo": self.pdo,
            "grades": [[n, p] for n, p in self.grades],
            "manual_bins": None if self.manual_bins is None else _json_bins(self.manual_bins),
            "numeric_share": self.numeric_share,
        }

    def _check_params(self) -> None:
        check_param("C", self.C, float, 1e-12, None, "a number > 0")
        if self.min_iv != "auto":
            check_param("min_iv", self.min_iv, float, 0.0, None, "a number >= 0 or 'auto'")
        check_param("numeric_share", self.numeric_share, float, 0.5, 1.0, "a number in [0.5, 1]")
        both = set(self.numeric or ()) & set(self.categorical or ())
        if both:
            raise ValueError(f"columns {sorted(both)} are named both numeric and categorical")
        offset, factor = scaling(self.base_points, self.base_odds, self.pdo)
        try:
            GradeScale.from_pd_bounds(self.grades, offset, factor)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"grades: {exc}") from None

    # -- fitting ---------------------------------------------------------------------------

    def _kinds(self, X: pd.DataFrame) -> dict[str, Kind]:
        named_num, named_cat = set(self.numeric or ()), set(self.categorical or ())
        labels = list(X.columns)
        odd = [c for c in labels if not isinstance(c, str)]
        if odd:
            raise ValueError(f"column labels must be strings; got {odd[:5]!r}")
        dup = sorted({c for c in labels if labels.count(c) > 1})
        if dup:
            raise ValueError(f"column labels must be unique; {dup} appear more than once")
        for param, names in (
            ("numeric", named_num),
            ("categorical", named_cat),
            ("exclude", set(self.exclude)),
        ):
            unknown = sorted(names - set(labels))
            if unknown:
                raise ValueError(
                    f"{param} names columns {unknown} that are not in the data; it has {labels}"
                )
        kinds: dict[str, Kind] = {}
        for col in X.columns:
            name = str(col)
            if name in self.exclude:
                continue
            if name in named_cat:
                kinds[name] = "categorical"
            elif name in named_num:
                kinds[name] = "numeric"
                column_kind(X[col], name, numeric_share=0.0)  # any text is an error
            else:
                kinds[name] = column_kind(X[col], name, self.numeric_share)
        if not kinds:
            raise ValueError("no candidate columns: every column is excluded or unnamed")
        return kinds

    def _bin(self, X: pd.DataFrame, y: IntArray, kinds: dict[str, Kind]) -> None:
        named = set(self.numeric or ()) | set(self.categorical or ())
        manual = dict(self.manual_bins or {})
        stray = sorted(set(manual) - set(kinds))
        if stray:
            raise ValueError(f"manual_bins name columns that are not candidates: {stray}")
        self.binners_, self.kinds_, self.iv_, self.ranges_ = {}, {}, {}, {}
        for name, kind in kinds.items():
            values = X[name]
            problem = _unusable(values, kind)
            if problem is None and kind == "categorical" and name not in named:
                distinct = int(values.nunique(dropna=True))
                if distinct > 20 and distinct > 0.5 * int(values.notna().sum()):
                    problem = f"an identifier, not a characteristic ({distinct} distinct values)"
            if problem is not None:
                if name in named:
                    raise ValueError(f"column {name!r} is {problem}: it cannot be used")
                self.dropped_[name] = problem
                self.warnings_.append(f"column {name!r} is {problem}: not used")
                continue
            binner: Binner
            if kind == "numeric":
                xv = _numbers(values)
                binner = NumericBinner(
                    self.max_bins, self.min_bin_share, self.monotonic, self.prebins
                ).fit(xv, y, name=name, user_edges=manual.get(name))
                self.ranges_[name] = (float(np.nanmin(xv)), float(np.nanmax(xv)))
            else:
                groups = manual.get(name)
                binner = CategoricalBinner(self.max_bins, self.min_bin_share).fit(
                    _labels(values),
                    y,
                    name=name,
                    user_groups=None if groups is None else [list(g) for g in groups],
                )
            self.binners_[name], self.kinds_[name] = binner, kind
            self.iv_[name] = binner.iv_
            self.warnings_.extend(binner.warnings_)

    def woe_frame(self, X: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The WoE of each binned column of ``X`` (all binned columns unless ``columns``)."""
        names = list(self.binners_) if columns is None else list(columns)
        out: dict[str, FloatArray] = {}
        for name in names:
            b = self.binners_[name]
            col = X[name]
            if isinstance(b, NumericBinner):
                out[name] = np.asarray(b.transform(_numbers(col)), dtype=np.float64)
            else:
                # unseen categories as the card scores them: the "other" group, else WoE 0
                keys = _labels(col)
                codes = pd.Series(keys, dtype=object).map(b.mapping_)
                woe = b.woe_
                unseen = 0.0 if b.other_bin_ is None else float(woe[b.other_bin_])
                values = np.where(
                    codes.isna().to_numpy(),
                    unseen,
                    woe[codes.fillna(0).to_numpy(dtype=np.int64)],
                )
                values[pd.isna(keys)] = woe[b.missing_bin_]
                out[name] = values.astype(np.float64)
        return pd.DataFrame(out, index=X.index)

    def iv_floor(self, name: str, y: IntArray) -> float:
        """The IV a variable needs to be kept (step 4 of the module docstring)."""
        if self.min_iv != "auto":
            return float(self.min_iv)
        counts = self.binners_[name].counts_
        bins = max(int(np.count_nonzero(counts[:, 0])), 2)
        p = float(y.mean())
        significant = float(chi2.ppf(1 - IV_ALPHA, bins - 1)) / (y.size * p * (1 - p))
        return min(IV_FLOOR, significant)

    def _below_iv_floor(self, names: list[str], y: IntArray) -> dict[str, str]:
        out: dict[str, str] = {}
        for name in names:
            floor = self.iv_floor(name, y)
            if self.iv_[name] < floor:
                out[name] = f"IV {self.iv_[name]:.4f} below {floor:.4f}"
        return out

    def _regress(self, woe: pd.DataFrame, y: IntArray, kept: list[str]) -> LogisticRegression:
        while True:
            if not kept:
                raise ValueError(
                    "no variable is left to fit: "
                    + "; ".join(f"{k}: {v}" for k, v in self.dropped_.items())
                )
            lr = LogisticRegression(C=float(self.C), max_iter=5000, solver="lbfgs", tol=1e-8)
            lr.fit(woe[kept].to_numpy(), y)
            coef = lr.coef_[0]
            wrong = [(c, name) for c, name in zip(coef, kept, strict=True) if c >= 0]
            if not wrong:
                return lr
            _, worst = max(wrong)
            self.dropped_[worst] = "coefficient with the wrong sign (collinear with others)"
            kept.remove(worst)

    def fit(self, X: pd.DataFrame, y: npt.ArrayLike) -> Scorecard:
        """Fit on ``X`` (one row per applicant) and ``y`` (1 = bad, 0 = good)."""
        self._check_params()
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}")
        if X.shape[0] == 0:
            raise ValueError("X has no rows")
        yv = np.asarray(y)
        if yv.ndim != 1 or yv.size != X.shape[0]:
            raise ValueError(
                f"y must be 1-D with one value per row of X ({X.shape[0]}); got {yv.shape}"
            )
        if yv.dtype.kind not in "biuf" or not np.isin(yv, (0, 1)).all():
            raise ValueError("y must hold only 0 (good) and 1 (bad)")
        yv = yv.astype(np.int64)
        n_bad = int(yv.sum())
        if n_bad in (0, yv.size):
            raise ValueError(
                f"y has a single class ({n_bad} bad of {yv.size}); a scorecard needs goods and bads"
            )
        self.dropped_, self.warnings_ = {}, []
        self._bin(X, yv, self._kinds(X))
        if not self.binners_:
            raise ValueError(
                "no usable column: " + "; ".join(f"{k}: {v}" for k, v in self.dropped_.items())
            )
        woe = self.woe_frame(X)
        flat = [c for c in woe.columns if float(woe[c].std()) == 0.0]
        for name in flat:
            self.dropped_[name] = "one bin after binning: it does not separate good from bad"
        woe = woe.drop(columns=flat)
        weak = self._below_iv_floor(list(woe.columns), yv)
        self.dropped_.update(weak)
        woe = woe.drop(columns=list(weak))
        sel = select_variables(
            woe,
            {c: self.iv_[c] for c in woe.columns},
            yv,
            min_iv=0.0,
            max_corr=float(self.max_corr),
            max_vif=float(self.max_vif),
            stepwise=bool(self.stepwise),
        )
        self.dropped_.update(sel.dropped)
        kept = [c for c in woe.columns if c in sel.kept]  # data order, stable
        lr = self._regress(woe, yv, kept)
        self.variables_ = tuple(kept)
        self.coef_ = {n: float(c) for n, c in zip(kept, lr.coef_[0], strict=True)}
        self.intercept_ = float(lr.intercept_[0])
        self.n_rows_, self.n_bad_ = int(yv.size), n_bad
        self.card_ = self.compile()
        self.grades_ = GradeScale.from_pd_bounds(self.grades, self.card_.offset, self.card_.factor)
        return self

    # -- compiling and predicting ----------------------------------------------------------

    def compile(self) -> CompiledCard:
        """The scoring kernel of the fitted card."""
        offset, factor = scaling(self.base_points, self.base_odds, self.pdo)
        n = len(self.variables_)
        out: list[Var] = []
        for name in self.variables_:
            b = self.binners_[name]
            pts = points_for(b.woe_, self.coef_[name], self.intercept_, n, offset, factor)
            if isinstance(b, NumericBinner):
                rng = self.ranges_.get(name)
                out.append(NumericVar(name, b.edges_, pts[:-1], float(pts[-1]), rng))
            else:
                neutral = float(
                    points_for(0.0, self.coef_[name], self.intercept_, n, offset, factor)
                )
                unseen = float(pts[b.other_bin_]) if b.other_bin_ is not None else neutral
                cats = [c for g in b.groups_ for c in g]
                bins = [b.mapping_[c] for c in cats]
                out.append(
                    CategoricalVar(
                        name,
                        tuple(cats),
                        np.asarray(bins, dtype=np.int64),
                        pts[:-1],
                        float(pts[-1]),
                        unseen,
                    )
                )
        return CompiledCard(tuple(out), offset, factor)

    def _check_fitted(self) -> None:
        if not hasattr(self, "card_"):
            raise ValueError("Scorecard is not fitted; call fit first")

    def score(self, X: pd.DataFrame | Mapping[str, Any]) -> FloatArray:
        """Points of each row (float, never rounded)."""
        self._check_fitted()
        return self.card_.score(X).score

    def predict_proba(self, X: pd.DataFrame | Mapping[str, Any]) -> FloatArray:
        """n x 2: P(good), P(bad), from the score (the card's scaling inverted exactly)."""
        scores = self.score(X)
        p = self.card_.pd_of(scores)
        return np.column_stack([1 - p, p])

    def grade(self, X: pd.DataFrame | Mapping[str, Any]) -> npt.NDArray[np.object_]:
        """The rating grade of each row."""
        scores = self.score(X)
        return self.grades_.of(scores)


def _numbers(values: pd.Series) -> FloatArray:
    """A column as float64 with NaN for missing (numeric text such as ``" 12 "`` is read)."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    text = values.astype(object).where(values.notna(), None)
    stripped = text.map(lambda v: v.strip() if isinstance(v, str) else v)
    return pd.to_numeric(stripped, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)


def _json_bins(manual: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """Manual bins as JSON: numeric edges as floats, categorical groups as lists of text."""
    out: dict[str, list[Any]] = {}
    for name, spec in manual.items():
        items = (
            list(np.asarray(spec, dtype=object).tolist()) if not isinstance(spec, list) else spec
        )
        if items and all(isinstance(g, list | tuple | np.ndarray) for g in items):
            out[str(name)] = [[str(c) for c in np.asarray(g, dtype=object).tolist()] for g in items]
        else:
            out[str(name)] = [float(e) for e in items]
    return out
