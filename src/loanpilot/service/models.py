"""Customer service (客户服务): surveys (CSAT, NPS), stage SLAs, service-quality reviews."""

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

from loanpilot.db.base import Base, IdMixin, TimestampMixin
from loanpilot.db.types import FK, Json, UTCDateTime, enum_column
from loanpilot.products.models import ProductType


class SurveyKind(StrEnum):
    CSAT = "csat"  # 客户满意度
    NPS = "nps"  # 净推荐值
    GENERAL = "general"  # 综合问卷


class SurveyTrigger(StrEnum):
    DISBURSED = "disbursed"  # 放款后
    DISBURSED_30D = "disbursed_30d"  # 放款 30 天后
    SETTLED = "settled"  # 结清后
    COMPLAINT_CLOSED = "complaint_closed"  # 投诉办结后
    MANUAL = "manual"  # 手工发起


class SurveyStatus(StrEnum):
    DRAFT = "draft"  # 草稿
    ACTIVE = "active"  # 启用
    CLOSED = "closed"  # 停用


class ServiceChannel(StrEnum):
    SMS = "sms"  # 短信
    EMAIL = "email"  # 电子邮件
    APP = "app"  # 手机银行
    WECHAT = "wechat"  # 微信
    PORTAL = "portal"  # 网上门户
    PHONE = "phone"  # 电话回访
    BRANCH = "branch"  # 网点


class QuestionKind(StrEnum):
    CSAT_1_5 = "csat_1_5"  # 满意度 1–5 分
    NPS_0_10 = "nps_0_10"  # 推荐意愿 0–10 分
    SINGLE_CHOICE = "single_choice"  # 单选
    MULTI_CHOICE = "multi_choice"  # 多选
    FREE_TEXT = "free_text"  # 开放题


class SlaStage(StrEnum):
    LEAD_TO_FIRST_CONTACT = "lead_to_first_contact"  # 线索到首次联系
    APPLICATION_TO_DECISION = "application_to_decision"  # 申请到审批结论
    DECISION_TO_DISBURSEMENT = "decision_to_disbursement"  # 审批到放款
    APPLICATION_TO_DISBURSEMENT = "application_to_disbursement"  # 申请到放款（全流程）
    INQUIRY_RESPONSE = "inquiry_response"  # 咨询答复
    COMPLAINT_FIRST_RESPONSE = "complaint_first_response"  # 投诉首次响应
    COMPLAINT_RESOLUTION = "complaint_resolution"  # 投诉办结


class QualityReviewKind(StrEnum):
    MYSTERY_SHOPPER = "mystery_shopper"  # 神秘客户暗访
    AUDIT = "audit"  # 服务检查
    CALL_REVIEW = "call_review"  # 通话录音质检


class Survey(IdMixin, TimestampMixin, Base):
    """A questionnaire and the milestone that sends it (e.g. CSAT 30 days after disbursement)."""

    __tablename__ = "surveys"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SurveyKind] = mapped_column(enum_column(SurveyKind))
    trigger: Mapped[SurveyTrigger] = mapped_column(enum_column(SurveyTrigger), index=True)
    status: Mapped[SurveyStatus] = mapped_column(
        enum_column(SurveyStatus), default=SurveyStatus.DRAFT
    )
    channel: Mapped[ServiceChannel] = mapped_column(enum_column(ServiceChannel))


class SurveyQuestion(IdMixin, Base):
    """One question of a survey, bilingual; ``choices`` lists ``{value, label_zh, label_en}``."""

    __tablename__ = "survey_questions"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    survey_id: Mapped[int] = mapped_column(FK, ForeignKey("surveys.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    text_zh: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str] = mapped_column(String(500))
    choices: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=True)


class SurveyInvitation(IdMixin, Base):
    """A survey sent to one customer about one loan or ticket; ``token`` opens the portal form."""

    __tablename__ = "survey_invitations"
    # since migration 0010: one invitation per survey and loan / ticket (the send is idempotent)
    __table_args__ = (
        UniqueConstraint("survey_id", "loan_id"),
        UniqueConstraint("survey_id", "ticket_id"),
    )

    survey_id: Mapped[int] = mapped_column(FK, ForeignKey("surveys.id"), index=True)
    customer_id: Mapped[int] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(FK, ForeignKey("loans.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(FK, ForeignKey("feedback_tickets.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    channel: Mapped[ServiceChannel] = mapped_column(enum_column(ServiceChannel))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyResponse(IdMixin, Base):
    """A submitted survey, one per invitation, attributed to branch, manager and product then."""

    __tablename__ = "survey_responses"

    invitation_id: Mapped[int] = mapped_column(FK, ForeignKey("survey_invitations.id"), unique=True)
    survey_id: Mapped[int] = mapped_column(FK, ForeignKey("surveys.id"), index=True)
    customer_id: Mapped[int] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    channel: Mapped[ServiceChannel] = mapped_column(enum_column(ServiceChannel))
    branch_id: Mapped[int | None] = mapped_column(FK, ForeignKey("branches.id"), index=True)
    # The customer's manager at the time of the response (later reassignments do not move it).
    staff_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(FK, ForeignKey("loan_products.id"), index=True)


class SurveyAnswer(IdMixin, Base):
    """The answer to one question: a score (CSAT 1–5, NPS 0–10), chosen value(s) or free text.

    ``choice`` is a list of chosen values (one element for a single-choice question).
    """

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    response_id: Mapped[int] = mapped_column(FK, ForeignKey("survey_responses.id"), index=True)
    question_id: Mapped[int] = mapped_column(FK, ForeignKey("survey_questions.id"), index=True)
    score: Mapped[int | None] = mapped_column(Integer)
    choice: Mapped[list[str] | None] = mapped_column(Json)
    text: Mapped[str | None] = mapped_column(Text)


class ServiceSla(IdMixin, TimestampMixin, Base):
    """Target duration of a service stage, optionally per product type; latest valid row wins."""

    __tablename__ = "service_slas"
    __table_args__ = (UniqueConstraint("stage", "product_type", "valid_from"),)

    stage: Mapped[SlaStage] = mapped_column(enum_column(SlaStage))
    # None: the target applies to every product type.
    product_type: Mapped[ProductType | None] = mapped_column(enum_column(ProductType))
    target_hours: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    valid_from: Mapped[date] = mapped_column(Date)


class QualityReview(IdMixin, TimestampMixin, Base):
    """A service-quality review of one staff member (暗访, 检查, 录音质检), scored 0–100.

    ``items`` lists the checklist lines: ``{code, label, max_points, points, note}``.
    """

    __tablename__ = "quality_reviews"
    __table_args__ = (CheckConstraint("score >= 0 AND score <= 100", name="score_range"),)

    kind: Mapped[QualityReviewKind] = mapped_column(enum_column(QualityReviewKind))
    staff_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    branch_id: Mapped[int] = mapped_column(FK, ForeignKey("branches.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"))
    reviewed_on: Mapped[date] = mapped_column(Date, index=True)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    items: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    comment: Mapped[str | None] = mapped_column(Text)
