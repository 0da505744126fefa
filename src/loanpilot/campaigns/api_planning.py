"""The campaign planning API (issue 6): solve an optimised target list under the budget, channel
capacities, segment minimums and product caps (``POST /campaigns/{id}/plans``), read a plan, apply
it to the campaign's targets with a randomised hold-out, and export the lists for the call centre
and the branches (CSV or Excel; only the customers in the caller's scope who may be contacted now;
masked unless the caller holds ``lists:unmask`` and asks ``unmasked=true``, which is audited).

Planning, applying and exporting need ``campaigns:write``; reading a plan ``marketing:read``.
An infeasible plan is a 201 with ``status: infeasible`` and the explanation (which constraint, by
name); malformed constraints are a 422 naming every problem, and nothing is stored.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep
from loanpilot.campaigns import exports, planning
from loanpilot.campaigns.models import CampaignPlan
from loanpilot.customers.api import crypto_of
from loanpilot.customers.repository import scope_clause
from loanpilot.kit.errors import PermissionDeniedError
from loanpilot.web.auth import audit_denied, client_address, clock, require
from loanpilot.web.render import request_lang

router = APIRouter(
    prefix="/api/v1/campaigns",
    tags=["campaign planning"],
    responses={
        401: {"model": ErrorRead},
        403: {"model": ErrorRead},
        404: {"model": ErrorRead},
        422: {"model": ErrorRead},
    },
)

Name = Annotated[str, Field(min_length=1, max_length=64)]
Amount = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=20, decimal_places=4)]


class PlanCreate(BaseModel):
    """The constraints of a plan. Channel capacities are contacts, the branch's staff hours."""

    budget_yuan: Amount = Field(description="total contact budget in yuan (> 0)")
    channel_capacity: dict[Name, Amount] = Field(
        default_factory=dict, max_length=16, description="e.g. {sms: 100000, branch: 400}"
    )
    segment_min: dict[Name, Amount] = Field(
        default_factory=dict, max_length=200, description="segment code → minimum customers"
    )
    product_cap: dict[Name, Amount] = Field(
        default_factory=dict, max_length=100, description="product code → most offers"
    )
    branch_hours_per_contact: Amount = Field(default=Decimal("0.5"))
    method: Literal["auto", "milp", "lagrangian"] = "auto"


class PlanRead(BaseModel):
    id: int
    campaign_id: int | None
    offer_run_id: int | None
    status: str
    method: str
    constraints: dict[str, Any]
    objective_fen: int
    bound_fen: int
    gap: float | None
    candidates: int
    selected: int
    cost_fen: int
    summary: dict[str, Any] = Field(description="by channel / product / segment, binding, ...")
    infeasible_reason: str | None
    infeasible: dict[str, Any] | None = Field(description="field, code and params of the reason")
    solved_at: datetime

    @classmethod
    def of(cls, p: CampaignPlan) -> PlanRead:
        summary = {k: v for k, v in (p.summary or {}).items() if k != "selection"}
        return cls(
            id=p.id, campaign_id=p.campaign_id, offer_run_id=p.offer_run_id,
            status=p.status.value, method=p.method, constraints=p.constraints,
            objective_fen=p.objective_fen, bound_fen=p.bound_fen, gap=p.gap,
            candidates=p.candidates, selected=p.selected, cost_fen=p.cost_fen, summary=summary,
            infeasible_reason=p.infeasible_reason, infeasible=summary.get("infeasible"),
            solved_at=p.solved_at,
        )  # fmt: skip


class ApplyCreate(BaseModel):
    holdout_share: float | None = Field(
        default=None, ge=0, lt=1, description="share held out; default the campaign's"
    )
    seed: int | None = Field(default=None, ge=0, le=2**31, description="default the plan's id")
    replace: bool = Field(default=False, description="replace a list not yet worked")


class ApplyRead(BaseModel):
    plan_id: int
    campaign_id: int
    targets: int
    treatment: int
    control: int
    dropped: dict[str, int]
    replaced: int
    holdout_share: float
    seed: int


def refuse_unmasked(request: Request, principal: Principal, unmasked: bool) -> None:
    """A clear list asked without ``lists:unmask``: audited as denied (own transaction), then
    403."""
    if unmasked and not principal.can(Permission.LISTS_UNMASK):
        audit_denied(request, principal, "auth.forbidden", Permission.LISTS_UNMASK.value)
        raise PermissionDeniedError(
            "auth.forbidden", "An unmasked target list needs the lists:unmask permission"
        )


def _actor(principal: Principal) -> dict[str, Any]:
    return {"staff_id": principal.staff_id, "actor_label": f"user:{principal.username}"}


@router.post("/{campaign_id}/plans", response_model=PlanRead, status_code=201,
             responses={409: {"model": ErrorRead}})  # fmt: skip
def create_plan(
    campaign_id: EntityId,
    body: PlanCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.CAMPAIGNS_WRITE)],
) -> PlanRead:
    """Solve a plan for the campaign (its arms and audience, the latest offer run)."""
    raw = body.model_dump(exclude={"method"})
    plan = planning.solve_plan(
        session, campaign_id=campaign_id, raw=raw, now=clock(request),
        staff_id=principal.staff_id, method=body.method,
    )  # fmt: skip
    return PlanRead.of(plan)


@router.get("/{campaign_id}/plans/{plan_id}", response_model=PlanRead)
def read_plan(
    campaign_id: EntityId,
    plan_id: EntityId,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> PlanRead:
    return PlanRead.of(planning.get_plan(session, campaign_id, plan_id))


@router.post("/{campaign_id}/plans/{plan_id}/apply", response_model=ApplyRead,
             responses={409: {"model": ErrorRead}})  # fmt: skip
def apply_plan(
    campaign_id: EntityId,
    plan_id: EntityId,
    body: ApplyCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.CAMPAIGNS_WRITE)],
) -> ApplyRead:
    """Write the plan's list into the campaign's targets (all or nothing; 409 when refused)."""
    result = planning.apply_plan(
        session, campaign_id, plan_id, now=clock(request), holdout_share=body.holdout_share,
        seed=body.seed, replace=body.replace, **_actor(principal),
    )  # fmt: skip
    return ApplyRead(**result.__dict__)


@router.get(
    "/{campaign_id}/targets/export",
    response_class=Response,
    responses={
        200: {
            "content": {media: {} for media in exports.MEDIA_TYPES.values()},
            "description": "the list as a file",
        }
    },
)
def export_targets(
    campaign_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.CAMPAIGNS_WRITE)],
    fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
    audience: Annotated[Literal["call_center", "branch"], Query(alias="for")] = "call_center",
    unmasked: Annotated[bool, Query(description="clear names and phones (lists:unmask)")] = False,
) -> Response:
    """A target list of the campaign (treated customers in the caller's scope who may be contacted
    now), masked unless asked otherwise by a holder of ``lists:unmask``; every export is written
    to the audit log."""
    refuse_unmasked(request, principal, unmasked)
    file = exports.export_targets(
        session, campaign_id, audience=audience, fmt=fmt, crypto=crypto_of(request),
        lang=request_lang(request), now=clock(request), scope=scope_clause(principal),
        unmasked=unmasked, may_unmask=principal.can(Permission.LISTS_UNMASK),
        client_address=client_address(request), **_actor(principal),
    )  # fmt: skip
    return Response(
        file.content,
        media_type=file.media_type,
        headers={
            "Content-Disposition": exports.content_disposition(file.filename),
            "Cache-Control": "no-store",
            "X-Rows": str(file.rows),
        },
    )
