"""Pure rules of feedback to improvement (反馈与改进): the ticket status machine, the SLA due times
of a ticket, and the validation and verification of improvement actions.

No session, clock or I/O here (house rule 2): ``now`` and the configured SLA rows are passed in.
Every refusal carries a stable ``code`` (a key of :data:`PROBLEMS`) and its parameters, so each
surface translates it; the English text names the status and what it allows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

from loanpilot.kit.errors import CodedProblem, ConflictError, ValidationError

# --- problems --------------------------------------------------------------------------------------

PROBLEMS: Final[dict[str, str]] = {
    "required": "is required",
    "too_long": "must be at most {max} characters (got {length})",
    "not_allowed": "must be one of {allowed} (got {given})",
    "illegal_move": "a ticket in status '{status}' cannot move to '{target}'; "
    "from '{status}' it may move to: {allowed}",
    "no_resolution": "cannot close or resolve without a resolution: record what was done first",
    "not_confirmed": "cannot close before the customer confirms the resolution, or before "
    "{days} days have passed since it was resolved without an answer (until {until})",
    "customer_unsatisfied": "the customer said the resolution did not satisfy them: reopen the "
    "ticket instead of closing it",
    "confirm_not_resolved": "the customer's confirmation can only be recorded on a resolved "
    "ticket (status is '{status}')",
    "action_illegal_move": "an action in status '{status}' cannot move to '{target}'; "
    "from '{status}' it may move to: {allowed}",
    "owner_required": "an improvement action needs an owner (a staff member responsible for it)",
    "deadline_past": "must not be before {earliest} (got {given})",
    "source_missing": "an action raised from a {kind} must name it",
    "target_direction": "must improve on the baseline {baseline} ({direction} is better)",
    "not_measurable": "the action has no after value yet: the period after it was done "
    "({period}) ends on {end}",
}


class Problem(CodedProblem):
    """A problem of feedback: its ``code`` is a key of :data:`PROBLEMS`."""


def problem(field: str, code: str, /, **params: object) -> Problem:
    """The problem ``code`` of ``field``, its English text filled from ``params``."""
    return Problem.of(PROBLEMS, field, code, params)


class MoveRefusedError(ConflictError):
    """A status change the machine does not allow; ``problems`` holds the one coded problem."""


def refuse(field: str, code: str, /, **params: object) -> MoveRefusedError:
    found = problem(field, code, **params)
    return MoveRefusedError(f"feedback.{code}", found.message, [found])


# --- tickets: the status machine ---------------------------------------------------------------

OPEN, IN_PROGRESS, RESOLVED, CLOSED, REOPENED = (
    "open",
    "in_progress",
    "resolved",
    "closed",
    "reopened",
)
TICKET_STATUSES: Final = (OPEN, IN_PROGRESS, RESOLVED, CLOSED, REOPENED)
#: Where each status may go. Resolving needs a resolution; closing needs the customer's
#: confirmation or the confirmation timeout; a closed ticket may be reopened when the customer
#: comes back about it.
TICKET_MOVES: Final[dict[str, tuple[str, ...]]] = {
    OPEN: (IN_PROGRESS, RESOLVED),
    IN_PROGRESS: (RESOLVED,),
    RESOLVED: (CLOSED, REOPENED),
    CLOSED: (REOPENED,),
    REOPENED: (IN_PROGRESS, RESOLVED),
}
#: Unresolved statuses: the SLA clock runs and the ticket can be overdue.
UNRESOLVED: Final = frozenset({OPEN, IN_PROGRESS, REOPENED})
#: The confirmation timeout: a resolved ticket the customer has not answered for this long may be
#: closed without their confirmation (``customer_confirmed`` stays empty, the history says so).
CONFIRM_TIMEOUT_DAYS: Final = 7
RESOLUTION_MAX = 4000


@dataclass(frozen=True)
class TicketState:
    """What the status machine needs to know of a ticket."""

    status: str
    resolution: str | None = None
    resolved_at: datetime | None = None
    customer_confirmed: bool | None = None
    confirmed_at: datetime | None = None
    first_response_at: datetime | None = None


def allowed_moves(status: str) -> tuple[str, ...]:
    return TICKET_MOVES.get(status, ())


def _clean(text: str | None) -> str | None:
    stripped = (text or "").strip()
    return stripped or None


def move(
    state: TicketState, target: str, now: datetime, *, resolution: str | None = None
) -> TicketState:
    """The ticket after moving to ``target`` at ``now``; raises :class:`MoveRefusedError` (or
    ValidationError for a bad resolution text) naming the status and what it allows.

    Resolving records ``resolution`` (required, unless the ticket already carries one from the
    same cycle); reopening clears the resolution and the confirmation of the cycle that failed
    (the history keeps both); closing checks :func:`close_problem`.
    """
    if target not in TICKET_STATUSES:
        raise ValidationError(
            "feedback.invalid",
            "Unknown status",
            [problem("status", "not_allowed", allowed=", ".join(TICKET_STATUSES), given=target)],
        )
    if target == CLOSED and _clean(state.resolution) is None:
        raise refuse("status", "no_resolution")
    allowed = allowed_moves(state.status)
    if target not in allowed:
        raise refuse(
            "status",
            "illegal_move",
            status=state.status,
            target=target,
            allowed=", ".join(allowed) or "nothing",
        )
    first = state.first_response_at or now
    if target == IN_PROGRESS:
        return replace(state, status=target, first_response_at=first)
    if target == RESOLVED:
        text = _clean(resolution) or _clean(state.resolution)
        if text is None:
            raise refuse("resolution", "no_resolution")
        if len(text) > RESOLUTION_MAX:
            raise ValidationError(
                "feedback.invalid",
                "The resolution is too long",
                [problem("resolution", "too_long", max=RESOLUTION_MAX, length=len(text))],
            )
        return replace(
            state,
            status=target,
            resolution=text,
            resolved_at=now,
            customer_confirmed=None,
            confirmed_at=None,
            first_response_at=first,
        )
    if target == CLOSED:
        why = close_problem(state, now)
        if why is not None:
            raise MoveRefusedError(f"feedback.{why.code}", why.message, [why])
        return replace(state, status=target)
    # REOPENED
    return replace(state, status=target, resolution=None, resolved_at=None)


def close_problem(
    state: TicketState, now: datetime, timeout_days: int = CONFIRM_TIMEOUT_DAYS
) -> Problem | None:
    """Why a resolved ticket may not be closed yet; None when it may.

    It may be closed when the customer confirmed the resolution, or when ``timeout_days`` have
    passed since it was resolved and the customer has not answered. A customer who said no is
    not closed over: the ticket is reopened.
    """
    if _clean(state.resolution) is None:
        return problem("status", "no_resolution")
    if state.customer_confirmed is True:
        return None
    if state.customer_confirmed is False:
        return problem("status", "customer_unsatisfied")
    until = (state.resolved_at or now) + timedelta(days=timeout_days)
    if now >= until:
        return None
    return problem("status", "not_confirmed", days=timeout_days, until=until.isoformat())


def confirm(state: TicketState, satisfied: bool, now: datetime) -> TicketState:
    """Record the customer's answer on a resolved ticket: satisfied closes it, not satisfied
    reopens it (the answer is kept on the ticket and in its history)."""
    if state.status != RESOLVED:
        raise refuse("customer_confirmed", "confirm_not_resolved", status=state.status)
    answered = replace(state, customer_confirmed=satisfied, confirmed_at=now)
    if satisfied:
        return replace(answered, status=CLOSED)
    return replace(answered, status=REOPENED, resolution=None, resolved_at=None)


def is_overdue(status: str, sla_due_at: datetime | None, now: datetime) -> bool:
    """Unresolved and past its SLA due time."""
    return status in UNRESOLVED and sla_due_at is not None and sla_due_at < now


# --- tickets: SLA due times ----------------------------------------------------------------------

PRIORITIES: Final = ("low", "normal", "high", "urgent")
TICKET_TYPES: Final = ("complaint", "suggestion", "inquiry")

#: Default hours (calendar hours from receipt) when ``service_slas`` holds no row for the stage.
#: Complaints: first response and resolution; inquiries: the answer; suggestions: the reply.
DEFAULT_HOURS: Final[dict[str, dict[str, int]]] = {
    "complaint_first_response": {"urgent": 2, "high": 4, "normal": 12, "low": 24},
    "complaint_resolution": {"urgent": 24, "high": 48, "normal": 72, "low": 120},
    "inquiry_response": {"urgent": 4, "high": 8, "normal": 24, "low": 48},
    "suggestion_response": {"urgent": 72, "high": 120, "normal": 240, "low": 240},
}


@dataclass(frozen=True)
class SlaRow:
    """One row of ``service_slas`` (read only): a stage's target hours from ``valid_from``, for one
    product type or (None) for every product type."""

    stage: str
    product_type: str | None
    target_hours: Decimal
    valid_from: date


@dataclass(frozen=True)
class SlaDue:
    first_response_due_at: datetime | None
    due_at: datetime
    hours: Decimal
    source: str  # "service_slas" or "default"


def configured_hours(
    rows: tuple[SlaRow, ...] | list[SlaRow], stage: str, product_type: str | None, on: date
) -> Decimal | None:
    """The target hours of ``stage`` valid on ``on``: the latest row valid by then, a row for the
    ticket's product type winning over one for every product type; None when none is set."""
    valid = [r for r in rows if r.stage == stage and r.valid_from <= on]
    specific = [r for r in valid if product_type is not None and r.product_type == product_type]
    general = [r for r in valid if r.product_type is None]
    for group in (specific, general):
        if group:
            return max(group, key=lambda r: r.valid_from).target_hours
    return None


