"""Console pages of collections: the queue, a case (with the contact form that shows a compliance
refusal rule by rule) and the ladder. Every page needs collections:work.

The debtor's name and phone are masked; the phone is revealed, audited, through the customer
360's reveal (pii:view); a guarantor's phone through this page's own reveal (pii:view, audited as
``pii.reveal`` of the guarantor). A caller sees only the cases whose debtor is in their data
scope. Times come from the application's clock (``app.state.now``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.kit.errors import FieldProblem, ValidationError
from loanpilot.products.rules import parse_yuan
from loanpilot.risk import collection_rules as rules
from loanpilot.risk import collections as service
from loanpilot.risk import collections_views as views
from loanpilot.risk import repository_collections as repo
from loanpilot.risk.api_collections import (
    PiiView,
    actor,
    case_detail,
    guarantor_phone,
    policy_of,
    queue_filter,
    scoped,
)
from loanpilot.risk.collection_rules import Rung
from loanpilot.risk.rules import BUCKETS
from loanpilot.web.auth import client_address, clock, require
from loanpilot.web.i18n import Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Work = Annotated[Principal, require(Permission.COLLECTIONS_WORK)]
_EMPTY_FORM = {
    "kind": "", "party": "debtor", "result": "", "promise_amount": "", "promise_date": "",
    "note": "",
}  # fmt: skip


@router.get("/console/collections")
def queue_page(
    request: Request,
    session: SessionDep,
    principal: Work,
    view: str = "",
    rung: str = "",
    bucket: str = "",
    branch: str = "",
) -> Response:
    """The queue: my cases or all, filtered by rung, DPD bucket and branch, by priority."""
    view = view or ("mine" if principal.role.value == "collector" else "all")
    branch_id = int(branch) if branch.isdigit() and len(branch) < 16 else None
    filters = queue_filter(principal, view, rung[:16], bucket[:4], branch_id)
    q = views.queue(session, today_for(request), filters, viewer=principal)
    return render(
        request,
        "console/risk/collections.html",
        {
            "q": q,
            "view": view,
            "rung": rung,
            "bucket": bucket,
            "branch_id": branch_id,
            "rungs": service.rungs(session),
            "buckets": [b for b in BUCKETS if b != "M0"],
            "branches": list(repo.branches(session).values()),
            "today": today_for(request),
        },
    )


def _case_page(
    request: Request,
    session: Session,
    principal: Principal,
    case_id: int,
    *,
    form: dict[str, str] | None = None,
    fields: list[dict[str, Any]] | None = None,
    violations: tuple[rules.Violation, ...] = (),
    guarantor_phones: dict[int, str | None] | None = None,
    status_code: int = 200,
) -> Response:
    policy = policy_of(request)
    v = case_detail(request, session, principal, case_id)
    return render(
        request,
        "console/risk/collections_case.html",
        {
            "v": v,
            "p": {"id": v.customer_id},
            "field": "phone",
            "masked": v.phone,
            "revealed": {},
            "guarantor_phones": guarantor_phones or {},
            "can_reveal": principal.can(Permission.PII_VIEW),
            "kinds": rules.CONTACT_KINDS,
            "results": rules.RESULTS,
            "parties": [p for p in rules.PARTIES if p != "guarantor"],
            "cap": policy.daily_cap,
            "hours": policy.hours.label(),
            "in_hours": policy.hours.allows(v.local_now.time()),
            "form": form or dict(_EMPTY_FORM),
            "fields": fields or [],
            "violations": violations,
        },
        status_code=status_code,
    )


@router.get("/console/collections/cases/{case_id}")
def case_page(
    case_id: EntityId, request: Request, session: SessionDep, principal: Work
) -> Response:
    """A case: loan, overdue amounts, debtor (masked), guarantors, contacts, promises, notes."""
    return _case_page(request, session, principal, case_id)


def _parse_contact(
    form: dict[str, str], lang: Lang
) -> tuple[service.Contact | None, list[FieldProblem]]:
    problems: list[FieldProblem] = []
    party, guarantor_id = form["party"], None
    if party.startswith("guarantor:"):
        tail = party.partition(":")[2]
        party, guarantor_id = "guarantor", int(tail) if tail.isdigit() and len(tail) < 16 else None
    amount = None
    if form["promise_amount"].strip():
        try:
            amount = parse_yuan(form["promise_amount"])
        except ValueError:
            amount = 0
        if amount <= 0:
            problems.append(FieldProblem("promise_amount", translate("coll.error.amount", lang)))
    day = None
    if form["promise_date"].strip():
        try:
            day = date.fromisoformat(form["promise_date"].strip())
        except ValueError:
            problems.append(FieldProblem("promise_date", translate("coll.error.date", lang)))
    if problems:
        return None, problems
    return service.Contact(
        kind=form["kind"], party=party, result=form["result"], guarantor_id=guarantor_id,
        promise_amount_fen=amount, promise_date=day, note=form["note"].strip() or None,
    ), []  # fmt: skip


@router.post("/console/collections/cases/{case_id}/contacts")
def log_contact(
    case_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Work,
    kind: Annotated[str, Form(max_length=16)] = "",
    party: Annotated[str, Form(max_length=32)] = "debtor",
    result: Annotated[str, Form(max_length=24)] = "",
    promise_amount: Annotated[str, Form(max_length=24)] = "",
    promise_date: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Log a contact; a compliance refusal is shown rule by rule (and audited as denied)."""
    lang = request_lang(request)
    form = {
        "kind": kind, "party": party, "result": result, "promise_amount": promise_amount,
        "promise_date": promise_date, "note": note,
    }  # fmt: skip
    contact, problems = _parse_contact(form, lang)
    try:
        if contact is None:  # the page shown with the problems checks the scope
            raise ValidationError("collections.contact_invalid", "invalid", problems)
        scoped(
            request, principal, case_id,
            lambda: service.log_contact(
                session, case_id, contact, by_id=principal.staff_id,
                actor_label=actor(principal), now=clock(request), policy=policy_of(request),
                client_address=client_address(request), viewer=principal,
            ),
        )  # fmt: skip
    except service.ContactRefusedError as exc:  # keep (commit) the audit row of the denial
        return _case_page(
            request, session, principal, case_id, form=form, violations=exc.violations,
            status_code=409,
        )  # fmt: skip
    except ValidationError as exc:
        fields = [{"field": p.field, "message": _problem_text(p, lang)} for p in exc.problems]
        return _case_page(
            request, session, principal, case_id, form=form, fields=fields, status_code=422
        )
    return RedirectResponse(f"/console/collections/cases/{case_id}#contacts", status_code=303)


