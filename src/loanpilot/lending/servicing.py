"""Servicing a loan: repayments, prepayments, reversals, write-offs, and the ledger check.

The arithmetic is ``lending.ledger`` (pure); this module reads the rows, asks it, and writes back
what it returns. Services flush; the entry point (handler, CLI) commits, and rolls back on any
error, so a refused request changes nothing. Every posting is audited (amounts and references
only, no personal data) and writes ``repayment_allocations``: what it put on each schedule line.

Rules of posting
    * ``txn_ref`` makes a posting idempotent: sending the same reference again returns the first
      posting (``replayed``); the same reference with another loan, kind or amount is refused.
      References are 1–32 letters, digits, ``-`` or ``_``; ``REV-`` is kept for reversals.
    * Payments are posted in date order: not before the loan's latest standing payment, not after
      today, not before the disbursement. Settled, written-off and transferred loans take none.
    * A repayment may not exceed what is due on its day (refused with the amount due: the rest is
      a prepayment). When it leaves nothing owed on the schedule the loan is settled.
    * A partial prepayment writes schedule version n+1 (the paid periods copied, the new periods
      after them) and marks the superseded lines of version n settled on the prepayment day, so
      nothing reading unsettled lines mistakes them for arrears; ``loans.maturity_on`` follows the
      new last due date. A full prepayment settles the loan (workflow SETTLE).

Reversal
    Only the latest standing payment of a loan may be reversed (undoing payments in reverse order
    keeps every line exact); an earlier one is refused naming the later payment to reverse
    first. Payments loaded without allocation rows (the demo bank, file imports) cannot be
    reversed exactly and are refused. The reversal is a second row with the amounts negated
    (``reversal_of_id`` → the original, whose ``reversed_at`` is set), and negated allocation
    rows; ``loans.schedule_version`` and ``maturity_on`` go back to what they were before a
    prepayment, whose new version is deleted (or, when reversed payments still point at it,
    kept as history with its open lines marked settled: superseded). Penalty accrued up to the payment day
    stays accrued: it was owed on the amounts in force then. A reversed settling payment reopens
    the loan (status repaying; audited as ``loan.reopen``).

Write-off (核销): a repaying loan's outstanding principal moves to ``written_off_fen``
(workflow WRITE_OFF); its schedule lines stay as they are.

The ledger check (``ledger_breaks``): for every loan, principal = repaid principal (every
repayment row, reversals included, so net) + outstanding + written off; and for repaying and
settled loans, outstanding = the unpaid principal of the current schedule version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal, check_customer_scope
from loanpilot.audit.service import record
from loanpilot.config import Settings
from loanpilot.customers.models import Customer
from loanpilot.kit.errors import ConflictError, FieldProblem, NotFoundError, ValidationError
from loanpilot.kit.money import format_yuan
from loanpilot.lending import ledger
from loanpilot.lending import repository_servicing as repo
from loanpilot.lending.events import transition
from loanpilot.lending.ledger import Amounts, Line, Part, Prepayment, PrepayOption, Terms
from loanpilot.lending.models import (
    Loan,
    LoanStatus,
    Repayment,
    ScheduleLine,
)
from loanpilot.lending.workflow import Action
from loanpilot.products.models import LoanProduct

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


@dataclass(frozen=True)
class LedgerBreak:
    """A loan whose amounts do not balance (``difference_fen`` = what is missing)."""

    loan_id: int
    loan_no: str
    principal_fen: int
    repaid_principal_fen: int
    outstanding_fen: int
    written_off_fen: int
    difference_fen: int
    check: str = "balance"  # "balance" or "schedule" (outstanding vs the schedule's unpaid)
    schedule_unpaid_fen: int | None = None


def terms_of(loan: Loan) -> Terms:
    return Terms(loan.annual_rate, loan.repayment_method.value, loan.disbursed_on, loan.term_months)


def _bad(code: str, field: str, message: str) -> ValidationError:
    return ValidationError(code, message, [FieldProblem(field, message)])


def get_loan(session: Session, loan_id: int, *, lock: bool = False) -> Loan:
    found = repo.loan(session, loan_id, lock=lock)
    if found is None:
        raise NotFoundError("loan.not_found", f"No loan with id {loan_id}")
    return found


def check_ref(txn_ref: str) -> str:
    ref = txn_ref.strip()
    if not TXN_REF.match(ref) or ref.upper().startswith(REVERSAL_PREFIX):
        raise _bad(
            "repayment.txn_ref",
            "txn_ref",
            "The transaction reference must be 1–32 letters, digits, '-' or '_' "
            f"(not starting with {REVERSAL_PREFIX})",
        )
    return ref


def _check_open(loan: Loan, what: str) -> None:
    if loan.status is not LoanStatus.REPAYING:
        raise ConflictError(
            f"{what}.loan_closed",
            f"Loan {loan.loan_no} is {loan.status.value}: it takes no {what}",
        )


def _check_day(session: Session, loan: Loan, paid_on: date, today: date) -> None:
    if paid_on > today:
        raise _bad("repayment.date", "paid_on", f"The date {paid_on} is after today ({today})")
    if paid_on < loan.disbursed_on:
        raise _bad(
            "repayment.date",
            "paid_on",
            f"The date {paid_on} is before the disbursement ({loan.disbursed_on})",
        )
    latest = repo.latest_standing(session, loan.id)
    if latest is not None and paid_on < latest.paid_on:
        raise _bad(
            "repayment.date",
            "paid_on",
            f"Payments are posted in date order: {latest.txn_ref} of loan {loan.loan_no} is "
            f"dated {latest.paid_on}, after {paid_on}",
        )


def _replay(found: Repayment, loan: Loan, *, prepayment: bool, principal_fen: int | None,
            amount_fen: int | None) -> Posted:  # fmt: skip
    same = (
        found.loan_id == loan.id
        and found.reversal_of_id is None
        and found.is_prepayment == prepayment
        and (amount_fen is None or found.amount_fen == amount_fen)
        and (principal_fen is None or found.principal_fen == principal_fen)
    )
    if not same:
        raise ConflictError(
            "repayment.txn_ref_used",
            f"The reference {found.txn_ref} was already used for another posting "
            f"({format_yuan(found.amount_fen)} on {found.paid_on}); use a new reference",
        )
    return Posted(found, replayed=True)


def _settle(session: Session, loan: Loan, on: date, now: datetime, actor: Actor) -> None:
    stage = transition(
        session, entity="loan", entity_id=loan.id, entity_label=loan.loan_no,
        stage=loan.status.value, action=Action.SETTLE, now=now, actor_id=actor.staff_id,
        actor_label=actor.label, client_address=actor.address,
    )  # fmt: skip
    loan.status = LoanStatus(stage.value)
    loan.settled_on = on


def _audit(
    session: Session, action: str, loan: Loan, actor: Actor, now: datetime, **detail: object
) -> None:
    record(
        session, action=action, actor_label=actor.label, actor_staff_id=actor.staff_id,
        entity="loan", entity_id=loan.loan_no, detail=detail, client_address=actor.address, at=now,
    )  # fmt: skip


def _accrued(session: Session, loan: Loan, day: date, policy: Policy
             ) -> tuple[list[ScheduleLine], tuple[Line, ...]]:  # fmt: skip
    """The current schedule's rows (period order) and their lines with penalty accrued to
    ``day``."""
    rows = repo.lines(session, loan.id, loan.schedule_version)
    lines = ledger.accrue_all(
        [repo.to_line(r) for r in rows], annual_rate=loan.annual_rate, uplift=policy.uplift,
        to_day=day,
    )  # fmt: skip
    return rows, lines


def _posting(session: Session, loan_id: int, ref: str, channel: str) -> tuple[str, Loan]:
    if channel not in CHANNELS:
        raise _bad("repayment.channel", "channel", f"channel must be one of {', '.join(CHANNELS)}")
    return check_ref(ref), get_loan(session, loan_id, lock=True)


def _save(session: Session, repayment: Repayment, allocations: list[tuple[int, Amounts]]) -> None:
    repo.add_all(session, [repayment])
    repo.add_all(session, [repo.allocation(repayment.id, i, a) for i, a in allocations])


def post_repayment(
    session: Session, loan_id: int, *, amount_fen: int, paid_on: date, txn_ref: str, today: date,
    now: datetime, policy: Policy, actor: Actor = NOBODY, channel: str = "branch",
) -> Posted:  # fmt: skip
    """Post a repayment: accrue penalty to ``paid_on``, allocate, settle what it pays off."""
    ref, loan = _posting(session, loan_id, txn_ref, channel)
    found = repo.repayment_by_ref(session, ref)
    if found is not None:
        return _replay(found, loan, prepayment=False, principal_fen=None, amount_fen=amount_fen)
    _check_open(loan, "repayment")
    _check_day(session, loan, paid_on, today)
    rows, lines = _accrued(session, loan, paid_on, policy)
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
    _save(session, repayment, [(rows[a.index].id, a.amounts) for a in allocations])
    loan.outstanding_principal_fen -= total.principal_fen
    settles = all(r.settled_on is not None for r in rows)
    if settles:
        _settle(session, loan, paid_on, now, actor)
    _audit(
        session, "repayment.post", loan, actor, now, txn_ref=ref, paid_on=paid_on.isoformat(),
        **repo.parts(total), amount_fen=total.total_fen, lines=len(allocations), settled=settles,
    )  # fmt: skip
    return Posted(repayment, replayed=False)


def amount_due(session: Session, loan_id: int, day: date, policy: Policy) -> Amounts:
    """What a repayment on ``day`` may pay at most (penalty accrued to ``day``)."""
    loan = get_loan(session, loan_id)
    return ledger.amount_due(_accrued(session, loan, day, policy)[1], day)


def preview_prepayment(
    session: Session, loan_id: int, *, principal_fen: int | None, paid_on: date, policy: Policy
) -> tuple[Prepayment, dict[PrepayOption, Prepayment | str]]:
    """The full payoff on ``paid_on`` and, for ``principal_fen``, both partial options."""
    loan = get_loan(session, loan_id)
    _check_open(loan, "prepayment")
    _, lines = _accrued(session, loan, paid_on, policy)
    terms = terms_of(loan)
    payoff = ledger.prepayment(terms, lines, on=paid_on, principal_fen=None, option=None)
    if principal_fen is None:
        return payoff, {}
    return payoff, ledger.prepayment_options(terms, lines, on=paid_on, principal_fen=principal_fen)


def prepay(
    session: Session, loan_id: int, *, principal_fen: int | None, option: PrepayOption | None,
    paid_on: date, txn_ref: str, today: date, now: datetime, policy: Policy,
    actor: Actor = NOBODY, channel: str = "branch",
) -> Posted:  # fmt: skip
    """Prepay ``principal_fen`` (None: in full) with the customer's ``option``."""
    ref, loan = _posting(session, loan_id, txn_ref, channel)
    found = repo.repayment_by_ref(session, ref)
    if found is not None:
        return _replay(found, loan, prepayment=True, principal_fen=principal_fen, amount_fen=None)
    _check_open(loan, "prepayment")
    _check_day(session, loan, paid_on, today)
    rows, lines = _accrued(session, loan, paid_on, policy)
    plan = ledger.prepayment(
        terms_of(loan), lines, on=paid_on, principal_fen=principal_fen, option=option
    )
    for a in plan.allocations:
        repo.write_paid(rows[a.index], ledger.apply_amounts(lines[a.index], a.amounts, paid_on))
    for row in rows[plan.first_remaining :]:
        row.settled_on = paid_on  # paid off, or superseded by the new version
    total = Amounts(plan.principal_fen, plan.accrued_interest_fen)
    repayment = repo.new_repayment(
        loan.id, ref, paid_on, total, channel=channel, is_prepayment=True,
        posted_by_id=actor.staff_id,
    )  # fmt: skip
    _save(session, repayment, [(rows[a.index].id, a.amounts) for a in plan.allocations])
    loan.outstanding_principal_fen -= plan.principal_fen
    if plan.full:
        _settle(session, loan, paid_on, now, actor)
    else:
        version = repo.newest_version(session, loan.id) + 1
        kept = [repo.copy_line(row, version) for row in rows[: plan.first_remaining]]
        new = [repo.new_line(loan.id, version, x) for x in plan.new_lines]
        repo.add_all(session, [*kept, *new])
        loan.schedule_version = version
        loan.maturity_on = plan.new_lines[-1].due_on
    _audit(
        session, "repayment.prepay", loan, actor, now, txn_ref=ref, paid_on=paid_on.isoformat(),
        full=plan.full, option=plan.option.value if plan.option else None,
        principal_fen=plan.principal_fen, interest_fen=plan.accrued_interest_fen,
        periods_before=plan.periods_before, periods_after=plan.periods_after,
        schedule_version=loan.schedule_version,
    )  # fmt: skip
    return Posted(repayment, replayed=False)


