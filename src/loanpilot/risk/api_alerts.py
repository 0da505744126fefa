"""The early-warning API: alerts (list, read, acknowledge, record an action, close), warning rules
(list, create, edit, enable / disable), monitoring tasks (list, complete with a finding) and the
daily digest. Reading needs ``risk:read``; acting ``alerts:work``; alerts, tasks and the digest are
those of the caller's data scope (a branch head: the bank-wide alerts and their branches' ones,
the tasks on their branches' loans; 403 for one outside it). Problems carry a stable ``code``
(``warning_rules.PROBLEMS``) beside the English message. The route's session commits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for
from loanpilot.lending.models import Loan
from loanpilot.risk import monitoring, warnings, warnings_digest
from loanpilot.risk import repository_warnings as repo
from loanpilot.risk.models import RiskAlert
from loanpilot.risk.models_post import MonitoringTask, WarningRule
from loanpilot.web.auth import clock, require

router = APIRouter(
    prefix="/api/v1/alerts",
    tags=["alerts"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_CHANGED: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}, 409: {"model": ErrorRead}}


class AlertRead(BaseModel):
    id: int
    alert_no: str
    rule_code: str
    severity: str
    dimension: str
    dimension_value: str
    metric: str
    value: Decimal
    threshold: Decimal
    raised_on: date
    owner_id: int | None
    due_on: date | None
    status: str
    overdue: bool
    actions: list[dict[str, Any]]
    closed_at: datetime | None
    detail: dict[str, Any] | None = None

    @classmethod
    def of(cls, a: RiskAlert, today: date, *, detail: bool = False) -> AlertRead:
        return cls(
            id=a.id, alert_no=a.alert_no, rule_code=a.rule_code, severity=a.severity.value,
            dimension=a.dimension, dimension_value=a.dimension_value, metric=a.metric,
            value=a.value, threshold=a.threshold, raised_on=a.raised_on, owner_id=a.owner_id,
            due_on=a.due_on, status=a.status.value, actions=list(a.actions or []),
            overdue=a.due_on is not None and a.due_on < today and a.status.value != "closed",
            closed_at=a.closed_at, detail=a.detail if detail else None,
        )  # fmt: skip


class AlertListRead(BaseModel):
    items: list[AlertRead]


class AlertAction(BaseModel):
    text: str = Field(min_length=1, max_length=2000, description="the contingency action taken")


class AlertClose(BaseModel):
    reason: str = Field(
        default="", max_length=2000, description="required if no action was recorded"
    )


class RuleWrite(BaseModel):
    """A warning rule. Rates are fractions (0.05 is 5 %); for change and trend the threshold is
    a size (>= 0); for ``lpr_change_bp`` the window is in days."""

    code: str = Field(default="", max_length=64, description="ignored when editing")
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    metric: str = Field(max_length=64)
    dimension: str = Field(default="all", max_length=32)
    kind: Literal["level", "change", "trend"]
    direction: Literal["above", "below"] = "above"
    threshold: Decimal = Field(allow_inf_nan=False, max_digits=20, decimal_places=8)
    window: int = Field(default=1, ge=1, le=24)
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    owner_role: str | None = Field(default=None, max_length=32)
    owner_id: int | None = Field(default=None, ge=1, le=2**53)
    due_days: int = Field(default=7, ge=1, le=365)
    contingency_zh: str | None = Field(default=None, max_length=2000)
    contingency_en: str | None = Field(default=None, max_length=2000)


class RuleRead(RuleWrite):
    id: int
    enabled: bool
    updated_at: datetime

    @classmethod
    def of(cls, r: WarningRule) -> RuleRead:
        return cls(
            id=r.id, code=r.code, name_zh=r.name_zh, name_en=r.name_en, metric=r.metric,
            dimension=r.dimension, kind=r.kind.value, direction=r.direction,
            threshold=r.threshold.normalize(), window=r.window, severity=r.severity.value,
            owner_role=r.owner_role, owner_id=r.owner_id, due_days=r.due_days,
            contingency_zh=r.contingency_zh, contingency_en=r.contingency_en, enabled=r.enabled,
            updated_at=r.updated_at,
        )  # fmt: skip


class RuleListRead(BaseModel):
    items: list[RuleRead]


class TaskRead(BaseModel):
    id: int
    task_no: str
    kind: str
    loan_id: int
    loan_no: str
    created_on: date
    due_on: date
    status: str
    assigned_to_id: int | None
    reason: str | None
    finding: str | None
    note: str | None
    completed_at: datetime | None

    @classmethod
    def of(cls, t: MonitoringTask, loan: Loan) -> TaskRead:
        return cls(
            id=t.id, task_no=t.task_no, kind=t.kind.value, loan_id=t.loan_id, loan_no=loan.loan_no,
            created_on=t.created_on, due_on=t.due_on, status=t.status.value,
            assigned_to_id=t.assigned_to_id, reason=t.reason, finding=t.finding, note=t.note,
            completed_at=t.completed_at,
        )  # fmt: skip


class TaskListRead(BaseModel):
    items: list[TaskRead]


class TaskComplete(BaseModel):
    finding: Literal["ok", "concern", "misuse"]
    note: str = Field(default="", max_length=4000, description="required for concern and misuse")


class DigestRead(BaseModel):
    as_of: date
    lang: str
    new_by_severity: dict[str, int]
    open_count: int
    new_alerts: list[dict[str, Any]]
    overdue_alerts: list[dict[str, Any]]
    tasks_due: list[dict[str, Any]]
    text: str
    html: str


def _actor(principal: Principal) -> dict[str, Any]:
    return {"by_id": principal.staff_id, "actor_label": f"user:{principal.username}"}


# --- rules, tasks and the digest first: their paths would otherwise read as an alert id ----------


@router.get("/rules", response_model=RuleListRead)
def list_rules(
    session: SessionDep, _principal: Annotated[Principal, require(Permission.RISK_READ)]
) -> RuleListRead:
    """Every warning rule, by code."""
    return RuleListRead(items=[RuleRead.of(r) for r in repo.rules(session)])


@router.post(
    "/rules", status_code=201, response_model=RuleRead, responses={409: {"model": ErrorRead}}
)
def create_rule(
    body: RuleWrite, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
) -> RuleRead:  # fmt: skip
    """A new rule; 422 lists every problem (unknown metric or dimension, a code taken, ...)."""
    data = body.model_dump(mode="json")
    row = warnings.save_rule(session, data, rule_id=None, now=clock(request), **_actor(principal))
    return RuleRead.of(row)


@router.put("/rules/{rule_id}", response_model=RuleRead, responses=_CHANGED)
def update_rule(
    rule_id: EntityId, body: RuleWrite, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
) -> RuleRead:  # fmt: skip
    """Edit a rule (its code stays)."""
    data = body.model_dump(mode="json")
    row = warnings.save_rule(
        session, data, rule_id=rule_id, now=clock(request), **_actor(principal)
    )
    return RuleRead.of(row)


@router.post("/rules/{rule_id}/{switch}", response_model=RuleRead, responses=_CHANGED)
def switch_rule(
    rule_id: EntityId, switch: Literal["enable", "disable"], request: Request,
    session: SessionDep, principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
) -> RuleRead:  # fmt: skip
    row = warnings.set_rule_enabled(
        session, rule_id, switch == "enable", now=clock(request), **_actor(principal)
    )
    return RuleRead.of(row)


@router.get("/tasks", response_model=TaskListRead)
def list_tasks(
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
    status: Annotated[Literal["open", "done", "cancelled"] | None, Query()] = None,
    kind: Annotated[
        Literal["purpose_check", "large_loan_review", "behaviour_score"] | None, Query()
    ] = None,
) -> TaskListRead:
    """Monitoring tasks, soonest due first."""
    rows = repo.tasks(session, repo.TaskFilters(status=status, kind=kind), viewer=principal)
    return TaskListRead(items=[TaskRead.of(t, loan) for t, loan in rows])


@router.post("/tasks/{task_id}/complete", response_model=TaskRead, responses=_CHANGED)
def complete_task(
    task_id: EntityId, body: TaskComplete, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
) -> TaskRead:  # fmt: skip
    """Record the finding; ``misuse`` raises an alert. 409 when the task is not open."""
    task = monitoring.complete_task(session, task_id, body.finding, body.note, now=clock(request),
                                    today=today_for(request), viewer=principal,
                                    **_actor(principal))  # fmt: skip
    loan = session.get(Loan, task.loan_id)
    assert loan is not None
    return TaskRead.of(task, loan)


@router.get("/digest", response_model=DigestRead)
def digest(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
    day: Annotated[date | None, Query(alias="date")] = None,
    lang: Literal["zh", "en"] = "zh",
) -> DigestRead:
    """The daily digest of the caller's scope (today by default), as text and HTML too."""
    d = warnings_digest.daily_digest(session, day or today_for(request), lang, principal)

    def lines(items: list[warnings_digest.DigestLine]) -> list[dict[str, Any]]:
        return [{"number": i.number, "severity": i.severity, "what": i.what,
                 "due_on": i.due_on.isoformat() if i.due_on else None, "overdue": i.overdue}
                for i in items]  # fmt: skip

    return DigestRead(
        as_of=d.as_of, lang=d.lang, new_by_severity=d.new_by_severity, open_count=d.open_count,
        new_alerts=lines(d.new_alerts), overdue_alerts=lines(d.overdue_alerts),
        tasks_due=lines(d.tasks_due), text=d.text(), html=d.html(),
    )  # fmt: skip


