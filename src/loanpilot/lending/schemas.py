"""Request and response shapes of the lending workflow API: the pipeline, one application with
its history, staff actions, maker-checker approvals and approval authorities. Money is integer fen
plus an exact yuan string; rates are decimal fractions. The applicant is named masked only."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from loanpilot.app import yuan
from loanpilot.kit.masking import mask_name
from loanpilot.lending.models import Application, ApprovalAuthority, ApprovalRequest, Loan
from loanpilot.lending.sla import ApplicationDetail, SlaSpan, TimelineEntry
from loanpilot.products.models import LoanProduct
from loanpilot.risk.schemas import DecisionRead

#: Largest amount an action or an authority may carry (10 billion yuan): bounds the input.
MAX_YUAN = Decimal(10) ** 10


def _fen(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


class ApplicationRowRead(BaseModel):
    """An application in the pipeline."""

    id: int
    application_no: str
    status: str
    product_code: str
    applicant: str = Field(description="The applicant's name, masked")
    amount_fen: int
    amount_yuan: str
    term_months: int
    channel: str
    branch_id: int | None
    submitted_at: datetime | None
    decided_at: datetime | None
    disbursed_at: datetime | None

    @classmethod
    def of(cls, app: Application, product: LoanProduct, name: str) -> ApplicationRowRead:
        return cls(
            id=app.id,
            application_no=app.application_no,
            status=app.status.value,
            product_code=product.code,
            applicant=mask_name(name) if name else "",
            amount_fen=app.amount_fen,
            amount_yuan=yuan(app.amount_fen),
            term_months=app.term_months,
            channel=app.channel.value,
            branch_id=app.branch_id,
            submitted_at=app.submitted_at,
            decided_at=app.decided_at,
            disbursed_at=app.disbursed_at,
        )


class ApplicationPageRead(BaseModel):
    """One page of the pipeline, and the number of applications in each stage (whole scope)."""

    items: list[ApplicationRowRead]
    total: int = Field(description="Rows matching the filters, over all pages")
    page: int
    size: int
    counts: dict[str, int] = Field(description="Stage -> applications in it")


class TimelineEntryRead(BaseModel):
    at: datetime
    kind: str = Field(description="A workflow action, or approval.request/confirmed/rejected/…")
    from_stage: str | None
    to_stage: str | None
    actor_id: int | None
    actor_label: str
    note: str | None
    seconds_since_previous: float | None

    @classmethod
    def of(cls, e: TimelineEntry) -> TimelineEntryRead:
        gap = e.since_previous
        return cls(
            at=e.at,
            kind=e.kind,
            from_stage=e.from_stage,
            to_stage=e.to_stage,
            actor_id=e.actor_id,
            actor_label=e.actor_label,
            note=e.note,
            seconds_since_previous=None if gap is None else gap.total_seconds(),
        )


class SlaSpanRead(BaseModel):
    name: str = Field(description="to_decision, to_contract, to_disbursement or end_to_end")
    start: datetime
    end: datetime | None = Field(description="None while the span is still running")
    hours: float
    target_hours: float
    breached: bool

    @classmethod
    def of(cls, s: SlaSpan) -> SlaSpanRead:
        return cls(
            name=s.name,
            start=s.start,
            end=s.end,
            hours=round(s.duration.total_seconds() / 3600, 2),
            target_hours=s.target.total_seconds() / 3600,
            breached=s.breached,
        )


class ApprovalRequestRead(BaseModel):
    """An approval above the maker's authority, waiting for (or checked by) a second person."""

    id: int
    application_id: int
    maker_id: int
    made_at: datetime
    amount_fen: int
    amount_yuan: str
    term_months: int
    annual_rate: Decimal | None
    note: str | None
    status: str
    checker_id: int | None
    checked_at: datetime | None
    checker_note: str | None

    @classmethod
    def of(cls, r: ApprovalRequest) -> ApprovalRequestRead:
        return cls(
            id=r.id,
            application_id=r.application_id,
            maker_id=r.maker_id,
            made_at=r.made_at,
            amount_fen=r.amount_fen,
            amount_yuan=yuan(r.amount_fen),
            term_months=r.term_months,
            annual_rate=r.annual_rate,
            note=r.note,
            status=r.status.value,
            checker_id=r.checker_id,
            checked_at=r.checked_at,
            checker_note=r.checker_note,
        )


