"""The daily close API: runs (list, one, start one in the background) and the five-category
classification overrides (list in force, set, revoke).

Handlers parse, call the service and map; the route's session commits; the service audits. A
close runs in a background thread of the server (``launch_close``), so the request returns at
once (202) and the client follows the run's progress with ``GET /api/v1/close/runs/{date}``."""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for
from loanpilot.config import Settings
from loanpilot.kit.errors import ConflictError, DomainError, FieldProblem, NotFoundError
from loanpilot.kit.errors import ValidationError as DomainValidationError
from loanpilot.risk import close as service
from loanpilot.risk import repository_close as repo
from loanpilot.risk.models import ClassificationOverride
from loanpilot.risk.models_post import CloseRun
from loanpilot.web.auth import clock, require

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/api/v1",
    tags=["close"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_CHANGED: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}, 409: {"model": ErrorRead}}


# --- schemas ----------------------------------------------------------------------------------------


class CloseRunRead(BaseModel):
    """One daily close: where it got to and (when summarised) what it found."""

    as_of: date
    status: str = Field(description="running | done | failed")
    started_at: datetime
    finished_at: datetime | None
    attempts: int
    loans_total: int
    loans_done: int
    steps_done: list[str]
    summary: dict[str, Any] = Field(
        description="loans, balance_fen, npl_balance_fen, npl_ratio (decimal string), "
        "provision_fen, buckets[], classes[] (with provision_rate and provision_fen), "
        "overdue_principal_fen, overdue_interest_fen, by_override, ledger {breaks, sample}, steps"
    )
    error: str | None
    running_now: bool = Field(default=False, description="a close runs in this server now")

    @classmethod
    def of(cls, run: CloseRun, running_now: bool = False) -> CloseRunRead:
        return cls(
            as_of=run.as_of,
            status=run.status.value,
            started_at=run.started_at,
            finished_at=run.finished_at,
            attempts=run.attempts,
            loans_total=run.loans_total,
            loans_done=run.loans_done,
            steps_done=list(run.steps_done or []),
            summary=dict(run.summary or {}),
            error=run.error,
            running_now=running_now,
        )


class CloseRunListRead(BaseModel):
    items: list[CloseRunRead]
    running_now: bool


class CloseStart(BaseModel):
    as_of: date = Field(description="the business date to close: today or earlier")
    force: bool = Field(default=False, description="close again a date already closed")


class CloseStarted(BaseModel):
    as_of: date
    started: bool = True
    follow: str = Field(description="the URL to poll for its progress")


class OverrideCreate(BaseModel):
    loan_no: str = Field(min_length=1, max_length=24)
    five_class: str = Field(
        min_length=1, max_length=16, description="special_mention | substandard | doubtful | loss"
    )
    reason: str = Field(min_length=1, max_length=service.REASON_MAX)
    expires_on: date | None = Field(default=None, description="the last day it applies")


class OverrideRead(BaseModel):
    id: int
    loan_no: str
    five_class: str
    officer_id: int
    reason: str
    at: datetime
    expires_on: date | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ClassificationOverride, loan_no: str) -> OverrideRead:
        return cls(
            id=row.id,
            loan_no=loan_no,
            five_class=row.five_class.value,
            officer_id=row.officer_id,
            reason=row.reason,
            at=row.at,
            expires_on=row.expires_on,
            revoked_at=row.revoked_at,
        )


class OverrideListRead(BaseModel):
    items: list[OverrideRead]


# --- starting a close in the background ---------------------------------------------------------------


