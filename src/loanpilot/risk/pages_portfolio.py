"""Console pages of portfolio analytics (ECharts)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
