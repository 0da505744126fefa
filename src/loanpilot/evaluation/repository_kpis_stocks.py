"""SQL of the KPI suite's stocks at period end (balances, NPL, overdue principal, our side of the
market share), retention, the campaigns that ended, and the labels of the dimensions' keys.

A stock is read from the close's snapshot of a given day (``DelinquencySnapshot``), or from the live
book when no day is given (the headline's figure). See ``repository_kpis`` for the anchors.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from loanpilot.campaigns.models import Campaign
from loanpilot.customers.models import Customer
from loanpilot.customers.models_segments import Segment
from loanpilot.evaluation.repository import Slice
from loanpilot.evaluation.repository_kpis import LOAN, Anchor, Row, as_int, grouped, restrict
from loanpilot.lending.models import Loan, LoanStatus, ScheduleLine
from loanpilot.market.models import MarketSize
from loanpilot.products.models import LoanProduct
from loanpilot.risk.models import DelinquencySnapshot
from loanpilot.team.models import Branch, PortfolioAssignment, Staff

# --- stocks at period end ------------------------------------------------------------------------

_KEPT = (LoanStatus.REPAYING, LoanStatus.SETTLED)


def retention(
    session: Session, start: date, end: date, dimension: str, where: Slice, run: int | None
) -> list[Row]:
    """(retained, held a loan at start) customers; anchored on the customer (home branch,
    manager at ``start`` from the portfolio assignments)."""
    held = (
        select(Loan.customer_id)
        .where(
            Loan.status.in_(_KEPT),
            Loan.disbursed_on < start,
            or_(Loan.settled_on.is_(None), Loan.settled_on >= start),
        )
        .distinct()
    )
    later = aliased(Loan)
    kept = exists().where(
        later.customer_id == Customer.id,
        later.status.in_(_KEPT),
        later.disbursed_on < end,
        or_(later.settled_on.is_(None), later.settled_on >= end, later.disbursed_on >= start),
    )
    stmt = (
        select(func.coalesce(func.sum(case((kept, 1), else_=0)), 0), func.count(Customer.id))
        .select_from(Customer)
        .outerjoin(
            PortfolioAssignment,
            and_(
                PortfolioAssignment.customer_id == Customer.id,
                PortfolioAssignment.start_on <= start,
                or_(PortfolioAssignment.end_on.is_(None), PortfolioAssignment.end_on > start),
            ),
        )
        .where(Customer.id.in_(held))
    )
    anchor = Anchor(
        Customer.home_branch_id,
        literal(None),
        literal(None),
        PortfolioAssignment.staff_id,
        Customer.id,
    )
    return grouped(session, stmt, anchor, dimension, where, run)


def last_close(session: Session, start: date, end: date) -> date | None:
    """The last daily-close snapshot date in ``[start, end)``."""
    stmt = select(func.max(DelinquencySnapshot.as_of)).where(
        DelinquencySnapshot.as_of >= start, DelinquencySnapshot.as_of < end
    )
    return session.execute(stmt).scalar_one_or_none()


def npl_balance(
    session: Session,
    as_of: date | None,
    npl_classes: Sequence[str],
    dimension: str,
    where: Slice,
    run: int | None,
) -> list[Row]:
    """(non-performing balance, balance) of repaying loans: the live book when ``as_of`` is None
    (the headline's figure), else the close's snapshot of ``as_of``."""
    if as_of is None:
        npl = Loan.five_class.in_(list(npl_classes))
        stmt = select(
            func.coalesce(func.sum(case((npl, Loan.outstanding_principal_fen), else_=0)), 0),
            func.coalesce(func.sum(Loan.outstanding_principal_fen), 0),
        ).where(Loan.status == LoanStatus.REPAYING)
    else:
        snap = DelinquencySnapshot
        npl = snap.five_class.in_(list(npl_classes))
        stmt = (
            select(
                func.coalesce(func.sum(case((npl, snap.outstanding_principal_fen), else_=0)), 0),
                func.coalesce(func.sum(snap.outstanding_principal_fen), 0),
            )
            .join(Loan, Loan.id == snap.loan_id)
            .where(snap.as_of == as_of)
        )
    return grouped(session, stmt, LOAN, dimension, where, run)


def overdue_principal(
    session: Session, as_of: date | None, today: date, dimension: str, where: Slice, run: int | None
) -> list[Row]:
    """Overdue principal (fen) of repaying loans: the unpaid principal of the current schedule's
    lines due before ``today`` when ``as_of`` is None, else the close's snapshot of ``as_of``."""
    if as_of is None:
        line = ScheduleLine
        stmt = (
            select(func.coalesce(func.sum(line.principal_fen - line.paid_principal_fen), 0))
            .join(Loan, Loan.id == line.loan_id)
            .where(
                Loan.status == LoanStatus.REPAYING,
                line.version == Loan.schedule_version,
                line.due_on < today,
                line.settled_on.is_(None),
            )
        )
    else:
        snap = DelinquencySnapshot
        stmt = (
            select(func.coalesce(func.sum(snap.overdue_principal_fen), 0))
            .join(Loan, Loan.id == snap.loan_id)
            .where(snap.as_of == as_of)
        )
    return grouped(session, stmt, LOAN, dimension, where, run)


def balance_by_branch_product(
    session: Session, as_of: date | None, where: Slice
) -> list[tuple[int, int, int]]:
    """(branch id, product id, outstanding principal) of repaying loans (live, or the snapshot)."""
    if as_of is None:
        stmt = select(
            Loan.branch_id, Loan.product_id, func.sum(Loan.outstanding_principal_fen)
        ).where(Loan.status == LoanStatus.REPAYING)
    else:
        snap = DelinquencySnapshot
        stmt = (
            select(Loan.branch_id, Loan.product_id, func.sum(snap.outstanding_principal_fen))
            .join(Loan, Loan.id == snap.loan_id)
            .where(snap.as_of == as_of)
        )
    stmt = restrict(stmt, LOAN, where).group_by(Loan.branch_id, Loan.product_id)
    return [(int(b), int(p), as_int(v)) for b, p, v in session.execute(stmt)]


def market_rows(session: Session, labels: Sequence[str]) -> list[tuple[str, str, str, int]]:
    """(period, product line, region, total balance) of the market rows of ``labels``."""
    stmt = select(
        MarketSize.period, MarketSize.product_line, MarketSize.region, MarketSize.total_balance_fen
    ).where(MarketSize.period.in_(list(labels)))
    return [(p, str(line), r, as_int(v)) for p, line, r, v in session.execute(stmt)]


def campaigns_ended(session: Session, start: date, end: date, where: Slice) -> list[Campaign]:
    """Campaigns whose ``ends_on`` is in ``[start, end)``, restricted by branch, product, channel."""
    stmt = select(Campaign).where(Campaign.ends_on >= start, Campaign.ends_on < end)
    if where.branch_ids is not None:
        stmt = stmt.where(Campaign.branch_id.in_(sorted(where.branch_ids)))
    if where.product_id is not None:
        stmt = stmt.where(Campaign.product_id == where.product_id)
    if where.channel is not None:
        stmt = stmt.where(Campaign.channel == where.channel)
    return list(session.execute(stmt.order_by(Campaign.id)).scalars())


# --- labels ------------------------------------------------------------------------------------


def branches(session: Session) -> dict[int, tuple[str, str, str]]:
    """Every branch: id → (code, name, province)."""
    stmt = select(Branch.id, Branch.code, Branch.name, Branch.province)
    return {i: (c, n, p) for i, c, n, p in session.execute(stmt)}


def products(session: Session) -> dict[int, tuple[str, str, str]]:
    """Every product: id → (code, Chinese name, product type)."""
    stmt = select(LoanProduct.id, LoanProduct.code, LoanProduct.name_zh, LoanProduct.product_type)
    return {i: (c, n, str(t)) for i, c, n, t in session.execute(stmt)}


def staff(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Staff members: id → (employee no, name)."""
    if not ids:
        return {}
    stmt = select(Staff.id, Staff.employee_no, Staff.name).where(Staff.id.in_(sorted(set(ids))))
    return {i: (no, name) for i, no, name in session.execute(stmt)}


def staff_by_employee_no(session: Session, employee_no: str) -> int | None:
    stmt = select(Staff.id).where(Staff.employee_no == employee_no)
    return session.execute(stmt).scalar_one_or_none()


def segment_names(session: Session, run_id: int | None) -> dict[str, str]:
    if run_id is None:
        return {}
    stmt = select(Segment.code, Segment.name_zh).where(Segment.run_id == run_id)
    return dict(session.execute(stmt).tuples().all())
