"""Headline figures of the bank's personal-loan book (效果评估: 经营概览).

``headline_figures(session, today)`` reads the database through this area's repository and returns
a frozen ``HeadlineFigures``. It never commits: the entry point owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from loanpilot.analytics.finance import add_months
from loanpilot.evaluation import repository
from loanpilot.kit.clock import SHANGHAI, month_start
from loanpilot.kit.errors import DomainError
from loanpilot.risk.models import NON_PERFORMING, FiveClass

#: Months in the small chart, the current month included.
SERIES_MONTHS = 12

#: Five-category classes in their regulatory order (正常, 关注, 次级, 可疑, 损失).
FIVE_CLASS_ORDER: tuple[str, ...] = tuple(str(c.value) for c in FiveClass)
NPL_CLASSES: frozenset[str] = frozenset(str(c.value) for c in NON_PERFORMING)


class SchemaNotReadyError(DomainError):
    """The database exists but has not been migrated (``loanpilot db upgrade``)."""


class MonthFigures(NamedTuple):
    """One business month of the series: ``("2026-05", applications, disbursed_fen)``."""

    month: str
    applications: int
    disbursed_fen: int


@dataclass(frozen=True)
class HeadlineFigures:
    """The bank's headline figures on a business date (money in integer fen)."""

    as_of: date
    customers: int
    customers_with_consent: int
    active_loans: int
    outstanding_balance_fen: int
    npl_balance_fen: int
    npl_ratio: Decimal | None
    applications_this_month: int
    approved_this_month: int
    disbursed_this_month_fen: int
    by_five_class: dict[str, int]
    monthly: list[MonthFigures]

    @property
    def has_data(self) -> bool:
        """False for an empty bank (no customers yet): nothing to show but how to build the demo."""
        return self.customers > 0


def month_starts(today: date, months: int) -> list[date]:
    """``months + 1`` month starts: the first of the oldest month up to the first of next month."""
    first = add_months(month_start(today), -(months - 1))
    return [add_months(first, i) for i in range(months + 1)]


def start_instant(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which business date ``day`` begins in ``tz``."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def npl_ratio(npl_balance_fen: int, outstanding_balance_fen: int) -> Decimal | None:
    """Non-performing balance ÷ outstanding balance; None when nothing is outstanding."""
    if outstanding_balance_fen == 0:
        return None
    return Decimal(npl_balance_fen) / Decimal(outstanding_balance_fen)


def approval_rate(approved: int, decided: int) -> Decimal | None:
    """Approved ÷ decided applications (see ``repository.APPROVED``/``DECIDED``); None when none
    was decided."""
    if decided == 0:
        return None
    return Decimal(approved) / Decimal(decided)


def ensure_schema(session: Session) -> None:
    """Raise ``SchemaNotReadyError`` if the tables the figures need do not exist."""
    missing = repository.missing_tables(session)
    if missing:
        raise SchemaNotReadyError(
            "database.not_migrated",
            f"the database has no {', '.join(missing)} table(s): run `loanpilot db upgrade`",
        )


def headline_figures(
    session: Session, today: date, *, tz: ZoneInfo = SHANGHAI, months: int = SERIES_MONTHS
) -> HeadlineFigures:
    """The headline figures as of business date ``today`` (in ``tz``, Asia/Shanghai by default).

    "This month" is the business month of ``today``: its bounds are converted to UTC instants for
    timestamps (applications' ``submitted_at``, decisions' ``decided_at``) and kept as dates for
    ``disbursed_on``. "Approved this month" counts applications with an approve decision made this
    month, whatever became of them since (an offer declined later still counts).
    """
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    ensure_schema(session)

    customers, with_consent = repository.customer_counts(session)
    active_loans = repository.count_active_loans(session)
    balances = repository.repaying_balance_by_class(session)
    by_five_class = {name: balances.get(name, 0) for name in FIVE_CLASS_ORDER}
    by_five_class.update(
        {name: total for name, total in balances.items() if name not in by_five_class}
    )
    outstanding = sum(by_five_class.values())
    npl = sum(total for name, total in by_five_class.items() if name in NPL_CLASSES)

    starts = month_starts(today, months)
    instants = [start_instant(day, tz) for day in starts]
    applications = repository.applications_submitted_by_period(session, instants)
    disbursed = repository.disbursed_by_period(session, starts)
    approved = repository.count_approved(session, instants[-2], instants[-1])
    monthly = [
        MonthFigures(f"{day.year:04d}-{day.month:02d}", count, fen)
        for day, count, fen in zip(starts[:-1], applications, disbursed, strict=True)
    ]

    return HeadlineFigures(
        as_of=today,
        customers=customers,
        customers_with_consent=with_consent,
        active_loans=active_loans,
        outstanding_balance_fen=outstanding,
        npl_balance_fen=npl,
        npl_ratio=npl_ratio(npl, outstanding),
        applications_this_month=monthly[-1].applications,
        approved_this_month=approved,
        disbursed_this_month_fen=monthly[-1].disbursed_fen,
        by_five_class=by_five_class,
        monthly=monthly,
    )
