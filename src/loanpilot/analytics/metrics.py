"""Discrimination and calibration metrics for a binary credit target: AUC, Gini, KS, gains, calibration.

Pure numpy / pandas / scipy; imports nothing of ours. Every function is vectorised (sorting, ranking
and ``np.bincount``); the only Python loop is over grades in ``calibration_by_grade`` (one binomial
test per grade, never per row).

Conventions
-----------
* ``y`` is the binary target: 1 = bad (the event, e.g. 90+ days past due), 0 = good. Booleans and
  floats 0.0 / 1.0 are accepted; anything else is a ``ValueError`` naming ``y``.
* ``score`` is oriented so that HIGHER = RISKIER by default: pass a PD (probability of default) as
  it is. For scorecard points (higher = safer) either pass ``-points`` or pass ``points`` with
  ``higher_is_riskier=False``; both give the same AUC, Gini, KS and gains table.
* AUC is the Mann-Whitney probability that a random bad scores riskier than a random good, ties
  counting one half: ``AUC = (R_bad - n_bad (n_bad + 1) / 2) / (n_bad n_good)`` with ``R_bad`` the
  sum of the bads' mid-ranks. This is exactly what ``sklearn.metrics.roc_auc_score`` computes
  (trapezoids through tied scores). Gini (accuracy ratio) = 2 AUC - 1.
* KS is the largest distance ``max_t |F_bad(t) - F_good(t)|`` between the empirical distribution
  functions of the bads' and the goods' scores, ``F(t)`` = share with ``score <= t``, evaluated at
  every distinct score: the two-sample Kolmogorov-Smirnov statistic of ``scipy.stats.ks_2samp``.
  The returned ``threshold`` is the score ``t`` where it is reached (the first such ``t`` in
  ascending score order), in the units of the score as given: the cut "``score <= t``" versus
  "``score > t``" separates bads from goods best. KS does not depend on the orientation.
* Gains table rows are risk bands from the riskiest down. Bins are formed on the rank of the score
  (``pandas.qcut`` on ``rank(method="first")``): applicants are sorted by descending risk with a
  stable sort, ties kept in input order, and cut into ``n_bins`` groups whose sizes differ by at
  most one. With ``ties="together"`` a group of tied scores is never split: each tie group joins
  the bin of its first member, so bins can be unequal and fewer than ``n_bins``.
* Calibration by grade compares the observed bads of each grade with its expected bads (the sum of
  the predicted PDs) using a two-sided exact binomial test (``scipy.stats.binomtest``, whose
  two-sided p-value sums the probabilities of all outcomes no more likely than the observed one)
  of ``bads ~ Binomial(n, mean PD)``.

Errors name the parameter, what is allowed and what was given: unequal lengths, a non-binary
``y``, a single class where a metric needs both (AUC is undefined with one class), NaN or infinite
scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NamedTuple, cast

import numpy as np
import numpy.typing as npt
import pandas
from scipy import stats

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

__all__ = [
    "KSResult",
    "auc",
    "calibration_by_grade",
    "gains_table",
    "gini",
    "ks",
]


class KSResult(NamedTuple):
    """The KS statistic (0..1) and the score at which it is reached."""

    statistic: float
    threshold: float


# --------------------------------------------------------------------------- validation


def _shown(values: npt.NDArray[Any], limit: int = 5) -> str:
    items = [v.item() if hasattr(v, "item") else v for v in values[:limit]]
    more = f" (+{len(values) - limit} more)" if len(values) > limit else ""
    return f"{items}{more}"


def _as_1d(values: object, name: str) -> npt.NDArray[Any]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}")
    return arr


def _check_y(y: object, *, both_classes: bool, what: str = "") -> IntArray:
    arr = _as_1d(y, "y")
    if arr.size == 0:
        raise ValueError("y must not be empty; got 0 values")
    if arr.dtype == np.bool_:
        out = arr.astype(np.int64)
    elif np.issubdtype(arr.dtype, np.number):
        as_float = arr.astype(np.float64)
        bad = np.unique(as_float[~np.isin(as_float, (0.0, 1.0))])
        if bad.size:
            raise ValueError(f"y must contain only 0 (good) and 1 (bad); got values {_shown(bad)}")
        out = as_float.astype(np.int64)
    else:
        raise ValueError(f"y must be numeric or boolean 0/1 (1 = bad); got dtype {arr.dtype}")
    if both_classes:
        n_bad = int(out.sum())
        if n_bad in (0, out.size):
            only = "bad (1)" if n_bad else "good (0)"
            raise ValueError(
                f"y must contain both classes, good (0) and bad (1): {what} is undefined with a "
                f"single class; got only {only} in {out.size} values"
            )
    return out


def _check_score(score: object, n: int, name: str = "score") -> FloatArray:
    arr = _as_1d(score, name)
    if arr.size != n:
        raise ValueError(f"{name} must have the same length as y ({n}); got {arr.size}")
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must be numeric; got dtype {arr.dtype}")
    out = arr.astype(np.float64)
    finite = np.isfinite(out)
    if not finite.all():
        where = np.flatnonzero(~finite)
        raise ValueError(
            f"{name} must be finite (no NaN or infinity); got {where.size} non-finite values "
            f"at positions {_shown(where)}"
        )
    return out


def _risk(score: FloatArray, higher_is_riskier: bool) -> FloatArray:
    if not isinstance(higher_is_riskier, bool | np.bool_):
        raise TypeError(f"higher_is_riskier must be a bool; got {higher_is_riskier!r}")
    return score if higher_is_riskier else -score


# --------------------------------------------------------------------------- AUC, Gini, KS


def _compute_auc(y: IntArray, risk: FloatArray) -> float:
    ranks = stats.rankdata(risk, method="average")
    n_bad = int(y.sum())
    n_good = y.size - n_bad
    rank_sum = float(ranks[y == 1].sum())
    return (rank_sum - n_bad * (n_bad + 1) / 2.0) / (n_bad * n_good)


def auc(y: npt.ArrayLike, score: npt.ArrayLike, *, higher_is_riskier: bool = True) -> float:
    """Area under the ROC curve; 0.5 = random, 1 = every bad scores riskier than every good.

    ``score`` is a PD (higher = riskier); for points pass ``higher_is_riskier=False``.
    Ties count one half, as in ``sklearn.metrics.roc_auc_score``.
    """
    yy = _check_y(y, both_classes=True, what="AUC")
    risk = _risk(_check_score(score, yy.size), higher_is_riskier)
    return _compute_auc(yy, risk)


def gini(y: npt.ArrayLike, score: npt.ArrayLike, *, higher_is_riskier: bool = True) -> float:
    """Gini coefficient (accuracy ratio) = 2 AUC - 1."""
    return 2.0 * auc(y, score, higher_is_riskier=higher_is_riskier) - 1.0


def _compute_ks(y: IntArray, score: FloatArray) -> KSResult:
    order = np.argsort(score, kind="stable")
    s = score[order]
    yb = y[order]
    cum_bad = np.cumsum(yb)
    cum_good = np.arange(1, s.size + 1) - cum_bad
    last_of_value = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    dist = np.abs(
        cum_bad[last_of_value] / cum_bad[-1] - cum_good[last_of_value] / cum_good[-1]
    ).astype(np.float64)
    k = int(np.argmax(dist))
    return KSResult(float(dist[k]), float(s[last_of_value[k]]))


def ks(y: npt.ArrayLike, score: npt.ArrayLike, *, higher_is_riskier: bool = True) -> KSResult:
    """Kolmogorov-Smirnov distance between the bads' and goods' score distributions.

    Returns ``KSResult(statistic, threshold)``; ``statistic`` equals
    ``scipy.stats.ks_2samp(score[y == 1], score[y == 0]).statistic`` and ``threshold`` is the score
    (as given) at which it is reached. ``higher_is_riskier`` is accepted for a uniform call
    signature and only checked: KS and its threshold do not depend on the orientation.
    """
    yy = _check_y(y, both_classes=True, what="KS")
    s = _check_score(score, yy.size)
    _risk(s, higher_is_riskier)
    return _compute_ks(yy, s)


# --------------------------------------------------------------------------- gains table


def _bin_by_rank(risk_sorted: FloatArray, n_bins: int, ties: str) -> IntArray:
    n = risk_sorted.size
    bins = (np.arange(n, dtype=np.int64) * n_bins) // n
    if ties == "together":
        new_group = np.r_[True, risk_sorted[1:] != risk_sorted[:-1]]
        first_of_group = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
        bins = bins[first_of_group]
    return bins


def gains_table(
    y: npt.ArrayLike,
    score: npt.ArrayLike,
    n_bins: int = 10,
    *,
    higher_is_riskier: bool = True,
    ties: Literal["split", "together"] = "split",
) -> pandas.DataFrame:
    """Gains / lift table by risk band (band 1 = riskiest), one row per non-empty band.

    Columns: ``bin``, ``min_score``, ``max_score`` (score as given), ``count``, ``bads``,
    ``goods``, ``bad_rate``, ``bad_share`` (the band's share of all bads; sums to 1),
    ``cum_count_share``, ``cum_bad_share`` (capture rate: share of all bads in this band and the
    riskier ones), ``cum_good_share``, ``ks`` (= cum_bad_share - cum_good_share), ``lift``
    (band bad rate / overall bad rate) and ``cum_lift`` (cumulative bad rate / overall bad rate;
    1 on the last row, the whole population).
    """
    yy = _check_y(y, both_classes=True, what="the gains table")
    s = _check_score(score, yy.size)
    risk = _risk(s, higher_is_riskier)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer):
        raise TypeError(f"n_bins must be an int; got {n_bins!r}")
    if not 1 <= n_bins <= yy.size:
        raise ValueError(
            f"n_bins must be between 1 and the number of rows ({yy.size}); got {n_bins}"
        )
    if ties not in ("split", "together"):
        raise ValueError(f"ties must be 'split' or 'together'; got {ties!r}")

    order = np.argsort(-risk, kind="stable")
    bins = _bin_by_rank(risk[order], int(n_bins), ties)
    ys = yy[order]
    ss = s[order]
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    count = np.diff(np.r_[starts, ys.size]).astype(np.int64)
    bads = np.add.reduceat(ys, starts).astype(np.int64)
    goods = count - bads
    total_bad, total_good, n = int(bads.sum()), int(goods.sum()), int(count.sum())
    overall = total_bad / n
    cum_count, cum_bads, cum_goods = np.cumsum(count), np.cumsum(bads), np.cumsum(goods)
    cum_bad_share = cum_bads / total_bad
    cum_good_share = cum_goods / total_good
    return pandas.DataFrame(
        {
            "bin": np.arange(1, starts.size + 1, dtype=np.int64),
            "min_score": np.minimum.reduceat(ss, starts),
            "max_score": np.maximum.reduceat(ss, starts),
            "count": count,
            "bads": bads,
            "goods": goods,
            "bad_rate": bads / count,
            "bad_share": bads / total_bad,
            "cum_count_share": cum_count / n,
            "cum_bad_share": cum_bad_share,
            "cum_good_share": cum_good_share,
            "ks": cum_bad_share - cum_good_share,
            "lift": (bads / count) / overall,
            "cum_lift": (cum_bads / cum_count) / overall,
        }
    )


# --------------------------------------------------------------------------- calibration


def calibration_by_grade(
    y: npt.ArrayLike,
    pd: npt.ArrayLike,
    grade: npt.ArrayLike | Sequence[object],
    *,
    alpha: float = 0.05,
) -> pandas.DataFrame:
    """Observed against predicted bad rate per grade, with a two-sided exact binomial test.

    ``pd`` holds predicted probabilities of default in [0, 1]. Grades are ordered as the
    categories of a pandas ``Categorical`` (its own order if ``grade`` is one, else sorted);
    grades with no rows are left out. Columns: ``grade``, ``n``, ``bads``, ``bad_rate``,
    ``mean_pd``, ``expected_bads`` (sum of PD), ``p_value`` (``binomtest(bads, n, mean_pd)``,
    two-sided) and ``flag`` (``p_value < alpha``: the grade is miscalibrated at level ``alpha``).
    A single class in ``y`` is allowed here (a grade may well have no bads).
    """
    yy = _check_y(y, both_classes=False)
    p = _check_score(pd, yy.size, name="pd")
    if ((p < 0.0) | (p > 1.0)).any():
        outside = np.unique(p[(p < 0.0) | (p > 1.0)])
        raise ValueError(f"pd must be probabilities in [0, 1]; got values {_shown(outside)}")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.floating):
        raise TypeError(f"alpha must be a number in (0, 1); got {alpha!r}")
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}")
    if isinstance(getattr(grade, "dtype", None), pandas.CategoricalDtype):
        g = pandas.Categorical(cast("Any", grade))
    else:
        g = pandas.Categorical(_as_1d(np.asarray(grade, dtype=object), "grade"))
    if len(g) != yy.size:
        raise ValueError(f"grade must have the same length as y ({yy.size}); got {len(g)}")
    codes = np.asarray(g.codes, dtype=np.int64)
    if (codes < 0).any():
        where = np.flatnonzero(codes < 0)
        raise ValueError(
            f"grade must not be missing; got {where.size} missing at positions {_shown(where)}"
        )

    k = len(g.categories)
    n = np.bincount(codes, minlength=k).astype(np.int64)
    bads = np.bincount(codes, weights=yy, minlength=k).round().astype(np.int64)
    expected = np.bincount(codes, weights=p, minlength=k)
    keep = n > 0
    n, bads, expected = n[keep], bads[keep], expected[keep]
    mean_pd = np.clip(expected / n, 0.0, 1.0)
    p_value = np.array(
        [
            stats.binomtest(int(b), int(m), float(q), alternative="two-sided").pvalue
            for b, m, q in zip(bads, n, mean_pd, strict=True)
        ],
        dtype=np.float64,
    )
    return pandas.DataFrame(
        {
            "grade": np.asarray(g.categories, dtype=object)[keep],
            "n": n,
            "bads": bads,
            "bad_rate": bads / n,
            "mean_pd": mean_pd,
            "expected_bads": expected,
            "p_value": p_value,
            "flag": p_value < float(alpha),
        }
    )
