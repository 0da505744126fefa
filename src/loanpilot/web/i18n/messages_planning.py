"""Messages of the planning pages (zh/en, issue 6)."""

from __future__ import annotations

PLANNING: dict[str, dict[str, str]] = {}
