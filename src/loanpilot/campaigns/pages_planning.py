"""The campaign planning pages (issue 6): the optimiser's plan, the list and its export."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
