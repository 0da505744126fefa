"""One typed error hierarchy, translated once per surface (JSON, console, portal, CLI)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Self


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one input field, located as precisely as the input allows.

    ``value`` is the offending input, for surfaces that show it masked (import reject files). It
    may be personal data (JR/T 0171 C2: an ID or phone number), so it is left out of ``repr`` and
    ``str`` and never sent by the JSON API: a raw value cannot reach a log or a traceback this way.
    ``message`` must not repeat it either.
    """

    field: str
    message: str
    row: int | None = None
    source: str | None = None
    # Spelled ``dataclasses.field``: ``field`` is also the name of the first attribute.
    value: str | None = dataclasses.field(default=None, repr=False)

    def location(self) -> str:
        """Human-readable location: ``file, row 12, column id_number``."""
        parts: list[str] = []
        if self.source:
            parts.append(self.source)
        if self.row is not None:
            parts.append(f"row {self.row}")
        parts.append(f"column {self.field}" if self.row is not None else self.field)
        return ", ".join(parts)

    def __str__(self) -> str:
        """Location and message only; never ``value``."""
        return f"{self.location()}: {self.message}"

    def public(self) -> dict[str, str | int | None]:
        """What may be shown to any client: everything but ``value``."""
        return {
            "field": self.field,
            "message": self.message,
            "row": self.row,
            "source": self.source,
        }


@dataclass(frozen=True)
class CodedProblem(FieldProblem):
    """A field problem with a stable ``code`` (a key of its area's catalogue) and the values its
    text needs (``params``, sorted by name), so a page can show it in the reader's language.

    Each area subclasses it once (``class Problem(CodedProblem)``) so that its pages, which look a
    code up under their own prefix (``campaigns.problem.<code>``), recognise only their own problems.
    """

    code: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def public(self) -> dict[str, str | int | None]:
        return {**super().public(), "code": self.code}

    @classmethod
    def of(
        cls,
        catalogue: Mapping[str, str],
        field: str,
        code: str,
        params: Mapping[str, object],
        /,
        *,
        row: int | None = None,
        source: str | None = None,
    ) -> Self:
        """The problem ``code`` of ``field`` (at ``row`` of ``source``): its English text is
        ``catalogue[code]`` filled from ``params``, each value as ``str``."""
        values = {k: str(v) for k, v in params.items()}
        return cls(
            field,
            catalogue[code].format(**values),
            row,
            source,
            code=code,
            params=tuple(sorted(values.items())),
        )


@dataclass
class DomainError(Exception):
    """Base of every error LoanPilot raises on purpose.

    ``code`` is a stable machine-readable identifier (``customer.not_found``); ``message`` is for
    people. ``problems`` lists every field problem when validation collected several.
    """

    code: str
    message: str
    problems: list[FieldProblem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        lines = [self.message, *(f"  - {p}" for p in self.problems)]
        return "\n".join(lines)


class ValidationError(DomainError):
    """Input failed validation; ``problems`` lists every problem found, not just the first."""


class NotFoundError(DomainError):
    """A referenced record does not exist."""


class ConflictError(DomainError):
    """The request conflicts with the current state (duplicate, illegal transition...)."""


class AuthenticationError(DomainError):
    """Who is asking is not known: no or bad credentials, an expired or forged session."""


class PermissionDeniedError(DomainError):
    """The caller is known but may not do this (role, branch or customer scope, read-only)."""


class RateLimitedError(DomainError):
    """Too many requests from one client address; ``retry_after`` seconds until the next."""

    retry_after: int = 60


class ConfigurationError(DomainError):
    """Settings are missing or unsafe."""


class ImportFileError(DomainError):
    """An import file cannot be read at all (empty, truncated, wrong encoding, unknown column)."""


class ProblemCollector:
    """Collects problems during validation, then raises once."""

    def __init__(self, source: str | None = None) -> None:
        self.source = source
        self.problems: list[FieldProblem] = []

    def add(
        self, field: str, message: str, *, row: int | None = None, value: str | None = None
    ) -> None:
        self.problems.append(FieldProblem(field, message, row, self.source, value))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, code: str = "validation.failed", message: str = "Invalid input") -> None:
        if self.problems:
            raise ValidationError(code, message, list(self.problems))
