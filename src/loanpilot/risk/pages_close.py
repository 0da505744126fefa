"""Console pages of the daily close (日终) and of the five-category classification overrides.

``/console/risk/close``: the runs with their status and progress, the chosen run's summary
(buckets, classes with provisions, NPL ratio, ledger check, after-close steps) and, for holders of
``portfolio:close``, a button that runs today's close in the background; while it runs the
progress panel polls ``/console/risk/close/progress`` (htmx). ``/console/risk/classification``:
the overrides in force, a form to set one by loan number and a button to revoke each."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.kit.errors import ConflictError, FieldProblem, ValidationError
from loanpilot.lending.models import LoanStatus
from loanpilot.risk import close as service
from loanpilot.risk import repository_close as repo
from loanpilot.risk.api_close import launch_close
from loanpilot.risk.models_post import CloseRun, CloseStatus
from loanpilot.risk.rules import FIVE_CLASSES, five_class_floor
from loanpilot.team.repository import staff_names
from loanpilot.web.auth import clock, require
from loanpilot.web.i18n import MESSAGES, Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)

_ERRORS = {"close.running": "close.error.running", "close.backdated": "close.error.backdated"}


def _stage(run: CloseRun) -> str:
    return (run.error or "").split(":", 1)[0]


def step_label(name: str, lang: Lang) -> str:
    """A close step's name (``steps_done``, a failed run's stage) in ``lang``; an unknown one
    as it is stored."""
    key = f"close.step.{name}"
    return translate(key, lang) if key in MESSAGES else name


def count_label(name: str, lang: Lang) -> str:
    """What an after-close step counted, in ``lang``; an unknown key as the step returned it."""
    key = f"close.count.{name}"
    return translate(key, lang) if key in MESSAGES else name


def _labels(request: Request) -> dict[str, Any]:
    lang = request_lang(request)
    return {
        "stage_of": lambda run: step_label(_stage(run), lang),
        "step_label": lambda name: step_label(name, lang),
        "count_label": lambda name: count_label(name, lang),
    }


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _progress_context(request: Request, session: Session) -> dict[str, Any]:
    runs = repo.recent_runs(session, 1)
    latest = runs[0] if runs else None
    running = service.is_running(request.app.state.session_factory) or (
        latest is not None and latest.status is CloseStatus.RUNNING
    )
    return {"latest": latest, "running": running}


def _close_page(
    request: Request,
    session: Session,
    principal: Principal,
    chosen: date | None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    runs = repo.recent_runs(session, 30)
    run = next((r for r in runs if r.as_of == chosen), None) if chosen else None
    if run is None:
        run = repo.run_of(session, chosen) if chosen else None
    if run is None:
        run = next((r for r in runs if r.summary), None)
    summary = run.summary if run is not None else {}
    total = int(summary.get("balance_fen", 0))
    return render(
        request,
        "console/risk/close.html",
        {
            "runs": runs,
            "run": run,
            "summary": summary,
            "shares": {
                "buckets": [_share(b["balance_fen"], total) for b in summary.get("buckets", [])],
                "classes": [_share(c["balance_fen"], total) for c in summary.get("classes", [])],
            },
            "today": today_for(request),
            "can_run": principal.can(Permission.PORTFOLIO_CLOSE),
            "error": error,
            **_labels(request),
            **_progress_context(request, session),
        },
        status_code=status_code,
    )


@router.get("/console/risk/close")
def close_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
    day: Annotated[date | None, Query(alias="date")] = None,
) -> Response:
    """The close runs and one run's summary (default: the latest summarised run)."""
    return _close_page(request, session, principal, day)


