"""Console pages of the application workflow: the pipeline (counts per stage, a filtered list,
SLA breaches), one application (masked applicant, decision and offer, timeline with durations,
the actions allowed now), pending maker-checker approvals, and the approval authorities.

Permissions as in ``lending.api``; the maker never sees a check form for their own approval.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.db.paging import page_request
from loanpilot.kit.errors import ConflictError, FieldProblem, NotFoundError, ValidationError
from loanpilot.kit.masking import mask_name
from loanpilot.lending import authority, lifecycle, sla
from loanpilot.lending import repository_lifecycle as repo
from loanpilot.lending.api import (
    check_approval,
    in_scope,
    may,
    parse_action,
    perform_action,
    visible,
)
from loanpilot.lending.models import ApplicationStatus
from loanpilot.products.models import ProductType
from loanpilot.products.rules import parse_yuan
from loanpilot.team.models import Role
from loanpilot.web.auth import clock, require
from loanpilot.web.forms import optional_yuan
from loanpilot.web.i18n import MESSAGES, Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)

_CSS = "css/lending.css"


def duration_text(span: timedelta | None, lang: Lang) -> str:
    """``2 天 3 小时`` / ``2 d 3 h``; under an hour: minutes."""
    if span is None:
        return "—"
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return translate("lending.duration.days", lang, days=days, hours=hours)
    if hours:
        return translate("lending.duration.hours", lang, hours=hours, minutes=mins)
    return translate("lending.duration.minutes", lang, minutes=mins)


def error_text(exc: ValidationError | ConflictError | NotFoundError, lang: Lang) -> str:
    """A service error in the page's language (its English message when no key exists)."""
    key = f"lending.error.{exc.code}"
    if key in MESSAGES:
        return translate(key, lang)
    return exc.message


# --- the pipeline ----------------------------------------------------------------------------------


@router.get("/console/lending")
def pipeline(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
    stage: Annotated[str, Query(max_length=24)] = "",
    number: Annotated[str, Query(max_length=24)] = "",
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
) -> Response:
    """Counts per stage, the applications (filtered by stage and number) and SLA breaches."""
    lang = request_lang(request)
    now = clock(request)
    chosen = ApplicationStatus(stage) if stage in ApplicationStatus._value2member_map_ else None
    filters = repo.PipelineFilters(stage=chosen, number=number.strip().upper() or None)
    paging = page_request(page, None, repo.PIPELINE_DEFAULT_SORT, list(repo.PIPELINE_SORT), "")
    found = repo.pipeline_page(session, filters, paging, principal)
    rows = [
        {"app": a, "product": p, "applicant": mask_name(name) if name else "—"}
        for a, p, name in found.rows
    ]
    breaches = []
    for app in repo.open_past(session, sla.sla_limits(now), principal):
        spans = sla.sla_spans(app, [], now)
        late = [s for s in spans if s.breached and s.end is None]
        if late:
            worst = max(late, key=lambda s: s.duration - s.target)
            breaches.append(
                {
                    "app": app,
                    "span": worst.name,
                    "over": duration_text(worst.duration - worst.target, lang),
                }
            )
    return render(
        request,
        "console/lending/pipeline.html",
        {
            "counts": repo.stage_counts(session, principal),
            "stages": [s.value for s in ApplicationStatus],
            "rows": rows,
            "page": found,
            "filters": {"stage": chosen.value if chosen else "", "number": number},
            "breaches": breaches,
            "targets": {k: duration_text(v, lang) for k, v in sla.SLA_TARGETS.items()},
            "pending": len(repo.pending_requests(session)),
        },
    )


# --- one application ---------------------------------------------------------------------------


