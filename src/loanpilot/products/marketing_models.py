"""The marketing-model registry: versioned propensity and uplift models (JSON artefacts).

``register`` stores a fitted model under ``name`` as the next version (1, 2, ...) with its artefact
(never a pickle), metrics and the SHA-256 of the data it was fitted on; with ``activate`` (the
default) it becomes the active version of that name and the one active before it is retired, so
at most one version of a name is active. Without ``activate`` the new version is stored retired
(kept for the record, not used). Each registration is an audit entry. Services flush; the caller
commits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from loanpilot.audit.service import record
from loanpilot.kit.errors import NotFoundError, ProblemCollector, ValidationError
from loanpilot.products import repository_models as repo
from loanpilot.products.models_offers import MarketingModel, ModelKind, ModelStatus

__all__ = ["active", "get_model", "list_models", "register"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def register(
    session: Session,
    *,
    kind: ModelKind | str,
    name: str,
    target: str,
    artefact: Mapping[str, Any],
    metrics: Mapping[str, Any],
    data_sha256: str,
    now: datetime,
    staff_id: int | None = None,
    activate: bool = True,
) -> MarketingModel:
    """Store the next version of ``name``; see the module docstring. Every problem is reported
    at once (``ValidationError``) and nothing is written then."""
    problems = ProblemCollector()
    kinds = [k.value for k in ModelKind]
    if str(kind) not in kinds:
        problems.add("kind", f"kind must be one of {kinds}, got {kind!r}")
    if not isinstance(name, str) or not _NAME.match(name):
        problems.add("name", f"name must be 1-64 letters, digits, '_', '.' or '-', got {name!r}")
    if not isinstance(target, str) or not 1 <= len(target.strip()) <= 64:
        problems.add("target", f"target must be a column name of 1-64 characters, got {target!r}")
    if not isinstance(data_sha256, str) or not _SHA256.match(data_sha256):
        problems.add(
            "data_sha256", f"data_sha256 must be 64 lowercase hex digits, got {data_sha256!r}"
        )
    for label, value in (("artefact", artefact), ("metrics", metrics)):
        if not isinstance(value, Mapping):
            problems.add(label, f"{label} must be a JSON object, got {type(value).__name__}")
            continue
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            problems.add(label, f"{label} must be JSON-safe (no NaN, no objects): {exc}")
    if not artefact:
        problems.add("artefact", "artefact must not be empty")
    if problems:
        raise ValidationError("model.invalid", "the model cannot be registered", problems.problems)
    if activate:
        repo.retire_active(session, name)
    row = MarketingModel(
        kind=ModelKind(str(kind)),
        name=name,
        version=repo.next_version(session, name),
        status=ModelStatus.ACTIVE if activate else ModelStatus.RETIRED,
        target=target.strip(),
        artefact=dict(artefact),
        metrics=dict(metrics),
        data_sha256=data_sha256,
        trained_at=now,
        trained_by_id=staff_id,
    )
    session.add(row)
    session.flush()
    record(
        session,
        action="marketing_model.registered",
        actor_label="staff" if staff_id is not None else "system",
        actor_staff_id=staff_id,
        entity="marketing_model",
        entity_id=f"{name}@{row.version}",
        detail={"kind": row.kind.value, "status": row.status.value, "target": row.target},
        at=now,
    )
    return row


def active(session: Session, name: str) -> MarketingModel | None:
    """The active version of ``name``, or None."""
    return repo.active(session, name)


def list_models(session: Session, kind: ModelKind | None = None) -> list[MarketingModel]:
    """Every registered model, by name and newest version first."""
    return repo.list_models(session, kind)


def get_model(session: Session, model_id: int) -> MarketingModel:
    """One model by id; ``NotFoundError`` naming the id when there is none."""
    row = repo.get(session, model_id)
    if row is None:
        raise NotFoundError("model.not_found", f"no marketing model with id {model_id}")
    return row
