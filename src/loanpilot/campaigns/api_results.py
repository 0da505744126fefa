"""The campaign results API (issue 6): funnel, incremental lift, ROI, A/B tests, attribution."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
