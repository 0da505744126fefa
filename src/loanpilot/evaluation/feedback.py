"""Feedback tickets (客户反馈): register from any channel, classify the topic, assign, move
through the status machine (``feedback_rules``), record the customer's confirmation, correct the
topic, close the resolved tickets nobody answered, and turn low survey scores' comments into
tickets.

Services only flush; the entry point commits. Every change writes the ticket's history
(``feedback_events``) and an audit row (codes and ids only, no personal data).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal
from loanpilot.audit.service import record
from loanpilot.evaluation import feedback_rules as rules
from loanpilot.evaluation import repository_feedback as repo
from loanpilot.evaluation import topics
from loanpilot.evaluation.models import (
    FeedbackEvent,
    FeedbackTicket,
    TicketChannel,
    TicketPriority,
    TicketStatus,
    TicketType,
    TopicSource,
)
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import NotFoundError, PermissionDeniedError, ValidationError

SUBJECT_MAX, BODY_MAX = 200, 4000
CHANNELS = tuple(c.value for c in TicketChannel)
TYPES = tuple(t.value for t in TicketType)
PRIORITIES = tuple(p.value for p in TicketPriority)


@dataclass(frozen=True)
class Actor:
    """Who changes a ticket, for its history and the audit trail."""

    staff_id: int | None
    label: str
    client_address: str | None = None


PORTAL = Actor(None, "portal")
SYSTEM = Actor(None, "system")


@dataclass(frozen=True)
class TicketDraft:
    channel: str
    type: str
    subject: str
    body: str
    priority: str = "normal"
    customer_id: int | None = None
    product_id: int | None = None
    branch_id: int | None = None
    topic: str | None = None  # set by staff; else the model classifies
    assigned_to_id: int | None = None
    received_at: datetime | None = None
    survey_response_id: int | None = None


def _log(
    session: Session,
    ticket: FeedbackTicket,
    kind: str,
    actor: Actor,
    now: datetime,
    *,
    before: object = None,
    after: object = None,
    note: str | None = None,
) -> None:
    def code(v: object) -> str | None:
        return None if v is None else str(getattr(v, "value", v))[:64]

    session.add(FeedbackEvent(ticket_id=ticket.id, at=now, kind=kind, from_value=code(before),
                              to_value=code(after), note=note, by_staff_id=actor.staff_id,
                              actor_label=actor.label[:64]))  # fmt: skip
    record(session, action=f"feedback.ticket.{kind}", actor_label=actor.label,
           actor_staff_id=actor.staff_id, entity="feedback_ticket", entity_id=str(ticket.id),
           detail={"ticket_no": ticket.ticket_no, "from": code(before), "to": code(after)},
           client_address=actor.client_address, at=now)  # fmt: skip


def get_ticket(session: Session, ticket_id: int, viewer: Principal | None) -> repo.TicketRow:
    """The ticket, if ``viewer`` may see it (a ticket outside their scope reads as missing)."""
    found = repo.get_ticket(session, ticket_id, viewer)
    if found is None:
        raise NotFoundError("ticket.not_found", f"No ticket with id {ticket_id}")
    return found


# --- registering ---------------------------------------------------------------------------------


def _problems(session: Session, d: TicketDraft, viewer: Principal | None) -> list[rules.Problem]:
    out: list[rules.Problem] = []
    for name, value, allowed in (("channel", d.channel, CHANNELS), ("type", d.type, TYPES),
                                 ("priority", d.priority, PRIORITIES)):  # fmt: skip
        if value not in allowed:
            out.append(rules.problem(name, "not_allowed", allowed=", ".join(allowed), given=value))
    for name, value, limit in (("subject", d.subject, SUBJECT_MAX), ("body", d.body, BODY_MAX)):
        if not value.strip():
            out.append(rules.problem(name, "required"))
        elif len(value.strip()) > limit:
            out.append(rules.problem(name, "too_long", max=limit, length=len(value.strip())))
    if d.topic is not None:
        known = topics.known_topics(session)
        if d.topic not in known:
            out.append(
                rules.problem("topic", "not_allowed", allowed=", ".join(known), given=d.topic)
            )
    if d.customer_id is not None:
        facts = repo.customer_facts(session, d.customer_id)
        if facts is None:
            out.append(rules.problem("customer_id", "not_allowed", allowed="an existing customer",
                                     given=d.customer_id))  # fmt: skip
        elif viewer is not None and not viewer.sees_customer(*facts):
            raise PermissionDeniedError(
                "scope.forbidden", "This customer is outside your branch or your assigned customers"
            )
    if d.product_id is not None and not repo.product_exists(session, d.product_id):
        out.append(rules.problem("product_id", "not_allowed", allowed="an existing product",
                                 given=d.product_id))  # fmt: skip
    if d.assigned_to_id is not None and d.assigned_to_id not in {
        s.id for s in repo.assignable_staff(session, viewer)
    }:
        out.append(rules.problem("assigned_to_id", "not_allowed",
                                 allowed="a staff member in your scope who works tickets",
                                 given=d.assigned_to_id))  # fmt: skip
    return out


def register(
    session: Session,
    draft: TicketDraft,
    actor: Actor,
    now: datetime,
    *,
    viewer: Principal | None = None,
    tz: ZoneInfo = SHANGHAI,
) -> FeedbackTicket:
    """Register a ticket: validated as a whole (every problem at once), SLA due times from the
    configured service SLAs (else the defaults by priority), the topic as staff chose it or as the
    latest topic model classifies it (with its probability)."""
    problems = _problems(session, draft, viewer)
    if problems:
        raise ValidationError("ticket.invalid", "The ticket is not valid", list(problems))
    received = draft.received_at or now
    branch_id = draft.branch_id
    if branch_id is None and draft.customer_id is not None:
        facts = repo.customer_facts(session, draft.customer_id)
        branch_id = facts[0] if facts else None
    due = rules.sla_due(draft.type, draft.priority, received, received.astimezone(tz).date(),
                        repo.sla_rows(session), repo.product_type(session, draft.product_id))  # fmt: skip
    ticket = FeedbackTicket(
        ticket_no="T" + uuid.uuid4().hex[:20], customer_id=draft.customer_id,
        channel=TicketChannel(draft.channel), type=TicketType(draft.type),
        priority=TicketPriority(draft.priority), subject=draft.subject.strip(),
        body=draft.body.strip(), received_at=received, sla_due_at=due.due_at,
        first_response_due_at=due.first_response_due_at, branch_id=branch_id,
        product_id=draft.product_id, status=TicketStatus.OPEN,
        assigned_to_id=draft.assigned_to_id, survey_response_id=draft.survey_response_id,
    )  # fmt: skip
    if draft.topic:
        ticket.topic, ticket.topic_source = draft.topic, TopicSource.STAFF
    else:
        found = topics.classify(session, topics.text_of(ticket.subject, ticket.body))
        if found is not None:
            ticket.topic, ticket.topic_source = found.topic, TopicSource.MODEL
            ticket.topic_model_version = found.label
            ticket.topic_probability = Decimal(f"{found.probability:.4f}")
    session.add(ticket)
    session.flush()
    ticket.ticket_no = f"FB{received.astimezone(tz):%Y%m%d}{ticket.id:06d}"
    session.flush()
    _log(session, ticket, "created", actor, now, after=ticket.channel,
         note=f"sla={due.source}:{due.hours}h")  # fmt: skip
    if ticket.topic:
        _log(session, ticket, "topic", actor, now, after=ticket.topic,
             note=ticket.topic_model_version or "staff")  # fmt: skip
    if ticket.assigned_to_id:
        _log(session, ticket, "assigned", actor, now, after=ticket.assigned_to_id)
    return ticket


# --- working a ticket ----------------------------------------------------------------------------


def _state(t: FeedbackTicket) -> rules.TicketState:
    return rules.TicketState(status=t.status.value, resolution=t.resolution,
                             resolved_at=t.resolved_at, customer_confirmed=t.customer_confirmed,
                             confirmed_at=t.confirmed_at, first_response_at=t.first_response_at)  # fmt: skip


def _apply(t: FeedbackTicket, s: rules.TicketState) -> None:
    t.status = TicketStatus(s.status)
    t.resolution, t.resolved_at = s.resolution, s.resolved_at
    t.customer_confirmed, t.confirmed_at = s.customer_confirmed, s.confirmed_at
    t.first_response_at = s.first_response_at


def change_status(
    session: Session,
    ticket_id: int,
    target: str,
    actor: Actor,
    now: datetime,
    *,
    resolution: str | None = None,
    viewer: Principal | None = None,
) -> FeedbackTicket:
    """Move a ticket; refused (409) with the status and what it allows, or (422) without a
    resolution. Resolving records the resolution in the history."""
    ticket = get_ticket(session, ticket_id, viewer).ticket
    before = ticket.status
    _apply(ticket, rules.move(_state(ticket), target, now, resolution=resolution))
    session.flush()
    note = ticket.resolution if ticket.status is TicketStatus.RESOLVED else None
    if ticket.status is TicketStatus.CLOSED and ticket.customer_confirmed is None:
        note = f"closed without the customer's answer after {rules.CONFIRM_TIMEOUT_DAYS} days"
    _log(session, ticket, "status", actor, now, before=before, after=ticket.status, note=note)
    return ticket


def confirm(
    session: Session,
    ticket_id: int,
    satisfied: bool,
    actor: Actor,
    now: datetime,
    *,
    viewer: Principal | None = None,
) -> FeedbackTicket:
    """Record the customer's answer to the resolution: satisfied closes, not satisfied reopens."""
    ticket = get_ticket(session, ticket_id, viewer).ticket
    before = ticket.status
    _apply(ticket, rules.confirm(_state(ticket), satisfied, now))
    session.flush()
    _log(session, ticket, "confirmation", actor, now, before=before, after=ticket.status,
         note="satisfied" if satisfied else "not satisfied")  # fmt: skip
    return ticket


