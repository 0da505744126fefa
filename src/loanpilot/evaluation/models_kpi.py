"""The KPI suite's stored values (指标快照) and targets (指标目标)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin
from loanpilot.db.types import FK, UTCDateTime


class KpiSnapshot(IdMixin, Base):
    """One KPI value for a period and a slice; the overall value has dimension and value ``all``.

    ``dimension`` is one of ``kpi_rules.DIMENSIONS``; ratios keep their numerator and denominator
    so slices can be re-aggregated exactly. ``value`` is None for a ratio without denominator or a
    stock without a snapshot (since migration 0007, which also added ``label``).
    """

    __tablename__ = "kpi_snapshots"
    __table_args__ = (UniqueConstraint("kpi_code", "period", "dimension", "dimension_value"),)

    kpi_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16), index=True)  # e.g. 2026-10, 2026Q4
    dimension: Mapped[str] = mapped_column(String(32))
    dimension_value: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal | None] = mapped_column(Numeric(24, 8))
    numerator: Mapped[Decimal | None] = mapped_column(Numeric(24, 8))
    denominator: Mapped[Decimal | None] = mapped_column(Numeric(24, 8))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    label: Mapped[str | None] = mapped_column(String(100))


class KpiTarget(IdMixin, Base):
    """The target of a KPI for a period and a slice (``dimension`` ``all`` / key ``all`` for the
    bank), in value units: a fraction for rates, fen for money, a count, a score."""

    __tablename__ = "kpi_targets"
    __table_args__ = (UniqueConstraint("code", "period", "dimension", "key"),)

    code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16), index=True)
    dimension: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    target: Mapped[Decimal] = mapped_column(Numeric(24, 8))
    set_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
