"""Vectorised parsing of import columns: text in, typed numpy arrays and bad-row masks out.

Each parser takes a column of trimmed strings (numpy ``StringDType``) and returns the parsed
values, a mask of rows that could not be parsed and, where the reason differs by row, the
reasons. Empty cells are the caller's business (required or defaulted): parsers treat them as
bad, so pass only the rows that have a value, or mask them out afterwards. No Python loop runs
over all rows; the few rows that miss the fast paths (``1e3``, ``2026年1月5日``) go through the
scalar parsers of ``kit`` one by one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
from numpy.dtypes import StringDType

from loanpilot.imports.labels import BOOLEANS, label_key
from loanpilot.kit.errors import ValidationError
from loanpilot.kit.ids import codepoints, to_string_array
from loanpilot.kit.money import parse_rate, yuan_to_fen

Text: TypeAlias = npt.NDArray[Any]
"""A 1-d ``StringDType`` array."""
Mask: TypeAlias = npt.NDArray[np.bool_]

DIGITS = "0123456789"
MIN_YEAR, MAX_YEAR = 1900, 2200
_ZERO = ord("0")
_SEPARATOR_CODES = np.array([ord("-"), ord("/"), ord(".")], dtype=np.uint32)
_DATE_HINT = "use a date like 2026-11-29, 2026/11/29 or 20261129"
_AMOUNT_HINT = "write an amount in yuan like 12000 or 12000.50"
_UNIT_FEN = {"": 100, "yuan": 100, "wan": 1_000_000}


def text(values: npt.ArrayLike) -> Text:
    """A trimmed ``StringDType`` copy of a column (``None``/``NaN`` become ``""``)."""
    return np.strings.strip(to_string_array(values))


def present(values: npt.ArrayLike) -> Mask:
    """Which entries of an object column are not ``None``."""
    return np.asarray(pd.notna(np.asarray(values, dtype=object)), dtype=bool)


def empty(values: Text) -> Mask:
    return np.asarray(np.strings.str_len(values) == 0)


def ascii_digits(values: Text) -> Mask:
    """Non-empty and made of 0-9 only (``str.isdigit`` would also take other scripts' digits)."""
    stripped = np.strings.str_len(np.strings.strip(values, DIGITS))
    return np.asarray((stripped == 0) & (np.strings.str_len(values) > 0))


def _sd(value: str) -> Text:
    return np.array(value, dtype=StringDType())


# --- dates ------------------------------------------------------------------------------------


@dataclass
class Parsed:
    """Values of a column with the rows that failed and why (``reasons`` aligned with rows)."""

    values: npt.NDArray[Any]
    bad: Mask
    reasons: npt.NDArray[np.object_]


def _parsed(values: npt.NDArray[Any], n: int) -> Parsed:
    return Parsed(values, np.zeros(n, dtype=bool), np.full(n, None, dtype=object))


def _fail(result: Parsed, rows: npt.NDArray[np.intp] | Mask, reason: str | npt.ArrayLike) -> None:
    assert rows.dtype == bool or rows.dtype.kind == "i"
    result.bad[rows] = True
    result.reasons[rows] = reason


def parse_dates(values: Text) -> Parsed:
    """``2026-11-29``, ``2026/11/29``, ``2026.11.29``, ``20261129``, ``2026年11月29日``, also
    ``2026-1-5`` and a trailing time (``2026-11-29 00:00:00``), into ``datetime64[D]``."""
    n = len(values)
    result = _parsed(np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"), n)
    year = np.zeros(n, dtype=np.int64)
    month = np.zeros(n, dtype=np.int64)
    day = np.zeros(n, dtype=np.int64)
    shaped = np.zeros(n, dtype=bool)
    lengths = np.asarray(np.strings.str_len(values))
    fixed = np.flatnonzero(lengths == 10)  # the usual case: 2026-11-29 and its separators
    if fixed.size:
        codes = codepoints(values[fixed], 10).astype(np.int64)
        digit = (codes >= _ZERO) & (codes <= _ZERO + 9)
        ok = (
            digit[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(axis=1)
            & np.isin(codes[:, 4], _SEPARATOR_CODES)
            & (codes[:, 4] == codes[:, 7])
        )
        d = codes - _ZERO
        rows = fixed[ok]
        year[rows] = d[ok, 0] * 1000 + d[ok, 1] * 100 + d[ok, 2] * 10 + d[ok, 3]
        month[rows] = d[ok, 5] * 10 + d[ok, 6]
        day[rows] = d[ok, 8] * 10 + d[ok, 9]
        shaped[rows] = True
    rest = np.flatnonzero(~shaped)
    if rest.size:
        y, m, d2, ok = _split_dates(values[rest])
        year[rest[ok]], month[rest[ok]], day[rest[ok]] = y[ok], m[ok], d2[ok]
        shaped[rest[ok]] = True
    _fail(result, ~shaped, f"is not a date ({_DATE_HINT})")
    real = shaped & _is_date(year, month, day)
    _fail(result, shaped & ~real, "is not a real date")
    plausible = real & (year >= MIN_YEAR) & (year <= MAX_YEAR)
    _fail(result, real & ~plausible, f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    rows = np.flatnonzero(plausible)
    result.values[rows] = _to_days(year[rows], month[rows], day[rows])
    return result


def _split_dates(values: Text) -> tuple[Any, Any, Any, Mask]:
    """(year, month, day, ok) of the less usual date spellings."""
    t = values
    for sep in ("/", ".", "年", "月"):
        t = np.strings.replace(t, sep, "-")
    t = np.strings.replace(t, "日", "")
    t = np.strings.partition(t, _sd(" "))[0]
    t = np.strings.partition(t, _sd("T"))[0]
    compact = ascii_digits(t) & (np.strings.str_len(t) == 8)
    y, sep1, rest = np.strings.partition(t, _sd("-"))
    m, sep2, d = np.strings.partition(rest, _sd("-"))
    y = np.where(compact, np.strings.slice(t, 0, 4), y)
    m = np.where(compact, np.strings.slice(t, 4, 6), m)
    d = np.where(compact, np.strings.slice(t, 6, 8), d)
    ly, lm, ld = (np.strings.str_len(x) for x in (y, m, d))
    ok = (
        (compact | ((sep1 == "-") & (sep2 == "-")))
        & ascii_digits(y)
        & ascii_digits(m)
        & ascii_digits(d)
        & (ly == 4)
        & (lm <= 2)
        & (ld <= 2)
    )
    zero = _sd("0")
    as_int = [np.where(ok, x, zero).astype(np.int64) for x in (y, m, d)]
    return as_int[0], as_int[1], as_int[2], np.asarray(ok)


def _is_date(year: Any, month: Any, day: Any) -> Mask:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    limits = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    limit = limits[np.where(month_ok, month, 0)] + (leap & (month == 2))
    return np.asarray((year >= 1) & month_ok & (day >= 1) & (day <= limit))


def _to_days(year: Any, month: Any, day: Any) -> npt.NDArray[np.datetime64]:
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    return np.asarray(months.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]"))


def day64(value: date) -> np.datetime64:
    return np.datetime64(value, "D")


# --- numbers ------------------------------------------------------------------------------------


def parse_amounts(values: Text, unit: str = "") -> Parsed:
    """Amounts in yuan (or 万元 when ``unit == "wan"``) to integer fen, rounding half up.

    The usual spellings (``12000``, ``12000.5``, ``-5``) are parsed as floats in one pass: with
    at most two decimals (six for 万元) a float holds the amount to far better than a fen.
    The rest (``12,000.50``, ``¥12000``, ``1.005``) goes through the exact decimal path.
    """
    n = len(values)
    per_unit = _UNIT_FEN.get(unit, 100)
    places = len(str(per_unit)) - 1  # 2 for yuan, 6 for 万元
    result = _parsed(np.zeros(n, dtype=np.int64), n)
    number = np.asarray(
        pd.to_numeric(np.asarray(values, dtype=object), errors="coerce"), dtype=np.float64
    )
    dot = np.asarray(np.strings.rfind(values, "."))
    decimals = np.where(dot >= 0, np.asarray(np.strings.str_len(values)) - dot - 1, 0)
    fast = np.isfinite(number) & (decimals <= places) & (np.abs(number) < 1e13)
    rows = np.flatnonzero(fast)
    result.values[rows] = np.rint(number[rows] * per_unit).astype(np.int64)
    _fail(result, empty(values), "is empty")
    rest = np.flatnonzero(~fast & ~result.bad)
    if rest.size:
        sub = _exact_amounts(values[rest], per_unit, places)
        result.values[rest] = sub.values
        result.bad[rest] = sub.bad
        result.reasons[rest] = sub.reasons
    return result


def _exact_amounts(values: Text, per_unit: int, places: int) -> Parsed:
    """Amounts with separators, currency signs or many decimals, exactly (half up)."""
    n = len(values)
    result = _parsed(np.zeros(n, dtype=np.int64), n)
    t = values
    for junk in (",", "，", "¥", "￥", "元", " "):
        t = np.strings.replace(t, junk, "")
    negative = np.asarray(np.strings.startswith(t, "-"))
    t = np.where(negative, np.strings.slice(t, 1, None), t)
    whole, dot, frac = np.strings.partition(t, _sd("."))
    has_frac = np.asarray(dot == ".")
    ok = (
        ascii_digits(whole)
        & (np.strings.str_len(whole) <= 13)
        & (~has_frac | ascii_digits(frac) | (np.strings.str_len(frac) == 0))
    )
    zero = _sd("0")
    head = np.where(ok, whole, zero).astype(np.int64)
    tail = np.strings.slice(
        np.strings.ljust(np.where(ok, frac, zero), places + 1, "0"), 0, places + 1
    )
    tail_int = np.where(ok, tail, zero).astype(np.int64)
    fen = head * per_unit + tail_int // 10 + (tail_int % 10 >= 5)
    result.values[:] = np.where(negative, -fen, fen)
    for i in np.flatnonzero(~ok).tolist():
        try:
            result.values[i] = yuan_to_fen(str(values[i])) * (per_unit // 100)
        except ValidationError:
            _fail(result, np.array([i]), f"is not a number ({_AMOUNT_HINT})")
    return result


def parse_ints(values: Text, *, suffixes: tuple[str, ...] = ()) -> Parsed:
    """Whole numbers; ``36.0`` (Excel) is 36 and ``suffixes`` such as ``个月`` are dropped."""
    n = len(values)
    t = values
    for suffix in suffixes:
        t = np.where(np.strings.endswith(t, suffix), np.strings.replace(t, suffix, ""), t)
    t = np.where(np.strings.endswith(t, ".0"), np.strings.slice(t, 0, -2), t)
    ok = ascii_digits(t) & (np.strings.str_len(t) <= 9)
    result = _parsed(np.where(ok, t, _sd("0")).astype(np.int64), n)
    _fail(result, ~ok, "is not a whole number")
    return result


def parse_rates(values: Text, *, percent: bool = False) -> Parsed:
    """Rates as fractions: ``3.45%`` → 0.0345, ``0.0345`` → 0.0345; with ``percent`` (a header
    unit ``(%)``) a bare number is a percentage: ``3.45`` → 0.0345. Rounded to 8 places."""
    n = len(values)
    result = _parsed(np.zeros(n, dtype=np.float64), n)
    t = np.strings.replace(np.strings.replace(values, "％", "%"), " ", "")
    has_pct = np.asarray(np.strings.endswith(t, "%"))
    body = np.where(has_pct, np.strings.slice(t, 0, -1), t)
    whole, dot, frac = np.strings.partition(body, _sd("."))
    ok = (ascii_digits(whole) | (np.strings.str_len(whole) == 0)) & (
        (dot == "") | ascii_digits(frac)
    )
    ok &= np.asarray(np.strings.str_len(body) > 0) & (np.strings.str_len(whole) <= 6)
    number = np.where(ok, body, _sd("0")).astype(np.float64)
    scaled = np.where(has_pct | percent, number / 100.0, number)
    result.values[:] = np.round(scaled, 8)
    _fail(result, empty(values), "is empty")
    for i in np.flatnonzero(~ok & ~result.bad).tolist():
        raw = str(values[i])
        try:
            rate = parse_rate(raw + ("%" if percent and not raw.endswith("%") else ""))
            result.values[i] = float(rate.quantize(Decimal("0.00000001")))
        except ValidationError as exc:
            _fail(result, np.array([i]), exc.message.removeprefix(f"rate {raw!r} "))
    ambiguous = ok & ~has_pct & (number > 1) if not percent else np.zeros(n, dtype=bool)
    _fail(result, ambiguous, "is above 1: write a percentage with its sign, e.g. 3.45%")
    return result


# --- codes --------------------------------------------------------------------------------------


def parse_choices(values: Text, table: Mapping[str, str]) -> Parsed:
    """Coded values from labels (``企业员工`` → ``company_employee``) via :func:`label_key`."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    mapped = np.array([table.get(label_key(str(u))) for u in uniques] + [None], dtype=object)
    out = mapped[codes]
    result = _parsed(out, len(values))
    _fail(result, np.asarray(pd.isna(out)), "is not one of the allowed values")
    return result


def parse_bools(values: Text) -> Parsed:
    """是/否, Y/N, 1/0, true/false, 有/无 … into booleans."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    mapped = [BOOLEANS.get(label_key(str(u))) for u in uniques]
    known = np.array([m is not None for m in mapped] + [False], dtype=bool)
    truth = np.array([bool(m) for m in mapped] + [False], dtype=bool)
    result = _parsed(truth[codes], len(values))
    _fail(result, ~known[codes], "is not yes or no (use 是/否, Y/N, 1/0 or true/false)")
    return result


def lookup(values: Text, table: Mapping[str, int]) -> tuple[npt.NDArray[np.int64], Mask]:
    """``(ids, found)``: each code's id in ``table`` (-1 where the code is unknown)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    ids = np.array([table.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
    out = ids[codes]
    return out, np.asarray(out >= 0)


def first_of_duplicates(keys: npt.NDArray[Any], valid: Mask) -> npt.NDArray[np.int64]:
    """For each row, the position of the first valid row with the same key (-1 when the row is
    the first, or not valid)."""
    n = len(keys)
    out = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(valid)
    if rows.size == 0:
        return out
    codes, _ = pd.factorize(np.asarray(keys[rows], dtype=object))
    _, first = np.unique(codes, return_index=True)
    owner = rows[first][codes]
    dup = owner != rows
    out[rows[dup]] = owner[dup]
    return out
