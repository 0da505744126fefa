"""The feedback API (``/api/v1/feedback``): tickets (list with filters, register, one with its
history, status, assignment, topic correction, the customer's confirmation), the topic model
(metrics, classify, fit) and improvement actions (list, raise, move, verify).

Reading needs ``feedback:read``; every change ``feedback:work``. What a caller sees is their scope
(customer managers: their customers' tickets and those assigned to them; branch heads: their
branch subtree). An illegal status move is 409 naming the status and what it allows; bad input
422 with every problem; the route's session commits, a refused request changes nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for
from loanpilot.evaluation import actions, feedback, topics
from loanpilot.evaluation import actions_metrics as metrics
from loanpilot.evaluation import feedback_rules as rules
from loanpilot.evaluation import repository_feedback as repo
from loanpilot.evaluation.feedback_schemas import (
    ActionCreate,
    ActionListRead,
    ActionRead,
    ActionStatusWrite,
    AssignWrite,
    ClassifyRead,
    ClassifyWrite,
    ConfirmationWrite,
    EventRead,
    MetricRead,
    StatusWrite,
    TicketCreate,
    TicketListRead,
    TicketRead,
    TicketSummary,
    TopicModelRead,
    TopicWrite,
    VerdictRead,
)
from loanpilot.evaluation.models import FeedbackTicket, ImprovementAction, TopicModel
from loanpilot.kit.errors import NotFoundError
from loanpilot.web.auth import client_address, clock, require

router = APIRouter(
    prefix="/api/v1/feedback",
    tags=["feedback"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_CHANGED: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}, 409: {"model": ErrorRead}}
Reader = Annotated[Principal, require(Permission.FEEDBACK_READ)]
Worker = Annotated[Principal, require(Permission.FEEDBACK_WORK)]


def actor_of(request: Request, principal: Principal) -> feedback.Actor:
    return feedback.Actor(principal.staff_id, f"user:{principal.username}", client_address(request))


def ticket_read(
    session: Session, t: FeedbackTicket, name: str | None, request: Request
) -> TicketRead:
    now = clock(request)
    overdue = rules.is_overdue(t.status.value, t.sla_due_at, now)
    return TicketRead(
        **TicketSummary.fields_of(t, name, overdue), body=t.body, resolution=t.resolution,
        resolved_at=t.resolved_at, customer_confirmed=t.customer_confirmed,
        confirmed_at=t.confirmed_at, first_response_at=t.first_response_at,
        product_id=t.product_id, allowed_moves=list(rules.allowed_moves(t.status.value)),
        history=[EventRead.of(e) for e in repo.events(session, ticket_id=t.id)],
    )  # fmt: skip


def _reread(session: Session, ticket_id: int, principal: Principal, request: Request) -> TicketRead:
    row = feedback.get_ticket(session, ticket_id, principal)
    return ticket_read(session, row.ticket, row.customer_name, request)


@router.get("/tickets", response_model=TicketListRead)
def list_tickets(
    request: Request,
    session: SessionDep,
    principal: Reader,
    status: Annotated[
        str | None, Query(max_length=16, description="a status or unresolved")
    ] = None,
    ticket_type: Annotated[str | None, Query(alias="type", max_length=16)] = None,
    topic: Annotated[str | None, Query(max_length=32)] = None,
    channel: Annotated[str | None, Query(max_length=16)] = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> TicketListRead:
    """Tickets in the caller's scope, newest first; ``overdue=true`` lists the unresolved ones
    past their SLA due time."""
    unknown = (
        (status and status != "unresolved" and status not in rules.TICKET_STATUSES)
        or (ticket_type and ticket_type not in feedback.TYPES)
        or (channel and channel not in feedback.CHANNELS)
    )
    if unknown:
        return TicketListRead(total=0, items=[])
    filters = repo.TicketFilters(status=status or None, type=ticket_type, topic=topic, channel=channel,
                                 overdue=overdue)  # fmt: skip
    now = clock(request)
    rows = repo.tickets(session, filters, principal, now, limit=limit, offset=offset)
    items = [
        TicketSummary(**TicketSummary.fields_of(
            r.ticket, r.customer_name, rules.is_overdue(r.ticket.status.value, r.ticket.sla_due_at, now)))
        for r in rows
    ]  # fmt: skip
    return TicketListRead(total=repo.count_tickets(session, filters, principal, now), items=items)


@router.post("/tickets", status_code=201, response_model=TicketRead)
def create_ticket(
    body: TicketCreate, request: Request, session: SessionDep, principal: Worker
) -> TicketRead:
    """Register a ticket from any channel; the topic is classified when not given."""
    draft = feedback.TicketDraft(**body.model_dump())
    t = feedback.register(session, draft, actor_of(request, principal), clock(request),
                          viewer=principal)  # fmt: skip
    return _reread(session, t.id, principal, request)


@router.get(
    "/tickets/{ticket_id}", response_model=TicketRead, responses={404: {"model": ErrorRead}}
)
def get_ticket(
    ticket_id: EntityId, request: Request, session: SessionDep, principal: Reader
) -> TicketRead:
    return _reread(session, ticket_id, principal, request)


@router.post("/tickets/{ticket_id}/status", response_model=TicketRead, responses=_CHANGED)
def move_ticket(
    ticket_id: EntityId, body: StatusWrite, request: Request, session: SessionDep, principal: Worker
) -> TicketRead:
    """open → in_progress → resolved (with a resolution) → closed (customer confirmed, or 7 days
    without an answer); resolved or closed → reopened."""
    feedback.change_status(session, ticket_id, body.status, actor_of(request, principal),
                           clock(request), resolution=body.resolution, viewer=principal)  # fmt: skip
    return _reread(session, ticket_id, principal, request)


@router.post("/tickets/{ticket_id}/assign", response_model=TicketRead, responses=_CHANGED)
def assign_ticket(
    ticket_id: EntityId, body: AssignWrite, request: Request, session: SessionDep, principal: Worker
) -> TicketRead:
    feedback.assign(session, ticket_id, body.staff_id, actor_of(request, principal),
                    clock(request), viewer=principal)  # fmt: skip
    return _reread(session, ticket_id, principal, request)


@router.post("/tickets/{ticket_id}/topic", response_model=TicketRead, responses=_CHANGED)
def correct_topic(
    ticket_id: EntityId, body: TopicWrite, request: Request, session: SessionDep, principal: Worker
) -> TicketRead:
    """Staff correct the topic (``topic_source=staff``); the next fit learns from it."""
    feedback.correct_topic(session, ticket_id, body.topic, actor_of(request, principal),
                           clock(request), viewer=principal)  # fmt: skip
    return _reread(session, ticket_id, principal, request)


@router.post("/tickets/{ticket_id}/confirmation", response_model=TicketRead, responses=_CHANGED)
def confirm_ticket(
    ticket_id: EntityId, body: ConfirmationWrite, request: Request, session: SessionDep,
    principal: Worker,
) -> TicketRead:  # fmt: skip
    """The customer's answer to the resolution: satisfied closes, not satisfied reopens."""
    feedback.confirm(session, ticket_id, body.satisfied, actor_of(request, principal),
                     clock(request), viewer=principal)  # fmt: skip
    return _reread(session, ticket_id, principal, request)


