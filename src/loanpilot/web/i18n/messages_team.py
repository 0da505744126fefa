"""Messages of the team pages (zh/en)."""

from __future__ import annotations

TEAM: dict[str, dict[str, str]] = {}
