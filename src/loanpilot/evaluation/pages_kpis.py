"""The KPI dashboard (指标体系) in the console."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
