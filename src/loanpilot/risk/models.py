"""Risk control (风险控制): decisions with reasons, delinquency and five-category classification
(金融资产风险分类办法, 2023) with manual overrides, collections and risk alerts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin, TimestampMixin
from loanpilot.db.types import FK, Json, Money, Rate, UTCDateTime, enum_column
from loanpilot.risk.rules import DecisionOutcome


class FiveClass(StrEnum):
    NORMAL = "normal"  # 正常
    SPECIAL_MENTION = "special_mention"  # 关注
    SUBSTANDARD = "substandard"  # 次级
    DOUBTFUL = "doubtful"  # 可疑
    LOSS = "loss"  # 损失


#: Non-performing classes (NPL): 次级 + 可疑 + 损失.
NON_PERFORMING = frozenset({FiveClass.SUBSTANDARD, FiveClass.DOUBTFUL, FiveClass.LOSS})


class DpdBucket(StrEnum):
    M0 = "M0"
    M1 = "M1"  # 1–30
    M2 = "M2"  # 31–60
    M3 = "M3"  # 61–90
    M4 = "M4"  # 91–120
    M5 = "M5"  # 121–150
    M6 = "M6"  # 151–180
    M7 = "M7+"  # > 180


class Decision(IdMixin, Base):
    """A credit decision on an application, with reasons, score and the versions that made it."""

    __tablename__ = "decisions"

    application_id: Mapped[int] = mapped_column(FK, ForeignKey("applications.id"), index=True)
    outcome: Mapped[DecisionOutcome] = mapped_column(enum_column(DecisionOutcome))
    score: Mapped[int | None] = mapped_column(Integer)
    pd: Mapped[Decimal | None] = mapped_column(Numeric(10, 8))
    grade: Mapped[str | None] = mapped_column(String(4))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    model_version: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(64))
    approved_amount_fen: Mapped[int | None] = mapped_column(Money)
    approved_rate: Mapped[Decimal | None] = mapped_column(Rate)
    approved_term_months: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    # since migration 0004: the offer's APR and limit, and the features the model read
    approved_apr: Mapped[Decimal | None] = mapped_column(Rate)
    limit_fen: Mapped[int | None] = mapped_column(Money)
    limit_binding: Mapped[str | None] = mapped_column(String(24))
    features: Mapped[dict[str, Any] | None] = mapped_column(Json)
    note: Mapped[str | None] = mapped_column(Text)
    offer_parts: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)  # a 组合贷's two parts


class DelinquencySnapshot(IdMixin, Base):
    """A loan's arrears and classification at a close date (month-end history; daily from issue 5)."""

    __tablename__ = "delinquency_snapshots"
    __table_args__ = (
        UniqueConstraint("loan_id", "as_of"),
        CheckConstraint("dpd >= 0", name="dpd_not_negative"),
        CheckConstraint(
            "outstanding_principal_fen >= 0 AND overdue_principal_fen >= 0 AND overdue_interest_fen >= 0",
            name="amounts_not_negative",
        ),
    )

    loan_id: Mapped[int] = mapped_column(FK, ForeignKey("loans.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    dpd: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[DpdBucket] = mapped_column(enum_column(DpdBucket, 4))
    outstanding_principal_fen: Mapped[int] = mapped_column(Money)
    overdue_principal_fen: Mapped[int] = mapped_column(Money)
    overdue_interest_fen: Mapped[int] = mapped_column(Money)
    five_class: Mapped[FiveClass] = mapped_column(enum_column(FiveClass, 16))
    class_source: Mapped[str] = mapped_column(String(16), default="rule")  # rule | override


class ClassificationOverride(IdMixin, Base):
    """A manual five-category classification by a risk officer: who, why, when, until when."""

    __tablename__ = "classification_overrides"

    loan_id: Mapped[int] = mapped_column(FK, ForeignKey("loans.id"), index=True)
    five_class: Mapped[FiveClass] = mapped_column(enum_column(FiveClass, 16))
    officer_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_on: Mapped[date | None] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CollectionStage(StrEnum):
    SOFT = "soft"  # 短信 / 电话提醒 (M1)
    HARD = "hard"  # 上门 / 催收函 (M2–M3)
    LEGAL = "legal"  # 诉讼 (M4+)
    OUTSOURCED = "outsourced"  # 委外
    CLOSED = "closed"


class CollectionCase(IdMixin, TimestampMixin, Base):
    """A delinquent loan under collection, from first missed payment to cure or write-off."""

    __tablename__ = "collection_cases"
    __table_args__ = (CheckConstraint("recovered_fen >= 0", name="recovered_not_negative"),)

    case_no: Mapped[str] = mapped_column(String(24), unique=True)
    loan_id: Mapped[int] = mapped_column(FK, ForeignKey("loans.id"), index=True)
    opened_on: Mapped[date] = mapped_column(Date, index=True)
    dpd_at_open: Mapped[int] = mapped_column(Integer)
    stage: Mapped[CollectionStage] = mapped_column(enum_column(CollectionStage))
    assigned_to_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    closed_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(16))  # cured | settled | written_off | legal
    recovered_fen: Mapped[int] = mapped_column(Money, default=0)
    # since migration 0005: the ladder rung (``collection_ladder.step``) and the next action's day
    ladder_step: Mapped[str | None] = mapped_column(String(16))
    next_action_on: Mapped[date | None] = mapped_column(Date, index=True)


class CollectionAction(IdMixin, Base):
    """One step of the collections ladder, from SMS to lawsuit, with its result."""

    __tablename__ = "collection_actions"

    case_id: Mapped[int] = mapped_column(FK, ForeignKey("collection_cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(
        String(16)
    )  # sms | phone | letter | visit | legal_notice | lawsuit
    staff_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    result: Mapped[str] = mapped_column(
        String(24)
    )  # no_answer | promise_to_pay | paid | refused ...
    promise_amount_fen: Mapped[int | None] = mapped_column(Money)
    promise_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    # since migration 0005: who was contacted (debtor | guarantor); contact of a third party about
    # the debt is refused by ``risk.collections``
    party: Mapped[str] = mapped_column(String(16), default="debtor", server_default="debtor")


class AlertSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ACTIONED = "actioned"
    CLOSED = "closed"


class RiskAlert(IdMixin, TimestampMixin, Base):
    """An early-warning alert: which rule fired, on what, who owns it, what was done."""

    __tablename__ = "risk_alerts"

    alert_no: Mapped[str] = mapped_column(String(24), unique=True)
    rule_code: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[AlertSeverity] = mapped_column(enum_column(AlertSeverity))
    dimension: Mapped[str] = mapped_column(String(32))  # all | branch | product | segment | loan
    dimension_value: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(Numeric(24, 8))
    threshold: Mapped[Decimal] = mapped_column(Numeric(24, 8))
    raised_on: Mapped[date] = mapped_column(Date, index=True)
    owner_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[AlertStatus] = mapped_column(enum_column(AlertStatus))
    actions: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # since migration 0005: what was measured (the rule's context), for the alert page
    detail: Mapped[dict[str, Any] | None] = mapped_column(Json)


class ModelKind(StrEnum):
    SCORECARD = "scorecard"  # points card (analytics.scorecard)
    GBM = "gbm"  # LightGBM challenger PD model (analytics.pd_gbm)


class ModelStatus(StrEnum):
    CHALLENGER = "challenger"  # registered, scored beside the champion, not deciding
    CHAMPION = "champion"  # decides new applications (one per model name)
    RETIRED = "retired"


class CreditModel(IdMixin, Base):
    """A fitted model in the registry: its whole JSON artefact, its hashes and its status.
    Status changes are recorded in ``credit_model_events`` and in the audit log."""

    __tablename__ = "credit_models"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        Index(
            "uq_credit_models_one_champion",
            "name",
            unique=True,
            sqlite_where=text("status = 'champion'"),
            postgresql_where=text("status = 'champion'"),
        ),
    )

    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(64))
    kind: Mapped[ModelKind] = mapped_column(enum_column(ModelKind, 16))
    status: Mapped[ModelStatus] = mapped_column(enum_column(ModelStatus, 16), index=True)
    artefact: Mapped[dict[str, Any]] = mapped_column(Json)
    content_sha256: Mapped[str] = mapped_column(String(64))
    data_sha256: Mapped[str] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(Text)
    report_html: Mapped[str | None] = mapped_column(Text, deferred=True)  # the fit's model report

    @property
    def label(self) -> str:
        """``name@version``, as decisions store it."""
        return f"{self.name}@{self.version}"


class CreditModelEvent(IdMixin, Base):
    """A recorded action on a registered model: registered, promoted, retired."""

    __tablename__ = "credit_model_events"

    model_id: Mapped[int] = mapped_column(FK, ForeignKey("credit_models.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(Text)


class PolicyStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"  # decides new applications (exactly one)
    RETIRED = "retired"


class CreditPolicy(IdMixin, Base):
    """A version of the credit policy as data (``risk.policy_store`` reads and writes ``body``):
    hard rules, score cut-offs and the pricing grid. Versions are never edited once active."""

    __tablename__ = "credit_policies"
    __table_args__ = (
        Index(
            "uq_credit_policies_one_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    version: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[PolicyStatus] = mapped_column(enum_column(PolicyStatus, 16), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(Json)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
