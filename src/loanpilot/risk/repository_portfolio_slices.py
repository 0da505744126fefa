"""The slice of the book a portfolio report reads, and the columns it groups by, in SQL that works
on SQLite and PostgreSQL: the building blocks of ``repository_portfolio``'s queries.

* ``Filters`` (a slice: product, channel, branch, manager, campaign, segment) and ``filtered``,
  which restricts a select of loans or applications to it;
* the dimensions a report is cut by (``loan_dimension``; ``segment_of``: the customer's age band
  on the report day) and the DPD bucket of a day count (``bucket_case``);
* dialect-portable expressions: ``month_of`` (``YYYY-MM`` of a date column: ``substr`` of the ISO
  text SQLite stores, ``to_char`` on PostgreSQL), ``plus_days``, ``period_index`` (the period of
  a timestamp between UTC bounds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, func, literal
from sqlalchemy.orm import Session

from loanpilot.customers.models import Customer
from loanpilot.customers.rules import AGE_BAND_EDGES, AgeBand, birth_cutoff, birth_dates_of
from loanpilot.lending.models import Application, Loan

#: Dimensions of the book a report can be cut by (the loan's column, or the customer's age band).
DIMENSIONS: tuple[str, ...] = ("product", "channel", "branch", "manager", "campaign", "segment")
BUCKET_EDGES = (0, 30, 60, 90, 120, 150, 180)
BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+")


@dataclass(frozen=True)
class Filters:
    """A slice of the book (None: any). ``segment`` is the customer's age band on the report day."""

    product_id: int | None = None
    channel: str | None = None
    branch_id: int | None = None
    manager_id: int | None = None
    campaign_id: int | None = None
    segment: str | None = None

    @property
    def empty(self) -> bool:
        return self == Filters()


_S = TypeVar("_S", bound=Select)  # type: ignore[type-arg]


def rows(session: Session, stmt: Any) -> list[Any]:
    """The result rows, untyped (their columns vary with the dimension asked for)."""
    return list(session.execute(stmt).all())


def to_int(value: Any) -> int:
    return int(value) if value is not None else 0


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def month_of(session: Session, column: Any) -> ColumnElement[str]:
    """``YYYY-MM`` of a date column."""
    if dialect(session) == "sqlite":
        month: ColumnElement[str] = func.substr(column, 1, 7)
    else:
        month = func.to_char(column, "YYYY-MM")
    return month


def plus_days(session: Session, column: Any, days: int) -> ColumnElement[Any]:
    if dialect(session) == "sqlite":
        shifted: ColumnElement[Any] = func.date(column, f"+{days} days")
    else:
        shifted = column + literal(days)
    return shifted


def segment_of(as_of: date) -> ColumnElement[str]:
    """The customer's age band on ``as_of`` (``customers.rules.AgeBand``)."""
    middle, senior = AGE_BAND_EDGES
    return case(
        (Customer.birth_date > birth_cutoff(as_of, middle), AgeBand.YOUNG.value),
        (Customer.birth_date > birth_cutoff(as_of, senior), AgeBand.MIDDLE.value),
        else_=AgeBand.SENIOR.value,
    )


def loan_dimension(name: str, as_of: date) -> ColumnElement[Any]:
    columns: dict[str, Any] = {
        "product": Loan.product_id,
        "channel": Loan.channel,
        "branch": Loan.branch_id,
        "manager": Loan.manager_id,
        "campaign": Loan.campaign_id,
    }
    if name == "segment":
        return segment_of(as_of)
    return columns[name]  # type: ignore[no-any-return]


def application_dimension(name: str, as_of: date) -> ColumnElement[Any]:
    columns: dict[str, Any] = {
        "product": Application.product_id,
        "channel": Application.channel,
        "branch": Application.branch_id,
        "manager": Application.manager_id,
        "campaign": Application.campaign_id,
    }
    if name == "segment":
        return segment_of(as_of)
    return columns[name]  # type: ignore[no-any-return]


def segment_clause(segment: str, as_of: date) -> ColumnElement[bool]:
    span = birth_dates_of(AgeBand(segment), as_of)
    parts = []
    if span.after is not None:
        parts.append(Customer.birth_date > span.after)
    if span.on_or_before is not None:
        parts.append(Customer.birth_date <= span.on_or_before)
    return and_(*parts)


def filtered(
    stmt: _S, f: Filters, as_of: date, *, owner: Any = Loan, join_customer: bool = False
) -> _S:
    """``stmt`` restricted to the slice ``f`` of loans (or applications, ``owner=Application``);
    joins the customer when the slice or a dimension needs the segment."""
    clauses = []
    for value, column in (
        (f.product_id, owner.product_id),
        (f.channel, owner.channel),
        (f.branch_id, owner.branch_id),
        (f.manager_id, owner.manager_id),
        (f.campaign_id, owner.campaign_id),
    ):
        if value is not None:
            clauses.append(column == value)
    if f.segment is not None:
        join_customer = True
        clauses.append(segment_clause(f.segment, as_of))
    if join_customer:
        stmt = stmt.join(Customer, Customer.id == owner.customer_id)
    return stmt.where(*clauses) if clauses else stmt


def bucket_case(column: Any) -> ColumnElement[str]:
    return case(
        *[(column <= edge, name) for edge, name in zip(BUCKET_EDGES, BUCKETS, strict=False)],
        else_=BUCKETS[-1],
    )


def period_index(column: Any, bounds: Sequence[datetime]) -> Any:
    last = len(bounds) - 2
    if last <= 0:
        return literal(0)
    return case(*[(column < hi, i) for i, hi in enumerate(bounds[1:-1])], else_=last)
