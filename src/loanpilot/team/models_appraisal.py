"""Performance appraisal (绩效考核): plans per role and period (versioned), indicators, managers'
ratings of the qualitative indicators, runs, scores and their explaining lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import expression

from loanpilot.db.base import Base, IdMixin, TimestampMixin
from loanpilot.db.types import FK, Json, UTCDateTime, enum_column
from loanpilot.team.models import Role


class IndicatorKind(StrEnum):
    QUANTITATIVE = "quantitative"  # 定量
    QUALITATIVE = "qualitative"  # 定性


class AppraisalPlan(IdMixin, TimestampMixin, Base):
    """Appraisal plan for a role and period, versioned; indicator weights sum to 100 %."""

    __tablename__ = "appraisal_plans"
    __table_args__ = (UniqueConstraint("role", "period", "version"),)

    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    period: Mapped[str] = mapped_column(String(16))  # e.g. 2026Q3, 2026H1, 2026
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active, closed, superseded
    #: The version this one replaced (editing a plan that has runs makes a new version).
    previous_id: Mapped[int | None] = mapped_column(FK, ForeignKey("appraisal_plans.id"))
    created_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))


class AppraisalIndicator(IdMixin, Base):
    """One indicator of a plan with target, weight and scoring curve."""

    __tablename__ = "appraisal_indicators"
    __table_args__ = (
        UniqueConstraint("plan_id", "code"),
        CheckConstraint("weight >= 0 AND weight <= 1", name="weight_fraction"),
    )

    plan_id: Mapped[int] = mapped_column(FK, ForeignKey("appraisal_plans.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[IndicatorKind] = mapped_column(enum_column(IndicatorKind))
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    target: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    curve: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class AppraisalRun(IdMixin, Base):
    """One scoring run of a plan."""

    __tablename__ = "appraisal_runs"

    plan_id: Mapped[int] = mapped_column(FK, ForeignKey("appraisal_plans.id"), index=True)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="done")
    period: Mapped[str | None] = mapped_column(String(16), index=True)  # None: the plan's period
    run_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    #: How comparable groups are formed: ``branch`` (same role under the same 分行) or ``bank``;
    #: None (runs made before the rule was recorded) ranks the whole bank.
    group_rule: Mapped[str | None] = mapped_column(String(16))
    #: The rules the run applied (missing-data score, rounding), so it explains itself later.
    rules: Mapped[dict[str, Any] | None] = mapped_column(Json)


class AppraisalScore(IdMixin, Base):
    """A staff member's total in one run, with rank inside their comparable group."""

    __tablename__ = "appraisal_scores"
    __table_args__ = (UniqueConstraint("run_id", "staff_id"),)

    run_id: Mapped[int] = mapped_column(FK, ForeignKey("appraisal_runs.id"), index=True)
    staff_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    total: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    rank_in_group: Mapped[int | None] = mapped_column(Integer)
    group_size: Mapped[int | None] = mapped_column(Integer)
    group_key: Mapped[str | None] = mapped_column(String(32))  # e.g. the 分行's code, or "bank"
    branch_id: Mapped[int | None] = mapped_column(FK, ForeignKey("branches.id"))  # at the run


class AppraisalScoreLine(IdMixin, Base):
    """One indicator's actual value, score and weighted contribution: explains the total."""

    __tablename__ = "appraisal_score_lines"

    score_id: Mapped[int] = mapped_column(FK, ForeignKey("appraisal_scores.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(FK, ForeignKey("appraisal_indicators.id"))
    actual: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    score: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    weighted: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    rated_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    #: Where the actual came from (``kpi:disbursed_fen period=2026Q4 by=manager``, ``rating``).
    source: Mapped[str | None] = mapped_column(String(100))
    missing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=expression.false())


class AppraisalRating(IdMixin, Base):
    """A manager's rating of one qualitative indicator of one staff member for one period.

    Keyed by period, staff and indicator code (not indicator id), so a new version of the plan
    keeps the ratings already given; ``plan_id`` is the version the rating was given under.
    """

    __tablename__ = "appraisal_ratings"
    __table_args__ = (UniqueConstraint("period", "staff_id", "indicator_code"),)

    plan_id: Mapped[int] = mapped_column(FK, ForeignKey("appraisal_plans.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"), index=True)
    indicator_code: Mapped[str] = mapped_column(String(32))
    rating: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    rated_by_id: Mapped[int] = mapped_column(FK, ForeignKey("staff.id"))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)
