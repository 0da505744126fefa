"""Console pages of collections: the queue and a case."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
