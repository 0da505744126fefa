"""Messages of the lending pages (zh/en)."""

from __future__ import annotations

LENDING: dict[str, dict[str, str]] = {}
