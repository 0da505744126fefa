"""Segments (客群细分, issue 6): the band edges of the plan's rule segments as data, and versioned
segmentation runs (rule segments and data-driven clusters) with a profile per segment and each
customer's segment in that run.

A run is never edited after it completes: a campaign stores the run it targeted
(``campaigns.segment_run_id``) and keeps meaning the same customers after the next refresh.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin
from loanpilot.db.types import FK, Json, UTCDateTime, enum_column


class BandDimension(StrEnum):
    AGE = "age"  # years
    INCOME = "income"  # monthly income, yuan


class SegmentBand(IdMixin, Base):
    """One band of a rule dimension: ``lower <= value < upper`` (an open end is NULL)."""

    __tablename__ = "segment_bands"
    __table_args__ = (UniqueConstraint("dimension", "code"),)

    dimension: Mapped[BandDimension] = mapped_column(enum_column(BandDimension, 16))
    code: Mapped[str] = mapped_column(String(32))
    lower: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    upper: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    label_zh: Mapped[str] = mapped_column(String(50))
    label_en: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(Integer, default=0)


class SegmentKind(StrEnum):
    RULES = "rules"  # age × occupation × income bands, as the plan defines them
    CLUSTERS = "clusters"  # data-driven clusters on behaviour and bureau features


class RunStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SegmentRun(IdMixin, Base):
    """One versioned build of one kind of segmentation."""

    __tablename__ = "segment_runs"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    kind: Mapped[SegmentKind] = mapped_column(enum_column(SegmentKind, 16))
    version: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus, 16))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    params: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # edges, features, k, scores
    customers: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class Segment(IdMixin, Base):
    """One segment of a run, with its generated name, description and profile."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("run_id", "code"),)

    run_id: Mapped[int] = mapped_column(FK, ForeignKey("segment_runs.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    description_zh: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    profile: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class CustomerSegment(IdMixin, Base):
    """The segment a customer fell in, in one run."""

    __tablename__ = "customer_segments"
    __table_args__ = (UniqueConstraint("run_id", "customer_id"),)

    run_id: Mapped[int] = mapped_column(FK, ForeignKey("segment_runs.id"))
    customer_id: Mapped[int] = mapped_column(FK, ForeignKey("customers.id"), index=True)
    segment_code: Mapped[str] = mapped_column(String(64))
