"""Messages of the campaigns pages (zh/en, issue 6)."""

from __future__ import annotations

CAMPAIGNS: dict[str, dict[str, str]] = {}
