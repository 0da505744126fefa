"""Market analysis (市场分析): market size by product line, region and period; competitors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin, TimestampMixin
from loanpilot.db.types import FK, Json, Money, Rate, enum_column


class ProductLine(StrEnum):
    """Market product lines; the values are those of ``products.models.ProductType``."""

    HOUSING = "housing"  # 住房贷款
    CONSUMER = "consumer"  # 消费贷款
    BUSINESS = "business"  # 个人经营贷款
    PRIVATE_BANKING = "private_banking"  # 私人银行


class CompetitorKind(StrEnum):
    STATE_OWNED = "state_owned"  # 国有大型商业银行
    JOINT_STOCK = "joint_stock"  # 股份制商业银行
    CITY_COMMERCIAL = "city_commercial"  # 城市商业银行
    RURAL = "rural"  # 农村商业银行 / 农信社
    INTERNET = "internet"  # 互联网银行
    CONSUMER_FINANCE = "consumer_finance"  # 消费金融公司


class MarketSize(IdMixin, TimestampMixin, Base):
    """Outstanding balance and new lending of a product line in a region and period (PBoC data…).

    ``region`` is a province or city name; our market share is our own balance divided by
    ``total_balance_fen``.
    """

    __tablename__ = "market_sizes"
    __table_args__ = (UniqueConstraint("product_line", "region", "period"),)

    product_line: Mapped[ProductLine] = mapped_column(enum_column(ProductLine))
    region: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16), index=True)  # e.g. 2026-09, 2026Q3, 2026
    total_balance_fen: Mapped[int] = mapped_column(Money)
    new_lending_fen: Mapped[int | None] = mapped_column(Money)
    source: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


class Competitor(IdMixin, TimestampMixin, Base):
    """A competing lender in our market."""

    __tablename__ = "competitors"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(32))
    kind: Mapped[CompetitorKind] = mapped_column(enum_column(CompetitorKind))


class CompetitorProduct(IdMixin, TimestampMixin, Base):
    """A competitor's loan product as observed on a date, with its rates (fractions) and terms.

    ``apr`` is the annualised rate (年化利率) the competitor discloses or we computed; ``features``
    lists selling points (e.g. 随借随还, 线上秒批).
    """

    __tablename__ = "competitor_products"
    __table_args__ = (UniqueConstraint("competitor_id", "name", "observed_on"),)

    competitor_id: Mapped[int] = mapped_column(FK, ForeignKey("competitors.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    product_line: Mapped[ProductLine] = mapped_column(enum_column(ProductLine), index=True)
    subtype: Mapped[str] = mapped_column(String(32))  # a products ProductSubtype value
    min_annual_rate: Mapped[Decimal] = mapped_column(Rate)
    max_annual_rate: Mapped[Decimal | None] = mapped_column(Rate)
    apr: Mapped[Decimal | None] = mapped_column(Rate)
    max_amount_fen: Mapped[int] = mapped_column(Money)
    max_term_months: Mapped[int] = mapped_column(Integer)
    features: Mapped[list[str]] = mapped_column(Json, default=list)
    observed_on: Mapped[date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(200))
