"""Console pages of the team: portfolios, training, certificates, mentors, rotations."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