def assign(
    session: Session,
    ticket_id: int,
    staff_id: int,
    actor: Actor,
    now: datetime,
    *,
    viewer: Principal | None = None,
) -> FeedbackTicket:
    """Assign to a staff member who works tickets within the actor's scope."""
    ticket = get_ticket(session, ticket_id, viewer).ticket
    if staff_id not in {s.id for s in repo.assignable_staff(session, viewer)}:
        raise ValidationError("ticket.invalid", "Cannot assign", [rules.problem(
            "assigned_to_id", "not_allowed", allowed="a staff member in your scope who works tickets",
            given=staff_id)])  # fmt: skip
    before = ticket.assigned_to_id
    ticket.assigned_to_id = staff_id
    session.flush()
    _log(session, ticket, "assigned", actor, now, before=before, after=staff_id)
    return ticket


def correct_topic(
    session: Session,
    ticket_id: int,
    topic: str,
    actor: Actor,
    now: datetime,
    *,
    viewer: Principal | None = None,
) -> FeedbackTicket:
    """Staff set the topic (``topic_source='staff'``): the next fit learns from it."""
    ticket = get_ticket(session, ticket_id, viewer).ticket
    known = topics.known_topics(session)
    if topic not in known:
        raise ValidationError("ticket.invalid", "Unknown topic", [rules.problem(
            "topic", "not_allowed", allowed=", ".join(known), given=topic)])  # fmt: skip
    before = f"{ticket.topic}({ticket.topic_model_version or ticket.topic_source or '-'})"
    ticket.topic, ticket.topic_source = topic, TopicSource.STAFF
    ticket.topic_model_version, ticket.topic_probability = None, None
    session.flush()
    _log(session, ticket, "topic", actor, now, before=before, after=topic, note="staff")
    return ticket