# --- the topic model -----------------------------------------------------------------------------


def model_read(row: TopicModel) -> TopicModelRead:
    m = row.metrics
    return TopicModelRead(version=row.version, label=topics.model_label(row.version),
                          trained_at=row.trained_at, n_train=row.n_train,
                          accuracy=m["accuracy"], macro_f1=m["macro_f1"], folds=m["folds"],
                          labels=m["labels"], confusion=m["confusion"])  # fmt: skip


@router.get("/topics/model", response_model=TopicModelRead, responses={404: {"model": ErrorRead}})
def current_model(session: SessionDep, _principal: Reader) -> TopicModelRead:
    """The latest topic model's cross-validated accuracy, macro-F1 and confusion."""
    return model_read(topics.get_model(session))


@router.post("/topics/classify", response_model=ClassifyRead, responses={404: {"model": ErrorRead}})
def classify(body: ClassifyWrite, session: SessionDep, _principal: Reader) -> ClassifyRead:
    found = topics.classify(session, body.text)
    if found is None:
        raise NotFoundError("topics.not_found", "no topic model has been fitted yet")
    return ClassifyRead(topic=found.topic, probability=found.probability, model=found.label,
                        ranked=list(found.ranked))  # fmt: skip


@router.post("/topics/fit", status_code=201, response_model=TopicModelRead)
def fit_model(request: Request, session: SessionDep, principal: Worker) -> TopicModelRead:
    """Fit the next version on every staff-labelled ticket (corrections included)."""
    row = topics.fit(session, now=clock(request), by_id=principal.staff_id,
                     actor_label=f"user:{principal.username}")  # fmt: skip
    return model_read(row)


