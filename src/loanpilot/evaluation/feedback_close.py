"""The daily close step that turns the day's low-score survey comments into complaint tickets."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.evaluation.feedback import from_surveys


def after_close(session: Session, as_of: date, now: datetime) -> dict[str, int]:
    """Tickets from the comments of responses submitted on ``as_of``; idempotent for one day."""
    return {"feedback_tickets": from_surveys(session, as_of, now)["created"]}
