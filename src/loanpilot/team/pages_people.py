"""Console pages of the team (营销团队): portfolios by manager with the hand-over form, a customer's
managers over time, and "mine" (everyone's own certificates, reminders and training hours). The
training, certificate, mentor and rotation pages live in ``people_pages_*`` and are mounted here.

Viewing needs ``staff:read`` (branch heads: their branch subtree); changing needs ``team:write``.
Problems are shown beside their fields in the page's language, what was typed is kept; the
request's session commits, a refused change writes nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep
from loanpilot.kit.errors import ValidationError
from loanpilot.kit.masking import mask_name
from loanpilot.kit.periods import Period
from loanpilot.team import people, people_development, people_training
from loanpilot.team import people_pages_development as development_pages
from loanpilot.team import people_pages_training as training_pages
from loanpilot.team import repository_people as repo
from loanpilot.team.people_pages_forms import (
    actor,
    localised,
    notice_days,
    texts,
    today,
)
from loanpilot.team.service import visible_branch_ids
from loanpilot.web.auth import clock, require
from loanpilot.web.render import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Permission.STAFF_READ)]
Writer = Annotated[Principal, require(Permission.TEAM_WRITE)]
Anyone = Annotated[Principal, require(Permission.DASHBOARD_VIEW)]
_REASSIGN_FIELDS = ("from_staff", "to_staff", "reason", "whole")


def reminder_summary(
    session: Session, principal: Principal, request: Request
) -> list[people_development.ReminderRow]:
    return people_development.reminders(session, visible_branch_ids(principal), today(request),
                                        notice_days(request))  # fmt: skip


@router.get("/console/team")
def team_page(
    request: Request, session: SessionDep, principal: Reader,
    q: Annotated[str, Query(max_length=50)] = "",
) -> Response:  # fmt: skip
    """Portfolios by manager (customers, balance) and the certificate reminders."""
    return render(request, "console/team/portfolios.html", {
        "rows": people.portfolios(session, principal, q or None), "q": q,
        "reminders": reminder_summary(session, principal, request),
        "notice_days": notice_days(request),
        "branch_scoped": visible_branch_ids(principal) is not None,
        "can_write": principal.can(Permission.TEAM_WRITE),
    })  # fmt: skip


def _portfolio_page(
    request: Request, session: Session, principal: Principal, staff_id: int, *,
    form: dict[str, Any] | None = None, fields: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    manager, customers = people.portfolio(session, principal, staff_id)
    summary = next((r for r in people.portfolios(session, principal, manager.employee_no)
                    if r.staff_id == staff_id), None)  # fmt: skip
    targets = [s for s in repo.staff_choices(session, visible_branch_ids(principal),
                                             customer_facing=True) if s.id != staff_id]  # fmt: skip
    return render(request, "console/team/portfolio.html", {
        "manager": manager, "summary": summary,
        "customers": [(c, mask_name(c.name)) for c in customers], "targets": targets,
        "form": form or {"to_staff": "", "reason": "", "whole": "", "picked": []},
        "fields": fields or [], "can_write": principal.can(Permission.TEAM_WRITE),
        "moved": request.query_params.get("moved", ""), "moved_to": request.query_params.get("to", ""),
    }, status_code=status_code)  # fmt: skip


@router.get("/console/team/portfolios/{staff_id}")
def portfolio_page(
    staff_id: EntityId, request: Request, session: SessionDep, principal: Reader
) -> Response:
    """One manager's customers (names masked), each with its history link; the hand-over form."""
    return _portfolio_page(request, session, principal, staff_id)


@router.post("/console/team/portfolios/{staff_id}/reassign")
async def reassign(
    staff_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> Response:
    """Hand the ticked customers (or the whole portfolio) to another manager, or show the form
    again with every problem (422, nothing changed)."""
    submitted = await request.form()
    form: dict[str, Any] = texts(submitted, _REASSIGN_FIELDS)
    picked = [v.strip() for v in submitted.getlist("customer") if isinstance(v, str) and v.strip()]
    form["picked"] = picked
    manager = people.staff_in_scope(session, staff_id, visible_branch_ids(principal))
    try:
        done = people.reassign(
            session, to_staff=form["to_staff"], from_staff=manager.employee_no,
            reason=form["reason"], customers=None if form["whole"] else [(c, None) for c in picked],
            actor=actor(request, principal), today=today(request),
            now=clock(request),
        )  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _portfolio_page(request, session, principal, staff_id, form=form,
                               fields=localised(exc.problems, request), status_code=422)  # fmt: skip
    to = f"{done.target.employee_no} {done.target.name}"
    return RedirectResponse(
        f"/console/team/portfolios/{staff_id}?moved={done.moved}&to={to}", status_code=303
    )


@router.get("/console/team/customers")
def find_customer(
    request: Request, session: SessionDep, principal: Reader,
    customer_no: Annotated[str, Query(max_length=20)] = "",
) -> Response:  # fmt: skip
    """Go to the history of the customer with this number."""
    found = repo.customers_by_ref(session, [customer_no]).get(customer_no.strip())
    if found is None:
        return RedirectResponse("/console/team?missing=1", status_code=303)
    return RedirectResponse(f"/console/team/customers/{found.id}", status_code=303)


@router.get("/console/team/customers/{customer_id}")
def customer_history(
    customer_id: EntityId, request: Request, session: SessionDep, principal: Reader
) -> Response:
    """The managers of one customer over time, newest first, with the reasons."""
    found = people.customer_managers(session, principal, customer_id)
    return render(request, "console/team/history.html", {
        "customer": found, "masked": mask_name(found.name),
    })  # fmt: skip


@router.get("/console/team/me")
def my_page(request: Request, session: SessionDep, principal: Anyone) -> Response:
    """Everyone's own: certificates with their reminders, this quarter's training hours and the
    mandatory courses of their role not yet passed, their mentor pairs and rotations."""
    day = today(request)
    period = Period.containing(day, "quarter")
    hours = people_training.hours(session, None, period, principal.staff_id)
    certs = repo.certifications(session, None, principal.staff_id)
    return render(request, "console/team/me.html", {
        "reminders": people_development.reminders(session, None, day, notice_days(request),
                                                  principal.staff_id),
        "certs": certs, "notice_days": notice_days(request), "period": period,
        "hours": hours[0] if hours else None,
        "attendance": repo.attendance(session, None, staff_id=principal.staff_id, limit=50),
        "pairs": repo.mentor_pairs(session, None, principal.staff_id),
        "rotations": repo.rotations(session, None, principal.staff_id),
        "courses": {c.code: c for c in repo.courses(session)},
    })  # fmt: skip


router.include_router(training_pages.router)
router.include_router(development_pages.router)
