"""Five-category floors and DPD buckets (金融资产风险分类办法, 2023)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.risk.rules import (
    FIVE_CLASSES,
    dpd_bucket,
    dpd_bucket_many,
    five_class_floor,
    five_class_floor_many,
    worse_class,
)


@pytest.mark.parametrize(
    ("dpd", "expected"),
    [
        (0, "normal"),
        (1, "special_mention"),  # any ordinary arrear
        (7, "special_mention"),
        (8, "special_mention"),
        (90, "special_mention"),
        (91, "substandard"),
        (270, "substandard"),
        (271, "doubtful"),
        (360, "doubtful"),
        (361, "loss"),
    ],
)
def test_class_floor_at_the_boundaries(dpd: int, expected: str) -> None:
    assert five_class_floor(dpd) == expected


@pytest.mark.parametrize(
    ("dpd", "expected"), [(1, "normal"), (7, "normal"), (8, "special_mention"), (91, "substandard")]
)
def test_technical_delay_of_up_to_seven_days_is_excepted(dpd: int, expected: str) -> None:
    assert five_class_floor(dpd, technical=True) == expected
    assert five_class_floor_many([dpd], [True])[0] == expected


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [
        (0, "M0"),
        (1, "M1"),
        (30, "M1"),
        (31, "M2"),
        (60, "M2"),
        (61, "M3"),
        (90, "M3"),
        (91, "M4"),
        (120, "M4"),
        (150, "M5"),
        (180, "M6"),
        (181, "M7+"),
    ],
)
def test_dpd_buckets(dpd: int, bucket: str) -> None:
    assert dpd_bucket(dpd) == bucket


@given(st.integers(min_value=0, max_value=5000), st.integers(min_value=0, max_value=5000))
def test_more_days_past_due_is_never_a_better_class(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert FIVE_CLASSES.index(five_class_floor(lo)) <= FIVE_CLASSES.index(five_class_floor(hi))


@given(st.lists(st.integers(min_value=0, max_value=2000), max_size=200))
def test_vectorised_equals_scalar(days: list[int]) -> None:
    assert list(five_class_floor_many(np.array(days, dtype=np.int64))) == [
        five_class_floor(d) for d in days
    ]
    assert list(dpd_bucket_many(np.array(days, dtype=np.int64))) == [dpd_bucket(d) for d in days]


def test_negative_dpd_is_refused() -> None:
    with pytest.raises(ValueError, match="dpd must be >= 0"):
        five_class_floor(-1)
    with pytest.raises(ValueError, match="dpd must be >= 0"):
        dpd_bucket_many([3, -2])


def test_worse_class_keeps_the_more_severe() -> None:
    assert worse_class("normal", "substandard") == "substandard"
    assert worse_class("loss", "special_mention") == "loss"
