"""Messages of the close pages (zh/en)."""

from __future__ import annotations

CLOSE: dict[str, dict[str, str]] = {}
