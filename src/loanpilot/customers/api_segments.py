"""The segments API (issue 6): segmentation runs, segments and their profiles."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
