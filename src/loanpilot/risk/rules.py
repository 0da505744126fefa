"""Pure risk rules (no session, clock or randomness): DPD buckets and the five-category
classification floor by days past due (金融资产风险分类办法, 2023).

* any overdue principal or interest → at least 关注 (special mention), except a delay of at most
  ``TECHNICAL_DELAY_DAYS`` days that the bank has established as operational or technical (a failed
  debit, a system outage) — the caller says so with ``technical=True``; an ordinary late payment of
  one day is already 关注;
* more than 90 days past due → at least 次级 (substandard);
* more than 270 → at least 可疑 (doubtful);
* more than 360 → 损失 (loss).

These are floors: an officer may classify worse (a manual override), and the daily close keeps the
worse of the rule and the override.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

TECHNICAL_DELAY_DAYS = 7

FIVE_CLASSES: tuple[str, ...] = ("normal", "special_mention", "substandard", "doubtful", "loss")
FIVE_CLASS_ZH: dict[str, str] = {
    "normal": "正常",
    "special_mention": "关注",
    "substandard": "次级",
    "doubtful": "可疑",
    "loss": "损失",
}
NON_PERFORMING_CLASSES: frozenset[str] = frozenset({"substandard", "doubtful", "loss"})

#: DPD bucket upper bounds (inclusive): M0 0, M1 1–30, …, M6 151–180, M7+ beyond.
BUCKETS: tuple[str, ...] = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+")
_BUCKET_EDGES = np.array([0, 30, 60, 90, 120, 150, 180])
_CLASS_EDGES = np.array([90, 270, 360])  # special mention up to 90, substandard to 270, ...


def five_class_floor(dpd: int, *, technical: bool = False) -> str:
    """The least severe class the rules allow for a loan ``dpd`` days past due.

    ``technical`` marks an arrear the bank has established as an operational or technical delay:
    up to ``TECHNICAL_DELAY_DAYS`` days of it keep the loan 正常.
    """
    if dpd < 0:
        raise ValueError(f"dpd must be >= 0, got {dpd}")
    if dpd == 0 or (technical and dpd <= TECHNICAL_DELAY_DAYS):
        return FIVE_CLASSES[0]
    return FIVE_CLASSES[1 + int(np.searchsorted(_CLASS_EDGES, dpd, side="left"))]


def five_class_floor_many(
    dpd: npt.ArrayLike, technical: npt.ArrayLike | None = None
) -> npt.NDArray[Any]:
    """Vectorised ``five_class_floor``; ``technical`` is a boolean per loan (default all False)."""
    days = np.asarray(dpd)
    if days.size and days.min() < 0:
        raise ValueError("dpd must be >= 0")
    classes = np.asarray(FIVE_CLASSES, dtype=object)[
        1 + np.searchsorted(_CLASS_EDGES, days, side="left")
    ]
    excused = days == 0
    if technical is not None:
        excused |= np.asarray(technical, dtype=bool) & (days <= TECHNICAL_DELAY_DAYS)
    classes[excused] = FIVE_CLASSES[0]
    return classes


def dpd_bucket(dpd: int) -> str:
    if dpd < 0:
        raise ValueError(f"dpd must be >= 0, got {dpd}")
    return BUCKETS[int(np.searchsorted(_BUCKET_EDGES, dpd, side="left"))]


def dpd_bucket_many(dpd: npt.ArrayLike) -> npt.NDArray[Any]:
    days = np.asarray(dpd)
    if days.size and days.min() < 0:
        raise ValueError("dpd must be >= 0")
    return np.asarray(BUCKETS, dtype=object)[np.searchsorted(_BUCKET_EDGES, days, side="left")]


def worse_class(a: str, b: str) -> str:
    """The more severe of two classes."""
    return FIVE_CLASSES[max(FIVE_CLASSES.index(a), FIVE_CLASSES.index(b))]
