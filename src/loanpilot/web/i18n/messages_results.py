"""Messages of the results pages (zh/en, issue 6)."""

from __future__ import annotations

RESULTS: dict[str, dict[str, str]] = {}
