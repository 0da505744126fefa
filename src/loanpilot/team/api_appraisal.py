"""The appraisal API (绩效考核): plans (``appraisal:write`` to change; an edit of a plan with runs
makes a new version), ratings of the qualitative indicators (``appraisal:rate``, within the
rater's branch subtree), runs (``appraisal:write``) and explained scores (``appraisal:read``,
scoped: one's own, a branch head's branch subtree, the whole bank for the marketing manager,
administrator and auditor). 422 lists every problem with its field and a stable ``code``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for
from loanpilot.kit.errors import NotFoundError
from loanpilot.team import appraisal_explain as explain
from loanpilot.team import appraisal_plans as plans
from loanpilot.team import appraisal_ratings as ratings
from loanpilot.team import appraisal_rules as rules
from loanpilot.team import appraisal_runs as runs
from loanpilot.team import repository_appraisal as repo
from loanpilot.team.appraisal_schemas import (
    ExplanationRead,
    LineRead,
    MyScoresRead,
    PlanCreate,
    PlanRead,
    PlanSummary,
    PlanUpdate,
    RatingRead,
    RatingsWrite,
    RunCreate,
    RunRead,
    RunResultRead,
    ScoreRead,
)
from loanpilot.team.models import Role
from loanpilot.team.models_appraisal import AppraisalPlan, AppraisalRun
from loanpilot.web.auth import client_address, clock, require

router = APIRouter(
    prefix="/api/v1/appraisal",
    tags=["appraisal"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_ONE: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}}
_CHANGED: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}, 409: {"model": ErrorRead}}
Reader = Annotated[Principal, require(Permission.APPRAISAL_READ)]
Writer = Annotated[Principal, require(Permission.APPRAISAL_WRITE)]
Rater = Annotated[Principal, require(Permission.APPRAISAL_RATE)]


def actor_of(request: Request, principal: Principal) -> plans.Actor:
    return plans.Actor(principal.staff_id, f"user:{principal.username}", client_address(request))


def run_read(run: AppraisalRun, plan: AppraisalPlan) -> RunRead:
    return RunRead(id=run.id, plan_id=plan.id, plan_version=plan.version, role=plan.role.value,
                   period=run.period or plan.period, run_at=run.run_at, run_by_id=run.run_by_id,
                   group_rule=runs.run_group_rule(run), rules=run.rules or {})  # fmt: skip


def score_read(s: repo.ScoreRow, labels: dict[str, str]) -> ScoreRead:
    return ScoreRead(staff_id=s.staff_id, employee_no=s.employee_no, name=s.name,
                     branch_id=s.branch_id, branch_name=s.branch_name,
                     group=labels.get(str(s.group_key), "全行"), total=s.total, rank=s.rank,
                     group_size=s.group_size)  # fmt: skip


def explanation_read(session: Session, run_id: int, staff_id: int, scope: runs.Scope,
                     lang: str = "zh") -> ExplanationRead:  # fmt: skip
    run, plan, score, lines = runs.explanation(session, run_id, staff_id, scope)
    labels = runs.group_labels(session, {score.group_key})
    return ExplanationRead(
        run=run_read(run, plan), score=score_read(score, labels),
        lines=[LineRead(code=x.line.indicator.code, name=x.line.indicator.name,
                        kind=x.line.indicator.kind, actual=x.line.actual,
                        target=x.line.indicator.target, curve=x.line.indicator.curve.stored(),
                        score=x.line.score, weight_pct=rules.cents(x.line.indicator.weight * 100),
                        weighted=x.line.weighted, missing=x.line.missing, source=x.line.source,
                        rated_by_id=x.line.rated_by_id, rated_by=x.rater, comment=x.line.comment,
                        explanation=x.text_en if lang == "en" else x.text_zh)
               for x in lines],
    )  # fmt: skip


@router.get("/plans", response_model=list[PlanSummary])
def list_plans(
    session: SessionDep, _principal: Reader,
    role: Annotated[Role | None, Query()] = None,
    period: Annotated[str | None, Query(max_length=16)] = None,
) -> list[PlanSummary]:  # fmt: skip
    """Plans, latest period first, every version (``status`` superseded for replaced ones)."""
    return [
        PlanSummary(id=r.plan.id, name=r.plan.name, role=r.plan.role.value, period=r.plan.period,
                    version=r.plan.version, status=r.plan.status, indicators=r.indicators,
                    runs=r.runs)
        for r in repo.plans(session, role=role, period=period or None)
    ]  # fmt: skip


@router.post("/plans", status_code=201, response_model=PlanRead,
             responses={409: {"model": ErrorRead}})  # fmt: skip
def create_plan(
    request: Request, session: SessionDep, principal: Writer, body: PlanCreate
) -> PlanRead:
    """A new plan for a role and period; weights must sum to 100 % (422 names the sum and each
    weight); 409 when the role already has a plan for the period (edit it instead)."""
    plan = plans.create_plan(session, body, actor=actor_of(request, principal), now=clock(request))
    return plans.plan_read(session, plan)


@router.get("/plans/{plan_id:int}", response_model=PlanRead, responses=_ONE)
def get_plan(plan_id: EntityId, session: SessionDep, _principal: Reader) -> PlanRead:
    return plans.plan_read(session, plans.get_plan(session, plan_id))


@router.put("/plans/{plan_id:int}", response_model=PlanRead, responses=_CHANGED)
def update_plan(
    plan_id: EntityId, request: Request, session: SessionDep, principal: Writer, body: PlanUpdate
) -> PlanRead:
    """Replace the plan's name and indicators. A plan with runs is not changed: the result is a
    new version (a new id, ``previous_id`` this one) and this one becomes superseded."""
    plan = plans.update_plan(session, plan_id, body, actor=actor_of(request, principal),
                             now=clock(request))  # fmt: skip
    return plans.plan_read(session, plan)


@router.get("/plans/{plan_id:int}/ratings", response_model=list[RatingRead], responses=_ONE)
def list_ratings(plan_id: EntityId, session: SessionDep, principal: Rater) -> list[RatingRead]:
    """The ratings given for the plan's period to the staff the caller may rate."""
    grid = ratings.rating_grid(session, principal, plan_id)
    return [
        RatingRead(staff_id=r.staff_id, indicator_code=r.indicator_code, rating=r.rating,
                   rated_by_id=r.rated_by_id, rated_by=grid.raters.get(r.rated_by_id),
                   rated_at=r.rated_at, comment=r.comment)
        for r in grid.given.values()
    ]  # fmt: skip


