"""The marketing-model registry on SQLite and PostgreSQL: versions, one active per name, errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.audit.models import AuditLog
from loanpilot.kit.errors import NotFoundError, ValidationError
from loanpilot.products import marketing_models
from loanpilot.products.models_offers import MarketingModel, ModelKind, ModelStatus

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
SHA = "a" * 64


def _register(session: Session, name: str = "response", **kw: object) -> MarketingModel:
    args: dict[str, object] = {
        "kind": ModelKind.PROPENSITY,
        "name": name,
        "target": "responded",
        "artefact": {"format": "loanpilot.propensity", "chosen": "logistic"},
        "metrics": {"cv_auc": 0.71},
        "data_sha256": SHA,
        "now": NOW,
    }
    return marketing_models.register(session, **{**args, **kw})  # type: ignore[arg-type]


def test_versions_and_one_active_per_name(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        first = _register(session)
        second = _register(session)
        other = _register(session, name="attrition", kind="propensity")
        kept = _register(session, activate=False)
        session.commit()
        assert (first.version, second.version, other.version, kept.version) == (1, 2, 1, 3)
    with session_factory() as session:
        rows = {(r.name, r.version): r.status for r in marketing_models.list_models(session)}
        assert rows == {
            ("attrition", 1): ModelStatus.ACTIVE,
            ("response", 3): ModelStatus.RETIRED,
            ("response", 2): ModelStatus.ACTIVE,
            ("response", 1): ModelStatus.RETIRED,
        }
        active = marketing_models.active(session, "response")
        assert active is not None
        assert active.version == 2
        assert marketing_models.active(session, "nothing") is None
        assert marketing_models.get_model(session, active.id).artefact["chosen"] == "logistic"
        audits = session.scalars(
            select(AuditLog.entity_id).where(AuditLog.action == "marketing_model.registered")
        ).all()
        assert sorted(audits) == ["attrition@1", "response@1", "response@2", "response@3"]


def test_every_problem_reported_and_nothing_written(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        with pytest.raises(ValidationError) as caught:
            _register(
                session,
                name="bad name!",
                kind="clusters",
                target="",
                data_sha256="xyz",
                metrics={"auc": float("nan")},
            )
        fields = sorted(p.field for p in caught.value.problems)
        assert fields == ["data_sha256", "kind", "metrics", "name", "target"]
        assert "kind must be one of ['propensity', 'uplift'], got 'clusters'" in str(caught.value)
        assert session.scalars(select(MarketingModel)).all() == []
        with pytest.raises(NotFoundError, match="no marketing model with id 999"):
            marketing_models.get_model(session, 999)