def _hours(
    rows: tuple[SlaRow, ...] | list[SlaRow],
    stage: str,
    priority: str,
    product_type: str | None,
    on: date,
) -> tuple[Decimal, str]:
    default = Decimal(DEFAULT_HOURS[stage].get(priority, DEFAULT_HOURS[stage]["normal"]))
    set_hours = configured_hours(rows, stage, product_type, on)
    if set_hours is None:
        return default, "default"
    # the configured target is the normal one; urgent and high tickets never get longer than
    # their priority's default
    if priority in ("urgent", "high"):
        return min(set_hours, default), "service_slas"
    return set_hours, "service_slas"


def sla_due(
    ticket_type: str,
    priority: str,
    received_at: datetime,
    on: date,
    rows: tuple[SlaRow, ...] | list[SlaRow] = (),
    product_type: str | None = None,
) -> SlaDue:
    """When a ticket of ``ticket_type`` and ``priority`` received at ``received_at`` (business
    date ``on``) is due: complaints by ``complaint_resolution`` (and a first response by
    ``complaint_first_response``), inquiries by ``inquiry_response``, suggestions by the default
    reply time. Hours are calendar hours."""
    first: datetime | None = None
    if ticket_type == "complaint":
        hours, source = _hours(rows, "complaint_resolution", priority, product_type, on)
        first_hours, _ = _hours(rows, "complaint_first_response", priority, product_type, on)
        first = received_at + timedelta(hours=float(first_hours))
    elif ticket_type == "inquiry":
        hours, source = _hours(rows, "inquiry_response", priority, product_type, on)
    else:
        hours, source = _hours(rows, "suggestion_response", priority, product_type, on)
    return SlaDue(first, received_at + timedelta(hours=float(hours)), hours, source)


