"""Console pages of risk: the model registry (promote, retire, fit a new scorecard on an uploaded
file), a model's page (metrics, recorded actions, variables and bins, PSI over time, downloads).
The policy editor and the manual-review queue are in ``pages_policies`` and ``pages_reviews``;
their routers are included here, so the application mounts one module.

Fitting from the console: the uploaded file (personal data) is written only into a temporary
directory that is deleted when the fit ends, whatever the outcome; the model is registered as a
challenger from its artefact, and nothing else of the file is kept (the artefact records the file
name and the training data's hash). The upload is bounded by ``Settings.max_upload_bytes``
(64 MiB by default; the ``BodyLimit`` guard gives this one path that limit and answers 413 beyond
it; every other request keeps ``max_body_bytes``).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from loanpilot.access.rules import Permission, Principal
from loanpilot.analytics.scorecard import Scorecard
from loanpilot.analytics.stability import SHIFT_ABOVE, STABLE_BELOW
from loanpilot.app import EntityId, SessionDep
from loanpilot.config import Settings
from loanpilot.kit.errors import (
    ConflictError,
    DomainError,
    FieldProblem,
    NotFoundError,
    ValidationError,
)
from loanpilot.risk import modelling, pages_policies, pages_reviews, policy_store, registry, views
from loanpilot.risk.features import feature_label
from loanpilot.risk.models import CreditModel
from loanpilot.team.repository import staff_names
from loanpilot.web.auth import clock, require
from loanpilot.web.i18n import Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)

#: A model name or version: letters (any script), digits, ``_``, ``.`` and ``-`` (``@`` joins them).
_NAME = re.compile(r"^[\w.-]{1,64}$")
_UPLOAD_SUFFIXES = (".csv", ".txt", ".xlsx")
_FIT_FIELDS = ("target", "bad", "name", "version", "exclude", "note", "challenger")


def _actor(principal: Principal) -> str:
    return f"user:{principal.username}"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _default_version(request: Request) -> str:
    return clock(request).astimezone(_settings(request).tz).strftime("%Y%m%d-%H%M%S")


def _fit_defaults(request: Request) -> dict[str, str]:
    return {
        "target": "bad",
        "bad": "",
        "name": policy_store.APPLICATION_MODEL,
        "version": _default_version(request),
        "exclude": "",
        "note": "",
        "challenger": "",
    }


@router.get("/console/risk")
def risk_home(_principal: Annotated[Principal, require(Permission.RISK_READ)]) -> Response:
    """The risk area starts at the model registry."""
    return RedirectResponse("/console/risk/models", status_code=303)


@router.get("/console/risk/models")
def models_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """The registry: every model with its status and hold-out metrics; promote, retire, fit."""
    return _models_page(request, session, principal, form=_fit_defaults(request))


def _models_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    form: dict[str, str],
    fields: list[dict[str, Any]] | None = None,
    error: str | None = None,
    error_code: str | None = None,
    status_code: int = 200,
) -> Response:
    rows = registry.models(session)
    return render(
        request,
        "console/risk/models.html",
        {
            "models": rows,
            "names": staff_names(session, [r.registered_by_id for r in rows if r.registered_by_id]),
            "can_write": principal.can(Permission.MODELS_WRITE),
            "form": form,
            "fields": fields or [],
            "error": error,
            "error_code": error_code,
            "max_upload_mb": f"{_settings(request).max_upload_bytes / 1_048_576:.0f}",
        },
        status_code=status_code,
    )


def _model_action(
    request: Request,
    session: Session,
    principal: Principal,
    model_id: int,
    action: str,
    note: str,
) -> Response:
    act = registry.promote if action == "promote" else registry.retire
    try:
        act(
            session, model_id, by_id=principal.staff_id, actor_label=_actor(principal),
            now=clock(request), note=note.strip() or None,
        )  # fmt: skip
    except ConflictError as exc:
        session.rollback()
        return _models_page(
            request, session, principal, form=_fit_defaults(request), error=exc.message,
            error_code=exc.code, status_code=409,
        )  # fmt: skip
    return RedirectResponse(f"/console/risk/models/{model_id}", status_code=303)


@router.post("/console/risk/models/{model_id}/promote")
def promote(
    model_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.MODELS_WRITE)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Make a challenger the champion (the previous champion is retired); both recorded."""
    return _model_action(request, session, principal, model_id, "promote", note)


