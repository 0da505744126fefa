"""The lending API: the application pipeline, one application with its history, staff actions
through the workflow (maker-checker for approvals above the maker's authority), pending approvals
for checkers, and the approval authorities.

Handlers parse, call the service and map; the route's session commits; the services audit.
Permissions: loans:read to read; applications:review to start a review, approve, decline and
check; loans:service to accept the offer, sign and disburse; either to record a withdrawal;
policy:write to change an authority. Staff see the applications of their data scope only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal, ScopeKind
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for, yuan
from loanpilot.db.paging import page_request
from loanpilot.kit.errors import FieldProblem, PermissionDeniedError, ValidationError
from loanpilot.lending import authority, lifecycle, sla
from loanpilot.lending import repository_lifecycle as repo
from loanpilot.lending.models import Application, ApplicationStatus, ApprovalRequest
from loanpilot.lending.schemas import (
    ActionBody,
    ActionResultRead,
    ApplicationDetailRead,
    ApplicationPageRead,
    ApplicationRowRead,
    ApprovalCheck,
    ApprovalListRead,
    ApprovalRequestRead,
    AuthorityListRead,
    AuthorityRead,
    AuthorityWrite,
)
from loanpilot.lending.workflow import Action
from loanpilot.risk import review as reviews
from loanpilot.web.auth import audit_denied, clock, require

router = APIRouter(
    prefix="/api/v1",
    tags=["lending"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_CHANGED: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}, 409: {"model": ErrorRead}}
ActionName = Annotated[str, Path(max_length=32, description="start_review, approve, decline, …")]


def actor(principal: Principal) -> str:
    return f"user:{principal.username}"


def in_scope(principal: Principal, app: Application) -> bool:
    if principal.scope is ScopeKind.ALL:
        return True
    if principal.scope is ScopeKind.OWN:
        return app.manager_id == principal.staff_id
    return app.branch_id is not None and app.branch_id in principal.branch_ids


def visible(request: Request, principal: Principal, app: Application) -> Application:
    """The application, if the caller's data scope covers it (a reach beyond is audited)."""
    if not in_scope(principal, app):
        audit_denied(request, principal, "scope.forbidden", f"application {app.application_no}")
        raise PermissionDeniedError(
            "scope.forbidden", "This application is outside your branch or customers"
        )
    return app


def parse_action(name: str) -> Action:
    try:
        action = Action(name)
    except ValueError:
        action = None
    if action is None or action not in lifecycle.ACTION_PERMISSIONS:
        allowed = ", ".join(a.value for a in lifecycle.ACTION_PERMISSIONS)
        raise ValidationError(
            "workflow.action",
            f"Unknown staff action {name!r}",
            [FieldProblem("action", f"must be one of {allowed}")],
        )
    return action


def may(principal: Principal, action: Action) -> bool:
    return any(principal.can(p) for p in lifecycle.ACTION_PERMISSIONS[action])


def perform_action(
    session: Session,
    principal: Principal,
    application_id: int,
    action: Action,
    *,
    note: str,
    now: datetime,
    today: date,
    amount_fen: int | None = None,
    collateral_value_fen: int | None = None,
) -> ApprovalRequest | None:
    """One staff action on an application (the caller checked the permission); the approval
    request when an approval waits for a checker."""
    who: dict[str, Any] = {"now": now, "by_id": principal.staff_id, "actor_label": actor(principal)}
    if action in (Action.APPROVE, Action.DECLINE):
        outcome = reviews.decide_by_hand(
            session, application_id, approve=action is Action.APPROVE, note=note, today=today,
            maker_role=principal.role.value, collateral_value_fen=collateral_value_fen,
            amount_fen=amount_fen, **who,
        )  # fmt: skip
        return outcome.pending
    if action is Action.START_REVIEW:
        lifecycle.start_review(session, application_id, **who)
    elif action is Action.WITHDRAW:
        lifecycle.withdraw(session, application_id, reason=note, **who)
    elif action is Action.ACCEPT_OFFER:
        lifecycle.accept_offer(session, application_id, today=today, **who)
    elif action is Action.SIGN:
        lifecycle.sign_contract(session, application_id, **who)
    elif action is Action.DISBURSE:
        lifecycle.disburse(session, application_id, today=today, **who)
    return None


def check_approval(
    session: Session,
    principal: Principal,
    request_id: int,
    *,
    confirm: bool,
    note: str,
    now: datetime,
    today: date,
) -> ApprovalRequest:
    """A checker confirms or rejects a pending approval; the request afterwards."""
    who: dict[str, Any] = {
        "now": now,
        "checker_id": principal.staff_id,
        "checker_role": principal.role.value,
        "actor_label": actor(principal),
    }
    if confirm:
        reviews.confirm_approval(session, request_id, note=note, today=today, **who)
    else:
        reviews.reject_approval(session, request_id, note=note, **who)
    return authority.get_request(session, request_id)


# --- the pipeline and one application ------------------------------------------------------------


