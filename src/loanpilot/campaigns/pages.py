"""The campaign pages (营销活动, issue 6): list, plan, edit, budget burn and spend."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
