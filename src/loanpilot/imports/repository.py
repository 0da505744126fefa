"""All SQL of the imports: reference look-ups, existence checks and the few updates.

Inserts go through ``db.bulk.bulk_insert``. Look-ups of many keys are done in chunks of
``IN (...)``, or by reading the whole key column when the table is not much larger than the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Column, Connection, Table, bindparam, func, select, update

from loanpilot.customers.models import Consent, Customer
from loanpilot.lending.models import Loan, ScheduleLine
from loanpilot.lending.models import Repayment as RepaymentModel
from loanpilot.products.models import LoanProduct, LprRate
from loanpilot.team.models import Branch, Staff

CHUNK = 5_000
"""Keys per ``IN (...)`` query: far below SQLite's 32,766-parameter limit."""

customers_t: Table = Customer.__table__  # type: ignore[assignment]
consents_t: Table = Consent.__table__  # type: ignore[assignment]
loans_t: Table = Loan.__table__  # type: ignore[assignment]
schedules_t: Table = ScheduleLine.__table__  # type: ignore[assignment]
repayments_t: Table = RepaymentModel.__table__  # type: ignore[assignment]
branches_t: Table = Branch.__table__  # type: ignore[assignment]
staff_t: Table = Staff.__table__  # type: ignore[assignment]
products_t: Table = LoanProduct.__table__  # type: ignore[assignment]
lpr_t: Table = LprRate.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class BranchRef:
    id: int
    province: str
    city: str


@dataclass(frozen=True)
class ProductRef:
    id: int
    code: str
    rate_basis: str
    min_term_months: int
    max_term_months: int
    monthly_fee_rate: Decimal
    upfront_fee_rate: Decimal
    repayment_methods: tuple[str, ...]


@dataclass(frozen=True)
class LoanRef:
    id: int
    loan_no: str
    disbursed_on: date
    outstanding_principal_fen: int
    status: str


def branches(conn: Connection) -> dict[str, BranchRef]:
    rows = conn.execute(
        select(branches_t.c.code, branches_t.c.id, branches_t.c.province, branches_t.c.city)
    )
    return {code: BranchRef(int(id_), province, city) for code, id_, province, city in rows}


def staff(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(staff_t.c.employee_no, staff_t.c.id))
    return {employee_no: int(id_) for employee_no, id_ in rows}


def products(conn: Connection) -> dict[str, ProductRef]:
    c = products_t.c
    rows = conn.execute(
        select(
            c.id,
            c.code,
            c.rate_basis,
            c.min_term_months,
            c.max_term_months,
            c.monthly_fee_rate,
            c.upfront_fee_rate,
            c.repayment_methods,
        )
    )
    out: dict[str, ProductRef] = {}
    for row in rows:
        basis = row.rate_basis.value if hasattr(row.rate_basis, "value") else str(row.rate_basis)
        out[row.code] = ProductRef(
            id=int(row.id),
            code=row.code,
            rate_basis=basis,
            min_term_months=int(row.min_term_months),
            max_term_months=int(row.max_term_months),
            monthly_fee_rate=Decimal(row.monthly_fee_rate or 0),
            upfront_fee_rate=Decimal(row.upfront_fee_rate or 0),
            repayment_methods=tuple(row.repayment_methods or ()),
        )
    return out


def lpr_history(conn: Connection) -> dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """``{term: (effective_on datetime64[D] sorted, rate float64)}`` for ``1y`` and ``5y``."""
    rows = conn.execute(
        select(lpr_t.c.term, lpr_t.c.effective_on, lpr_t.c.rate).order_by(lpr_t.c.effective_on)
    ).all()
    out: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {}
    for term in ("1y", "5y"):
        picked = [(d, r) for t, d, r in rows if (t.value if hasattr(t, "value") else t) == term]
        out[term] = (
            np.array([d for d, _ in picked], dtype="datetime64[D]"),
            np.array([float(r) for _, r in picked], dtype=np.float64),
        )
    return out


