"""Reversing a wrongly posted payment (冲正).

Only the latest standing payment of a loan may be reversed (undoing payments in reverse order
keeps every line exact); an earlier one is refused naming the later payment to reverse first.
Payments loaded without allocation rows (the demo bank, file imports) cannot be reversed exactly
and are refused. The reversal is a second row with the amounts negated (``reversal_of_id`` → the
original, whose ``reversed_at`` is set), and negated allocation rows; ``loans.schedule_version``
and ``maturity_on`` go back to what they were before a prepayment, whose new version is deleted
(or, when reversed payments still point at it, kept as history with its open lines marked
settled: superseded). Penalty accrued up to the payment day stays accrued: it was owed on the
amounts in force then. A reversed settling payment reopens the loan: workflow REOPEN (settled →
repaying), recorded and audited as ``loan.reopen``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.lending import ledger
from loanpilot.lending import repository_servicing as repo
from loanpilot.lending.ledger import Amounts
from loanpilot.lending.models import Loan, LoanStatus, Repayment
from loanpilot.lending.servicing import (
    NOBODY,
    REVERSAL_PREFIX,
    Actor,
    audit,
    get_loan,
    move,
    reason_text,
    save,
)
from loanpilot.lending.servicing_errors import RefusedError, missing, refused
from loanpilot.lending.workflow import Action


def reversal_refusal(session: Session, loan: Loan, original: Repayment) -> RefusedError | None:
    """Why ``original`` cannot be reversed now (None: it can)."""
    ref = original.txn_ref
    if original.reversal_of_id is not None:
        return refused(
            "reversal.refused", f"{ref} is itself a reversal", variant="is_reversal", txn_ref=ref
        )
    if original.reversed_at is not None:
        done = repo.reversal_of(session, original.id)
        by = done.txn_ref if done else ""
        return refused(
            "reversal.refused", f"{ref} is already reversed" + (f" by {by}" if by else ""),
            variant="already_reversed", txn_ref=ref, by=by,
        )  # fmt: skip
    if loan.status not in (LoanStatus.REPAYING, LoanStatus.SETTLED):
        return refused(
            "reversal.refused",
            f"Loan {loan.loan_no} is {loan.status.value}: its payments cannot be reversed",
            variant="loan_closed", loan_no=loan.loan_no, status=loan.status.value,
        )  # fmt: skip
    latest = repo.latest_standing(session, loan.id)
    if latest is not None and latest.id != original.id:
        return refused(
            "reversal.refused",
            f"Only the latest payment of a loan can be reversed: reverse {latest.txn_ref} "
            f"(dated {latest.paid_on}) first",
            variant="not_latest", latest=latest.txn_ref, latest_on=latest.paid_on.isoformat(),
        )  # fmt: skip
    if not repo.allocations_of(session, original.id):
        return refused(
            "reversal.refused",
            f"{ref} was loaded without allocation records (demo data or a file import), so it "
            "cannot be reversed exactly",
            variant="no_allocations", txn_ref=ref,
        )  # fmt: skip
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
    note = reason_text(reason, "reversal.reason")
    original = repo.repayment(session, repayment_id)
    if original is None:
        raise missing(
            "repayment.not_found", f"No repayment with id {repayment_id}", repayment_id=repayment_id
        )
    loan = get_loan(session, original.loan_id, lock=True)
    refusal = reversal_refusal(session, loan, original)
    if refusal is not None:
        raise refusal
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
    save(
        session,
        reversal,
        [(a.schedule_line_id, repo.allocated(a).negated()) for a in allocations],
    )
    original.reversed_at = now
    loan.outstanding_principal_fen += original.principal_fen
    reopened = loan.status is LoanStatus.SETTLED
    if reopened:
        loan.status = move(session, loan, Action.REOPEN, now, actor, f"reversal {reversal.txn_ref}")
        loan.settled_on = None
    audit(
        session, "repayment.reverse", loan, actor, now, txn_ref=original.txn_ref,
        reversal=reversal.txn_ref, amount_fen=original.amount_fen,
        prepayment=original.is_prepayment, reopened=reopened, reason=note,
    )  # fmt: skip
    return reversal
