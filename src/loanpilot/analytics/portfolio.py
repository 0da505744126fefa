"""Portfolio analytics of a loan book: roll rates, flow rates, vintage curves, first-payment default,
the application funnel, concentration and the stability of the applicant population.

Pure numpy / pandas; imports nothing of ours but ``analytics.stability``. Every function takes
small frames that the caller has already aggregated in SQL (or one row per loan, when a test
builds a book by hand): a ``loans`` column, when present, is how many loans a row stands for
(default 1), so the same function reads loan rows and grouped rows alike.

Conventions (the bank's)
------------------------
* **DPD buckets** ``M0`` (current), ``M1`` 1–30, ``M2`` 31–60, ``M3`` 61–90, ``M4`` 91–120, ``M5``
  121–150, ``M6`` 151–180, ``M7+`` beyond 180 days past due (as ``risk.rules``).
* **30+ and 90+.** A loan is *30+* on a day when it is **more than 30 days past due** (DPD >= 31,
  bucket M2 or worse) and *90+* when more than 90 days past due (DPD >= 91, bucket M4 or worse,
  the 2023 rule's threshold of 次级, i.e. non-performing). Loans keep the first day of each
  (``first_dpd30_on``, ``first_dpd90_on``).
* **Vintage M1+ and M3+** follow the industry's vintage naming, where ``M1+`` means *ever 30+*
  and ``M3+`` *ever 90+* (a full cycle, resp. three cycles, missed): the cumulative share of a
  cohort's loans (and of its disbursed principal) that had been 30+ (resp. 90+) by the end of
  each month on book. Month on book 0 is the origination month; month on book ``k`` is observed
  at the end of calendar month ``cohort + k``, only if that month end is on or before ``as_of``.
* **Roll rates**: the transition of each loan from its bucket at one month end to its state at
  the next month end: a bucket, or the absorbing states ``settled`` and ``written_off`` (written
  off or transferred). Row shares by loans and by balance (the outstanding principal at the first
  month end). **Flow rate** of bucket ``Mk``: the share of its balance that is in ``M(k+1)`` a
  month later.
* **FPD30** (first-payment default): the first instalment still unpaid more than 30 days after it
  fell due, i.e. ``first_dpd30_on == first_due_on + 31 days`` (DPD counts from the oldest unpaid
  instalment, so only the first instalment can make a loan 30+ that early). A loan is observable
  once ``first_due_on + 31 days <= as_of``.
* **Funnel** of the applications submitted in a month: approval rate = approved ÷ decided
  (approve or decline), pass-through = disbursed ÷ submitted, take-up = disbursed ÷ approved.
* **Concentration**: each key's share of the balance, the top-N share and the
  Herfindahl–Hirschman index ``HHI = sum(share²)`` (0..1; ``1 / HHI`` is the equivalent number of
  equal-sized keys).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from loanpilot.analytics import stability

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

BUCKETS: tuple[str, ...] = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+")
SETTLED = "settled"
WRITTEN_OFF = "written_off"
EXITS: tuple[str, ...] = (SETTLED, WRITTEN_OFF)
STATES: tuple[str, ...] = (*BUCKETS, *EXITS)
_BUCKET_EDGES = np.array([0, 30, 60, 90, 120, 150, 180])
#: A loan is 30+ / 90+ from these days past due on (more than 30 / 90 days).
DPD30 = 31
DPD90 = 91
#: FPD30: days from the first due date to the first day the loan is 30+.
FPD_DAYS = DPD30
#: The buckets counted as 30+ and 90+.
BUCKETS_30 = frozenset(BUCKETS[2:])
BUCKETS_90 = frozenset(BUCKETS[4:])

__all__ = [
    "BUCKETS",
    "DPD30",
    "DPD90",
    "EXITS",
    "SETTLED",
    "STATES",
    "WRITTEN_OFF",
    "Concentration",
    "RollRates",
    "applicant_stability",
    "bucket_of",
    "concentration",
    "first_payment_default",
    "flow_rates",
    "funnel_rates",
    "is_fpd30",
    "last_month_end",
    "month_ordinal",
    "roll_rates",
    "vintage_curves",
]


# --------------------------------------------------------------------------- helpers


def bucket_of(dpd: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """The DPD bucket of each number of days past due (>= 0)."""
    days = np.asarray(dpd, dtype=np.int64)
    if days.size and days.min() < 0:
        raise ValueError(f"dpd must be >= 0; got {int(days.min())}")
    out: npt.NDArray[np.object_] = np.asarray(BUCKETS, dtype=object)[
        np.searchsorted(_BUCKET_EDGES, days, side="left")
    ]
    return out


def month_ordinal(values: Any) -> FloatArray:
    """``year * 12 + month - 1`` of each value (``"YYYY-MM"``, a date or a datetime64);
    NaN where the value is missing."""
    series = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    if len(series) == 0:
        return np.zeros(0, dtype=np.float64)
    parsed = pd.to_datetime(series.astype(object).where(series.notna(), None), errors="raise")
    out = parsed.dt.year * 12 + parsed.dt.month - 1
    return np.asarray(out, dtype=np.float64)


def month_label(ordinal: int) -> str:
    """``"YYYY-MM"`` of a month ordinal."""
    year, month0 = divmod(int(ordinal), 12)
    return f"{year:04d}-{month0 + 1:02d}"


def last_month_end(as_of: date) -> date:
    """The last month end on or before ``as_of``."""
    if as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]:
        return as_of
    return as_of.replace(day=1) - timedelta(days=1)


def _weights(frame: pd.DataFrame, column: str = "loans") -> FloatArray:
    if column in frame.columns:
        return np.asarray(frame[column], dtype=np.float64)
    return np.ones(len(frame), dtype=np.float64)


def _require(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame; got {type(frame).__name__}")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{name} lacks columns {absent}; it has {list(frame.columns)}")


def _ratio(num: Any, den: Any) -> FloatArray:
    n = np.asarray(num, dtype=np.float64)
    d = np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, n / np.where(d > 0, d, 1.0), np.nan)


# --------------------------------------------------------------------------- roll and flow rates


@dataclass(frozen=True)
class RollRates:
    """Transition matrices from buckets (rows, M0..M7+) to states (columns, buckets then
    ``settled`` and ``written_off``): counts of loans, balances (fen, at the first month end), and
    the row shares of each."""

    loans: pd.DataFrame
    balance: pd.DataFrame
    loan_share: pd.DataFrame
    balance_share: pd.DataFrame


def roll_rates(pairs: pd.DataFrame) -> RollRates:
    """Roll-rate matrices from transitions: columns ``from_bucket``, ``to_state``, ``balance_fen``
    and optionally ``loans`` (rows standing for many loans); one row per loan otherwise."""
    _require(pairs, "pairs", ["from_bucket", "to_state", "balance_fen"])
    bad_from = sorted(set(pairs["from_bucket"].astype(str)) - set(BUCKETS))
    bad_to = sorted(set(pairs["to_state"].astype(str)) - set(STATES))
    if bad_from or bad_to:
        raise ValueError(
            f"unknown buckets {bad_from} / states {bad_to}; from_bucket must be one of {BUCKETS} "
            f"and to_state one of {STATES}"
        )
    rows = np.asarray(
        pd.Index(BUCKETS).get_indexer(pd.Index(pairs["from_bucket"].astype(str))), dtype=np.int64
    )
    cols = np.asarray(
        pd.Index(STATES).get_indexer(pd.Index(pairs["to_state"].astype(str))), dtype=np.int64
    )
    shape = (len(BUCKETS), len(STATES))
    loans = np.zeros(shape, dtype=np.float64)
    balance = np.zeros(shape, dtype=np.float64)
    np.add.at(loans, (rows, cols), _weights(pairs))
    np.add.at(balance, (rows, cols), np.asarray(pairs["balance_fen"], dtype=np.float64))

    def frame(values: FloatArray) -> pd.DataFrame:
        return pd.DataFrame(values, index=pd.Index(BUCKETS, name="from"), columns=list(STATES))

    share_l = _ratio(loans, loans.sum(axis=1, keepdims=True))
    share_b = _ratio(balance, balance.sum(axis=1, keepdims=True))
    return RollRates(
        loans=frame(loans).astype(np.int64),
        balance=frame(balance).astype(np.int64),
        loan_share=frame(share_l),
        balance_share=frame(share_b),
    )


def flow_rates(roll: RollRates) -> pd.DataFrame:
    """Per bucket ``M0``..``M6``: its balance, the balance in the next bucket a month later, and
    the flow rate (their ratio; NaN for an empty bucket); the same by loans."""
    out = []
    balance = roll.balance.to_numpy(dtype=np.float64)
    loans = roll.loans.to_numpy(dtype=np.float64)
    for k, bucket in enumerate(BUCKETS[:-1]):
        nxt = BUCKETS[k + 1]
        bal, bal_next = float(balance[k].sum()), float(balance[k, k + 1])
        n, n_next = float(loans[k].sum()), float(loans[k, k + 1])
        out.append(
            {
                "from": bucket,
                "to": nxt,
                "balance_fen": int(bal),
                "flowed_fen": int(bal_next),
                "rate": float(_ratio(bal_next, bal)),
                "loans": int(n),
                "flowed_loans": int(n_next),
                "loan_rate": float(_ratio(n_next, n)),
            }
        )
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- vintages


def vintage_curves(loans: pd.DataFrame, as_of: date, *, by: str | None = None) -> pd.DataFrame:
    """Cumulative M1+ (ever 30+) and M3+ (ever 90+) shares by month on book.

    ``loans`` has ``cohort`` (origination month), ``principal_fen``, ``m1_month`` and ``m3_month``
    (the month the loan was first 30+ / 90+, missing if never), optionally ``loans`` and the
    grouping column ``by`` (default: the cohort). A loan counts at month on book ``k`` when the
    end of month ``cohort + k`` is on or before ``as_of``; pooled groups (``by`` a dimension) count
    at each ``k`` only the loans observed that long.

    Returns one row per (group, mob) with ``loans``, ``principal_fen``, ``m1_loans``,
    ``m1_principal_fen``, ``m1_share``, ``m1_balance_share`` and the same for ``m3``.
    """
    _require(loans, "loans", ["cohort", "principal_fen", "m1_month", "m3_month"])
    key = "cohort" if by is None else by
    if key not in loans.columns:
        raise ValueError(f"by={by!r} is not a column of loans; it has {list(loans.columns)}")
    columns = [key, "mob", "loans", "principal_fen"] + [
        f"{m}_{c}"
        for m in ("m1", "m3")
        for c in ("loans", "principal_fen", "share", "balance_share")
    ]
    if len(loans) == 0:
        return pd.DataFrame(columns=columns)
    cohort = month_ordinal(loans["cohort"])
    if np.isnan(cohort).any():
        raise ValueError("cohort must be given for every loan")
    last = month_ordinal([last_month_end(as_of)])[0]
    max_mob = (last - cohort).astype(np.int64)
    keep = max_mob >= 0
    frame = loans.loc[keep]
    cohort, max_mob = cohort[keep], max_mob[keep]
    if len(frame) == 0:
        return pd.DataFrame(columns=columns)
    groups, g = np.unique(frame[key].astype(str).to_numpy(), return_inverse=True)
    n_groups, width = len(groups), int(max_mob.max()) + 2
    w = _weights(frame)
    p = np.asarray(frame["principal_fen"], dtype=np.float64)

    def cumulative(values: FloatArray, start: IntArray, valid: npt.NDArray[np.bool_]) -> FloatArray:
        grid = np.zeros((n_groups, width), dtype=np.float64)
        np.add.at(grid, (g[valid], start[valid]), values[valid])
        np.add.at(grid, (g[valid], max_mob[valid] + 1), -values[valid])
        return np.cumsum(grid, axis=1)[:, :-1]

    everyone = np.ones(len(frame), dtype=bool)
    zeros = np.zeros(len(frame), dtype=np.int64)
    den_n, den_p = cumulative(w, zeros, everyone), cumulative(p, zeros, everyone)
    result: dict[str, Any] = {}
    for m in ("m1", "m3"):
        event = month_ordinal(frame[f"{m}_month"]) - cohort
        hit = ~np.isnan(event)
        mob = np.where(hit, event, 0).astype(np.int64)
        if (mob[hit] < 0).any():
            raise ValueError(f"{m}_month must not precede the cohort")
        hit &= mob <= max_mob
        result[f"{m}_loans"] = cumulative(w, mob, hit)
        result[f"{m}_principal_fen"] = cumulative(p, mob, hit)
    gi, k = np.nonzero(den_n > 0)
    out = pd.DataFrame(
        {
            key: groups[gi],
            "mob": k.astype(np.int64),
            "loans": den_n[gi, k].round().astype(np.int64),
            "principal_fen": den_p[gi, k].round().astype(np.int64),
        }
    )
    for m in ("m1", "m3"):
        n_hit, p_hit = result[f"{m}_loans"][gi, k], result[f"{m}_principal_fen"][gi, k]
        out[f"{m}_loans"] = n_hit.round().astype(np.int64)
        out[f"{m}_principal_fen"] = p_hit.round().astype(np.int64)
        out[f"{m}_share"] = _ratio(n_hit, den_n[gi, k])
        out[f"{m}_balance_share"] = _ratio(p_hit, den_p[gi, k])
    return out[columns].reset_index(drop=True)


# --------------------------------------------------------------------------- first-payment default


def is_fpd30(first_due_on: Any, first_dpd30_on: Any) -> npt.NDArray[np.bool_]:
    """Whether each loan is a first-payment default (30+ exactly ``FPD_DAYS`` after its first
    due date)."""
    due = pd.to_datetime(pd.Series(first_due_on, dtype=object))
    hit = pd.to_datetime(pd.Series(first_dpd30_on, dtype=object))
    days = (hit - due).dt.days
    return np.asarray(days.eq(FPD_DAYS).fillna(False), dtype=bool)


def fpd_observable(first_due_on: Any, as_of: date) -> npt.NDArray[np.bool_]:
    """Whether each loan's first instalment is old enough to tell (``first_due + 31 <= as_of``)."""
    due = pd.to_datetime(pd.Series(first_due_on, dtype=object))
    limit = pd.Timestamp(as_of - timedelta(days=FPD_DAYS))
    return np.asarray(due <= limit, dtype=bool)


