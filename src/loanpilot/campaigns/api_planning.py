"""The campaign planning API (issue 6): optimised target lists and their export."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
