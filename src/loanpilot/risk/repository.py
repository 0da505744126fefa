"""SQL of the risk area's decisions and the applications they concern. The model registry and
the policy versions keep their few queries beside their rules (``registry.py``,
``policy_store.py``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.lending.models import Application, ApplicationStatus
from loanpilot.risk.models import Decision

_NEWEST = (Decision.decided_at.desc(), Decision.id.desc())


def latest_decision(session: Session, application_id: int) -> Decision | None:
    return session.scalars(
        select(Decision)
        .where(Decision.application_id == application_id)
        .order_by(*_NEWEST)
        .limit(1)
    ).first()


def latest_decisions(session: Session, application_ids: Collection[int]) -> dict[int, Decision]:
    """The latest decision of each application, in one query."""
    if not application_ids:
        return {}
    out: dict[int, Decision] = {}
    rows = session.scalars(
        select(Decision)
        .where(Decision.application_id.in_(list(application_ids)))
        .order_by(*_NEWEST)
    )
    for row in rows:
        out.setdefault(row.application_id, row)
    return out


def decisions_of(session: Session, application_id: int) -> list[Decision]:
    """Every decision on an application, newest first (automatic, then any manual review)."""
    return list(
        session.scalars(
            select(Decision).where(Decision.application_id == application_id).order_by(*_NEWEST)
        )
    )


def applications_in(
    session: Session, statuses: Collection[ApplicationStatus], limit_rows: int
) -> list[Application]:
    """Applications in these statuses, longest waiting first."""
    return list(
        session.scalars(
            select(Application)
            .where(Application.status.in_(list(statuses)))
            .order_by(Application.review_started_at, Application.id)
            .limit(limit_rows)
        )
    )


def pending_application_ids(session: Session, limit_rows: int) -> list[int]:
    """Submitted applications that have no decision yet, oldest first."""
    return list(
        session.scalars(
            select(Application.id)
            .where(
                Application.status == ApplicationStatus.SUBMITTED,
                Application.submitted_at.is_not(None),
            )
            .order_by(Application.id)
            .limit(limit_rows)
        )
    )


def scores_of_model(
    session: Session, label: str, since: datetime | None = None
) -> list[tuple[datetime, int]]:
    """(decided at, score) of the decisions model ``label`` made (since ``since`` if given)."""
    query = select(Decision.decided_at, Decision.score).where(
        Decision.model_version == label, Decision.score.is_not(None)
    )
    if since is not None:
        query = query.where(Decision.decided_at >= since)
    return [(at, score) for at, score in session.execute(query) if score is not None]
