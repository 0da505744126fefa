"""The KPI suite's stored values (指标快照) and targets."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin
from loanpilot.db.types import UTCDateTime


class KpiSnapshot(IdMixin, Base):
    """One KPI value for a period and a slice; the overall value has dimension and value ``all``.

    ``dimension`` is one of all / branch / product / channel / segment / manager; ratios keep their
    numerator and denominator so slices can be re-aggregated exactly.
    """

    __tablename__ = "kpi_snapshots"
    __table_args__ = (UniqueConstraint("kpi_code", "period", "dimension", "dimension_value"),)

    kpi_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16), index=True)  # e.g. 2026-10, 2026Q4
    dimension: Mapped[str] = mapped_column(String(32))
    dimension_value: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(Numeric(24, 8))
    numerator: Mapped[Decimal | None] = mapped_column(Numeric(24, 8))
    denominator: Mapped[Decimal | None] = mapped_column(Numeric(24, 8))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
