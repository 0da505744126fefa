"""Masking: JR/T 0171 defaults, and a masked value never shows the whole value."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.kit.masking import (
    kept,
    mask,
    mask_account,
    mask_id,
    mask_in_text,
    mask_name,
    mask_phone,
    mask_series,
)

quick = settings(database=None, deadline=None, max_examples=300)


@pytest.mark.parametrize(
    ("masked", "expected"),
    [
        (mask_phone("13812345678"), "138****5678"),
        (mask_id("11010519491231002X"), "110***********002X"),
        (mask_name("张三"), "张*"),
        (mask_name("张小明"), "张*明"),
        (mask_name("欧阳娜娜"), "欧**娜"),
        (mask_name("李"), "*"),
        (mask_account("6222021234567890123"), "6222***********0123"),
        (mask_phone("13812345678", keep_head=0, keep_tail=4), "*******5678"),
        (mask("13812345678", 3, 4, fill="#"), "138####5678"),
        (mask("", 3, 4), ""),
        (mask("abcd", 3, 4), "ab**"),
        (mask("abcde", 1, 9), "a***e"),
    ],
)
def test_known_masks(masked: str, expected: str) -> None:
    assert masked == expected


def test_short_values_show_at_most_half() -> None:
    assert mask("ab", 3, 4) == "a*"
    assert kept(5, 1, 9) == (1, 1)
    assert kept(4, 3, 4) == (2, 0)
    assert kept(1, 1, 1) == (0, 0)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="one character"):
        mask("abc", 1, 1, fill="**")
    with pytest.raises(ValueError, match=">= 0"):
        mask("abc", -1, 1)


@quick
@given(st.integers(0, 200), st.integers(0, 30), st.integers(0, 30))
def test_kept_never_reveals_everything(length: int, head: int, tail: int) -> None:
    shown_head, shown_tail = kept(length, head, tail)
    assert shown_head <= head
    assert shown_tail <= tail
    if length:
        assert shown_head + shown_tail < length
    if head + tail >= length:
        assert shown_head + shown_tail <= length // 2
    else:
        assert (shown_head, shown_tail) == (head, tail)


@quick
@given(st.text(max_size=40), st.integers(0, 30), st.integers(0, 30))
def test_mask_shape(value: str, head: int, tail: int) -> None:
    masked = mask(value, head, tail, fill="\x00")
    shown_head, shown_tail = kept(len(value), head, tail)
    assert len(masked) == len(value)
    assert masked[:shown_head] == value[:shown_head]
    assert masked[len(value) - shown_tail :] == value[len(value) - shown_tail :]
    assert masked[shown_head : len(value) - shown_tail] == "\x00" * (
        len(value) - shown_head - shown_tail
    )
    if value:
        assert masked.count("\x00") >= 1


@quick
@given(st.lists(st.one_of(st.none(), st.text(max_size=25)), max_size=30), st.integers(0, 6))
def test_mask_series_matches_mask(values: list[str | None], head: int) -> None:
    series = pd.Series(values, index=range(100, 100 + len(values)), dtype=object)
    result = mask_series(series, head, 4)
    assert result.index.tolist() == series.index.tolist()
    expected = [None if v is None else mask(v, head, 4) for v in values]
    assert [None if pd.isna(v) else v for v in result.tolist()] == expected


# --- personal data typed into free text -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("请致电13812345678", "请致电138****5678"),
        ("电话：138-1234-5678。", "电话：138-****-5678。"),
        ("+86 139 1234 5678", "+86 139 **** 5678"),
        ("身份证11010519491231002X号", "身份证110***********002X号"),
        ("身份证11010519491231002x", "身份证110***********002x"),
        ("卡号6222 0212 3456 7890 123", "卡号6222 **** **** ***0 123"),
        ("账号6222021234567890", "账号6222********7890"),
        (
            "金额120000元，2026-11-30，工单FB20261130000123",
            "金额120000元，2026-11-30，工单FB20261130000123",
        ),
        ("", ""),
    ],
)
def test_mask_in_text_hides_ids_cards_and_phones_only(text: str, shown: str) -> None:
    assert mask_in_text(text) == shown


@given(
    st.text(alphabet="，。请致电客户经理的号码是：", max_size=12),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.text(alphabet="，。谢谢尽快回复", max_size=12),
)
def test_a_mobile_number_in_chinese_text_never_shows_whole(
    before: str, phone: str, after: str
) -> None:
    shown = mask_in_text(before + phone + after)
    assert phone not in shown
    assert shown == before + phone[:3] + "****" + phone[-4:] + after
