"""Console pages of early warning and post-loan monitoring."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
