"""Console pages of customer feedback (客户反馈): the tickets (filters by status, type, topic,
channel, overdue; masked customer names; charts of tickets by topic and by month), one ticket
(history, assignment, status buttons, resolution, the customer's confirmation, topic correction)
and the new-ticket form. The topic-model and improvement-action pages are in
``feedback_pages_actions`` (included below).

Viewing needs ``feedback:read``; working ``feedback:work``; what is listed is the viewer's scope.
Problems and refusals are shown in the page's language by their code (``feedback.problem.*``);
handlers are thin: the services change state and audit, the request's session commits."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep
from loanpilot.evaluation import feedback, topics
from loanpilot.evaluation import feedback_rules as rules
from loanpilot.evaluation import repository_feedback as repo
from loanpilot.evaluation.feedback_pages_actions import router as actions_router
from loanpilot.evaluation.feedback_pages_common import (
    actor_of,
    localised,
    problem_text,
    refusal,
    topic_names,
)
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import ConflictError, ValidationError
from loanpilot.kit.masking import mask_name
from loanpilot.web.auth import clock, require
from loanpilot.web.i18n import Lang
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Permission.FEEDBACK_READ)]
Worker = Annotated[Principal, require(Permission.FEEDBACK_WORK)]
Text = Annotated[str, Form(max_length=8000)]
Short = Annotated[str, Form(max_length=64)]


# --- the list -----------------------------------------------------------------------------------


def _charts(facts: list[tuple[Any, ...]], lang: Lang) -> dict[str, Any]:
    by_topic = Counter(f[1] or "—" for f in facts)
    by_month = Counter(f[4].astimezone(SHANGHAI).strftime("%Y-%m") for f in facts)
    months = sorted(by_month)[-12:]
    ordered = by_topic.most_common()
    return {
        "topics": {"categories": [topics.topic_label(c, lang) if c != "—" else "—" for c, _ in ordered],
                   "values": [n for _, n in ordered]},
        "months": {"categories": months, "values": [by_month[m] for m in months]},
    }  # fmt: skip


@router.get("/console/feedback")
def tickets_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    status: Annotated[str, Query(max_length=16)] = "",
    ticket_type: Annotated[str, Query(alias="type", max_length=16)] = "",
    topic: Annotated[str, Query(max_length=32)] = "",
    channel: Annotated[str, Query(max_length=16)] = "",
    overdue: Annotated[str, Query(max_length=4)] = "",
) -> Response:
    """Tickets newest first (the latest 200), filtered; charts over every ticket in scope."""
    lang = request_lang(request)
    now = clock(request)
    filters = repo.TicketFilters(
        status=status if status in (*rules.TICKET_STATUSES, "unresolved") else None,
        type=ticket_type if ticket_type in feedback.TYPES else None,
        topic=topic or None,
        channel=channel if channel in feedback.CHANNELS else None,
        overdue=overdue == "1",
    )
    rows = repo.tickets(session, filters, principal, now, limit=200)
    facts = repo.ticket_facts(session, repo.TicketFilters(), principal, now)
    overdue_n = sum(1 for f in facts if rules.is_overdue(f[2], f[5], now))
    known = topics.known_topics(session)
    return render(request, "console/feedback/list.html", {
        "rows": rows, "total": repo.count_tickets(session, filters, principal, now),
        "names": {r.ticket.id: mask_name(r.customer_name) if r.customer_name else "—" for r in rows},
        "staff": repo.names_of(session, [r.ticket.assigned_to_id for r in rows if r.ticket.assigned_to_id]),
        "overdue": {r.ticket.id for r in rows if rules.is_overdue(r.ticket.status.value, r.ticket.sla_due_at, now)},
        "overdue_n": overdue_n, "statuses": rules.TICKET_STATUSES, "types": feedback.TYPES,
        "channels": feedback.CHANNELS, "topics": topic_names(lang, known),
        "chosen": {"status": status, "type": ticket_type, "topic": topic, "channel": channel, "overdue": overdue},
        "charts": _charts(facts, lang), "can_work": principal.can(Permission.FEEDBACK_WORK),
    })  # fmt: skip


# --- new ticket ---------------------------------------------------------------------------------


def _new_page(
    request: Request, session: Session, principal: Principal, form: dict[str, str],
    fields: list[dict[str, Any]] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    lang = request_lang(request)
    return render(request, "console/feedback/new.html", {
        "form": form, "fields": fields or [], "types": feedback.TYPES, "channels": feedback.CHANNELS,
        "priorities": feedback.PRIORITIES, "topics": topic_names(lang, topics.known_topics(session)),
        "staff": repo.assignable_staff(session, principal),
    }, status_code=status_code)  # fmt: skip


@router.get("/console/feedback/new")
def new_ticket_page(request: Request, session: SessionDep, principal: Worker) -> Response:
    form = {"channel": "phone", "type": "complaint", "priority": "normal", "subject": "",
            "body": "", "topic": "", "customer_id": "", "assigned_to_id": ""}  # fmt: skip
    return _new_page(request, session, principal, form)


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 16 else None


@router.post("/console/feedback/new")
def create_ticket(
    request: Request, session: SessionDep, principal: Worker,
    channel: Short = "", ticket_type: Annotated[str, Form(alias="type", max_length=64)] = "",
    priority: Short = "normal", subject: Text = "",
    body: Text = "", topic: Short = "", customer_id: Short = "", assigned_to_id: Short = "",
) -> Response:  # fmt: skip
    form = {"channel": channel, "type": ticket_type, "priority": priority, "subject": subject,
            "body": body, "topic": topic, "customer_id": customer_id,
            "assigned_to_id": assigned_to_id}  # fmt: skip
    lang = request_lang(request)
    if customer_id.strip() and _int_or_none(customer_id) is None:
        fields = [{"field": "customer_id", "message": problem_text(rules.problem(
            "customer_id", "not_allowed", allowed="1, 2, 3…", given=customer_id[:20]), lang)}]  # fmt: skip
        return _new_page(request, session, principal, form, fields, 422)
    draft = feedback.TicketDraft(
        channel=channel, type=ticket_type, subject=subject, body=body, priority=priority,
        customer_id=_int_or_none(customer_id), topic=topic or None,
        assigned_to_id=_int_or_none(assigned_to_id),
    )  # fmt: skip
    try:
        t = feedback.register(session, draft, actor_of(request, principal), clock(request),
                              viewer=principal)  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _new_page(request, session, principal, form, localised(exc.problems, lang), 422)
    return RedirectResponse(f"/console/feedback/tickets/{t.id}", status_code=303)


# --- one ticket ---------------------------------------------------------------------------------


def _ticket_page(
    request: Request, session: Session, principal: Principal, ticket_id: int,
    error: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    lang = request_lang(request)
    row = feedback.get_ticket(session, ticket_id, principal)
    t = row.ticket
    history = repo.events(session, ticket_id=t.id)
    ids = [t.assigned_to_id or 0] + [e.by_staff_id or 0 for e in history]
    ids += [int(v) for e in history if e.kind == "assigned"
            for v in (e.from_value, e.to_value) if v and v.isdigit()]  # fmt: skip
    staff = (
        repo.assignable_staff(session, principal) if principal.can(Permission.FEEDBACK_WORK) else []
    )
    now = clock(request)
    return render(request, "console/feedback/ticket.html", {
        "tk": t, "customer": mask_name(row.customer_name) if row.customer_name else "—",
        "history": history, "names": repo.names_of(session, ids), "staff": staff,
        "overdue": rules.is_overdue(t.status.value, t.sla_due_at, now),
        "moves": rules.allowed_moves(t.status.value), "topics": topic_names(lang, topics.known_topics(session)),
        "product": repo.product_names(session, [t.product_id or 0]).get(t.product_id or 0),
        "actions": repo.actions_for_ticket(session, t.id), "timeout": rules.CONFIRM_TIMEOUT_DAYS,
        "can_work": principal.can(Permission.FEEDBACK_WORK), "error": error,
        "topic_label": topics.topic_label(t.topic, lang),
    }, status_code=status_code)  # fmt: skip


@router.get("/console/feedback/tickets/{ticket_id}")
def ticket_page(
    ticket_id: EntityId, request: Request, session: SessionDep, principal: Reader
) -> Response:
    return _ticket_page(request, session, principal, ticket_id)


@router.post("/console/feedback/tickets/{ticket_id}/{step}")
def work_ticket(
    ticket_id: EntityId, step: str, request: Request, session: SessionDep, principal: Worker,
    status: Short = "", resolution: Text = "", staff_id: Short = "", topic: Short = "",
    satisfied: Short = "",
) -> Response:  # fmt: skip
    """``status`` (with ``resolution`` when resolving), ``assign``, ``topic`` or ``confirm``."""
    actor, now = actor_of(request, principal), clock(request)
    try:
        if step == "status":
            feedback.change_status(session, ticket_id, status, actor, now,
                                   resolution=resolution or None, viewer=principal)  # fmt: skip
        elif step == "assign":
            feedback.assign(
                session, ticket_id, _int_or_none(staff_id) or 0, actor, now, viewer=principal
            )
        elif step == "topic":
            feedback.correct_topic(session, ticket_id, topic, actor, now, viewer=principal)
        elif step == "confirm":
            feedback.confirm(session, ticket_id, satisfied == "yes", actor, now, viewer=principal)
    except (ConflictError, ValidationError) as exc:
        session.rollback()
        code = 409 if isinstance(exc, ConflictError) else 422
        return _ticket_page(
            request, session, principal, ticket_id, refusal(exc, request_lang(request)), code
        )
    return RedirectResponse(f"/console/feedback/tickets/{ticket_id}", status_code=303)


router.include_router(actions_router)
