"""The dashboard's filters and who is looking: validation collects every problem, then raises once.

Pure: no session, no clock (``today`` is passed in).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date

from loanpilot.access.rules import Principal, ScopeKind
from loanpilot.analytics.finance import add_months
from loanpilot.customers.models import Channel
from loanpilot.evaluation.service import SERIES_MONTHS
from loanpilot.kit.clock import month_start
from loanpilot.kit.errors import FieldProblem, ValidationError

#: Months in the default period, the current month included (those of the headline series).
DEFAULT_MONTHS = SERIES_MONTHS
#: The longest period the dashboard shows, in months.
MAX_MONTHS = 36
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_ID = re.compile(r"\d{1,12}")
_FIRST_MONTH = date(2000, 1, 1)


@dataclass(frozen=True)
class Viewer:
    """The part of a ``Principal`` that decides what the dashboard counts."""

    scope: ScopeKind
    staff_id: int
    branch_id: int
    branch_ids: frozenset[int]

    @classmethod
    def of(cls, principal: Principal) -> Viewer:
        return cls(principal.scope, principal.staff_id, principal.branch_id, principal.branch_ids)

    @classmethod
    def whole_bank(cls) -> Viewer:
        return cls(ScopeKind.ALL, 0, 0, frozenset())

    def cache_key(self) -> Hashable:
        if self.scope is ScopeKind.ALL:
            return ScopeKind.ALL
        if self.scope is ScopeKind.OWN:
            return (ScopeKind.OWN, self.staff_id)
        return (ScopeKind.BRANCH, self.branch_id, self.branch_ids)


@dataclass(frozen=True)
class RawFilters:
    """The filters as sent (query parameters, all optional strings; empty means not set)."""

    from_month: str | None = None
    to_month: str | None = None
    branch_id: str | None = None
    product_id: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class DashboardFilters:
    """Validated filters: the months ``first_month`` … ``last_month`` (firsts of the month)."""

    first_month: date
    last_month: date
    branch_id: int | None = None
    product_id: int | None = None
    channel: Channel | None = None

    @property
    def month_starts(self) -> list[date]:
        """Each month's first day, and the first day after the period."""
        starts = [self.first_month]
        while starts[-1] <= self.last_month:
            starts.append(add_months(starts[-1], 1))
        return starts

    @property
    def from_label(self) -> str:
        return month_label(self.first_month)

    @property
    def to_label(self) -> str:
        return month_label(self.last_month)


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _parse_month(
    name: str, value: str | None, latest: date, problems: list[FieldProblem]
) -> date | None:
    if value is None:
        return None
    match = _MONTH.fullmatch(value)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        problems.append(FieldProblem(name, "must be a month written YYYY-MM, e.g. 2026-03"))
        return None
    day = date(int(match.group(1)), int(match.group(2)), 1)
    if day < _FIRST_MONTH:
        problems.append(FieldProblem(name, f"must be {month_label(_FIRST_MONTH)} or later"))
        return None
    if day > latest:
        problems.append(
            FieldProblem(name, f"must not be after the current month ({month_label(latest)})")
        )
        return None
    return day


def _parse_id(
    name: str, value: str | None, known: Iterable[int], what: str, problems: list[FieldProblem]
) -> int | None:
    if value is None:
        return None
    if _ID.fullmatch(value) is None:
        problems.append(FieldProblem(name, "must be a whole number"))
        return None
    number = int(value)
    if number not in set(known):
        problems.append(FieldProblem(name, f"no {what} with this id"))
        return None
    return number


def parse_filters(
    raw: RawFilters,
    today: date,
    *,
    branch_ids: Iterable[int],
    product_ids: Iterable[int],
    default_months: int = DEFAULT_MONTHS,
) -> DashboardFilters:
    """Validate ``raw``; every problem is collected and raised at once as a ``ValidationError``.

    Without ``from``/``to`` the period is the ``default_months`` business months ending with the
    month of ``today``; ``to`` alone ends it elsewhere, ``from`` alone starts it and runs to now.
    """
    problems: list[FieldProblem] = []
    current = month_start(today)
    first = _parse_month("from", _blank(raw.from_month), current, problems)
    last = _parse_month("to", _blank(raw.to_month), current, problems)
    branch_id = _parse_id("branch_id", _blank(raw.branch_id), branch_ids, "branch", problems)
    product_id = _parse_id("product_id", _blank(raw.product_id), product_ids, "product", problems)
    channel_text = _blank(raw.channel)
    channel: Channel | None = None
    if channel_text is not None:
        if channel_text in Channel._value2member_map_:
            channel = Channel(channel_text)
        else:
            allowed = ", ".join(c.value for c in Channel)
            problems.append(FieldProblem("channel", f"must be one of: {allowed}"))
    from_bad = _blank(raw.from_month) is not None and first is None
    to_bad = _blank(raw.to_month) is not None and last is None
    if not from_bad and not to_bad:
        last = last or current
        first = first or add_months(last, -(default_months - 1))
        if first > last:
            problems.append(FieldProblem("from", "must not be after the month in 'to'"))
        elif len(_months_between(first, last)) > MAX_MONTHS:
            problems.append(FieldProblem("to", f"the period may span at most {MAX_MONTHS} months"))
    if problems:
        raise ValidationError(
            "dashboard.filters_invalid", "The dashboard filters are not valid", problems
        )
    assert first is not None
    assert last is not None
    return DashboardFilters(first, last, branch_id, product_id, channel)


def _months_between(first: date, last: date) -> list[date]:
    months = [first]
    while months[-1] < last and len(months) <= MAX_MONTHS:
        months.append(add_months(months[-1], 1))
    return months
