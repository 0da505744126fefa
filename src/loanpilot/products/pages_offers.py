"""The next-best-offer pages (产品推荐, issue 6): offer runs, a customer's offers and reasons."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
