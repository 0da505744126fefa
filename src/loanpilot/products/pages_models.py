"""The marketing models pages (营销模型, issue 6): propensity and uplift models with their metrics."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
