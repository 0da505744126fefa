from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.kit.errors import ValidationError
from loanpilot.kit.periods import Period, parse_period


@pytest.mark.parametrize(
    ("label", "start", "end", "zh"),
    [
        ("2026-10", date(2026, 10, 1), date(2026, 11, 1), "2026年10月"),
        ("2026Q4", date(2026, 10, 1), date(2027, 1, 1), "2026年第4季度"),
        ("2026q1", date(2026, 1, 1), date(2026, 4, 1), "2026年第1季度"),
        ("2026H2", date(2026, 7, 1), date(2027, 1, 1), "2026年下半年"),
        ("2026", date(2026, 1, 1), date(2027, 1, 1), "2026年"),
    ],
)
def test_labels_give_their_half_open_days(label: str, start: date, end: date, zh: str) -> None:
    period = parse_period(label)
    assert (period.start, period.end, period.label_zh()) == (start, end, zh)
    assert period.label == label.upper()
    assert period.last_day == date.fromordinal(end.toordinal() - 1)


@pytest.mark.parametrize("bad", ["", "2026Q5", "2026-13", "2026-00", "26Q1", "2026H3", "Q4 2026"])
def test_anything_else_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_period(bad, field="--period")
    assert caught.value.problems[0].field == "--period"
    assert "2026Q4" in caught.value.problems[0].message


def test_steps_and_neighbours() -> None:
    q4 = parse_period("2026Q4")
    assert q4.next().label == "2027Q1"
    assert q4.previous().label == "2026Q3"
    assert q4.same_period_last_year().label == "2025Q4"
    assert [d.month for d in q4.month_starts()] == [10, 11, 12]
    assert q4.overlaps(parse_period("2026-11"))
    assert not q4.overlaps(parse_period("2026Q3"))
    assert Period.containing(date(2026, 11, 29), "quarter") == q4


@given(
    st.dates(min_value=date(1950, 1, 1), max_value=date(2900, 12, 31)),
    st.sampled_from(["month", "quarter", "half", "year"]),
)
def test_a_day_lies_in_its_period_whose_label_parses_back(day: date, kind: str) -> None:
    period = Period.containing(day, kind)  # type: ignore[arg-type]
    assert period.contains(day)
    assert parse_period(period.label) == period
    assert period.next().start == period.end
