"""Messages of the KPI dashboard (zh/en)."""

from __future__ import annotations

KPIS: dict[str, dict[str, str]] = {}
