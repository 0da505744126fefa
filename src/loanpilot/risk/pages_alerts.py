"""Console pages of early warning and post-loan monitoring: the alerts (filters, overdue marked),
one alert (why it fired, the measured series as a chart, the contingency plan, the actions taken
and the forms to acknowledge, act and close), the rules (create, edit, enable / disable, every
problem beside its field), the monitoring tasks (complete with a finding) and today's digest.

Viewing needs ``risk:read``; acting ``alerts:work``; what a staff member sees and works is their
data scope (a branch head: the bank-wide alerts and their branches' ones, the tasks on their
branches' loans), enforced by the services and the repository. Every problem and refusal is shown
in the page's language: the validation's problem codes (``warning_rules.PROBLEMS``) and the
conflicts' codes are translated here (``alerts.problem.*``, ``alerts.conflict.*``). Handlers are
thin: the services in ``risk.warnings`` and ``risk.monitoring`` change state and audit; the
request's session commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.kit.errors import ConflictError, FieldProblem, ValidationError
from loanpilot.risk import monitoring, warnings, warnings_digest
from loanpilot.risk import repository_warnings as repo
from loanpilot.risk import warning_rules as wr
from loanpilot.risk.models import AlertStatus, RiskAlert
from loanpilot.risk.models_post import TaskKind, TaskStatus, WarningRule
from loanpilot.team.models import Role
from loanpilot.team.repository import staff_names
from loanpilot.web.auth import clock, require
from loanpilot.web.i18n import Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
RULE_FIELDS = ("code", "name_zh", "name_en", "metric", "dimension", "kind", "direction",
               "threshold", "window", "severity", "owner_role", "due_days",
               "contingency_zh", "contingency_en")  # fmt: skip
Text = Annotated[str, Form(max_length=4000)]
#: The refusals (ConflictError codes) with a text of their own; others read as a generic one.
CONFLICT_KEYS = frozenset(
    f"alerts.conflict.{c}" for c in ("alert.closed", "alert.not_open", "task.not_open")
)
_TASK_FIELDS = {"finding": "alerts.col.finding", "note": "alerts.tasks.note"}


def _actor(principal: Principal) -> dict[str, Any]:
    return {"by_id": principal.staff_id, "actor_label": f"user:{principal.username}"}


def problem_text(problem: FieldProblem, lang: Lang) -> str:
    """A problem in ``lang``: by its code when it has one (every problem of early warning has)."""
    if isinstance(problem, wr.Problem) and problem.code:
        return translate(f"alerts.problem.{problem.code}", lang, **dict(problem.params))
    return problem.message


def localised(problems: Iterable[FieldProblem], lang: Lang) -> list[dict[str, Any]]:
    """Problems as the templates show them (field, message in ``lang``)."""
    return [{"field": p.field, "message": problem_text(p, lang)} for p in problems]


def conflict_text(code: str, lang: Lang) -> str:
    """A refusal by the state of an alert or a task, in ``lang``."""
    key = f"alerts.conflict.{code}"
    return translate(key if key in CONFLICT_KEYS else "alerts.conflict.other", lang)


def _owner_filter(owner: str, principal: Principal) -> int | None:
    if owner == "me":
        return principal.staff_id
    return int(owner) if owner.isdigit() else None


@router.get("/console/alerts")
def alerts_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
    status: Annotated[str, Query(max_length=16)] = "",
    severity: Annotated[str, Query(max_length=16)] = "",
    rule: Annotated[str, Query(max_length=64)] = "",
    owner: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """Alerts newest first, filtered by status, severity, rule and owner; overdue ones marked."""
    filters = repo.AlertFilters(
        status=status if status in (*AlertStatus, "unclosed") else None,
        severity=severity if severity in wr.SEVERITIES else None,
        rule_code=rule or None,
        owner_id=_owner_filter(owner, principal),
    )
    rows = repo.alerts(session, filters, viewer=principal)
    today = today_for(request)
    labels = warnings_digest.AlertLabels(session, rows, request_lang(request))
    return render(request, "console/risk/alerts.html", {
        "alerts": rows, "words": {a.id: labels.words(a) for a in rows},
        "rule_names": {c: labels.rule_name(c) for c in repo.alert_rule_codes(session)},
        "names": staff_names(session, [a.owner_id for a in rows if a.owner_id]),
        "overdue": {a.id for a in rows if a.due_on and a.due_on < today and a.status is not AlertStatus.CLOSED},
        "statuses": [s.value for s in AlertStatus],
        "severities": wr.SEVERITIES,
        "chosen": {"status": status, "severity": severity, "rule": rule, "owner": owner},
    })  # fmt: skip


# --- rules (declared before /console/alerts/{id}) ----------------------------------------------


@router.get("/console/alerts/rules")
def rules_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """Every warning rule with its threshold, owner and whether it is enabled."""
    return render(request, "console/risk/alerts_rules.html", {
        "rules": repo.rules(session), "can_work": principal.can(Permission.ALERTS_WORK),
        "metrics": wr.METRICS,
    })  # fmt: skip


def _rule_form(row: WarningRule | None) -> dict[str, str]:
    if row is None:
        return {"dimension": "all", "kind": "level", "direction": "above", "window": "1",
                "severity": "medium", "due_days": "7", "owner_role": "risk_officer"}  # fmt: skip
    return {name: "" if getattr(row, name) is None else str(getattr(row, name)) for name in RULE_FIELDS} | {
        "kind": row.kind.value, "severity": row.severity.value,
        "threshold": f"{row.threshold.normalize():f}",
    }  # fmt: skip


def _rule_editor(
    request: Request, row: WarningRule | None, form: dict[str, str],
    fields: list[dict[str, Any]] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    return render(request, "console/risk/alerts_rule_edit.html", {
        "rule": row, "form": form, "fields": fields or [], "metrics": wr.METRICS,
        "dimensions": wr.DIMENSIONS, "kinds": wr.KINDS, "directions": wr.DIRECTIONS,
        "severities": wr.SEVERITIES, "roles": [r.value for r in Role],
    }, status_code=status_code)  # fmt: skip


@router.get("/console/alerts/rules/new")
def new_rule_page(
    request: Request, _principal: Annotated[Principal, require(Permission.ALERTS_WORK)]
) -> Response:
    return _rule_editor(request, None, _rule_form(None))


@router.get("/console/alerts/rules/{rule_id}")
def edit_rule_page(
    rule_id: EntityId,
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
) -> Response:
    row = session.get(WarningRule, rule_id)
    if row is None:
        return RedirectResponse("/console/alerts/rules", status_code=303)
    return _rule_editor(request, row, _rule_form(row))


async def _save_rule(
    request: Request, session: Session, principal: Principal, rule_id: int | None
) -> Response:
    submitted = await request.form()
    form = {k: v for k, v in submitted.items() if isinstance(v, str) and k in RULE_FIELDS}
    try:
        warnings.save_rule(
            session, dict(form), rule_id=rule_id, now=clock(request), **_actor(principal)
        )
    except ValidationError as exc:
        session.rollback()
        row = session.get(WarningRule, rule_id) if rule_id else None
        fields = localised(exc.problems, request_lang(request))
        return _rule_editor(request, row, form, fields, 422)
    return RedirectResponse("/console/alerts/rules", status_code=303)


@router.post("/console/alerts/rules/new")
async def create_rule(
    request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
) -> Response:  # fmt: skip
    """Create a rule; every problem is shown beside its field (422, nothing saved)."""
    return await _save_rule(request, session, principal, None)


@router.post("/console/alerts/rules/{rule_id}")
async def update_rule(
    rule_id: EntityId, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
) -> Response:  # fmt: skip
    return await _save_rule(request, session, principal, rule_id)


@router.post("/console/alerts/rules/{rule_id}/{switch}")
def switch_rule(
    rule_id: EntityId, switch: str, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
) -> Response:  # fmt: skip
    """Enable or disable a rule."""
    if switch in ("enable", "disable"):
        warnings.set_rule_enabled(
            session, rule_id, switch == "enable", now=clock(request), **_actor(principal)
        )
    return RedirectResponse("/console/alerts/rules", status_code=303)


# --- tasks and digest ----------------------------------------------------------------------------


def task_reason(reason: str | None, lang: Lang) -> str:
    """Why a monitoring task was raised, in ``lang``, from the code ``risk.monitoring`` stores
    (``sampled:<probability>:<pd>:<amount in yuan>`` or ``large_loan:<months>``); any other text
    is shown as stored."""
    if not reason:
        return ""
    code, *params = reason.split(":")
    try:
        if code == "sampled" and len(params) == 3:
            prob, pd, yuan = float(params[0]), float(params[1]), int(params[2])
            return translate(
                "alerts.task_reason.sampled", lang,
                prob=f"{prob:.0%}", pd=f"{pd:.2%}", amount=f"{yuan:,}",
            )  # fmt: skip
        if code == "large_loan" and len(params) == 1:
            return translate("alerts.task_reason.large_loan", lang, months=int(params[0]))
    except ValueError:
        return reason
    return reason


def _tasks_page(
    request: Request, session: Session, principal: Principal, status: str, kind: str,
    error: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    filters = repo.TaskFilters(
        status=status if status in TaskStatus._value2member_map_ else None,
        kind=kind if kind in TaskKind._value2member_map_ else None,
    )
    rows = repo.tasks(session, filters, viewer=principal)
    return render(request, "console/risk/tasks.html", {
        "rows": rows, "today": today_for(request), "can_work": principal.can(Permission.ALERTS_WORK),
        "names": staff_names(session, [t.assigned_to_id for t, _ in rows if t.assigned_to_id]),
        "findings": wr.FINDINGS, "kinds": [k.value for k in TaskKind],
        "statuses": [s.value for s in TaskStatus], "chosen": {"status": status, "kind": kind},
        "error": error, "reasons": {t.id: task_reason(t.reason, request_lang(request)) for t, _ in rows},
    }, status_code=status_code)  # fmt: skip


def _task_problems(exc: ValidationError | ConflictError, lang: Lang) -> str:
    """Why a task was not completed, in ``lang``: each field named, or the conflict."""
    if not exc.problems:
        return conflict_text(exc.code, lang)
    named = (
        (translate(_TASK_FIELDS[p["field"]], lang) if p["field"] in _TASK_FIELDS else p["field"],
         p["message"]) for p in localised(exc.problems, lang)
    )  # fmt: skip
    colon, sep = ("：", "；") if lang == "zh" else (": ", "; ")
    return sep.join(f"{label}{colon}{text}" for label, text in named)


@router.get("/console/alerts/tasks")
def tasks_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
    status: Annotated[str, Query(max_length=16)] = "open",
    kind: Annotated[str, Query(max_length=24)] = "",
) -> Response:
    """Monitoring tasks, soonest due first (open ones by default)."""
    return _tasks_page(request, session, principal, status, kind)


@router.post("/console/alerts/tasks/{task_id}/complete")
def complete_task(
    task_id: EntityId, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
    finding: Annotated[str, Form(max_length=24)] = "", note: Text = "",
) -> Response:  # fmt: skip
    """Record a task's finding; a misuse raises an alert."""
    lang = request_lang(request)
    try:
        monitoring.complete_task(session, task_id, finding, note, now=clock(request),
                                 today=today_for(request), viewer=principal, **_actor(principal))  # fmt: skip
    except (ValidationError, ConflictError) as exc:
        session.rollback()
        message = translate("alerts.tasks.error", lang, problems=_task_problems(exc, lang))
        code = 409 if isinstance(exc, ConflictError) else 422
        return _tasks_page(request, session, principal, "open", "", message, code)
    return RedirectResponse("/console/alerts/tasks", status_code=303)


