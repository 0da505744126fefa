"""Masking of personal data for display (JR/T 0171-2020 defaults: phone 138****5678, ID 3 + 4).

One rule everywhere: keep ``keep_head`` characters at the front and ``keep_tail`` at the end and
replace each character between with ``fill``, so the length is preserved. When the value is too
short for that (``keep_head + keep_tail >= len(value)``), at most half of it, rounded down, is
shown (front first), so a short value is never shown whole and never more than half.
"""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def kept(length: int, keep_head: int, keep_tail: int) -> tuple[int, int]:
    """How many leading and trailing characters :func:`mask` shows for a value of ``length``."""
    if keep_head < 0 or keep_tail < 0:
        raise ValueError(f"keep_head and keep_tail must be >= 0, got {keep_head} and {keep_tail}")
    if keep_head + keep_tail < length:
        return keep_head, keep_tail
    budget = length // 2
    head = min(keep_head, budget)
    return head, min(keep_tail, budget - head)


def mask(value: str, keep_head: int, keep_tail: int, fill: str = "*") -> str:
    """``value`` with all but ``keep_head`` leading and ``keep_tail`` trailing characters hidden."""
    if len(fill) != 1:
        raise ValueError(f"fill must be one character, got {fill!r}")
    head, tail = kept(len(value), keep_head, keep_tail)
    return value[:head] + fill * (len(value) - head - tail) + value[len(value) - tail :]


def mask_phone(value: str, keep_head: int = 3, keep_tail: int = 4) -> str:
    """``13812345678`` → ``138****5678``."""
    return mask(value, keep_head, keep_tail)


def mask_id(value: str, keep_head: int = 3, keep_tail: int = 4) -> str:
    """``11010519491231002X`` → ``110***********002X``."""
    return mask(value, keep_head, keep_tail)


def mask_name(value: str) -> str:
    """``张三`` → ``张*``, ``张小明`` → ``张*明``, ``欧阳娜娜`` → ``欧**娜``."""
    return mask(value, 1, 1)


def mask_account(value: str, keep_head: int = 4, keep_tail: int = 4) -> str:
    """``6222021234567890123`` → ``6222***********0123``."""
    return mask(value, keep_head, keep_tail)


#: What a customer may type into free text, each with the part shown (JR/T 0171 defaults): a
#: resident ID (18 characters, the last a digit or X; 3 + 4), a bank card or account number (16–19
#: digits, single spaces or dashes allowed between them; 4 + 4), a mainland mobile number (11 digits
#: from 13x–19x, optionally written 3-4-4 and after +86, which is kept; 3 + 4).
_IN_TEXT: tuple[tuple[re.Pattern[str], int, int], ...] = (
    (re.compile(r"(?<![0-9A-Za-z])(?P<num>\d{17}[\dXx])(?![0-9A-Za-z])"), 3, 4),
    (re.compile(r"(?<![0-9A-Za-z])(?P<num>\d(?:[ -]?\d){15,18})(?![0-9A-Za-z])"), 4, 4),
    (
        re.compile(r"(?<![0-9A-Za-z])(?:\+?86[ -]?)?(?P<num>1[3-9]\d[ -]?\d{4}[ -]?\d{4})(?!\d)"),
        3,
        4,
    ),
)


def _masked_digits(match: re.Match[str], keep_head: int, keep_tail: int) -> str:
    text, start = match.group("num"), match.start("num") - match.start()
    digits = [i for i, ch in enumerate(text) if ch.isalnum()]
    head, tail = kept(len(digits), keep_head, keep_tail)
    hidden = set(digits[head : len(digits) - tail])
    masked = "".join("*" if i in hidden else ch for i, ch in enumerate(text))
    whole = match.group(0)
    return whole[:start] + masked + whole[start + len(text) :]


def mask_in_text(text: str) -> str:
    """``text`` with every resident ID, card or account number and mobile number in it masked
    (JR/T 0171 C2 data a customer typed into a comment or a complaint), separators kept.

    ``请致电13812345678`` → ``请致电138****5678``; other digits (amounts, dates, ticket numbers
    of up to 15 digits) are left alone.
    """
    for pattern, keep_head, keep_tail in _IN_TEXT:
        text = pattern.sub(partial(_masked_digits, keep_head=keep_head, keep_tail=keep_tail), text)
    return text


def mask_series(series: pd.Series, keep_head: int, keep_tail: int, fill: str = "*") -> pd.Series:
    """:func:`mask` applied to a whole column, vectorised; missing values stay missing.

    Rows are grouped by length, so each group is masked with plain string slicing once.
    """
    import pandas as pd

    if len(fill) != 1:
        raise ValueError(f"fill must be one character, got {fill!r}")
    kept(0, keep_head, keep_tail)  # validates the counts
    text = series.astype("string")
    lengths = text.str.len()
    result = pd.Series(pd.NA, index=series.index, dtype="string")
    for length in lengths.dropna().unique():
        rows = lengths.eq(length).fillna(False).astype(bool)
        head, tail = kept(int(length), keep_head, keep_tail)
        hidden = fill * (int(length) - head - tail)
        tails = text[rows].str.slice(int(length) - tail) if tail else ""
        result[rows] = text[rows].str.slice(0, head) + hidden + tails
    return result
