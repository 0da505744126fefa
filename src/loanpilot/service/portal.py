"""The portal form where a customer answers a survey (opened by its token)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
