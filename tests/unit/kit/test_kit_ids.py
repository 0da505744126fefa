"""Resident IDs and mobile numbers: known answers, precise reasons, scalar == vectorised."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.kit.errors import ValidationError
from loanpilot.kit.ids import (
    PROVINCE_CODES,
    ResidentId,
    check_digit,
    make_resident_id,
    make_resident_ids,
    mobile_reason,
    normalise_resident_id,
    parse_mobile,
    parse_resident_id,
    resident_id_reason,
    validate_mobiles,
    validate_resident_ids,
)

TODAY = date(2024, 6, 30)
quick = settings(database=None, deadline=None, max_examples=300)


# --- resident IDs: known answers --------------------------------------------------------------


def test_known_female_id() -> None:
    rid = parse_resident_id("11010519491231002X")
    assert rid == ResidentId("11010519491231002X", date(1949, 12, 31), "F", "110105")


def test_known_male_id() -> None:
    rid = parse_resident_id("440524188001010014", today=TODAY)
    assert rid == ResidentId("440524188001010014", date(1880, 1, 1), "M", "440524")


def test_check_digit_known_answers() -> None:
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"


def test_check_digit_rejects_non_digits_without_echoing_them() -> None:
    with pytest.raises(ValueError, match="17 ASCII digits") as caught:
        check_digit("1101051949123100A")
    assert "110105" not in str(caught.value)
    assert "19491231" not in str(caught.value)
    with pytest.raises(ValueError, match="17 ASCII digits") as caught:
        check_digit("110105194912310")
    assert "110105" not in str(caught.value)


def test_lower_case_x_and_surrounding_spaces_are_normalised() -> None:
    assert parse_resident_id(" 11010519491231002x\u3000").number == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1101051949123100", "must be 18 characters, got 16"),
        ("11010519491231002X1", "must be 18 characters, got 19"),
        ("", "must be 18 characters, got 0"),
        ("11010A19491231002X", "characters 1-17 must be digits, character 6 is not"),
        ("11010519491231002A", "character 18 must be a digit or X"),
        ("01010519491231002X", "region code (characters 1-6) is not a valid province"),
        ("20010519491231002X", "region code (characters 1-6) is not a valid province"),
        ("84010519491231002X", "region code (characters 1-6) is not a valid province"),
        ("99010519491231002X", "region code (characters 1-6) is not a valid province"),
        ("200105199902300020", "region code (characters 1-6) is not a valid province"),
        ("110105199902300020", "birth date (characters 7-14) is not a real date"),
        ("110105000001010020", "birth date (characters 7-14) is not a real date"),
        ("110105179912310020", "birth date (characters 7-14) is before 1800"),
        ("110105203001010020", "birth date (characters 7-14) is in the future"),
        ("110105194912310023", "check digit should be X, got 3"),
        ("11010519491231002٣", "character 18 must be a digit or X"),
        ("١1010519491231002X", "characters 1-17 must be digits, character 1 is not"),
    ],
)
def test_invalid_ids_name_the_reason(value: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_resident_id(value, today=TODAY)
    assert caught.value.code == "id.invalid"
    [problem] = caught.value.problems
    assert problem.field == "id_number"
    assert problem.message == reason
    ok, reasons = validate_resident_ids([value], TODAY)
    assert not ok[0]
    assert reasons[0] == reason


def test_future_birth_only_checked_when_today_given() -> None:
    number = make_resident_id("110105", date(2030, 1, 1), 2, False)
    assert parse_resident_id(number).birth_date == date(2030, 1, 1)
    with pytest.raises(ValidationError, match="in the future"):
        parse_resident_id(number, today=TODAY)


def test_leap_day_is_a_date_only_in_leap_years() -> None:
    assert parse_resident_id(make_resident_id("110105", date(2000, 2, 29), 1, True))
    assert resident_id_reason("110105190002290020") == (
        "birth date (characters 7-14) is not a real date"
    )


def test_every_province_code_and_only_those_open_a_valid_id() -> None:
    assert len(PROVINCE_CODES) == 35
    assert {11, 46, 50, 54, 65, 71, 81, 82, 83} <= set(PROVINCE_CODES)
    tail = "0105" + "19900101" + "002"
    values, valid = [], []
    for prefix in range(100):
        first17 = f"{prefix:02d}{tail}"
        values.append(first17 + check_digit(first17))
        valid.append(prefix in PROVINCE_CODES)
    scalar = [resident_id_reason(v, TODAY) for v in values]
    assert [r is None for r in scalar] == valid
    assert {r for r in scalar if r is not None} == {
        "region code (characters 1-6) is not a valid province"
    }
    ok, reasons = validate_resident_ids(values, TODAY)
    assert ok.tolist() == valid
    assert reasons.tolist() == scalar
    # 83: Taiwan residents' residence permit (港澳台居民居住证 use 81, 82, 83).
    assert parse_resident_id(make_resident_id("830000", date(1990, 1, 1), 2, False))


def test_validate_accepts_series_arrays_and_missing_values() -> None:
    values = ["11010519491231002X", None, float("nan"), "440524188001010014 ", pd.NA]
    ok, reasons = validate_resident_ids(pd.Series(values, dtype=object), TODAY)
    assert ok.tolist() == [True, False, False, True, False]
    assert reasons.tolist() == [None] + ["must be 18 characters, got 0"] * 2 + [None] * 1 + [
        "must be 18 characters, got 0"
    ]
    ok_u, _ = validate_resident_ids(np.array(["11010519491231002X", "x"]), TODAY)
    assert ok_u.tolist() == [True, False]
    ok_s, _ = validate_resident_ids(pd.Series(["11010519491231002x"], dtype="string"), TODAY)
    assert ok_s.tolist() == [True]


def test_validate_rejects_two_dimensional_input() -> None:
    with pytest.raises(ValueError, match="1-d"):
        validate_resident_ids([["11010519491231002X"]], TODAY)


# --- resident IDs: generation -----------------------------------------------------------------

regions = st.builds(
    lambda province, rest: f"{province:02d}{rest}",
    st.sampled_from(PROVINCE_CODES),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
)
births = st.dates(min_value=date(1800, 1, 1), max_value=date(9999, 12, 31))


@quick
@given(regions, births, st.integers(0, 999), st.booleans())
def test_made_ids_parse_back(region: str, birth: date, seq: int, male: bool) -> None:
    number = make_resident_id(region, birth, seq, male)
    rid = parse_resident_id(number)
    assert rid.region_code == region
    assert rid.birth_date == birth
    assert rid.gender == ("M" if male else "F")
    assert abs(int(number[14:17]) - seq) <= 1


@quick
@given(st.lists(st.tuples(regions, births, st.integers(0, 999), st.booleans()), max_size=20))
def test_make_resident_ids_matches_scalar(rows: list[tuple[str, date, int, bool]]) -> None:
    made = make_resident_ids(
        np.array([r[0] for r in rows], dtype="U6"),
        np.array([r[1] for r in rows], dtype="datetime64[D]"),
        np.array([r[2] for r in rows], dtype=np.int64),
        np.array([r[3] for r in rows], dtype=bool),
    )
    assert made.tolist() == [make_resident_id(*r) for r in rows]


def test_make_resident_id_known_answers() -> None:
    assert make_resident_id("110105", date(1949, 12, 31), 2, False) == "11010519491231002X"
    assert make_resident_id("440524", date(1880, 1, 1), 1, True) == "440524188001010014"


@pytest.mark.parametrize(
    ("region", "birth", "seq", "match"),
    [
        ("010105", date(1990, 1, 1), 1, "region_codes"),
        ("200105", date(1990, 1, 1), 1, "region_codes"),
        ("840105", date(1990, 1, 1), 1, "region_codes"),
        ("11010", date(1990, 1, 1), 1, "region_codes"),
        ("11010a", date(1990, 1, 1), 1, "region_codes"),
        ("110105", date(1700, 1, 1), 1, "births"),
        ("110105", date(1990, 1, 1), 1000, "seqs"),
    ],
)
def test_make_resident_id_rejects_bad_parts(region: str, birth: date, seq: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_resident_id(region, birth, seq, True)


# --- resident IDs: scalar == vectorised -------------------------------------------------------

valid_ids = st.builds(make_resident_id, regions, births, st.integers(0, 999), st.booleans())
id_chars = st.sampled_from(list("0123456789Xx a\u3000\t٣"))


@st.composite
def mutated_ids(draw: st.DrawFn) -> str:
    chars = list(draw(valid_ids))
    for _ in range(draw(st.integers(1, 3))):
        chars[draw(st.integers(0, 17))] = draw(id_chars)
    return "".join(chars)


candidate_ids = st.one_of(
    valid_ids,
    valid_ids.map(str.lower),
    valid_ids.map(lambda v: f" {v}\u3000"),
    mutated_ids(),
    st.text(id_chars, max_size=22),
    st.text(max_size=20),
)


def scalar_id_reason(value: str, today: date) -> str | None:
    try:
        parse_resident_id(value, today=today)
    except ValidationError as error:
        return error.problems[0].message
    return None


@quick
@given(st.lists(candidate_ids, max_size=30), st.dates(date(1900, 1, 1), date(2100, 1, 1)))
def test_vectorised_ids_agree_with_scalar(values: list[str], today: date) -> None:
    ok, reasons = validate_resident_ids(np.array(values, dtype=object), today)
    expected = [scalar_id_reason(v, today) for v in values]
    assert reasons.tolist() == expected
    assert ok.tolist() == [r is None for r in expected]
    if not any(v.endswith("\x00") for v in values):  # <U arrays drop trailing NULs
        _, fixed_reasons = validate_resident_ids(np.array(values, dtype=str), today)
        assert fixed_reasons.tolist() == expected


#: Six or more digits in a row: a region code or a birth date copied out of the ID.
ID_DIGITS = re.compile(r"[0-9]{6,}")


@quick
@given(st.lists(candidate_ids, max_size=30), st.dates(date(1900, 1, 1), date(2100, 1, 1)))
def test_reasons_do_not_repeat_the_id_digits(values: list[str], today: date) -> None:
    _, reasons = validate_resident_ids(np.array(values, dtype=object), today)
    for value, reason in zip(values, reasons.tolist(), strict=True):
        scalar = scalar_id_reason(value, today)
        for text in (reason, scalar):
            assert text is None or not ID_DIGITS.search(text), text


@quick
@given(candidate_ids)
def test_normalise_is_idempotent(value: str) -> None:
    once = normalise_resident_id(value)
    assert normalise_resident_id(once) == once


# --- mobiles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["13812345678", "+86 138-1234-5678", "8613812345678", "138 1234 5678", "+8613812345678"],
)
def test_mobile_known_answers(value: str) -> None:
    assert parse_mobile(value) == "13812345678"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12812345678", "must start with 13 to 19"),
        ("23812345678", "must start with 13 to 19"),
        ("1381234567", "must be 11 digits, got 10"),
        ("+86", "must be 11 digits, got 0"),
        ("138-1234-567a", "digits, spaces and dashes"),
        ("+85291234567", "digits, spaces and dashes"),
        ("１３８１２３４５６７８", "digits, spaces and dashes"),
    ],
)
def test_invalid_mobiles_name_the_reason(value: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_mobile(value)
    [problem] = caught.value.problems
    assert problem.field == "phone"
    assert reason in problem.message
    normalised, ok, reasons = validate_mobiles([value])
    assert (normalised[0], ok[0]) == (None, False)
    assert reason in reasons[0]


phone_parts = st.sampled_from(["1", "3", "8", "5", "0", "9", " ", "-", "+", "86", "+86", "a", "\t"])
candidate_phones = st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"(\+86|86)?[ -]?1[0-9]{2}[ -]?[0-9]{4}[ -]?[0-9]{4}", fullmatch=True),
    st.lists(phone_parts, max_size=16).map("".join),
    st.text(max_size=16),
)


@quick
@given(st.lists(candidate_phones, max_size=30))
def test_vectorised_mobiles_agree_with_scalar(values: list[str]) -> None:
    normalised, ok, reasons = validate_mobiles(pd.Series(values, dtype=object))
    expected = [mobile_reason(v) for v in values]
    assert reasons.tolist() == [r for _, r in expected]
    assert ok.tolist() == [r is None for _, r in expected]
    assert normalised.tolist() == [n if r is None else None for n, r in expected]
    if not any(v.endswith("\x00") for v in values):  # <U arrays drop trailing NULs
        _, _, fixed_reasons = validate_mobiles(np.array(values, dtype=str))
        assert fixed_reasons.tolist() == [r for _, r in expected]
