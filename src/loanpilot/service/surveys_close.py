"""The daily close step that sends the surveys due after milestones (disbursed, 30 days after,
settled, complaint closed)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.service.sending import send_due


def after_close(session: Session, as_of: date, now: datetime) -> dict[str, int]:
    """Send the invitations due on ``as_of``; idempotent for one day. Counts what it sent by
    trigger (``surveys_disbursed``, ``surveys_disbursed_30d``, ``surveys_settled``,
    ``surveys_complaint_closed``)."""
    return {f"surveys_{trigger}": n for trigger, n in send_due(session, as_of, now).items()}
