"""The feedback API: tickets, topics, improvement actions."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
