"""SQL of servicing: loans (listed within the caller's customer scope), their schedule lines,
repayments and allocations, and the two aggregate queries of the ledger check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal
from loanpilot.customers.models import Customer
from loanpilot.customers.repository import scope_clause
from loanpilot.db.paging import Page, PageRequest, fetch_page
from loanpilot.lending.ledger import Amounts, Line, Part
from loanpilot.lending.ledger_prepay import NewLine
from loanpilot.lending.models import Loan, LoanStatus, Repayment, RepaymentAllocation, ScheduleLine
from loanpilot.products.models import LoanProduct
from loanpilot.team.models import Branch

#: DPD range (inclusive; None: no upper end) of each bucket of ``risk.rules.BUCKETS``.
BUCKET_DAYS: dict[str, tuple[int, int | None]] = {
    "M0": (0, 0),
    "M1": (1, 30),
    "M2": (31, 60),
    "M3": (61, 90),
    "M4": (91, 120),
    "M5": (121, 150),
    "M6": (151, 180),
    "M7+": (181, None),
}
SORT_KEYS: tuple[str, ...] = ("loan_no", "disbursed_on", "principal", "outstanding", "dpd")
DEFAULT_SORT = "-disbursed_on"


@dataclass(frozen=True)
class LoanFilters:
    status: str | None = None
    five_class: str | None = None
    bucket: str | None = None
    branch_id: int | None = None
    product_id: int | None = None
    q: str | None = None  # loan number prefix


def loan(session: Session, loan_id: int, *, lock: bool = False) -> Loan | None:
    """The loan; ``lock``: held FOR UPDATE (PostgreSQL) so two postings to one loan queue."""
    query = select(Loan).where(Loan.id == loan_id)
    return session.scalar(query.with_for_update() if lock else query)


def loan_by_no(session: Session, loan_no: str) -> Loan | None:
    return session.scalar(select(Loan).where(Loan.loan_no == loan_no))


def customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def product(session: Session, product_id: int) -> LoanProduct | None:
    return session.get(LoanProduct, product_id)


def branch_name(session: Session, branch_id: int) -> str | None:
    return session.scalar(select(Branch.name).where(Branch.id == branch_id))


def lines(session: Session, loan_id: int, version: int) -> list[ScheduleLine]:
    return list(
        session.scalars(
            select(ScheduleLine)
            .where(ScheduleLine.loan_id == loan_id, ScheduleLine.version == version)
            .order_by(ScheduleLine.period_no)
        )
    )


def lines_by_id(session: Session, ids: list[int]) -> dict[int, ScheduleLine]:
    if not ids:
        return {}
    return {
        row.id: row for row in session.scalars(select(ScheduleLine).where(ScheduleLine.id.in_(ids)))
    }


def newest_version(session: Session, loan_id: int) -> int:
    found = session.scalar(
        select(func.max(ScheduleLine.version)).where(ScheduleLine.loan_id == loan_id)
    )
    return int(found or 0)


def allocations_on_version(session: Session, loan_id: int, version: int) -> int:
    """How many allocation rows point at lines of one schedule version."""
    return int(
        session.scalar(
            select(func.count(RepaymentAllocation.id))
            .join(ScheduleLine, ScheduleLine.id == RepaymentAllocation.schedule_line_id)
            .where(ScheduleLine.loan_id == loan_id, ScheduleLine.version == version)
        )
        or 0
    )


def delete_version(session: Session, loan_id: int, version: int) -> None:
    session.execute(
        delete(ScheduleLine).where(ScheduleLine.loan_id == loan_id, ScheduleLine.version == version)
    )


def repayment(session: Session, repayment_id: int) -> Repayment | None:
    return session.get(Repayment, repayment_id)


def repayment_by_ref(session: Session, txn_ref: str) -> Repayment | None:
    return session.scalar(select(Repayment).where(Repayment.txn_ref == txn_ref))


def reversal_of(session: Session, repayment_id: int) -> Repayment | None:
    return session.scalar(select(Repayment).where(Repayment.reversal_of_id == repayment_id))


def latest_standing(session: Session, loan_id: int) -> Repayment | None:
    """The loan's latest payment that stands (not a reversal, not reversed)."""
    return session.scalar(
        select(Repayment)
        .where(
            Repayment.loan_id == loan_id,
            Repayment.reversal_of_id.is_(None),
            Repayment.reversed_at.is_(None),
        )
        .order_by(Repayment.paid_on.desc(), Repayment.id.desc())
        .limit(1)
    )


