"""Channels (营销渠道): partners and leads / referrals with their source."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.customers.models import Channel
from loanpilot.db.base import Base, IdMixin, TimestampMixin
from loanpilot.db.types import FK, BlindIndex, Cipher, Money, Rate, UTCDateTime, enum_column


class PartnerKind(StrEnum):
    DEVELOPER = "developer"  # 房地产开发商
    CAR_DEALER = "car_dealer"  # 汽车经销商
    ECOMMERCE = "ecommerce"  # 电商平台
    SCHOOL = "school"  # 学校 / 教育机构
    EMPLOYER = "employer"  # 代发工资单位
    HOSPITAL = "hospital"  # 医疗机构
    DECORATION = "decoration"  # 装修公司
    TRAVEL_AGENCY = "travel_agency"  # 旅行社


class Partner(IdMixin, TimestampMixin, Base):
    """An organisation that brings us borrowers."""

    __tablename__ = "partners"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[PartnerKind] = mapped_column(enum_column(PartnerKind))
    city: Mapped[str] = mapped_column(String(32))
    branch_id: Mapped[int | None] = mapped_column(FK, ForeignKey("branches.id"))
    commission_rate: Mapped[Decimal] = mapped_column(Rate)
    contract_start: Mapped[date] = mapped_column(Date)
    contract_end: Mapped[date | None] = mapped_column(Date)


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    CONVERTED = "converted"  # an application was made
    LOST = "lost"


class Lead(IdMixin, TimestampMixin, Base):
    """An expressed interest, with where it came from (channel, partner, referrer, campaign)."""

    __tablename__ = "leads"
    __table_args__ = (UniqueConstraint("source_channel", "external_ref"),)

    lead_no: Mapped[str] = mapped_column(String(24), unique=True)
    customer_id: Mapped[int | None] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    phone_enc: Mapped[bytes | None] = mapped_column(Cipher)
    phone_hash: Mapped[bytes | None] = mapped_column(BlindIndex, index=True)
    source_channel: Mapped[Channel] = mapped_column(enum_column(Channel), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(64))
    partner_id: Mapped[int | None] = mapped_column(FK, ForeignKey("partners.id"), index=True)
    referrer_customer_id: Mapped[int | None] = mapped_column(FK, ForeignKey("customers.id"))
    referrer_staff_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    campaign_id: Mapped[int | None] = mapped_column(FK, ForeignKey("campaigns.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(FK, ForeignKey("loan_products.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    status: Mapped[LeadStatus] = mapped_column(enum_column(LeadStatus), default=LeadStatus.NEW)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # issue 6: UTM-style tags of online traffic, and the referrer's credit once the lead converts
    utm_source: Mapped[str | None] = mapped_column(String(64))
    utm_medium: Mapped[str | None] = mapped_column(String(64))
    utm_campaign: Mapped[str | None] = mapped_column(String(64), index=True)
    utm_content: Mapped[str | None] = mapped_column(String(64))
    utm_term: Mapped[str | None] = mapped_column(String(64))
    referrer_credit_fen: Mapped[int | None] = mapped_column(Money)
    credited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
