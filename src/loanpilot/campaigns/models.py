"""Campaigns (营销活动): theme, goals, audience, time and place, budget lines, spend, and the
targeting list with its randomised control group (the basis of every uplift estimate)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.customers.models import Channel
from loanpilot.db.base import Base, IdMixin, TimestampMixin
from loanpilot.db.types import FK, Json, Money, UTCDateTime, enum_column


class CampaignStatus(StrEnum):
    PLANNED = "planned"
    APPROVED = "approved"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class BudgetCategory(StrEnum):
    PLANNING = "planning"  # 策划
    VENUE = "venue"  # 场地
    MATERIALS = "materials"  # 物料
    PROMOTION = "promotion"  # 推广 / 广告
    PERSONNEL = "personnel"  # 人员


class PlaceKind(StrEnum):
    BRANCH = "branch"  # 网点
    COMMUNITY = "community"  # 社区
    MALL = "mall"  # 商场
    ENTERPRISE = "enterprise"  # 企业 / 代发单位
    PARTNER_SITE = "partner_site"  # 合作方现场 (售楼处、4S 店)
    ONLINE = "online"  # 线上
    UNIVERSITY = "university"  # 高校
    INDUSTRIAL_PARK = "industrial_park"  # 产业园区


class Campaign(IdMixin, TimestampMixin, Base):
    """A marketing campaign with its audience definition and time window."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="window_ordered"),
        CheckConstraint("control_share >= 0 AND control_share < 1", name="control_share_fraction"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CampaignStatus] = mapped_column(enum_column(CampaignStatus))
    owner_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    branch_id: Mapped[int | None] = mapped_column(FK, ForeignKey("branches.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(FK, ForeignKey("loan_products.id"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    audience: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date)
    control_share: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal("0.1"))
    contact_cost_fen: Mapped[int] = mapped_column(Money, default=0)
    # issue 6: the total budget the budget lines share, and the segmentation run the audience uses
    budget_fen: Mapped[int | None] = mapped_column(Money)
    segment_run_id: Mapped[int | None] = mapped_column(FK, ForeignKey("segment_runs.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignGoal(IdMixin, Base):
    """A measurable goal: applications, disbursed amount, new customers, response rate..."""

    __tablename__ = "campaign_goals"
    __table_args__ = (UniqueConstraint("campaign_id", "metric"),)

    campaign_id: Mapped[int] = mapped_column(FK, ForeignKey("campaigns.id"), index=True)
    metric: Mapped[str] = mapped_column(String(32))
    target: Mapped[Decimal] = mapped_column(Numeric(20, 4))


class CampaignPlace(IdMixin, Base):
    """Where and when a campaign is held (time windows per place)."""

    __tablename__ = "campaign_places"

    campaign_id: Mapped[int] = mapped_column(FK, ForeignKey("campaigns.id"), index=True)
    kind: Mapped[PlaceKind] = mapped_column(enum_column(PlaceKind))
    name: Mapped[str] = mapped_column(String(200))
    branch_id: Mapped[int | None] = mapped_column(FK, ForeignKey("branches.id"))
    city: Mapped[str | None] = mapped_column(String(32))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BudgetLine(IdMixin, Base):
    """Planned spend of one category."""

    __tablename__ = "campaign_budget_lines"
    __table_args__ = (
        UniqueConstraint("campaign_id", "category"),
        CheckConstraint("planned_fen >= 0", name="planned_not_negative"),
    )

    campaign_id: Mapped[int] = mapped_column(FK, ForeignKey("campaigns.id"), index=True)
    category: Mapped[BudgetCategory] = mapped_column(enum_column(BudgetCategory))
    planned_fen: Mapped[int] = mapped_column(Money)


class Expense(IdMixin, Base):
    """Actual spend booked against a budget line."""

    __tablename__ = "campaign_expenses"

    budget_line_id: Mapped[int] = mapped_column(
        FK, ForeignKey("campaign_budget_lines.id"), index=True
    )
    spent_on: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(Money)
    vendor: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TargetGroup(StrEnum):
    TREATMENT = "treatment"
    CONTROL = "control"  # randomised hold-out: never contacted


class CampaignTarget(IdMixin, Base):
    """One customer on a campaign's list: randomised group, offer, contact and response."""

    __tablename__ = "campaign_targets"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id"),)

    campaign_id: Mapped[int] = mapped_column(FK, ForeignKey("campaigns.id"), index=True)
    customer_id: Mapped[int] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    group: Mapped[TargetGroup] = mapped_column(enum_column(TargetGroup, 12))
    offer_product_id: Mapped[int | None] = mapped_column(FK, ForeignKey("loan_products.id"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    segment_code: Mapped[str | None] = mapped_column(String(64))
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded: Mapped[bool] = mapped_column(Boolean, default=False)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    application_id: Mapped[int | None] = mapped_column(FK, ForeignKey("applications.id"))
    contact_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # issue 6: the arm (offer × channel) of a multi-arm or A/B campaign, the plan that chose the
    # customer, the segmentation run of ``segment_code``, and what the plan expected
    arm: Mapped[str | None] = mapped_column(String(16))
    plan_id: Mapped[int | None] = mapped_column(FK, ForeignKey("campaign_plans.id"), index=True)
    segment_run_id: Mapped[int | None] = mapped_column(FK, ForeignKey("segment_runs.id"))
    expected_uplift: Mapped[float | None] = mapped_column(Numeric(10, 8, asdecimal=False))
    expected_profit_fen: Mapped[int | None] = mapped_column(Money)


class CampaignOffer(IdMixin, Base):
    """One arm of a campaign: a product offered through a channel, with its terms.

    A campaign with two arms of the same channel is an A/B test of two offers; arms of different
    channels are the treatments of a multi-treatment uplift experiment.
    """

    __tablename__ = "campaign_offers"
    __table_args__ = (
        UniqueConstraint("campaign_id", "arm"),
        CheckConstraint("rate_discount_bp >= 0", name="discount_not_negative"),
    )

    campaign_id: Mapped[int] = mapped_column(FK, ForeignKey("campaigns.id"), index=True)
    arm: Mapped[str] = mapped_column(String(16))
    product_id: Mapped[int] = mapped_column(FK, ForeignKey("loan_products.id"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    headline_zh: Mapped[str] = mapped_column(String(200))
    headline_en: Mapped[str | None] = mapped_column(String(200))
    rate_discount_bp: Mapped[int] = mapped_column(Integer, default=0)  # off the priced rate
    fee_waived: Mapped[bool] = mapped_column(Boolean, default=False)
    seasonal_offer_id: Mapped[int | None] = mapped_column(FK, ForeignKey("seasonal_offers.id"))
    contact_cost_fen: Mapped[int] = mapped_column(Money, default=0)
    share: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal(1))  # of the treated


class CampaignWindow(IdMixin, Base):
    """When an audience is contacted: dates, weekdays (ISO 1–7) and local hours."""

    __tablename__ = "campaign_windows"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="window_ordered"),
        CheckConstraint("end_hour > start_hour", name="hours_ordered"),
    )

    campaign_id: Mapped[int] = mapped_column(FK, ForeignKey("campaigns.id"), index=True)
    label: Mapped[str] = mapped_column(String(64))  # e.g. 周末 (上班族), 开学季 (学生)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[str] = mapped_column(String(7), default="1234567")
    start_hour: Mapped[int] = mapped_column(Integer, default=9)
    end_hour: Mapped[int] = mapped_column(Integer, default=21)
    segment_code: Mapped[str | None] = mapped_column(String(64))  # the audience it suits


class CampaignSegment(IdMixin, Base):
    """A segment of one segmentation run that a campaign targets."""

    __tablename__ = "campaign_segments"
    __table_args__ = (UniqueConstraint("campaign_id", "segment_run_id", "segment_code"),)

    campaign_id: Mapped[int] = mapped_column(FK, ForeignKey("campaigns.id"), index=True)
    segment_run_id: Mapped[int] = mapped_column(FK, ForeignKey("segment_runs.id"))
    segment_code: Mapped[str] = mapped_column(String(64))


class PlanStatus(StrEnum):
    SOLVED = "solved"  # optimal or within the reported gap
    INFEASIBLE = "infeasible"  # ``infeasible_reason`` says which constraint cannot be met
    APPLIED = "applied"  # its list was written to the campaign's targets


class CampaignPlan(IdMixin, Base):
    """One run of the budget and offer optimiser: the constraints, the method and the outcome."""

    __tablename__ = "campaign_plans"

    campaign_id: Mapped[int | None] = mapped_column(FK, ForeignKey("campaigns.id"), index=True)
    offer_run_id: Mapped[int | None] = mapped_column(FK, ForeignKey("offer_runs.id"))
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus, 16))
    constraints: Mapped[dict[str, Any]] = mapped_column(Json)  # budget, capacities, coverage, caps
    method: Mapped[str] = mapped_column(String(32))  # milp (HiGHS) or lagrangian
    objective_fen: Mapped[int] = mapped_column(Money, default=0)
    bound_fen: Mapped[int] = mapped_column(Money, default=0)  # the LP bound
    gap: Mapped[float | None] = mapped_column(Numeric(12, 8, asdecimal=False))
    candidates: Mapped[int] = mapped_column(Integer, default=0)
    selected: Mapped[int] = mapped_column(Integer, default=0)
    cost_fen: Mapped[int] = mapped_column(Money, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # by channel, product...
    infeasible_reason: Mapped[str | None] = mapped_column(Text)
    solved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))


class BudgetAlert(IdMixin, Base):
    """The moment a campaign's spend first reached a share of its budget (80 %, 100 %)."""

    __tablename__ = "campaign_budget_alerts"
    __table_args__ = (UniqueConstraint("campaign_id", "threshold_pct"),)

    campaign_id: Mapped[int] = mapped_column(FK, ForeignKey("campaigns.id"), index=True)
    threshold_pct: Mapped[int] = mapped_column(Integer)
    spent_fen: Mapped[int] = mapped_column(Money)
    budget_fen: Mapped[int] = mapped_column(Money)
    crossed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expense_id: Mapped[int | None] = mapped_column(FK, ForeignKey("campaign_expenses.id"))
    acknowledged_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