@router.post("/console/risk/models/{model_id}/retire")
def retire(
    model_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.MODELS_WRITE)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Take a challenger out of use."""
    return _model_action(request, session, principal, model_id, "retire", note)


# --- fitting a new model -------------------------------------------------------------------------


def _upload_name(upload: UploadFile) -> str:
    """The uploaded file's own name without any directory, or a neutral one."""
    raw = Path((upload.filename or "").replace("\\", "/")).name
    name = re.sub(r"[^\w.\-]", "_", raw)[-100:].lstrip(".")
    return name or "upload.csv"


def _fit_problems(form: dict[str, str], upload: Any, lang: Lang) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if not isinstance(upload, UploadFile) or not upload.filename:
        problems.append(FieldProblem("file", translate("risk.fit.problem.file", lang)))
    elif not _upload_name(upload).lower().endswith(_UPLOAD_SUFFIXES):
        problems.append(FieldProblem("file", translate("risk.fit.problem.file_kind", lang)))
    if not form["target"].strip():
        problems.append(FieldProblem("target", translate("risk.fit.problem.target", lang)))
    for key in ("name", "version"):
        if not _NAME.match(form[key].strip()):
            problems.append(FieldProblem(key, translate("risk.fit.problem.name", lang)))
    return problems


@router.post("/console/risk/models/fit")
async def fit(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.MODELS_WRITE)],
) -> Response:
    """Fit a scorecard on the uploaded development sample and register it as a challenger; any
    problem (target, column, file) is shown on the form with its message (422)."""
    submitted = await request.form()
    form = {
        key: value.strip() if isinstance(value := submitted.get(key, ""), str) else ""
        for key in _FIT_FIELDS
    }
    upload = submitted.get("file")
    now = clock(request)

    def refused(problems: list[FieldProblem], message: str, code: str, status: int) -> Response:
        return _models_page(
            request, session, principal, form=form, fields=[p.public() for p in problems],
            error=message, error_code=code, status_code=status,
        )  # fmt: skip

    problems = _fit_problems(form, upload, request_lang(request))
    if problems or not isinstance(upload, UploadFile):
        return await run_in_threadpool(
            refused, problems, translate("risk.fit.invalid", request_lang(request)), "fit.form", 422
        )

    def work() -> Response:
        try:
            model_id = _fit_and_register(session, upload, form, principal, now)
        except DomainError as exc:
            session.rollback()
            status = 409 if isinstance(exc, ConflictError) else 422
            return refused(exc.problems, exc.message, exc.code, status)
        return RedirectResponse(f"/console/risk/models/{model_id}", status_code=303)

    try:
        return await run_in_threadpool(work)
    finally:
        await submitted.close()


def _fit_and_register(
    session: Session, upload: UploadFile, form: dict[str, str], principal: Principal, now: datetime
) -> int:
    """Copy the upload into a temporary directory, read and fit it there, register the artefact;
    the directory and everything in it is deleted on the way out. Returns the model's id."""
    exclude = [c.strip() for c in form["exclude"].split(",") if c.strip()]
    with tempfile.TemporaryDirectory(prefix="loanpilot-fit-") as tmp:
        path = Path(tmp) / _upload_name(upload)
        with path.open("wb") as out:
            upload.file.seek(0)
            shutil.copyfileobj(upload.file, out)
        data = modelling.read_dataset(
            path, target=form["target"], bad=form["bad"] or None, exclude=exclude
        )
        fitted = modelling.fit_dataset(
            data, Path(tmp) / "model", name=form["name"], version=form["version"],
            trained_at=now.isoformat(timespec="seconds"), challenger=form["challenger"] == "yes",
        )  # fmt: skip
    row = registry.register(
        session, fitted.artefact, by_id=principal.staff_id, actor_label=_actor(principal),
        now=now, note=form["note"] or None, report_html=fitted.report_html,
    )  # fmt: skip
    return row.id


# --- one model -----------------------------------------------------------------------------------


def _card_of(row: CreditModel) -> tuple[Scorecard | None, str | None]:
    try:
        return registry.load_scorecard(row.artefact), None
    except ValidationError as exc:  # a tampered or unreadable artefact: say so, show the rest
        return None, exc.message


def _training(row: CreditModel) -> dict[str, Any]:
    """The artefact's training block with its metadata (source file, rows read) alongside."""
    training = dict(row.artefact.get("training") or {})
    metadata = training.pop("metadata", None)
    return (dict(metadata) if isinstance(metadata, dict) else {}) | training


