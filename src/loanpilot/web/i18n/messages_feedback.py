"""Messages of the feedback and improvement pages (zh/en)."""

from __future__ import annotations

FEEDBACK: dict[str, dict[str, str]] = {}
