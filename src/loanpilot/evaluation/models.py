"""Evaluation and feedback (效果评估与反馈): tickets, improvement actions, KPIs, work plans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin, TimestampMixin
from loanpilot.db.types import FK, Json, UTCDateTime, enum_column


class TicketChannel(StrEnum):
    PHONE = "phone"  # 电话（客服热线）
    EMAIL = "email"  # 电子邮件
    ONLINE = "online"  # 网上门户 / 手机银行
    SOCIAL_MEDIA = "social_media"  # 社交媒体
    BRANCH = "branch"  # 网点
    SURVEY = "survey"  # 满意度调查


class TicketType(StrEnum):
    COMPLAINT = "complaint"  # 投诉
    SUGGESTION = "suggestion"  # 建议
    INQUIRY = "inquiry"  # 咨询


class TopicSource(StrEnum):
    MODEL = "model"  # 模型自动分类
    STAFF = "staff"  # 人工分类


class TicketPriority(StrEnum):
    LOW = "low"  # 低
    NORMAL = "normal"  # 普通
    HIGH = "high"  # 高
    URGENT = "urgent"  # 紧急


class TicketStatus(StrEnum):
    OPEN = "open"  # 待处理
    IN_PROGRESS = "in_progress"  # 处理中
    RESOLVED = "resolved"  # 已解决
    CLOSED = "closed"  # 已办结
    REOPENED = "reopened"  # 重新打开


class ActionSourceKind(StrEnum):
    TICKET = "ticket"  # 客户反馈
    SURVEY = "survey"  # 满意度调查
    ALERT = "alert"  # 风险预警
    KPI = "kpi"  # 指标偏离
    REVIEW = "review"  # 质量检查


class ActionStatus(StrEnum):
    PROPOSED = "proposed"  # 已提出
    IN_PROGRESS = "in_progress"  # 实施中
    DONE = "done"  # 已完成
    VERIFIED = "verified"  # 已验证效果
    CANCELLED = "cancelled"  # 已取消


class FeedbackTicket(IdMixin, TimestampMixin, Base):
    """A complaint, suggestion or inquiry, with its SLA, handling and the customer's confirmation.

    ``topic`` is set by the text classifier (``topic_source='model'``, with its version) or by
    staff (``topic_source='staff'``).
    """

    __tablename__ = "feedback_tickets"

    ticket_no: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int | None] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    channel: Mapped[TicketChannel] = mapped_column(enum_column(TicketChannel))
    type: Mapped[TicketType] = mapped_column(enum_column(TicketType), index=True)
    topic: Mapped[str | None] = mapped_column(String(32), index=True)
    topic_source: Mapped[TopicSource | None] = mapped_column(enum_column(TopicSource))
    topic_model_version: Mapped[str | None] = mapped_column(String(64))  # e.g. topics@3
    priority: Mapped[TicketPriority] = mapped_column(
        enum_column(TicketPriority), default=TicketPriority.NORMAL
    )
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    assigned_to_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(FK, ForeignKey("branches.id"), index=True)
    status: Mapped[TicketStatus] = mapped_column(
        enum_column(TicketStatus), default=TicketStatus.OPEN, index=True
    )
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    customer_confirmed: Mapped[bool | None] = mapped_column(Boolean)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    product_id: Mapped[int | None] = mapped_column(FK, ForeignKey("loan_products.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(FK, ForeignKey("loans.id"), index=True)
    # since migration 0011: the classifier's probability of ``topic`` (model topics only), the
    # complaint's first-response due time and when staff first responded (took it in hand), and
    # the survey response a survey-comment ticket came from (one ticket per response; no database
    # foreign key, so the column could be added without rebuilding the table on SQLite)
    topic_probability: Mapped[Decimal | None] = mapped_column(Numeric(6, 4))
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    survey_response_id: Mapped[int | None] = mapped_column(FK, index=True, unique=True)


class ImprovementAction(IdMixin, TimestampMixin, Base):
    """A corrective action with owner and deadline, and the metric that proves it worked.

    Closing the loop: ``baseline_value`` before, ``target_value`` aimed at, ``after_value`` measured
    once done; ``verified_on`` is set when the after value has been checked against the target.
    """

    __tablename__ = "improvement_actions"

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    source_kind: Mapped[ActionSourceKind] = mapped_column(enum_column(ActionSourceKind))
    source_ticket_id: Mapped[int | None] = mapped_column(
        FK, ForeignKey("feedback_tickets.id"), index=True
    )
    source_alert_id: Mapped[int | None] = mapped_column(
        FK, ForeignKey("risk_alerts.id"), index=True
    )
    owner_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[ActionStatus] = mapped_column(
        enum_column(ActionStatus), default=ActionStatus.PROPOSED, index=True
    )
    metric_code: Mapped[str | None] = mapped_column(String(32))  # a KpiSnapshot.kpi_code
    baseline_value: Mapped[Decimal] = mapped_column(Numeric(24, 8))
    target_value: Mapped[Decimal] = mapped_column(Numeric(24, 8))
    after_value: Mapped[Decimal | None] = mapped_column(Numeric(24, 8))
    verified_on: Mapped[date | None] = mapped_column(Date)
    # since migration 0011: what a survey / KPI / review source is (survey code, KPI code, review
    # id), when it was raised and done, the periods the metric was measured over (before the
    # action was raised, after it was done), the KPI's direction and slice.
    source_ref: Mapped[str | None] = mapped_column(String(64))
    raised_on: Mapped[date | None] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    baseline_period: Mapped[str | None] = mapped_column(String(16))
    after_period: Mapped[str | None] = mapped_column(String(16))
    higher_is_better: Mapped[bool | None] = mapped_column(Boolean)
    metric_dimension: Mapped[str | None] = mapped_column(String(32))
    metric_key: Mapped[str | None] = mapped_column(String(64))


class FeedbackEvent(IdMixin, Base):
    """One change of a ticket or an action (its history): created, assigned, status, topic,
    resolution, confirmation, measured. ``from_value``/``to_value`` are codes or ids, never
    personal data; ``note`` is the staff's text (a resolution, a reason)."""

    __tablename__ = "feedback_events"

    ticket_id: Mapped[int | None] = mapped_column(FK, ForeignKey("feedback_tickets.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(
        FK, ForeignKey("improvement_actions.id"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    from_value: Mapped[str | None] = mapped_column(String(64))
    to_value: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    by_staff_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    actor_label: Mapped[str] = mapped_column(String(64))


class TopicModel(IdMixin, Base):
    """A fitted ticket-topic classifier (``analytics.text_topics`` JSON artefact), version N is
    ``topics@N``; the latest version classifies new tickets."""

    __tablename__ = "feedback_topic_models"

    version: Mapped[int] = mapped_column(Integer, unique=True)
    artefact: Mapped[dict[str, Any]] = mapped_column(Json)
    metrics: Mapped[dict[str, Any]] = mapped_column(Json)
    n_train: Mapped[int] = mapped_column(Integer)
    data_sha256: Mapped[str] = mapped_column(String(64))
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime)
    trained_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