# --- alerts ---------------------------------------------------------------------------------------


@router.get("", response_model=AlertListRead)
def list_alerts(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
    status: Annotated[
        Literal["open", "acknowledged", "actioned", "closed", "unclosed"] | None, Query()
    ] = None,
    severity: Annotated[Literal["low", "medium", "high", "critical"] | None, Query()] = None,
    rule: Annotated[str | None, Query(max_length=64)] = None,
    owner: Annotated[str | None, Query(max_length=16, description="a staff id, or me")] = None,
) -> AlertListRead:
    """Alerts, newest first."""
    owner_id = (
        principal.staff_id if owner == "me" else int(owner) if owner and owner.isdigit() else None
    )
    rows = repo.alerts(
        session, repo.AlertFilters(status, severity, rule, owner_id), viewer=principal
    )
    today = today_for(request)
    return AlertListRead(items=[AlertRead.of(a, today) for a in rows])


@router.get("/{alert_id}", response_model=AlertRead, responses={404: {"model": ErrorRead}})
def read_alert(
    alert_id: EntityId, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> AlertRead:  # fmt: skip
    """One alert with what was measured (``detail``: the series, why it fired, the plan)."""
    alert = warnings.get_alert(session, alert_id, principal)
    return AlertRead.of(alert, today_for(request), detail=True)


@router.post("/{alert_id}/acknowledge", response_model=AlertRead, responses=_CHANGED)
def acknowledge(
    alert_id: EntityId, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
) -> AlertRead:  # fmt: skip
    """Take an open alert in hand (409 unless open)."""
    a = warnings.acknowledge(session, alert_id, now=clock(request), by_name=principal.name,
                             viewer=principal, **_actor(principal))  # fmt: skip
    return AlertRead.of(a, today_for(request), detail=True)


@router.post("/{alert_id}/actions", response_model=AlertRead, responses=_CHANGED)
def record_action(
    alert_id: EntityId, body: AlertAction, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
) -> AlertRead:  # fmt: skip
    """Record a contingency action taken (appended to ``actions``)."""
    a = warnings.record_action(session, alert_id, body.text, now=clock(request),
                               by_name=principal.name, viewer=principal, **_actor(principal))  # fmt: skip
    return AlertRead.of(a, today_for(request), detail=True)


@router.post("/{alert_id}/close", response_model=AlertRead, responses=_CHANGED)
def close(
    alert_id: EntityId, body: AlertClose, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.ALERTS_WORK)],
) -> AlertRead:  # fmt: skip
    """Close an alert: 422 when no action was recorded and no reason given."""
    a = warnings.close_alert(session, alert_id, body.reason, now=clock(request),
                             by_name=principal.name, viewer=principal, **_actor(principal))  # fmt: skip
    return AlertRead.of(a, today_for(request), detail=True)
