"""Messages of the work-plan pages and the generated work plan (zh/en)."""

from __future__ import annotations

PLAN: dict[str, dict[str, str]] = {}
