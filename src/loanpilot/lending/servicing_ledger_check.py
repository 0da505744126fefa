"""The ledger check: every loan balances to the fen, every day.

For every loan, principal = repaid principal (every repayment row, reversals included, so net)
+ outstanding + written off; and for repaying and settled loans, outstanding = the unpaid
principal of the current schedule version. ``ledger_breaks`` lists the loans that do not (the
daily close and ``loanpilot loans ledger-check`` call it, as ``lending.servicing.ledger_breaks``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from loanpilot.lending import ledger
from loanpilot.lending import repository_servicing as repo


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
