"""Console pages of the daily close and five-category classification."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
