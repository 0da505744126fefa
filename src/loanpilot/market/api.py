"""The market API: market sizes, our share, competitors and their products."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
