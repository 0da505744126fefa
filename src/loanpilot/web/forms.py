"""Small helpers the console's hand-read forms share."""

from __future__ import annotations

from loanpilot.kit.errors import FieldProblem
from loanpilot.products.rules import parse_yuan


def optional_yuan(text: str, field: str, problems: list[FieldProblem], message: str) -> int | None:
    """An optional amount typed in yuan, as fen: None when left empty; when it is not a positive
    amount, ``message`` is added to ``problems`` for ``field`` and None returned."""
    if not text.strip():
        return None
    try:
        fen = parse_yuan(text)
    except ValueError:
        fen = 0
    if fen <= 0:
        problems.append(FieldProblem(field, message))
        return None
    return fen
