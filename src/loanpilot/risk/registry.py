"""The model registry: fitted credit models with their artefacts, status and recorded actions.

A model is registered as a challenger; promotion makes it the champion of its name (the champion
before it is retired), and retiring takes it out of use. Each action is a row of
``credit_model_events`` and an audit entry. The artefact's content hash is checked when a model is
registered and again whenever it is loaded, so an artefact edited in the database is refused
rather than scored. Loaded cards are cached per content hash (they are immutable).
Services flush; the caller commits.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.analytics.scorecard import Scorecard
from loanpilot.analytics.scorecard_artefact import ArtefactError, content_sha256, from_artefact
from loanpilot.audit.service import record
from loanpilot.kit.errors import ConflictError, NotFoundError, ValidationError
from loanpilot.risk.features import application_feature_names
from loanpilot.risk.models import CreditModel, CreditModelEvent, ModelKind, ModelStatus
from loanpilot.risk.policy_store import APPLICATION_MODEL

_CACHE: dict[str, Scorecard] = {}
_LOCK = threading.Lock()
_CACHE_MAX = 16


def load_scorecard(artefact: Mapping[str, Any]) -> Scorecard:
    """The scorecard of an artefact (checked; cached by content hash)."""
    # The cache key is the hash of the content as it is now, not the one it claims: an artefact
    # edited in the database never finds the genuine card in the cache.
    key = content_sha256(artefact)
    if key != artefact.get("content_sha256"):
        raise ValidationError(
            "model.artefact",
            "the model's artefact does not match its hash: it was edited after it was saved",
        )
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    try:
        card = from_artefact(artefact)
    except ArtefactError as exc:
        raise ValidationError("model.artefact", str(exc)) from None
    with _LOCK:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = card
    return card


def models(session: Session) -> list[CreditModel]:
    """Every registered model, newest first."""
    return list(session.scalars(select(CreditModel).order_by(CreditModel.id.desc())))


def get_model(session: Session, model_id: int) -> CreditModel:
    row = session.get(CreditModel, model_id)
    if row is None:
        raise NotFoundError("model.not_found", f"No credit model with id {model_id}")
    return row


def events(session: Session, model_id: int) -> list[CreditModelEvent]:
    return list(
        session.scalars(
            select(CreditModelEvent)
            .where(CreditModelEvent.model_id == model_id)
            .order_by(CreditModelEvent.id)
        )
    )


def report_html(session: Session, model_id: int) -> str | None:
    """The HTML model report kept with a model (a deferred column, read only when asked for)."""
    return session.scalar(select(CreditModel.report_html).where(CreditModel.id == model_id))


def champion(session: Session, name: str) -> CreditModel | None:
    return session.scalars(
        select(CreditModel).where(
            CreditModel.name == name, CreditModel.status == ModelStatus.CHAMPION
        )
    ).first()


def _event(
    session: Session,
    row: CreditModel,
    action: str,
    before: ModelStatus | None,
    *,
    by_id: int | None,
    actor_label: str,
    now: datetime,
    note: str | None,
) -> None:
    session.add(
        CreditModelEvent(
            model_id=row.id,
            action=action,
            from_status=None if before is None else before.value,
            to_status=row.status.value,
            at=now,
            by_id=by_id,
            note=note,
        )
    )
    session.flush()
    record(
        session,
        action=f"model.{action}",
        actor_label=actor_label,
        actor_staff_id=by_id,
        entity="credit_model",
        entity_id=row.label,
        detail={"from": None if before is None else before.value, "to": row.status.value},
        at=now,
    )


def register(
    session: Session,
    artefact: Mapping[str, Any],
    *,
    by_id: int | None,
    actor_label: str,
    now: datetime,
    note: str | None = None,
    report_html: str | None = None,
) -> CreditModel:
    """Register a scorecard artefact as a challenger (refused if tampered or already there),
    with its HTML model report when there is one."""
    card = load_scorecard(artefact)
    model = artefact["model"]
    name, version = str(model["name"]), str(model["version"])
    taken = session.scalars(
        select(CreditModel.id).where(CreditModel.name == name, CreditModel.version == version)
    ).first()
    if taken is not None:
        raise ConflictError(
            "model.exists", f"Model {name}@{version} is already registered; fit a new version"
        )
    row = CreditModel(
        name=name,
        version=version,
        kind=ModelKind.SCORECARD,
        status=ModelStatus.CHALLENGER,
        artefact=dict(artefact),
        content_sha256=str(artefact["content_sha256"]),
        data_sha256=str(artefact["training"]["data_sha256"]),
        metrics=dict(artefact.get("metrics") or {}),
        registered_at=now,
        registered_by_id=by_id,
        note=(note or "").strip() or None,
        report_html=report_html,
    )
    session.add(row)
    session.flush()
    _event(
        session, row, "registered", None, by_id=by_id, actor_label=actor_label, now=now, note=note
    )
    del card
    return row


def promote(
    session: Session,
    model_id: int,
    *,
    by_id: int | None,
    actor_label: str,
    now: datetime,
    note: str | None = None,
) -> CreditModel:
    """Make a challenger the champion of its name; the previous champion is retired."""
    row = get_model(session, model_id)
    if row.status is not ModelStatus.CHALLENGER:
        raise ConflictError(
            "model.not_challenger",
            f"Model {row.label} is {row.status.value}; only a challenger can be promoted",
        )
    card = load_scorecard(row.artefact)  # refuses a tampered artefact before it decides anything
    if row.name == APPLICATION_MODEL:
        absent = sorted(set(card.variables_) - set(application_feature_names()))
        if absent:
            raise ConflictError(
                "model.features",
                f"Model {row.label} reads {absent}, which the application features do not "
                "provide; only a card fitted on application features can decide applications",
            )
    previous = champion(session, row.name)
    if previous is not None:
        previous.status = ModelStatus.RETIRED
        session.flush()
        _event(
            session, previous, "retired", ModelStatus.CHAMPION, by_id=by_id,
            actor_label=actor_label, now=now, note=f"replaced by {row.label}",
        )  # fmt: skip
    row.status = ModelStatus.CHAMPION
    session.flush()
    _event(
        session, row, "promoted", ModelStatus.CHALLENGER, by_id=by_id, actor_label=actor_label,
        now=now, note=note,
    )  # fmt: skip
    return row


def retire(
    session: Session,
    model_id: int,
    *,
    by_id: int | None,
    actor_label: str,
    now: datetime,
    note: str | None = None,
) -> CreditModel:
    """Take a challenger out of use (a champion is replaced by promoting another, never left
    without one)."""
    row = get_model(session, model_id)
    if row.status is not ModelStatus.CHALLENGER:
        raise ConflictError(
            "model.not_challenger",
            f"Model {row.label} is {row.status.value}; only a challenger can be retired "
            "(promote another model to replace a champion)",
        )
    row.status = ModelStatus.RETIRED
    session.flush()
    _event(
        session, row, "retired", ModelStatus.CHALLENGER, by_id=by_id, actor_label=actor_label,
        now=now, note=note,
    )  # fmt: skip
    return row
