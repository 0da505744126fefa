"""The team API: portfolios and reassignment, training, certificates, mentors, rotations."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
