"""Request and response shapes of campaign planning and its budget. Money is integer fen (with an
exact yuan string when read); shares are decimal fractions (0.1 is 10 %). Bounds here only keep a
value storable; the business rules (``campaigns.rules``) report every other problem at once."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from loanpilot.app import yuan
from loanpilot.campaigns.models import (
    BudgetAlert,
    BudgetLine,
    Campaign,
    CampaignGoal,
    CampaignOffer,
    CampaignPlace,
    CampaignWindow,
    Expense,
)

_BIG = 10**15
Fen = Annotated[int, Field(ge=-_BIG, le=_BIG, description="integer fen")]
Id = Annotated[int, Field(ge=1, le=2**53)]
Share = Annotated[Decimal, Field(max_digits=6, decimal_places=4, allow_inf_nan=False)]
Short = Annotated[str, Field(max_length=64)]
#: A campaign code: what a lead's ``utm_campaign`` tag carries, so URL-safe ASCII only.
CODE_PATTERN = r"^[A-Za-z0-9._-]{1,32}$"


class GoalWrite(BaseModel):
    metric: str = Field(max_length=32, description="applications, approvals, disbursed_fen, "
                        "new_customers, satisfaction or responses")  # fmt: skip
    target: Decimal = Field(max_digits=24, decimal_places=4, allow_inf_nan=False)


class PlaceWrite(BaseModel):
    kind: str = Field(max_length=32, description="branch, university, industrial_park, mall, "
                      "community, enterprise, partner_site or online")  # fmt: skip
    name: str = Field(max_length=400)
    branch_id: Id | None = None
    city: str | None = Field(default=None, max_length=32)
    starts_at: datetime = Field(description="without an offset: Asia/Shanghai time")
    ends_at: datetime


class WindowWrite(BaseModel):
    label: str = Field(max_length=128)
    starts_on: date
    ends_on: date
    weekdays: str = Field(default="1234567", max_length=16, description="ISO weekdays, 1 = Monday")
    start_hour: int = Field(default=9, ge=-1000, le=1000)
    end_hour: int = Field(default=21, ge=-1000, le=1000)
    segment_code: str | None = Field(default=None, max_length=64)


class ArmWrite(BaseModel):
    arm: str = Field(max_length=16, description="label of the arm (not 'control')")
    product_id: Id
    channel: str = Field(max_length=32)
    headline_zh: str = Field(max_length=400)
    headline_en: str | None = Field(default=None, max_length=400)
    rate_discount_bp: int = Field(default=0, ge=-1_000_000, le=1_000_000)
    fee_waived: bool = False
    contact_cost_fen: Fen = 0
    share: Share = Decimal(1)


class BudgetLineWrite(BaseModel):
    category: str = Field(
        max_length=32, description="planning, venue, materials, promotion or personnel"
    )
    planned_fen: Fen


class CampaignFields(BaseModel):
    """What a create and an update share; in an update every field left out keeps its value and
    a list given replaces that part of the plan."""

    name: str | None = Field(default=None, max_length=400)
    theme: str | None = Field(default=None, max_length=400)
    description: str | None = Field(default=None, max_length=4000)
    channel: str | None = Field(default=None, max_length=32)
    product_id: Id | None = None
    branch_id: Id | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    control_share: Share | None = None
    contact_cost_fen: Fen | None = None
    budget_fen: Fen | None = Field(default=None, description="NULL: the sum of the budget lines")
    goals: list[GoalWrite] | None = Field(default=None, max_length=20)
    places: list[PlaceWrite] | None = Field(default=None, max_length=100)
    windows: list[WindowWrite] | None = Field(default=None, max_length=50)
    arms: list[ArmWrite] | None = Field(default=None, max_length=20)
    budget_lines: list[BudgetLineWrite] | None = Field(default=None, max_length=10)
    segment_run_id: Id | None = None
    segment_codes: list[Short] | None = Field(default=None, max_length=200)


class CampaignCreate(CampaignFields):
    code: str | None = Field(
        default=None,
        max_length=32,
        pattern=CODE_PATTERN,
        description="letters, digits, '.', '_', '-' (the utm_campaign tag that credits a lead); "
        "CMP<yyyymm><n> if left out",
    )
    name: str = Field(max_length=400)
    theme: str = Field(max_length=400)
    channel: str = Field(max_length=32)
    starts_on: date
    ends_on: date


class CampaignUpdate(CampaignFields):
    """Only the fields given change; ``budget_fen`` may be set to null explicitly."""


class StatusWrite(BaseModel):
    status: Literal["approved", "running", "completed", "cancelled"]


class ExpenseWrite(BaseModel):
    budget_line_id: Id
    spent_on: date
    amount_fen: Fen
    vendor: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=400)


# --- reading ----------------------------------------------------------------------------------------


class GoalRead(BaseModel):
    id: int
    metric: str
    target: Decimal

    @classmethod
    def of(cls, g: CampaignGoal) -> GoalRead:
        return cls(id=g.id, metric=g.metric, target=Decimal(g.target).normalize())


class PlaceRead(BaseModel):
    id: int
    kind: str
    name: str
    branch_id: int | None
    city: str | None
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def of(cls, p: CampaignPlace) -> PlaceRead:
        return cls(id=p.id, kind=p.kind.value, name=p.name, branch_id=p.branch_id, city=p.city,
                   starts_at=p.starts_at, ends_at=p.ends_at)  # fmt: skip


class WindowRead(BaseModel):
    id: int
    label: str
    starts_on: date
    ends_on: date
    weekdays: str
    start_hour: int
    end_hour: int
    segment_code: str | None

    @classmethod
    def of(cls, w: CampaignWindow) -> WindowRead:
        return cls(id=w.id, label=w.label, starts_on=w.starts_on, ends_on=w.ends_on,
                   weekdays=w.weekdays, start_hour=w.start_hour, end_hour=w.end_hour,
                   segment_code=w.segment_code)  # fmt: skip


class ArmRead(BaseModel):
    id: int
    arm: str
    product_id: int
    channel: str
    headline_zh: str
    headline_en: str | None
    rate_discount_bp: int
    fee_waived: bool
    contact_cost_fen: int
    share: Decimal

    @classmethod
    def of(cls, a: CampaignOffer) -> ArmRead:
        return cls(id=a.id, arm=a.arm, product_id=a.product_id, channel=a.channel.value,
                   headline_zh=a.headline_zh, headline_en=a.headline_en,
                   rate_discount_bp=a.rate_discount_bp, fee_waived=a.fee_waived,
                   contact_cost_fen=a.contact_cost_fen, share=Decimal(a.share).normalize())  # fmt: skip


class BudgetLineRead(BaseModel):
    id: int
    category: str
    planned_fen: int
    planned_yuan: str
    spent_fen: int
    spent_yuan: str
    burn: float | None

    @classmethod
    def of(cls, line: BudgetLine, spent: int) -> BudgetLineRead:
        return cls(id=line.id, category=line.category.value, planned_fen=line.planned_fen,
                   planned_yuan=yuan(line.planned_fen), spent_fen=spent, spent_yuan=yuan(spent),
                   burn=spent / line.planned_fen if line.planned_fen > 0 else None)  # fmt: skip


class ExpenseRead(BaseModel):
    id: int
    budget_line_id: int
    spent_on: date
    amount_fen: int
    amount_yuan: str
    vendor: str | None
    note: str | None
    recorded_by_id: int | None
    recorded_at: datetime | None

    @classmethod
    def of(cls, e: Expense) -> ExpenseRead:
        return cls(id=e.id, budget_line_id=e.budget_line_id, spent_on=e.spent_on,
                   amount_fen=e.amount_fen, amount_yuan=yuan(e.amount_fen), vendor=e.vendor,
                   note=e.note, recorded_by_id=e.recorded_by_id, recorded_at=e.recorded_at)  # fmt: skip


class AlertRead(BaseModel):
    id: int
    campaign_id: int
    threshold_pct: int
    spent_fen: int
    budget_fen: int
    crossed_at: datetime
    expense_id: int | None
    acknowledged_by_id: int | None
    acknowledged_at: datetime | None

    @classmethod
    def of(cls, a: BudgetAlert) -> AlertRead:
        return cls(id=a.id, campaign_id=a.campaign_id, threshold_pct=a.threshold_pct,
                   spent_fen=a.spent_fen, budget_fen=a.budget_fen, crossed_at=a.crossed_at,
                   expense_id=a.expense_id, acknowledged_by_id=a.acknowledged_by_id,
                   acknowledged_at=a.acknowledged_at)  # fmt: skip


class BudgetRead(BaseModel):
    budget_fen: int = Field(description="the campaign's budget, else the sum of its lines")
    budget_yuan: str
    budget_set: bool = Field(description="false: the campaign has no budget of its own")
    planned_fen: int
    spent_fen: int
    spent_yuan: str
    burn: float | None
    level: str = Field(description="ok below 80 %, warn from 80 %, over from 100 %")


class CampaignSummary(BaseModel):
    id: int
    code: str
    name: str
    theme: str
    status: str
    channel: str
    product_id: int | None
    branch_id: int | None
    starts_on: date
    ends_on: date
    control_share: Decimal
    budget: BudgetRead
    open_alerts: int


class ExpenseRecorded(BaseModel):
    expense: ExpenseRead
    alerts: list[AlertRead] = Field(description="budget alerts this expense raised")
    budget: BudgetRead


class AudienceRead(BaseModel):
    segment_run_id: int | None
    segment_codes: list[str]
    total: int
    no_consent: int
    opted_out: int
    blacklisted: int
    contactable: int
    targets: int = Field(description="customers on the campaign's list (an optimised plan)")


class CampaignRead(CampaignSummary):
    description: str | None
    contact_cost_fen: int
    audience: dict[str, Any]
    segment_run_id: int | None
    closed_at: datetime | None
    goals: list[GoalRead]
    places: list[PlaceRead]
    windows: list[WindowRead]
    arms: list[ArmRead]
    budget_lines: list[BudgetLineRead]
    alerts: list[AlertRead]
    audience_counts: AudienceRead


class CampaignListRead(BaseModel):
    items: list[CampaignSummary]


def summary_fields(c: Campaign) -> dict[str, Any]:
    return {"id": c.id, "code": c.code, "name": c.name, "theme": c.theme, "status": c.status.value,
            "channel": c.channel.value, "product_id": c.product_id, "branch_id": c.branch_id,
            "starts_on": c.starts_on, "ends_on": c.ends_on,
            "control_share": Decimal(c.control_share).normalize()}  # fmt: skip