@router.get("/console/risk/close/progress")
def close_progress(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """The progress panel alone (htmx polls it while a close runs)."""
    return render(
        request,
        "console/risk/close_progress.html",
        {**_progress_context(request, session), **_labels(request)},
    )


@router.post("/console/risk/close/run")
def run_today(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PORTFOLIO_CLOSE)],
    as_of: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Start today's close in the background, then show the page with its progress. The form
    names the date its button showed: a page left open past midnight closes nothing."""
    lang = request_lang(request)
    today = today_for(request)
    if as_of != today.isoformat():
        message = translate("close.error.stale", lang, date=today.isoformat())
        return _close_page(request, session, principal, None, error=message, status_code=422)
    try:
        launch_close(request, principal, today)
    except ConflictError as exc:
        key = _ERRORS.get(exc.code)
        message = translate(key, lang) if key else exc.message
        return _close_page(request, session, principal, None, error=message, status_code=409)
    return RedirectResponse("/console/risk/close", status_code=303)


# --- classification overrides -------------------------------------------------------------------------


def _problem_text(
    session: Session, problem: FieldProblem, form: dict[str, str], lang: Lang, today: date
) -> str:
    """A service problem in the page's language."""
    loan_no = form.get("loan_no", "").strip()
    if problem.field == "five_class" and "worse than the rule" in problem.message:
        loan = repo.loan_by_no(session, loan_no)
        if loan is not None:
            rule = five_class_floor(loan.dpd)
            return translate(
                "classification.error.not_worse", lang, loan=loan.loan_no, dpd=loan.dpd,
                rule=translate(f"close.class.{rule}", lang),
                chosen=translate(f"close.class.{form['five_class']}", lang),
            )  # fmt: skip
    if problem.field == "loan_no":
        loan = repo.loan_by_no(session, loan_no) if loan_no else None
        if loan is not None and loan.status is not LoanStatus.REPAYING:
            return translate("classification.error.not_repaying", lang, loan=loan_no)
        return translate("classification.error.loan", lang, loan=loan_no or "—")
    simple = {
        "five_class": "classification.error.class",
        "reason": "classification.error.reason",
    }
    if problem.field in simple:
        return translate(simple[problem.field], lang)
    if problem.field == "expires_on":
        return translate("classification.error.expires_on", lang, today=today.isoformat())
    return problem.message


def _classification_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    form: dict[str, str] | None = None,
    fields: list[dict[str, Any]] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    today = today_for(request)
    rows = repo.active_overrides(
        session, today, service.day_end(today, request.app.state.settings.tz)
    )
    names = staff_names(session, [o.officer_id for o, _ in rows])
    items = [
        {
            "override": o,
            "loan": loan,
            "rule": five_class_floor(loan.dpd),
            "officer": names.get(o.officer_id, "—"),
        }
        for o, loan in rows
    ]
    return render(
        request,
        "console/risk/classification.html",
        {
            "items": items,
            "classes": [c for c in FIVE_CLASSES if c != "normal"],
            "can_write": principal.can(Permission.PORTFOLIO_CLOSE),
            "form": form or {"loan_no": "", "five_class": "", "reason": "", "expires_on": ""},
            "fields": fields or [],
            "notice": notice,
            "today": today,
        },
        status_code=status_code,
    )


@router.get("/console/risk/classification")
def classification_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """The overrides in force and (for ``portfolio:close``) the form to set one."""
    lang = request_lang(request)
    notice = translate(f"classification.{done}", lang) if done in ("saved", "revoked") else None
    return _classification_page(request, session, principal, notice=notice)


@router.post("/console/risk/classification")
def set_override(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PORTFOLIO_CLOSE)],
    loan_no: Annotated[str, Form(max_length=24)] = "",
    five_class: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=service.REASON_MAX + 1)] = "",
    expires_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Set an override; problems are shown on the form in the page's language."""
    lang = request_lang(request)
    today = today_for(request)
    form = {
        "loan_no": loan_no,
        "five_class": five_class,
        "reason": reason,
        "expires_on": expires_on,
    }
    last_day: date | None = None
    if expires_on.strip():
        try:
            last_day = date.fromisoformat(expires_on.strip())
        except ValueError:
            fields = [
                {"field": "expires_on", "message": translate("classification.bad_date", lang)}
            ]
            return _classification_page(
                request, session, principal, form=form, fields=fields, status_code=422
            )
    try:
        service.set_override(
            session, loan_no=loan_no, five_class=five_class, reason=reason, expires_on=last_day,
            officer_id=principal.staff_id, actor_label=f"user:{principal.username}",
            now=clock(request), today=today, tz=request.app.state.settings.tz,
        )  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        fields = [
            {"field": p.field, "message": _problem_text(session, p, form, lang, today)}
            for p in exc.problems
        ]
        return _classification_page(
            request, session, principal, form=form, fields=fields, status_code=422
        )
    return RedirectResponse("/console/risk/classification?done=saved", status_code=303)


@router.post("/console/risk/classification/{override_id}/revoke")
def revoke_override(
    override_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PORTFOLIO_CLOSE)],
) -> Response:
    """Revoke an override in force."""
    service.revoke_override(
        session, override_id, by_id=principal.staff_id, actor_label=f"user:{principal.username}",
        now=clock(request), today=today_for(request), tz=request.app.state.settings.tz,
    )  # fmt: skip
    return RedirectResponse("/console/risk/classification?done=revoked", status_code=303)
