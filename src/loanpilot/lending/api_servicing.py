"""The servicing API: loans, schedules, repayments, prepayments, reversals."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
