"""Console pages of the topic model (metrics, confusion, top terms, refit) and of improvement
actions (list, one action with its before/after comparison and history, the new-action form).

Viewing needs ``feedback:read``; fitting and changing ``feedback:work``. Included by
``pages_feedback``'s router."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.evaluation import actions, topics
from loanpilot.evaluation import actions_metrics as metrics
from loanpilot.evaluation import feedback_rules as rules
from loanpilot.evaluation import repository_feedback as repo
from loanpilot.evaluation.feedback_pages_common import actor_of, localised, refusal
from loanpilot.kit.errors import ConflictError, ValidationError
from loanpilot.web.auth import clock, require
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Permission.FEEDBACK_READ)]
Worker = Annotated[Principal, require(Permission.FEEDBACK_WORK)]
Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=64)]


# --- the topic model ----------------------------------------------------------------------------


def _topics_page(request: Request, session: Session, principal: Principal,
                 error: str | None = None, status_code: int = 200) -> Response:  # fmt: skip
    lang = request_lang(request)
    row = repo.latest_topic_model(session)
    recall: dict[str, float] = {}
    if row is not None:
        m = row.metrics
        for i, label in enumerate(m["labels"]):
            total = sum(m["confusion"][i])
            recall[label] = m["confusion"][i][i] / total if total else 0.0
    return render(request, "console/feedback/topics.html", {
        "model": row, "versions": repo.topic_models(session), "recall": recall,
        "names": {c: topics.topic_label(c, lang) for c in (row.metrics["labels"] if row else [])},
        "can_work": principal.can(Permission.FEEDBACK_WORK), "error": error,
    }, status_code=status_code)  # fmt: skip


@router.get("/console/feedback/topics")
def topics_page(request: Request, session: SessionDep, principal: Reader) -> Response:
    return _topics_page(request, session, principal)


@router.post("/console/feedback/topics/fit")
def fit_topics(request: Request, session: SessionDep, principal: Worker) -> Response:
    try:
        topics.fit(session, now=clock(request), by_id=principal.staff_id,
                   actor_label=f"user:{principal.username}")  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _topics_page(request, session, principal, refusal(exc, request_lang(request)), 422)
    return RedirectResponse("/console/feedback/topics", status_code=303)


# --- improvement actions ------------------------------------------------------------------------


@router.get("/console/feedback/actions")
def actions_page(
    request: Request, session: SessionDep, principal: Reader,
    status: Annotated[str, Query(max_length=16)] = "",
    source: Annotated[str, Query(max_length=16)] = "",
) -> Response:  # fmt: skip
    rows = repo.actions(session, repo.ActionFilters(
        status=status if status in (*rules.ACTION_STATUSES, "open") else None,
        source_kind=source if source in rules.SOURCE_KINDS else None))  # fmt: skip
    today = today_for(request)
    return render(request, "console/feedback/actions.html", {
        "rows": rows, "verdicts": {a.id: actions.verdict(a) for a in rows},
        "names": repo.names_of(session, [a.owner_id for a in rows]),
        "metric_names": _metric_names(request),
        "overdue": {a.id for a in rows if a.deadline < today and a.status.value in ("proposed", "in_progress")},
        "statuses": rules.ACTION_STATUSES, "sources": rules.SOURCE_KINDS,
        "chosen": {"status": status, "source": source},
        "can_work": principal.can(Permission.FEEDBACK_WORK),
    })  # fmt: skip


def _metric_names(request: Request) -> dict[str, str]:
    lang = request_lang(request)
    return {m.code: (m.label_zh if lang == "zh" else m.label_en) for m in metrics.catalogue()}


def _new_page(request: Request, session: Session, form: dict[str, str],
              fields: list[dict[str, Any]] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    return render(request, "console/feedback/action_new.html", {
        "form": form, "fields": fields or [], "sources": rules.SOURCE_KINDS,
        "metrics": metrics.catalogue(), "staff": repo.active_staff(session),
        "kinds": actions.PERIOD_KINDS,
    }, status_code=status_code)  # fmt: skip


@router.get("/console/feedback/actions/new")
def new_action_page(
    request: Request, session: SessionDep, _principal: Worker,
    ticket: Annotated[int | None, Query(ge=1, le=2**53)] = None,
) -> Response:  # fmt: skip
    form = {"title": "", "description": "", "owner_id": "", "deadline": "",
            "source_kind": "ticket" if ticket else "kpi", "source_ticket_id": str(ticket or ""),
            "source_alert_id": "", "source_ref": "", "metric_code": "", "target_value": "",
            "period_kind": "month"}  # fmt: skip
    return _new_page(request, session, form)


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 16 else None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


@router.post("/console/feedback/actions/new")
def create_action(
    request: Request, session: SessionDep, principal: Worker,
    title: Text = "", description: Text = "", owner_id: Short = "", deadline: Short = "",
    source_kind: Short = "", source_ticket_id: Short = "", source_alert_id: Short = "",
    source_ref: Short = "", metric_code: Short = "", target_value: Short = "",
    period_kind: Short = "month",
) -> Response:  # fmt: skip
    form = {"title": title, "description": description, "owner_id": owner_id,
            "deadline": deadline, "source_kind": source_kind, "source_ticket_id": source_ticket_id,
            "source_alert_id": source_alert_id, "source_ref": source_ref,
            "metric_code": metric_code, "target_value": target_value, "period_kind": period_kind}  # fmt: skip
    lang = request_lang(request)
    extra: list[rules.Problem] = []
    if deadline.strip() and _date(deadline) is None:
        extra.append(
            rules.problem("deadline", "not_allowed", allowed="YYYY-MM-DD", given=deadline[:20])
        )
    try:
        a = actions.create(session, actions.ActionForm(
            title=title, owner_id=_int(owner_id), deadline=_date(deadline), source_kind=source_kind,
            metric_code=metric_code, target_value=target_value, description=description,
            source_ticket_id=_int(source_ticket_id), source_alert_id=_int(source_alert_id),
            source_ref=source_ref or None, period_kind=period_kind,
        ), actor_of(request, principal), today_for(request), clock(request))  # fmt: skip
        if extra:
            raise ValidationError("action.invalid", "The improvement action is not valid", [])
    except ValidationError as exc:
        session.rollback()
        fields = localised([*extra, *exc.problems], lang)
        return _new_page(request, session, form, fields, 422)
    return RedirectResponse(f"/console/feedback/actions/{a.id}", status_code=303)


def _action_page(request: Request, session: Session, principal: Principal, action_id: int,
                 error: str | None = None, status_code: int = 200) -> Response:  # fmt: skip
    a = actions.get_action(session, action_id)
    history = repo.events(session, action_id=a.id)
    found = metrics.info(a.metric_code or "")
    higher = (
        a.higher_is_better
        if a.higher_is_better is not None
        else (found.higher_is_better if found else None)
    )
    after = actions.after_period(a)
    return render(request, "console/feedback/action.html", {
        "a": a, "verdict": actions.verdict(a), "history": history, "higher": higher,
        "names": repo.names_of(session, [a.owner_id] + [e.by_staff_id or 0 for e in history]),
        "metric_name": _metric_names(request).get(a.metric_code or "", a.metric_code or "—"),
        "after_period": after.label if after else None,
        "moves": [m for m in rules.ACTION_MOVES.get(a.status.value, ()) if m != "verified"],
        "can_verify": a.status.value == "done", "error": error,
        "can_work": principal.can(Permission.FEEDBACK_WORK),
    }, status_code=status_code)  # fmt: skip


@router.get("/console/feedback/actions/{action_id}")
def action_page(
    action_id: EntityId, request: Request, session: SessionDep, principal: Reader
) -> Response:
    return _action_page(request, session, principal, action_id)


@router.post("/console/feedback/actions/{action_id}/{step}")
def work_action(
    action_id: EntityId, step: str, request: Request, session: SessionDep, principal: Worker,
    status: Short = "", note: Text = "",
) -> Response:  # fmt: skip
    """``status`` (start, done, cancel, rework) or ``verify``."""
    actor, today, now = actor_of(request, principal), today_for(request), clock(request)
    try:
        if step == "status":
            actions.move(session, action_id, status, actor, today, now, note=note or None)
        elif step == "verify":
            actions.verify(session, action_id, actor, today, now)
    except (ConflictError, ValidationError) as exc:
        session.rollback()
        code = 409 if isinstance(exc, ConflictError) else 422
        return _action_page(request, session, principal, action_id,
                            refusal(exc, request_lang(request)), code)  # fmt: skip
    return RedirectResponse(f"/console/feedback/actions/{action_id}", status_code=303)
