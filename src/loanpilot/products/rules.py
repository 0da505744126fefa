"""Pure product rules: what a product edit may set, every problem with it at once, what changed,
and the representative loan a sample schedule shows. No session, clock or I/O (house rule 2)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Final

from loanpilot.kit.errors import FieldProblem

NAME_MAX: Final = 100
DESCRIPTION_MAX: Final = 2000
TERM_MIN: Final = 1
TERM_MAX: Final = 360
SPREAD_MIN: Final = Decimal("-0.01")  # -1 %
SPREAD_MAX: Final = Decimal("0.10")  # +10 %
MONTHLY_FEE_MAX: Final = Decimal("0.02")  # 2 % a month
UPFRONT_FEE_MAX: Final = Decimal("0.10")  # 10 % of the loan
AMOUNT_MAX_FEN: Final = 100_000_000_000  # ¥10 亿
RATE_PLACES: Final = 8  # the Rate column's scale
_HUNDRED: Final = Decimal(100)

#: The fields an edit may set, in form order.
EDITABLE: Final[tuple[str, ...]] = (
    "name_zh",
    "name_en",
    "status",
    "min_amount_fen",
    "max_amount_fen",
    "min_term_months",
    "max_term_months",
    "min_spread",
    "max_spread",
    "monthly_fee_rate",
    "upfront_fee_rate",
    "repayment_methods",
    "description_zh",
    "description_en",
)


@dataclass(frozen=True)
class ProductValues:
    """The editable values of one product (money in fen, rates as fractions)."""

    name_zh: str
    name_en: str
    status: str
    min_amount_fen: int
    max_amount_fen: int
    min_term_months: int
    max_term_months: int
    min_spread: Decimal
    max_spread: Decimal
    monthly_fee_rate: Decimal
    upfront_fee_rate: Decimal
    repayment_methods: tuple[str, ...]
    description_zh: str | None
    description_en: str | None

    def with_updates(self, updates: Mapping[str, object]) -> ProductValues:
        """These values with ``updates`` applied (keys must be names of EDITABLE fields)."""
        unknown = set(updates) - set(EDITABLE)
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}; editable: {', '.join(EDITABLE)}")
        clean = dict(updates)
        if "repayment_methods" in clean:
            methods = clean["repayment_methods"]
            if not isinstance(methods, list | tuple):
                raise ValueError("repayment_methods must be a list or tuple of method names")
            clean["repayment_methods"] = tuple(str(m) for m in methods)
        return replace(self, **clean)  # type: ignore[arg-type]


def _has_control(text: str, allowed: str = "") -> bool:
    """Whether ``text`` holds a control character (NUL and the like) not in ``allowed``."""
    return any((ord(c) < 0x20 or ord(c) == 0x7F) and c not in allowed for c in text)


def _name(problems: list[FieldProblem], field: str, value: str) -> None:
    if _has_control(value):
        problems.append(FieldProblem(field, "must not contain control characters"))
    elif not value.strip():
        problems.append(FieldProblem(field, "must not be empty"))
    elif len(value) > NAME_MAX:
        problems.append(FieldProblem(field, f"must be at most {NAME_MAX} characters"))


def _percent(value: Decimal) -> str:
    return f"{(value * _HUNDRED).normalize():f}%"


def _places_ok(value: Decimal) -> bool:
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and -exponent <= RATE_PLACES


def edit_problems(
    values: ProductValues,
    *,
    statuses: Collection[str],
    methods: Collection[str],
    skip: Collection[str] = (),
) -> list[FieldProblem]:
    """Every problem with ``values`` (empty when they may be saved).

    ``statuses`` and ``methods`` are the allowed status and repayment-method names; fields named
    in ``skip`` already failed to parse and are not checked again (nor compared with others).
    """
    problems: list[FieldProblem] = []

    def checked(*names: str) -> bool:
        return not any(name in skip for name in names)

    for field in ("name_zh", "name_en"):
        if checked(field):
            _name(problems, field, getattr(values, field))
    if checked("status") and values.status not in statuses:
        problems.append(FieldProblem("status", f"must be one of {', '.join(statuses)}"))
    for field in ("min_amount_fen", "max_amount_fen"):
        amount: int = getattr(values, field)
        if checked(field) and not 0 < amount <= AMOUNT_MAX_FEN:
            problems.append(
                FieldProblem(field, f"must be positive and at most {AMOUNT_MAX_FEN // 100:,} yuan")
            )
    if (
        checked("min_amount_fen", "max_amount_fen")
        and values.min_amount_fen > values.max_amount_fen
    ):
        problems.append(FieldProblem("min_amount_fen", "must not be more than the maximum amount"))
    for field in ("min_term_months", "max_term_months"):
        term: int = getattr(values, field)
        if checked(field) and not TERM_MIN <= term <= TERM_MAX:
            problems.append(
                FieldProblem(field, f"must be between {TERM_MIN} and {TERM_MAX} months")
            )
    if (
        checked("min_term_months", "max_term_months")
        and values.min_term_months > values.max_term_months
    ):
        problems.append(FieldProblem("min_term_months", "must not be more than the maximum term"))
    for field in ("min_spread", "max_spread"):
        spread: Decimal = getattr(values, field)
        if not checked(field):
            continue
        if not spread.is_finite() or not SPREAD_MIN <= spread <= SPREAD_MAX:
            problems.append(
                FieldProblem(
                    field,
                    f"must be between {_percent(SPREAD_MIN)} and +{_percent(SPREAD_MAX)}",
                )
            )
        elif not _places_ok(spread):
            problems.append(FieldProblem(field, f"has more than {RATE_PLACES - 2} decimal places"))
    if checked("min_spread", "max_spread") and (
        values.min_spread.is_finite()
        and values.max_spread.is_finite()
        and values.min_spread > values.max_spread
    ):
        problems.append(FieldProblem("min_spread", "must not be more than the maximum spread"))
    for field, upper in (
        ("monthly_fee_rate", MONTHLY_FEE_MAX),
        ("upfront_fee_rate", UPFRONT_FEE_MAX),
    ):
        fee: Decimal = getattr(values, field)
        if not checked(field):
            continue
        if not fee.is_finite() or fee < 0:
            problems.append(FieldProblem(field, "must be 0 or more"))
        elif fee > upper:
            problems.append(FieldProblem(field, f"must be at most {_percent(upper)}"))
        elif not _places_ok(fee):
            problems.append(FieldProblem(field, f"has more than {RATE_PLACES - 2} decimal places"))
    if checked("repayment_methods"):
        chosen = values.repayment_methods
        unknown = [m for m in chosen if m not in methods]
        if not chosen:
            problems.append(FieldProblem("repayment_methods", "choose at least one"))
        elif unknown:
            problems.append(
                FieldProblem("repayment_methods", f"must be among {', '.join(methods)}")
            )
        elif len(set(chosen)) != len(chosen):
            problems.append(FieldProblem("repayment_methods", "must not repeat a method"))
    for field in ("description_zh", "description_en"):
        text: str | None = getattr(values, field)
        if not checked(field) or text is None:
            continue
        if len(text) > DESCRIPTION_MAX:
            problems.append(FieldProblem(field, f"must be at most {DESCRIPTION_MAX} characters"))
        elif _has_control(text, allowed="\n\r\t"):
            problems.append(FieldProblem(field, "must not contain control characters"))
    return problems


def changes(old: ProductValues, new: ProductValues) -> dict[str, tuple[object, object]]:
    """Field name → (old, new) for every field whose value differs, in form order."""
    return {
        f.name: (getattr(old, f.name), getattr(new, f.name))
        for f in fields(ProductValues)
        if getattr(old, f.name) != getattr(new, f.name)
    }


# --- the console form: text in yuan and percent --------------------------------------------------


#: Numbers typed into a form beyond 10**15 (or below 10**-15) are refused before any arithmetic,
#: which would otherwise overflow the decimal context.
_MAX_DIGITS = 15


def parse_yuan(text: str) -> int:
    """``"5000"`` / ``"5,000.50"`` yuan to fen; ValueError unless a number with ≤ 2 decimals."""
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError("must be an amount in yuan, e.g. 50000") from None
    if not value.is_finite() or value.adjusted() > _MAX_DIGITS:
        raise ValueError("must be an amount in yuan, e.g. 50000")
    fen = value * _HUNDRED
    if fen != fen.to_integral_value():
        raise ValueError("must have at most 2 decimal places")
    return int(fen)


def parse_percent(text: str) -> Decimal:
    """``"0.35"`` (percent) to the fraction ``Decimal("0.0035")``; ValueError unless a number."""
    try:
        value = Decimal(text.strip().rstrip("%").strip())
    except InvalidOperation:
        raise ValueError("must be a percentage, e.g. 0.35") from None
    if not value.is_finite() or not -_MAX_DIGITS <= value.adjusted() <= _MAX_DIGITS:
        raise ValueError("must be a percentage, e.g. 0.35")
    return value / _HUNDRED


def parse_months(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("must be a whole number of months") from None


_PARSERS: Final = {
    "min_amount_fen": parse_yuan,
    "max_amount_fen": parse_yuan,
    "min_term_months": parse_months,
    "max_term_months": parse_months,
    "min_spread": parse_percent,
    "max_spread": parse_percent,
    "monthly_fee_rate": parse_percent,
    "upfront_fee_rate": parse_percent,
}


def parse_form(
    form: Mapping[str, str], methods: list[str]
) -> tuple[dict[str, object], list[FieldProblem]]:
    """The updates a console edit form asks for, and the fields that could not be read.

    ``form`` maps field names to the text entered (amounts in yuan, rates in percent);
    ``methods`` are the repayment methods ticked. Blank descriptions become None.
    """
    updates: dict[str, object] = {}
    problems: list[FieldProblem] = []
    for field in ("name_zh", "name_en", "status"):
        updates[field] = form.get(field, "").strip()
    for field, parser in _PARSERS.items():
        text = form.get(field, "")
        if not text.strip():
            problems.append(FieldProblem(field, "is required"))
            continue
        try:
            updates[field] = parser(text)
        except ValueError as exc:
            problems.append(FieldProblem(field, str(exc)))
    updates["repayment_methods"] = tuple(methods)
    for field in ("description_zh", "description_en"):
        text = form.get(field, "").strip()
        updates[field] = text or None
    return updates, problems


# --- the sample schedule ------------------------------------------------------------------------

_SAMPLE_TERM: Final = 12
_ROUND_TO_FEN: Final = 10_000 * 100  # a round 万元


def sample_amount(min_fen: int, max_fen: int) -> int:
    """The middle of the amount range, rounded to whole 万元 when that stays inside it."""
    middle = (min_fen + max_fen) // 2
    rounded = (middle + _ROUND_TO_FEN // 2) // _ROUND_TO_FEN * _ROUND_TO_FEN
    return rounded if min_fen <= rounded <= max_fen else middle


def sample_term(min_months: int, max_months: int) -> int:
    """Twelve months, or the nearest term the product allows."""
    return min(max(_SAMPLE_TERM, min_months), max_months)
