"""Target customers (目标客户定位): one record per person across channels, with their bureau summary,
deposits and card behaviour, consents and channel preference.

ID and phone numbers are C2 personal financial information (JR/T 0171-2020): stored encrypted
(``*_enc``) with a keyed blind index (``*_hash``) for lookup and deduplication, never in clear.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin, TimestampMixin
from loanpilot.db.types import FK, BlindIndex, Cipher, Money, UTCDateTime, enum_column


class Gender(StrEnum):
    MALE = "M"
    FEMALE = "F"


class Occupation(StrEnum):
    CIVIL_SERVANT = "civil_servant"  # 公务员 / 事业单位
    COMPANY_EMPLOYEE = "company_employee"  # 企业员工
    FREELANCER = "freelancer"  # 自由职业者
    SELF_EMPLOYED = "self_employed"  # 个体工商户 / 小微企业主
    STUDENT = "student"  # 学生
    RETIRED = "retired"  # 退休人员


class Education(StrEnum):
    BELOW_HIGH_SCHOOL = "below_high_school"  # 初中及以下
    HIGH_SCHOOL = "high_school"  # 高中 / 中专
    COLLEGE = "college"  # 大专
    BACHELOR = "bachelor"  # 本科
    POSTGRADUATE = "postgraduate"  # 研究生及以上


class MaritalStatus(StrEnum):
    SINGLE = "single"
    MARRIED = "married"
    DIVORCED = "divorced"
    WIDOWED = "widowed"


class Channel(StrEnum):
    """Where a customer, lead, contact or application came in (营销渠道)."""

    ONLINE = "online"  # 网上银行 / 门户
    MOBILE = "mobile"  # 手机银行 / App
    BRANCH = "branch"  # 网点
    PARTNER = "partner"  # 合作机构
    CALL_CENTER = "call_center"  # 电话中心
    SMS = "sms"  # 短信
    WECHAT = "wechat"  # 微信
    REFERRAL = "referral"  # 转介绍


class ConsentKind(StrEnum):
    DATA_PROCESSING = "data_processing"  # 个人信息处理授权
    MARKETING = "marketing"  # 营销授权
    CREDIT_INQUIRY = "credit_inquiry"  # 征信查询授权


class Customer(IdMixin, TimestampMixin, Base):
    """One person, deduplicated across channels by the blind index of their resident ID number."""

    __tablename__ = "customers"
    __table_args__ = (CheckConstraint("monthly_income_fen >= 0", name="income_not_negative"),)

    customer_no: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50), index=True)  # exact-name search
    id_number_enc: Mapped[bytes] = mapped_column(Cipher)
    id_number_hash: Mapped[bytes] = mapped_column(BlindIndex, unique=True)
    phone_enc: Mapped[bytes | None] = mapped_column(Cipher)
    phone_hash: Mapped[bytes | None] = mapped_column(BlindIndex, index=True)
    birth_date: Mapped[date] = mapped_column(Date, index=True)  # age bands, sort
    gender: Mapped[Gender] = mapped_column(enum_column(Gender, 1))
    occupation: Mapped[Occupation] = mapped_column(enum_column(Occupation), index=True)
    employer_kind: Mapped[str | None] = mapped_column(String(32))
    education: Mapped[Education | None] = mapped_column(enum_column(Education))
    marital_status: Mapped[MaritalStatus | None] = mapped_column(enum_column(MaritalStatus))
    monthly_income_fen: Mapped[int] = mapped_column(Money, index=True)  # income bands, sort
    has_provident_fund: Mapped[bool] = mapped_column(Boolean, default=False)
    provident_fund_monthly_fen: Mapped[int | None] = mapped_column(Money)
    owns_home: Mapped[bool] = mapped_column(Boolean, default=False)
    province: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32), index=True)
    home_branch_id: Mapped[int | None] = mapped_column(FK, ForeignKey("branches.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    source_channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    preferred_channel: Mapped[Channel | None] = mapped_column(enum_column(Channel))
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_blacklisted: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[date] = mapped_column(Date)


class CustomerChannelLink(IdMixin, Base):
    """Each channel identity that resolved to the customer (one view of the customer)."""

    __tablename__ = "customer_channel_links"
    __table_args__ = (UniqueConstraint("channel", "external_ref"),)

    customer_id: Mapped[int] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    external_ref: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Consent(IdMixin, Base):
    """Consent history (PIPL): granted or withdrawn, when, through which channel."""

    __tablename__ = "consents"

    customer_id: Mapped[int] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    kind: Mapped[ConsentKind] = mapped_column(enum_column(ConsentKind))
    granted: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    text_version: Mapped[str] = mapped_column(String(16), default="v1")


class BureauReport(IdMixin, Base):
    """Summary of the customer's PBoC credit report (征信) on a date."""

    __tablename__ = "bureau_reports"
    __table_args__ = (UniqueConstraint("customer_id", "as_of"),)

    customer_id: Mapped[int] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    bureau_score: Mapped[int | None] = mapped_column(Integer)
    credit_history_months: Mapped[int] = mapped_column(Integer, default=0)
    open_accounts: Mapped[int] = mapped_column(Integer, default=0)
    total_debt_fen: Mapped[int] = mapped_column(Money, default=0)
    monthly_debt_payment_fen: Mapped[int] = mapped_column(Money, default=0)
    delinquent_accounts: Mapped[int] = mapped_column(Integer, default=0)
    max_dpd_24m: Mapped[int] = mapped_column(Integer, default=0)
    current_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    inquiries_6m: Mapped[int] = mapped_column(Integer, default=0)


class CustomerFinancials(IdMixin, Base):
    """Deposits and card behaviour with us in a month (存款与信用卡行为)."""

    __tablename__ = "customer_financials"
    __table_args__ = (UniqueConstraint("customer_id", "as_of"),)

    customer_id: Mapped[int] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    deposit_balance_fen: Mapped[int] = mapped_column(Money, default=0)
    avg_deposit_6m_fen: Mapped[int] = mapped_column(Money, default=0)
    wealth_balance_fen: Mapped[int] = mapped_column(Money, default=0)
    salary_account: Mapped[bool] = mapped_column(Boolean, default=False)
    card_limit_fen: Mapped[int] = mapped_column(Money, default=0)
    card_utilisation: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal(0))
    card_spend_monthly_fen: Mapped[int] = mapped_column(Money, default=0)
    card_late_payments_12m: Mapped[int] = mapped_column(Integer, default=0)