def reversal_refusal(session: Session, loan: Loan, original: Repayment) -> str | None:
    """Why ``original`` cannot be reversed now (None: it can)."""
    if original.reversal_of_id is not None:
        return f"{original.txn_ref} is itself a reversal"
    if original.reversed_at is not None:
        done = repo.reversal_of(session, original.id)
        return f"{original.txn_ref} is already reversed" + (f" by {done.txn_ref}" if done else "")
    if loan.status not in (LoanStatus.REPAYING, LoanStatus.SETTLED):
        return f"Loan {loan.loan_no} is {loan.status.value}: its payments cannot be reversed"
    latest = repo.latest_standing(session, loan.id)
    if latest is not None and latest.id != original.id:
        return (
            f"Only the latest payment of a loan can be reversed: reverse {latest.txn_ref} "
            f"(dated {latest.paid_on}) first"
        )
    if not repo.allocations_of(session, original.id):
        return (
            f"{original.txn_ref} was loaded without allocation records (demo data or a file "
            "import), so it cannot be reversed exactly"
        )
    return None


def _restore_schedule(
    session: Session, loan: Loan, original: Repayment, version: int, today: date
) -> None:
    """Undo what a prepayment did to the schedule: back to ``version``, its lines after the
    prepayment day open again. The later version is deleted, or, when reversed payments still
    point at it, kept as history with its open lines marked settled (superseded)."""
    if loan.schedule_version != version:
        if repo.allocations_on_version(session, loan.id, loan.schedule_version):
            for row in repo.lines(session, loan.id, loan.schedule_version):
                row.settled_on = row.settled_on or today
        else:
            repo.delete_version(session, loan.id, loan.schedule_version)
        loan.schedule_version = version
    restored = repo.lines(session, loan.id, version)
    for row in restored:
        if row.due_on > original.paid_on:
            row.settled_on = None
    loan.maturity_on = restored[-1].due_on


