"""Schemas of the segments API: band edges, runs, segments with their profiles, a build request."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from loanpilot.customers.models_segments import Segment, SegmentRun
from loanpilot.customers.segment_rules import Band


class BandWrite(BaseModel):
    """One band: ``lower <= value < upper``; the first band's lower and the last band's upper edge
    are empty (open). Age in years, income in yuan a month."""

    code: str = Field(max_length=32, description="a-z, 0-9, _; part of the rule segment code")
    lower: Decimal | None = Field(
        default=None, allow_inf_nan=False, max_digits=20, decimal_places=4
    )
    upper: Decimal | None = Field(
        default=None, allow_inf_nan=False, max_digits=20, decimal_places=4
    )
    label_zh: str = Field(max_length=50)
    label_en: str = Field(max_length=50)

    def as_row(self) -> dict[str, object]:
        return self.model_dump()


class BandRead(BandWrite):
    @classmethod
    def of(cls, band: Band) -> BandRead:
        return cls(code=band.code, lower=band.lower, upper=band.upper, label_zh=band.label_zh,
                   label_en=band.label_en)  # fmt: skip


class BandsWrite(BaseModel):
    """The bands of one or both dimensions; a dimension left out is kept as it is."""

    age: list[BandWrite] | None = Field(default=None, max_length=10)
    income: list[BandWrite] | None = Field(default=None, max_length=10)


class BandsRead(BaseModel):
    age: list[BandRead]
    income: list[BandRead]

    @classmethod
    def of(cls, table: dict[str, list[Band]]) -> BandsRead:
        return cls(age=[BandRead.of(b) for b in table["age"]],
                   income=[BandRead.of(b) for b in table["income"]])  # fmt: skip


class RunRead(BaseModel):
    id: int
    kind: str
    version: int
    as_of: date
    status: str
    is_current: bool
    started_at: datetime
    finished_at: datetime | None
    started_by_id: int | None
    customers: int
    params: dict[str, Any] = Field(description="bands or features, k, the k criterion and scores")

    @classmethod
    def of(cls, run: SegmentRun) -> RunRead:
        params = {k: v for k, v in (run.params or {}).items() if k != "model"}
        return cls(id=run.id, kind=run.kind.value, version=run.version, as_of=run.as_of,
                   status=run.status.value, is_current=run.is_current, started_at=run.started_at,
                   finished_at=run.finished_at, started_by_id=run.started_by_id,
                   customers=run.customers, params=params)  # fmt: skip


class RunListRead(BaseModel):
    items: list[RunRead]


class SegmentRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    size: int
    profile: dict[str, Any] = Field(
        description="size, share, income, holdings, channel, rates, needs"
    )

    @classmethod
    def of(cls, s: Segment) -> SegmentRead:
        return cls(code=s.code, name_zh=s.name_zh, name_en=s.name_en, description_zh=s.description_zh,
                   description_en=s.description_en, size=s.size, profile=s.profile or {})  # fmt: skip


class RunDetailRead(RunRead):
    segments: list[SegmentRead]


class BuildRequest(BaseModel):
    kind: Literal["rules", "clusters", "all"] = "all"
    k: Literal["auto"] | int = Field(default="auto", description="'auto' or 2 to 20 clusters")
    as_of: date | None = Field(default=None, description="default: today (Asia/Shanghai)")


class BuildRead(BaseModel):
    runs: list[RunRead]
