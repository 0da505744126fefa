"""The segments pages (客群细分, issue 6): runs, segment profiles and the band edges."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
