"""Next-best-offer (issue 6): the marketing models (propensity and uplift) as versioned JSON
artefacts, and the offer runs with each customer's ranked offers and their reasons.

An offer run is a batch over all customers in chunks; ``cursor_customer_id`` records how far it got,
so a crashed run is rerun from there (the same pattern as the daily close).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.customers.models import Channel
from loanpilot.customers.models_segments import RunStatus
from loanpilot.db.base import Base, IdMixin
from loanpilot.db.types import FK, Json, Money, UTCDateTime, enum_column

#: A probability in 0..1 stored with 8 decimals and read back as a float (bulk rows: no Decimal).
Probability = Numeric(10, 8, asdecimal=False)


class ModelKind(StrEnum):
    PROPENSITY = "propensity"  # P(flag) for one target: response, take-up, attrition...
    UPLIFT = "uplift"  # P(respond | treated) − P(respond | control), per treatment


class ModelStatus(StrEnum):
    ACTIVE = "active"  # the version the batch jobs use for this name
    RETIRED = "retired"


class MarketingModel(IdMixin, Base):
    """A fitted propensity or uplift model: the artefact (JSON, never a pickle) and its metrics."""

    __tablename__ = "marketing_models"
    __table_args__ = (UniqueConstraint("name", "version"),)

    kind: Mapped[ModelKind] = mapped_column(enum_column(ModelKind, 16))
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[ModelStatus] = mapped_column(enum_column(ModelStatus, 16), index=True)
    target: Mapped[str] = mapped_column(String(64))
    artefact: Mapped[dict[str, Any]] = mapped_column(Json)
    metrics: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    data_sha256: Mapped[str] = mapped_column(String(64))
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime)
    trained_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))


class OfferRun(IdMixin, Base):
    """One next-best-offer batch over the customer base."""

    __tablename__ = "offer_runs"

    as_of: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus, 16), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    params: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    propensity_model: Mapped[str | None] = mapped_column(String(80))  # name@version
    uplift_model: Mapped[str | None] = mapped_column(String(80))
    risk_model: Mapped[str | None] = mapped_column(String(80))  # scorecard name@version
    segment_run_id: Mapped[int | None] = mapped_column(FK, ForeignKey("segment_runs.id"))
    cursor_customer_id: Mapped[int] = mapped_column(FK, default=0)
    customers_total: Mapped[int] = mapped_column(Integer, default=0)
    customers_done: Mapped[int] = mapped_column(Integer, default=0)
    customers_suppressed: Mapped[int] = mapped_column(Integer, default=0)
    offers_count: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Offer(IdMixin, Base):
    """One ranked (product, channel) offer for one customer in one run, with its reasons."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("run_id", "customer_id", "rank"),)

    run_id: Mapped[int] = mapped_column(FK, ForeignKey("offer_runs.id"))
    customer_id: Mapped[int] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    product_id: Mapped[int] = mapped_column(FK, ForeignKey("loan_products.id"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    rank: Mapped[int] = mapped_column(Integer)
    p_take: Mapped[float] = mapped_column(Probability)  # P(takes it | offered)
    p_approve: Mapped[float] = mapped_column(Probability)  # P(risk approves it)
    uplift: Mapped[float | None] = mapped_column(Probability)  # P(take|contact) − P(take|none)
    pd: Mapped[float] = mapped_column(Probability)  # 12-month PD behind the expected loss
    amount_fen: Mapped[int] = mapped_column(Money)  # the expected loan size (EAD)
    value_fen: Mapped[int] = mapped_column(Money)  # NII over the life − PD × LGD × EAD, if taken
    contact_cost_fen: Mapped[int] = mapped_column(Money)
    expected_profit_fen: Mapped[int] = mapped_column(Money)  # incremental, after contact cost
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
