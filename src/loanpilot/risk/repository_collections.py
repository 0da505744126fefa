"""SQL of collections: the ladder, cases and their loans, contacts, promises, overdue amounts,
repayments since a day, behavioural PDs and the collectors to assign cases to.

The caller's data scope is part of the case queries: a case is seen by whoever sees its debtor
(``access.rules.ROLE_SCOPE``: the whole bank, the debtor's home branch and the branches below
it, or the customers a manager looks after); ``viewer=None`` is the system (the daily close).
The daily close's set-based SQL over every open case is in ``repository_collections_close``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal, ScopeKind
from loanpilot.customers.models import Customer
from loanpilot.kit.errors import NotFoundError
from loanpilot.lending.models import (
    Guarantor,
    Loan,
    Repayment,
    ScheduleLine,
)
from loanpilot.risk.collection_rules import NOTE_KIND
from loanpilot.risk.models import CollectionAction, CollectionCase
from loanpilot.risk.models_post import (
    BehaviourScore,
    CollectionPromise,
    LadderStep,
    PromiseStatus,
)
from loanpilot.team.models import Branch, Role, Staff, StaffStatus

_CHUNK = 500


def _chunks(ids: Collection[int]) -> list[list[int]]:
    items = sorted(ids)
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


# --- the ladder ---------------------------------------------------------------------------------


def ladder(session: Session) -> list[LadderStep]:
    """Every rung, by position."""
    return list(session.scalars(select(LadderStep).order_by(LadderStep.position)))


# --- cases --------------------------------------------------------------------------------------


def case(session: Session, case_id: int) -> CollectionCase:
    found = session.get(CollectionCase, case_id)
    if found is None:
        raise NotFoundError("collections.case_not_found", f"No collection case with id {case_id}")
    return found


def scope_clause(viewer: Principal | None) -> ColumnElement[bool] | None:
    """The debtors ``viewer`` may see, as a WHERE clause over ``Customer`` (None: all of them)."""
    if viewer is None or viewer.scope is ScopeKind.ALL:
        return None
    if viewer.scope is ScopeKind.OWN:
        return Customer.manager_id == viewer.staff_id
    if not viewer.branch_ids:
        return false()
    return Customer.home_branch_id.in_(sorted(viewer.branch_ids))


def open_cases(session: Session, viewer: Principal | None = None) -> list[CollectionCase]:
    """Open cases by id; with ``viewer``, only those whose debtor is in the viewer's scope."""
    stmt = select(CollectionCase).where(CollectionCase.closed_on.is_(None))
    scope = scope_clause(viewer)
    if scope is not None:
        stmt = (
            stmt.join(Loan, Loan.id == CollectionCase.loan_id)
            .join(Customer, Customer.id == Loan.customer_id)
            .where(scope)
        )
    return list(session.scalars(stmt.order_by(CollectionCase.id)))


def case_in_scope(session: Session, case_id: int, viewer: Principal | None) -> bool:
    """Whether the debtor of case ``case_id`` is in ``viewer``'s scope (an unknown case: False)."""
    scope = scope_clause(viewer)
    stmt = (
        select(CollectionCase.id)
        .join(Loan, Loan.id == CollectionCase.loan_id)
        .join(Customer, Customer.id == Loan.customer_id)
        .where(CollectionCase.id == case_id)
    )
    return session.scalar(stmt if scope is None else stmt.where(scope)) is not None


def loans_by_id(session: Session, ids: Collection[int]) -> dict[int, Loan]:
    out: dict[int, Loan] = {}
    for chunk in _chunks(ids):
        out.update({row.id: row for row in session.scalars(select(Loan).where(Loan.id.in_(chunk)))})
    return out


def cases_of_customer(session: Session, customer_id: int) -> list[int]:
    """Ids of every collection case on the loans of one customer."""
    return list(
        session.scalars(
            select(CollectionCase.id)
            .join(Loan, Loan.id == CollectionCase.loan_id)
            .where(Loan.customer_id == customer_id)
        )
    )


# --- amounts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """What a loan owes past its due dates, by part (fen)."""

    principal_fen: int = 0
    interest_fen: int = 0
    fee_fen: int = 0
    penalty_fen: int = 0

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.interest_fen + self.fee_fen + self.penalty_fen


def overdue_by_loan(session: Session, loan_ids: Collection[int], as_of: date) -> dict[int, Overdue]:
    """Unpaid amounts of the instalments due before ``as_of`` (schedule version in force)."""
    out: dict[int, Overdue] = {}
    s = ScheduleLine
    for chunk in _chunks(loan_ids):
        rows = session.execute(
            select(
                s.loan_id,
                func.sum(s.principal_fen - s.paid_principal_fen),
                func.sum(s.interest_fen - s.paid_interest_fen),
                func.sum(s.fee_fen - s.paid_fee_fen),
                func.sum(s.penalty_fen - s.paid_penalty_fen),
            )
            .join(Loan, Loan.id == s.loan_id)
            .where(
                s.loan_id.in_(chunk),
                s.version == Loan.schedule_version,
                s.settled_on.is_(None),
                s.due_on < as_of,
            )
            .group_by(s.loan_id)
        )
        for loan_id, p, i, f, pen in rows:
            out[loan_id] = Overdue(
                max(int(p or 0), 0), max(int(i or 0), 0), max(int(f or 0), 0), max(int(pen or 0), 0)
            )
    return out


