"""Chinese resident IDs (GB 11643-1999) and mainland mobile numbers.

Each check exists twice: a scalar ``parse_*`` that raises :class:`ValidationError` for one value
typed by a person, and a vectorised ``validate_*`` that checks a whole import column with numpy.
Both report the same short English reason for the same input (the tests hold them to that).
Reasons never repeat the ID's own digits (region code, birth date): an ID is personal data
(JR/T 0171 C2) and a reason is shown and logged where the ID itself is only shown masked.
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
PROVINCE_CODES = (
    11, 12, 13, 14, 15,
    21, 22, 23,
    31, 32, 33, 34, 35, 36, 37,
    41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54,
    61, 62, 63, 64, 65,
    71, 81, 82, 83,
)  # fmt: skip
"""Province-level codes of GB/T 2260 that may open an ID (83: Taiwan residents' residence permit)."""

_REGION = "region code (characters 1-6)"
_BIRTH = "birth date (characters 7-14)"
REASON_NOT_PROVINCE = f"{_REGION} is not a valid province"
REASON_NOT_A_DATE = f"{_BIRTH} is not a real date"
REASON_TOO_EARLY = f"{_BIRTH} is before {MIN_BIRTH_YEAR}"
REASON_FUTURE = f"{_BIRTH} is in the future"

_WEIGHTS = np.array(WEIGHTS, dtype=np.int32)
_PROVINCES = np.array(PROVINCE_CODES, dtype=np.int32)
_PROVINCE_TEXT = frozenset(f"{code:02d}" for code in PROVINCE_CODES)
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
        raise ValueError("first17 must be 17 ASCII digits")  # not echoed: it is most of an ID
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
    if number[:2] not in _PROVINCE_TEXT:
        return REASON_NOT_PROVINCE
    text = number[6:14]
    try:
        birth = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return REASON_NOT_A_DATE
    if birth.year < MIN_BIRTH_YEAR:
        return REASON_TOO_EARLY
    if today is not None and birth > today:
        return REASON_FUTURE
    expected = check_digit(number[:17])
    if number[17] != expected:
        return f"check digit should be {expected}, got {number[17]}"
    return None


def parse_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Parse and check one resident ID; ``ValidationError`` (``id.invalid``) with the reason if not.

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
    lengths, codes = _stripped_codes(to_string_array(values, keep_fixed=True))
    codes[:, 17] = np.where(codes[:, 17] == _LOWER_X, _UPPER_X, codes[:, 17])
    is_digit = _is_digit(codes)
    digits = codes[:, :17].astype(np.int32) - _ZERO
    birth = digits[:, 6:14].astype(np.int64) @ _DATE_PLACES
    year, month, day = birth // 10000, birth // 100 % 100, birth % 100
    expected = _CHECK_CODES[(digits @ _WEIGHTS) % 11]
    today_number = today.year * 10000 + today.month * 100 + today.day

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
    reasons.fail(~np.isin(digits[:, 0] * 10 + digits[:, 1], _PROVINCES), REASON_NOT_PROVINCE)
    reasons.fail(~_is_date(year, month, day), REASON_NOT_A_DATE)
    reasons.fail(year < MIN_BIRTH_YEAR, REASON_TOO_EARLY)
    reasons.fail(birth > today_number, REASON_FUTURE)
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
    """A valid ID; the order code is ``seq3`` with its last digit's parity set by ``male``."""
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

    Every region code must start with one of :data:`PROVINCE_CODES`, so the IDs made parse back.

    ``seqs`` are order codes 0-999 whose last digit is made odd for men (an even one goes up by 1)
    and even for women (an odd one goes down by 1), as the standard requires.
    """
    regions = np.asarray(region_codes).astype(str)
    days = np.asarray(births, dtype="datetime64[D]")
    order = np.asarray(seqs, dtype=np.int64)
    is_male = np.asarray(male, dtype=bool)
    n = len(regions)
    if not days.shape == order.shape == is_male.shape == (n,):
        raise ValueError("region_codes, births, seqs and male must be 1-d and of equal length")
    region = codepoints(regions, 6).astype(np.int64) - _ZERO
    bad_region = ((region < 0) | (region > 9)).any(axis=1)
    bad_region |= ~np.isin(region[:, 0] * 10 + region[:, 1], _PROVINCES)
    if (np.strings.str_len(regions) != 6).any() or bad_region.any():
        raise ValueError("region_codes must be 6 digits starting with a province code of GB/T 2260")
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
    """A mainland mobile number as 11 digits; ``ValidationError`` (``phone.invalid``) if not.

    Spaces, dashes and a ``+86``/``86`` prefix are removed; the raw value is not echoed (C2 data).
    """
    number, reason = mobile_reason(value)
    if reason is not None:
        problem = FieldProblem("phone", reason)
        raise ValidationError("phone.invalid", f"Invalid mobile number: {reason}", [problem])
    return number


def validate_mobiles(values: npt.ArrayLike) -> tuple[ObjectArray, BoolArray, ObjectArray]:
    """Vectorised :func:`parse_mobile`: ``(normalised, ok, reason)``.

    ``normalised[i]`` is the 11-digit number, or ``None`` where the value is invalid. Rows that
    are already 11 ASCII digits (the usual case) skip the separator and ``+86`` handling.
    """
    numbers = to_string_array(values, keep_fixed=True)
    n = len(numbers)
    lengths = np.strings.str_len(numbers).astype(np.int64)
    codes = _fixed_codes(numbers, lengths, 11)
    non_digit = np.asarray(~_is_digit(codes).all(axis=1), dtype=bool)
    dirty = np.flatnonzero((lengths != 11) | non_digit)
    if dirty.size:
        cleaned = numbers[dirty]
        for sep in PHONE_SEPARATORS:
            cleaned = np.strings.replace(cleaned, sep, "")
        plus = np.strings.startswith(cleaned, "+86")
        cleaned[plus] = np.strings.slice(cleaned[plus], 3, None)
        sub_lengths = np.strings.str_len(cleaned).astype(np.int64)
        bare = ~plus & (sub_lengths == 13) & np.strings.startswith(cleaned, "86")
        cleaned[bare] = np.strings.slice(cleaned[bare], 2, None)
        sub_lengths[bare] = 11
        lengths[dirty] = sub_lengths
        non_digit[dirty] = _non_digit_count(cleaned) > 0
        codes[dirty] = _fixed_codes(cleaned, sub_lengths, 11)

    reasons = _Reasons(n)
    reasons.fail(non_digit, _MOBILE_FORMAT)
    reasons.fail(lengths != 11, lambda i: _join("must be 11 digits, got ", lengths[i].astype(str)))
    reasons.fail(
        (codes[:, 0] != ord("1")) | (codes[:, 1] < ord("3")) | (codes[:, 1] > _NINE),
        "must start with 13 to 19",
    )
    ok = reasons.pending
    normalised = np.full(n, None, dtype=object)
    normalised[ok] = from_codepoints(codes[ok]).astype(object)
    return normalised, ok, reasons.reason


def _non_digit_count(strings: StringArray) -> npt.NDArray[np.int64]:
    """How many characters are left once ASCII digits are stripped from both ends."""
    return np.strings.str_len(np.strings.strip(strings, _PHONE_DIGITS)).astype(np.int64)


# --- helpers --------------------------------------------------------------------------------


class _Reasons:
    """First-failure-wins reason column: each ``fail`` only touches rows still passing."""

    def __init__(self, n: int) -> None:
        self.pending: BoolArray = np.ones(n, dtype=bool)
        self.reason: ObjectArray = np.full(n, None, dtype=object)

    def fail(self, failed: npt.ArrayLike, text: str | _TextFn) -> None:
        """Give rows that are still passing and ``failed`` the reason ``text``."""
        hit = np.flatnonzero(self.pending & np.asarray(failed, dtype=bool))
        if hit.size:
            self.reason[hit] = text if isinstance(text, str) else text(hit).astype(object)
            self.pending[hit] = False


def to_string_array(values: npt.ArrayLike, *, keep_fixed: bool = False) -> StringArray:
    """A 1-d ``StringDType`` copy of ``values``; ``None``/``NaN``/``NA`` become ``""``.

    Goes through ``object`` rather than ``<U``, so one very long cell cannot blow up memory.
    With ``keep_fixed``, a ``<U`` array is returned as it is (not copied: do not modify it).
    """
    if isinstance(values, np.ndarray) and values.dtype.kind == "U" and keep_fixed:
        array: StringArray = values
    elif isinstance(values, np.ndarray) and values.dtype.kind in "UT":
        array = values.astype(StringDType())
    else:
        import pandas as pd

        objects = np.array(values, dtype=object)
        if objects.ndim != 1:
            raise ValueError(f"expected a 1-d column of strings, got shape {objects.shape}")
        objects[pd.isna(objects)] = ""
        if any("\x00" in v for v in objects if isinstance(v, str)):
            # fixed-width copies made later drop trailing NULs: keep every character countable
            objects = np.array(
                [v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in objects],
                dtype=object,
            )
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


def _fixed_codes(
    strings: StringArray, lengths: npt.NDArray[np.int64], width: int
) -> npt.NDArray[np.uint32]:
    """``(n, width)`` code points of the rows exactly ``width`` long; other rows are zeros."""
    fit = np.flatnonzero(lengths == width)
    if fit.size == len(strings):  # the usual case: no gather, no scatter
        return codepoints(strings, width)
    codes = np.zeros((len(strings), width), dtype=np.uint32)
    codes[fit] = codepoints(strings[fit], width)
    return codes


def _is_digit(codes: npt.NDArray[np.uint32]) -> BoolArray:
    """Which code points are ASCII 0-9."""
    digit: BoolArray = (codes >= _ZERO) & (codes <= _NINE)
    return digit


def _stripped_codes(strings: StringArray) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
    """Lengths after stripping and an ``(n, 18)`` code-point matrix (zeros where length != 18).

    Only rows that need it are stripped: most rows are already 18 characters with no space.
    """
    lengths = np.strings.str_len(strings).astype(np.int64)
    codes = _fixed_codes(strings, lengths, ID_LENGTH)
    edge = np.isin(codes[:, 0], _STRIP_CODES) | np.isin(codes[:, -1], _STRIP_CODES)
    rows = np.flatnonzero((lengths != ID_LENGTH) | edge)
    if rows.size:
        stripped = np.strings.strip(strings[rows], ID_STRIP)
        lengths[rows] = np.strings.str_len(stripped)
        codes[rows] = _fixed_codes(stripped, lengths[rows], ID_LENGTH)
    return lengths, codes


def _is_date(
    year: npt.NDArray[np.int64], month: npt.NDArray[np.int64], day: npt.NDArray[np.int64]
) -> BoolArray:
    """Whether each (year, month, day) is a real proleptic Gregorian date in years 1-9999."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    limit = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    valid: BoolArray = (year >= 1) & month_ok & (day >= 1) & (day <= limit)
    return valid


def _all_ascii_digits(text: str) -> bool:
    """True when every character is 0-9 (``str.isdigit`` also accepts other scripts' digits)."""
    return not text.strip(_PHONE_DIGITS)
