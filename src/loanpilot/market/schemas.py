"""Request and response shapes of market analysis. Money is integer fen with an exact yuan string;
rates and shares are decimal fractions (0.0345 is 3.45 %). Bounds here only keep a value storable;
``market_rules`` reports every other problem at once."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from loanpilot.app import yuan
from loanpilot.market import positioning as pos
from loanpilot.market.models import Competitor, MarketSize
from loanpilot.market.repository import Observation
from loanpilot.market.share import Share

Yuan = Annotated[
    Decimal,
    Field(max_digits=20, decimal_places=2, allow_inf_nan=False, description="yuan, 2 decimals"),
]


class SizeWrite(BaseModel):
    product_line: str = Field(max_length=32, description="housing, consumer, business or "
                              "private_banking (or its Chinese name)")  # fmt: skip
    region: str = Field(max_length=64, description="province or city, as our branches' province")
    period: str = Field(max_length=16, description="2026-10, 2026Q4, 2026H2 or 2026")
    total_balance_yuan: Yuan
    new_lending_yuan: Yuan | None = None
    source: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=4000)

    def cells(self) -> dict[str, str]:
        """The fields as an import row's cells (the same rules validate both)."""
        values = self.model_dump()
        return {k: "" if v is None else str(v) for k, v in values.items()}


class SizeRead(BaseModel):
    id: int
    product_line: str
    region: str
    period: str
    total_balance_fen: int
    total_balance_yuan: str
    new_lending_fen: int | None
    new_lending_yuan: str | None
    source: str
    note: str | None
    updated_at: datetime | None

    @classmethod
    def of(cls, s: MarketSize) -> SizeRead:
        return cls(
            id=s.id, product_line=s.product_line.value, region=s.region, period=s.period,
            total_balance_fen=s.total_balance_fen, total_balance_yuan=yuan(s.total_balance_fen),
            new_lending_fen=s.new_lending_fen,
            new_lending_yuan=None if s.new_lending_fen is None else yuan(s.new_lending_fen),
            source=s.source, note=s.note, updated_at=s.updated_at,
        )  # fmt: skip


class SizeSaved(BaseModel):
    size: SizeRead
    created: bool = Field(description="false: the stored figure of this line, region and period "
                          "was updated")  # fmt: skip


class ProblemRead(BaseModel):
    field: str
    message: str
    row: int | None
    source: str | None
    code: str


class ImportRead(BaseModel):
    kind: str
    source: str
    encoding: str
    rows_read: int
    created: int
    updated: int
    competitors_added: int
    rejected_rows: int
    rejected: list[ProblemRead]
    ignored_columns: list[str]


class ShareRead(BaseModel):
    period: str
    dimension: str
    key: str
    label: str
    line: str | None
    region: str | None
    value: Decimal | None = Field(description="our share, a fraction")
    ours_fen: int | None
    market_fen: int | None
    source: str = Field(description="the KPI query behind the figure")

    @classmethod
    def of(cls, s: Share) -> ShareRead:
        return cls(**{k: getattr(s, k) for k in cls.model_fields})


class CompetitorRead(BaseModel):
    id: int
    name: str
    short_name: str
    kind: str

    @classmethod
    def of(cls, c: Competitor) -> CompetitorRead:
        return cls(id=c.id, name=c.name, short_name=c.short_name, kind=c.kind.value)


class CompetitorProductRead(BaseModel):
    id: int
    competitor: str
    competitor_short_name: str
    name: str
    product_line: str
    subtype: str
    min_annual_rate: Decimal
    max_annual_rate: Decimal | None
    apr: Decimal | None
    max_amount_fen: int
    max_amount_yuan: str
    max_term_months: int
    features: list[str]
    observed_on: date
    source: str

    @classmethod
    def of(cls, o: Observation) -> CompetitorProductRead:
        p = o.product
        return cls(
            id=p.id, competitor=o.competitor.name, competitor_short_name=o.competitor.short_name,
            name=p.name, product_line=p.product_line.value, subtype=p.subtype,
            min_annual_rate=p.min_annual_rate, max_annual_rate=p.max_annual_rate, apr=p.apr,
            max_amount_fen=p.max_amount_fen, max_amount_yuan=yuan(p.max_amount_fen),
            max_term_months=p.max_term_months, features=list(p.features or []),
            observed_on=p.observed_on, source=p.source,
        )  # fmt: skip


class RangeRead(BaseModel):
    count: int
    minimum: Decimal
    median: Decimal
    maximum: Decimal


class FeatureRead(BaseModel):
    feature: str
    products: int


class QuoteRead(BaseModel):
    competitor: str
    product: str
    apr: Decimal | None
    min_annual_rate: Decimal
    observed_on: date


class PositionRead(BaseModel):
    product_id: int
    code: str
    name_zh: str
    name_en: str
    product_line: str
    subtype: str
    our_apr: Decimal | None = Field(description="the catalogue's APR at the lowest spread")
    competitors: RangeRead | None
    percentile: Decimal | None = Field(description="share of competitor APRs below ours")
    position: str | None = Field(description="cheaper, at_market or dearer")
    without_apr: int
    quotes: list[QuoteRead]
    features: list[FeatureRead]

    @classmethod
    def of(cls, r: pos.ProductPosition) -> PositionRead:
        stats = r.competitors
        return cls(
            product_id=r.product_id, code=r.code, name_zh=r.name_zh, name_en=r.name_en,
            product_line=r.product_line, subtype=r.subtype, our_apr=r.our_apr,
            competitors=RangeRead(**stats.__dict__) if stats else None,
            percentile=r.percentile, position=r.position, without_apr=r.without_apr,
            quotes=[QuoteRead(competitor=q.competitor, product=q.product, apr=q.apr,
                              min_annual_rate=q.min_annual_rate, observed_on=q.observed_on)
                    for q in r.quotes],
            features=[FeatureRead(feature=f.feature, products=f.products) for f in r.features],
        )  # fmt: skip


class GapRead(BaseModel):
    subtype: str
    product_line: str
    competitors: RangeRead | None
    products: list[str]
    features: list[FeatureRead]

    @classmethod
    def of(cls, g: pos.SubtypeGap) -> GapRead:
        return cls(
            subtype=g.subtype, product_line=g.product_line,
            competitors=RangeRead(**g.competitors.__dict__) if g.competitors else None,
            products=list(g.products),
            features=[FeatureRead(feature=f.feature, products=f.products) for f in g.features],
        )  # fmt: skip


class PositioningRead(BaseModel):
    as_of: date
    products: list[PositionRead]
    gaps: list[GapRead]
