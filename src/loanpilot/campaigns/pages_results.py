"""The campaign results pages (issue 6): funnel, incremental lift, ROI and A/B tests."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
