"""Request and response shapes of feedback tickets, the topic model and improvement actions.
Customer names are masked (``kit.masking``); bounds here only keep a value storable, the rules
(``feedback_rules``) report every other problem at once."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field

from loanpilot.evaluation.models import FeedbackEvent, FeedbackTicket, ImprovementAction
from loanpilot.kit.masking import mask_name

Id = Annotated[int, Field(ge=1, le=2**53)]


class TicketCreate(BaseModel):
    channel: str = Field(
        max_length=16, description="phone, email, online, social_media, branch or survey"
    )
    type: str = Field(max_length=16, description="complaint, suggestion or inquiry")
    subject: str = Field(max_length=400)
    body: str = Field(max_length=8000)
    priority: str = Field(
        default="normal", max_length=16, description="low, normal, high or urgent"
    )
    customer_id: Id | None = None
    product_id: Id | None = None
    topic: str | None = Field(
        default=None, max_length=32, description="set by staff; else the model classifies"
    )
    assigned_to_id: Id | None = None


class StatusWrite(BaseModel):
    status: str = Field(max_length=16)
    resolution: str | None = Field(default=None, max_length=8000)


class AssignWrite(BaseModel):
    staff_id: Id


class TopicWrite(BaseModel):
    topic: str = Field(max_length=32)


class ConfirmationWrite(BaseModel):
    satisfied: bool


class EventRead(BaseModel):
    at: datetime
    kind: str
    from_value: str | None
    to_value: str | None
    note: str | None
    by_staff_id: int | None
    actor_label: str

    @classmethod
    def of(cls, e: FeedbackEvent) -> EventRead:
        return cls(at=e.at, kind=e.kind, from_value=e.from_value, to_value=e.to_value, note=e.note,
                   by_staff_id=e.by_staff_id, actor_label=e.actor_label)  # fmt: skip


class TicketSummary(BaseModel):
    id: int
    ticket_no: str
    channel: str
    type: str
    topic: str | None
    topic_source: str | None
    topic_model_version: str | None
    topic_probability: Decimal | None
    priority: str
    status: str
    subject: str
    customer_id: int | None
    customer_name_masked: str | None
    received_at: datetime
    sla_due_at: datetime | None
    first_response_due_at: datetime | None
    overdue: bool
    assigned_to_id: int | None
    branch_id: int | None

    @classmethod
    def fields_of(cls, t: FeedbackTicket, name: str | None, overdue: bool) -> dict[str, Any]:
        return {
            "id": t.id, "ticket_no": t.ticket_no, "channel": t.channel.value, "type": t.type.value,
            "topic": t.topic, "topic_source": t.topic_source.value if t.topic_source else None,
            "topic_model_version": t.topic_model_version, "topic_probability": t.topic_probability,
            "priority": t.priority.value, "status": t.status.value, "subject": t.subject,
            "customer_id": t.customer_id, "customer_name_masked": mask_name(name) if name else None,
            "received_at": t.received_at, "sla_due_at": t.sla_due_at,
            "first_response_due_at": t.first_response_due_at, "overdue": overdue,
            "assigned_to_id": t.assigned_to_id, "branch_id": t.branch_id,
        }  # fmt: skip


class TicketRead(TicketSummary):
    body: str
    resolution: str | None
    resolved_at: datetime | None
    customer_confirmed: bool | None
    confirmed_at: datetime | None
    first_response_at: datetime | None
    product_id: int | None
    allowed_moves: list[str]
    history: list[EventRead]


class TicketListRead(BaseModel):
    total: int
    items: list[TicketSummary]


class ClassifyWrite(BaseModel):
    text: str = Field(min_length=1, max_length=8000)


class ClassifyRead(BaseModel):
    topic: str
    probability: float
    model: str
    ranked: list[tuple[str, float]]


class TopicModelRead(BaseModel):
    version: int
    label: str
    trained_at: datetime
    n_train: int
    accuracy: float
    macro_f1: float
    folds: int
    labels: list[str]
    confusion: list[list[int]]


class ActionCreate(BaseModel):
    title: str = Field(max_length=400)
    description: str | None = Field(default=None, max_length=4000)
    owner_id: Id | None = None
    deadline: date | None = None
    source_kind: str = Field(max_length=16, description="ticket, survey, alert, kpi or review")
    source_ticket_id: Id | None = None
    source_alert_id: Id | None = None
    source_ref: str | None = Field(
        default=None, max_length=64, description="survey code, KPI code or review id"
    )
    metric_code: str = Field(
        max_length=32, description="a KPI code, complaints or complaints_<topic>"
    )
    target_value: Decimal = Field(max_digits=24, decimal_places=8, allow_inf_nan=False)
    period_kind: str = Field(default="month", max_length=8, description="month or quarter")
    metric_dimension: str = Field(default="all", max_length=32)
    metric_key: str | None = Field(default=None, max_length=64)


class ActionStatusWrite(BaseModel):
    status: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=2000)


class VerdictRead(BaseModel):
    baseline: Decimal
    target: Decimal
    after: Decimal
    change: Decimal
    change_pct: Decimal | None
    met: bool


class ActionRead(BaseModel):
    id: int
    title: str
    description: str | None
    source_kind: str
    source_ticket_id: int | None
    source_alert_id: int | None
    source_ref: str | None
    owner_id: int
    deadline: date
    status: str
    metric_code: str | None
    baseline_value: Decimal
    baseline_period: str | None
    target_value: Decimal
    after_value: Decimal | None
    after_period: str | None
    higher_is_better: bool | None
    raised_on: date | None
    done_on: date | None
    verified_on: date | None
    verdict: VerdictRead | None
    history: list[EventRead] = Field(default_factory=list)

    @classmethod
    def fields_of(cls, a: ImprovementAction) -> dict[str, Any]:
        return {
            "id": a.id, "title": a.title, "description": a.description,
            "source_kind": a.source_kind.value, "source_ticket_id": a.source_ticket_id,
            "source_alert_id": a.source_alert_id, "source_ref": a.source_ref,
            "owner_id": a.owner_id, "deadline": a.deadline, "status": a.status.value,
            "metric_code": a.metric_code, "baseline_value": a.baseline_value,
            "baseline_period": a.baseline_period, "target_value": a.target_value,
            "after_value": a.after_value, "after_period": a.after_period,
            "higher_is_better": a.higher_is_better, "raised_on": a.raised_on,
            "done_on": a.done_on, "verified_on": a.verified_on,
        }  # fmt: skip


class ActionListRead(BaseModel):
    items: list[ActionRead]


class MetricRead(BaseModel):
    code: str
    label_zh: str
    label_en: str
    higher_is_better: bool
    origin: str
