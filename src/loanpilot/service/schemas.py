"""Pydantic shapes of customer service at the API and form boundary: surveys with their questions,
SLA targets, quality reviews and what the analysis returns. Kinds, triggers and channels are plain
strings here: the rules check them and name every problem at once."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChoiceWrite(BaseModel):
    value: str = Field(max_length=32)
    label_zh: str = Field(max_length=100)
    label_en: str = Field(default="", max_length=100)


class QuestionWrite(BaseModel):
    position: int = Field(ge=-1000, le=1000)
    kind: str = Field(max_length=20)
    text_zh: str = Field(max_length=1000)
    text_en: str = Field(default="", max_length=1000)
    choices: list[ChoiceWrite] = Field(default_factory=list, max_length=30)
    required: bool = True


class SurveyWrite(BaseModel):
    """A survey with its whole questionnaire (an edit replaces the questions)."""

    code: str = Field(max_length=40)
    title: str = Field(max_length=400)
    kind: str = Field(max_length=20)
    trigger: str = Field(max_length=20)
    channel: str = Field(max_length=20)
    questions: list[QuestionWrite] = Field(default_factory=list, max_length=50)


class QuestionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    kind: str
    text_zh: str
    text_en: str
    choices: list[dict[str, Any]]
    required: bool


class SurveyRead(BaseModel):
    id: int
    code: str
    title: str
    kind: str
    trigger: str
    channel: str
    status: str
    sent: int
    responded: int
    questions: list[QuestionRead]


class SurveyListRead(BaseModel):
    items: list[SurveyRead]


class StatusWrite(BaseModel):
    status: str = Field(max_length=16, description="active or closed")


class SendRead(BaseModel):
    as_of: date
    sent: dict[str, int]


class SlaWrite(BaseModel):
    stage: str = Field(max_length=40)
    product_type: str | None = Field(default=None, max_length=20)
    target_hours: Decimal = Field(gt=-(10**6), lt=10**6, max_digits=10, decimal_places=2)
    valid_from: date


class SlaRead(BaseModel):
    id: int
    stage: str
    product_type: str | None
    target_hours: Decimal
    valid_from: date


class BreachRead(BaseModel):
    application_id: int
    application_no: str
    stage: str
    product: str
    product_type: str
    branch: str
    started_at: datetime
    ended_at: datetime
    hours: Decimal
    target_hours: Decimal


class BreachListRead(BaseModel):
    period: str
    measured: dict[str, int]
    breaches: list[BreachRead]
    by_branch: list[dict[str, Any]]


class ReviewItemWrite(BaseModel):
    code: str = Field(default="", max_length=32)
    label: str = Field(max_length=100)
    max_points: int = Field(ge=-1000, le=1000)
    points: int = Field(ge=-1000, le=1000)
    note: str = Field(default="", max_length=200)


class ReviewCreate(BaseModel):
    """A quality review; the score is computed from the items (points ÷ max × 100)."""

    kind: str = Field(max_length=20)
    staff_id: int = Field(ge=1, le=2**53)
    reviewed_on: date
    items: list[ReviewItemWrite] = Field(max_length=40)
    comment: str | None = Field(default=None, max_length=2000)


class ReviewRead(BaseModel):
    id: int
    kind: str
    staff_id: int
    staff_name: str
    branch_id: int
    reviewer_id: int
    reviewed_on: date
    score: Decimal
    items: list[dict[str, Any]]
    comment: str | None


class ReviewListRead(BaseModel):
    items: list[ReviewRead]
    averages: dict[int, Decimal]


class FigureRead(BaseModel):
    """Satisfaction (mean CSAT 1-5) and NPS (a fraction: 0.35 = 35) of one key, from the KPI suite."""

    key: str
    label: str
    satisfaction: Decimal | None
    satisfaction_n: int
    nps: Decimal | None
    nps_n: int


class AnalysisRead(BaseModel):
    period: str
    overall: FigureRead | None
    response_rate: Decimal | None
    invitations: int
    responded: int
    by: dict[str, list[FigureRead]]
    trend: list[FigureRead]
