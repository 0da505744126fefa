"""The generated work plan as data: its chapters (each one or more ``plan_types.Section`` parts, or
the reason it is not available) and the executive summary, before it is rendered to HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from loanpilot.evaluation.plan_types import Section
from loanpilot.kit.periods import Period


@dataclass(frozen=True)
class Unavailable:
    """A part of a chapter that could not be built, and why (shown in the report)."""

    part: str  # the module that builds it
    reason: str


@dataclass(frozen=True)
class Chapter:
    number: int
    key: str
    title_zh: str
    title_en: str
    parts: tuple[Section, ...] = ()
    unavailable: tuple[Unavailable, ...] = ()
    seconds: float = 0.0

    @property
    def available(self) -> bool:
        return bool(self.parts)


@dataclass(frozen=True)
class PlanDocument:
    period: Period
    as_of: date
    generated_at: datetime
    bank_name_zh: str
    bank_name_en: str
    summary: Section
    chapters: tuple[Chapter, ...] = field(default=())

    def sections(self) -> list[Section]:
        """The summary and every part of every chapter, in reading order."""
        return [self.summary, *(part for chapter in self.chapters for part in chapter.parts)]

    def chapter(self, key: str) -> Chapter | None:
        return next((c for c in self.chapters if c.key == key), None)