class LoanLinkRead(BaseModel):
    id: int
    loan_no: str
    parent_loan_id: int | None
    principal_fen: int
    annual_rate: Decimal
    apr: Decimal
    status: str

    @classmethod
    def of(cls, loan: Loan) -> LoanLinkRead:
        return cls(
            id=loan.id,
            loan_no=loan.loan_no,
            parent_loan_id=loan.parent_loan_id,
            principal_fen=loan.principal_fen,
            annual_rate=loan.annual_rate,
            apr=loan.apr,
            status=loan.status.value,
        )


class ApplicationDetailRead(ApplicationRowRead):
    """One application: the latest decision (with the offer when approved), its history, the
    SLA spans, the maker-checker requests, the actions allowed now and the loans it became."""

    decision: DecisionRead | None
    history: list[TimelineEntryRead]
    sla: list[SlaSpanRead]
    approvals: list[ApprovalRequestRead]
    allowed_actions: list[str]
    loans: list[LoanLinkRead]

    @classmethod
    def of_detail(cls, d: ApplicationDetail) -> ApplicationDetailRead:
        row = ApplicationRowRead.of(d.app, d.product, d.customer_name)
        return cls(
            **row.model_dump(),
            decision=None if d.decision is None else DecisionRead.of(d.app, d.decision, d.offer),
            history=[TimelineEntryRead.of(e) for e in d.timeline],
            sla=[SlaSpanRead.of(s) for s in d.spans],
            approvals=[ApprovalRequestRead.of(r) for r in d.requests],
            allowed_actions=[a.value for a in d.actions],
            loans=[LoanLinkRead.of(loan) for loan in d.loans],
        )


class ActionBody(BaseModel):
    """What a staff action carries: a note (required to approve, decline or withdraw); to approve,
    optionally a smaller amount and, for a secured loan, the appraised collateral value."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=2000)
    amount_yuan: Decimal | None = Field(default=None, gt=0, le=MAX_YUAN, decimal_places=2)
    collateral_value_yuan: Decimal | None = Field(default=None, gt=0, le=MAX_YUAN, decimal_places=2)

    def amount_fen(self) -> int | None:
        return _fen(self.amount_yuan)

    def collateral_value_fen(self) -> int | None:
        return _fen(self.collateral_value_yuan)


class ActionResultRead(BaseModel):
    """The application after the action; ``pending`` when an approval waits for a checker."""

    application: ApplicationDetailRead
    pending: ApprovalRequestRead | None = None


class ApprovalListRead(BaseModel):
    items: list[ApprovalRequestRead]


class ApprovalCheck(BaseModel):
    """A checker's answer to a pending approval: confirm, or reject with a note."""

    model_config = ConfigDict(extra="forbid")

    confirm: bool
    note: str = Field(default="", max_length=2000)


class AuthorityRead(BaseModel):
    role: str
    max_amount_fen: int
    max_amount_yuan: str
    product_types: list[str] = Field(description="Empty: every product type")
    stored: bool = Field(description="False while the defaults stand in for an empty table")
    reviews: bool = Field(
        description="Whether the role holds applications:review in the stored permission matrix; "
        "without it the role cannot approve or check, and its authority is unused"
    )

    @classmethod
    def of(cls, row: ApprovalAuthority, *, reviews: bool) -> AuthorityRead:
        return cls(
            role=row.role,
            max_amount_fen=row.max_amount_fen,
            max_amount_yuan=yuan(row.max_amount_fen),
            product_types=list(row.product_types or []),
            stored=True,
            reviews=reviews,
        )


class AuthorityListRead(BaseModel):
    items: list[AuthorityRead]


class AuthorityWrite(BaseModel):
    """One role's authority: the largest amount it approves alone, and the product types it may
    approve (empty: every type)."""

    model_config = ConfigDict(extra="forbid")

    max_amount_yuan: Decimal = Field(ge=0, le=MAX_YUAN, decimal_places=2)
    product_types: list[str] = Field(default_factory=list, max_length=20)

    def max_amount_fen(self) -> int:
        return int(self.max_amount_yuan * 100)
