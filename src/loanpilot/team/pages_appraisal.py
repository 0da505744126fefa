"""Console pages of the appraisal: plans, ratings, runs, scores explained line by line."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