def _application_page(
    request: Request,
    session: Session,
    principal: Principal,
    application_id: int,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    lang = request_lang(request)
    d = sla.application_detail(
        session, application_id, now=clock(request), today=today_for(request)
    )
    entries = [
        {
            "e": e,
            "since": duration_text(e.since_previous, lang) if e.since_previous is not None else "",
            "who": d.staff.get(e.actor_id) if e.actor_id is not None else None,
        }
        for e in d.timeline
    ]
    spans = [
        {"s": s, "took": duration_text(s.duration, lang), "target": duration_text(s.target, lang)}
        for s in d.spans
    ]
    actions = [a for a in d.actions if may(principal, a)]
    return render(
        request,
        "console/lending/application.html",
        {
            "d": d,
            "app": d.app,
            "applicant": mask_name(d.customer_name) if d.customer_name else "—",
            "entries": entries,
            "spans": spans,
            "actions": [a.value for a in actions],
            "secured": d.product.collateral_required.value != "none",
            "form": form or {"note": "", "amount": "", "collateral": ""},
            "error": error,
            "is_maker": d.pending is not None and d.pending.maker_id == principal.staff_id,
            "can_check": principal.can(Permission.APPLICATIONS_REVIEW),
        },
        status_code=status_code,
    )


@router.get("/console/lending/applications/{application_id}")
def application_page(
    application_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
) -> Response:
    visible(request, principal, lifecycle.get_application(session, application_id))
    return _application_page(request, session, principal, application_id)


@router.post("/console/lending/applications/{application_id}/actions/{action}")
def application_action(
    application_id: EntityId,
    action: str,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
    note: Annotated[str, Form(max_length=2000)] = "",
    amount: Annotated[str, Form(max_length=24)] = "",
    collateral: Annotated[str, Form(max_length=24)] = "",
) -> Response:
    """One action from the application page; back to the page (with the error when refused)."""
    lang = request_lang(request)
    step = parse_action(action[:32])
    visible(request, principal, lifecycle.get_application(session, application_id))
    form = {"note": note, "amount": amount, "collateral": collateral}
    if not may(principal, step):
        return _application_page(
            request, session, principal, application_id, form=form,
            error=translate("lending.error.forbidden", lang), status_code=403,
        )  # fmt: skip
    problems: list[FieldProblem] = []
    amount_fen = optional_yuan(amount, "amount", problems, translate("lending.error.amount", lang))
    collateral_fen = optional_yuan(
        collateral, "collateral", problems, translate("lending.error.amount", lang)
    )
    if problems:
        return _application_page(
            request, session, principal, application_id, form=form,
            error=problems[0].message, status_code=422,
        )  # fmt: skip
    try:
        pending = perform_action(
            session, principal, application_id, step, note=note, now=clock(request),
            today=today_for(request), amount_fen=amount_fen, collateral_value_fen=collateral_fen,
        )  # fmt: skip
    except (ValidationError, ConflictError) as exc:
        session.rollback()
        return _application_page(
            request, session, principal, application_id, form=form,
            error=error_text(exc, lang), status_code=409 if isinstance(exc, ConflictError) else 422,
        )  # fmt: skip
    suffix = "?sent=checker" if pending is not None else ""
    return RedirectResponse(
        f"/console/lending/applications/{application_id}{suffix}", status_code=303
    )


# --- maker-checker ---------------------------------------------------------------------------------


def _approvals_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    rows = [(r, a) for r, a in repo.pending_requests(session) if in_scope(principal, a)]
    staff = repo.staff_labels(session, [r.maker_id for r, _ in rows])
    items = [
        {
            "r": r,
            "app": a,
            "maker": staff.get(r.maker_id),
            "own": r.maker_id == principal.staff_id,
            "collateral": r.collateral_value_fen,
        }
        for r, a in rows
    ]
    return render(
        request,
        "console/lending/approvals.html",
        {
            "items": items,
            "can_check": principal.can(Permission.APPLICATIONS_REVIEW),
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/console/lending/approvals")
def approvals_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
) -> Response:
    """Approvals waiting for a checker: confirm or reject (never one's own)."""
    return _approvals_page(request, session, principal)


@router.post("/console/lending/approvals/{request_id}")
def approval_answer(
    request_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.APPLICATIONS_REVIEW)],
    decision: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    lang = request_lang(request)
    row = authority.get_request(session, request_id)
    visible(request, principal, lifecycle.get_application(session, row.application_id))
    if decision not in ("confirm", "reject"):
        return _approvals_page(
            request, session, principal, error=translate("lending.error.decision", lang),
            status_code=422,
        )  # fmt: skip
    try:
        done = check_approval(
            session, principal, request_id, confirm=decision == "confirm", note=note,
            now=clock(request), today=today_for(request),
        )  # fmt: skip
    except (ValidationError, ConflictError) as exc:
        session.rollback()
        status = 409 if isinstance(exc, ConflictError) else 422
        return _approvals_page(
            request, session, principal, error=error_text(exc, lang), status_code=status
        )
    return RedirectResponse(f"/console/lending/applications/{done.application_id}", status_code=303)


# --- authorities ---------------------------------------------------------------------------------


def _authorities_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    stored = {r.role: r for r in authority.authorities(session)}
    current = authority.authority_map(session)
    reviewers = authority.reviewing_roles(session)
    rows = [
        {"role": role, "a": a, "stored": stored.get(role), "reviews": role in reviewers}
        for role, a in sorted(current.items(), key=lambda kv: kv[1].max_amount_fen)
    ]
    return render(
        request,
        "console/lending/authorities.html",
        {
            "rows": rows,
            "defaults": not stored,
            "reviewers": [r.value for r in Role if r.value in reviewers],
            "unused": [r["role"] for r in rows if not r["reviews"]],
            "roles": [r.value for r in Role],
            "types": [t.value for t in ProductType],
            "can_edit": principal.can(Permission.POLICY_WRITE),
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/console/lending/authorities")
def authorities_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
) -> Response:
    return _authorities_page(request, session, principal)


@router.post("/console/lending/authorities")
def authority_save(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.POLICY_WRITE)],
    role: Annotated[str, Form(max_length=32)] = "",
    max_amount: Annotated[str, Form(max_length=24)] = "",
    product_types: Annotated[list[str] | None, Form(max_length=20)] = None,
) -> Response:
    lang = request_lang(request)
    try:
        fen = parse_yuan(max_amount)
    except ValueError:
        fen = -1
    try:
        authority.set_authority(
            session, role=role, max_amount_fen=fen, product_types=list(product_types or []),
            now=clock(request), by_id=principal.staff_id, actor_label=f"user:{principal.username}",
        )  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        text = "; ".join(f"{p.field}: {p.message}" for p in exc.problems) or exc.message
        return _authorities_page(
            request, session, principal,
            error=f"{translate('lending.error.authority', lang)} ({text})", status_code=422,
        )  # fmt: skip
    return RedirectResponse("/console/lending/authorities", status_code=303)
