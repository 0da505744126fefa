"""The next-best-offer API (issue 6): offer runs (list, one, start a build in the background) and a
customer's ranked offers. Reading needs ``marketing:read`` (a customer's offers: only customers in
the caller's scope, 403 otherwise, audited); building needs ``segments:write``. The build runs in a
background thread of the server, so the request returns at once (202) with the run to follow."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep
from loanpilot.config import Settings
from loanpilot.kit.errors import PermissionDeniedError
from loanpilot.products import offers as service
from loanpilot.products import repository_offers as repo
from loanpilot.products.schemas_offers import (
    CustomerOffersRead,
    OfferBuild,
    OfferBuildStarted,
    OfferRead,
    OfferRunListRead,
    OfferRunRead,
)
from loanpilot.web.auth import clock, deny_scope, require

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/api/v1",
    tags=["offers"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_CHANGED: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}, 409: {"model": ErrorRead}}


def launch_build(request: Request, principal: Principal, body: OfferBuild) -> int:
    """Start (or resume) a build; its chunks run in a daemon thread. The run id."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    settings: Settings = request.app.state.settings
    run_id, work = service.begin(
        factory, body.as_of, clock(request), settings, chunk=body.chunk,
        by_id=principal.staff_id, actor_label=f"user:{principal.username}", fit=body.fit,
    )  # fmt: skip

    def run() -> None:
        work(None, None, lambda: clock(request))

    threading.Thread(target=run, name=f"offers-{run_id}", daemon=True).start()
    return run_id


@router.get("/offers/runs", response_model=OfferRunListRead)
def list_runs(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.MARKETING_READ)],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> OfferRunListRead:
    """The latest offer runs, newest first."""
    running = service.is_running(request.app.state.session_factory)
    return OfferRunListRead(
        items=[OfferRunRead.of(r) for r in repo.runs(session, limit)], running_now=running
    )


@router.post("/offers/runs", response_model=OfferBuildStarted, status_code=202, responses=_CHANGED)
def start_build(
    request: Request,
    principal: Annotated[Principal, require(Permission.SEGMENTS_WRITE)],
    body: OfferBuild,
) -> OfferBuildStarted:
    """Build every customer's offers of ``as_of`` (required) in the background (a stopped build
    of the same date is resumed); 409 naming the running run while one runs (never two at once),
    422 without ``as_of`` or without a take-up model (and ``fit`` false)."""
    run_id = launch_build(request, principal, body)
    return OfferBuildStarted(run_id=run_id, follow=f"/api/v1/offers/runs/{run_id}")


@router.get("/offers/runs/{run_id}", response_model=OfferRunRead, responses=_CHANGED)
def read_run(
    run_id: EntityId,
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> OfferRunRead:
    """One run: progress, models, parameters and summary."""
    run = service.get_run(session, run_id)
    return OfferRunRead.of(run, service.is_running(request.app.state.session_factory))


@router.get(
    "/customers/{customer_no}/offers", response_model=CustomerOffersRead, responses=_CHANGED
)
def customer_offers(
    customer_no: str,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> CustomerOffersRead:
    """The customer's ranked offers of the latest finished run, with P(take), P(approve), value,
    expected profit and reasons; 403 for a customer outside the caller's scope."""
    try:
        customer, run, rows = service.customer_offers(session, principal, customer_no)
    except PermissionDeniedError as exc:
        if exc.code == "scope.forbidden":
            deny_scope(request, principal, "customer", customer_no[:20])
        raise
    return CustomerOffersRead(
        customer_no=customer.customer_no,
        run_id=None if run is None else run.id,
        as_of=None if run is None else run.as_of,
        items=[OfferRead.of(o, p) for o, p in rows],
    )
