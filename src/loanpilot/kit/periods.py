"""Reporting periods: a month ``2026-10``, a quarter ``2026Q4``, a half ``2026H2`` or a year ``2026``.

Every area that reports by period (the KPI suite, appraisal, market sizes, the work plan) parses
its period here, so one label means the same days everywhere. ``start`` is the first day and
``end`` the day after the last (half-open), in business dates (Asia/Shanghai).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from loanpilot.kit.errors import FieldProblem, ValidationError

PeriodKind = Literal["month", "quarter", "half", "year"]

_PATTERNS: tuple[tuple[PeriodKind, re.Pattern[str]], ...] = (
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})Q([1-4])$")),
    ("half", re.compile(r"^(\d{4})H([12])$")),
    ("year", re.compile(r"^(\d{4})$")),
)
_MONTHS: dict[PeriodKind, int] = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period; build it with :func:`parse_period` or :meth:`containing`."""

    start: date
    kind: PeriodKind

    @property
    def months(self) -> int:
        return _MONTHS[self.kind]

    @property
    def end(self) -> date:
        """The day after the last day (half-open)."""
        return _add_months(self.start, self.months)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def label(self) -> str:
        year, month = self.start.year, self.start.month
        if self.kind == "month":
            return f"{year:04d}-{month:02d}"
        if self.kind == "quarter":
            return f"{year:04d}Q{(month - 1) // 3 + 1}"
        if self.kind == "half":
            return f"{year:04d}H{(month - 1) // 6 + 1}"
        return f"{year:04d}"

    def label_zh(self) -> str:
        year, month = self.start.year, self.start.month
        if self.kind == "month":
            return f"{year}年{month}月"
        if self.kind == "quarter":
            return f"{year}年第{(month - 1) // 3 + 1}季度"
        if self.kind == "half":
            return f"{year}年{'上' if month == 1 else '下'}半年"
        return f"{year}年"

    def __str__(self) -> str:
        return self.label

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def shifted(self, steps: int) -> Period:
        """The period ``steps`` periods of the same kind later (earlier when negative)."""
        return Period(_add_months(self.start, steps * self.months), self.kind)

    def previous(self) -> Period:
        return self.shifted(-1)

    def next(self) -> Period:
        return self.shifted(1)

    def same_period_last_year(self) -> Period:
        return Period(date(self.start.year - 1, self.start.month, 1), self.kind)

    def month_starts(self) -> list[date]:
        return [_add_months(self.start, i) for i in range(self.months)]

    def overlaps(self, other: Period) -> bool:
        return self.start < other.end and other.start < self.end

    @classmethod
    def containing(cls, day: date, kind: PeriodKind) -> Period:
        """The period of ``kind`` that holds ``day``."""
        size = _MONTHS[kind]
        month = (day.month - 1) // size * size + 1
        return cls(date(day.year, month, 1), kind)


def parse_period(text: str, *, field: str = "period") -> Period:
    """``2026-10`` / ``2026Q4`` / ``2026H2`` / ``2026`` → :class:`Period`; anything else is a
    ValidationError naming ``field`` and the accepted forms."""
    value = (text or "").strip().upper()
    for kind, pattern in _PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        year = int(match.group(1))
        if not 1900 <= year <= 2999:
            break
        if kind == "year":
            return Period(date(year, 1, 1), kind)
        part = int(match.group(2))
        if kind == "month":
            if not 1 <= part <= 12:
                break
            return Period(date(year, part, 1), kind)
        return Period(date(year, (part - 1) * _MONTHS[kind] + 1, 1), kind)
    raise ValidationError(
        "period.invalid",
        f"{text!r} is not a period",
        [
            FieldProblem(
                field,
                f"{text!r} is not a period: write a month 2026-10, a quarter 2026Q4, "
                "a half year 2026H2 or a year 2026",
            )
        ],
    )
