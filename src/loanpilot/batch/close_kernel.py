"""The daily close's kernel (日终): pure numpy, no session, clock or Python loop over rows.

From the unpaid schedule lines of each loan's schedule version in force and the loans' previous
state, ``close_loans`` computes per loan, at ``as_of``:

* DPD = ``as_of`` − the oldest due date among lines that fell due *before* ``as_of`` and are still
  unpaid (a line due on ``as_of`` itself is not yet overdue: DPD 0, nothing overdue);
* the overdue principal and interest (what those lines still owe);
* the DPD bucket (``risk.rules.dpd_bucket_many``: M0, M1 1–30 … M7+ beyond 180);
* the five-category floor by the 2023 rules (``risk.rules.five_class_floor_many``), and the class
  in force: the worse of the floor and an active manual override, with ``class_source`` saying
  which decided (``override`` only when it is strictly worse than the floor);
* the worst DPD ever reached (``max_dpd``) and the first days the loan was more than 30 and more
  than 90 days past due (DPD ≥ 31, bucket M2+, and DPD ≥ 91, M4+, the 次级 line): the day the
  current arrears reached that age (oldest due date + 31 / + 91 days) unless an earlier day is
  already recorded. ``analytics.portfolio`` reads them with the same thresholds (vintage M1+ /
  M3+ and FPD30).

``summarise`` turns the per-bucket and per-class counts and balances of a whole close into its
summary: the NPL ratio (次级 + 可疑 + 损失 balance ÷ total balance) and the provision estimate by
class at ``PROVISION_RATES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from loanpilot.risk.rules import (
    BUCKETS,
    FIVE_CLASSES,
    NON_PERFORMING_CLASSES,
    dpd_bucket_many,
    five_class_floor_many,
)

I64 = npt.NDArray[np.int64]
Days = npt.NDArray[np.datetime64]
Objects = npt.NDArray[Any]

#: Provision estimate (贷款损失准备) as a share of the outstanding principal of each class: the
#: customary rates of the PBoC/CBRC guideline (《贷款损失准备计提指引》: general reserve 1 %,
#: special mention 2 %, substandard 25 %, doubtful 50 %, loss 100 %). Data, not code: a bank that
#: provisions otherwise passes its own rates to ``summarise``.
PROVISION_RATES: Mapping[str, Decimal] = {
    "normal": Decimal("0.01"),
    "special_mention": Decimal("0.02"),
    "substandard": Decimal("0.25"),
    "doubtful": Decimal("0.50"),
    "loss": Decimal("1.00"),
}
#: A loan counts as 30+ / 90+ days past due from these DPDs on (more than 30 / 90 days: the same
#: thresholds as ``analytics.portfolio.DPD30`` / ``DPD90``, held equal by a test).
DPD30 = 31
DPD90 = 91
NO_OVERRIDE = -1  # ``override_rank`` of a loan without an active override

_CLASS_RANK = {name: i for i, name in enumerate(FIVE_CLASSES)}


@dataclass(frozen=True)
class OpenLines:
    """Unpaid schedule lines (or, equally, one pre-aggregated row per loan: the oldest due date and
    the summed unpaid amounts), one entry per line."""

    loan_id: I64
    due_on: Days  # datetime64[D]
    unpaid_principal_fen: I64
    unpaid_interest_fen: I64


@dataclass(frozen=True)
class LoanState:
    """The loans being closed, sorted by id, with what the previous close left on them."""

    loan_id: I64
    outstanding_principal_fen: I64
    max_dpd: I64
    first_dpd30_on: Days  # NaT: never 30+
    first_dpd90_on: Days
    override_rank: I64  # index in ``FIVE_CLASSES`` of the active override, ``NO_OVERRIDE`` if none


@dataclass(frozen=True)
class Closed:
    """Per loan (same order as ``LoanState``): the close's findings."""

    loan_id: I64
    dpd: I64
    overdue_principal_fen: I64
    overdue_interest_fen: I64
    outstanding_principal_fen: I64
    bucket: Objects  # str, ``BUCKETS``
    rule_class: Objects  # str, ``FIVE_CLASSES``: the floor by DPD
    five_class: Objects  # str: the worse of the floor and the override
    class_source: Objects  # "rule" | "override"
    max_dpd: I64
    first_dpd30_on: Days
    first_dpd90_on: Days


