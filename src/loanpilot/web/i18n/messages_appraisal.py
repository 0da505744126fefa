"""Messages of the appraisal pages (zh/en)."""

from __future__ import annotations

APPRAISAL: dict[str, dict[str, str]] = {}
