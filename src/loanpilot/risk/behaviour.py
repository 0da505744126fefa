"""The behavioural score of a loan, and how post-loan checks are sampled; pure (house rule 2).

**Behavioural score.** Points per factor of the loan's recent behaviour, added to a base of 520:

=============================  ===================================================  ============
factor                         bands (worse →)                                      points
=============================  ===================================================  ============
current days past due          0 · 1–7 · 8–30 · 31–60 · 61–90 · 91+                  60 20 -10 -40 -70 -110
max DPD, last 6 months         0 · 1–7 · 8–30 · 31–90 · 91+                           40 25 5 -15 -40
max DPD, last 12 months        0 · 1–30 · 31–90 · 91+                                 30 15 0 -20
months since last delinquency  never · 12+ · 6–11 · 3–5 · 0–2                          30 25 15 5 -5
share of instalments late      0 · ≤10 % · ≤25 % · ≤50 % · more                        30 15 0 -20 -40
utilisation (outstanding /     ≤30 % · ≤60 % · ≤90 % · more                            25 15 5 0
principal)
months on book                 24+ · 12–23 · 6–11 · 3–5 · 0–2                          20 15 10 5 0
=============================  ===================================================  ============

Every factor's points never rise as behaviour worsens, so worse behaviour never scores better
(the property tests hold it to that). The score maps to a PD by log-odds: odds good:bad of 30 at
600 points, doubling every 40 points (``pd = 1 / (1 + 30 · 2^((score − 600) / 40))``), and to a
grade: A ≥ 720, B ≥ 680, C ≥ 630, D ≥ 560, E below.

**Purpose-of-funds checks** (贷后资金用途检查) are sampled among newly disbursed loans with a
probability rising with the PD at origination and the amount: ``(0.05 + 2 · pd) · (1 + amount /
¥1,000,000)``, at most 1; every loan of ¥1,000,000 or more is always checked. The draw is a
deterministic uniform of (seed, loan id) (splitmix64), so a rerun draws the same numbers.

**Large loans** (¥1,000,000 or more) are reviewed every 6 months from disbursement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final, TypeAlias

import numpy as np
import numpy.typing as npt

IntArray: TypeAlias = npt.NDArray[np.int64]
FloatArray: TypeAlias = npt.NDArray[np.float64]

BASE_POINTS: Final = 520
SCORE0: Final = 600
ODDS0: Final = 30.0
PDO: Final = 40.0
#: Grade cut-offs, best first: a score at or above the cut-off gets the grade.
GRADE_CUTS: Final = (("A", 720), ("B", 680), ("C", 630), ("D", 560))
WORST_GRADE: Final = "E"
#: The value of ``months_since_delinquency`` meaning "never delinquent" in the vectorised kernel.
NEVER: Final = -1

# (upper bounds of each band, inclusive; points of each band and one more past the last bound)
_CURRENT_DPD: Final = ((0, 7, 30, 60, 90), (60, 20, -10, -40, -70, -110))
_MAX_DPD_6M: Final = ((0, 7, 30, 90), (40, 25, 5, -15, -40))
_MAX_DPD_12M: Final = ((0, 30, 90), (30, 15, 0, -20))
_LATE_SHARE: Final = ((0.0, 0.10, 0.25, 0.50), (30, 15, 0, -20, -40))
_UTILISATION: Final = ((0.30, 0.60, 0.90), (25, 15, 5, 0))
# higher is better: bounds of the worse bands first
_MONTHS_SINCE: Final = ((2, 5, 11, 10**6), (-5, 5, 15, 25, 30))  # never: past the last bound
_MONTHS_ON_BOOK: Final = ((2, 5, 11, 23), (0, 5, 10, 15, 20))


@dataclass(frozen=True)
class Behaviour:
    """A loan's recent behaviour. ``months_since_delinquency`` is None if it never fell behind."""

    current_dpd: int
    max_dpd_6m: int
    max_dpd_12m: int
    months_since_delinquency: int | None
    late_share: float
    utilisation: float
    months_on_book: int


@dataclass(frozen=True)
class BehaviourScore:
    score: int
    pd: float
    grade: str
    points: dict[str, int]


def _band_points(
    values: npt.ArrayLike, table: tuple[tuple[float, ...], tuple[int, ...]]
) -> IntArray:
    bounds, points = table
    idx = np.searchsorted(
        np.asarray(bounds, dtype=np.float64), np.asarray(values, dtype=np.float64), side="left"
    )
    return np.asarray(points, dtype=np.int64)[idx]


def factor_points(
    current_dpd: npt.ArrayLike,
    max_dpd_6m: npt.ArrayLike,
    max_dpd_12m: npt.ArrayLike,
    months_since_delinquency: npt.ArrayLike,
    late_share: npt.ArrayLike,
    utilisation: npt.ArrayLike,
    months_on_book: npt.ArrayLike,
) -> dict[str, IntArray]:
    """The points of each factor for whole columns (``NEVER`` = never delinquent)."""
    since = np.asarray(months_since_delinquency, dtype=np.int64)
    since = np.where(since < 0, 10**7, since)
    return {
        "current_dpd": _band_points(current_dpd, _CURRENT_DPD),
        "max_dpd_6m": _band_points(max_dpd_6m, _MAX_DPD_6M),
        "max_dpd_12m": _band_points(max_dpd_12m, _MAX_DPD_12M),
        "months_since_delinquency": _band_points(since, _MONTHS_SINCE),
        "late_share": _band_points(late_share, _LATE_SHARE),
        "utilisation": _band_points(utilisation, _UTILISATION),
        "months_on_book": _band_points(months_on_book, _MONTHS_ON_BOOK),
    }