def close_unanswered(session: Session, now: datetime, actor: Actor = SYSTEM) -> int:
    """Close the resolved tickets whose customer has not answered within the timeout."""
    found = repo.tickets(session, repo.TicketFilters(status="resolved"), None, now, limit=100_000)
    closed = 0
    for row in found:
        t = row.ticket
        if t.customer_confirmed is None and rules.close_problem(_state(t), now) is None:
            change_status(session, t.id, rules.CLOSED, actor, now)
            closed += 1
    return closed


# --- survey comments -----------------------------------------------------------------------------

#: A response is "low" at CSAT 1-2 or NPS 0-6 (a detractor); its free-text comment becomes a
#: complaint ticket (channel survey), high priority at CSAT 1 or NPS 0-3.
LOW_CSAT, LOW_NPS = 2, 6


def is_low(csat: int | None, nps: int | None) -> bool:
    return (csat is not None and csat <= LOW_CSAT) or (nps is not None and nps <= LOW_NPS)


def from_surveys(
    session: Session, day: Any, now: datetime, *, tz: ZoneInfo = SHANGHAI, actor: Actor = SYSTEM
) -> dict[str, int]:
    """Tickets from the low-score comments of the responses submitted on business day ``day``.
    Idempotent: a response already made a ticket is skipped."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    comments = repo.survey_comments(session, start, start + timedelta(days=1))
    low = [c for c in comments if is_low(c.csat, c.nps)]
    done = repo.tickets_of_responses(session, [c.response_id for c in low])
    created = 0
    for c in low:
        if c.response_id in done:
            continue
        first_line = c.text.splitlines()[0]
        subject = "问卷留言：" + (first_line[:30] + ("…" if len(first_line) > 30 else ""))
        urgent = (c.csat is not None and c.csat <= 1) or (c.nps is not None and c.nps <= 3)
        register(session, TicketDraft(
            channel="survey", type="complaint", subject=subject, body=c.text[:BODY_MAX],
            priority="high" if urgent else "normal", customer_id=c.customer_id,
            product_id=c.product_id, branch_id=c.branch_id, received_at=c.submitted_at,
            survey_response_id=c.response_id,
        ), actor, now, tz=tz)  # fmt: skip
        created += 1
    return {"comments": len(comments), "low": len(low), "created": created,
            "already": len(done)}  # fmt: skip
