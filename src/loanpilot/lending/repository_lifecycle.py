"""SQL of the application workflow: approval authorities, maker-checker requests (and the detail
of their audit rows), the pipeline (counts per stage, a filtered page, open applications past an
SLA), an application's loans and the staff named in its timeline."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from loanpilot.access.models import StaffAccount
from loanpilot.access.rules import Principal, ScopeKind
from loanpilot.customers.models import Customer
from loanpilot.db.paging import Page, PageRequest, fetch_page
from loanpilot.lending.models import (
    Application,
    ApplicationStatus,
    ApprovalAuthority,
    ApprovalRequest,
    ApprovalRequestStatus,
    Loan,
)
from loanpilot.products.models import LoanProduct
from loanpilot.team.models import Branch, BranchLevel, Staff

#: Sort keys of the pipeline list and their columns.
PIPELINE_SORT: Mapping[str, Any] = {
    "submitted": Application.submitted_at,
    "amount": Application.amount_fen,
    "number": Application.application_no,
    "status": Application.status,
}
PIPELINE_DEFAULT_SORT = "-submitted"


@dataclass(frozen=True)
class PipelineFilters:
    """What the pipeline list is narrowed to (None: no filter)."""

    stage: ApplicationStatus | None = None
    product_id: int | None = None
    branch_id: int | None = None
    number: str | None = None  # an application number, or its beginning


# --- authorities and approval requests ---------------------------------------------------------


def authority_rows(session: Session) -> list[ApprovalAuthority]:
    return list(
        session.scalars(
            select(ApprovalAuthority).order_by(
                ApprovalAuthority.max_amount_fen, ApprovalAuthority.role
            )
        )
    )


def authority_row(session: Session, role: str) -> ApprovalAuthority | None:
    return session.scalar(select(ApprovalAuthority).where(ApprovalAuthority.role == role))


def pending_request(session: Session, application_id: int) -> ApprovalRequest | None:
    return session.scalar(
        select(ApprovalRequest).where(
            ApprovalRequest.application_id == application_id,
            ApprovalRequest.status == ApprovalRequestStatus.PENDING,
        )
    )


def approval_request(session: Session, request_id: int) -> ApprovalRequest | None:
    return session.get(ApprovalRequest, request_id)


def requests_of(session: Session, application_id: int) -> list[ApprovalRequest]:
    return list(
        session.scalars(
            select(ApprovalRequest)
            .where(ApprovalRequest.application_id == application_id)
            .order_by(ApprovalRequest.made_at, ApprovalRequest.id)
        )
    )


def pending_requests(
    session: Session, limit_rows: int = 200
) -> list[tuple[ApprovalRequest, Application]]:
    """Approval requests waiting for a checker, oldest first, each with its application."""
    rows = session.execute(
        select(ApprovalRequest, Application)
        .join(Application, Application.id == ApprovalRequest.application_id)
        .where(ApprovalRequest.status == ApprovalRequestStatus.PENDING)
        .order_by(ApprovalRequest.made_at, ApprovalRequest.id)
        .limit(limit_rows)
    ).all()
    return [(r, a) for r, a in rows]


def add(session: Session, row: ApprovalAuthority | ApprovalRequest | Loan) -> None:
    session.add(row)
    session.flush()


# --- staff and accounts -----------------------------------------------------------------------


def staff_labels(session: Session, staff_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """Staff id -> (name, user name or '') for the people a page names."""
    ids = sorted({i for i in staff_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(Staff.id, Staff.name, StaffAccount.username)
        .outerjoin(StaffAccount, StaffAccount.staff_id == Staff.id)
        .where(Staff.id.in_(ids))
    ).all()
    return {int(i): (str(n), str(u or "")) for i, n, u in rows}


def booking_branch(session: Session, staff_id: int) -> int | None:
    """Where a loan the bank was left to place is booked: the branch of the staff member
    disbursing it, else the head office (the lowest-numbered one)."""
    own = session.scalar(select(Staff.branch_id).where(Staff.id == staff_id))
    if own is not None:
        return own
    return session.scalar(
        select(Branch.id)
        .where(Branch.level == BranchLevel.HEAD_OFFICE)
        .order_by(Branch.id)
        .limit(1)
    )


def staff_role(session: Session, staff_id: int) -> str | None:
    role = session.scalar(select(Staff.role).where(Staff.id == staff_id))
    return None if role is None else str(role.value)


# --- the pipeline -----------------------------------------------------------------------------


def _scoped(
    query: Select[*tuple[Any, ...]], principal: Principal | None
) -> Select[*tuple[Any, ...]]:
    """Only the applications the principal's data scope covers."""
    if principal is None or principal.scope is ScopeKind.ALL:
        return query
    if principal.scope is ScopeKind.OWN:
        return query.where(Application.manager_id == principal.staff_id)
    return query.where(Application.branch_id.in_(sorted(principal.branch_ids)))


