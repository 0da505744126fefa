"""Messages of the offers pages (zh/en, issue 6)."""

from __future__ import annotations

OFFERS: dict[str, dict[str, str]] = {}
