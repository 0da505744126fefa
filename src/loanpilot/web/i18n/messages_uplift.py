"""Messages of the uplift pages (zh/en, issue 6)."""

from __future__ import annotations

UPLIFT: dict[str, dict[str, str]] = {}
