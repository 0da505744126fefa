"""Recording a workflow transition: the one way an application or a loan changes stage.

``transition`` asks the pure state machine (``lending.workflow.next_stage``) whether the move is
allowed (a ConflictError naming what is allowed otherwise), then writes a ``workflow_events`` row
and an audit row with the same instant. It does not set the entity's own status column: the caller
does that with the stage returned, in the same transaction. Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.audit.service import record
from loanpilot.lending.models import WorkflowEvent
from loanpilot.lending.workflow import Action, Stage, next_stage


def transition(
    session: Session,
    *,
    entity: str,
    entity_id: int,
    entity_label: str,
    stage: Stage | str,
    action: Action | str,
    now: datetime,
    actor_id: int | None = None,
    actor_label: str = "system",
    note: str | None = None,
    client_address: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> Stage:
    """Move ``entity`` (``application`` or ``loan``) from ``stage`` by ``action``; the new stage.

    ``entity_label`` is the business number the audit log shows (application or loan number);
    ``detail`` adds to the audit row's detail (no personal data).
    """
    if entity not in ("application", "loan"):
        raise ValueError(f"entity must be 'application' or 'loan', got {entity!r}")
    target = next_stage(stage, action)
    act = Action(action)
    session.add(
        WorkflowEvent(
            entity=entity,
            entity_id=entity_id,
            action=act.value,
            from_stage=Stage(stage).value,
            to_stage=target.value,
            at=now,
            actor_id=actor_id,
            actor_label=actor_label,
            note=note,
        )
    )
    record(
        session,
        action=f"{entity}.{act.value}",
        actor_label=actor_label,
        actor_staff_id=actor_id,
        entity=entity,
        entity_id=entity_label,
        detail={"from": Stage(stage).value, "to": target.value, **(detail or {})},
        client_address=client_address,
        at=now,
    )
    session.flush()
    return target


def history(session: Session, entity: str, entity_id: int) -> list[WorkflowEvent]:
    """Every recorded transition of one application or loan, oldest first."""
    return list(
        session.scalars(
            select(WorkflowEvent)
            .where(WorkflowEvent.entity == entity, WorkflowEvent.entity_id == entity_id)
            .order_by(WorkflowEvent.at, WorkflowEvent.id)
        )
    )


def current_stage(session: Session, entity: str, entity_id: int, fallback: Stage | str) -> Stage:
    """The stage the last recorded transition left ``entity`` in; ``fallback`` (its status
    column) when none was recorded (rows that predate the workflow, e.g. the demo bank's).

    A loan's status column says repaying while it is in collections; this says in_collections.
    """
    last = session.scalar(
        select(WorkflowEvent.to_stage)
        .where(WorkflowEvent.entity == entity, WorkflowEvent.entity_id == entity_id)
        .order_by(WorkflowEvent.at.desc(), WorkflowEvent.id.desc())
        .limit(1)
    )
    return Stage(last if last is not None else fallback)
