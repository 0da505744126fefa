"""Shapes of the portal's JSON API. Money is integer fen plus an exact yuan string; rates are
decimal fractions (``0.0345`` = 3.45 %)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from loanpilot.app import yuan
from loanpilot.channels.portal_service import Calculation, MethodResult, PortalDecision
from loanpilot.lending.rules import ApplicationForm
from loanpilot.lending.service import Progress, Submitted
from loanpilot.products.schemas import PeriodRead, totals_of
from loanpilot.risk.schemas import OfferRead


class MethodQuoteRead(BaseModel):
    method: str
    offered: bool = Field(description="False when the product does not offer this method")
    annual_rate: Decimal | None = None
    apr: Decimal | None = Field(None, description="IRR over all interest and fees, monthly x 12")
    first_payment_fen: int | None = None
    first_payment_yuan: str | None = None
    total_interest_fen: int | None = None
    total_interest_yuan: str | None = None
    total_fee_fen: int | None = None
    total_fee_yuan: str | None = None
    total_payment_fen: int | None = None
    total_payment_yuan: str | None = None
    schedule: list[PeriodRead] = Field(default_factory=list)

    @classmethod
    def from_result(cls, result: MethodResult) -> MethodQuoteRead:
        q = result.quote
        if q is None:
            return cls(method=result.method.value, offered=False)
        return cls(
            method=result.method.value,
            offered=True,
            annual_rate=q.annual_rate,
            apr=q.apr,
            first_payment_fen=q.first_payment_fen,
            first_payment_yuan=yuan(q.first_payment_fen),
            schedule=PeriodRead.rows_of(q),
            **totals_of(q),
        )


class CalculationRead(BaseModel):
    product: str
    amount_fen: int
    amount_yuan: str
    term_months: int
    selected_method: str
    methods: list[MethodQuoteRead]

    @classmethod
    def from_calculation(cls, calc: Calculation) -> CalculationRead:
        return cls(
            product=calc.product.code,
            amount_fen=calc.amount_fen,
            amount_yuan=yuan(calc.amount_fen),
            term_months=calc.term_months,
            selected_method=calc.selected.value,
            methods=[MethodQuoteRead.from_result(r) for r in calc.results],
        )


class ApplicationCreate(BaseModel):
    """An application sent by an API client (with an ``Idempotency-Key`` header)."""

    product: str = Field(description="Product code, e.g. CL-GEN")
    name: str
    id_number: str = Field(description="Resident ID (GB 11643); never echoed back")
    phone: str
    amount_yuan: str = Field(description="Amount in yuan as a decimal string")
    term_months: int
    method: str = Field(description="equal_instalment, equal_principal, interest_only or bullet")
    purpose: str = ""
    monthly_income_yuan: str
    occupation: str
    branch_id: int | None = None
    consent_data_processing: bool = Field(description="Required to apply")
    consent_marketing: bool = False

    def form(self) -> ApplicationForm:
        return ApplicationForm(
            name=self.name,
            id_number=self.id_number,
            phone=self.phone,
            amount_yuan=self.amount_yuan,
            term_months=str(self.term_months),
            method=self.method,
            purpose=self.purpose,
            monthly_income_yuan=self.monthly_income_yuan,
            occupation=self.occupation,
            branch_id="" if self.branch_id is None else str(self.branch_id),
            consent_data=self.consent_data_processing,
            consent_marketing=self.consent_marketing,
        )


class DecisionRead(BaseModel):
    outcome: str = Field(description="approve, refer (manual review), decline, or pending")
    reasons_zh: list[str] = Field(description="Why, for a decline (or a reduced amount)")
    reasons_en: list[str]
    offer: OfferRead | None = None

    @classmethod
    def from_decision(cls, d: PortalDecision) -> DecisionRead:
        return cls(
            outcome=d.outcome,
            reasons_zh=list(d.reasons_zh),
            reasons_en=list(d.reasons_en),
            offer=None if d.offer is None else OfferRead.of(d.offer),
        )


class ApplicationSubmittedRead(BaseModel):
    application_no: str
    status: str
    submitted_at: datetime | None
    query_code: str = Field(description="Six digits for tracking; only its keyed hash is stored")
    replayed: bool = Field(description="True when this key was already used: the same application")
    decision: DecisionRead | None = Field(
        None, description="The credit decision, made at once (pending if it could not be made)"
    )

    @classmethod
    def from_submitted(
        cls, done: Submitted, decision: PortalDecision | None = None
    ) -> ApplicationSubmittedRead:
        a = done.application
        return cls(
            application_no=a.application_no,
            status=a.status.value,
            submitted_at=a.submitted_at,
            query_code=done.query_code,
            replayed=done.replayed,
            decision=None if decision is None else DecisionRead.from_decision(decision),
        )


class ProgressQuery(BaseModel):
    application_no: str
    id_last_four: str = Field(description="Last four characters of the applicant's resident ID")
    query_code: str


class StageRead(BaseModel):
    stage: str
    at: datetime | None


class ProgressRead(BaseModel):
    application_no: str
    status: str
    amount_fen: int
    amount_yuan: str
    term_months: int
    stages: list[StageRead]
    decision: DecisionRead | None = None

    @classmethod
    def from_progress(cls, p: Progress, decision: PortalDecision | None = None) -> ProgressRead:
        return cls(
            application_no=p.application_no,
            status=p.status.value,
            amount_fen=p.amount_fen,
            amount_yuan=yuan(p.amount_fen),
            term_months=p.term_months,
            stages=[StageRead(stage=s.key, at=s.at) for s in p.stages],
            decision=None if decision is None else DecisionRead.from_decision(decision),
        )
