"""The work plan's shared labels and money rounding: English names without Chinese glosses,
provinces in English, readable periods, and 万元 equal to the dashboards' rounding."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from loanpilot.evaluation.plan_common import english, named, period_en, region_name
from loanpilot.evaluation.plan_render import format_fen, format_value
from loanpilot.kit.money import format_wan, format_yuan
from loanpilot.kit.periods import parse_period


def test_english_names_drop_their_chinese_gloss() -> None:
    assert english("Combination mortgage (组合贷)") == "Combination mortgage"
    assert english("Commercial-to-fund switch（商转公）") == "Commercial-to-fund switch"
    assert english("Auto loan (new cars)") == "Auto loan (new cars)"  # an English aside stays
    assert english("安居车贷") == "安居车贷"  # nothing English to keep: the name stays
    assert named("en", "安居车贷", "Auto loan") == "Auto loan"
    assert named("en", "安居车贷", None) == "安居车贷"
    assert named("zh", "安居车贷", "Auto loan") == "安居车贷"


def test_provinces_read_in_english() -> None:
    assert [region_name(r, "en") for r in ("上海", "江苏", "浙江")] == [
        "Shanghai",
        "Jiangsu",
        "Zhejiang",
    ]
    assert region_name("浙江省", "en") == "Zhejiang"
    assert region_name("广西壮族自治区", "en") == "Guangxi"
    assert region_name("未归属", "en") == "Unattributed"
    assert region_name("浙江", "zh") == "浙江"
    assert region_name("Atlantis", "en") == "Atlantis"


def test_periods_read_as_an_english_reader_writes_them() -> None:
    assert period_en(parse_period("2026Q4")) == "2026 Q4"
    assert period_en(parse_period("2026H1")) == "2026 H1"
    assert period_en(parse_period("2026-10")) == "October 2026"
    assert period_en(parse_period("2026")) == "2026"


@given(st.integers(min_value=1_000_000, max_value=9_999_999_999))
def test_wan_yuan_equal_the_dashboards_rounding(fen: int) -> None:
    """From 1万元 to under 1亿元 the plan shows exactly what ``kit.money.format_wan`` shows."""
    assert format_fen(fen, "zh") == format_wan(fen) + "元"
    assert format_value(Decimal(fen), "fen", "zh") == format_wan(fen) + "元"


@given(st.integers(min_value=-999_999, max_value=999_999))
def test_small_amounts_are_exact_yuan(fen: int) -> None:
    assert format_fen(fen, "zh") == format_yuan(fen, symbol=False) + "元"
    assert format_fen(fen, "en") == format_yuan(fen)