# --- improvement actions -------------------------------------------------------------------------

PROPOSED, DONE, VERIFIED, CANCELLED = "proposed", "done", "verified", "cancelled"
ACTION_STATUSES: Final = (PROPOSED, IN_PROGRESS, DONE, VERIFIED, CANCELLED)
#: done → verified only through :func:`verify` (the after value meets the target); done →
#: in_progress when it did not and the owner works on.
ACTION_MOVES: Final[dict[str, tuple[str, ...]]] = {
    PROPOSED: (IN_PROGRESS, CANCELLED),
    IN_PROGRESS: (DONE, CANCELLED),
    DONE: (VERIFIED, IN_PROGRESS),
    VERIFIED: (),
    CANCELLED: (),
}
SOURCE_KINDS: Final = ("ticket", "survey", "alert", "kpi", "review")
TITLE_MAX = 200


def check_action_move(status: str, target: str) -> None:
    allowed = ACTION_MOVES.get(status, ())
    if target not in allowed:
        raise refuse(
            "status",
            "action_illegal_move",
            status=status,
            target=target,
            allowed=", ".join(allowed) or "nothing",
        )


@dataclass(frozen=True)
class ActionDraft:
    title: str
    owner_id: int | None
    deadline: date | None
    source_kind: str
    metric_code: str
    target_value: Decimal | None
    source_ticket_id: int | None = None
    source_alert_id: int | None = None
    source_ref: str | None = None


