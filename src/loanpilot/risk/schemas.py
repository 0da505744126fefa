"""Request and response shapes of the risk API: the model registry, credit policy versions, the
manual-review queue and an application's decision with its offer. Money is integer fen plus an
exact yuan string; rates are decimal fractions (``0.0345`` is 3.45 %)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from loanpilot.app import yuan
from loanpilot.customers.models import Occupation
from loanpilot.lending.models import Application
from loanpilot.products.models import CollateralKind, LoanProduct
from loanpilot.products.schemas import PeriodRead, totals_of
from loanpilot.risk.models import CreditModel, CreditModelEvent, CreditPolicy, Decision
from loanpilot.risk.service import Offer

#: Largest amount a review may set (10 billion yuan, in yuan): bounds the input, not policy.
MAX_YUAN = Decimal(10) ** 10


# --- models --------------------------------------------------------------------------------------


class ModelEventRead(BaseModel):
    action: str = Field(description="registered, promoted or retired")
    from_status: str | None
    to_status: str
    at: datetime
    by_id: int | None
    note: str | None

    @classmethod
    def of(cls, e: CreditModelEvent) -> ModelEventRead:
        return cls(
            action=e.action,
            from_status=e.from_status,
            to_status=e.to_status,
            at=e.at,
            by_id=e.by_id,
            note=e.note,
        )


class ModelRead(BaseModel):
    """A registered model: identity, status, hashes, training summary and validation metrics
    (``development``, ``holdout``, ``challenger``; AUC, Gini, KS). The whole JSON artefact only
    when asked for (``?artefact=true``)."""

    id: int
    name: str
    version: str
    label: str = Field(description="name@version, as every decision stores it")
    kind: str
    status: str = Field(description="challenger, champion or retired")
    registered_at: datetime
    registered_by_id: int | None
    note: str | None
    content_sha256: str
    data_sha256: str
    trained_at: str | None
    rows: int | None = Field(description="Development rows")
    bads: int | None
    variables: list[str] = Field(description="The variables the card scores")
    metrics: dict[str, Any]
    events: list[ModelEventRead] | None = None
    artefact: dict[str, Any] | None = None

    @classmethod
    def of(
        cls,
        row: CreditModel,
        *,
        events: list[CreditModelEvent] | None = None,
        artefact: bool = False,
    ) -> ModelRead:
        training = row.artefact.get("training") or {}
        return cls(
            id=row.id,
            name=row.name,
            version=row.version,
            label=row.label,
            kind=row.kind.value,
            status=row.status.value,
            registered_at=row.registered_at,
            registered_by_id=row.registered_by_id,
            note=row.note,
            content_sha256=row.content_sha256,
            data_sha256=row.data_sha256,
            trained_at=training.get("trained_at"),
            rows=training.get("rows"),
            bads=training.get("bads"),
            variables=[str(v) for v in row.artefact.get("selected") or ()],
            metrics={k: v for k, v in (row.metrics or {}).items() if k != "score_bins"},
            events=None if events is None else [ModelEventRead.of(e) for e in events],
            artefact=dict(row.artefact) if artefact else None,
        )


class ModelListRead(BaseModel):
    items: list[ModelRead]


class ModelAction(BaseModel):
    """An optional note recorded with a promotion or retirement."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


# --- policies ------------------------------------------------------------------------------------


class HardRulesIn(BaseModel):
    """Hard rules: ages in years, income in fen, ratios as fractions (``0.60`` = 60 %).
    ``occupations``: product code -> occupations it lends to; ``collateral``: product code ->
    the collateral kind it requires."""

    model_config = ConfigDict(extra="forbid")

    min_age: int = Field(ge=0, le=200)
    max_age: int = Field(ge=0, le=200)
    max_age_at_maturity: int = Field(ge=0, le=200)
    min_monthly_income_fen: int = Field(ge=0, le=10**13)
    max_dti: Decimal = Field(description="fraction: 0.60 = 60 %")
    decline_current_delinquency: bool = True
    decline_blacklisted: bool = True
    occupations: dict[str, list[Occupation]] = Field(default_factory=dict)
    collateral: dict[str, CollateralKind] = Field(default_factory=dict)


class CutoffsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve_from: int = Field(ge=0, le=10_000, description="Scores from here approve")
    decline_below: int = Field(ge=0, le=10_000, description="Scores below this decline")


class PricingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spread_by_grade: dict[str, Decimal] = Field(description="grade -> spread as a fraction")
    income_months_by_grade: dict[str, Annotated[int, Field(ge=0, le=600)]] = Field(
        description="grade -> the limit as months of income"
    )


class PolicyBodyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hard: HardRulesIn
    cutoffs: CutoffsIn
    pricing: PricingIn
    model: str = Field(default="application", min_length=1, max_length=64)


class PolicyCreate(BaseModel):
    """A new draft version. Every problem (contradictory rules included) is listed at once."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=64)
    body: PolicyBodyIn
    note: str | None = Field(default=None, max_length=2000)


class PolicyRead(BaseModel):
    id: int
    version: str
    status: str = Field(description="draft, active or retired")
    note: str | None
    created_at: datetime
    created_by_id: int | None
    activated_at: datetime | None
    activated_by_id: int | None
    body: dict[str, Any]

    @classmethod
    def of(cls, row: CreditPolicy) -> PolicyRead:
        return cls(
            id=row.id,
            version=row.version,
            status=row.status.value,
            note=row.note,
            created_at=row.created_at,
            created_by_id=row.created_by_id,
            activated_at=row.activated_at,
            activated_by_id=row.activated_by_id,
            body=dict(row.body),
        )


class PolicyListRead(BaseModel):
    items: list[PolicyRead]


# --- decisions, offers, reviews ------------------------------------------------------------------


class ReasonRead(BaseModel):
    code: str
    params: dict[str, str]
    zh: str
    en: str

    @classmethod
    def many(cls, reasons: list[dict[str, Any]] | None) -> list[ReasonRead]:
        return [
            cls(
                code=str(r.get("code", "")),
                params={str(k): str(v) for k, v in (r.get("params") or {}).items()},
                zh=str(r.get("zh", "")),
                en=str(r.get("en", "")),
            )
            for r in reasons or []
        ]


class OfferPartRead(BaseModel):
    """One part of a combination loan (组合贷): the provident-fund part first, then the commercial."""

    product_id: int
    amount_fen: int
    amount_yuan: str
    annual_rate: Decimal
    apr: Decimal


class OfferRead(BaseModel):
    """The loan offered: amount, contract rate (basis + spread), the APR (IRR over all interest
    and fees, monthly IRR x 12), the limit and what bound it, and the schedule."""

    amount_fen: int
    amount_yuan: str
    term_months: int
    method: str
    base_rate: Decimal
    spread: Decimal
    annual_rate: Decimal
    apr: Decimal = Field(description="IRR over all interest and fees, monthly IRR x 12")
    upfront_fee_fen: int
    first_payment_fen: int
    first_payment_yuan: str
    total_interest_fen: int
    total_interest_yuan: str
    total_fee_fen: int
    total_fee_yuan: str
    total_payment_fen: int
    total_payment_yuan: str
    limit_fen: int
    limit_binding: str = Field(
        description="product_max, income_multiple, dti_headroom or loan_to_value"
    )
    schedule: list[PeriodRead]
    parts: list[OfferPartRead] = Field(
        default_factory=list,
        description="A combination loan's parts; the figures above are the whole loan "
        "(the rate weighted by amount, the APR over the combined flows)",
    )

    @classmethod
    def of(cls, o: Offer) -> OfferRead:
        return cls(
            amount_fen=o.amount_fen,
            amount_yuan=yuan(o.amount_fen),
            term_months=o.term_months,
            method=str(o.method),
            base_rate=o.base_rate,
            spread=o.spread,
            annual_rate=o.annual_rate,
            apr=o.apr,
            upfront_fee_fen=o.upfront_fee_fen,
            first_payment_fen=o.first_payment_fen,
            first_payment_yuan=yuan(o.first_payment_fen),
            limit_fen=o.limit_fen,
            limit_binding=o.limit_binding,
            schedule=PeriodRead.rows_of(o.quote),
            parts=[
                OfferPartRead(
                    product_id=q.product_id,
                    amount_fen=q.amount_fen,
                    amount_yuan=yuan(q.amount_fen),
                    annual_rate=q.annual_rate,
                    apr=q.apr,
                )
                for q in o.parts
            ],
            **totals_of(o.quote),
        )


class DecisionRead(BaseModel):
    """A credit decision with its reasons (code, parameters, Chinese and English), the versions
    that made it and, for an approval, the offer."""

    application_no: str
    application_status: str
    outcome: str = Field(description="approve, refer (manual review) or decline")
    score: int | None
    pd: Decimal | None
    grade: str | None
    reasons: list[ReasonRead]
    model_version: str = Field(description="name@version of the model, or manual / none")
    policy_version: str
    decided_at: datetime
    decided_by_id: int | None
    note: str | None
    approved_amount_fen: int | None
    approved_rate: Decimal | None
    approved_apr: Decimal | None
    approved_term_months: int | None
    offer: OfferRead | None

    @classmethod
    def of(cls, app: Application, d: Decision, offer: Offer | None) -> DecisionRead:
        return cls(
            application_no=app.application_no,
            application_status=app.status.value,
            outcome=d.outcome.value,
            score=d.score,
            pd=d.pd,
            grade=d.grade,
            reasons=ReasonRead.many(d.reasons),
            model_version=d.model_version,
            policy_version=d.policy_version,
            decided_at=d.decided_at,
            decided_by_id=d.decided_by_id,
            note=d.note,
            approved_amount_fen=d.approved_amount_fen,
            approved_rate=d.approved_rate,
            approved_apr=d.approved_apr,
            approved_term_months=d.approved_term_months,
            offer=None if offer is None else OfferRead.of(offer),
        )


class ReviewItemRead(BaseModel):
    """A referred application waiting for manual review."""

    application_id: int
    application_no: str
    product_code: str
    amount_fen: int
    amount_yuan: str
    term_months: int
    score: int | None
    grade: str | None
    reasons: list[ReasonRead]
    referred_at: datetime | None
    waiting_hours: float | None

    @classmethod
    def of(
        cls,
        app: Application,
        product: LoanProduct,
        d: Decision | None,
        waiting_hours: float | None,
    ) -> ReviewItemRead:
        return cls(
            application_id=app.id,
            application_no=app.application_no,
            product_code=product.code,
            amount_fen=app.amount_fen,
            amount_yuan=yuan(app.amount_fen),
            term_months=app.term_months,
            score=None if d is None else d.score,
            grade=None if d is None else d.grade,
            reasons=ReasonRead.many(None if d is None else d.reasons),
            referred_at=app.review_started_at,
            waiting_hours=None if waiting_hours is None else round(waiting_hours, 2),
        )


class ReviewQueueRead(BaseModel):
    items: list[ReviewItemRead]


class ReviewDecide(BaseModel):
    """A manual decision on a referred application. ``amount_yuan`` lends less than asked;
    ``collateral_value_yuan`` (the appraised value) is needed to approve a secured loan."""

    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str = Field(min_length=1, max_length=2000, description="Why (required)")
    amount_yuan: Decimal | None = Field(default=None, gt=0, le=MAX_YUAN, decimal_places=2)
    collateral_value_yuan: Decimal | None = Field(default=None, gt=0, le=MAX_YUAN, decimal_places=2)

    def amount_fen(self) -> int | None:
        return None if self.amount_yuan is None else int(self.amount_yuan * 100)

    def collateral_value_fen(self) -> int | None:
        v = self.collateral_value_yuan
        return None if v is None else int(v * 100)
