"""The appraisal API: plans, ratings, runs and explained scores."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