def reverse_repayment(
    session: Session, repayment_id: int, *, reason: str, today: date, now: datetime,
    actor: Actor = NOBODY,
) -> Repayment:  # fmt: skip
    """Reverse a wrongly posted payment (rules in the module docstring); the reversal row."""
    note = _reason(reason, "reversal")
    original = repo.repayment(session, repayment_id)
    if original is None:
        raise NotFoundError("repayment.not_found", f"No repayment with id {repayment_id}")
    loan = get_loan(session, original.loan_id, lock=True)
    refusal = reversal_refusal(session, loan, original)
    if refusal:
        raise ConflictError("reversal.refused", refusal)
    allocations = repo.allocations_of(session, original.id)
    rows = repo.lines_by_id(session, [a.schedule_line_id for a in allocations])
    for a in allocations:
        row = rows[a.schedule_line_id]
        repo.write_paid(row, ledger.undo_amounts(repo.to_line(row), repo.allocated(a)))
    if original.is_prepayment:
        old = rows[allocations[0].schedule_line_id].version
        _restore_schedule(session, loan, original, old, today)
    reversal = repo.new_repayment(
        loan.id, f"{REVERSAL_PREFIX}{original.txn_ref}", max(today, original.paid_on),
        Amounts(original.principal_fen, original.interest_fen, original.fee_fen,
                original.penalty_fen).negated(),
        channel=original.channel, is_prepayment=original.is_prepayment,
        posted_by_id=actor.staff_id, note=note, reversal_of_id=original.id,
    )  # fmt: skip
    _save(
        session,
        reversal,
        [(a.schedule_line_id, repo.allocated(a).negated()) for a in allocations],
    )
    original.reversed_at = now
    loan.outstanding_principal_fen += original.principal_fen
    reopened = loan.status is LoanStatus.SETTLED
    if reopened:
        loan.status, loan.settled_on = LoanStatus.REPAYING, None
        _audit(session, "loan.reopen", loan, actor, now, reversal=reversal.txn_ref)
    _audit(
        session, "repayment.reverse", loan, actor, now, txn_ref=original.txn_ref,
        reversal=reversal.txn_ref, amount_fen=original.amount_fen,
        prepayment=original.is_prepayment, reopened=reopened, reason=note,
    )  # fmt: skip
    return reversal


