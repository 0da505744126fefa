"""Generated marketing work-plan reports (营销工作方案)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin
from loanpilot.db.types import FK, Json, UTCDateTime


class WorkPlanReport(IdMixin, Base):
    """A generated marketing work-plan report (营销工作方案) for a period, as rendered HTML.

    Since migration 0011: ``as_of`` (the business date of its point-in-time figures), ``status``
    (``done``), the chapters (key, number, available, reasons a part is missing, seconds), the
    summary's figures (key, label, value as text, unit, source) and every source it lists, so the
    API can answer without parsing the HTML; ``duration_ms`` is how long building it took. The PDF
    is printed from ``content_html`` on demand.
    """

    __tablename__ = "work_plan_reports"

    period: Mapped[str] = mapped_column(String(16), index=True)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(8))  # zh-CN, en
    content_html: Mapped[str] = mapped_column(Text)
    generated_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
    as_of: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="done", server_default="done")
    chapters: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    summary: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    sources: Mapped[list[str] | None] = mapped_column(Json)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
