"""Portfolio analytics of the loan book (issue 5, item 4): the headline and its trend over month
ends, roll and flow rates, vintage curves and first-payment default, concentration, and the
applicant funnel and population stability. SQL aggregates come from ``repository_portfolio``; the
arithmetic and the definitions (30+ / 90+, M1+ / M3+, FPD30, HHI ...) are
``analytics.portfolio``'s. Nothing here writes.

``vintage_report(session, as_of)`` and ``roll_rate_report(session, as_of)`` are the two reports
``bench/daily_close.py`` times on a million loans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from loanpilot.analytics import portfolio as pf
from loanpilot.analytics import stability
from loanpilot.customers.rules import age_on
from loanpilot.kit.clock import SHANGHAI
from loanpilot.risk import repository_portfolio as repo
from loanpilot.risk.repository_portfolio_slices import DIMENSIONS, Filters
from loanpilot.risk.rules import FIVE_CLASSES, NON_PERFORMING_CLASSES

__all__ = [
    "DIMENSIONS",
    "ApplicantReport",
    "Filters",
    "Overview",
    "RollRateReport",
    "VintageReport",
    "applicant_report",
    "concentration_report",
    "month_ends",
    "overview",
    "roll_rate_report",
    "vintage_report",
]

#: Application features whose stability is watched (besides the score).
PSI_FEATURES: tuple[str, ...] = ("amount_yuan", "term_months", "monthly_income_yuan", "age",
                                 "occupation", "channel")  # fmt: skip
#: The baseline population: the first months of submissions, at least ``BASELINE_MONTHS`` of
#: them and as many more as it takes to hold ``BASELINE_MIN_APPLICANTS`` scored applicants (a
#: bank's first months are often thin), never reaching into the month watched.
BASELINE_MONTHS = 3
BASELINE_MIN_APPLICANTS = 200


def month_ends(as_of: date, count: int) -> list[date]:
    """The last ``count`` month ends on or before ``as_of``, ascending."""
    end = pf.last_month_end(as_of)
    out = [end]
    for _ in range(count - 1):
        out.append(pf.last_month_end(out[-1].replace(day=1) - timedelta(days=1)))
    return sorted(out)


def _month_start(ordinal: int) -> date:
    year, m0 = divmod(ordinal, 12)
    return date(year, m0 + 1, 1)


# --------------------------------------------------------------------------- vintages


@dataclass(frozen=True)
class VintageReport:
    """Vintage curves (``analytics.portfolio.vintage_curves``) by origination month, or pooled
    by the dimension ``by``, and FPD30 by origination month."""

    as_of: date
    by: str | None
    curves: pd.DataFrame
    fpd: pd.DataFrame
    loans: int


def vintage_report(
    session: Session, as_of: date, filters: Filters | None = None, by: str | None = None
) -> VintageReport:
    """Vintage curves and first-payment default of the loans disbursed by ``as_of``."""
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"by must be one of {DIMENSIONS}; got {by!r}")
    rows = pd.DataFrame(
        repo.vintage_rows(session, as_of, filters or Filters(), by),
        columns=["cohort", "m1_month", "m3_month", "observable", "fpd", "key", "loans",
                 "principal_fen"],
    )  # fmt: skip
    curves = pf.vintage_curves(rows, as_of, by=None if by is None else "key")
    fpd = pf.first_payment_default(rows)
    return VintageReport(as_of, by, curves, fpd, int(rows["loans"].sum()))


# --------------------------------------------------------------------------- roll rates


@dataclass(frozen=True)
class RollRateReport:
    """The roll-rate matrices between the last two month ends with snapshots (``start`` →
    ``end``), their flow rates, and the flow rates of earlier month pairs (``trend``: one row per
    pair and bucket)."""

    as_of: date
    start: date | None
    end: date | None
    roll: pf.RollRates | None
    flows: pd.DataFrame
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)


def roll_rate_report(
    session: Session, as_of: date, filters: Filters | None = None, months: int = 1
) -> RollRateReport:
    """Roll rates between the month ends before ``as_of`` and the flow-rate trend over ``months``
    month pairs (1: the latest pair only)."""
    f = filters or Filters()
    days = repo.snapshot_days(session, month_ends(as_of, months + 1))
    if len(days) < 2:
        return RollRateReport(as_of, None, None, None, pd.DataFrame())
    trend = []
    roll: pf.RollRates | None = None
    for start, end in pairwise(days):
        if pf.last_month_end(end.replace(day=1) - timedelta(days=1)) != start:
            continue  # a month end without snapshots: no one-month transition
        roll = pf.roll_rates(
            pd.DataFrame(
                repo.transitions(session, start, end, f),
                columns=["from_bucket", "to_state", "loans", "balance_fen"],
            )
        )
        flows = pf.flow_rates(roll)
        flows.insert(0, "month", end.isoformat()[:7])
        trend.append(flows)
    if roll is None:
        return RollRateReport(as_of, None, None, None, pd.DataFrame())
    latest = trend[-1].drop(columns="month")
    return RollRateReport(
        as_of, days[-2], days[-1], roll, latest, pd.concat(trend, ignore_index=True)
    )


# --------------------------------------------------------------------------- the book


@dataclass(frozen=True)
class Overview:
    """The repaying book today: balance, NPL (次级+可疑+损失), 30+ and any-overdue balances, by
    class and by bucket; and the same figures at each month end (``trend``)."""

    as_of: date
    loans: int
    balance_fen: int
    npl_fen: int
    dpd30_fen: int
    overdue_fen: int
    by_class: dict[str, int]
    by_bucket: dict[str, int]
    trend: list[dict[str, object]]

    @property
    def npl_ratio(self) -> float | None:
        return self.npl_fen / self.balance_fen if self.balance_fen else None

    @property
    def dpd30_ratio(self) -> float | None:
        return self.dpd30_fen / self.balance_fen if self.balance_fen else None

    @property
    def overdue_ratio(self) -> float | None:
        return self.overdue_fen / self.balance_fen if self.balance_fen else None


def _figures(frame: pd.DataFrame) -> dict[str, int]:
    bal = frame["balance_fen"]
    return {
        "loans": int(frame["loans"].sum()),
        "balance_fen": int(bal.sum()),
        "npl_fen": int(bal[frame["five_class"].isin(NON_PERFORMING_CLASSES)].sum()),
        "dpd30_fen": int(bal[frame["bucket"].isin(pf.BUCKETS_30)].sum()),
        "overdue_fen": int(bal[frame["bucket"] != "M0"].sum()),
    }


def overview(
    session: Session, as_of: date, filters: Filters | None = None, months: int = 12
) -> Overview:
    """The headline of the book on ``as_of`` and its trend over ``months`` month ends."""
    f = filters or Filters()
    cols = ["bucket", "five_class", "key", "loans", "balance_fen"]
    now = pd.DataFrame(repo.book(session, as_of, f), columns=cols)
    figures = _figures(now)
    by_class = now.groupby("five_class")["balance_fen"].sum()
    by_bucket = now.groupby("bucket")["balance_fen"].sum()
    hist = pd.DataFrame(
        repo.history(session, month_ends(as_of, months), f),
        columns=["as_of", "bucket", "five_class", "loans", "balance_fen"],
    )
    trend: list[dict[str, object]] = []
    for day, part in hist.groupby("as_of", sort=True):
        fig = _figures(part)
        bal = fig["balance_fen"]
        trend.append(
            {
                "as_of": day,
                **fig,
                "npl_ratio": fig["npl_fen"] / bal if bal else None,
                "dpd30_ratio": fig["dpd30_fen"] / bal if bal else None,
                "overdue_ratio": fig["overdue_fen"] / bal if bal else None,
            }
        )
    return Overview(
        as_of=as_of,
        **figures,
        by_class={c: int(by_class.get(c, 0)) for c in FIVE_CLASSES},
        by_bucket={b: int(by_bucket.get(b, 0)) for b in pf.BUCKETS},
        trend=trend,
    )


def concentration_report(
    session: Session, as_of: date, dimension: str, filters: Filters | None = None, top_n: int = 5
) -> pf.Concentration:
    """Concentration of the repaying balance by ``dimension`` (an empty key: none recorded)."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {DIMENSIONS}; got {dimension!r}")
    rows = pd.DataFrame(
        repo.book(session, as_of, filters or Filters(), dimension),
        columns=["bucket", "five_class", "key", "loans", "balance_fen"],
    )
    return pf.concentration(rows, key="key", top_n=top_n)


