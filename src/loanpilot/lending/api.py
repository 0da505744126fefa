"""The lending API: the application workflow (transitions, maker-checker approvals)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