def count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def lookup_ids(conn: Connection, key: Column[Any], values: Sequence[Any]) -> dict[Any, int]:
    """``{value: id}`` for the values of ``key`` (a unique column) present in its table."""
    if not values:
        return {}
    table = key.table
    assert isinstance(table, Table)
    id_col = table.c.id
    total = count(conn, table)
    if total == 0:
        return {}
    if total <= 4 * len(values):
        wanted = set(values)
        rows = conn.execute(select(key, id_col))
        return {value: int(id_) for value, id_ in rows if value in wanted}
    out: dict[Any, int] = {}
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        for value, id_ in conn.execute(select(key, id_col).where(key.in_(chunk))):
            out[value] = int(id_)
    return out


def customers_by_hash(conn: Connection, hashes: Sequence[bytes]) -> dict[bytes, int]:
    found = lookup_ids(conn, customers_t.c.id_number_hash, hashes)
    return {bytes(k): v for k, v in found.items()}


def customers_by_no(conn: Connection, numbers: Sequence[str]) -> dict[str, int]:
    return lookup_ids(conn, customers_t.c.customer_no, numbers)


def existing_loan_nos(conn: Connection, numbers: Sequence[str]) -> dict[str, int]:
    return lookup_ids(conn, loans_t.c.loan_no, numbers)


def existing_txn_refs(conn: Connection, refs: Sequence[str]) -> dict[str, int]:
    return lookup_ids(conn, repayments_t.c.txn_ref, refs)


def loans_by_no(conn: Connection, numbers: Sequence[str]) -> dict[str, LoanRef]:
    out: dict[str, LoanRef] = {}
    c = loans_t.c
    unique = list(dict.fromkeys(numbers))
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        rows = conn.execute(
            select(c.id, c.loan_no, c.disbursed_on, c.outstanding_principal_fen, c.status).where(
                c.loan_no.in_(chunk)
            )
        )
        for row in rows:
            status = row.status.value if hasattr(row.status, "value") else str(row.status)
            out[row.loan_no] = LoanRef(
                int(row.id),
                row.loan_no,
                row.disbursed_on,
                int(row.outstanding_principal_fen),
                status,
            )
    return out


def schedule_lines(conn: Connection, loan_ids: Iterable[int]) -> list[Any]:
    """Lines of each loan's current schedule version (``loans.schedule_version``: after a
    prepayment's reversal a newer version may remain as history), ordered by loan and period."""
    c = schedules_t.c
    out: list[Any] = []
    ids = sorted(set(loan_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = conn.execute(
            select(
                c.id,
                c.loan_id,
                c.period_no,
                c.due_on,
                c.principal_fen,
                c.interest_fen,
                c.fee_fen,
                c.paid_principal_fen,
                c.paid_interest_fen,
                c.paid_fee_fen,
                c.settled_on,
            )
            .join(
                loans_t,
                (loans_t.c.id == c.loan_id) & (loans_t.c.schedule_version == c.version),
            )
            .where(c.loan_id.in_(chunk))
            .order_by(c.loan_id, c.period_no)
        )
        out.extend(rows.all())
    return out


def update_schedule_lines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    c = schedules_t.c
    stmt = (
        update(schedules_t)
        .where(c.id == bindparam("b_id"))
        .values(
            paid_principal_fen=bindparam("b_principal"),
            paid_interest_fen=bindparam("b_interest"),
            paid_fee_fen=bindparam("b_fee"),
            settled_on=bindparam("b_settled"),
        )
    )
    conn.execute(stmt, rows)


def update_loans(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    c = loans_t.c
    stmt = (
        update(loans_t)
        .where(c.id == bindparam("b_id"))
        .values(
            outstanding_principal_fen=bindparam("b_outstanding"),
            status=bindparam("b_status"),
            settled_on=bindparam("b_settled"),
        )
    )
    conn.execute(stmt, rows)
