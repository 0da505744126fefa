"""The work-plan API: generate and fetch the marketing work plan."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
