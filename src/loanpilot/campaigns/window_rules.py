"""Pure rules of when to contact an audience (营销时段): the contact windows that suit office
workers, students, retirees and the self-employed within a campaign's dates, and which audiences a
segment mix holds. No session or clock here: the dates are passed in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Final

from loanpilot.campaigns.rules import WindowDraft

# --- contact windows that suit an audience ----------------------------------------------------------

#: Occupation → the audience whose windows suit it (freelancers keep the self-employed's hours).
AUDIENCE_OF: Final[dict[str, str]] = {
    "company_employee": "office_workers",
    "civil_servant": "office_workers",
    "student": "students",
    "retired": "retirees",
    "self_employed": "self_employed",
    "freelancer": "self_employed",
}
AUDIENCES: Final = ("office_workers", "students", "retirees", "self_employed")
#: How many days of September and March count as term start (the first three weeks).
TERM_START_DAYS: Final = 21
LABELS: Final[dict[str, str]] = {
    "office_workers": "周末（上班族）",
    "term_start": "开学季（学生）",
    "students": "工作日晚间（学生）",
    "retirees": "工作日白天（退休人员）",
    "self_employed": "晚间（个体经营者）",
}


def _term_starts(first: date, last: date) -> list[tuple[date, date]]:
    spans = []
    for year in range(first.year, last.year + 1):
        for month in (3, 9):
            start = date(year, month, 1)
            end = start + timedelta(days=TERM_START_DAYS - 1)
            lo, hi = max(start, first), min(end, last)
            if lo <= hi:
                spans.append((lo, hi))
    return spans


def suggest_windows(audiences: Iterable[str], starts_on: date, ends_on: date) -> list[WindowDraft]:
    """Contact windows suited to ``audiences`` (keys of :data:`AUDIENCES`), within the campaign's
    dates: weekends for office workers, term start (the first three weeks of September and March)
    and weekday evenings for students, weekday daytime for retirees, evenings for the
    self-employed. Unknown audiences suggest nothing; reversed dates suggest nothing."""
    if ends_on < starts_on:
        return []
    chosen = [a for a in AUDIENCES if a in set(audiences)]
    out: list[WindowDraft] = []

    def window(key: str, first: date, last: date, days: str, hours: tuple[int, int]) -> None:
        out.append(WindowDraft(LABELS[key], first, last, days, hours[0], hours[1], suggestion=key))

    for audience in chosen:
        if audience == "office_workers":
            window("office_workers", starts_on, ends_on, "67", (10, 18))
        elif audience == "students":
            for lo, hi in _term_starts(starts_on, ends_on):
                window("term_start", lo, hi, "1234567", (10, 20))
            window("students", starts_on, ends_on, "12345", (18, 22))
        elif audience == "retirees":
            window("retirees", starts_on, ends_on, "12345", (9, 16))
        else:
            window("self_employed", starts_on, ends_on, "1234567", (19, 22))
    return out


def audiences_of(occupation_counts: dict[str, int], min_share: float = 0.15) -> list[str]:
    """The audiences making up at least ``min_share`` of a segment mix (occupation → customers)."""
    total = sum(occupation_counts.values())
    if total <= 0:
        return []
    by_audience: dict[str, int] = {}
    for occupation, n in occupation_counts.items():
        key = AUDIENCE_OF.get(occupation)
        if key is not None:
            by_audience[key] = by_audience.get(key, 0) + n
    return [a for a in AUDIENCES if by_audience.get(a, 0) / total >= min_share]
