"""Console pages of servicing: loans, a loan with its schedule and payments."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
