"""Messages of the alerts pages (zh/en)."""

from __future__ import annotations

ALERTS: dict[str, dict[str, str]] = {}
