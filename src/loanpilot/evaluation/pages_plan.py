"""Console pages of the generated marketing work plans (营销工作方案)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