def first_payment_default(frame: pd.DataFrame, *, by: str = "cohort") -> pd.DataFrame:
    """FPD30 by ``by``: rows have ``observable`` and ``fpd`` (booleans), ``principal_fen`` and
    optionally ``loans``. Returns ``by``, ``loans`` (observable), ``fpd_loans``, ``fpd_rate``,
    ``principal_fen``, ``fpd_principal_fen`` and ``fpd_balance_rate``; groups with no observable
    loan are left out."""
    _require(frame, "frame", [by, "observable", "fpd", "principal_fen"])
    seen = np.asarray(frame["observable"], dtype=bool)
    if (np.asarray(frame["fpd"], dtype=bool) & ~seen).any():
        raise ValueError("a first-payment default must be observable")
    part = frame.loc[seen]
    w = _weights(part)
    f = np.asarray(part["fpd"], dtype=bool)
    p = np.asarray(part["principal_fen"], dtype=np.float64)
    work = pd.DataFrame(
        {
            by: part[by].astype(str).to_numpy(),
            "loans": w,
            "fpd_loans": np.where(f, w, 0.0),
            "principal_fen": p,
            "fpd_principal_fen": np.where(f, p, 0.0),
        }
    )
    out = work.groupby(by, sort=True, as_index=False).sum()
    for col in ("loans", "fpd_loans", "principal_fen", "fpd_principal_fen"):
        out[col] = out[col].round().astype(np.int64)
    out["fpd_rate"] = _ratio(out["fpd_loans"], out["loans"])
    out["fpd_balance_rate"] = _ratio(out["fpd_principal_fen"], out["principal_fen"])
    return out[
        [by, "loans", "fpd_loans", "fpd_rate", "principal_fen", "fpd_principal_fen",
         "fpd_balance_rate"]
    ].reset_index(drop=True)  # fmt: skip