def validate_action(draft: ActionDraft, today: date) -> list[Problem]:
    """Every problem of a new action (empty when it may be raised)."""
    out: list[Problem] = []
    title = draft.title.strip()
    if not title:
        out.append(problem("title", "required"))
    elif len(title) > TITLE_MAX:
        out.append(problem("title", "too_long", max=TITLE_MAX, length=len(title)))
    if draft.owner_id is None:
        out.append(problem("owner_id", "owner_required"))
    if draft.deadline is None:
        out.append(problem("deadline", "required"))
    elif draft.deadline < today:
        out.append(problem("deadline", "deadline_past", earliest=today, given=draft.deadline))
    if draft.source_kind not in SOURCE_KINDS:
        out.append(
            problem(
                "source_kind",
                "not_allowed",
                allowed=", ".join(SOURCE_KINDS),
                given=draft.source_kind,
            )
        )
    elif draft.source_kind == "ticket" and draft.source_ticket_id is None:
        out.append(problem("source_ticket_id", "source_missing", kind="ticket"))
    elif draft.source_kind == "alert" and draft.source_alert_id is None:
        out.append(problem("source_alert_id", "source_missing", kind="alert"))
    elif draft.source_kind in ("survey", "kpi", "review") and not (draft.source_ref or "").strip():
        out.append(problem("source_ref", "source_missing", kind=draft.source_kind))
    if not draft.metric_code.strip():
        out.append(problem("metric_code", "required"))
    if draft.target_value is None:
        out.append(problem("target_value", "required"))
    return out


def target_problem(baseline: Decimal, target: Decimal, higher_is_better: bool) -> Problem | None:
    """The target must be an improvement on the baseline in the KPI's direction."""
    better = target > baseline if higher_is_better else target < baseline
    if better:
        return None
    return problem(
        "target_value",
        "target_direction",
        baseline=baseline,
        direction="higher" if higher_is_better else "lower",
    )


@dataclass(frozen=True)
class Verdict:
    """The before/after comparison of an action's metric."""

    baseline: Decimal
    target: Decimal
    after: Decimal
    change: Decimal  # after - baseline
    change_pct: Decimal | None  # change / |baseline|; None when the baseline is zero
    met: bool


def verify(baseline: Decimal, target: Decimal, after: Decimal, higher_is_better: bool) -> Verdict:
    """Whether ``after`` meets ``target`` (at least it when higher is better, at most it when
    lower is better), with the change against ``baseline``."""
    met = after >= target if higher_is_better else after <= target
    change = after - baseline
    pct = (change / abs(baseline)).quantize(Decimal("0.0001")) if baseline != 0 else None
    return Verdict(baseline, target, after, change, pct, met)
