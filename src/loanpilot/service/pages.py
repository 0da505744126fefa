"""Console pages of customer service: surveys, results, SLAs, quality reviews."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