def stage_counts(session: Session, principal: Principal | None) -> dict[str, int]:
    base: Select[*tuple[Any, ...]] = select(Application.status, func.count()).group_by(
        Application.status
    )
    query = _scoped(base, principal)
    return {str(status.value): int(n) for status, n in session.execute(query).all()}


def _filtered(
    query: Select[*tuple[Any, ...]], filters: PipelineFilters
) -> Select[*tuple[Any, ...]]:
    if filters.stage is not None:
        query = query.where(Application.status == filters.stage)
    if filters.product_id is not None:
        query = query.where(Application.product_id == filters.product_id)
    if filters.branch_id is not None:
        query = query.where(Application.branch_id == filters.branch_id)
    if filters.number:
        query = query.where(Application.application_no.startswith(filters.number, autoescape=True))
    return query


def pipeline_page(
    session: Session, filters: PipelineFilters, paging: PageRequest, principal: Principal | None
) -> Page[Any]:
    """One page of applications, each row (application, product, customer name)."""
    query: Select[*tuple[Any, ...]] = (
        select(Application, LoanProduct, Customer.name)
        .join(LoanProduct, LoanProduct.id == Application.product_id)
        .join(Customer, Customer.id == Application.customer_id)
    )
    query = _filtered(_scoped(query, principal), filters)
    tie: Any = Application.id
    return fetch_page(session, query, paging, PIPELINE_SORT, tie)


def open_past(
    session: Session,
    limits: Mapping[ApplicationStatus, datetime],
    principal: Principal | None,
    limit_rows: int = 50,
) -> list[Application]:
    """Open applications that entered their stage's SLA span before the given instant: submitted,
    under review or referred since before ``limits[SUBMITTED]``, approved or offer accepted since
    before ``limits[APPROVED]``, signed since before ``limits[CONTRACT_SIGNED]``; oldest first."""
    clauses: list[ColumnElement[bool]] = []
    waiting_decision = (
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.UNDER_REVIEW,
        ApplicationStatus.REFERRED,
    )
    if ApplicationStatus.SUBMITTED in limits:
        clauses.append(
            Application.status.in_(waiting_decision)
            & (Application.submitted_at < limits[ApplicationStatus.SUBMITTED])
        )
    if ApplicationStatus.APPROVED in limits:
        clauses.append(
            Application.status.in_((ApplicationStatus.APPROVED, ApplicationStatus.OFFER_ACCEPTED))
            & (Application.decided_at < limits[ApplicationStatus.APPROVED])
        )
    if ApplicationStatus.CONTRACT_SIGNED in limits:
        clauses.append(
            (Application.status == ApplicationStatus.CONTRACT_SIGNED)
            & (Application.signed_at < limits[ApplicationStatus.CONTRACT_SIGNED])
        )
    if not clauses:
        return []
    query = _scoped(select(Application).where(or_(*clauses)), principal)
    return list(
        session.scalars(query.order_by(Application.submitted_at, Application.id).limit(limit_rows))
    )


def loans_of(session: Session, application_id: int) -> list[Loan]:
    """The loans an application became (two for a 组合贷: the parent first)."""
    return list(
        session.scalars(select(Loan).where(Loan.application_id == application_id).order_by(Loan.id))
    )