# --------------------------------------------------------------------------- applicants


@dataclass(frozen=True)
class ApplicantReport:
    """The funnel by submission month (``funnel``: month, counts and rates), and the stability of
    the latest complete month's applicants against the first months of submissions (see
    ``BASELINE_MIN_APPLICANTS``; None when the history is too short)."""

    as_of: date
    funnel: pd.DataFrame
    baseline: tuple[str, str] | None = None
    recent: str | None = None
    score_psi: stability.PSIResult | None = None
    features: pd.DataFrame | None = None
    counts: tuple[int, int] = (0, 0)


def _utc_month_start(ordinal: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(_month_start(ordinal), time(0), tzinfo=tz).astimezone(UTC)


def _applicant_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Applicants as features: amounts in yuan, the age at submission."""
    frame = pd.DataFrame(
        rows,
        columns=["score", "submitted_at", "amount_fen", "term_months", "monthly_income_fen",
                 "birth_date", "occupation", "channel"],
    )  # fmt: skip
    return pd.DataFrame(
        {
            "score": pd.to_numeric(frame["score"], errors="coerce"),
            "amount_yuan": frame["amount_fen"].astype(np.float64) / 100,
            "term_months": frame["term_months"].astype(np.float64),
            "monthly_income_yuan": frame["monthly_income_fen"].astype(np.float64) / 100,
            "age": [
                float(age_on(b, at.date())) if b is not None and at is not None else np.nan
                for b, at in zip(frame["birth_date"], frame["submitted_at"], strict=True)
            ],
            "occupation": frame["occupation"].astype(object),
            "channel": frame["channel"].astype(object),
        }
    )


def _baseline_end(session: Session, first: int, recent: int, tz: ZoneInfo) -> int | None:
    """The month after the baseline (see ``BASELINE_MIN_APPLICANTS``); None if too short."""
    if recent < first + BASELINE_MONTHS:
        return None
    bounds = [_utc_month_start(o, tz) for o in range(first, recent + 1)]
    counts = np.zeros(recent - first, dtype=np.int64)
    for period, n in repo.scored_by_period(session, bounds):
        counts[period] = n
    enough = np.flatnonzero(np.cumsum(counts) >= BASELINE_MIN_APPLICANTS)
    months = max(BASELINE_MONTHS, int(enough[0]) + 1 if enough.size else recent - first)
    return first + months


def applicant_report(
    session: Session,
    as_of: date,
    filters: Filters | None = None,
    months: int = 12,
    tz: ZoneInfo = SHANGHAI,
) -> ApplicantReport:
    """Approval and pass-through rates over ``months`` submission months up to ``as_of``, and the
    PSI of the applicant population (score and key features)."""
    f = filters or Filters()
    last = int(pf.month_ordinal([as_of])[0])
    ordinals = list(range(last - months + 1, last + 2))
    bounds = [_utc_month_start(o, tz) for o in ordinals]
    counts = {r["period"]: r for r in repo.funnel(session, bounds, as_of, f)}
    table = pd.DataFrame(
        [
            {
                "month": pf.month_label(o),
                **{
                    k: int(counts.get(i, {}).get(k, 0))
                    for k in ("applications", "decided", "approved", "disbursed")
                },
            }
            for i, o in enumerate(ordinals[:-1])
        ]
    )
    funnel = pf.funnel_rates(table)
    first = repo.first_submission(session)
    if first is None:
        return ApplicantReport(as_of, funnel)
    first_ord = int(pf.month_ordinal([first.astimezone(tz).date()])[0])
    recent = int(pf.month_ordinal([pf.last_month_end(as_of)])[0])
    base_end = _baseline_end(session, first_ord, recent, tz)
    if base_end is None:
        return ApplicantReport(as_of, funnel)
    base = _applicant_frame(
        repo.applicants(session, _utc_month_start(first_ord, tz), _utc_month_start(base_end, tz), f)
    )
    now = _applicant_frame(
        repo.applicants(session, _utc_month_start(recent, tz), _utc_month_start(recent + 1, tz), f)
    )
    base_scored, now_scored = base.dropna(subset=["score"]), now.dropna(subset=["score"])
    if base_scored.empty or now_scored.empty:
        return ApplicantReport(as_of, funnel)
    score_psi, features = pf.applicant_stability(base_scored, now_scored, features=PSI_FEATURES)
    return ApplicantReport(
        as_of,
        funnel,
        baseline=(pf.month_label(first_ord), pf.month_label(base_end - 1)),
        recent=pf.month_label(recent),
        score_psi=score_psi,
        features=features,
        counts=(len(base_scored), len(now_scored)),
    )
