"""Request and response shapes of the appraisal API (plans, ratings, runs, explained scores).

Weights travel in per cent (``weight_pct``: 30 means 30 %); the database keeps fractions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

Num = Decimal


class IndicatorWrite(BaseModel):
    code: str = Field(max_length=32, description="e.g. disbursed_amount, teamwork")
    name: str = Field(max_length=100)
    kind: str = Field(max_length=16, description="quantitative or qualitative")
    weight_pct: Num | None = Field(default=None, description="Weight in per cent; all sum to 100")
    target: Num | None = Field(default=None, description="Target (quantitative indicators)")
    higher_is_better: bool = True
    curve: str = Field(default="linear", max_length=16,
                       description="linear, linear_inverse (lower is better) or rating")  # fmt: skip
    floor: Num | None = Field(default=None, description="Lowest score (default 0)")
    cap: Num | None = Field(default=None, description="Highest score (default 120; rating 100)")
    scale_min: Num | None = Field(default=None, description="Rating scale's low end (default 0)")
    scale_max: Num | None = Field(default=None, description="Rating scale's top (default 100)")


class PlanCreate(BaseModel):
    name: str = Field(max_length=100)
    role: str = Field(max_length=32)
    period: str = Field(max_length=16, description="2026Q4, 2026-10, 2026H2 or 2026")
    indicators: list[IndicatorWrite] = Field(max_length=40)


class PlanUpdate(BaseModel):
    name: str = Field(max_length=100)
    indicators: list[IndicatorWrite] = Field(max_length=40)


class IndicatorRead(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    weight_pct: Num
    target: Num | None
    higher_is_better: bool
    curve: dict[str, Any]


class PlanRead(BaseModel):
    id: int
    name: str
    role: str
    period: str
    version: int
    status: str
    previous_id: int | None
    runs: int
    weights_total_pct: Num
    indicators: list[IndicatorRead]


class PlanSummary(BaseModel):
    id: int
    name: str
    role: str
    period: str
    version: int
    status: str
    indicators: int
    runs: int


class RatingWrite(BaseModel):
    staff_id: int = Field(ge=1, le=2**53)
    indicator_code: str = Field(max_length=32)
    rating: Num
    comment: str | None = Field(default=None, max_length=500)


class RatingsWrite(BaseModel):
    ratings: list[RatingWrite] = Field(max_length=2000)


class RatingRead(BaseModel):
    staff_id: int
    indicator_code: str
    rating: Num
    rated_by_id: int
    rated_by: str | None
    rated_at: datetime
    comment: str | None


class RunCreate(BaseModel):
    group_rule: Literal["branch", "bank"] = Field(
        default="branch",
        description="branch: same role under the same 分行; bank: the whole bank is one group",
    )


class RunRead(BaseModel):
    id: int
    plan_id: int
    plan_version: int
    role: str
    period: str
    run_at: datetime
    run_by_id: int | None
    group_rule: str
    rules: dict[str, Any]


class ScoreRead(BaseModel):
    staff_id: int
    employee_no: str
    name: str
    branch_id: int
    branch_name: str
    group: str
    total: Num
    rank: int | None
    group_size: int | None


class RunResultRead(RunRead):
    scores: list[ScoreRead]
    distribution: dict[str, int] = Field(description="Totals by band of 10 points, in scope")


class LineRead(BaseModel):
    code: str
    name: str
    kind: str
    actual: Num | None
    target: Num | None
    curve: dict[str, Any]
    score: Num
    weight_pct: Num
    weighted: Num
    missing: bool
    source: str | None
    rated_by_id: int | None
    rated_by: str | None
    comment: str | None
    explanation: str


class ExplanationRead(BaseModel):
    run: RunRead
    score: ScoreRead
    lines: list[LineRead]


class MyScoresRead(BaseModel):
    staff_id: int
    items: list[ExplanationRead]
