"""Chinese resident IDs (GB 11643-1999) and mainland mobile numbers.

Each check exists twice: a scalar ``parse_*`` that raises :class:`ValidationError` for one value
typed by a person, and a vectorised ``validate_*`` that checks a whole import column with numpy.
Both report the same short English reason for the same input (the tests hold them to that).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
from numpy.dtypes import StringDType

from loanpilot.kit.errors import FieldProblem, ValidationError

BoolArray: TypeAlias = npt.NDArray[np.bool_]
ObjectArray: TypeAlias = npt.NDArray[np.object_]
StringArray: TypeAlias = npt.NDArray[Any]
"""A 1-d array of ``str`` (numpy ``StringDType`` or fixed-width ``<U``)."""
_TextFn: TypeAlias = Callable[[npt.NDArray[np.intp]], StringArray]

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
"""GB 11643-1999 weights of characters 1-17."""
CHECK_CHARS = "10X98765432"
"""Check character for each value of the weighted sum mod 11."""
MIN_BIRTH_YEAR = 1800
"""Earliest birth year accepted; anything earlier is a typing error, not a customer."""
ID_STRIP = " \t\r\n\f\v\u3000"
"""Characters stripped from both ends of an ID before checking (ASCII and ideographic space)."""
ID_LENGTH = 18

_WEIGHTS = np.array(WEIGHTS, dtype=np.int32)
_CHECK_CODES = np.array([ord(c) for c in CHECK_CHARS], dtype=np.uint32)
_STRIP_CODES = np.array([ord(c) for c in ID_STRIP], dtype=np.uint32)
_DATE_PLACES = np.array([10**k for k in range(7, -1, -1)], dtype=np.int64)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_ZERO, _NINE, _UPPER_X, _LOWER_X = ord("0"), ord("9"), ord("X"), ord("x")


@dataclass(frozen=True)
class ResidentId:
    """A valid resident ID and what it says about its holder."""

    number: str
    birth_date: date
    gender: Literal["M", "F"]
    region_code: str


def check_digit(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits."""
    if len(first17) != 17 or not _all_ascii_digits(first17):
        raise ValueError(f"first17 must be 17 ASCII digits, got {first17!r}")
    total = sum(int(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise_resident_id(value: str) -> str:
    """Strip surrounding spaces and upper-case a final ``x``; no other change."""
    number = value.strip(ID_STRIP)
    if len(number) == ID_LENGTH and number[-1] == "x":
        number = number[:-1] + "X"
    return number


def resident_id_reason(number: str, today: date | None = None) -> str | None:
    """Why a normalised ID is invalid, or ``None`` when it is valid."""
    if len(number) != ID_LENGTH:
        return f"must be {ID_LENGTH} characters, got {len(number)}"
    for pos, ch in enumerate(number[:17], start=1):
        if not _all_ascii_digits(ch):
            return f"characters 1-17 must be digits, character {pos} is not"
    if not (_all_ascii_digits(number[17]) or number[17] == "X"):
        return "character 18 must be a digit or X"
    if number[0] == "0":
        return f"region code {number[:6]} is not valid: no province code starts with 0"
    text = number[6:14]
    try:
        birth = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return f"birth date {text} is not a date"
    if birth.year < MIN_BIRTH_YEAR:
        return f"birth date {text} is before {MIN_BIRTH_YEAR}"
    if today is not None and birth > today:
        return f"birth date {text} is in the future"
    expected = check_digit(number[:17])
    if number[17] != expected:
        return f"check digit should be {expected}, got {number[17]}"
    return None


def parse_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Parse and check one resident ID; raise ``ValidationError`` (code ``id.invalid``) with the reason.

    A lower-case final ``x`` is accepted and returned as ``X``. With ``today`` given, a birth date
    after it is rejected. The raw value is not echoed into the error: IDs are C2 data.
    """
    number = normalise_resident_id(value)
    reason = resident_id_reason(number, today)
    if reason is not None:
        problem = FieldProblem("id_number", reason)
        raise ValidationError("id.invalid", f"Invalid resident ID: {reason}", [problem])
    text = number[6:14]
    return ResidentId(
        number=number,
        birth_date=date(int(text[:4]), int(text[4:6]), int(text[6:])),
        gender="M" if int(number[16]) % 2 == 1 else "F",
        region_code=number[:6],
    )


def validate_resident_ids(values: npt.ArrayLike, today: date) -> tuple[BoolArray, ObjectArray]:
    """Check many IDs at once: ``(ok, reason)``, ``reason[i]`` is ``None`` where ``ok[i]``.

    Agrees with :func:`resident_id_reason` row by row; missing values count as empty strings.
    """
    lengths, codes = _stripped_codes(to_string_array(values))
    codes[:, 17] = np.where(codes[:, 17] == _LOWER_X, _UPPER_X, codes[:, 17])
    is_digit = (codes >= _ZERO) & (codes <= _NINE)
    digits = codes[:, :17].astype(np.int32) - _ZERO
    birth = digits[:, 6:14].astype(np.int64) @ _DATE_PLACES
    year, month, day = birth // 10000, birth // 100 % 100, birth % 100
    expected = _CHECK_CODES[(digits @ _WEIGHTS) % 11]
    today_number = today.year * 10000 + today.month * 100 + today.day

    def birth_says(tail: str) -> _TextFn:
        return lambda i: _join("birth date ", from_codepoints(codes[i, 6:14]), tail)

    reasons = _Reasons(len(codes))
    reasons.fail(
        lengths != ID_LENGTH,
        lambda i: _join(f"must be {ID_LENGTH} characters, got ", lengths[i].astype(str)),
    )
    reasons.fail(
        ~is_digit[:, :17].all(axis=1),
        lambda i: _join(
            "characters 1-17 must be digits, character ",
            (np.argmin(is_digit[i, :17], axis=1) + 1).astype(str),
            " is not",
        ),
    )
    reasons.fail(~is_digit[:, 17] & (codes[:, 17] != _UPPER_X), "character 18 must be a digit or X")
    reasons.fail(
        codes[:, 0] == _ZERO,
        lambda i: _join(
            "region code ",
            from_codepoints(codes[i, :6]),
            " is not valid: no province code starts with 0",
        ),
    )
    reasons.fail(~_is_date(year, month, day), birth_says(" is not a date"))
    reasons.fail(year < MIN_BIRTH_YEAR, birth_says(f" is before {MIN_BIRTH_YEAR}"))
    reasons.fail(birth > today_number, birth_says(" is in the future"))
    reasons.fail(
        codes[:, 17] != expected,
        lambda i: _join(
            "check digit should be ",
            from_codepoints(expected[i, None]),
            ", got ",
            from_codepoints(codes[i, 17:18]),
        ),
    )
    return reasons.pending, reasons.reason


def make_resident_id(region_code: str, birth: date, seq3: int, male: bool) -> str:
    """Build a valid ID; the order code is ``seq3`` with its last digit's parity set by ``male``."""
    ids = make_resident_ids(
        np.array([region_code]),
        np.array([birth], dtype="datetime64[D]"),
        np.array([seq3]),
        np.array([male]),
    )
    return str(ids[0])


def make_resident_ids(
    region_codes: npt.ArrayLike,
    births: npt.ArrayLike,
    seqs: npt.ArrayLike,
    male: npt.ArrayLike,
) -> StringArray:
    """Vectorised :func:`make_resident_id`: an ``<U18`` array of valid IDs.

    ``seqs`` are order codes 0-999; the last digit is moved to the nearest lower odd (men) or even
    (women) digit, as the standard reserves odd for men.
    """
    regions = np.asarray(region_codes).astype(str)
    days = np.asarray(births, dtype="datetime64[D]")
    order = np.asarray(seqs, dtype=np.int64)
    is_male = np.asarray(male, dtype=bool)
    n = len(regions)
    if not days.shape == order.shape == is_male.shape == (n,):
        raise ValueError("region_codes, births, seqs and male must be 1-d and of equal length")
    region = codepoints(regions, 6).astype(np.int64) - _ZERO
    bad_region = (region < 0) | (region > 9) | (region[:, :1] == 0)
    if (np.strings.str_len(regions) != 6).any() or bad_region.any():
        raise ValueError("region_codes must be 6 digits not starting with 0")
    if ((order < 0) | (order > 999)).any():
        raise ValueError("seqs must be between 0 and 999")
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    if ((years < MIN_BIRTH_YEAR) | (years > 9999)).any():
        raise ValueError(f"births must be between {MIN_BIRTH_YEAR} and 9999")
    months = days.astype("datetime64[M]")
    month_day = (months.astype(np.int64) % 12 + 1) * 100
    month_day += (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    order = order - order % 2 + is_male
    digits = np.concatenate(
        [region, _digits_of(years, 4), _digits_of(month_day, 4), _digits_of(order, 3)], axis=1
    ).astype(np.int32)
    check = _CHECK_CODES[(digits @ _WEIGHTS) % 11]
    return from_codepoints(
        np.concatenate([digits.astype(np.uint32) + _ZERO, check[:, None]], axis=1)
    )


# --- mobile numbers -------------------------------------------------------------------------

PHONE_SEPARATORS = (" ", "-", "\t", "\u3000")
"""Characters removed anywhere in a phone number before checking."""
_PHONE_DIGITS = "0123456789"
_MOBILE_FORMAT = "must be a mainland mobile number: digits, spaces and dashes, optionally after +86"


def mobile_reason(value: str) -> tuple[str, str | None]:
    """``(normalised, reason)`` for one phone number; ``reason`` is ``None`` when valid."""
    number = value
    for sep in PHONE_SEPARATORS:
        number = number.replace(sep, "")
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    if number.strip(_PHONE_DIGITS):
        return number, _MOBILE_FORMAT
    if len(number) != 11:
        return number, f"must be 11 digits, got {len(number)}"
    if number[0] != "1" or number[1] not in "3456789":
        return number, "must start with 13 to 19"
    return number, None


def parse_mobile(value: str) -> str:
    """Normalise a mainland mobile number to 11 digits; ``ValidationError`` (field ``phone``) otherwise."""
    number, reason = mobile_reason(value)
    if reason is not None:
        problem = FieldProblem("phone", reason)
        raise ValidationError("phone.invalid", f"Invalid mobile number: {reason}", [problem])
    return number


def validate_mobiles(values: npt.ArrayLike) -> tuple[ObjectArray, BoolArray, ObjectArray]:
    """Vectorised :func:`parse_mobile`: ``(normalised, ok, reason)``; ``normalised`` is ``None`` if not ok."""
    numbers = to_string_array(values)
    for sep in PHONE_SEPARATORS:
        numbers = np.strings.replace(numbers, sep, "")
    plus = np.strings.startswith(numbers, "+86")
    numbers[plus] = np.strings.slice(numbers[plus], 3, None)
    lengths = np.strings.str_len(numbers)
    bare = ~plus & (lengths == 13) & np.strings.startswith(numbers, "86")
    numbers[bare] = np.strings.slice(numbers[bare], 2, None)
    lengths[bare] = 11
    reasons = _Reasons(len(numbers))
    reasons.fail(np.strings.str_len(np.strings.strip(numbers, _PHONE_DIGITS)) > 0, _MOBILE_FORMAT)
    reasons.fail(lengths != 11, lambda i: _join("must be 11 digits, got ", lengths[i].astype(str)))
    head = np.zeros((len(numbers), 2), dtype=np.uint32)
    fits = np.flatnonzero(reasons.pending)
    head[fits] = codepoints(numbers[fits], 11)[:, :2]
    bad_head = (head[:, 0] != ord("1")) | (head[:, 1] < ord("3")) | (head[:, 1] > _NINE)
    reasons.fail(bad_head, "must start with 13 to 19")
    normalised = np.full(len(numbers), None, dtype=object)
    normalised[reasons.pending] = numbers[reasons.pending].astype(object)
    return normalised, reasons.pending, reasons.reason


# --- helpers --------------------------------------------------------------------------------


class _Reasons:
    """First-failure-wins reason column: each ``fail`` only touches rows still passing."""

    def __init__(self, n: int) -> None:
        self.pending: BoolArray = np.ones(n, dtype=bool)
        self.reason: ObjectArray = np.full(n, None, dtype=object)

    def fail(self, failed: BoolArray, text: str | _TextFn) -> None:
        """Give rows that are still passing and ``failed`` the reason ``text``."""
        hit = np.flatnonzero(self.pending & failed)
        if hit.size:
            self.reason[hit] = text if isinstance(text, str) else text(hit).astype(object)
            self.pending[hit] = False


def to_string_array(values: npt.ArrayLike) -> StringArray:
    """A 1-d ``StringDType`` copy of ``values``; ``None``/``NaN``/``NA`` become ``""``.

    Goes through ``object`` rather than ``<U``, so one very long cell cannot blow up memory.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "UT":
        array = values.astype(StringDType())
    else:
        import pandas as pd

        objects = np.array(values, dtype=object)
        if objects.ndim != 1:
            raise ValueError(f"expected a 1-d column of strings, got shape {objects.shape}")
        objects[pd.isna(objects)] = ""
        array = objects.astype(StringDType())
    if array.ndim != 1:
        raise ValueError(f"expected a 1-d column of strings, got shape {array.shape}")
    return array


def codepoints(strings: StringArray, width: int) -> npt.NDArray[np.uint32]:
    """``(n, width)`` matrix of code points of strings that are exactly ``width`` long."""
    fixed = np.ascontiguousarray(np.asarray(strings).astype(f"U{width}"))
    return fixed.view(np.uint32).reshape(-1, width)


def from_codepoints(codes: npt.NDArray[np.uint32]) -> StringArray:
    """The inverse of :func:`codepoints`: one ``<U`` string per row of a code-point matrix."""
    matrix = np.ascontiguousarray(codes, dtype=np.uint32)
    return matrix.view(f"U{matrix.shape[1]}").reshape(-1)


def _join(*parts: str | StringArray) -> StringArray:
    """Element-wise concatenation of strings and string arrays."""
    out: StringArray = np.asarray(parts[0])
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return out


def _digits_of(numbers: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.int64]:
    """``(n, width)`` decimal digits of non-negative integers, most significant first."""
    places = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (numbers[:, None] // places) % 10


def _stripped_codes(strings: StringArray) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
    """Lengths after stripping and an ``(n, 18)`` code-point matrix (zeros where length != 18).

    Only rows that need it are stripped: most rows are already 18 characters with no space.
    """
    lengths = np.strings.str_len(strings).astype(np.int64)
    codes = np.zeros((len(strings), ID_LENGTH), dtype=np.uint32)
    fit = np.flatnonzero(lengths == ID_LENGTH)
    codes[fit] = codepoints(strings[fit], ID_LENGTH)
    edge = np.isin(codes[fit, 0], _STRIP_CODES) | np.isin(codes[fit, -1], _STRIP_CODES)
    redo = lengths != ID_LENGTH
    redo[fit[edge]] = True
    rows = np.flatnonzero(redo)
    if rows.size:
        stripped = np.strings.strip(strings[rows], ID_STRIP)
        lengths[rows] = np.strings.str_len(stripped)
        codes[rows] = 0
        now_fit = lengths[rows] == ID_LENGTH
        codes[rows[now_fit]] = codepoints(stripped[now_fit], ID_LENGTH)
    return lengths, codes


def _is_date(
    year: npt.NDArray[np.int64], month: npt.NDArray[np.int64], day: npt.NDArray[np.int64]
) -> BoolArray:
    """Whether each (year, month, day) is a real proleptic Gregorian date in years 1-9999."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    limit = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    return (year >= 1) & month_ok & (day >= 1) & (day <= limit)


def _all_ascii_digits(text: str) -> bool:
    """True when every character is 0-9 (``str.isdigit`` also accepts other scripts' digits)."""
    return not text.strip(_PHONE_DIGITS)
