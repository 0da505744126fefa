"""Pydantic schemas of the next-best-offer API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from loanpilot.products.models import LoanProduct
from loanpilot.products.models_offers import Offer, OfferRun


class OfferRunRead(BaseModel):
    """One offer build: its models, progress and summary."""

    id: int
    as_of: date
    status: str = Field(description="running | done | failed")
    started_at: datetime
    finished_at: datetime | None
    propensity_model: str | None
    uplift_model: str | None
    risk_model: str | None = Field(description="the champion scorecard (name@version), if used")
    params: dict[str, Any] = Field(description="approval (scorecard | prescreen), products...")
    customers_total: int
    customers_done: int
    customers_suppressed: int
    offers_count: int
    summary: dict[str, Any] = Field(
        description="suppressed {reason: n}, counts {no_eligible_product, no_profitable_offer, "
        "with_offers, eligible_pairs}, expected_profit_fen (first-ranked), by_product_channel[]"
    )
    error: str | None
    running_now: bool = False

    @classmethod
    def of(cls, run: OfferRun, running_now: bool = False) -> OfferRunRead:
        return cls(
            id=run.id, as_of=run.as_of, status=run.status.value, started_at=run.started_at,
            finished_at=run.finished_at, propensity_model=run.propensity_model,
            uplift_model=run.uplift_model, risk_model=run.risk_model, params=dict(run.params or {}),
            customers_total=run.customers_total, customers_done=run.customers_done,
            customers_suppressed=run.customers_suppressed, offers_count=run.offers_count,
            summary=dict(run.summary or {}), error=run.error, running_now=running_now,
        )  # fmt: skip


class OfferRunListRead(BaseModel):
    items: list[OfferRunRead]
    running_now: bool


class OfferBuild(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date = Field(
        description="the business date to build the offers of (the console sends today)"
    )
    chunk: int = Field(default=5_000, ge=100, le=100_000, description="customers per chunk")
    fit: bool = Field(default=True, description="fit the take-up model first if none is active")


class OfferBuildStarted(BaseModel):
    run_id: int
    follow: str = Field(description="the URL to poll for its progress")


class OfferRead(BaseModel):
    """One ranked offer with its figures and reasons."""

    rank: int
    product_id: int
    product_code: str
    product_name_zh: str
    product_name_en: str
    channel: str
    p_take: float
    p_approve: float
    uplift: float | None
    pd: float
    amount_fen: int
    value_fen: int
    contact_cost_fen: int
    expected_profit_fen: int
    reasons: list[dict[str, Any]] = Field(description="code, params, zh, en")

    @classmethod
    def of(cls, offer: Offer, product: LoanProduct) -> OfferRead:
        return cls(
            rank=offer.rank, product_id=offer.product_id, product_code=product.code,
            product_name_zh=product.name_zh, product_name_en=product.name_en,
            channel=offer.channel.value, p_take=offer.p_take, p_approve=offer.p_approve,
            uplift=offer.uplift, pd=offer.pd, amount_fen=offer.amount_fen,
            value_fen=offer.value_fen, contact_cost_fen=offer.contact_cost_fen,
            expected_profit_fen=offer.expected_profit_fen, reasons=list(offer.reasons or []),
        )  # fmt: skip


class CustomerOffersRead(BaseModel):
    customer_no: str
    run_id: int | None = Field(description="the latest finished run (None: no run yet)")
    as_of: date | None
    items: list[OfferRead]
