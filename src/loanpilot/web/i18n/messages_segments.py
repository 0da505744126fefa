"""Messages of the segments pages (zh/en, issue 6)."""

from __future__ import annotations

SEGMENTS: dict[str, dict[str, str]] = {}
