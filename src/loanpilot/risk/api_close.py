"""The daily close API: runs, snapshots, classification overrides."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