def _reason(text: str, what: str) -> str:
    note = text.strip()
    if not note or len(note) > NOTE_MAX:
        raise _bad(f"{what}.reason", "reason", f"Give the reason (1–{NOTE_MAX} characters)")
    return note


def write_off(
    session: Session, loan_id: int, *, reason: str, now: datetime, actor: Actor = NOBODY
) -> Loan:
    """Write a repaying loan off (核销): its outstanding principal moves to written off."""
    note = _reason(reason, "write_off")
    loan = get_loan(session, loan_id, lock=True)
    _check_open(loan, "write_off")
    amount = loan.outstanding_principal_fen
    stage = transition(
        session, entity="loan", entity_id=loan.id, entity_label=loan.loan_no,
        stage=loan.status.value, action=Action.WRITE_OFF, now=now, actor_id=actor.staff_id,
        actor_label=actor.label, note=note, client_address=actor.address,
    )  # fmt: skip
    loan.status = LoanStatus(stage.value)
    loan.written_off_fen += amount
    loan.outstanding_principal_fen = 0
    _audit(session, "loan.write_off", loan, actor, now, amount_fen=amount, reason=note)
    return loan


def ledger_breaks(session: Session) -> list[LedgerBreak]:
    """Every loan that does not balance (module docstring), in loan order; empty: all balance."""
    out = [
        LedgerBreak(i, no, p, repaid, left, off, ledger.ledger_difference(p, repaid, left, off))
        for i, no, p, repaid, left, off in repo.balance_breaks(session)
    ]
    out += [
        LedgerBreak(i, no, p, p - left - off, left, off, left - unpaid, "schedule", unpaid)
        for i, no, p, left, off, unpaid in repo.schedule_breaks(session)
    ]
    return sorted(out, key=lambda b: (b.loan_id, b.check))


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanView:
    """A loan as the pages and the API show it: the customer's name (to be masked), the current
    schedule with penalty accrued to ``today``, what is due today, and the payments (newest
    first) with the one that may be reversed."""

    loan: Loan
    customer_name: str
    product: LoanProduct
    branch_name: str
    lines: tuple[Line, ...]
    due_today: Amounts
    repayments: list[Repayment]
    reversible_id: int | None


