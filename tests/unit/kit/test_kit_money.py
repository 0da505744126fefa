"""Money in fen and rates as Decimal: rounding, display, and refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.kit.errors import ValidationError
from loanpilot.kit.money import (
    MAX_FEN,
    fen_to_yuan,
    format_wan,
    format_yuan,
    parse_rate,
    yuan_to_fen,
)

quick = settings(database=None, deadline=None, max_examples=300)
fen_values = st.integers(-MAX_FEN, MAX_FEN)


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("12345.67", 1234567),
        ("1.005", 101),
        ("1.0049", 100),
        ("-1.005", -101),
        ("0.004", 0),
        (" 12.3 ", 1230),
        ("1e3", 100000),
        (12, 1200),
        (-3, -300),
        (Decimal("0.01"), 1),
        (Decimal("2.675"), 268),
    ],
)
def test_yuan_to_fen_known_answers(value: Decimal | str | int, fen: int) -> None:
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NaN", "finite"),
        ("-inf", "finite"),
        (Decimal("Infinity"), "finite"),
        (Decimal("sNaN"), "finite"),
        ("abc", "is not a number"),
        ("", "is not a number"),
        ("¥12", "is not a number"),
        ("1e30", "too large"),
        (str(MAX_FEN // 100 + 1), "too large"),
    ],
)
def test_yuan_to_fen_rejects(value: Decimal | str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        yuan_to_fen(value)
    assert caught.value.code == "money.invalid"
    assert caught.value.problems[0].field == "amount"


def test_yuan_to_fen_refuses_floats_and_bools() -> None:
    with pytest.raises(TypeError, match="float"):
        yuan_to_fen(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bool"):
        yuan_to_fen(True)


def test_fen_to_yuan_known_answers() -> None:
    assert fen_to_yuan(12345) == Decimal("123.45")
    assert str(fen_to_yuan(100)) == "1.00"
    assert str(fen_to_yuan(-5)) == "-0.05"
    assert str(fen_to_yuan(0)) == "0.00"
    assert str(fen_to_yuan(MAX_FEN)) == "92233720368547758.07"


@pytest.mark.parametrize(
    ("fen", "symbol", "text"),
    [
        (1234567, True, "¥12,345.67"),
        (-100, True, "-¥1.00"),
        (0, True, "¥0.00"),
        (-1, True, "-¥0.01"),
        (123456789012, False, "1,234,567,890.12"),
        (-5, False, "-0.05"),
    ],
)
def test_format_yuan(fen: int, symbol: bool, text: str) -> None:
    assert format_yuan(fen, symbol=symbol) == text


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (1234567, "1.23万"),
        (1235000, "1.24万"),
        (-1234567, "-1.23万"),
        (-1, "0.00万"),
        (123456789012, "123,456.79万"),
        (0, "0.00万"),
    ],
)
def test_format_wan(fen: int, text: str) -> None:
    assert format_wan(fen) == text


def test_format_wan_decimals() -> None:
    assert format_wan(1234567, decimals=0) == "1万"
    assert format_wan(1234567, decimals=4) == "1.2346万"
    with pytest.raises(ValueError, match="decimals"):
        format_wan(1, decimals=-1)


@pytest.mark.parametrize(
    ("value", "rate"),
    [
        ("3.45%", Decimal("0.0345")),
        (" 3.45 % ", Decimal("0.0345")),
        ("3.45％", Decimal("0.0345")),
        ("0.0345", Decimal("0.0345")),
        ("5‰", Decimal("0.005")),
        ("-0.2%", Decimal("-0.002")),
        ("100%", Decimal("1")),
        (Decimal("0.039"), Decimal("0.039")),
    ],
)
def test_parse_rate(value: str | Decimal, rate: Decimal) -> None:
    assert parse_rate(value) == rate


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3.45", "write a percentage"),
        ("101%", "outside"),
        ("abc%", "is not a number"),
        ("NaN", "finite"),
        ("sNaN%", "finite"),
        (Decimal("Infinity"), "finite"),
        ("", "is not a number"),
    ],
)
def test_parse_rate_rejects(value: str | Decimal, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        parse_rate(value)
    assert caught.value.code == "rate.invalid"
    assert caught.value.problems[0].field == "rate"


@quick
@given(fen_values)
def test_fen_yuan_fen_round_trip(fen: int) -> None:
    assert yuan_to_fen(fen_to_yuan(fen)) == fen
    assert yuan_to_fen(str(fen_to_yuan(fen))) == fen


@quick
@given(st.decimals(min_value=-(10**15), max_value=10**15, places=2))
def test_yuan_fen_yuan_round_trip(yuan: Decimal) -> None:
    assert fen_to_yuan(yuan_to_fen(yuan)) == yuan


@quick
@given(st.decimals(min_value=-(10**12), max_value=10**12, places=6))
def test_rounding_is_half_up_and_never_off_by_more_than_half_a_fen(yuan: Decimal) -> None:
    fen = yuan_to_fen(yuan)
    error = abs(Decimal(fen) - yuan * 100)
    assert error <= Decimal("0.5")
    if error == Decimal("0.5"):
        assert abs(fen) > abs(yuan * 100)  # ties go away from zero


@quick
@given(fen_values, st.booleans())
def test_format_yuan_parses_back(fen: int, symbol: bool) -> None:
    text = format_yuan(fen, symbol=symbol)
    assert ("¥" in text) == symbol
    assert Decimal(text.replace("¥", "").replace(",", "")) == fen_to_yuan(fen)
