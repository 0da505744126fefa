"""Messages of the market-analysis pages (zh/en)."""

from __future__ import annotations

MARKET: dict[str, dict[str, str]] = {}
