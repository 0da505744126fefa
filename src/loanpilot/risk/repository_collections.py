"""SQL of collections: the ladder, cases and their loans, contacts, promises, overdue amounts,
repayments since a day, behavioural PDs and the collectors to assign cases to.

The caller's data scope is part of the case queries: a case is seen by whoever sees its debtor
(``access.rules.ROLE_SCOPE``: the whole bank, the debtor's home branch and the branches below
it, or the customers a manager looks after); ``viewer=None`` is the system (the daily close)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import numpy as np
from sqlalchemy import ColumnElement, Table, bindparam, false, func, select, update
from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal, ScopeKind
from loanpilot.audit.models import AuditLog
from loanpilot.customers.models import Customer
from loanpilot.db.bulk import bulk_insert
from loanpilot.kit.errors import NotFoundError
from loanpilot.lending.models import (
    Guarantor,
    Loan,
    LoanStatus,
    Repayment,
    ScheduleLine,
    WorkflowEvent,
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


# --- the daily close: set-based, over the open cases ------------------------------------------
# One query each over every open case (no per-case or per-500 round trips), rows written in bulk.

CASES = cast(Table, CollectionCase.__table__)
_OPEN = CollectionCase.closed_on.is_(None)


@dataclass(frozen=True)
class OpenCase:
    """An open case with what the close needs of its loan (plain values, no ORM objects)."""

    id: int
    loan_id: int
    opened_on: date
    ladder_step: str | None
    stage: str
    assigned_to_id: int | None
    recovered_fen: int
    next_action_on: date | None
    loan_no: str
    loan_status: str
    dpd: int
    branch_id: int


def open_case_rows(session: Session) -> list[OpenCase]:
    """Every open case with its loan, by case id."""
    c = CollectionCase
    rows = session.execute(
        select(c.id, c.loan_id, c.opened_on, c.ladder_step, c.stage, c.assigned_to_id,
               c.recovered_fen, c.next_action_on, Loan.loan_no, Loan.status, Loan.dpd,
               Loan.branch_id)
        .join(Loan, Loan.id == c.loan_id)
        .where(_OPEN)
        .order_by(c.id)
    )  # fmt: skip
    return [
        OpenCase(int(i), int(lid), on, step, _value(stage), who, int(rec or 0), nxt, no,
                 _value(status), int(dpd or 0), int(branch))
        for i, lid, on, step, stage, who, rec, nxt, no, status, dpd, branch in rows
    ]  # fmt: skip


def _value(member: Any) -> str:
    return str(getattr(member, "value", member))


def delinquent_without_case(session: Session, min_dpd: int) -> list[tuple[int, str, int]]:
    """Repaying loans at least ``min_dpd`` days past due with no open case: (id, loan no, dpd)."""
    has_case = select(CollectionCase.loan_id).where(_OPEN)
    rows = session.execute(
        select(Loan.id, Loan.loan_no, Loan.dpd)
        .where(Loan.status == LoanStatus.REPAYING, Loan.dpd >= min_dpd, Loan.id.not_in(has_case))
        .order_by(Loan.id)
    )
    return [(int(i), str(no), int(d)) for i, no, d in rows]


def add_cases(session: Session, loans: list[tuple[int, str, int]], as_of: date) -> int:
    """Open a case (soft stage, nothing recovered) on each of ``loans`` (id, loan no, dpd)."""
    return bulk_insert(
        session.connection(),
        CASES,
        {
            "case_no": [f"CC{as_of:%Y%m%d}-{i:06d}" for i, _, _ in loans],
            "loan_id": [i for i, _, _ in loans],
            "opened_on": [as_of] * len(loans),
            "dpd_at_open": [d for _, _, d in loans],
            "stage": ["soft"] * len(loans),
            "recovered_fen": [0] * len(loans),
        },
    )


def add_loan_transitions(
    session: Session, loans: list[tuple[int, str, str]], action: str, stages: tuple[str, str],
    now: datetime,
) -> int:  # fmt: skip
    """The rows ``lending.events.transition`` writes, for many loans at once (the caller checked
    the move with ``lending.workflow.next_stage``): per loan (id, loan no, note) a workflow event
    and its audit row, by the system, at ``now``."""
    if not loans:
        return 0
    n, (before, after) = len(loans), stages
    at = np.full(n, np.datetime64(now.astimezone(UTC).replace(tzinfo=None), "us"))
    conn = session.connection()
    bulk_insert(
        conn,
        cast(Table, WorkflowEvent.__table__),
        {
            "entity": ["loan"] * n, "entity_id": [i for i, _, _ in loans], "action": [action] * n,
            "from_stage": [before] * n, "to_stage": [after] * n, "at": at,
            "actor_id": [None] * n, "actor_label": ["system"] * n,
            "note": [note for _, _, note in loans],
        },
    )  # fmt: skip
    return bulk_insert(
        conn,
        cast(Table, AuditLog.__table__),
        {
            "at": at, "actor_staff_id": [None] * n, "actor_label": ["system"] * n,
            "action": [f"loan.{action}"] * n, "entity": ["loan"] * n,
            "entity_id": [no for _, no, _ in loans], "client_address": [None] * n,
            "detail": [{"from": before, "to": after}] * n, "outcome": ["ok"] * n,
        },
    )  # fmt: skip


def open_promise_actions(session: Session) -> list[CollectionAction]:
    """Actions on open cases that recorded a promise to pay but have no ``collection_promises``
    row (the demo's, and any logged before promises were kept)."""
    kept = select(CollectionPromise.action_id).where(CollectionPromise.action_id.is_not(None))
    return list(
        session.scalars(
            select(CollectionAction)
            .join(CollectionCase, CollectionCase.id == CollectionAction.case_id)
            .where(
                _OPEN,
                CollectionAction.promise_amount_fen.is_not(None),
                CollectionAction.promise_date.is_not(None),
                CollectionAction.id.not_in(kept),
            )
            .order_by(CollectionAction.id)
        )
    )


def open_promises(
    session: Session,
) -> tuple[dict[int, list[CollectionPromise]], dict[int, datetime]]:
    """The open promises of open cases by case (by due day, id), and when each was made (its
    action's time; promises without an action are absent)."""
    p, a = CollectionPromise, CollectionAction
    rows = session.execute(
        select(p, a.at)
        .join(CollectionCase, CollectionCase.id == p.case_id)
        .outerjoin(a, a.id == p.action_id)
        .where(_OPEN, p.status == PromiseStatus.OPEN)
        .order_by(p.due_on, p.id)
    )
    out: dict[int, list[CollectionPromise]] = defaultdict(list)
    made: dict[int, datetime] = {}
    for promise, at in rows:
        out[promise.case_id].append(promise)
        if at is not None:
            made[promise.id] = at
    return out, made


@dataclass(frozen=True)
class CaseFigures:
    """Per open case (or its loan): what the close places and follows it up by."""

    recovered: dict[int, int]  # case id → fen repaid since it opened
    overdue: dict[int, int]  # loan id → fen overdue (every part)
    broken: dict[int, int]  # case id → broken promises
    last_contact: dict[int, datetime]  # case id → latest contact (not a note)
    stage: dict[int, str]  # loan id → workflow stage after its latest transition


def case_figures(session: Session, as_of: date) -> CaseFigures:
    """The figures of every open case, one query each."""
    c, r, s, a, e = CollectionCase, Repayment, ScheduleLine, CollectionAction, WorkflowEvent
    open_loans = select(c.loan_id).where(_OPEN)
    recovered = session.execute(
        select(c.id, func.coalesce(func.sum(r.amount_fen), 0))
        .join(r, r.loan_id == c.loan_id)
        .where(_OPEN, r.paid_on >= c.opened_on, r.paid_on <= as_of,
               r.reversal_of_id.is_(None), r.reversed_at.is_(None))
        .group_by(c.id)
    )  # fmt: skip
    parts = (s.principal_fen - s.paid_principal_fen, s.interest_fen - s.paid_interest_fen,
             s.fee_fen - s.paid_fee_fen, s.penalty_fen - s.paid_penalty_fen)  # fmt: skip
    overdue = session.execute(
        select(s.loan_id, *(func.sum(part) for part in parts))
        .join(Loan, Loan.id == s.loan_id)
        .where(s.loan_id.in_(open_loans), s.version == Loan.schedule_version,
               s.settled_on.is_(None), s.due_on < as_of)
        .group_by(s.loan_id)
    )  # fmt: skip
    broken = session.execute(
        select(CollectionPromise.case_id, func.count())
        .join(c, c.id == CollectionPromise.case_id)
        .where(_OPEN, CollectionPromise.status == PromiseStatus.BROKEN)
        .group_by(CollectionPromise.case_id)
    )
    contact = session.execute(
        select(a.case_id, func.max(a.at))
        .join(c, c.id == a.case_id)
        .where(_OPEN, a.kind != NOTE_KIND)
        .group_by(a.case_id)
    )
    stages = session.execute(
        select(e.entity_id, e.to_stage)
        .where(e.entity == "loan", e.entity_id.in_(open_loans))
        .order_by(e.entity_id, e.at, e.id)
    )
    return CaseFigures(
        recovered={int(i): max(int(v), 0) for i, v in recovered},
        overdue={int(i): sum(max(int(v or 0), 0) for v in vs) for i, *vs in overdue},
        broken={int(i): int(n) for i, n in broken},
        last_contact={int(i): at for i, at in contact if at is not None},
        stage={int(i): str(to) for i, to in stages},
    )


#: The columns of a case the close writes (``update_cases``).
CASE_FIELDS = ("recovered_fen", "ladder_step", "stage", "next_action_on", "assigned_to_id",
               "closed_on", "outcome")  # fmt: skip


def update_cases(session: Session, changes: dict[int, dict[str, Any]]) -> int:
    """Write each case's changed columns (``CASE_FIELDS``), grouped by which columns changed."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for case_id, values in changes.items():
        names = tuple(sorted(values))
        by_columns[names].append({"_id": case_id, **{f"_{k}": v for k, v in values.items()}})
    for names, params in by_columns.items():
        session.execute(
            update(CASES)
            .where(CASES.c.id == bindparam("_id"))
            .values({k: bindparam(f"_{k}") for k in names}),
            params,
        )
    return len(changes)
