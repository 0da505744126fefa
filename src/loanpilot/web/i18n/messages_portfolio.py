"""Messages of the portfolio pages (zh/en)."""

from __future__ import annotations

PORTFOLIO: dict[str, dict[str, str]] = {}