def class_ranks(names: npt.ArrayLike) -> I64:
    """Class names → their index in ``FIVE_CLASSES`` (None / empty → ``NO_OVERRIDE``)."""
    values = np.asarray(names, dtype=object)
    lookup = np.asarray(FIVE_CLASSES, dtype=object)
    out = np.full(values.shape, NO_OVERRIDE, dtype=np.int64)
    for rank, name in enumerate(lookup):  # five classes, not rows
        out[values == name] = rank
    unknown = (out == NO_OVERRIDE) & (values != None) & (values != "")  # noqa: E711
    if unknown.any():
        bad = values[unknown][0]
        raise ValueError(f"unknown five-category class {bad!r}; allowed: {', '.join(FIVE_CLASSES)}")
    return out


def _earliest(previous: Days, candidate: Days) -> Days:
    """The earlier of two dates per loan, NaT meaning "none"."""
    out: Days = np.fmin(previous.astype("M8[D]"), candidate.astype("M8[D]"))
    return out


def close_loans(lines: OpenLines, loans: LoanState, as_of: date) -> Closed:
    """Close every loan of ``loans`` at ``as_of`` from its unpaid ``lines`` (see the module)."""
    ids = np.asarray(loans.loan_id, dtype=np.int64)
    n = len(ids)
    if n > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        raise ValueError("loans.loan_id must be sorted ascending without repeats")
    day = np.datetime64(as_of, "D")
    due = np.asarray(lines.due_on).astype("M8[D]")
    overdue = due < day
    line_loan = np.asarray(lines.loan_id, dtype=np.int64)[overdue]
    pos = np.searchsorted(ids, line_loan)
    known = pos < n
    known[known] = ids[pos[known]] == line_loan[known]
    if not bool(known.all()):
        stray = line_loan[~known][0]
        raise ValueError(f"schedule line of loan {int(stray)} that is not among the loans closed")
    due_days = due[overdue].astype(np.int64)
    principal = np.asarray(lines.unpaid_principal_fen, dtype=np.int64)[overdue]
    interest = np.asarray(lines.unpaid_interest_fen, dtype=np.int64)[overdue]
    if (principal < 0).any() or (interest < 0).any():
        raise ValueError("unpaid amounts must be >= 0 (paid more than due on a schedule line)")

    none = np.iinfo(np.int64).max
    oldest = np.full(n, none, dtype=np.int64)
    np.minimum.at(oldest, pos, due_days)
    over_p = np.zeros(n, dtype=np.int64)
    np.add.at(over_p, pos, principal)
    over_i = np.zeros(n, dtype=np.int64)
    np.add.at(over_i, pos, interest)
    late = oldest != none
    dpd = np.where(late, day.astype(np.int64) - oldest, 0).astype(np.int64)

    floor = five_class_floor_many(dpd)
    floor_rank = class_ranks(floor)
    override = np.asarray(loans.override_rank, dtype=np.int64)
    by_override = override > floor_rank
    classes = np.asarray(FIVE_CLASSES, dtype=object)[np.where(by_override, override, floor_rank)]
    source = np.where(by_override, "override", "rule").astype(object)

    oldest_day = np.where(late, oldest, 0).astype("M8[D]")
    nat = np.datetime64("NaT", "D")
    reached30 = np.where(dpd >= DPD30, oldest_day + np.timedelta64(DPD30, "D"), nat)
    reached90 = np.where(dpd >= DPD90, oldest_day + np.timedelta64(DPD90, "D"), nat)
    return Closed(
        loan_id=ids,
        dpd=dpd,
        overdue_principal_fen=over_p,
        overdue_interest_fen=over_i,
        outstanding_principal_fen=np.asarray(loans.outstanding_principal_fen, dtype=np.int64),
        bucket=dpd_bucket_many(dpd),
        rule_class=floor,
        five_class=classes,
        class_source=source,
        max_dpd=np.maximum(np.asarray(loans.max_dpd, dtype=np.int64), dpd),
        first_dpd30_on=_earliest(np.asarray(loans.first_dpd30_on), reached30),
        first_dpd90_on=_earliest(np.asarray(loans.first_dpd90_on), reached90),
    )


