"""SQL of the evaluation area (效果评估): the headline figures of the bank's personal-loan book.

Every query is a portable SQLAlchemy 2 ``select()``: conditional sums (``SUM(CASE …)``) instead of
``FILTER`` or ``strftime``, so SQLite and PostgreSQL give the same answers. Month bounds are passed
in as UTC instants (for timestamps) or business dates (for date columns); nothing here reads a clock.

A combination loan (组合贷) is two sibling loans, each carrying its own balance: the commercial part
and the provident-fund part, which names the commercial part as its ``parent_loan_id``. Money is
therefore summed over every loan; loans are counted as customers see them, top-level loans only
(one 组合贷 is one loan).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, case, func, inspect, select
from sqlalchemy.orm import Session

from loanpilot.customers.models import Customer
from loanpilot.lending.models import Application, Loan, LoanStatus
from loanpilot.risk.models import Decision, DecisionOutcome

#: Tables the headline figures read; if one is missing the database has not been migrated.
REQUIRED_TABLES = ("customers", "applications", "loans", "decisions")


def _int(value: Any) -> int:
    """Aggregates come back as int (SQLite), Decimal (PostgreSQL ``SUM(bigint)``) or None."""
    return int(value) if value is not None else 0


def missing_tables(session: Session) -> list[str]:
    """The required tables that do not exist (an empty list when the schema is in place)."""
    inspector = inspect(session.connection())
    return [name for name in REQUIRED_TABLES if not inspector.has_table(name)]


def customer_counts(session: Session) -> tuple[int, int]:
    """(all customers, customers who consent to marketing and have not opted out)."""
    consenting = and_(Customer.marketing_consent.is_(True), Customer.opted_out_at.is_(None))
    stmt = select(
        func.count(Customer.id),
        func.coalesce(func.sum(case((consenting, 1), else_=0)), 0),
    )
    total, with_consent = session.execute(stmt).one()
    return _int(total), _int(with_consent)


def count_active_loans(session: Session) -> int:
    """Top-level loans being repaid (a combination loan counts once)."""
    stmt = select(func.count(Loan.id)).where(
        Loan.status == LoanStatus.REPAYING, Loan.parent_loan_id.is_(None)
    )
    return _int(session.execute(stmt).scalar_one())


def repaying_balance_by_class(session: Session) -> dict[str, int]:
    """Outstanding principal (fen) of repaying loans, by five-category class."""
    stmt = (
        select(Loan.five_class, func.sum(Loan.outstanding_principal_fen))
        .where(Loan.status == LoanStatus.REPAYING)
        .group_by(Loan.five_class)
    )
    return {str(five_class): _int(total) for five_class, total in session.execute(stmt)}


def applications_submitted_by_period(session: Session, bounds: Sequence[datetime]) -> list[int]:
    """Applications submitted in each half-open period ``[bounds[i], bounds[i + 1])`` (UTC)."""
    if len(bounds) < 2:
        return []
    submitted = Application.submitted_at
    columns = [
        func.coalesce(func.sum(case((and_(submitted >= lo, submitted < hi), 1), else_=0)), 0).label(
            f"p{i}"
        )
        for i, (lo, hi) in enumerate(pairwise(bounds))
    ]
    stmt = select(*columns).where(submitted >= bounds[0], submitted < bounds[-1])
    return [_int(value) for value in session.execute(stmt).one()]


def count_approved(session: Session, start: datetime, end: datetime) -> int:
    """Applications with an "approve" decision made in ``[start, end)`` (UTC), each counted once.

    Read from the decisions, not the application's current status: an approval stays an approval
    whatever happened next, including an offer the applicant later declined (status withdrawn).
    """
    stmt = select(func.count(func.distinct(Decision.application_id))).where(
        Decision.outcome == DecisionOutcome.APPROVE,
        Decision.decided_at >= start,
        Decision.decided_at < end,
    )
    return _int(session.execute(stmt).scalar_one())


def disbursed_by_period(session: Session, bounds: Sequence[date]) -> list[int]:
    """Principal (fen) of loans disbursed in each half-open period of business dates."""
    if len(bounds) < 2:
        return []
    disbursed = Loan.disbursed_on
    columns = [
        func.coalesce(
            func.sum(case((and_(disbursed >= lo, disbursed < hi), Loan.principal_fen), else_=0)),
            0,
        ).label(f"p{i}")
        for i, (lo, hi) in enumerate(pairwise(bounds))
    ]
    stmt = select(*columns).where(disbursed >= bounds[0], disbursed < bounds[-1])
    return [_int(value) for value in session.execute(stmt).one()]
