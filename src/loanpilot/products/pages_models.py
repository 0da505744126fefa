"""The marketing models pages (营销模型, issue 6): the registered propensity and uplift models with
their metrics, and one model's page with its lift / gains table and cumulative-gains chart.

Viewing needs ``marketing:read``. Metrics are read from what the registry stores: a model fitted by
``loanpilot propensity fit --register`` keeps its chosen learner, CV scores and out-of-fold lift and
gains tables; other writers may keep fewer figures, and the page shows what is there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep
from loanpilot.products import marketing_models
from loanpilot.products.models_offers import MarketingModel
from loanpilot.web.auth import require
from loanpilot.web.render import render

router = APIRouter(include_in_schema=False)
LEARNERS = ("logistic", "lightgbm", "blend")
GAINS_COLUMNS = ("decile", "count", "positives", "rate", "lift", "cum_gains_pct", "cum_lift")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def chosen_learner(row: MarketingModel) -> str | None:
    """The learner the model uses (``logistic``, ``lightgbm``, ``blend``, an uplift learner)."""
    metrics, art = row.metrics or {}, row.artefact or {}
    inner = art.get("model")
    sources: list[Mapping[str, Any]] = [metrics, art, inner if isinstance(inner, Mapping) else {}]
    for source in sources:
        for key in ("chosen", "learner"):
            if isinstance(source.get(key), str):
                return str(source[key])
    return None


def cv_auc(row: MarketingModel) -> float | None:
    """The chosen learner's mean cross-validated AUC, however the writer recorded it."""
    metrics, art = row.metrics or {}, row.artefact or {}
    chosen = chosen_learner(row)
    value = metrics.get("cv_auc")
    if _number(value) is not None:
        return _number(value)
    if isinstance(value, Mapping) and chosen in value:
        picked = value[chosen]
        return _number(picked.get("mean") if isinstance(picked, Mapping) else picked)
    for scores in (metrics.get("cv_scores"), art.get("cv_scores")):
        if isinstance(scores, Mapping) and isinstance(scores.get(chosen), Mapping):
            return _number(scores[chosen].get("mean"))
    return None


def gains_rows(row: MarketingModel) -> list[dict[str, Any]]:
    """The stored gains table (list of per-decile records), or an empty list."""
    for source in (row.metrics or {}, row.artefact or {}):
        table = source.get("gains")
        if isinstance(table, list) and table and all(isinstance(r, Mapping) for r in table):
            return [{c: r.get(c) for c in GAINS_COLUMNS} for r in table]
    return []


def _summary(row: MarketingModel) -> dict[str, Any]:
    return {
        "row": row,
        "label": f"{row.name}@{row.version}",
        "chosen": chosen_learner(row),
        "cv_auc": cv_auc(row),
    }


@router.get("/console/offers/models")
def models_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> Response:
    """Every registered propensity and uplift model, by name and newest version first."""
    rows = [_summary(r) for r in marketing_models.list_models(session)]
    return render(request, "console/models/index.html", {"models": rows, "learners": LEARNERS})


@router.get("/console/offers/models/{model_id:int}")
def model_page(
    model_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> Response:
    """One model: its facts, scalar metrics, lift / gains table and cumulative-gains chart."""
    row = marketing_models.get_model(session, model_id)
    gains = gains_rows(row)
    scalars = {
        k: v for k, v in (row.metrics or {}).items() if _number(v) is not None or isinstance(v, str)
    }
    chart = {
        "population": [0.0] + [100.0 * float(r["decile"] or 0) / len(gains) for r in gains],
        "gains": [0.0] + [float(r["cum_gains_pct"] or 0) for r in gains],
    }
    return render(
        request,
        "console/models/model.html",
        {
            "model": _summary(row),
            "gains": gains,
            "scalars": scalars,
            "chart": chart,
            "learners": LEARNERS,
        },
    )
