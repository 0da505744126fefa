"""The KPI API: values by period and dimension, targets."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
