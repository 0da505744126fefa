"""Pure rules of the customer directory: age and income bands, the list's filters and how they are
validated. No session, clock or I/O here (house rule 2): ``today`` is passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final, TypeVar

from loanpilot.kit.errors import FieldProblem

E = TypeVar("E", bound=StrEnum)


class AgeBand(StrEnum):
    """Segment by age on the business date (目标客户按年龄分层)."""

    YOUNG = "young"  # under 35
    MIDDLE = "middle"  # 35 to 54
    SENIOR = "senior"  # 55 and over


class IncomeBand(StrEnum):
    """Segment by declared monthly income."""

    LOW = "low"  # under ¥5,000
    MIDDLE = "middle"  # ¥5,000 to ¥20,000
    HIGH = "high"  # over ¥20,000


class RevealField(StrEnum):
    """The personal-data fields a permitted user may reveal (each reveal is audited)."""

    ID_NUMBER = "id_number"
    PHONE = "phone"


#: Ages at which the middle and the senior bands begin.
AGE_BAND_EDGES: Final[tuple[int, int]] = (35, 55)
#: Monthly income (fen) at which the middle band begins, and the most the middle band holds.
INCOME_BAND_EDGES_FEN: Final[tuple[int, int]] = (500_000, 2_000_000)

#: Sort keys of the customer list (``-key`` sorts descending).
#: Each is an indexed column, so a sorted page is an index walk even with 100,000 customers.
SORT_KEYS: Final[tuple[str, ...]] = ("customer_no", "name", "birth_date", "income")
DEFAULT_SORT: Final = "customer_no"
#: Longest search text accepted.
MAX_QUERY_LENGTH: Final = 50


def birth_cutoff(today: date, years: int) -> date:
    """The latest birth date of someone at least ``years`` old on ``today`` (29 Feb → 28 Feb)."""
    year = today.year - years
    try:
        return today.replace(year=year)
    except ValueError:  # 29 February in a year that has none
        return date(year, 2, 28)


def age_on(birth_date: date, today: date) -> int:
    """Completed years of age on ``today``."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


def age_band(age: int) -> AgeBand:
    middle, senior = AGE_BAND_EDGES
    if age < middle:
        return AgeBand.YOUNG
    if age < senior:
        return AgeBand.MIDDLE
    return AgeBand.SENIOR


def income_band(monthly_income_fen: int) -> IncomeBand:
    low_top, middle_top = INCOME_BAND_EDGES_FEN
    if monthly_income_fen < low_top:
        return IncomeBand.LOW
    if monthly_income_fen <= middle_top:
        return IncomeBand.MIDDLE
    return IncomeBand.HIGH


@dataclass(frozen=True)
class DateRange:
    """``after < value <= on_or_before``; a None bound is open."""

    after: date | None
    on_or_before: date | None


@dataclass(frozen=True)
class IntRange:
    """``at_least <= value <= at_most``; a None bound is open."""

    at_least: int | None
    at_most: int | None


def birth_dates_of(band: AgeBand, today: date) -> DateRange:
    """The birth dates of the people in ``band`` on ``today`` (so the filter is a range in SQL)."""
    middle, senior = AGE_BAND_EDGES
    young_edge = birth_cutoff(today, middle)  # born on or before: at least 35
    senior_edge = birth_cutoff(today, senior)  # born on or before: at least 55
    if band is AgeBand.YOUNG:
        return DateRange(after=young_edge, on_or_before=None)
    if band is AgeBand.MIDDLE:
        return DateRange(after=senior_edge, on_or_before=young_edge)
    return DateRange(after=None, on_or_before=senior_edge)


def incomes_of(band: IncomeBand) -> IntRange:
    low_top, middle_top = INCOME_BAND_EDGES_FEN
    if band is IncomeBand.LOW:
        return IntRange(at_least=None, at_most=low_top - 1)
    if band is IncomeBand.MIDDLE:
        return IntRange(at_least=low_top, at_most=middle_top)
    return IntRange(at_least=middle_top + 1, at_most=None)


@dataclass(frozen=True)
class CustomerFilters:
    """What the customer list is narrowed to; None means no filter."""

    q: str | None = None
    segment: AgeBand | None = None
    occupation: str | None = None  # a customers.models.Occupation value
    income: IncomeBand | None = None
    branch_id: int | None = None

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters (for links that keep them)."""
        params = {
            "q": self.q,
            "segment": self.segment.value if self.segment else None,
            "occupation": self.occupation,
            "income": self.income.value if self.income else None,
            "branch_id": str(self.branch_id) if self.branch_id is not None else None,
        }
        return {key: value for key, value in params.items() if value}


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _choice(kind: type[E], name: str, raw: str | None, problems: list[FieldProblem]) -> E | None:
    value = _blank(raw)
    if value is None:
        return None
    if value in kind._value2member_map_:
        return kind(value)
    allowed = ", ".join(member.value for member in kind)
    problems.append(FieldProblem(name, f"must be one of {allowed}"))
    return None


def _one_of(
    allowed: tuple[str, ...], name: str, raw: str | None, problems: list[FieldProblem]
) -> str | None:
    value = _blank(raw)
    if value is None or value in allowed:
        return value
    problems.append(FieldProblem(name, f"must be one of {', '.join(allowed)}"))
    return None


def parse_filters(
    *,
    q: str | None,
    segment: str | None,
    occupation: str | None,
    income: str | None,
    branch_id: str | None,
    occupations: tuple[str, ...],
) -> tuple[CustomerFilters, list[FieldProblem]]:
    """The filters given as text, and every problem with them (messages never repeat a value:
    the search text may be an ID or phone number)."""
    problems: list[FieldProblem] = []
    text = _blank(q)
    if text is not None and len(text) > MAX_QUERY_LENGTH:
        problems.append(FieldProblem("q", f"must be at most {MAX_QUERY_LENGTH} characters"))
        text = None
    branch: int | None = None
    raw_branch = _blank(branch_id)
    if raw_branch is not None:
        if raw_branch.isascii() and raw_branch.isdigit() and len(raw_branch) <= 18:
            branch = int(raw_branch)
        else:
            problems.append(FieldProblem("branch_id", "must be a branch id (a whole number)"))
    filters = CustomerFilters(
        q=text,
        segment=_choice(AgeBand, "segment", segment, problems),
        occupation=_one_of(occupations, "occupation", occupation, problems),
        income=_choice(IncomeBand, "income", income, problems),
        branch_id=branch,
    )
    return filters, problems


def parse_int(name: str, raw: str | None, problems: list[FieldProblem]) -> int | None:
    """A whole number given as text (paging parameters), or None with a problem added."""
    value = _blank(raw)
    if value is None:
        return None
    sign = value[1:] if value.startswith("-") else value
    if sign.isascii() and sign.isdigit() and len(sign) <= 9:
        return int(value)
    problems.append(FieldProblem(name, "must be a whole number"))
    return None


def prefix_upper_bound(prefix: str) -> str:
    """The least string greater than every string starting with ``prefix`` (for index ranges)."""
    if not prefix or ord(prefix[-1]) >= 0x10FFFF:
        return prefix + "\U0010ffff"
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
