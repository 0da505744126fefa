"""Generated marketing work-plan reports (营销工作方案)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from loanpilot.db.base import Base, IdMixin
from loanpilot.db.types import FK, UTCDateTime


class WorkPlanReport(IdMixin, Base):
    """A generated marketing work-plan report (营销工作方案) for a period, as rendered HTML."""

    __tablename__ = "work_plan_reports"

    period: Mapped[str] = mapped_column(String(16), index=True)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(8))  # zh-CN, en
    content_html: Mapped[str] = mapped_column(Text)
    generated_by_id: Mapped[int | None] = mapped_column(FK, ForeignKey("staff.id"))
