"""Languages of the web pages: Chinese by default, English on request (``?lang=en``, kept in a
cookie), and the number formats each language reads naturally (万/亿 in Chinese, million/billion in
English)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal, TypeAlias

from loanpilot.kit import money
from loanpilot.web.i18n.messages import MESSAGES

Lang: TypeAlias = Literal["zh", "en"]

SUPPORTED_LANGS: Final[tuple[Lang, ...]] = ("zh", "en")
DEFAULT_LANG: Final[Lang] = "zh"
#: Cookie that remembers the language chosen with ``?lang=``.
LANG_COOKIE: Final = "lp_lang"
#: ``<html lang>`` value of each language.
HTML_LANG: Final[dict[Lang, str]] = {"zh": "zh-CN", "en": "en"}

_CENT = Decimal("0.01")
_FEN_PER_YUAN = 100
#: Amounts from one million yuan up are shown in large units (万/亿, million/billion).
_LARGE_FROM_FEN = 1_000_000 * _FEN_PER_YUAN
_ZH_UNITS: Final = ((100_000_000 * _FEN_PER_YUAN, "亿"), (10_000 * _FEN_PER_YUAN, "万"))
_EN_UNITS: Final = (
    (1_000_000_000 * _FEN_PER_YUAN, " billion"),
    (1_000_000 * _FEN_PER_YUAN, " million"),
)


def parse_lang(value: str | None) -> Lang | None:
    """``"en"``, ``"en-US"``, ``"zh"``, ``"zh-CN"``… to a supported language; None otherwise."""
    if not value:
        return None
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0]
    if primary == "zh":
        return "zh"
    if primary == "en":
        return "en"
    return None


def resolve_lang(query: str | None, cookie: str | None) -> Lang:
    """The page language: the ``?lang=`` parameter, else the remembered cookie, else Chinese."""
    return parse_lang(query) or parse_lang(cookie) or DEFAULT_LANG


def other_lang(lang: Lang) -> Lang:
    """The language the switch link leads to."""
    return "en" if lang == "zh" else "zh"


def translate(key: str, lang: Lang = DEFAULT_LANG, **params: object) -> str:
    """The message ``key`` in ``lang`` with its ``{placeholders}`` filled from ``params``.

    An unknown key raises ``KeyError``: a typo in a template fails its test instead of showing
    the key to a customer.
    """
    try:
        entry = MESSAGES[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in the web message table") from None
    text = entry.get(lang) or entry[DEFAULT_LANG]
    return text.format(**params) if params else text


def format_count(value: int) -> str:
    """A count with thousands separators: ``12,345``."""
    return f"{value:,d}"


def format_yuan_exact(fen: int) -> str:
    """Fen as yuan to the fen: ``¥12,345.67`` (``-¥5.00`` when negative)."""
    return money.format_yuan(fen)


def format_yuan(fen: int, lang: Lang = DEFAULT_LANG) -> str:
    """Fen as yuan for reading at a glance.

    Below one million yuan, to the fen (``¥12,345.67``); above, in large units rounded to two
    places: ``¥123.46万`` / ``¥1.23亿`` in Chinese, ``¥1.23 million`` / ``¥1.23 billion`` in English.
    """
    if abs(fen) < _LARGE_FROM_FEN:
        return format_yuan_exact(fen)
    units = _ZH_UNITS if lang == "zh" else _EN_UNITS
    sign = "-" if fen < 0 else ""
    for size, suffix in units:
        if abs(fen) >= size:
            value = (Decimal(abs(fen)) / size).quantize(_CENT, rounding=ROUND_HALF_UP)
            return f"{sign}¥{value:,.2f}{suffix}"
    return format_yuan_exact(fen)  # pragma: no cover - the smallest unit is below the threshold


def format_percent(ratio: Decimal | None, places: int = 2, lang: Lang = DEFAULT_LANG) -> str:
    """A ratio as a percentage: ``Decimal("0.2")`` → ``20.00%``; None → a dash."""
    if ratio is None:
        return translate("value.none", lang)
    quantum = Decimal(1).scaleb(-places)
    return f"{(ratio * 100).quantize(quantum, rounding=ROUND_HALF_UP)}%"


__all__ = [
    "DEFAULT_LANG",
    "HTML_LANG",
    "LANG_COOKIE",
    "MESSAGES",
    "SUPPORTED_LANGS",
    "Lang",
    "format_count",
    "format_percent",
    "format_yuan",
    "format_yuan_exact",
    "other_lang",
    "parse_lang",
    "resolve_lang",
    "translate",
]
