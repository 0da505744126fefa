"""Console pages of market analysis: sizes, share, competitors, rate positioning."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
