"""The service API: surveys, responses, analysis, SLA breaches, quality reviews."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