def pd_of(score: npt.ArrayLike) -> FloatArray:
    """PD of scores: ``1 / (1 + 30 · 2^((score − 600) / 40))``."""
    odds = ODDS0 * np.exp2((np.asarray(score, dtype=np.float64) - SCORE0) / PDO)
    return np.asarray(1.0 / (1.0 + odds), dtype=np.float64)


def grade_of(score: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """Grades A–E of scores."""
    s = np.asarray(score, dtype=np.int64)
    out = np.full(s.shape, WORST_GRADE, dtype="<U1")
    for grade, cut in reversed(GRADE_CUTS):
        out = np.where(s >= cut, grade, out)
    return out


def score_many(
    current_dpd: npt.ArrayLike,
    max_dpd_6m: npt.ArrayLike,
    max_dpd_12m: npt.ArrayLike,
    months_since_delinquency: npt.ArrayLike,
    late_share: npt.ArrayLike,
    utilisation: npt.ArrayLike,
    months_on_book: npt.ArrayLike,
) -> tuple[IntArray, FloatArray, npt.NDArray[np.str_]]:
    """Scores, PDs and grades of whole columns (one kernel for one loan and for the book)."""
    parts = factor_points(
        current_dpd, max_dpd_6m, max_dpd_12m, months_since_delinquency, late_share,
        utilisation, months_on_book,
    )  # fmt: skip
    score = BASE_POINTS + np.sum(np.vstack(list(parts.values())), axis=0)
    return score.astype(np.int64), pd_of(score), grade_of(score)


def score(b: Behaviour) -> BehaviourScore:
    """The behavioural score of one loan, with the points of each factor."""
    since = NEVER if b.months_since_delinquency is None else b.months_since_delinquency
    columns = ([b.current_dpd], [b.max_dpd_6m], [b.max_dpd_12m], [since], [b.late_share],
               [b.utilisation], [b.months_on_book])  # fmt: skip
    parts = factor_points(*columns)
    points, pds, grades = score_many(*columns)
    return BehaviourScore(
        score=int(points[0]),
        pd=float(pds[0]),
        grade=str(grades[0]),
        points={k: int(v[0]) for k, v in parts.items()},
    )


# --- sampling post-loan checks --------------------------------------------------------------------

#: A large loan: always checked for the use of funds, and reviewed every ``REVIEW_EVERY_MONTHS``.
LARGE_LOAN_FEN: Final = 100_000_000  # ¥1,000,000
REVIEW_EVERY_MONTHS: Final = 6
BASE_CHECK_RATE: Final = 0.05
PD_WEIGHT: Final = 2.0
_MASK64: Final = (1 << 64) - 1


def check_probability(pd: npt.ArrayLike, amount_fen: npt.ArrayLike) -> FloatArray:
    """The chance a newly disbursed loan is sampled for a purpose-of-funds check."""
    p = np.clip(np.asarray(pd, dtype=np.float64), 0.0, 1.0)
    amount = np.maximum(np.asarray(amount_fen, dtype=np.float64), 0.0)
    prob = (BASE_CHECK_RATE + PD_WEIGHT * p) * (1.0 + amount / LARGE_LOAN_FEN)
    return np.asarray(
        np.where(amount >= LARGE_LOAN_FEN, 1.0, np.minimum(prob, 1.0)), dtype=np.float64
    )


def uniform(seed: int, ids: npt.ArrayLike) -> FloatArray:
    """A deterministic uniform in [0, 1) per id (splitmix64 of seed and id)."""
    with np.errstate(over="ignore"):
        x = np.asarray(ids, dtype=np.uint64) + np.uint64(seed & _MASK64) * np.uint64(
            0x9E3779B97F4A7C15
        )
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return np.asarray((x >> np.uint64(11)).astype(np.float64) / float(1 << 53), dtype=np.float64)


def seed_of(day: date) -> int:
    """The sampling seed of a business day (the day a loan is new)."""
    return day.toordinal() * 1_000_003 + 0x5EED


def sampled(
    ids: npt.ArrayLike, pd: npt.ArrayLike, amount_fen: npt.ArrayLike, seed: int
) -> npt.NDArray[np.bool_]:
    """Which loans are drawn for a purpose-of-funds check."""
    return np.asarray(uniform(seed, ids) < check_probability(pd, amount_fen), dtype=np.bool_)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, kept within the target month (Jan 31 + 1 → Feb 28/29)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    return date(year, month, min(day.day, last))


def next_review_on(
    disbursed_on: date, as_of: date, every_months: int = REVIEW_EVERY_MONTHS
) -> date:
    """The first periodic review day on or after ``as_of`` (every ``every_months`` from
    disbursement, the first one ``every_months`` after it)."""
    k = max(
        1,
        ((as_of.year - disbursed_on.year) * 12 + as_of.month - disbursed_on.month) // every_months,
    )
    day = add_months(disbursed_on, k * every_months)
    while day < as_of:
        k += 1
        day = add_months(disbursed_on, k * every_months)
    return day
