"""Pure rules of the customer directory: age and income bands at their edges, the filters'
validation (every problem at once, never echoing the value), and index-friendly prefix ranges."""

from __future__ import annotations

from datetime import date

import pytest

from loanpilot.customers.rules import (
    AgeBand,
    IncomeBand,
    age_band,
    age_on,
    birth_cutoff,
    birth_dates_of,
    income_band,
    incomes_of,
    parse_filters,
    parse_int,
    prefix_upper_bound,
)

OCCUPATIONS = ("company_employee", "retired")
TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("birth", "age"),
    [
        (date(1991, 11, 29), 35),  # birthday today
        (date(1991, 11, 30), 34),  # tomorrow
        (date(1971, 11, 29), 55),
        (date(1971, 11, 30), 54),
        (date(2000, 1, 1), 26),
    ],
)
def test_age_and_band_agree_with_the_sql_ranges(birth: date, age: int) -> None:
    assert age_on(birth, TODAY) == age
    band = age_band(age)
    expected = AgeBand.YOUNG if age < 35 else AgeBand.MIDDLE if age < 55 else AgeBand.SENIOR
    assert band is expected
    # The birth-date range of the band (what SQL filters on) holds exactly this birth date.
    for other in AgeBand:
        births = birth_dates_of(other, TODAY)
        inside = (births.after is None or birth > births.after) and (
            births.on_or_before is None or birth <= births.on_or_before
        )
        assert inside is (other is band)


def test_leap_day_birthdays() -> None:
    assert birth_cutoff(date(2027, 2, 28), 35) == date(1992, 2, 28)
    born = date(1992, 2, 29)
    assert age_on(born, date(2027, 2, 28)) == 34
    assert age_on(born, date(2027, 3, 1)) == 35
    assert birth_cutoff(date(2028, 2, 29), 1) == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("fen", "band"),
    [
        (0, IncomeBand.LOW),
        (499_999, IncomeBand.LOW),
        (500_000, IncomeBand.MIDDLE),
        (2_000_000, IncomeBand.MIDDLE),
        (2_000_001, IncomeBand.HIGH),
    ],
)
def test_income_bands_at_their_edges(fen: int, band: IncomeBand) -> None:
    assert income_band(fen) is band
    for other in IncomeBand:
        incomes = incomes_of(other)
        inside = (incomes.at_least is None or fen >= incomes.at_least) and (
            incomes.at_most is None or fen <= incomes.at_most
        )
        assert inside is (other is band)


def test_filters_parse_and_blank_means_no_filter() -> None:
    filters, problems = parse_filters(
        q="  C000  ",
        segment="young",
        occupation="retired",
        income="",
        branch_id="12",
        occupations=OCCUPATIONS,
    )
    assert problems == []
    assert filters.q == "C000"
    assert filters.segment is AgeBand.YOUNG
    assert filters.occupation == "retired"
    assert filters.income is None
    assert filters.branch_id == 12
    assert filters.as_params() == {
        "q": "C000",
        "segment": "young",
        "occupation": "retired",
        "branch_id": "12",
    }


def test_every_bad_filter_is_reported_and_no_value_is_echoed() -> None:
    secret = "11010519491231002X" * 3
    _filters, problems = parse_filters(
        q=secret,
        segment="teen",
        occupation="astronaut",
        income="rich",
        branch_id="-1",
        occupations=OCCUPATIONS,
    )
    assert [p.field for p in problems] == ["q", "branch_id", "segment", "occupation", "income"]
    assert all(secret not in p.message for p in problems)


def test_parse_int() -> None:
    problems: list = []
    assert parse_int("page", " 3 ", problems) == 3
    assert parse_int("page", "-2", problems) == -2
    assert parse_int("page", None, problems) is None
    assert problems == []
    assert parse_int("page", "3.5", problems) is None
    assert parse_int("size", "９", problems) is None  # full-width digits are not accepted
    assert [p.field for p in problems] == ["page", "size"]


@pytest.mark.parametrize("prefix", ["C0000", "C00009", "张", "a"])
def test_prefix_upper_bound_bounds_exactly_the_prefixed_strings(prefix: str) -> None:
    upper = prefix_upper_bound(prefix)
    assert prefix < upper
    assert prefix + "zzzz" < upper
    assert prefix + "\uffff" < upper
    assert not (prefix[:-1] + chr(ord(prefix[-1]) + 1) < upper)
