"""The portal form where anyone sends the bank a complaint, suggestion or question (channel online)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
