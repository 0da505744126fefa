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
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, func, inspect, literal, or_, select
from sqlalchemy.orm import Session

from loanpilot.customers.models import Customer
from loanpilot.lending.models import Application, Loan, LoanStatus
from loanpilot.products.models import LoanProduct
from loanpilot.risk.models import Decision
from loanpilot.risk.rules import DecisionOutcome
from loanpilot.team.models import Branch

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


def has_customers(session: Session) -> bool:
    """Whether the bank has any customer yet (one indexed row read)."""
    return session.execute(select(Customer.id).limit(1)).first() is not None


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


#: An approval: a decision with outcome "approve". Counted per application (an application approved
#: twice in a period is one approval), read from the decisions, not the application's current
#: status: an approval stays an approval whatever happened next, including an offer the applicant
#: later declined (status withdrawn).
APPROVED = Decision.outcome == DecisionOutcome.APPROVE
#: A decided application: a final outcome (approve or decline); a referral to manual review is not
#: a decision yet. The approval rate is approved ÷ decided applications, both counted per
#: application over the decisions made in the period.
DECIDED = or_(
    Decision.outcome == DecisionOutcome.APPROVE, Decision.outcome == DecisionOutcome.DECLINE
)


def approved_applications() -> ColumnElement[int]:
    """``COUNT(DISTINCT application)`` of the approvals among the selected decisions."""
    return func.count(func.distinct(case((APPROVED, Decision.application_id))))


def decided_applications() -> ColumnElement[int]:
    """``COUNT(DISTINCT application)`` of the final decisions among the selected decisions."""
    return func.count(func.distinct(case((DECIDED, Decision.application_id))))


