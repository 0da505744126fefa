"""The portal form where anyone sends the bank a complaint, suggestion or question (channel
online). A public page: no login; the form carries the anonymous CSRF token (double-submit
cookie) and submissions are rate-limited per address by ``web.security`` like the portal's other
forms. The sender gets the ticket number and the time by which the bank answers; the ticket is
classified by the topic model like any other."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from loanpilot.app import SessionDep
from loanpilot.evaluation import feedback
from loanpilot.evaluation.feedback_pages_common import localised
from loanpilot.kit.errors import ValidationError
from loanpilot.web.auth import (
    anon_csrf,
    client_address,
    clock,
    set_anon_csrf_cookie,
    verify_anon_csrf,
)
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
#: What a visitor may send: the channel is always online, the priority normal.
PORTAL_TYPES = ("complaint", "suggestion", "inquiry")


def _form_page(
    request: Request, values: dict[str, str], fields: list[dict[str, object]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    anon_csrf(request)
    response = render(request, "portal/feedback.html", {
        "values": values, "fields": fields or [], "types": PORTAL_TYPES, "done": None,
    }, status_code=status_code)  # fmt: skip
    set_anon_csrf_cookie(request, response)
    return response


@router.get("/feedback", response_class=HTMLResponse)
def feedback_form(request: Request) -> HTMLResponse:
    return _form_page(request, {"type": "complaint", "subject": "", "body": ""})


@router.post("/feedback", response_class=HTMLResponse, dependencies=[Depends(verify_anon_csrf)])
def feedback_submit(
    request: Request,
    session: SessionDep,
    ticket_type: Annotated[str, Form(alias="type", max_length=16)] = "",
    subject: Annotated[str, Form(max_length=400)] = "",
    body: Annotated[str, Form(max_length=8000)] = "",
) -> HTMLResponse:
    values = {"type": ticket_type, "subject": subject, "body": body}
    actor = feedback.Actor(None, "portal", client_address(request))
    draft = feedback.TicketDraft(
        channel="online",
        type=ticket_type,
        subject=subject,
        body=body,
    )
    try:
        ticket = feedback.register(session, draft, actor, clock(request))
    except ValidationError as exc:
        session.rollback()
        return _form_page(request, values, localised(exc.problems, request_lang(request)), 422)
    return render(request, "portal/feedback.html", {
        "values": {}, "fields": [], "types": PORTAL_TYPES, "done": ticket,
    })  # fmt: skip