def changed(
    closed: Closed,
    dpd: I64,
    five_class: Objects,
    max_dpd: I64,
    first_dpd30_on: Days,
    first_dpd90_on: Days,
) -> npt.NDArray[np.bool_]:
    """Which loans' stored state (the arguments, as loaded) differs from the close's."""

    def differs(a: Days, b: Days) -> npt.NDArray[np.bool_]:
        a, b = a.astype("M8[D]"), b.astype("M8[D]")
        both_nat = np.isnat(a) & np.isnat(b)
        out: npt.NDArray[np.bool_] = ~both_nat & (np.isnat(a) | np.isnat(b) | (a != b))
        return out

    out: npt.NDArray[np.bool_] = np.asarray(
        (closed.dpd != np.asarray(dpd, dtype=np.int64))
        | (closed.five_class != np.asarray(five_class, dtype=object))
        | (closed.max_dpd != np.asarray(max_dpd, dtype=np.int64))
        | differs(closed.first_dpd30_on, np.asarray(first_dpd30_on))
        | differs(closed.first_dpd90_on, np.asarray(first_dpd90_on)),
        dtype=bool,
    )
    return out


def _provision(balance: int, rate: Decimal) -> int:
    return int((Decimal(balance) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def summarise(
    by_bucket: Mapping[str, tuple[int, int]],
    by_class: Mapping[str, tuple[int, int]],
    rates: Mapping[str, Decimal] = PROVISION_RATES,
) -> dict[str, Any]:
    """The close's summary from (count, outstanding principal in fen) per bucket and per class.

    Every bucket and class is listed (zeros included), in order; the NPL ratio is a decimal string
    to 6 places ("0" for an empty book); provisions are whole fen, rounded half up.
    """
    for name in by_bucket:
        if name not in BUCKETS:
            raise ValueError(f"unknown DPD bucket {name!r}; allowed: {', '.join(BUCKETS)}")
    for name in by_class:
        if name not in _CLASS_RANK:
            raise ValueError(f"unknown class {name!r}; allowed: {', '.join(FIVE_CLASSES)}")
    missing = [c for c in FIVE_CLASSES if c not in rates]
    if missing:
        raise ValueError(f"rates lacks a provision rate for {', '.join(missing)}")
    buckets = [
        {
            "bucket": b,
            "loans": by_bucket.get(b, (0, 0))[0],
            "balance_fen": by_bucket.get(b, (0, 0))[1],
        }
        for b in BUCKETS
    ]
    classes: list[dict[str, Any]] = []
    total = npl = provision = 0
    for c in FIVE_CLASSES:
        count, balance = by_class.get(c, (0, 0))
        total += balance
        npl += balance if c in NON_PERFORMING_CLASSES else 0
        provision += _provision(balance, rates[c])
        classes.append(
            {
                "five_class": c,
                "loans": count,
                "balance_fen": balance,
                "provision_rate": str(rates[c]),
                "provision_fen": _provision(balance, rates[c]),
            }
        )
    ratio = (Decimal(npl) / Decimal(total)).quantize(Decimal("0.000001")) if total else Decimal(0)
    return {
        "loans": sum(by_class.get(c, (0, 0))[0] for c in FIVE_CLASSES),
        "balance_fen": total,
        "npl_balance_fen": npl,
        "npl_ratio": str(ratio),
        "provision_fen": provision,
        "buckets": buckets,
        "classes": classes,
    }