# --------------------------------------------------------------------------- funnel


def funnel_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds ``approval_rate`` (approved ÷ decided), ``pass_through`` (disbursed ÷ applications)
    and ``take_up`` (disbursed ÷ approved) to a frame of counts ``applications``, ``decided``,
    ``approved``, ``disbursed`` (NaN where the denominator is 0)."""
    _require(frame, "frame", ["applications", "decided", "approved", "disbursed"])
    counts = frame[["applications", "decided", "approved", "disbursed"]].to_numpy(dtype=np.int64)
    if (counts < 0).any():
        raise ValueError("counts must be >= 0")
    apps, decided, approved, disbursed = counts.T
    if (approved > decided).any() or (disbursed > approved).any() or (decided > apps).any():
        raise ValueError(
            "counts must narrow down the funnel: disbursed <= approved <= decided <= applications"
        )
    out = frame.copy()
    out["approval_rate"] = _ratio(approved, decided)
    out["pass_through"] = _ratio(disbursed, apps)
    out["take_up"] = _ratio(disbursed, approved)
    return out


# --------------------------------------------------------------------------- concentration


@dataclass(frozen=True)
class Concentration:
    """Shares of the balance by key (largest first, with rank and cumulative share), the top-N
    share, the HHI (0..1) and its equivalent number of keys."""

    table: pd.DataFrame
    top_n: int
    top_share: float
    hhi: float
    equivalent_n: float


def concentration(frame: pd.DataFrame, *, key: str = "key", top_n: int = 5) -> Concentration:
    """Concentration of ``balance_fen`` over ``key`` (rows of the same key are added up)."""
    _require(frame, "frame", [key, "balance_fen"])
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        raise ValueError(f"top_n must be an int >= 1; got {top_n!r}")
    work = pd.DataFrame(
        {
            key: frame[key].astype(str).to_numpy(),
            "loans": _weights(frame),
            "balance_fen": np.asarray(frame["balance_fen"], dtype=np.float64),
        }
    )
    if (work["balance_fen"] < 0).any():
        raise ValueError("balance_fen must be >= 0")
    table = work.groupby(key, as_index=False).sum()
    table = table.sort_values(["balance_fen", key], ascending=[False, True]).reset_index(drop=True)
    total = float(table["balance_fen"].sum())
    share = table["balance_fen"] / total if total > 0 else table["balance_fen"] * 0.0
    table["loans"] = table["loans"].round().astype(np.int64)
    table["balance_fen"] = table["balance_fen"].round().astype(np.int64)
    table["share"] = share.astype(np.float64)
    table["cumulative_share"] = table["share"].cumsum()
    table.insert(0, "rank", np.arange(1, len(table) + 1, dtype=np.int64))
    hhi = float((share**2).sum()) if total > 0 else float("nan")
    return Concentration(
        table=table,
        top_n=top_n,
        top_share=float(share.iloc[:top_n].sum()) if total > 0 else float("nan"),
        hhi=hhi,
        equivalent_n=1.0 / hhi if total > 0 else float("nan"),
    )


# --------------------------------------------------------------------------- applicant stability


def applicant_stability(
    baseline: pd.DataFrame,
    recent: pd.DataFrame,
    *,
    score: str = "score",
    features: Sequence[str] = (),
    bins: int = 10,
) -> tuple[stability.PSIResult, pd.DataFrame]:
    """PSI of the score (``bins`` quantile bins of the baseline) and CSI of ``features`` between
    a baseline and a recent applicant population (``analytics.stability``)."""
    _require(baseline, "baseline", [score, *features])
    _require(recent, "recent", [score, *features])
    score_psi = stability.psi(
        baseline[score].to_numpy(dtype=np.float64), recent[score].to_numpy(dtype=np.float64), bins
    )
    table = (
        stability.csi(baseline, recent, list(features), bins=bins)
        if features
        else pd.DataFrame(columns=["variable", "kind", "n_bins", "psi", "band"])
    )
    return score_psi, table