@router.get("/console/alerts/digest")
def digest_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
    day: Annotated[date | None, Query(alias="date")] = None,
) -> Response:
    """Today's digest (or ``?date=``) of the viewer's scope: new alerts by severity, open and
    overdue, tasks due."""
    digest = warnings_digest.daily_digest(
        session, day or today_for(request), request_lang(request), principal
    )
    return render(request, "console/risk/alerts_digest.html", {"digest": digest})


# --- one alert ---------------------------------------------------------------------------------


def _alert_page(
    request: Request, session: Session, principal: Principal, alert: RiskAlert,
    fields: list[dict[str, Any]] | None = None, error: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    lang = request_lang(request)
    detail = alert.detail or {}
    series = detail.get("series") or []
    rule = repo.rule_by_code(session, alert.rule_code)
    words = warnings_digest.AlertLabels(session, [alert], lang).words(alert)
    ids = [alert.owner_id] + [a.get("by_id") for a in alert.actions or []]
    metric = wr.METRICS.get(alert.metric)
    chart = {
        "periods": [p for p, _ in series], "values": [v for _, v in series],
        "threshold": float(alert.threshold) if alert.detail and detail.get("kind") == "level" else None,
        "unit": metric.unit if metric else "ratio",
        "label": (metric.zh if lang == "zh" else metric.en) if metric else alert.metric,
    }  # fmt: skip
    plan = detail.get(f"contingency_{lang}") or (
        (rule.contingency_zh if lang == "zh" else rule.contingency_en) if rule else None
    )
    return render(request, "console/risk/alert.html", {
        "alert": alert, "detail": detail, "rule": rule, "chart": chart if series else None,
        "plan": plan, "names": staff_names(session, [i for i in ids if isinstance(i, int)]),
        "overdue": alert.due_on is not None and alert.due_on < today_for(request)
        and alert.status is not AlertStatus.CLOSED,
        "can_work": principal.can(Permission.ALERTS_WORK) and alert.status is not AlertStatus.CLOSED,
        "fields": fields or [], "error": error, "explain": words.explain, "words": words,
    }, status_code=status_code)  # fmt: skip


@router.get("/console/alerts/{alert_id}")
def alert_page(
    alert_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """One alert: why it fired, its series, the plan, the actions taken and the forms."""
    return _alert_page(
        request, session, principal, warnings.get_alert(session, alert_id, principal)
    )


@router.post("/console/alerts/{alert_id}/{step}")
def act_on_alert(
    alert_id: EntityId, step: str, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
    text: Text = "", reason: Text = "",
) -> Response:  # fmt: skip
    """Acknowledge, record an action (``text``) or close (``reason`` when no action)."""
    lang = request_lang(request)
    kwargs = {"now": clock(request), "by_name": principal.name, "viewer": principal,
              **_actor(principal)}  # fmt: skip
    try:
        if step == "acknowledge":
            warnings.acknowledge(session, alert_id, **kwargs)
        elif step == "action":
            warnings.record_action(session, alert_id, text, **kwargs)
        elif step == "close":
            warnings.close_alert(session, alert_id, reason, **kwargs)
    except (ValidationError, ConflictError) as exc:
        session.rollback()
        alert = warnings.get_alert(session, alert_id, principal)
        if isinstance(exc, ConflictError):
            message = conflict_text(exc.code, lang)
            return _alert_page(request, session, principal, alert, error=message, status_code=409)
        return _alert_page(request, session, principal, alert,
                           fields=localised(exc.problems, lang), status_code=422)  # fmt: skip
    return RedirectResponse(f"/console/alerts/{alert_id}", status_code=303)
