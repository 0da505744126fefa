"""Product strategy (产品策略): the loan catalogue, eligibility, seasonal offers and the dated LPR and
provident-fund (公积金) rate tables every price is built from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin, TimestampMixin
from loanpilot.db.types import FK, Json, Money, Rate, enum_column


class ProductType(StrEnum):
    HOUSING = "housing"  # 住房贷款
    CONSUMER = "consumer"  # 消费贷款
    BUSINESS = "business"  # 经营贷款
    PRIVATE_BANKING = "private_banking"  # 私人银行贷款


class ProductSubtype(StrEnum):
    COMMERCIAL_MORTGAGE = "commercial_mortgage"  # 商业性住房贷款
    PROVIDENT_FUND = "provident_fund"  # 公积金贷款
    COMBINATION = "combination"  # 组合贷
    COMMERCIAL_TO_FUND = "commercial_to_fund"  # 商转公
    EDUCATION = "education"  # 教育
    MEDICAL = "medical"  # 医疗
    TRAVEL = "travel"  # 旅游
    AUTO = "auto"  # 汽车
    RENOVATION = "renovation"  # 装修
    GENERAL_CONSUMER = "general_consumer"  # 综合消费
    OPERATING = "operating"  # 经营性
    CREDIT = "credit"  # 信用
    SECURED = "secured"  # 抵押 / 担保
    PRIVATE_BANKING = "private_banking"  # 私行专属


class RepaymentMethod(StrEnum):
    EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_ONLY = "interest_only"  # 先息后本
    BULLET = "bullet"  # 一次性还本付息


class RateBasis(StrEnum):
    FIXED = "fixed"
    LPR_1Y = "lpr_1y"  # LPR + spread, 1-year tenor
    LPR_5Y = "lpr_5y"  # LPR + spread, over-5-year tenor
    PROVIDENT_FUND = "provident_fund"  # 公积金 rate table


class CollateralKind(StrEnum):
    NONE = "none"
    PROPERTY = "property"  # 房产
    VEHICLE = "vehicle"  # 车辆
    DEPOSIT = "deposit"  # 存单
    GUARANTEE = "guarantee"  # 保证
    EQUIPMENT = "equipment"


class ProductStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class LoanProduct(IdMixin, TimestampMixin, Base):
    """A loan product with its bounds. A combination loan names its two component products."""

    __tablename__ = "loan_products"
    __table_args__ = (
        CheckConstraint(
            "min_amount_fen > 0 AND min_amount_fen <= max_amount_fen", name="amounts_ordered"
        ),
        CheckConstraint(
            "min_term_months >= 1 AND min_term_months <= max_term_months", name="terms_ordered"
        ),
        CheckConstraint("min_spread <= max_spread", name="spreads_ordered"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    product_type: Mapped[ProductType] = mapped_column(enum_column(ProductType), index=True)
    subtype: Mapped[ProductSubtype] = mapped_column(enum_column(ProductSubtype))
    status: Mapped[ProductStatus] = mapped_column(
        enum_column(ProductStatus), default=ProductStatus.ACTIVE
    )
    min_amount_fen: Mapped[int] = mapped_column(Money)
    max_amount_fen: Mapped[int] = mapped_column(Money)
    min_term_months: Mapped[int] = mapped_column(Integer)
    max_term_months: Mapped[int] = mapped_column(Integer)
    rate_basis: Mapped[RateBasis] = mapped_column(enum_column(RateBasis))
    min_spread: Mapped[Decimal] = mapped_column(Rate)  # over the basis rate; FIXED: the rate itself
    max_spread: Mapped[Decimal] = mapped_column(Rate)
    monthly_fee_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal(0))
    upfront_fee_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal(0))
    repayment_methods: Mapped[list[str]] = mapped_column(Json)
    max_ltv: Mapped[Decimal | None] = mapped_column(Rate)  # loan-to-value for secured products
    collateral_required: Mapped[CollateralKind] = mapped_column(enum_column(CollateralKind))
    eligibility: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    component_product_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    description_zh: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    launched_on: Mapped[date] = mapped_column(Date)


class SeasonalOffer(IdMixin, TimestampMixin, Base):
    """A time-boxed offer on a product (e.g. 春节旅游季, 开学季, 金九银十 housing)."""

    __tablename__ = "seasonal_offers"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="window_ordered"),)

    product_id: Mapped[int] = mapped_column(FK, ForeignKey("loan_products.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    spread_discount: Mapped[Decimal] = mapped_column(Rate, default=Decimal(0))
    fee_waived: Mapped[bool] = mapped_column(Boolean, default=False)


class LprTerm(StrEnum):
    ONE_YEAR = "1y"
    OVER_FIVE_YEARS = "5y"


class LprRate(IdMixin, Base):
    """Loan Prime Rate as published on the 20th of each month (dated table, kept by an admin)."""

    __tablename__ = "lpr_rates"
    __table_args__ = (
        UniqueConstraint("effective_on", "term"),
        CheckConstraint("rate > 0", name="rate_positive"),
    )

    effective_on: Mapped[date] = mapped_column(Date)
    term: Mapped[LprTerm] = mapped_column(enum_column(LprTerm, 4))
    rate: Mapped[Decimal] = mapped_column(Rate)


class ProvidentFundRate(IdMixin, Base):
    """Housing provident-fund (公积金) loan rates, by term band and first / second home."""

    __tablename__ = "provident_fund_rates"
    __table_args__ = (
        UniqueConstraint("effective_on", "term_band", "home_order"),
        CheckConstraint("rate > 0", name="rate_positive"),
        CheckConstraint("home_order IN (1, 2)", name="home_order_valid"),
    )

    effective_on: Mapped[date] = mapped_column(Date)
    term_band: Mapped[str] = mapped_column(String(8))  # "le5y" | "gt5y"
    home_order: Mapped[int] = mapped_column(Integer)  # 1 = first home, 2 = second home
    rate: Mapped[Decimal] = mapped_column(Rate)
