"""Writing audit records. Adds and flushes; the caller's entry point owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from loanpilot.audit.models import AuditLog


def record(
    session: Session,
    *,
    action: str,
    actor_label: str = "system",
    actor_staff_id: int | None = None,
    entity: str = "",
    entity_id: str | None = None,
    detail: dict[str, Any] | None = None,
    client_address: str | None = None,
    outcome: str = "ok",
    at: datetime,
) -> AuditLog:
    """Add one audit row and flush it (never commits).

    ``detail`` must hold no personal data in clear; ``outcome`` is ``ok``, ``denied`` or ``failed``.
    """
    entry = AuditLog(
        at=at,
        actor_staff_id=actor_staff_id,
        actor_label=actor_label,
        action=action,
        entity=entity,
        entity_id=entity_id,
        client_address=client_address,
        detail=dict(detail) if detail else {},
        outcome=outcome,
    )
    session.add(entry)
    session.flush()
    return entry
