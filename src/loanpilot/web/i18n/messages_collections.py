"""Messages of the collections pages (zh/en)."""

from __future__ import annotations

COLLECTIONS: dict[str, dict[str, str]] = {}
