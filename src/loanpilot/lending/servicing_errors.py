"""Refusals of servicing, each with a stable code, the situation it names and the values its
text needs, so every surface can say it in its reader's language.

The JSON API sends the English ``message`` and the ``code``; the console translates
``servicing.error.<code>`` (``servicing.error.<code>.<variant>`` when one code covers several
situations, e.g. ``repayment.date.after_today``) from ``web/i18n/messages_servicing.py``, filling
its ``{placeholders}`` from ``params``. Codes are literal at every call (a test reads them from
the source and checks that each has its Chinese and English text, with no placeholder the call
does not give). The classes subclass the ``kit.errors`` ones, so the status codes (409, 422,
404) and every ``except ConflictError`` stay as they are.

Pure: imports ``kit`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loanpilot.kit.errors import (
    ConflictError,
    DomainError,
    FieldProblem,
    NotFoundError,
    ValidationError,
)

KEY_PREFIX = "servicing.error."


@dataclass
class RefusedError(ConflictError):
    """RefusedError by the state of the loan or the payment (409)."""

    variant: str = ""
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class InvalidError(ValidationError):
    """An input that is not valid (422); ``problems`` names the field."""

    variant: str = ""
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class MissingError(NotFoundError):
    """A loan or payment that does not exist (404)."""

    variant: str = ""
    params: dict[str, str] = field(default_factory=dict)


def _text(params: dict[str, object]) -> dict[str, str]:
    return {k: str(v) for k, v in params.items()}


def refused(code: str, message: str, /, *, variant: str = "", **params: object) -> RefusedError:
    return RefusedError(code, message, [], variant, _text(params))


def invalid(
    code: str, field_name: str, message: str, /, *, variant: str = "", **params: object
) -> InvalidError:
    return InvalidError(code, message, [FieldProblem(field_name, message)], variant, _text(params))


def missing(code: str, message: str, /, *, variant: str = "", **params: object) -> MissingError:
    return MissingError(code, message, [], variant, _text(params))


def message_key(exc: DomainError) -> str:
    """The translation key of ``exc``: ``servicing.error.<code>[.<variant>]``."""
    variant = getattr(exc, "variant", "")
    return f"{KEY_PREFIX}{exc.code}" + (f".{variant}" if variant else "")


def message_params(exc: DomainError) -> dict[str, str]:
    """The values the translated text of ``exc`` fills in (none for a foreign error)."""
    params: dict[str, str] = getattr(exc, "params", {})
    return dict(params)
