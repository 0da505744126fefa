"""Console pages of feedback tickets and improvement actions."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
