"""The early-warning API: alerts, rules, monitoring tasks."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
