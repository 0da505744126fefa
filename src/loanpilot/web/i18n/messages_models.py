"""Messages of the models pages (zh/en, issue 6)."""

from __future__ import annotations

MODELS: dict[str, dict[str, str]] = {}
