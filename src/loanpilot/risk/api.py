"""REST API of risk: the model registry (promote, retire), credit policy versions (draft,
activate), the manual-review queue, and an application's decision with its offer.

Handlers parse, call the service and map; the route's session commits; the services audit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for
from loanpilot.kit.errors import NotFoundError, ValidationError
from loanpilot.lending import repository as applications
from loanpilot.lending.schemas import ApprovalRequestRead
from loanpilot.products.service import get_product
from loanpilot.risk import policy_store, registry, service, views
from loanpilot.risk import review as reviews
from loanpilot.risk.schemas import (
    DecisionRead,
    ModelAction,
    ModelListRead,
    ModelRead,
    PolicyCreate,
    PolicyListRead,
    PolicyRead,
    ReviewDecide,
    ReviewItemRead,
    ReviewQueueRead,
)
from loanpilot.web.auth import clock, require

router = APIRouter(
    prefix="/api/v1",
    tags=["risk"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}}
_CHANGED: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}, 409: {"model": ErrorRead}}

ApplicationNo = Annotated[str, Path(min_length=1, max_length=24, description="e.g. AP20261129…")]


def _actor(principal: Principal) -> str:
    return f"user:{principal.username}"


# --- models --------------------------------------------------------------------------------------


@router.get("/risk/models", response_model=ModelListRead)
def list_models(
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> ModelListRead:
    """Every registered model, newest first, with its status and validation metrics."""
    return ModelListRead(items=[ModelRead.of(row) for row in registry.models(session)])


@router.get("/risk/models/{model_id}", response_model=ModelRead, responses=_FOUND)
def read_model(
    model_id: EntityId,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
    artefact: Annotated[bool, Query(description="include the whole JSON artefact")] = False,
) -> ModelRead:
    """One model with its recorded actions (and its artefact when ``artefact=true``)."""
    row = registry.get_model(session, model_id)
    return ModelRead.of(row, events=registry.events(session, model_id), artefact=artefact)


@router.post("/risk/models/{model_id}/promote", response_model=ModelRead, responses=_CHANGED)
def promote_model(
    model_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.MODELS_WRITE)],
    body: ModelAction | None = None,
) -> ModelRead:
    """Make a challenger the champion of its name; the previous champion is retired (both
    recorded). 409 for a model that is not a challenger."""
    row = registry.promote(
        session, model_id, by_id=principal.staff_id, actor_label=_actor(principal),
        now=clock(request), note=body.note if body else None,
    )  # fmt: skip
    return ModelRead.of(row, events=registry.events(session, model_id))


@router.post("/risk/models/{model_id}/retire", response_model=ModelRead, responses=_CHANGED)
def retire_model(
    model_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.MODELS_WRITE)],
    body: ModelAction | None = None,
) -> ModelRead:
    """Take a challenger out of use (a champion is replaced by promoting another)."""
    row = registry.retire(
        session, model_id, by_id=principal.staff_id, actor_label=_actor(principal),
        now=clock(request), note=body.note if body else None,
    )  # fmt: skip
    return ModelRead.of(row, events=registry.events(session, model_id))


# --- policies ------------------------------------------------------------------------------------


@router.get("/risk/policies", response_model=PolicyListRead)
def list_policies(
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> PolicyListRead:
    """Every policy version, newest first."""
    return PolicyListRead(items=[PolicyRead.of(row) for row in policy_store.policies(session)])


@router.get("/risk/policies/active", response_model=PolicyRead, responses=_FOUND)
def active_policy(
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> PolicyRead:
    """The version that decides new applications."""
    row = policy_store.active_row(session)
    if row is None:
        raise NotFoundError("policy.none_active", "No credit policy is active")
    return PolicyRead.of(row)


@router.get("/risk/policies/{policy_id}", response_model=PolicyRead, responses=_FOUND)
def read_policy(
    policy_id: EntityId,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> PolicyRead:
    return PolicyRead.of(policy_store.get_policy(session, policy_id))


@router.post(
    "/risk/policies",
    status_code=201,
    response_model=PolicyRead,
    responses={409: {"model": ErrorRead}},
)
def create_policy(
    body: PolicyCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.POLICY_WRITE)],
) -> PolicyRead:
    """A new draft version. 422 lists every problem at once, each naming its field
    (contradictions such as ``decline_below`` above ``approve_from`` included)."""
    draft = body.body.model_dump(mode="json")
    unscored = views.policy_model_problems(session, draft)
    if unscored:
        _, more = policy_store.parse_body(body.version, draft)
        raise ValidationError(
            "policy.invalid", f"Policy {body.version!r} is not usable", unscored + more
        )
    row = policy_store.create_draft(
        session, version=body.version, body=draft, note=body.note,
        by_id=principal.staff_id, actor_label=_actor(principal), now=clock(request),
    )  # fmt: skip
    return PolicyRead.of(row)


@router.post("/risk/policies/{policy_id}/activate", response_model=PolicyRead, responses=_CHANGED)
def activate_policy(
    policy_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.POLICY_WRITE)],
) -> PolicyRead:
    """Make a draft the active policy; the previous active version is retired."""
    row = policy_store.activate(
        session, policy_id, by_id=principal.staff_id, actor_label=_actor(principal),
        now=clock(request),
    )  # fmt: skip
    return PolicyRead.of(row)


# --- reviews and decisions -----------------------------------------------------------------------


@router.get("/risk/reviews", response_model=ReviewQueueRead)
def review_queue(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> ReviewQueueRead:
    """Referred applications, oldest first, with score, grade, reasons and waiting time."""
    now = clock(request)
    items = [
        ReviewItemRead.of(
            app,
            get_product(session, app.product_id),
            dec,
            views.hours_since(app.review_started_at or app.submitted_at, now),
        )
        for app, dec in reviews.review_queue(session)
    ]
    return ReviewQueueRead(items=items)


@router.post(
    "/risk/reviews/{application_id}",
    response_model=DecisionRead,
    responses={**_CHANGED, 202: {"model": ApprovalRequestRead}},
)
def review(
    application_id: EntityId,
    body: ReviewDecide,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.APPLICATIONS_REVIEW)],
) -> DecisionRead:
    """Decide a referred application by hand, with a note. An approval above the reviewer's
    authority is not decided: 202 with the approval request a second approver must check
    (maker-checker, ``/api/v1/approvals``). An approval is priced at the grade of
    the automatic decision; a secured loan needs the appraised collateral value. 409 when the
    application is not referred or no offer is possible."""
    outcome = reviews.decide_by_hand(
        session, application_id, approve=body.approve, note=body.note, now=clock(request),
        today=today_for(request), by_id=principal.staff_id, maker_role=principal.role.value,
        actor_label=_actor(principal), collateral_value_fen=body.collateral_value_fen(),
        amount_fen=body.amount_fen(),
    )  # fmt: skip
    if outcome.view is None:  # above the reviewer's authority: it waits for a checker
        if outcome.pending is None:  # pragma: no cover - decide_by_hand returns one or the other
            raise AssertionError("a manual approval returned neither a decision nor a request")
        return JSONResponse(  # type: ignore[return-value]
            ApprovalRequestRead.of(outcome.pending).model_dump(mode="json"), status_code=202
        )
    view = outcome.view
    return DecisionRead.of(views.application(session, application_id), view.decision, view.offer)


@router.get(
    "/applications/{application_no}/decision", response_model=DecisionRead, responses=_FOUND
)
def application_decision(
    application_no: ApplicationNo,
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> DecisionRead:
    """The latest decision on an application, with its reasons and, if approved, the offer with
    its APR and schedule. 404 when the application is unknown or not decided yet."""
    app = applications.application_by_no(session, application_no.strip())
    if app is None:
        raise NotFoundError("application.not_found", "No application with this number")
    dec = service.latest_decision(session, app.id)
    if dec is None:
        raise NotFoundError(
            "decision.not_found", f"Application {app.application_no} has no decision yet"
        )
    offer = service.current_offer(session, app.id, today_for(request))
    return DecisionRead.of(app, dec, offer)
