"""Post-loan monitoring tasks and the monthly behavioural score."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session


def after_close(session: Session, as_of: date, now: datetime) -> dict[str, int]:
    """The daily close's step of this module (``risk.close_steps``): what it did, counted."""
    return {}