def _metric_rows(metrics: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns present (development, holdout, challenger) and one row per statistic."""
    columns = [c for c in ("development", "holdout", "challenger") if metrics.get(c)]
    rows = [
        {"key": key, "values": [metrics[c].get(key) for c in columns]}
        for key in ("auc", "ks", "gini")
    ]
    return columns, rows


def _chart(psi: list[views.MonthPsi], lang: Lang) -> dict[str, Any]:
    return {
        "months": [m.month for m in psi],
        "psi": [round(m.psi, 6) for m in psi],
        "watch": STABLE_BELOW,
        "shift": SHIFT_ABOVE,
        "labels": {
            "psi": translate("risk.psi.col.psi", lang),
            "watch": translate("risk.psi.band.watch", lang),
            "shift": translate("risk.psi.band.shift", lang),
        },
    }


@router.get("/console/risk/models/{model_id}")
def model_page(
    model_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """A model: summary, metrics, recorded actions, variables with IV, bins, PSI over time."""
    row = registry.get_model(session, model_id)
    lang = request_lang(request)
    card, card_error = _card_of(row)
    bins = (
        []
        if card is None
        else views.variable_bins(
            card,
            missing=translate("risk.bin.missing", lang),
            other=translate("risk.bin.other", lang),
            fallback=translate("risk.bin.fallback", lang),
            unseen=translate("risk.bin.unseen", lang),
            category=lambda name, value: pages_reviews.feature_value(name, value, lang),
        )
    )
    psi = views.psi_by_month(
        session, row.label, row.artefact, _settings(request).tz, clock(request)
    )
    events = registry.events(session, model_id)
    ids = [e.by_id for e in events if e.by_id] + (
        [row.registered_by_id] if row.registered_by_id else []
    )
    columns, metric_rows = _metric_rows(row.metrics or {})
    return render(
        request,
        "console/risk/model.html",
        {
            "model": row,
            "training": _training(row),
            "card_error": card_error,
            "columns": columns,
            "metric_rows": metric_rows,
            "events": events,
            "names": staff_names(session, ids),
            "candidates": views.candidates(row.artefact),
            "bins": bins,
            "labels": {v.name: feature_label(v.name, lang) for v in bins}
            | {c.name: feature_label(c.name, lang) for c in views.candidates(row.artefact)},
            "psi": psi,
            "chart": _chart(psi or [], lang),
            "can_write": principal.can(Permission.MODELS_WRITE),
        },
    )


def _file_name(row: CreditModel, suffix: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{row.name}-{row.version}") + suffix


def _download(body: str | bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/console/risk/models/{model_id}/artefact.json")
def artefact_json(
    model_id: EntityId,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """The model's JSON artefact, as registered (its content hash included)."""
    row = registry.get_model(session, model_id)
    text = json.dumps(row.artefact, ensure_ascii=False, indent=2)
    return _download(text + "\n", "application/json", _file_name(row, ".json"))


@router.get("/console/risk/models/{model_id}/points.csv")
def points_csv(
    model_id: EntityId,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """The points table (variable, kind, bin, label, points) for the credit committee; UTF-8
    with a byte-order mark so Excel opens it."""
    row = registry.get_model(session, model_id)
    table = registry.load_scorecard(row.artefact).card_.points_table()
    text = table.to_csv(index=False, lineterminator="\n")
    return _download("\ufeff" + text, "text/csv; charset=utf-8", _file_name(row, "-points.csv"))


@router.get("/console/risk/models/{model_id}/scorecard.sql")
def scorecard_sql(
    model_id: EntityId,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """The card as one SQL ``CASE`` expression that scores inside the bank's database."""
    row = registry.get_model(session, model_id)
    card = registry.load_scorecard(row.artefact)
    label = re.sub(r"[\r\n]", " ", row.label)
    text = f"-- {label}: score = the CASE sum\n{card.card_.to_sql_case()}\n"
    return _download(text, "text/plain; charset=utf-8", _file_name(row, ".sql"))


#: The report is a self-contained page with inline styles and SVG, and no script at all.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


@router.get("/console/risk/models/{model_id}/report")
def model_report(
    model_id: EntityId,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """The HTML model report made when the model was fitted (on its hold-out sample)."""
    row = registry.get_model(session, model_id)
    html = registry.report_html(session, row.id)
    if not html:
        raise NotFoundError(
            "model.no_report",
            f"Model {row.label} was registered without a report; run `loanpilot scorecard "
            "report` on its data",
        )
    return HTMLResponse(
        html, headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store"}
    )


router.include_router(pages_policies.router)
router.include_router(pages_reviews.router)
