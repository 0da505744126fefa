"""The campaign results API (issue 6): funnel, incremental lift, ROI, A/B tests, attribution.

``GET /api/v1/campaigns/{id}/results`` (id or code), ``.../ab-test``, ``.../attribution`` and
``GET /api/v1/campaigns/leads/attribution`` (across campaigns). All need ``marketing:read``; they
only read. Intervals are 95 % (``confidence`` to change it); the methods are stated in
``campaigns.results_rules``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import ErrorRead, SessionDep
from loanpilot.campaigns import results
from loanpilot.web.auth import require

router = APIRouter(
    prefix="/api/v1/campaigns",
    tags=["campaign results"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_404: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}}
CampaignRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Campaign id or code",
    ),
]
Confidence = Annotated[float, Query(gt=0.5, lt=1.0, description="interval level")]


class IntervalRead(BaseModel):
    estimate: float
    low: float
    high: float


class GroupRead(BaseModel):
    targeted: int
    contacted: int
    responded: int
    applied: int
    approved: int
    disbursed: int
    disbursed_fen: int
    new_customers: int


class StageLiftRead(BaseModel):
    stage: str
    treatment_rate: float
    control_rate: float
    lift: IntervalRead
    incremental: IntervalRead


class GoalRead(BaseModel):
    metric: str
    target: float
    actual: float | None
    share: float | None


class RoiRead(BaseModel):
    cost_fen: int
    net_revenue_per_loan_fen: float
    incremental_loans: IntervalRead
    incremental_net_revenue_fen: IntervalRead
    roi: IntervalRead | None


class BudgetRead(BaseModel):
    budget_fen: int
    spent_fen: int
    share: float | None
    alert: str | None
    lines: list[dict[str, Any]]


class ArmRead(BaseModel):
    arm: str
    headline: str | None
    targeted: int
    contacted: int
    responded: int
    applied: int
    disbursed: int


class AbResultRead(BaseModel):
    arm_a: str
    arm_b: str
    successes_a: int
    trials_a: int
    successes_b: int
    trials_b: int
    rate_a: float
    rate_b: float
    difference: IntervalRead
    relative_lift: float | None
    z: float | None
    p_value_z: float | None
    p_value_fisher: float
    test: str
    p_value: float
    significant: bool
    alpha: float
    n_per_arm_needed: int | None


class AbTestRead(BaseModel):
    measure: str
    result: AbResultRead


class AttributionRead(BaseModel):
    leads: int
    applied: int
    disbursed: int
    referral_credit_fen: int
    referrals_credited: int
    by: dict[str, list[dict[str, Any]]]


class CampaignRead(BaseModel):
    id: int
    code: str
    name: str
    theme: str
    status: str
    channel: str
    starts_on: date
    ends_on: date
    control_share: float
    contact_cost_fen: int


class ResultsRead(BaseModel):
    campaign: CampaignRead
    treatment: GroupRead
    control: GroupRead
    lifts: list[StageLiftRead]
    goals: list[GoalRead]
    roi: RoiRead
    budget: BudgetRead
    arms: list[ArmRead]
    ab_tests: list[AbTestRead]
    attribution: AttributionRead
    confidence: float
    net_revenue_method: str
    attribution_rule: str


class AbTestsRead(BaseModel):
    campaign_id: int
    tests: list[AbTestRead]


@router.get("/leads/attribution", response_model=AttributionRead)
def leads_attribution(
    session: SessionDep, _: Annotated[Principal, require(Permission.MARKETING_READ)]
) -> AttributionRead:
    """Leads attributed to campaigns (by campaign id or UTM code), by campaign, channel, partner,
    referrer and UTM source / medium, with conversion and referral credits."""
    return AttributionRead.model_validate(results.as_plain(results.leads_attribution(session)))


@router.get("/{campaign}/results", response_model=ResultsRead, responses=_404)
def campaign_results(
    campaign: CampaignRef,
    session: SessionDep,
    _: Annotated[Principal, require(Permission.MARKETING_READ)],
    confidence: Confidence = 0.95,
) -> ResultsRead:
    """Funnel by group against the goals, lift over the hold-out with intervals, ROI, budget burn,
    arms, A/B tests and attribution."""
    found = results.campaign_results(session, campaign, confidence=confidence)
    return ResultsRead.model_validate(found.as_dict())


@router.get("/{campaign}/ab-test", response_model=AbTestsRead, responses=_404)
def campaign_ab_test(
    campaign: CampaignRef,
    session: SessionDep,
    _: Annotated[Principal, require(Permission.MARKETING_READ)],
    alpha: Annotated[float, Query(gt=0, lt=0.5)] = 0.05,
) -> AbTestsRead:
    """Each arm against the first on response and application (z-test, or Fisher's exact test
    when an expected count is below 5); empty when the campaign has fewer than two arms."""
    c = results.get_campaign(session, campaign)
    tests = results.ab_test_results(session, c.id, alpha=alpha)
    return AbTestsRead.model_validate(
        {"campaign_id": c.id, "tests": [results.as_plain(t) for t in tests]}
    )


@router.get("/{campaign}/attribution", response_model=AttributionRead, responses=_404)
def campaign_attribution(
    campaign: CampaignRef,
    session: SessionDep,
    _: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> AttributionRead:
    """Leads attributed to this campaign, by channel, partner, referrer and UTM tags."""
    return AttributionRead.model_validate(
        results.as_plain(results.campaign_attribution(session, campaign))
    )
