"""The campaigns API (issue 6): campaigns with goals, places, windows, arms, audience segments,
budget lines, expenses and budget alerts. Reading needs ``marketing:read``; every change
``campaigns:write``. A list sent to a part's PUT replaces that part; the whole plan is validated
again and 422 lists every problem with its field (``goals[1].target``...) and a stable ``code``.
A closed (completed or cancelled) campaign refuses edits and expenses with 409. The route's session
commits; a refused request changes nothing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for, yuan
from loanpilot.campaigns import repository as repo
from loanpilot.campaigns import service, service_budget
from loanpilot.campaigns.models import Campaign, CampaignStatus
from loanpilot.campaigns.schemas import (
    AlertRead,
    ArmRead,
    ArmWrite,
    AudienceRead,
    BudgetLineRead,
    BudgetLineWrite,
    BudgetRead,
    CampaignCreate,
    CampaignListRead,
    CampaignRead,
    CampaignSummary,
    CampaignUpdate,
    ExpenseRead,
    ExpenseRecorded,
    ExpenseWrite,
    GoalRead,
    GoalWrite,
    PlaceRead,
    PlaceWrite,
    StatusWrite,
    WindowRead,
    WindowWrite,
    summary_fields,
)
from loanpilot.web.auth import client_address, clock, require

router = APIRouter(
    prefix="/api/v1/campaigns",
    tags=["campaigns"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_ONE: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}}
_CHANGED: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}, 409: {"model": ErrorRead}}
Reader = Annotated[Principal, require(Permission.MARKETING_READ)]
Writer = Annotated[Principal, require(Permission.CAMPAIGNS_WRITE)]


def _actor(request: Request, principal: Principal) -> service.Actor:
    return service.Actor(principal.staff_id, f"user:{principal.username}", client_address(request))


def budget_read(budget: service_budget.Budget) -> BudgetRead:
    return BudgetRead(
        budget_fen=budget.budget_fen, budget_yuan=yuan(budget.budget_fen), budget_set=budget.budget_set,
        planned_fen=budget.planned_fen, spent_fen=budget.spent_fen, spent_yuan=yuan(budget.spent_fen),
        burn=budget.burn, level=budget.level,
    )  # fmt: skip


def audience_read(session: Session, c: Campaign) -> AudienceRead:
    counts, codes, targets = service_budget.audience_of(session, c)
    return AudienceRead(
        segment_run_id=c.segment_run_id, segment_codes=codes, total=counts.total,
        no_consent=counts.no_consent, opted_out=counts.opted_out, blacklisted=counts.blacklisted,
        contactable=counts.contactable, targets=targets,
    )  # fmt: skip


def campaign_read(session: Session, c: Campaign) -> CampaignRead:
    lines = repo.budget_lines(session, c.id)
    spent = repo.spent_by_line(session, c.id)
    budget = service_budget.make_budget(
        c.budget_fen, [line.planned_fen for line in lines], sum(spent.values())
    )
    alerts = repo.alerts(session, c.id)
    return CampaignRead(
        **summary_fields(c), budget=budget_read(budget),
        open_alerts=sum(1 for a in alerts if a.acknowledged_at is None),
        description=c.description, contact_cost_fen=c.contact_cost_fen, audience=c.audience or {},
        segment_run_id=c.segment_run_id, closed_at=c.closed_at,
        goals=[GoalRead.of(g) for g in repo.goals(session, c.id)],
        places=[PlaceRead.of(p) for p in repo.places(session, c.id)],
        windows=[WindowRead.of(w) for w in repo.windows(session, c.id)],
        arms=[ArmRead.of(a) for a in repo.arms(session, c.id)],
        budget_lines=[BudgetLineRead.of(line, spent.get(line.id, 0)) for line in lines],
        alerts=[AlertRead.of(a) for a in alerts], audience_counts=audience_read(session, c),
    )  # fmt: skip


@router.get("", response_model=CampaignListRead)
def list_campaigns(
    session: SessionDep,
    _principal: Reader,
    status: Annotated[Literal["planned", "approved", "running", "completed", "cancelled"] | None,
                      Query()] = None,
) -> CampaignListRead:  # fmt: skip
    """Campaigns, latest start first, each with its budget burn and unacknowledged alerts."""
    rows = repo.campaigns(session, CampaignStatus(status) if status else None)
    items = []
    for row in rows:
        c = row.campaign
        budget = service_budget.make_budget(c.budget_fen, [row.planned_fen], row.spent_fen)
        items.append(CampaignSummary(**summary_fields(c), budget=budget_read(budget),
                                     open_alerts=row.open_alerts))  # fmt: skip
    return CampaignListRead(items=items)


@router.post(
    "", status_code=201, response_model=CampaignRead, responses={409: {"model": ErrorRead}}
)
def create_campaign(
    body: CampaignCreate, request: Request, session: SessionDep, principal: Writer
) -> CampaignRead:
    """A new planned campaign with its whole plan; 422 lists every problem (dates reversed,
    windows or places outside the dates, budget lines above the budget, an empty audience...)."""
    c = service.create_campaign(session, body, actor=_actor(request, principal), now=clock(request))
    return campaign_read(session, c)


@router.get("/{campaign_id}", response_model=CampaignRead, responses=_ONE)
def read_campaign(campaign_id: EntityId, session: SessionDep, _principal: Reader) -> CampaignRead:
    return campaign_read(session, service.get_campaign(session, campaign_id))


@router.patch("/{campaign_id}", response_model=CampaignRead, responses=_CHANGED)
def update_campaign(
    campaign_id: EntityId, body: CampaignUpdate, request: Request, session: SessionDep,
    principal: Writer,
) -> CampaignRead:  # fmt: skip
    """Change the fields sent (a list replaces that part of the plan)."""
    c = service.update_campaign(
        session, campaign_id, body, actor=_actor(request, principal), now=clock(request)
    )
    return campaign_read(session, c)


@router.post("/{campaign_id}/status", response_model=CampaignRead, responses=_CHANGED)
def change_status(
    campaign_id: EntityId, body: StatusWrite, request: Request, session: SessionDep,
    principal: Writer,
) -> CampaignRead:  # fmt: skip
    """planned → approved → running → completed; any open status → cancelled (409 otherwise).
    Approving needs an audience that may be contacted (422 with the counts otherwise)."""
    c = service.change_status(
        session, campaign_id, body.status, actor=_actor(request, principal), now=clock(request)
    )
    return campaign_read(session, c)


@router.get("/{campaign_id}/audience", response_model=AudienceRead, responses=_ONE)
def audience(campaign_id: EntityId, session: SessionDep, _principal: Reader) -> AudienceRead:
    """The customers of the campaign's segments and how many of them may be contacted."""
    return audience_read(session, service.get_campaign(session, campaign_id))


