"""A loan as the console pages and the API show it, within the caller's customer scope.

``loan_view``: the customer's name (the surface masks it), the product and branch, the loan's
workflow stage (from its last recorded transition: ``in_collections`` while the status column
says repaying) and its timeline with the staff who made each step, the current schedule with penalty accrued to ``today``, what
is due today, and the payments (newest first) with the one that may be reversed now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal, check_customer_scope
from loanpilot.customers.models import Customer
from loanpilot.lending import ledger
from loanpilot.lending import repository_servicing as repo
from loanpilot.lending.events import current_stage, history
from loanpilot.lending.ledger import Amounts, Line
from loanpilot.lending.models import Loan, Repayment, WorkflowEvent
from loanpilot.lending.repository_lifecycle import staff_labels
from loanpilot.lending.servicing import Policy, accrued, get_loan
from loanpilot.lending.servicing_errors import missing
from loanpilot.lending.servicing_reversal import reversal_refusal
from loanpilot.lending.workflow import Stage
from loanpilot.products.models import LoanProduct


@dataclass(frozen=True)
class LoanView:
    loan: Loan
    customer_name: str
    product: LoanProduct
    branch_name: str
    stage: Stage
    events: list[WorkflowEvent]
    staff: dict[int, tuple[str, str]]  # staff id -> (name, user name) of the events' actors
    lines: tuple[Line, ...]
    due_today: Amounts
    repayments: list[Repayment]
    reversible_id: int | None
    today: date

    @property
    def penalty_fen(self) -> int:
        """Penalty accrued to today and not yet paid, over the whole schedule."""
        return sum(x.owed().penalty_fen for x in self.lines)

    def line_state(self, line: Line) -> str:
        """``paid``, ``overdue`` (due before today, something unpaid), ``due`` (due today),
        ``partial`` (not yet due, partly paid) or ``open``."""
        if line.settled_on is not None or line.owed().total_fen == 0:
            return "paid"
        if line.due_on < self.today:
            return "overdue"
        if line.due_on == self.today:
            return "due"
        return "partial" if line.paid.total_fen else "open"


def in_scope(session: Session, principal: Principal, loan: Loan) -> Customer:
    """The loan's customer; PermissionDeniedError (scope.forbidden) outside the caller's scope."""
    customer = repo.customer(session, loan.customer_id)
    if customer is None:
        raise missing(
            "customer.not_found", f"Loan {loan.loan_no} has no customer", loan_no=loan.loan_no
        )
    check_customer_scope(principal, customer.home_branch_id, customer.manager_id)
    return customer


def scoped_loan(session: Session, principal: Principal, loan_id: int) -> Loan:
    """The loan, refused outside the caller's customer scope (for postings)."""
    loan = get_loan(session, loan_id)
    in_scope(session, principal, loan)
    return loan


def loan_view(
    session: Session, principal: Principal, loan_id: int, *, today: date, policy: Policy
) -> LoanView:
    loan = get_loan(session, loan_id)
    customer = in_scope(session, principal, loan)
    product = repo.product(session, loan.product_id)
    assert product is not None  # a foreign key
    _, lines = accrued(session, loan, today, policy)
    latest = repo.latest_standing(session, loan.id)
    reversible = latest is not None and reversal_refusal(session, loan, latest) is None
    events = history(session, "loan", loan.id)
    return LoanView(
        loan=loan, customer_name=customer.name, product=product,
        branch_name=repo.branch_name(session, loan.branch_id) or "",
        stage=current_stage(session, "loan", loan.id, loan.status.value),
        events=events, lines=lines,
        staff=staff_labels(session, [e.actor_id for e in events if e.actor_id is not None]),
        due_today=ledger.amount_due(lines, today), repayments=repo.repayments_of(session, loan.id),
        reversible_id=latest.id if reversible and latest else None, today=today,
    )  # fmt: skip