def count_approved(session: Session, start: datetime, end: datetime) -> int:
    """Applications with an "approve" decision made in ``[start, end)`` (UTC), each counted once
    (see ``APPROVED``)."""
    stmt = select(approved_applications()).where(
        Decision.decided_at >= start, Decision.decided_at < end
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


# --- the console dashboard: the same figures sliced by month, branch, product and channel -----------
#
# Each query groups in the database by (month index, branch) or by branch, so what comes back is at
# most a few hundred small rows whatever the size of the bank. The month index is a ``CASE`` over
# the month bounds (portable, and it keeps Asia/Shanghai months exact for UTC timestamps).


_S = TypeVar("_S", bound=Select)  # type: ignore[type-arg]


@dataclass(frozen=True)
class Slice:
    """Which applications and loans the dashboard counts; None means no restriction.

    ``branch_ids`` restricts to loans/applications booked at those branches (a branch filter, or
    a branch head's scope); ``manager_id`` to those a customer manager looks after (OWN scope).
    """

    branch_ids: frozenset[int] | None = None
    product_id: int | None = None
    channel: str | None = None
    manager_id: int | None = None


def _restrict(
    stmt: _S,
    where: Slice,
    *,
    branch: Any,
    product: Any,
    channel: Any,
    manager: Any,
) -> _S:
    if where.branch_ids is not None:
        stmt = stmt.where(branch.in_(sorted(where.branch_ids)))
    if where.product_id is not None:
        stmt = stmt.where(product == where.product_id)
    if where.channel is not None:
        stmt = stmt.where(channel == where.channel)
    if where.manager_id is not None:
        stmt = stmt.where(manager == where.manager_id)
    return stmt


def _on_applications(stmt: _S, where: Slice) -> _S:
    return _restrict(
        stmt,
        where,
        branch=Application.branch_id,
        product=Application.product_id,
        channel=Application.channel,
        manager=Application.manager_id,
    )


def _on_loans(stmt: _S, where: Slice) -> _S:
    return _restrict(
        stmt,
        where,
        branch=Loan.branch_id,
        product=Loan.product_id,
        channel=Loan.channel,
        manager=Loan.manager_id,
    )


def _period_index(column: Any, bounds: Sequence[Any]) -> Any:
    """0 for the first period of ``bounds`` … n-1 for the last (rows are already within bounds)."""
    last = len(bounds) - 2
    if last == 0:
        return literal(0)
    return case(*[(column < hi, i) for i, hi in enumerate(bounds[1:-1])], else_=last)


def applications_by_month_branch(
    session: Session, bounds: Sequence[datetime], where: Slice
) -> list[tuple[int, int | None, int]]:
    """(month index, branch id, applications submitted) for the periods of ``bounds`` (UTC)."""
    submitted = Application.submitted_at
    index = _period_index(submitted, bounds).label("period")
    stmt = select(index, Application.branch_id, func.count()).where(
        submitted >= bounds[0], submitted < bounds[-1]
    )
    stmt = _on_applications(stmt, where).group_by(index, Application.branch_id)
    return [(int(i), b, _int(n)) for i, b, n in session.execute(stmt)]


def _decisions(stmt: _S, start: datetime, end: datetime, where: Slice) -> _S:
    stmt = stmt.where(Decision.decided_at >= start, Decision.decided_at < end)
    if where == Slice():
        return stmt
    return _on_applications(
        stmt.join(Application, Application.id == Decision.application_id), where
    )


def decisions_by_month(
    session: Session, bounds: Sequence[datetime], where: Slice
) -> list[tuple[int, int, int]]:
    """(month index, approved applications, decided applications) per period of ``bounds``."""
    index = _period_index(Decision.decided_at, bounds).label("period")
    stmt = select(index, approved_applications(), decided_applications())
    stmt = _decisions(stmt, bounds[0], bounds[-1], where).group_by(index)
    return [(int(i), _int(a), _int(d)) for i, a, d in session.execute(stmt)]


def decisions_by_branch(
    session: Session, start: datetime, end: datetime, where: Slice
) -> list[tuple[int | None, int, int]]:
    """(branch id, approved applications, decided applications) over ``[start, end)``; each
    application is counted once over the whole period."""
    stmt = select(Application.branch_id, approved_applications(), decided_applications())
    stmt = stmt.join(Application, Application.id == Decision.application_id)
    stmt = _on_applications(
        stmt.where(Decision.decided_at >= start, Decision.decided_at < end), where
    ).group_by(Application.branch_id)
    return [(b, _int(a), _int(d)) for b, a, d in session.execute(stmt)]


def disbursed_by_month_branch(
    session: Session, bounds: Sequence[date], where: Slice
) -> list[tuple[int, int, int]]:
    """(month index, branch id, principal disbursed in fen) per period of business dates."""
    disbursed = Loan.disbursed_on
    index = _period_index(disbursed, bounds).label("period")
    stmt = select(index, Loan.branch_id, func.sum(Loan.principal_fen)).where(
        disbursed >= bounds[0], disbursed < bounds[-1]
    )
    stmt = _on_loans(stmt, where).group_by(index, Loan.branch_id)
    return [(int(i), b, _int(fen)) for i, b, fen in session.execute(stmt)]


def balance_by_branch(
    session: Session, where: Slice, npl_classes: Sequence[str]
) -> list[tuple[int, int, int]]:
    """(branch id, outstanding principal, of which non-performing) of repaying loans, in fen."""
    npl = Loan.five_class.in_(list(npl_classes))
    stmt = select(
        Loan.branch_id,
        func.sum(Loan.outstanding_principal_fen),
        func.sum(case((npl, Loan.outstanding_principal_fen), else_=0)),
    ).where(Loan.status == LoanStatus.REPAYING)
    stmt = _on_loans(stmt, where).group_by(Loan.branch_id)
    return [(b, _int(total), _int(bad)) for b, total, bad in session.execute(stmt)]


def branch_tree(session: Session) -> list[tuple[int, str, str, int | None, str]]:
    """Every branch: (id, code, name, parent id, level), in code order (a few hundred rows)."""
    stmt = select(Branch.id, Branch.code, Branch.name, Branch.parent_id, Branch.level).order_by(
        Branch.code
    )
    return [(i, c, n, p, str(lv)) for i, c, n, p, lv in session.execute(stmt)]


def product_choices(session: Session) -> list[tuple[int, str, str, str]]:
    """Every loan product: (id, code, Chinese name, English name), in code order."""
    stmt = select(LoanProduct.id, LoanProduct.code, LoanProduct.name_zh, LoanProduct.name_en)
    return [tuple(row) for row in session.execute(stmt.order_by(LoanProduct.code))]  # type: ignore[misc]