@router.get("/{campaign_id}/windows/suggested", response_model=list[WindowWrite], responses=_ONE)
def suggested_windows(
    campaign_id: EntityId, session: SessionDep, _principal: Reader,
    audience: Annotated[list[Literal["office_workers", "students", "retirees", "self_employed"]],
                        Query(max_length=4)] = [],  # noqa: B006 - FastAPI reads it, never mutates
) -> list[WindowWrite]:  # fmt: skip
    """Contact windows that suit the campaign's audience (its segments' occupations, plus any
    ``audience`` named), within its dates. Nothing is saved."""
    c = service.get_campaign(session, campaign_id)
    codes = [s.segment_code for s in repo.segments(session, c.id)]
    drafts = service_budget.suggest_windows(
        session, c.segment_run_id, codes, c.starts_on, c.ends_on, audience
    )
    return [WindowWrite(label=w.label, starts_on=w.starts_on, ends_on=w.ends_on, weekdays=w.weekdays,
                        start_hour=w.start_hour, end_hour=w.end_hour) for w in drafts]  # fmt: skip


# --- the parts of a plan: read, or replace as a whole -------------------------------------------------


def _replace(request: Request, session: Session, principal: Principal, campaign_id: int,
             **part: Any) -> Campaign:  # fmt: skip
    body = CampaignUpdate.model_validate(part)
    return service.update_campaign(session, campaign_id, body, actor=_actor(request, principal),
                                   now=clock(request))  # fmt: skip


@router.get("/{campaign_id}/goals", response_model=list[GoalRead], responses=_ONE)
def goals(campaign_id: EntityId, session: SessionDep, _principal: Reader) -> list[GoalRead]:
    return [
        GoalRead.of(g) for g in repo.goals(session, service.get_campaign(session, campaign_id).id)
    ]


@router.put("/{campaign_id}/goals", response_model=list[GoalRead], responses=_CHANGED)
def put_goals(
    campaign_id: EntityId, body: Annotated[list[GoalWrite], Body(max_length=20)],
    request: Request, session: SessionDep, principal: Writer,
) -> list[GoalRead]:  # fmt: skip
    c = _replace(request, session, principal, campaign_id, goals=body)
    return [GoalRead.of(g) for g in repo.goals(session, c.id)]


@router.get("/{campaign_id}/places", response_model=list[PlaceRead], responses=_ONE)
def places(campaign_id: EntityId, session: SessionDep, _principal: Reader) -> list[PlaceRead]:
    return [
        PlaceRead.of(p) for p in repo.places(session, service.get_campaign(session, campaign_id).id)
    ]


@router.put("/{campaign_id}/places", response_model=list[PlaceRead], responses=_CHANGED)
def put_places(
    campaign_id: EntityId, body: Annotated[list[PlaceWrite], Body(max_length=100)],
    request: Request, session: SessionDep, principal: Writer,
) -> list[PlaceRead]:  # fmt: skip
    c = _replace(request, session, principal, campaign_id, places=body)
    return [PlaceRead.of(p) for p in repo.places(session, c.id)]


