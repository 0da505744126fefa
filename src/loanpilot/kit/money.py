"""Money as integer fen (分) and rates as ``Decimal``: parsing and display.

Amounts are stored as ``int`` fen (``BigInteger``), never floats. Conversions from yuan round
half-up to the fen, as a bank counter does. Rates are fractions (``Decimal("0.0345")`` = 3.45 %).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from loanpilot.kit.errors import FieldProblem, ValidationError

FEN_PER_YUAN = 100
FEN_PER_WAN = 100 * 10_000
MAX_FEN = 2**63 - 1
"""Largest amount a signed 64-bit ``BigInteger`` column holds."""
_MAX_DIGITS = 40


def yuan_to_fen(value: Decimal | str | int) -> int:
    """Yuan to integer fen, rounding half-up (``"1.005"`` → 101); rejects NaN, infinity, junk.

    Strings may carry surrounding spaces; they must otherwise be plain decimals (``"-12.5"``,
    ``"1e3"``). Floats are refused: pass ``Decimal`` or the string you read.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | str | int):
        raise TypeError(f"amount must be Decimal, str or int, got {type(value).__name__}")
    amount = _to_decimal(value, "amount", "money.invalid", str(value))
    if not amount.is_finite():
        raise _invalid("amount", "money.invalid", f"amount must be a finite number, got {value}")
    if amount.adjusted() > 17:
        raise _invalid("amount", "money.invalid", f"amount {value} is too large")
    with localcontext() as ctx:
        ctx.prec = _MAX_DIGITS
        fen = int((amount * FEN_PER_YUAN).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if abs(fen) > MAX_FEN:
        raise _invalid("amount", "money.invalid", f"amount {value} is too large")
    return fen


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen to yuan with exactly two decimals: ``12345`` → ``Decimal("123.45")``."""
    with localcontext() as ctx:
        ctx.prec = _MAX_DIGITS
        return Decimal(int(fen)).scaleb(-2)


def format_yuan(fen: int, *, symbol: bool = True) -> str:
    """``1234567`` → ``"¥12,345.67"``; ``-100`` → ``"-¥1.00"``; ``symbol=False`` drops the ``¥``."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), FEN_PER_YUAN)
    return f"{sign}{'¥' if symbol else ''}{yuan:,}.{cents:02d}"


def format_wan(fen: int, *, decimals: int = 2) -> str:
    """Amount in 万 (ten thousand yuan) for dashboards: ``1234567`` → ``"1.23万"``, half-up."""
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0, got {decimals}")
    with localcontext() as ctx:
        ctx.prec = _MAX_DIGITS
        wan = (Decimal(int(fen)) / FEN_PER_WAN).quantize(
            Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
        )
    if wan == 0:
        wan = abs(wan)  # no "-0.00万"
    return f"{wan:,}万"


def parse_rate(value: str | Decimal) -> Decimal:
    """A rate as a fraction: ``"3.45%"`` and ``"0.0345"`` → ``0.0345``; ``"5‰"`` → ``0.005``.

    A bare number above 1 is refused rather than guessed (is ``"3.45"`` 345 % or 3.45 %?); rates
    outside -100 %..100 % are refused too.
    """
    if isinstance(value, Decimal):
        rate = value
        shown = str(value)
    elif isinstance(value, str):
        shown = value.strip()
        places = 0
        if shown.endswith(("%", "％")):
            places = 2
        elif shown.endswith("‰"):
            places = 3
        body = shown[:-1].strip() if places else shown
        rate = _to_decimal(body, "rate", "rate.invalid", shown)
        if rate.is_finite():
            rate = rate.scaleb(-places)
    else:
        raise TypeError(f"rate must be str or Decimal, got {type(value).__name__}")
    if not rate.is_finite():
        raise _invalid("rate", "rate.invalid", f"rate must be a finite number, got {shown}")
    if abs(rate) > 1:
        raise _invalid(
            "rate",
            "rate.invalid",
            f"rate {shown} is outside -100%..100%; write a percentage as '3.45%'",
        )
    return rate


def _to_decimal(value: Decimal | str | int, field: str, code: str, shown: str) -> Decimal:
    """``Decimal(value)``, turning unparsable text into a ``ValidationError`` on ``field``."""
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise _invalid(field, code, f"{field} {shown!r} is not a number") from None


def _invalid(field: str, code: str, message: str) -> ValidationError:
    return ValidationError(code, message, [FieldProblem(field, message)])