@router.put("/plans/{plan_id:int}/ratings", response_model=list[RatingRead], responses=_CHANGED)
def save_ratings(
    plan_id: EntityId, request: Request, session: SessionDep, principal: Rater, body: RatingsWrite
) -> list[RatingRead]:
    """Rate qualitative indicators (all or none saved; each rating audited). A rating off its
    scale, an indicator that is not qualitative, or a person outside the caller's branch: 422."""
    saved = ratings.save_ratings(session, plan_id, body.ratings, principal=principal,
                                 actor=actor_of(request, principal), now=clock(request))  # fmt: skip
    names = repo.staff_names(session, {r.rated_by_id for r in saved})
    return [RatingRead(staff_id=r.staff_id, indicator_code=r.indicator_code, rating=r.rating,
                       rated_by_id=r.rated_by_id, rated_by=names.get(r.rated_by_id),
                       rated_at=r.rated_at, comment=r.comment) for r in saved]  # fmt: skip


@router.post("/plans/{plan_id:int}/runs", status_code=201, response_model=RunRead,
             responses=_CHANGED)  # fmt: skip
def run_plan(
    plan_id: EntityId, request: Request, session: SessionDep, principal: Writer,
    body: RunCreate | None = None,
) -> RunRead:  # fmt: skip
    """Score every active staff member of the plan's role now (a rerun is a new run)."""
    run = runs.run_plan(session, plan_id, group_rule=(body or RunCreate()).group_rule,
                        actor=actor_of(request, principal), now=clock(request),
                        today=today_for(request))  # fmt: skip
    return run_read(run, plans.get_plan(session, plan_id))


@router.get("/runs", response_model=list[RunRead])
def list_runs(
    session: SessionDep, _principal: Reader,
    plan_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    period: Annotated[str | None, Query(max_length=16)] = None,
) -> list[RunRead]:  # fmt: skip
    return [run_read(r, p) for r, p in repo.runs(session, plan_id=plan_id, period=period or None)]


@router.get("/runs/{run_id:int}", response_model=RunResultRead, responses=_ONE)
def get_run(run_id: EntityId, session: SessionDep, principal: Reader) -> RunResultRead:
    """A run's ranked scores, by group, within the caller's scope, and their distribution."""
    run, plan = runs.get_run(session, run_id)
    found = runs.visible_scores(session, run_id, runs.scope_of(principal))
    labels = runs.group_labels(session, {s.group_key for s in found})
    return RunResultRead(**run_read(run, plan).model_dump(),
                         scores=[score_read(s, labels) for s in found],
                         distribution=explain.distribution(s.total for s in found))  # fmt: skip


@router.get("/runs/{run_id:int}/scores/{staff_id:int}", response_model=ExplanationRead,
            responses=_ONE)  # fmt: skip
def get_score(
    run_id: EntityId, staff_id: EntityId, session: SessionDep, principal: Reader,
    lang: Annotated[str, Query(max_length=2)] = "zh",
) -> ExplanationRead:  # fmt: skip
    """One person's score explained line by line (403 outside the caller's scope)."""
    return explanation_read(session, run_id, staff_id, runs.scope_of(principal), lang)


@router.get("/me", response_model=MyScoresRead)
def my_scores(
    session: SessionDep, principal: Reader, lang: Annotated[str, Query(max_length=2)] = "zh"
) -> MyScoresRead:
    """The caller's own scores, newest period first, each explained."""
    found = repo.scores_of_staff(session, principal.staff_id)
    scope = runs.Scope(staff_id=principal.staff_id)
    items = [explanation_read(session, run.id, principal.staff_id, scope, lang)
             for _s, run, _p in found]  # fmt: skip
    if not found and repo.staff(session, principal.staff_id) is None:
        raise NotFoundError("appraisal.staff_not_found", "No staff record for this account")
    return MyScoresRead(staff_id=principal.staff_id, items=items)