def launch_close(
    request: Request, principal: Principal, as_of: date, *, force: bool = False
) -> None:
    """Check that a close of ``as_of`` may start, then run it in a daemon thread of the server
    (``run_close`` commits chunk by chunk; its progress is read back from ``close_runs``)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    settings: Settings = request.app.state.settings
    today = today_for(request)
    if as_of > today:
        raise DomainValidationError(
            "close.future",
            "The close date is in the future",
            [FieldProblem("as_of", f"must be today ({today.isoformat()}) or earlier")],
        )
    if service.is_running(factory):
        raise ConflictError("close.running", "A daily close is already running; wait for it")
    with factory() as session:
        latest = repo.latest_closed_date(session)
    if latest is not None and latest > as_of:
        raise ConflictError(
            "close.backdated",
            f"{latest.isoformat()} is already closed; closes go forward",
        )
    now = clock(request)

    def work() -> None:
        try:
            service.run_close(
                factory, as_of, now, force=force, tz=settings.tz,
                actor_label=f"user:{principal.username}", by_id=principal.staff_id,
            )  # fmt: skip
        except DomainError as exc:  # another close won the race: nothing to do
            logger.warning("close of %s not started: %s", as_of, exc.message)

    threading.Thread(target=work, name=f"close-{as_of}", daemon=True).start()


# --- routes -----------------------------------------------------------------------------------------


@router.get("/close/runs", response_model=CloseRunListRead)
def list_runs(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
    limit: Annotated[int, Query(ge=1, le=365)] = 30,
) -> CloseRunListRead:
    """The latest close runs, newest date first."""
    running = service.is_running(request.app.state.session_factory)
    return CloseRunListRead(
        items=[CloseRunRead.of(r) for r in repo.recent_runs(session, limit)], running_now=running
    )


@router.get("/close/runs/{as_of}", response_model=CloseRunRead, responses=_CHANGED)
def read_run(
    as_of: Annotated[date, Path(description="business date YYYY-MM-DD")],
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> CloseRunRead:
    """One close run with its summary (buckets, classes, NPL ratio, provisions, ledger check)."""
    run = repo.run_of(session, as_of)
    if run is None:
        raise NotFoundError("close.not_found", f"No close has run for {as_of.isoformat()}")
    return CloseRunRead.of(run, service.is_running(request.app.state.session_factory))


@router.post("/close/runs", response_model=CloseStarted, status_code=202, responses=_CHANGED)
def start_run(
    request: Request,
    principal: Annotated[Principal, require(Permission.PORTFOLIO_CLOSE)],
    body: CloseStart,
) -> CloseStarted:
    """Start the close of a date in the background; 409 while one runs or when a later date is
    already closed, 422 for a date after today. Follow it at ``follow``."""
    launch_close(request, principal, body.as_of, force=body.force)
    return CloseStarted(as_of=body.as_of, follow=f"/api/v1/close/runs/{body.as_of.isoformat()}")


@router.get("/classification-overrides", response_model=OverrideListRead)
def list_overrides(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> OverrideListRead:
    """The manual classifications in force today, newest first."""
    today = today_for(request)
    rows = repo.active_overrides(
        session, today, service.day_end(today, request.app.state.settings.tz)
    )
    return OverrideListRead(items=[OverrideRead.of(o, loan.loan_no) for o, loan in rows])


@router.post(
    "/classification-overrides", response_model=OverrideRead, status_code=201, responses=_CHANGED
)
def create_override(
    body: OverrideCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PORTFOLIO_CLOSE)],
) -> OverrideRead:
    """Classify a repaying loan worse than its rule (refused, 422, when not worse); an override in
    force on the loan is replaced."""
    row = service.set_override(
        session, loan_no=body.loan_no, five_class=body.five_class, reason=body.reason,
        expires_on=body.expires_on, officer_id=principal.staff_id,
        actor_label=f"user:{principal.username}", now=clock(request), today=today_for(request),
        tz=request.app.state.settings.tz,
    )  # fmt: skip
    return OverrideRead.of(row, body.loan_no.strip())


@router.post(
    "/classification-overrides/{override_id}/revoke",
    response_model=OverrideRead,
    responses=_CHANGED,
)
def revoke_override(
    override_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PORTFOLIO_CLOSE)],
) -> OverrideRead:
    """Revoke an override; the loan's class goes back to its rule (or another override)."""
    row = service.revoke_override(
        session, override_id, by_id=principal.staff_id, actor_label=f"user:{principal.username}",
        now=clock(request), today=today_for(request), tz=request.app.state.settings.tz,
    )  # fmt: skip
    return OverrideRead.of(row, repo.loan_by_id(session, row.loan_id).loan_no)
