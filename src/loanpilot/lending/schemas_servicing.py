"""API shapes of servicing. Money is integer fen plus an exact yuan string; the customer's name
is masked; no ID or phone number appears here."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from loanpilot.app import yuan
from loanpilot.kit.masking import mask_name
from loanpilot.lending.ledger import Line
from loanpilot.lending.ledger_prepay import NewLine, Prepayment
from loanpilot.lending.models import Loan, Repayment

Ref = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
Fen = Field(ge=1, le=10**13)


class LoanItemRead(BaseModel):
    id: int
    loan_no: str
    customer_name: str = Field(description="Masked")
    product_code: str
    branch_name: str
    principal_fen: int
    outstanding_fen: int
    outstanding_yuan: str
    annual_rate: Decimal
    term_months: int
    repayment_method: str
    disbursed_on: date
    status: str
    dpd: int
    five_class: str

    @classmethod
    def of(cls, loan: Loan, name: str, product_code: str, branch: str) -> LoanItemRead:
        return cls(
            id=loan.id, loan_no=loan.loan_no, customer_name=mask_name(name),
            product_code=product_code, branch_name=branch, principal_fen=loan.principal_fen,
            outstanding_fen=loan.outstanding_principal_fen,
            outstanding_yuan=yuan(loan.outstanding_principal_fen), annual_rate=loan.annual_rate,
            term_months=loan.term_months, repayment_method=loan.repayment_method.value,
            disbursed_on=loan.disbursed_on, status=loan.status.value, dpd=loan.dpd,
            five_class=loan.five_class.value,
        )  # fmt: skip


class LoanPageRead(BaseModel):
    items: list[LoanItemRead]
    total: int
    page: int
    pages: int
    size: int


class LineRead(BaseModel):
    period_no: int
    due_on: date
    principal_fen: int
    interest_fen: int
    fee_fen: int
    penalty_fen: int = Field(description="Penalty interest accrued to the day asked")
    paid_principal_fen: int
    paid_interest_fen: int
    paid_fee_fen: int
    paid_penalty_fen: int
    settled_on: date | None

    @classmethod
    def of(cls, x: Line) -> LineRead:
        return cls(
            period_no=x.period_no, due_on=x.due_on, principal_fen=x.principal_fen,
            interest_fen=x.interest_fen, fee_fen=x.fee_fen, penalty_fen=x.penalty_fen,
            paid_principal_fen=x.paid.principal_fen, paid_interest_fen=x.paid.interest_fen,
            paid_fee_fen=x.paid.fee_fen, paid_penalty_fen=x.paid.penalty_fen,
            settled_on=x.settled_on,
        )  # fmt: skip


class RepaymentRead(BaseModel):
    id: int
    txn_ref: str
    loan_id: int
    paid_on: date
    amount_fen: int
    amount_yuan: str
    principal_fen: int
    interest_fen: int
    fee_fen: int
    penalty_fen: int
    channel: str
    is_prepayment: bool
    reversal_of_id: int | None
    reversed: bool
    note: str | None
    replayed: bool = False

    @classmethod
    def of(cls, r: Repayment, *, replayed: bool = False) -> RepaymentRead:
        return cls(
            id=r.id, txn_ref=r.txn_ref, loan_id=r.loan_id, paid_on=r.paid_on,
            amount_fen=r.amount_fen, amount_yuan=yuan(r.amount_fen), principal_fen=r.principal_fen,
            interest_fen=r.interest_fen, fee_fen=r.fee_fen, penalty_fen=r.penalty_fen,
            channel=r.channel, is_prepayment=r.is_prepayment, reversal_of_id=r.reversal_of_id,
            reversed=r.reversed_at is not None, note=r.note, replayed=replayed,
        )  # fmt: skip


class LoanDetailRead(BaseModel):
    loan: LoanItemRead
    stage: str = Field(description="Workflow stage (in_collections while the status is repaying)")
    schedule_version: int
    maturity_on: date
    written_off_fen: int
    settled_on: date | None
    due_today_fen: int = Field(description="What a repayment today may pay at most")
    schedule: list[LineRead]
    repayments: list[RepaymentRead]


class RepaymentCreate(BaseModel):
    amount_fen: int = Fen
    paid_on: date
    txn_ref: str = Ref
    channel: Literal["branch", "auto_debit", "mobile", "online", "transfer"] = "branch"


class PrepaymentCreate(BaseModel):
    principal_fen: int | None = Field(
        default=None, ge=1, le=10**13, description="Principal to prepay; omit to repay in full"
    )
    option: Literal["shorten_term", "lower_instalment"] | None = None
    paid_on: date
    txn_ref: str | None = Field(default=None, min_length=1, max_length=32,
                                pattern=r"^[A-Za-z0-9_-]+$")  # fmt: skip
    preview: bool = Field(default=False, description="Work it out only: both options, no posting")
    channel: Literal["branch", "auto_debit", "mobile", "online", "transfer"] = "branch"


class NewLineRead(BaseModel):
    period_no: int
    due_on: date
    principal_fen: int
    interest_fen: int
    fee_fen: int
    payment_fen: int

    @classmethod
    def of(cls, x: NewLine) -> NewLineRead:
        return cls(
            period_no=x.period_no, due_on=x.due_on, principal_fen=x.principal_fen,
            interest_fen=x.interest_fen, fee_fen=x.fee_fen, payment_fen=x.payment_fen,
        )  # fmt: skip


class PrepaymentPlanRead(BaseModel):
    option: str | None
    available: bool = True
    reason: str | None = None
    principal_fen: int = 0
    accrued_interest_fen: int = 0
    total_fen: int = 0
    periods_before: int = 0
    periods_after: int = 0
    old_instalment_fen: int = 0
    new_instalment_fen: int = 0
    interest_saved_fen: int = 0
    schedule: list[NewLineRead] = Field(default_factory=list)

    @classmethod
    def of(cls, option: str | None, plan: Prepayment | str) -> PrepaymentPlanRead:
        if isinstance(plan, str):
            return cls(option=option, available=False, reason=plan)
        return cls(
            option=option, principal_fen=plan.principal_fen,
            accrued_interest_fen=plan.accrued_interest_fen, total_fen=plan.total_fen,
            periods_before=plan.periods_before, periods_after=plan.periods_after,
            old_instalment_fen=plan.old_instalment_fen, new_instalment_fen=plan.new_instalment_fen,
            interest_saved_fen=plan.interest_saved_fen,
            schedule=[NewLineRead.of(x) for x in plan.new_lines],
        )  # fmt: skip


class PrepaymentPreviewRead(BaseModel):
    payoff: PrepaymentPlanRead = Field(description="Repaying everything on the day")
    options: list[PrepaymentPlanRead]


class ReversalCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class WriteOffCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=200)
