"""The next-best-offer API (issue 6): offer runs and each customer's ranked offers."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
