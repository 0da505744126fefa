"""Servicing a loan: posting repayments and writing off; the shared rules of every posting.

The arithmetic is ``lending.ledger`` (pure); these modules read the rows, ask it, and write back
what it returns. Services flush; the entry point (handler, CLI) commits, and rolls back on any
error, so a refused request changes nothing. Every posting is audited (amounts and references
only, no personal data) and writes ``repayment_allocations``: what it put on each schedule line.
Refusals are ``lending.servicing_errors`` (a stable code and the values of their text).

The parts
    * here: repayments (``post_repayment``, ``amount_due``) and write-offs (``write_off``);
    * ``servicing_prepay``: prepayments, partial (schedule recalculated) or in full, and their
      preview with both options side by side;
    * ``servicing_reversal``: reversing a wrongly posted payment;
    * ``servicing_ledger_check``: the ledger check (``ledger_breaks``, also importable from here,
      as the daily close and the CLI call it);
    * ``servicing_views``: a loan as the pages and the API show it.

Rules of posting
    * ``txn_ref`` makes a posting idempotent: sending the same reference again returns the first
      posting (``replayed``); the same reference with another loan, kind or amount is refused.
      References are 1–32 letters, digits, ``-`` or ``_``; ``REV-`` is kept for reversals.
    * Payments are posted in date order: not before the loan's latest standing payment, not after
      today, not before the disbursement. Settled, written-off and transferred loans take none.
    * A repayment may not exceed what is due on its day (refused with the amount due: the rest is
      a prepayment). When it leaves nothing owed on the schedule the loan is settled.
    * Workflow transitions (settle, write off, reopen) start from the loan's recorded stage
      (``lending.events.current_stage``): a loan in collections keeps ``repaying`` in its status
      column, and settles or is written off from ``in_collections``.

Write-off (核销): a repaying loan's outstanding principal moves to ``written_off_fen``
(workflow WRITE_OFF); its schedule lines stay as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.audit.service import record
from loanpilot.config import Settings
from loanpilot.kit.money import format_yuan
from loanpilot.lending import ledger
from loanpilot.lending import repository_servicing as repo
from loanpilot.lending.events import current_stage, transition
from loanpilot.lending.ledger import Amounts, Line, Part, Terms
from loanpilot.lending.models import Loan, LoanStatus, Repayment, ScheduleLine
from loanpilot.lending.servicing_errors import invalid, missing, refused
from loanpilot.lending.servicing_ledger_check import LedgerBreak, ledger_breaks
from loanpilot.lending.workflow import Action

__all__ = [
    "CHANNELS",
    "NOBODY",
    "REVERSAL_PREFIX",
    "Actor",
    "LedgerBreak",
    "Policy",
    "Posted",
    "amount_due",
    "get_loan",
    "ledger_breaks",
    "post_repayment",
    "write_off",
]

TXN_REF = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
REVERSAL_PREFIX = "REV-"
CHANNELS: tuple[str, ...] = ("branch", "auto_debit", "mobile", "online", "transfer")
NOTE_MAX = 200


@dataclass(frozen=True)
class Policy:
    """The servicing settings: allocation order and penalty uplift."""

    order: tuple[Part, ...] = ledger.DEFAULT_ORDER
    uplift: Decimal = Decimal("0.5")

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            ledger.parse_allocation_order(settings.allocation_order), settings.penalty_uplift
        )


@dataclass(frozen=True)
class Actor:
    """Who asks: the staff id (None: a batch or the CLI), the audit label, the client address."""

    staff_id: int | None = None
    label: str = "system"
    address: str | None = None


NOBODY = Actor()


@dataclass(frozen=True)
class Posted:
    repayment: Repayment
    replayed: bool


def terms_of(loan: Loan) -> Terms:
    return Terms(loan.annual_rate, loan.repayment_method.value, loan.disbursed_on, loan.term_months)


def get_loan(session: Session, loan_id: int, *, lock: bool = False) -> Loan:
    found = repo.loan(session, loan_id, lock=lock)
    if found is None:
        raise missing("loan.not_found", f"No loan with id {loan_id}", loan_id=loan_id)
    return found


def check_ref(txn_ref: str) -> str:
    ref = txn_ref.strip()
    if not TXN_REF.match(ref) or ref.upper().startswith(REVERSAL_PREFIX):
        raise invalid(
            "repayment.txn_ref",
            "txn_ref",
            "The transaction reference must be 1–32 letters, digits, '-' or '_' "
            f"(not starting with {REVERSAL_PREFIX})",
            prefix=REVERSAL_PREFIX,
        )
    return ref


def check_open(loan: Loan, code: str) -> None:
    """Refuse a posting (``code``: ``<what>.loan_closed``) to a loan that is not repaying."""
    if loan.status is not LoanStatus.REPAYING:
        what = code.split(".", 1)[0].replace("_", "-")
        raise refused(
            code,
            f"Loan {loan.loan_no} is {loan.status.value}: it takes no {what}",
            loan_no=loan.loan_no,
            status=loan.status.value,
        )


def check_day(session: Session, loan: Loan, paid_on: date, today: date) -> None:
    if paid_on > today:
        raise invalid(
            "repayment.date", "paid_on", f"The date {paid_on} is after today ({today})",
            variant="after_today", paid_on=paid_on.isoformat(), today=today.isoformat(),
        )  # fmt: skip
    if paid_on < loan.disbursed_on:
        raise invalid(
            "repayment.date", "paid_on",
            f"The date {paid_on} is before the disbursement ({loan.disbursed_on})",
            variant="before_disbursement", paid_on=paid_on.isoformat(),
            disbursed_on=loan.disbursed_on.isoformat(),
        )  # fmt: skip
    latest = repo.latest_standing(session, loan.id)
    if latest is not None and paid_on < latest.paid_on:
        raise invalid(
            "repayment.date", "paid_on",
            f"Payments are posted in date order: {latest.txn_ref} of loan {loan.loan_no} is "
            f"dated {latest.paid_on}, after {paid_on}",
            variant="order", paid_on=paid_on.isoformat(), txn_ref=latest.txn_ref,
            loan_no=loan.loan_no, latest_on=latest.paid_on.isoformat(),
        )  # fmt: skip


def replay(found: Repayment, loan: Loan, *, prepayment: bool, principal_fen: int | None,
           amount_fen: int | None) -> Posted:  # fmt: skip
    """The first posting of a reference sent again; refused when it was another posting."""
    same = (
        found.loan_id == loan.id
        and found.reversal_of_id is None
        and found.is_prepayment == prepayment
        and (amount_fen is None or found.amount_fen == amount_fen)
        and (principal_fen is None or found.principal_fen == principal_fen)
    )
    if not same and found.loan_id != loan.id:
        # another loan's posting, which the caller may not see: nothing of it is told
        raise refused(
            "repayment.txn_ref_used",
            f"The reference {found.txn_ref} was already used; use a new reference",
            variant="elsewhere", txn_ref=found.txn_ref,
        )  # fmt: skip
    if not same:
        raise refused(
            "repayment.txn_ref_used",
            f"The reference {found.txn_ref} was already used for another posting "
            f"({format_yuan(found.amount_fen)} on {found.paid_on}); use a new reference",
            txn_ref=found.txn_ref, amount=format_yuan(found.amount_fen),
            paid_on=found.paid_on.isoformat(),
        )  # fmt: skip
    return Posted(found, replayed=True)


def move(
    session: Session, loan: Loan, action: Action, now: datetime, actor: Actor,
    note: str | None = None,
) -> LoanStatus:  # fmt: skip
    """Record a workflow transition of ``loan`` from its recorded stage; its new status."""
    stage = transition(
        session, entity="loan", entity_id=loan.id, entity_label=loan.loan_no,
        stage=current_stage(session, "loan", loan.id, loan.status.value), action=action,
        now=now, actor_id=actor.staff_id, actor_label=actor.label, note=note,
        client_address=actor.address,
    )  # fmt: skip
    return LoanStatus(stage.value)


def settle(session: Session, loan: Loan, on: date, now: datetime, actor: Actor) -> None:
    loan.status = move(session, loan, Action.SETTLE, now, actor)
    loan.settled_on = on


def audit(
    session: Session, action: str, loan: Loan, actor: Actor, now: datetime, **detail: object
) -> None:
    record(
        session, action=action, actor_label=actor.label, actor_staff_id=actor.staff_id,
        entity="loan", entity_id=loan.loan_no, detail=detail, client_address=actor.address, at=now,
    )  # fmt: skip


def accrued(session: Session, loan: Loan, day: date, policy: Policy
            ) -> tuple[list[ScheduleLine], tuple[Line, ...]]:  # fmt: skip
    """The current schedule's rows (period order) and their lines with penalty accrued to
    ``day``."""
    rows = repo.lines(session, loan.id, loan.schedule_version)
    lines = ledger.accrue_all(
        [repo.to_line(r) for r in rows], annual_rate=loan.annual_rate, uplift=policy.uplift,
        to_day=day,
    )  # fmt: skip
    return rows, lines


def posting(session: Session, loan_id: int, ref: str, channel: str) -> tuple[str, Loan]:
    """The checked reference and the loan, locked for the posting."""
    if channel not in CHANNELS:
        raise invalid(
            "repayment.channel", "channel", f"channel must be one of {', '.join(CHANNELS)}",
            allowed=", ".join(CHANNELS),
        )  # fmt: skip
    return check_ref(ref), get_loan(session, loan_id, lock=True)


def save(session: Session, repayment: Repayment, allocations: list[tuple[int, Amounts]]) -> None:
    repo.add_all(session, [repayment])
    repo.add_all(session, [repo.allocation(repayment.id, i, a) for i, a in allocations])


def reason_text(text: str, code: str) -> str:
    """The reason given (``code``: ``<what>.reason`` when it is empty or too long)."""
    note = text.strip()
    if not note or len(note) > NOTE_MAX:
        raise invalid(code, "reason", f"Give the reason (1–{NOTE_MAX} characters)", max=NOTE_MAX)
    return note


def post_repayment(
    session: Session, loan_id: int, *, amount_fen: int, paid_on: date, txn_ref: str, today: date,
    now: datetime, policy: Policy, actor: Actor = NOBODY, channel: str = "branch",
) -> Posted:  # fmt: skip
    """Post a repayment: accrue penalty to ``paid_on``, allocate, settle what it pays off."""
    ref, loan = posting(session, loan_id, txn_ref, channel)
    found = repo.repayment_by_ref(session, ref)
    if found is not None:
        return replay(found, loan, prepayment=False, principal_fen=None, amount_fen=amount_fen)
    check_open(loan, "repayment.loan_closed")
    check_day(session, loan, paid_on, today)
    rows, lines = accrued(session, loan, paid_on, policy)
    allocations = ledger.allocate(lines, amount_fen, paid_on, policy.order)
    for row, line in zip(rows, lines, strict=True):
        row.penalty_fen, row.penalty_accrued_on = line.penalty_fen, line.penalty_accrued_on
    total = Amounts()
    for a in allocations:
        repo.write_paid(rows[a.index], ledger.apply_amounts(lines[a.index], a.amounts, paid_on))
        total = total.plus(a.amounts)
    repayment = repo.new_repayment(
        loan.id, ref, paid_on, total, channel=channel, is_prepayment=False,
        posted_by_id=actor.staff_id,
    )  # fmt: skip
    save(session, repayment, [(rows[a.index].id, a.amounts) for a in allocations])
    loan.outstanding_principal_fen -= total.principal_fen
    settles = all(r.settled_on is not None for r in rows)
    if settles:
        settle(session, loan, paid_on, now, actor)
    audit(
        session, "repayment.post", loan, actor, now, txn_ref=ref, paid_on=paid_on.isoformat(),
        **repo.parts(total), amount_fen=total.total_fen, lines=len(allocations), settled=settles,
    )  # fmt: skip
    return Posted(repayment, replayed=False)


def amount_due(session: Session, loan_id: int, day: date, policy: Policy) -> Amounts:
    """What a repayment on ``day`` may pay at most (penalty accrued to ``day``)."""
    loan = get_loan(session, loan_id)
    return ledger.amount_due(accrued(session, loan, day, policy)[1], day)


def write_off(
    session: Session, loan_id: int, *, reason: str, now: datetime, actor: Actor = NOBODY
) -> Loan:
    """Write a repaying loan off (核销): its outstanding principal moves to written off."""
    note = reason_text(reason, "write_off.reason")
    loan = get_loan(session, loan_id, lock=True)
    check_open(loan, "write_off.loan_closed")
    amount = loan.outstanding_principal_fen
    loan.status = move(session, loan, Action.WRITE_OFF, now, actor, note)
    loan.written_off_fen += amount
    loan.outstanding_principal_fen = 0
    audit(session, "loan.write_off", loan, actor, now, amount_fen=amount, reason=note)
    return loan
