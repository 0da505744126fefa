"""Prepayments (提前还款): partial with the schedule recalculated, or in full; and the preview.

The rules (what is charged, the two options) are ``lending.ledger_prepay``'s. A partial prepayment writes
schedule version n+1 (the paid periods copied, the new periods after them) and marks the
superseded lines of version n settled on the prepayment day, so nothing reading unsettled lines
mistakes them for arrears; ``loans.maturity_on`` follows the new last due date. A full
prepayment settles the loan (workflow SETTLE, from the loan's recorded stage). The preview posts
nothing: the full payoff on the day and, for an amount, both options side by side (or why one is
not offered).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.lending import ledger, ledger_prepay
from loanpilot.lending import repository_servicing as repo
from loanpilot.lending.ledger import Amounts
from loanpilot.lending.ledger_prepay import Prepayment, PrepayOption
from loanpilot.lending.servicing import (
    NOBODY,
    Actor,
    Policy,
    Posted,
    accrued,
    audit,
    check_day,
    check_open,
    get_loan,
    posting,
    replay,
    save,
    settle,
    terms_of,
)


def preview_prepayment(
    session: Session, loan_id: int, *, principal_fen: int | None, paid_on: date, policy: Policy
) -> tuple[Prepayment, dict[PrepayOption, Prepayment | str]]:
    """The full payoff on ``paid_on`` and, for ``principal_fen``, both partial options."""
    loan = get_loan(session, loan_id)
    check_open(loan, "prepayment.loan_closed")
    _, lines = accrued(session, loan, paid_on, policy)
    terms = terms_of(loan)
    payoff = ledger_prepay.prepayment(terms, lines, on=paid_on, principal_fen=None, option=None)
    if principal_fen is None:
        return payoff, {}
    return payoff, ledger_prepay.prepayment_options(
        terms, lines, on=paid_on, principal_fen=principal_fen
    )


def prepay(
    session: Session, loan_id: int, *, principal_fen: int | None, option: PrepayOption | None,
    paid_on: date, txn_ref: str, today: date, now: datetime, policy: Policy,
    actor: Actor = NOBODY, channel: str = "branch",
) -> Posted:  # fmt: skip
    """Prepay ``principal_fen`` (None: in full) with the customer's ``option``."""
    ref, loan = posting(session, loan_id, txn_ref, channel)
    found = repo.repayment_by_ref(session, ref)
    if found is not None:
        return replay(found, loan, prepayment=True, principal_fen=principal_fen, amount_fen=None)
    check_open(loan, "prepayment.loan_closed")
    check_day(session, loan, paid_on, today)
    rows, lines = accrued(session, loan, paid_on, policy)
    plan = ledger_prepay.prepayment(
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
    save(session, repayment, [(rows[a.index].id, a.amounts) for a in plan.allocations])
    loan.outstanding_principal_fen -= plan.principal_fen
    if plan.full:
        settle(session, loan, paid_on, now, actor)
    else:
        version = repo.newest_version(session, loan.id) + 1
        kept = [repo.copy_line(row, version) for row in rows[: plan.first_remaining]]
        new = [repo.new_line(loan.id, version, x) for x in plan.new_lines]
        repo.add_all(session, [*kept, *new])
        loan.schedule_version = version
        loan.maturity_on = plan.new_lines[-1].due_on
    audit(
        session, "repayment.prepay", loan, actor, now, txn_ref=ref, paid_on=paid_on.isoformat(),
        full=plan.full, option=plan.option.value if plan.option else None,
        principal_fen=plan.principal_fen, interest_fen=plan.accrued_interest_fen,
        periods_before=plan.periods_before, periods_after=plan.periods_after,
        schedule_version=loan.schedule_version,
    )  # fmt: skip
    return Posted(repayment, replayed=False)
