"""SQL of the collections step of the daily close (``risk.collections_close``): set-based, over
the open cases. One query each over every open case (no per-case or per-500 round trips), rows
written in bulk. The system works every case here (no viewer scope); the case screens' queries are
in ``repository_collections``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from loanpilot.audit.models import AuditLog
from loanpilot.db.bulk import bulk_insert
from loanpilot.lending.models import Loan, LoanStatus, Repayment, ScheduleLine, WorkflowEvent
from loanpilot.risk.collection_rules import NOTE_KIND
from loanpilot.risk.models import CollectionAction, CollectionCase
from loanpilot.risk.models_post import CollectionPromise, PromiseStatus

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