@router.get("/applications", response_model=ApplicationPageRead)
def list_applications(
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
    stage: Annotated[ApplicationStatus | None, Query(description="Only this stage")] = None,
    product_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    branch_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    number: Annotated[str | None, Query(max_length=24, description="Number or its start")] = None,
    page: Annotated[int | None, Query(ge=1, le=10**6)] = None,
    size: Annotated[int | None, Query(ge=1, le=200)] = None,
    sort: Annotated[str | None, Query(max_length=16, description="submitted, amount, …")] = None,
) -> ApplicationPageRead:
    """Applications of the caller's scope, newest first by default, with counts per stage."""
    paging = page_request(
        page, size, sort or repo.PIPELINE_DEFAULT_SORT, list(repo.PIPELINE_SORT), "submitted"
    )
    filters = repo.PipelineFilters(stage, product_id, branch_id, (number or "").strip() or None)
    found = repo.pipeline_page(session, filters, paging, principal)
    return ApplicationPageRead(
        items=[ApplicationRowRead.of(app, product, name) for app, product, name in found.rows],
        total=found.total,
        page=found.number,
        size=found.size,
        counts=repo.stage_counts(session, principal),
    )


def _detail(request: Request, session: Session, application_id: int) -> ApplicationDetailRead:
    d = sla.application_detail(
        session, application_id, now=clock(request), today=today_for(request)
    )
    return ApplicationDetailRead.of_detail(d)


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationDetailRead,
    responses={404: {"model": ErrorRead}},
)
def read_application(
    application_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
) -> ApplicationDetailRead:
    """One application: decision and offer, history with durations, SLA spans, approvals, the
    actions allowed now and its loans."""
    visible(request, principal, lifecycle.get_application(session, application_id))
    return _detail(request, session, application_id)


@router.post(
    "/applications/{application_id}/actions/{action}",
    response_model=ActionResultRead,
    responses=_CHANGED,
)
def act(
    application_id: EntityId,
    action: ActionName,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
    body: ActionBody | None = None,
) -> ActionResultRead:
    """Move an application: start_review, approve, decline, withdraw, accept_offer, sign or
    disburse. An approval above the caller's authority answers with ``pending`` (it waits for a
    checker). 409 when the stage does not allow the action (the message lists what it allows)."""
    step = parse_action(action)
    if not may(principal, step):
        needed = " or ".join(p.value for p in lifecycle.ACTION_PERMISSIONS[step])
        audit_denied(request, principal, "auth.forbidden", needed)
        raise PermissionDeniedError(
            "auth.forbidden", f"Your role ({principal.role.value}) lacks the permission {needed}"
        )
    visible(request, principal, lifecycle.get_application(session, application_id))
    body = body or ActionBody()
    pending = perform_action(
        session, principal, application_id, step, note=body.note, now=clock(request),
        today=today_for(request), amount_fen=body.amount_fen(),
        collateral_value_fen=body.collateral_value_fen(),
    )  # fmt: skip
    return ActionResultRead(
        application=_detail(request, session, application_id),
        pending=None if pending is None else ApprovalRequestRead.of(pending),
    )


# --- maker-checker ---------------------------------------------------------------------------------


@router.get("/approvals", response_model=ApprovalListRead)
def list_approvals(
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
) -> ApprovalListRead:
    """Approvals waiting for a checker, oldest first (of the caller's scope)."""
    rows = repo.pending_requests(session)
    return ApprovalListRead(
        items=[ApprovalRequestRead.of(r) for r, app in rows if in_scope(principal, app)]
    )


@router.post("/approvals/{request_id}", response_model=ApprovalRequestRead, responses=_CHANGED)
def answer_approval(
    request_id: EntityId,
    body: ApprovalCheck,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.APPLICATIONS_REVIEW)],
) -> ApprovalRequestRead:
    """Confirm (the application is approved) or reject (with a note; it stays under review) a
    pending approval. The maker cannot check their own; the checker's authority must cover it."""
    row = authority.get_request(session, request_id)
    visible(request, principal, lifecycle.get_application(session, row.application_id))
    done = check_approval(
        session, principal, request_id, confirm=body.confirm, note=body.note,
        now=clock(request), today=today_for(request),
    )  # fmt: skip
    return ApprovalRequestRead.of(done)


# --- authorities ----------------------------------------------------------------------------------


def authority_reads(session: Session) -> list[AuthorityRead]:
    rows = authority.authorities(session)
    reviewers = authority.reviewing_roles(session)
    if rows:
        return [AuthorityRead.of(r, reviews=r.role in reviewers) for r in rows]
    return [
        AuthorityRead(
            role=role,
            max_amount_fen=a.max_amount_fen,
            max_amount_yuan=yuan(a.max_amount_fen),
            product_types=sorted(a.product_types),
            stored=False,
            reviews=role in reviewers,
        )
        for role, a in authority.DEFAULT_AUTHORITIES.items()
    ]


@router.get("/approval-authorities", response_model=AuthorityListRead)
def list_authorities(
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.LOANS_READ)],
) -> AuthorityListRead:
    """What each role may approve alone (the defaults while none is stored), and whether the role
    holds applications:review (an authority without it is never used)."""
    return AuthorityListRead(items=authority_reads(session))


@router.put("/approval-authorities/{role}", response_model=AuthorityRead, responses=_CHANGED)
def put_authority(
    role: Annotated[str, Path(max_length=32)],
    body: AuthorityWrite,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.POLICY_WRITE)],
) -> AuthorityRead:
    """Set one role's authority (audited with the values before and after)."""
    row = authority.set_authority(
        session, role=role, max_amount_fen=body.max_amount_fen(),
        product_types=body.product_types, now=clock(request), by_id=principal.staff_id,
        actor_label=actor(principal),
    )  # fmt: skip
    return AuthorityRead.of(row, reviews=role in authority.reviewing_roles(session))
