"""Messages of the customer-service pages and the survey form (zh/en)."""

from __future__ import annotations

SERVICE: dict[str, dict[str, str]] = {}
