"""Improvement actions (改进措施): raised from a ticket, a survey, an alert, a KPI or a review,
each with an owner (required), a deadline, a status (proposed → in_progress → done → verified /
cancelled) and a metric that proves it worked: the baseline measured over the period before the
action was raised, the after value over the period after it was done; verified when the after
value meets the target in the KPI's direction.

Services only flush; the entry point commits. Every change is in the action's history
(``feedback_events``) and the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from loanpilot.audit.service import record
from loanpilot.evaluation import actions_metrics as metrics
from loanpilot.evaluation import feedback_rules as rules
from loanpilot.evaluation import repository_feedback as repo
from loanpilot.evaluation.feedback import Actor
from loanpilot.evaluation.models import (
    ActionSourceKind,
    ActionStatus,
    FeedbackEvent,
    ImprovementAction,
)
from loanpilot.kit.errors import FieldProblem, NotFoundError, ValidationError
from loanpilot.kit.periods import Period, PeriodKind, parse_period

PERIOD_KINDS: tuple[PeriodKind, ...] = ("month", "quarter")


@dataclass(frozen=True)
class ActionForm:
    """An action as the API and the form give it (text fields as typed)."""

    title: str
    owner_id: int | None
    deadline: date | None
    source_kind: str
    metric_code: str
    target_value: str
    description: str | None = None
    source_ticket_id: int | None = None
    source_alert_id: int | None = None
    source_ref: str | None = None
    period_kind: str = "month"
    metric_dimension: str = "all"
    metric_key: str | None = None


def _log(
    session: Session, a: ImprovementAction, kind: str, actor: Actor, now: datetime,
    before: object = None, after: object = None, note: str | None = None,
) -> None:  # fmt: skip
    def code(v: object) -> str | None:
        return None if v is None else str(getattr(v, "value", v))[:64]

    session.add(FeedbackEvent(action_id=a.id, at=now, kind=kind, from_value=code(before),
                              to_value=code(after), note=note, by_staff_id=actor.staff_id,
                              actor_label=actor.label[:64]))  # fmt: skip
    record(session, action=f"feedback.action.{kind}", actor_label=actor.label,
           actor_staff_id=actor.staff_id, entity="improvement_action", entity_id=str(a.id),
           detail={"from": code(before), "to": code(after), "metric": a.metric_code},
           client_address=actor.client_address, at=now)  # fmt: skip


def get_action(session: Session, action_id: int) -> ImprovementAction:
    found = repo.action(session, action_id)
    if found is None:
        raise NotFoundError("action.not_found", f"No improvement action with id {action_id}")
    return found


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None


def create(
    session: Session, form: ActionForm, actor: Actor, today: date, now: datetime
) -> ImprovementAction:
    """Raise an action: every problem at once (no owner, a past deadline, an unknown source or
    metric, a target that is no improvement on the baseline); nothing saved unless all is well."""
    target = _decimal(form.target_value) if form.target_value.strip() else None
    draft = rules.ActionDraft(
        title=form.title, owner_id=form.owner_id, deadline=form.deadline,
        source_kind=form.source_kind, metric_code=form.metric_code.strip(), target_value=target,
        source_ticket_id=form.source_ticket_id, source_alert_id=form.source_alert_id,
        source_ref=form.source_ref,
    )  # fmt: skip
    problems: list[FieldProblem] = list(rules.validate_action(draft, today))
    if form.target_value.strip() and target is None:
        problems.append(rules.problem("target_value", "not_allowed", allowed="a number",
                                      given=form.target_value[:40]))  # fmt: skip
    if form.owner_id is not None and not repo.staff_exists(session, form.owner_id):
        problems.append(rules.problem("owner_id", "not_allowed", allowed="an existing staff member",
                                      given=form.owner_id))  # fmt: skip
    if form.source_ticket_id is not None and not repo.ticket_exists(session, form.source_ticket_id):
        problems.append(rules.problem("source_ticket_id", "not_allowed",
                                      allowed="an existing ticket", given=form.source_ticket_id))  # fmt: skip
    if form.source_alert_id is not None and not repo.alert_exists(session, form.source_alert_id):
        problems.append(rules.problem("source_alert_id", "not_allowed",
                                      allowed="an existing alert", given=form.source_alert_id))  # fmt: skip
    if form.period_kind not in PERIOD_KINDS:
        problems.append(rules.problem("period_kind", "not_allowed",
                                      allowed=", ".join(PERIOD_KINDS), given=form.period_kind))  # fmt: skip
    code = form.metric_code.strip()
    found = metrics.info(code) if code else None
    if code and found is None:
        known = ", ".join(m.code for m in metrics.catalogue())
        problems.append(rules.problem("metric_code", "not_allowed", allowed=known, given=code))
    baseline_period = Period.containing(today, "month").previous()
    measured = None
    if found is not None and form.period_kind in PERIOD_KINDS:
        baseline_period = Period.containing(today, form.period_kind).previous()
        measured = metrics.measure(session, code, baseline_period, dimension=form.metric_dimension,
                                   key=form.metric_key)  # fmt: skip
        if measured is None:
            problems.append(rules.problem("metric_code", "not_allowed",
                                          allowed=f"a metric with a value for {baseline_period.label}",
                                          given=code))  # fmt: skip
        elif target is not None:
            wrong = rules.target_problem(measured.value, target, found.higher_is_better)
            if wrong is not None:
                problems.append(wrong)
    if problems:
        raise ValidationError("action.invalid", "The improvement action is not valid", problems)
    assert measured is not None
    assert found is not None
    assert target is not None
    assert form.owner_id is not None
    assert form.deadline is not None
    a = ImprovementAction(
        title=form.title.strip(), description=(form.description or "").strip() or None,
        source_kind=ActionSourceKind(form.source_kind), source_ticket_id=form.source_ticket_id,
        source_alert_id=form.source_alert_id, source_ref=(form.source_ref or "").strip() or None,
        owner_id=form.owner_id, deadline=form.deadline, status=ActionStatus.PROPOSED,
        metric_code=code, baseline_value=measured.value, target_value=target,
        raised_on=today, baseline_period=baseline_period.label,
        higher_is_better=found.higher_is_better, metric_dimension=form.metric_dimension,
        metric_key=form.metric_key,
    )  # fmt: skip
    session.add(a)
    session.flush()
    _log(session, a, "created", actor, now, after=a.status,
         note=f"baseline {measured.value} ({measured.source})")  # fmt: skip
    return a


def _kind_of(a: ImprovementAction) -> PeriodKind:
    if a.baseline_period:
        return parse_period(a.baseline_period).kind
    return "month"


def after_period(a: ImprovementAction) -> Period | None:
    """The period the after value is measured over: the one after the action was done."""
    if a.after_period:
        return parse_period(a.after_period)
    done = a.done_on or (
        a.deadline if a.status in (ActionStatus.DONE, ActionStatus.VERIFIED) else None
    )
    return Period.containing(done, _kind_of(a)).next() if done else None


def move(
    session: Session, action_id: int, target: str, actor: Actor, today: date, now: datetime,
    *, note: str | None = None,
) -> ImprovementAction:  # fmt: skip
    """Start, finish, cancel or rework an action; ``verified`` only through :func:`verify`."""
    a = get_action(session, action_id)
    if target == rules.VERIFIED:
        raise rules.refuse("status", "action_illegal_move", status=a.status.value, target=target,
                           allowed="verify (measure the after value against the target)")  # fmt: skip
    rules.check_action_move(a.status.value, target)
    before = a.status
    a.status = ActionStatus(target)
    if a.status is ActionStatus.DONE:
        a.done_on = today
        a.after_period = Period.containing(today, _kind_of(a)).next().label
    session.flush()
    _log(session, a, "status", actor, now, before=before, after=a.status, note=note)
    return a


def verdict(a: ImprovementAction) -> rules.Verdict | None:
    """The before/after comparison, once an after value was measured."""
    if a.after_value is None:
        return None
    higher = a.higher_is_better
    if higher is None:
        found = metrics.info(a.metric_code or "")
        higher = found.higher_is_better if found else a.target_value >= a.baseline_value
    return rules.verify(a.baseline_value, a.target_value, a.after_value, higher)


def verify(
    session: Session, action_id: int, actor: Actor, today: date, now: datetime
) -> tuple[ImprovementAction, rules.Verdict]:
    """Measure a done action's metric over the period after it was done; verified when it meets
    the target, else it stays done with the measured value (the owner may rework it)."""
    a = get_action(session, action_id)
    if a.status is not ActionStatus.DONE:
        raise rules.refuse("status", "action_illegal_move", status=a.status.value,
                           target=rules.VERIFIED,
                           allowed=", ".join(rules.ACTION_MOVES.get(a.status.value, ())) or "nothing")  # fmt: skip
    period = after_period(a)
    if period is None or today < period.end:
        end = period.end if period else "?"
        raise rules.refuse("after_value", "not_measurable", period=period.label if period else "?",
                           end=end)  # fmt: skip
    measured = metrics.measure(session, a.metric_code or "", period,
                               dimension=a.metric_dimension or "all", key=a.metric_key)  # fmt: skip
    if measured is None:
        raise ValidationError("action.invalid", "The metric cannot be measured", [rules.problem(
            "metric_code", "not_allowed", allowed=f"a metric with a value for {period.label}",
            given=a.metric_code)])  # fmt: skip
    a.after_value, a.after_period = measured.value, period.label
    result = verdict(a)
    assert result is not None
    before = a.status
    if result.met:
        a.status, a.verified_on = ActionStatus.VERIFIED, today
    session.flush()
    _log(session, a, "measured", actor, now, before=before, after=a.status,
         note=f"after {measured.value} vs target {a.target_value} ({measured.source}): "
              + ("met" if result.met else "not met"))  # fmt: skip
    return a, result
