"""The uplift pages (issue 6): learners, Qini and AUUC curves, uplift at k."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
