"""The next-best-offer pages (产品推荐, issue 6): the latest offer run (progress, summary, offers by
product × channel, suppression reasons, expected profit) with the form to build again, and one
customer's ranked offers with their reasons. Viewing needs ``marketing:read`` (a customer: only in
the viewer's scope); building ``segments:write``. Customer names are masked
(``kit.masking.mask_name``). ``console/offers/_panel.html`` shows a customer's offers inside other
pages: give it ``nbo`` (``panel_context``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import SessionDep, today_for
from loanpilot.kit.errors import ConflictError, PermissionDeniedError, ValidationError
from loanpilot.kit.masking import mask_name
from loanpilot.products import offers as service
from loanpilot.products import repository_offers as repo
from loanpilot.products.api_offers import launch_build
from loanpilot.products.models import LoanProduct
from loanpilot.products.models_offers import OfferRun
from loanpilot.products.offer_rules import DEFAULT_INCREMENTAL_SHARE, SUPPRESSION
from loanpilot.products.schemas_offers import OfferBuild
from loanpilot.web.auth import deny_scope, require
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)


def _product_names(session: Session, lang: str) -> dict[int, str]:
    rows = session.scalars(select(LoanProduct))
    return {p.id: (p.name_zh if lang == "zh" else p.name_en) for p in rows}


def _page(
    request: Request, session: Session, principal: Principal, error: str | None = None
) -> Response:
    latest = repo.latest_run(session)
    shown: OfferRun | None = repo.latest_run(session, done_only=True)
    summary = dict(shown.summary or {}) if shown is not None else {}
    rows = summary.get("by_product_channel", [])
    return render(request, "console/offers/index.html", {
        "latest": latest, "run": shown, "summary": summary,
        "running": service.is_running(request.app.state.session_factory),
        "rows": sorted(rows, key=lambda r: -int(r["expected_profit_fen"])),
        "names": _product_names(session, request_lang(request)),
        "suppression": [(c, int(summary.get("suppressed", {}).get(c, 0))) for c in SUPPRESSION],
        "counts": summary.get("counts", {}),
        "can_build": principal.can(Permission.SEGMENTS_WRITE),
        "share": f"{DEFAULT_INCREMENTAL_SHARE:.0%}", "error": error,
    })  # fmt: skip


@router.get("/console/offers")
def offers_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> Response:
    """The latest offer run and what it recommends."""
    return _page(request, session, principal)


@router.get("/console/offers/progress")
def offers_progress(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> Response:
    """The progress panel (polled by htmx while a build runs)."""
    return render(request, "console/offers/progress.html", {
        "latest": repo.latest_run(session),
        "running": service.is_running(request.app.state.session_factory),
    })  # fmt: skip


@router.post("/console/offers/build")
def build(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.SEGMENTS_WRITE)],
) -> Response:
    """Start a build in the background and come back to the page."""
    try:
        launch_build(request, principal, OfferBuild(as_of=today_for(request)))
    except (ConflictError, ValidationError) as exc:
        return _page(request, session, principal, error=exc.message)
    return RedirectResponse("/console/offers", status_code=303)


@router.get("/console/offers/customer")
def find_customer(
    _principal: Annotated[Principal, require(Permission.MARKETING_READ)],
    customer_no: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The look-up form's target: that customer's offers page."""
    return RedirectResponse(f"/console/offers/customers/{customer_no.strip()}", status_code=303)


def panel_context(session: Session, principal: Principal, customer_no: str, lang: str) -> dict[str, Any]:  # fmt: skip
    """What ``console/offers/_panel.html`` shows (``nbo``): the customer's ranked offers of the
    latest finished run, each with the product name in ``lang``."""
    customer, run, rows = service.customer_offers(session, principal, customer_no)
    return {
        "customer": customer,
        "run": run,
        "offers": [
            {"offer": o, "product": p.name_zh if lang == "zh" else p.name_en, "code": p.code}
            for o, p in rows
        ],
    }


@router.get("/console/offers/customers/{customer_no}")
def customer_page(
    customer_no: str,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> Response:
    """One customer's ranked offers: P(take), P(approve), value, expected profit and reasons."""
    try:
        nbo = panel_context(session, principal, customer_no[:20], request_lang(request))
    except PermissionDeniedError as exc:
        if exc.code == "scope.forbidden":
            deny_scope(request, principal, "customer", customer_no[:20])
        raise
    return render(request, "console/offers/customer.html", {
        "nbo": nbo, "name": mask_name(nbo["customer"].name),
    })  # fmt: skip