def in_scope(session: Session, principal: Principal, loan: Loan) -> Customer:
    """The loan's customer; PermissionDeniedError (scope.forbidden) outside the caller's scope."""
    customer = repo.customer(session, loan.customer_id)
    if customer is None:
        raise NotFoundError("customer.not_found", f"Loan {loan.loan_no} has no customer")
    check_customer_scope(principal, customer.home_branch_id, customer.manager_id)
    return customer


def loan_view(
    session: Session, principal: Principal, loan_id: int, *, today: date, policy: Policy
) -> LoanView:
    loan = get_loan(session, loan_id)
    customer = in_scope(session, principal, loan)
    product = repo.product(session, loan.product_id)
    assert product is not None  # a foreign key
    _, lines = _accrued(session, loan, today, policy)
    repayments = repo.repayments_of(session, loan.id)
    latest = repo.latest_standing(session, loan.id)
    reversible = latest is not None and reversal_refusal(session, loan, latest) is None
    return LoanView(
        loan=loan, customer_name=customer.name, product=product,
        branch_name=repo.branch_name(session, loan.branch_id) or "",
        lines=lines, due_today=ledger.amount_due(lines, today),
        repayments=repayments, reversible_id=latest.id if reversible and latest else None,
    )  # fmt: skip


def scoped_loan(session: Session, principal: Principal, loan_id: int) -> Loan:
    """The loan, refused outside the caller's customer scope (for postings)."""
    loan = get_loan(session, loan_id)
    in_scope(session, principal, loan)
    return loan