# --- improvement actions -------------------------------------------------------------------------


def action_read(session: Session, a: ImprovementAction, history: bool = False) -> ActionRead:
    v = actions.verdict(a)
    return ActionRead(
        **ActionRead.fields_of(a), verdict=VerdictRead(**v.__dict__) if v else None,
        history=[EventRead.of(e) for e in repo.events(session, action_id=a.id)] if history else [],
    )  # fmt: skip


@router.get("/actions", response_model=ActionListRead)
def list_actions(
    session: SessionDep,
    _principal: Reader,
    status: Annotated[str | None, Query(max_length=16, description="a status or open")] = None,
    source_kind: Annotated[str | None, Query(max_length=16)] = None,
) -> ActionListRead:
    if status and status != "open" and status not in rules.ACTION_STATUSES:
        return ActionListRead(items=[])
    if source_kind and source_kind not in rules.SOURCE_KINDS:
        return ActionListRead(items=[])
    rows = repo.actions(session, repo.ActionFilters(status=status, source_kind=source_kind))
    return ActionListRead(items=[action_read(session, a) for a in rows])


@router.get("/actions/metrics", response_model=list[MetricRead])
def list_metrics(_principal: Reader) -> list[MetricRead]:
    """The metrics an action may be measured by, with their direction."""
    return [MetricRead(**m.__dict__) for m in metrics.catalogue()]


@router.post("/actions", status_code=201, response_model=ActionRead)
def create_action(
    body: ActionCreate, request: Request, session: SessionDep, principal: Worker
) -> ActionRead:
    """Raise an action; refused without owner; its baseline is measured now."""
    data = body.model_dump()
    data["target_value"] = str(body.target_value)
    a = actions.create(session, actions.ActionForm(**data), actor_of(request, principal),
                       today_for(request), clock(request))  # fmt: skip
    return action_read(session, a, history=True)


@router.get(
    "/actions/{action_id}", response_model=ActionRead, responses={404: {"model": ErrorRead}}
)
def get_action(action_id: EntityId, session: SessionDep, _principal: Reader) -> ActionRead:
    return action_read(session, actions.get_action(session, action_id), history=True)


@router.post("/actions/{action_id}/status", response_model=ActionRead, responses=_CHANGED)
def move_action(
    action_id: EntityId, body: ActionStatusWrite, request: Request, session: SessionDep,
    principal: Worker,
) -> ActionRead:  # fmt: skip
    a = actions.move(session, action_id, body.status, actor_of(request, principal),
                     today_for(request), clock(request), note=body.note)  # fmt: skip
    return action_read(session, a, history=True)


@router.post("/actions/{action_id}/verify", response_model=ActionRead, responses=_CHANGED)
def verify_action(
    action_id: EntityId, request: Request, session: SessionDep, principal: Worker
) -> ActionRead:
    """Measure the after value over the period after the action was done; verified when it
    meets the target."""
    a, _ = actions.verify(session, action_id, actor_of(request, principal), today_for(request),
                          clock(request))  # fmt: skip
    return action_read(session, a, history=True)