@router.get("/{campaign_id}/windows", response_model=list[WindowRead], responses=_ONE)
def windows(campaign_id: EntityId, session: SessionDep, _principal: Reader) -> list[WindowRead]:
    return [
        WindowRead.of(w)
        for w in repo.windows(session, service.get_campaign(session, campaign_id).id)
    ]


@router.put("/{campaign_id}/windows", response_model=list[WindowRead], responses=_CHANGED)
def put_windows(
    campaign_id: EntityId, body: Annotated[list[WindowWrite], Body(max_length=50)],
    request: Request, session: SessionDep, principal: Writer,
) -> list[WindowRead]:  # fmt: skip
    c = _replace(request, session, principal, campaign_id, windows=body)
    return [WindowRead.of(w) for w in repo.windows(session, c.id)]


@router.get("/{campaign_id}/arms", response_model=list[ArmRead], responses=_ONE)
def arms(campaign_id: EntityId, session: SessionDep, _principal: Reader) -> list[ArmRead]:
    return [
        ArmRead.of(a) for a in repo.arms(session, service.get_campaign(session, campaign_id).id)
    ]


@router.put("/{campaign_id}/arms", response_model=list[ArmRead], responses=_CHANGED)
def put_arms(
    campaign_id: EntityId, body: Annotated[list[ArmWrite], Body(max_length=20)],
    request: Request, session: SessionDep, principal: Writer,
) -> list[ArmRead]:  # fmt: skip
    c = _replace(request, session, principal, campaign_id, arms=body)
    return [ArmRead.of(a) for a in repo.arms(session, c.id)]


def _lines(session: Session, campaign_id: int) -> list[BudgetLineRead]:
    spent = repo.spent_by_line(session, campaign_id)
    return [
        BudgetLineRead.of(line, spent.get(line.id, 0))
        for line in repo.budget_lines(session, campaign_id)
    ]


@router.get("/{campaign_id}/budget-lines", response_model=list[BudgetLineRead], responses=_ONE)
def budget_lines(
    campaign_id: EntityId, session: SessionDep, _principal: Reader
) -> list[BudgetLineRead]:
    """Each budget line with its planned and spent amounts and burn."""
    return _lines(session, service.get_campaign(session, campaign_id).id)


@router.put("/{campaign_id}/budget-lines", response_model=list[BudgetLineRead], responses=_CHANGED)
def put_budget_lines(
    campaign_id: EntityId, body: Annotated[list[BudgetLineWrite], Body(max_length=10)],
    request: Request, session: SessionDep, principal: Writer,
) -> list[BudgetLineRead]:  # fmt: skip
    """Replace the budget lines (matched by category; a line with expenses cannot be removed)."""
    c = _replace(request, session, principal, campaign_id, budget_lines=body)
    return _lines(session, c.id)


# --- spend and alerts ---------------------------------------------------------------------------------


@router.get("/{campaign_id}/expenses", response_model=list[ExpenseRead], responses=_ONE)
def expenses(campaign_id: EntityId, session: SessionDep, _principal: Reader) -> list[ExpenseRead]:
    """The newest 200 expenses of the campaign."""
    return [
        ExpenseRead.of(e)
        for e in repo.expenses(session, service.get_campaign(session, campaign_id).id)
    ]


@router.post(
    "/{campaign_id}/expenses", status_code=201, response_model=ExpenseRecorded, responses=_CHANGED
)
def record_expense(
    campaign_id: EntityId, body: ExpenseWrite, request: Request, session: SessionDep,
    principal: Writer,
) -> ExpenseRecorded:  # fmt: skip
    """Book spend against a budget line; ``alerts`` holds the 80 % / 100 % alerts it raised."""
    out = service_budget.record_expense(session, campaign_id, body, actor=_actor(request, principal),
                                        now=clock(request), today=today_for(request))  # fmt: skip
    return ExpenseRecorded(expense=ExpenseRead.of(out.expense), budget=budget_read(out.budget),
                           alerts=[AlertRead.of(a) for a in out.alerts])  # fmt: skip


@router.get("/{campaign_id}/alerts", response_model=list[AlertRead], responses=_ONE)
def alerts(campaign_id: EntityId, session: SessionDep, _principal: Reader) -> list[AlertRead]:
    return [
        AlertRead.of(a) for a in repo.alerts(session, service.get_campaign(session, campaign_id).id)
    ]


@router.post(
    "/{campaign_id}/alerts/{alert_id}/acknowledge", response_model=AlertRead, responses=_CHANGED
)
def acknowledge_alert(
    campaign_id: EntityId, alert_id: EntityId, request: Request, session: SessionDep,
    principal: Writer,
) -> AlertRead:  # fmt: skip
    a = service_budget.acknowledge_alert(session, campaign_id, alert_id,
                                         actor=_actor(request, principal), now=clock(request))  # fmt: skip
    return AlertRead.of(a)
