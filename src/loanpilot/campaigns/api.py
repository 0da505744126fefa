"""The campaigns API (issue 6): campaigns with goals, places, windows, budget and spend."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