def repayments_of(session: Session, loan_id: int) -> list[Repayment]:
    return list(
        session.scalars(
            select(Repayment)
            .where(Repayment.loan_id == loan_id)
            .order_by(Repayment.paid_on.desc(), Repayment.id.desc())
        )
    )


def allocations_of(session: Session, repayment_id: int) -> list[RepaymentAllocation]:
    return list(
        session.scalars(
            select(RepaymentAllocation)
            .where(RepaymentAllocation.repayment_id == repayment_id)
            .order_by(RepaymentAllocation.id)
        )
    )


def repayment_ids_with_allocations(session: Session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(
        session.scalars(
            select(RepaymentAllocation.repayment_id)
            .where(RepaymentAllocation.repayment_id.in_(ids))
            .distinct()
        )
    )


def add_all(session: Session, rows: list[Any]) -> None:
    session.add_all(rows)
    session.flush()


# --- rows <-> the pure ledger's values ----------------------------------------------------------

_LINE_COLUMNS = (
    "loan_id", "period_no", "due_on", "opening_principal_fen", "principal_fen", "interest_fen",
    "fee_fen", "paid_principal_fen", "paid_interest_fen", "paid_fee_fen", "paid_penalty_fen",
    "settled_on", "penalty_fen", "penalty_accrued_on",
)  # fmt: skip


def parts(amounts: Amounts) -> dict[str, int]:
    """The four part columns shared by repayments and allocations."""
    return {f"{p.value}_fen": amounts.of(p) for p in Part}


def to_line(row: ScheduleLine) -> Line:
    paid = Amounts(
        row.paid_principal_fen, row.paid_interest_fen, row.paid_fee_fen, row.paid_penalty_fen
    )
    return Line(
        period_no=row.period_no, due_on=row.due_on,
        opening_principal_fen=row.opening_principal_fen, principal_fen=row.principal_fen,
        interest_fen=row.interest_fen, fee_fen=row.fee_fen, paid=paid,
        penalty_fen=row.penalty_fen, penalty_accrued_on=row.penalty_accrued_on,
        settled_on=row.settled_on, line_id=row.id,
    )  # fmt: skip


def write_paid(row: ScheduleLine, line: Line) -> None:
    """Copy ``line``'s paid amounts and settlement day onto its row."""
    for part in Part:
        setattr(row, f"paid_{part.value}_fen", line.paid.of(part))
    row.settled_on = line.settled_on


def copy_line(row: ScheduleLine, version: int) -> ScheduleLine:
    return ScheduleLine(version=version, **{c: getattr(row, c) for c in _LINE_COLUMNS})


def new_line(loan_id: int, version: int, x: NewLine) -> ScheduleLine:
    return ScheduleLine(
        loan_id=loan_id, version=version, period_no=x.period_no, due_on=x.due_on,
        opening_principal_fen=x.opening_principal_fen, principal_fen=x.principal_fen,
        interest_fen=x.interest_fen, fee_fen=x.fee_fen,
    )  # fmt: skip


def allocation(repayment_id: int, line_id: int, amounts: Amounts) -> RepaymentAllocation:
    return RepaymentAllocation(
        repayment_id=repayment_id, schedule_line_id=line_id, **parts(amounts)
    )


def allocated(row: RepaymentAllocation) -> Amounts:
    return Amounts(row.principal_fen, row.interest_fen, row.fee_fen, row.penalty_fen)


def new_repayment(loan_id: int, ref: str, paid_on: date, total: Amounts, **extra: Any) -> Repayment:
    """A repayment row of ``total`` (``extra``: channel, is_prepayment, posted_by_id, note...)."""
    return Repayment(
        txn_ref=ref, loan_id=loan_id, paid_on=paid_on, amount_fen=total.total_fen,
        **parts(total), **extra,
    )  # fmt: skip


# --- listing -----------------------------------------------------------------------------------


def list_loans(
    session: Session, principal: Principal, filters: LoanFilters, paging: PageRequest
) -> Page[Any]:
    """One page of loans the caller may see: (Loan, customer name, product code, branch name,
    product name zh, product name en)."""
    query = (
        select(
            Loan,
            Customer.name,
            LoanProduct.code,
            Branch.name,
            LoanProduct.name_zh,
            LoanProduct.name_en,
        )
        .join(Customer, Customer.id == Loan.customer_id)
        .join(LoanProduct, LoanProduct.id == Loan.product_id)
        .join(Branch, Branch.id == Loan.branch_id)
    )
    conditions = []
    scope = scope_clause(principal)
    if scope is not None:
        conditions.append(scope)
    if filters.status:
        conditions.append(Loan.status == LoanStatus(filters.status))
    if filters.five_class:
        conditions.append(Loan.five_class == filters.five_class)
    if filters.bucket:
        low, high = BUCKET_DAYS[filters.bucket]
        conditions.append(Loan.dpd >= low)
        if high is not None:
            conditions.append(Loan.dpd <= high)
    if filters.branch_id is not None:
        conditions.append(Loan.branch_id == filters.branch_id)
    if filters.product_id is not None:
        conditions.append(Loan.product_id == filters.product_id)
    if filters.q:
        conditions.append(Loan.loan_no.startswith(filters.q, autoescape=True))
    if conditions:
        query = query.where(and_(*conditions))
    sort_columns: dict[str, Any] = {
        "loan_no": Loan.loan_no,
        "disbursed_on": Loan.disbursed_on,
        "principal": Loan.principal_fen,
        "outstanding": Loan.outstanding_principal_fen,
        "dpd": Loan.dpd,
    }
    tie_breaker: Any = Loan.id
    return fetch_page(session, query, paging, sort_columns, tie_breaker)


def branches(session: Session) -> list[tuple[int, str]]:
    return [(b.id, b.name) for b in session.scalars(select(Branch).order_by(Branch.code))]


def products(session: Session) -> list[LoanProduct]:
    return list(session.scalars(select(LoanProduct).order_by(LoanProduct.code)))


# --- the ledger check --------------------------------------------------------------------------


BreakRow = tuple[int, str, int, int, int, int]


def _typed(rows: Any) -> list[BreakRow]:
    return [(int(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]


def balance_breaks(session: Session) -> list[BreakRow]:
    """Loans where principal != repaid principal (net of reversals) + outstanding + written off:
    (id, loan_no, principal, repaid, outstanding, written off)."""
    repaid = (
        select(Repayment.loan_id, func.sum(Repayment.principal_fen).label("repaid"))
        .group_by(Repayment.loan_id)
        .subquery()
    )
    paid = func.coalesce(repaid.c.repaid, 0)
    return _typed(
        session.execute(
            select(
                Loan.id,
                Loan.loan_no,
                Loan.principal_fen,
                paid,
                Loan.outstanding_principal_fen,
                Loan.written_off_fen,
            )
            .outerjoin(repaid, repaid.c.loan_id == Loan.id)
            .where(
                Loan.principal_fen != paid + Loan.outstanding_principal_fen + Loan.written_off_fen
            )
            .order_by(Loan.id)
        ).all()
    )


def schedule_breaks(session: Session) -> list[BreakRow]:
    """Repaying or settled loans whose outstanding principal is not the unpaid principal of
    their current schedule version: (id, loan_no, principal, outstanding, written off, unpaid)."""
    left_on_line = ScheduleLine.principal_fen - ScheduleLine.paid_principal_fen
    owed = func.sum(case((left_on_line > 0, left_on_line), else_=0)).label("unpaid")
    unpaid = (
        select(ScheduleLine.loan_id, ScheduleLine.version, owed)
        .group_by(ScheduleLine.loan_id, ScheduleLine.version)
        .subquery()
    )
    left = func.coalesce(unpaid.c.unpaid, 0)
    return _typed(
        session.execute(
            select(
                Loan.id,
                Loan.loan_no,
                Loan.principal_fen,
                Loan.outstanding_principal_fen,
                Loan.written_off_fen,
                left,
            )
            .outerjoin(
                unpaid,
                and_(unpaid.c.loan_id == Loan.id, unpaid.c.version == Loan.schedule_version),
            )
            .where(
                or_(Loan.status == LoanStatus.REPAYING, Loan.status == LoanStatus.SETTLED),
                Loan.outstanding_principal_fen != left,
            )
            .order_by(Loan.id)
        ).all()
    )