def repaid_between(session: Session, loan_id: int, first: date, last: date) -> int:
    """Fen repaid on a loan from ``first`` to ``last`` (both included); reversed payments and
    reversals left out."""
    total = session.scalar(
        select(func.coalesce(func.sum(Repayment.amount_fen), 0)).where(
            Repayment.loan_id == loan_id,
            Repayment.paid_on >= first,
            Repayment.paid_on <= last,
            Repayment.reversal_of_id.is_(None),
            Repayment.reversed_at.is_(None),
        )
    )
    return max(int(total or 0), 0)


def latest_pd(session: Session, loan_ids: Collection[int]) -> dict[int, float]:
    """Each loan's latest behavioural PD (loans without a score are absent)."""
    out: dict[int, float] = {}
    for chunk in _chunks(loan_ids):
        rows = session.execute(
            select(BehaviourScore.loan_id, BehaviourScore.pd)
            .where(BehaviourScore.loan_id.in_(chunk))
            .order_by(BehaviourScore.loan_id, BehaviourScore.month)
        )
        for loan_id, pd in rows:
            out[loan_id] = float(Decimal(pd))
    return out


# --- promises and actions -----------------------------------------------------------------------


def promises_of(session: Session, case_ids: Collection[int]) -> dict[int, list[CollectionPromise]]:
    out: dict[int, list[CollectionPromise]] = defaultdict(list)
    for chunk in _chunks(case_ids):
        for row in session.scalars(
            select(CollectionPromise)
            .where(CollectionPromise.case_id.in_(chunk))
            .order_by(CollectionPromise.due_on, CollectionPromise.id)
        ):
            out[row.case_id].append(row)
    return out


def broken_counts(session: Session, case_ids: Collection[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for chunk in _chunks(case_ids):
        rows = session.execute(
            select(CollectionPromise.case_id, func.count())
            .where(
                CollectionPromise.case_id.in_(chunk),
                CollectionPromise.status == PromiseStatus.BROKEN,
            )
            .group_by(CollectionPromise.case_id)
        )
        out.update({case_id: int(n) for case_id, n in rows})
    return out


def actions_of(session: Session, case_id: int) -> list[CollectionAction]:
    """Every action of a case (contacts and notes), newest first."""
    return list(
        session.scalars(
            select(CollectionAction)
            .where(CollectionAction.case_id == case_id)
            .order_by(CollectionAction.at.desc(), CollectionAction.id.desc())
        )
    )


def contacts_between(session: Session, customer_id: int, start: datetime, end: datetime) -> int:
    """Contacts (not notes) made in [start, end) on any case of any loan of this customer."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(CollectionAction)
            .join(CollectionCase, CollectionCase.id == CollectionAction.case_id)
            .join(Loan, Loan.id == CollectionCase.loan_id)
            .where(
                Loan.customer_id == customer_id,
                CollectionAction.kind != NOTE_KIND,
                CollectionAction.at >= start,
                CollectionAction.at < end,
            )
        )
        or 0
    )


# --- people -------------------------------------------------------------------------------------


def active_collectors(session: Session) -> list[tuple[int, int]]:
    """(staff id, branch id) of every active collector, by id."""
    rows = session.execute(
        select(Staff.id, Staff.branch_id)
        .where(Staff.role == Role.COLLECTOR, Staff.status == StaffStatus.ACTIVE)
        .order_by(Staff.id)
    )
    return [(int(a), int(b)) for a, b in rows]


def open_load(session: Session) -> dict[int, int]:
    """Open cases per assigned staff member."""
    rows = session.execute(
        select(CollectionCase.assigned_to_id, func.count())
        .where(CollectionCase.closed_on.is_(None), CollectionCase.assigned_to_id.is_not(None))
        .group_by(CollectionCase.assigned_to_id)
    )
    return {int(a): int(n) for a, n in rows if a is not None}


def staff_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(list(ids)))).all())


def customers_by_id(session: Session, ids: Collection[int]) -> dict[int, Customer]:
    out: dict[int, Customer] = {}
    for chunk in _chunks(ids):
        out.update(
            {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(chunk)))}
        )
    return out


def branches(session: Session) -> dict[int, Branch]:
    return {b.id: b for b in session.scalars(select(Branch).order_by(Branch.code))}


def guarantor(session: Session, guarantor_id: int) -> Guarantor | None:
    return session.get(Guarantor, guarantor_id)


def guarantors_of(session: Session, loan_id: int) -> list[Guarantor]:
    return list(
        session.scalars(
            select(Guarantor).where(Guarantor.loan_id == loan_id).order_by(Guarantor.id)
        )
    )
