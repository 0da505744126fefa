"""SQL of the marketing-model registry (``marketing_models``); the caller owns the transaction."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from loanpilot.products.models_offers import MarketingModel, ModelKind, ModelStatus


def next_version(session: Session, name: str) -> int:
    """1 + the highest version registered under ``name`` (1 for a new name)."""
    top = session.scalar(
        select(func.max(MarketingModel.version)).where(MarketingModel.name == name)
    )
    return int(top or 0) + 1


def active(session: Session, name: str) -> MarketingModel | None:
    """The active version of ``name`` (the highest, should there ever be two)."""
    return session.scalars(
        select(MarketingModel)
        .where(MarketingModel.name == name, MarketingModel.status == ModelStatus.ACTIVE)
        .order_by(MarketingModel.version.desc())
        .limit(1)
    ).first()


def retire_active(session: Session, name: str) -> int:
    """Retire every active version of ``name``; the number retired."""
    result = session.execute(
        update(MarketingModel)
        .where(MarketingModel.name == name, MarketingModel.status == ModelStatus.ACTIVE)
        .values(status=ModelStatus.RETIRED)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_models(session: Session, kind: ModelKind | None = None) -> list[MarketingModel]:
    """Every registered model (optionally of one kind): by name, newest version first."""
    query = select(MarketingModel).order_by(MarketingModel.name, MarketingModel.version.desc())
    if kind is not None:
        query = query.where(MarketingModel.kind == kind)
    return list(session.scalars(query))


def get(session: Session, model_id: int) -> MarketingModel | None:
    return session.get(MarketingModel, model_id)
