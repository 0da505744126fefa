"""Console pages of the application workflow: pipeline, application, approvals."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
