"""Console pages of people development: certificates (expiring and expired highlighted, add and
renew), mentor pairs and job rotations (add, end). Mounted by ``team.pages_people``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep
from loanpilot.kit.errors import ConflictError, ValidationError
from loanpilot.team import people_development as dev
from loanpilot.team import people_rules_training as trules
from loanpilot.team import repository as team_repo
from loanpilot.team import repository_people as repo
from loanpilot.team.people_pages_forms import (
    Reader as FormReader,
)
from loanpilot.team.people_pages_forms import (
    actor,
    conflict_text,
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
CERT_FIELDS = ("staff", "name", "issuer", "issued_on", "expires_on")
RENEW_FIELDS = ("issued_on", "expires_on")
PAIR_FIELDS = ("mentor", "mentee", "start_on", "end_on")
ROTATION_FIELDS = ("staff", "from_org_unit", "to_org_unit", "start_on", "end_on")


def _refused(fields: list[dict[str, Any]], key: int | None = None) -> list[dict[str, Any]]:
    """Problems of the row ``key``'s own small form carry its id, so they show beside it."""
    return [{**f, "key": key} for f in fields]


# --- certificates ---------------------------------------------------------------------------------------


def _certs_page(
    request: Request, session: Session, principal: Principal, *, show: str = "reminders",
    form: dict[str, str] | None = None, fields: list[dict[str, Any]] | None = None,
    renew: dict[str, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    scope = visible_branch_ids(principal)
    rows = repo.certifications(session, scope)
    reminders = dev.reminders(session, scope, today(request), notice_days(request))
    current = {c.id for c in trules.current_certificates(r.facts for r in rows)}
    return render(request, "console/team/certificates.html", {
        "rows": rows, "reminders": reminders, "due": {r.cert.facts.id: r.reminder for r in reminders},
        "current": current, "show": show, "notice_days": notice_days(request),
        "form": form or dict.fromkeys(CERT_FIELDS, ""), "renew": renew or {},
        "fields": fields or [], "staff": repo.staff_choices(session, scope),
        "can_write": principal.can(Permission.TEAM_WRITE),
    }, status_code=status_code)  # fmt: skip


@router.get("/console/team/certificates")
def certificates_page(
    request: Request, session: SessionDep, principal: Reader,
    show: Annotated[str, Query(max_length=16)] = "reminders",
) -> Response:  # fmt: skip
    """The reminders (expired and expiring highlighted), or every certificate with ``show=all``."""
    return _certs_page(request, session, principal, show="all" if show == "all" else "reminders")


@router.post("/console/team/certificates")
async def add_certificate(request: Request, session: SessionDep, principal: Writer) -> Response:
    form = texts(await request.form(), CERT_FIELDS)
    reader = FormReader(form)
    draft = trules.CertificationDraft(form["name"], form["issuer"],
                                     reader.date("issued_on", required=True),
                                     reader.date("expires_on"))  # fmt: skip
    try:
        dev.add_certification(session, form["staff"], draft, actor=actor(request, principal),
                              today=today(request), now=clock(request), extra=reader.problems)  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _certs_page(request, session, principal, show="all", form=form, status_code=422,
                           fields=_refused(localised(exc.problems, request)))  # fmt: skip
    return RedirectResponse("/console/team/certificates?show=all", status_code=303)


@router.post("/console/team/certificates/{cert_id}/renew")
async def renew_certificate(
    cert_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> Response:
    """Record the renewal; its problems are shown beside that certificate's renew form."""
    form = texts(await request.form(), RENEW_FIELDS)
    reader = FormReader(form)
    issued, expires = reader.date("issued_on", required=True), reader.date("expires_on")
    try:
        dev.renew_certification(session, cert_id, issued, expires, actor=actor(request, principal),
                                today=today(request), now=clock(request), extra=reader.problems)  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _certs_page(request, session, principal, show="all", renew={**form, "id": str(cert_id)},
                           fields=_refused(localised(exc.problems, request), cert_id),
                           status_code=422)  # fmt: skip
    return RedirectResponse("/console/team/certificates?show=all", status_code=303)


# --- mentor pairs and rotations -------------------------------------------------------------------------


def _list_page(
    request: Request, session: Session, principal: Principal, template: str, *,
    form: dict[str, str], fields: list[dict[str, Any]] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    scope = visible_branch_ids(principal)
    context: dict[str, Any] = {
        "form": form,
        "fields": fields or [],
        "staff": repo.staff_choices(session, scope),
        "can_write": principal.can(Permission.TEAM_WRITE),
        "today": today(request),
    }
    if template.endswith("mentors.html"):
        context["rows"] = repo.mentor_pairs(session, scope)
    else:
        context["rows"] = repo.rotations(session, scope)
        context["units"] = team_repo.org_units(session, scope)
    return render(request, template, context, status_code=status_code)


@router.get("/console/team/mentors")
def mentors_page(request: Request, session: SessionDep, principal: Reader) -> Response:
    """Mentor pairs (open first) and the form to pair a mentor with a mentee."""
    return _list_page(request, session, principal, "console/team/mentors.html",
                      form=dict.fromkeys(PAIR_FIELDS, ""))  # fmt: skip


@router.post("/console/team/mentors")
async def add_pair(request: Request, session: SessionDep, principal: Writer) -> Response:
    form = texts(await request.form(), PAIR_FIELDS)
    reader = FormReader(form)
    start, end = reader.date("start_on", required=True), reader.date("end_on")
    try:
        dev.add_mentor_pair(session, form["mentor"], form["mentee"], start, end,
                            actor=actor(request, principal), now=clock(request),
                            extra=reader.problems)  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _list_page(request, session, principal, "console/team/mentors.html", form=form,
                          fields=_refused(localised(exc.problems, request)), status_code=422)  # fmt: skip
    return RedirectResponse("/console/team/mentors", status_code=303)


async def _end(
    request: Request, session: Session, principal: Principal, key: int, template: str,
    ender: Callable[..., object], back: str, blank: tuple[str, ...],
) -> Response:  # fmt: skip
    form = texts(await request.form(), ("end_on",))
    reader = FormReader(form)
    end_on = reader.date("end_on", required=True)
    try:
        if reader.problems:
            raise ValidationError(
                "team.invalid", "The end date is not valid", list(reader.problems)
            )
        ender(session, key, end_on, actor=actor(request, principal), now=clock(request))
    except ValidationError as exc:
        session.rollback()
        return _list_page(request, session, principal, template, form=dict.fromkeys(blank, ""),
                          fields=_refused(localised(exc.problems, request), key), status_code=422)  # fmt: skip
    except ConflictError as exc:
        session.rollback()
        return _list_page(request, session, principal, template, form=dict.fromkeys(blank, ""),
                          fields=_refused([{"field": "end_on", "row": None, "source": None,
                                            "message": conflict_text(exc.code, request)}], key),
                          status_code=409)  # fmt: skip
    return RedirectResponse(back, status_code=303)


@router.post("/console/team/mentors/{pair_id}/end")
async def end_pair(
    pair_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> Response:
    return await _end(request, session, principal, pair_id, "console/team/mentors.html",
                      dev.end_mentor_pair, "/console/team/mentors", PAIR_FIELDS)  # fmt: skip


@router.get("/console/team/rotations")
def rotations_page(request: Request, session: SessionDep, principal: Reader) -> Response:
    """Job rotations (open first) and the form to record a move between org units."""
    return _list_page(request, session, principal, "console/team/rotations.html",
                      form=dict.fromkeys(ROTATION_FIELDS, ""))  # fmt: skip


@router.post("/console/team/rotations")
async def add_rotation(request: Request, session: SessionDep, principal: Writer) -> Response:
    form = texts(await request.form(), ROTATION_FIELDS)
    reader = FormReader(form)
    from_unit, to_unit = reader.integer("from_org_unit"), reader.integer("to_org_unit")
    start, end = reader.date("start_on", required=True), reader.date("end_on")
    try:
        dev.add_rotation(session, form["staff"], from_unit, to_unit, start, end,
                         actor=actor(request, principal), now=clock(request),
                         extra=reader.problems)  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _list_page(request, session, principal, "console/team/rotations.html", form=form,
                          fields=_refused(localised(exc.problems, request)), status_code=422)  # fmt: skip
    return RedirectResponse("/console/team/rotations", status_code=303)


@router.post("/console/team/rotations/{rotation_id}/end")
async def end_rotation(
    rotation_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> Response:
    return await _end(request, session, principal, rotation_id, "console/team/rotations.html",
                      dev.end_rotation, "/console/team/rotations", ROTATION_FIELDS)  # fmt: skip
