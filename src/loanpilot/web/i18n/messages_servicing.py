"""Messages of the servicing pages (zh/en)."""

from __future__ import annotations

SERVICING: dict[str, dict[str, str]] = {}