def _problem_text(problem: FieldProblem, lang: Lang) -> str:
    key = f"coll.error.{problem.field}"
    if lang == "zh" and problem.field in ("kind", "party", "result", "promise_date", "note"):
        return translate(key, lang)
    return problem.message


@router.post("/console/collections/cases/{case_id}/notes")
def add_note(
    case_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Work,
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add a case note."""
    try:
        scoped(
            request, principal, case_id,
            lambda: service.add_note(
                session, case_id, note, by_id=principal.staff_id,
                actor_label=actor(principal), now=clock(request), viewer=principal,
            ),
        )  # fmt: skip
    except ValidationError:
        message = translate("coll.error.note_text", request_lang(request))
        return _case_page(
            request, session, principal, case_id,
            fields=[{"field": "note_text", "message": message}], status_code=422,
        )  # fmt: skip
    return RedirectResponse(f"/console/collections/cases/{case_id}#notes", status_code=303)


@router.post("/console/collections/cases/{case_id}/guarantors/{guarantor_id}/reveal")
def reveal_guarantor_phone(
    case_id: EntityId,
    guarantor_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Work,
    _pii: PiiView,
) -> Response:
    """Reveal a guarantor's phone (collections:work and pii:view; audited). htmx gets the
    fragment that replaces the masked number; a plain form post gets the case page again with
    the number shown."""
    value = guarantor_phone(request, session, principal, case_id, guarantor_id)
    if request.headers.get("hx-request") == "true":
        return render(
            request,
            "console/risk/collections_guarantor_phone.html",
            {"guarantor_id": guarantor_id, "value": value},
        )
    return _case_page(request, session, principal, case_id, guarantor_phones={guarantor_id: value})


def _ladder_page(
    request: Request,
    session: Session,
    *,
    fields: list[dict[str, Any]] | None = None,
    status_code: int = 200,
    saved: bool = False,
) -> Response:
    return render(
        request,
        "console/risk/collections_ladder.html",
        {
            "rungs": service.rungs(session),
            "kinds": rules.CONTACT_KINDS,
            "fields": fields or [],
            "saved": saved,
        },
        status_code=status_code,
    )


@router.get("/console/collections/ladder")
def ladder_page(request: Request, session: SessionDep, _principal: Work) -> Response:
    """The ladder: each rung's entry rule and the contact kinds it allows."""
    return _ladder_page(request, session, saved=request.query_params.get("saved") == "1")


@router.post("/console/collections/ladder")
async def save_ladder(request: Request, session: SessionDep, principal: Work) -> Response:
    """Save the edited ladder (fields ``<step>.min_dpd``, ``.min_overdue`` (yuan),
    ``.min_broken``, ``.kinds`` (repeated) and ``.enabled``, one set per rung)."""
    form = await request.form()
    values = {key: [str(v) for v in form.getlist(key)] for key in form}
    return await run_in_threadpool(_save_ladder, request, session, principal, values)


def _save_ladder(
    request: Request, session: Session, principal: Principal, form: dict[str, list[str]]
) -> Response:
    lang = request_lang(request)
    problems: list[dict[str, Any]] = []

    def number(step: str, name: str, *, yuan: bool = False) -> int:
        text = (form.get(f"{step}.{name}") or [""])[0].strip()
        try:
            value = parse_yuan(text) if yuan else int(text)
        except ValueError:
            value = -1
        if value < 0 or len(text) > 15:
            message = translate("coll.error.number", lang)
            problems.append({"field": f"ladder.{step}.{name}", "message": message})
            return 0
        return value

    ladder = [
        Rung(
            r.step,
            r.position,
            number(r.step, "min_dpd"),
            number(r.step, "min_overdue", yuan=True),
            number(r.step, "min_broken"),
            frozenset(k for k in form.get(f"{r.step}.kinds", []) if k in rules.CONTACT_KINDS),
            (form.get(f"{r.step}.enabled") or [""])[0] == "1",
        )
        for r in service.rungs(session)
    ]
    if not problems:
        try:
            service.update_ladder(
                session, ladder, by_id=principal.staff_id, actor_label=actor(principal),
                now=clock(request),
            )  # fmt: skip
        except ValidationError as exc:
            session.rollback()
            problems = [p.public() for p in exc.problems]
    if problems:
        return _ladder_page(request, session, fields=problems, status_code=422)
    return RedirectResponse("/console/collections/ladder?saved=1", status_code=303)
