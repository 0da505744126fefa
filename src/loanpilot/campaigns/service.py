"""Campaign planning and its budget: create and edit a campaign with its goals, places, windows,
arms, audience segments and budget lines (atomically: every problem is collected first, nothing is
written unless all is well), move it through its statuses, record expenses against its budget
lines with alerts at 80 % and 100 % of the budget (each at most once), acknowledge alerts, and
check that its audience holds customers who may be contacted.

Services only flush; the entry point commits. Every change is audited (no personal data)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from loanpilot.audit.service import record
from loanpilot.campaigns import repository as repo
from loanpilot.campaigns import rules
from loanpilot.campaigns.models import (
    BudgetCategory,
    BudgetLine,
    Campaign,
    CampaignGoal,
    CampaignOffer,
    CampaignPlace,
    CampaignSegment,
    CampaignStatus,
    CampaignWindow,
    PlaceKind,
)
from loanpilot.campaigns.schemas import (
    ArmWrite,
    BudgetLineWrite,
    CampaignCreate,
    CampaignUpdate,
    GoalWrite,
    PlaceWrite,
    WindowWrite,
)
from loanpilot.customers.models import Channel
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import ConflictError, FieldProblem, NotFoundError, ValidationError


@dataclass(frozen=True)
class Actor:
    """Who changes a campaign, for the audit trail."""

    staff_id: int | None
    label: str
    client_address: str | None = None


@dataclass(frozen=True)
class Plan:
    """Every editable field of a campaign, as the API and the form give them."""

    name: str
    theme: str
    channel: str
    starts_on: date
    ends_on: date
    description: str | None = None
    product_id: int | None = None
    branch_id: int | None = None
    control_share: Decimal = Decimal("0.1")
    contact_cost_fen: int = 0
    budget_fen: int | None = None
    goals: list[GoalWrite] = field(default_factory=list)
    places: list[PlaceWrite] = field(default_factory=list)
    windows: list[WindowWrite] = field(default_factory=list)
    arms: list[ArmWrite] = field(default_factory=list)
    budget_lines: list[BudgetLineWrite] = field(default_factory=list)
    segment_run_id: int | None = None
    segment_codes: list[str] = field(default_factory=list)


_PLAN_FIELDS = frozenset(f.name for f in fields(Plan))


def get_campaign(session: Session, campaign_id: int, *, for_update: bool = False) -> Campaign:
    found = repo.get(session, campaign_id, for_update=for_update)
    if found is None:
        raise NotFoundError("campaign.not_found", f"No campaign with id {campaign_id}")
    return found


# --- the plan: validate everything, then write --------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    """A place's time: without an offset it is Asia/Shanghai time."""
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


def draft_of(plan: Plan) -> rules.CampaignDraft:
    return rules.CampaignDraft(
        name=plan.name, theme=plan.theme, channel=plan.channel, starts_on=plan.starts_on,
        ends_on=plan.ends_on, control_share=plan.control_share,
        contact_cost_fen=plan.contact_cost_fen, budget_fen=plan.budget_fen,
        goals=tuple(rules.GoalDraft(g.metric, g.target) for g in plan.goals),
        places=tuple(rules.PlaceDraft(p.kind, p.name, _aware(p.starts_at), _aware(p.ends_at),
                                      p.city, p.branch_id) for p in plan.places),
        windows=tuple(rules.WindowDraft(w.label, w.starts_on, w.ends_on, w.weekdays, w.start_hour,
                                        w.end_hour, w.segment_code) for w in plan.windows),
        arms=tuple(rules.ArmDraft(a.arm, a.product_id, a.channel, a.headline_zh, a.headline_en,
                                  a.rate_discount_bp, a.fee_waived, a.contact_cost_fen, a.share)
                   for a in plan.arms),
        budget_lines=tuple(rules.BudgetLineDraft(b.category, b.planned_fen) for b in plan.budget_lines),
    )  # fmt: skip


def audience_problems(
    session: Session, run_id: int | None, codes: Sequence[str]
) -> list[FieldProblem]:
    """Problems of an audience of segments: an unknown run or segment, no customers at all, or
    none who may be contacted (consent, opt-out, blacklist), with the counts."""
    if not codes:
        return []
    if run_id is None:
        return [rules.problem("segment_run_id", "required")]
    if repo.done_run(session, run_id) is None:
        return [rules.problem("segment_run_id", "unknown_run", given=run_id)]
    known = repo.segment_codes(session, run_id)
    unknown = [c for c in codes if c not in known]
    if unknown:
        return [
            rules.problem("segment_codes", "unknown_segment", given=", ".join(unknown), run=run_id)
        ]
    counts = repo.audience_counts(session, run_id, codes)
    if counts.total == 0:
        return [rules.problem("segment_codes", "audience_empty")]
    if counts.contactable == 0:
        return [rules.problem("segment_codes", "audience_no_consent", total=counts.total,
                              no_consent=counts.no_consent, opted_out=counts.opted_out,
                              blacklisted=counts.blacklisted)]  # fmt: skip
    return []


def _reference_problems(session: Session, plan: Plan) -> list[FieldProblem]:
    out: list[FieldProblem] = []
    products = [plan.product_id] if plan.product_id else []
    found = repo.existing_products(session, products + [a.product_id for a in plan.arms])
    if plan.product_id and plan.product_id not in found:
        out.append(rules.problem("product_id", "unknown_product", given=plan.product_id))
    for i, a in enumerate(plan.arms):
        if a.product_id not in found:
            out.append(
                rules.problem(f"arms[{i}].product_id", "unknown_product", given=a.product_id)
            )
    branch_ids = [b for b in [plan.branch_id, *(p.branch_id for p in plan.places)] if b]
    branches = repo.existing_branches(session, branch_ids)
    if plan.branch_id and plan.branch_id not in branches:
        out.append(rules.problem("branch_id", "unknown_branch", given=plan.branch_id))
    for i, p in enumerate(plan.places):
        if p.branch_id and p.branch_id not in branches:
            out.append(rules.problem(f"places[{i}].branch_id", "unknown_branch", given=p.branch_id))
    return out


def _check(session: Session, plan: Plan, problems: list[FieldProblem], *, audience: bool) -> None:
    problems += rules.validate_campaign(draft_of(plan))
    problems += _reference_problems(session, plan)
    if audience:
        problems += audience_problems(session, plan.segment_run_id, plan.segment_codes)
    if problems:
        raise ValidationError("campaign.invalid", "The campaign is not valid", problems)


def _scalars(c: Campaign, plan: Plan) -> None:
    c.name, c.theme, c.description = plan.name.strip(), plan.theme.strip(), plan.description or None
    c.channel, c.product_id, c.branch_id = Channel(plan.channel), plan.product_id, plan.branch_id
    c.starts_on, c.ends_on, c.control_share = plan.starts_on, plan.ends_on, plan.control_share
    c.contact_cost_fen, c.budget_fen = plan.contact_cost_fen, plan.budget_fen
    c.segment_run_id = plan.segment_run_id
    if c.product_id is None and plan.arms:
        c.product_id = plan.arms[0].product_id
    c.audience = {**(c.audience or {}), "segment_run_id": plan.segment_run_id,
                  "segments": list(plan.segment_codes)}  # fmt: skip


def _write_parts(session: Session, c: Campaign, plan: Plan) -> None:
    cid = c.id
    session.add_all(
        [CampaignGoal(campaign_id=cid, metric=g.metric, target=g.target) for g in plan.goals]
    )
    session.add_all([
        CampaignPlace(campaign_id=cid, kind=PlaceKind(p.kind), name=p.name.strip(), branch_id=p.branch_id,
                      city=p.city or None, starts_at=_aware(p.starts_at), ends_at=_aware(p.ends_at))
        for p in plan.places
    ])  # fmt: skip
    session.add_all([
        CampaignWindow(campaign_id=cid, label=w.label.strip(), starts_on=w.starts_on, ends_on=w.ends_on,
                       weekdays="".join(sorted(w.weekdays)), start_hour=w.start_hour,
                       end_hour=w.end_hour, segment_code=w.segment_code or None)
        for w in plan.windows
    ])  # fmt: skip
    session.add_all([
        CampaignOffer(campaign_id=cid, arm=a.arm.strip(), product_id=a.product_id,
                      channel=Channel(a.channel), headline_zh=a.headline_zh.strip(),
                      headline_en=a.headline_en or None, rate_discount_bp=a.rate_discount_bp,
                      fee_waived=a.fee_waived, contact_cost_fen=a.contact_cost_fen, share=a.share)
        for a in plan.arms
    ])  # fmt: skip
    if plan.segment_run_id is not None:
        session.add_all([CampaignSegment(campaign_id=cid, segment_run_id=plan.segment_run_id,
                                         segment_code=code) for code in dict.fromkeys(plan.segment_codes)])  # fmt: skip


def _given(body: CampaignCreate | CampaignUpdate) -> dict[str, Any]:
    """The fields of ``body`` that were sent, as plan values (lists of write models)."""
    return {name: getattr(body, name) for name in body.model_fields_set if name in _PLAN_FIELDS}


def audit(session: Session, actor: Actor, action: str, campaign_id: int, now: datetime,
           detail: dict[str, Any] | None = None) -> None:  # fmt: skip
    record(session, action=action, actor_label=actor.label, actor_staff_id=actor.staff_id,
           entity="campaign", entity_id=str(campaign_id), detail=detail,
           client_address=actor.client_address, at=now)  # fmt: skip


def create_campaign(
    session: Session, body: CampaignCreate, *, actor: Actor, now: datetime,
    invalid: Iterable[FieldProblem] = (),
) -> Campaign:  # fmt: skip
    """A new planned campaign with every part of its plan; every problem reported at once."""
    values = {k: v for k, v in _given(body).items() if v is not None}
    plan = Plan(**values)
    problems = list(invalid)
    code = (body.code or "").strip()
    if code and repo.code_taken(session, code):
        problems.append(rules.problem("code", "code_taken", given=code))
    _check(session, plan, problems, audience=True)
    campaign = Campaign(code=code or repo.next_code(session, plan.starts_on), status=CampaignStatus.PLANNED,
                        owner_id=actor.staff_id, audience={})  # fmt: skip
    _scalars(campaign, plan)
    session.add(campaign)
    session.flush()
    _write_parts(session, campaign, plan)
    session.add_all([BudgetLine(campaign_id=campaign.id, category=BudgetCategory(b.category),
                                planned_fen=b.planned_fen) for b in plan.budget_lines])  # fmt: skip
    session.flush()
    audit(session, actor, "campaign.create", campaign.id, now, {"code": campaign.code})
    return campaign


def current_plan(session: Session, c: Campaign) -> Plan:
    """The stored plan of a campaign, as an edit starts from."""
    segs = repo.segments(session, c.id)
    return Plan(
        name=c.name, theme=c.theme, channel=c.channel.value, starts_on=c.starts_on, ends_on=c.ends_on,
        description=c.description, product_id=c.product_id, branch_id=c.branch_id,
        control_share=Decimal(c.control_share), contact_cost_fen=c.contact_cost_fen,
        budget_fen=c.budget_fen,
        goals=[GoalWrite(metric=g.metric, target=Decimal(g.target)) for g in repo.goals(session, c.id)],
        places=[PlaceWrite(kind=p.kind.value, name=p.name, branch_id=p.branch_id, city=p.city,
                           starts_at=p.starts_at, ends_at=p.ends_at) for p in repo.places(session, c.id)],
        windows=[WindowWrite(label=w.label, starts_on=w.starts_on, ends_on=w.ends_on,
                             weekdays=w.weekdays, start_hour=w.start_hour, end_hour=w.end_hour,
                             segment_code=w.segment_code) for w in repo.windows(session, c.id)],
        arms=[ArmWrite(arm=a.arm, product_id=a.product_id, channel=a.channel.value,
                       headline_zh=a.headline_zh, headline_en=a.headline_en,
                       rate_discount_bp=a.rate_discount_bp, fee_waived=a.fee_waived,
                       contact_cost_fen=a.contact_cost_fen, share=Decimal(a.share))
              for a in repo.arms(session, c.id)],
        budget_lines=[BudgetLineWrite(category=b.category.value, planned_fen=b.planned_fen)
                      for b in repo.budget_lines(session, c.id)],
        segment_run_id=c.segment_run_id if c.segment_run_id else (segs[0].segment_run_id if segs else None),
        segment_codes=[s.segment_code for s in segs],
    )  # fmt: skip


def refuse_closed(c: Campaign, what: str) -> None:
    if rules.is_closed(c.status.value):
        raise ConflictError("campaign.closed",
                            f"Campaign {c.code} is {c.status.value}: it takes no {what}")  # fmt: skip


def update_campaign(
    session: Session, campaign_id: int, body: CampaignUpdate, *, actor: Actor, now: datetime,
    invalid: Iterable[FieldProblem] = (),
) -> Campaign:  # fmt: skip
    """Change the fields given (a list given replaces that part of the plan); the whole plan is
    validated again. A closed campaign refuses edits; a budget line with expenses stays."""
    c = get_campaign(session, campaign_id, for_update=True)
    refuse_closed(c, "edits")
    given = _given(body)
    for required in (
        "name",
        "theme",
        "channel",
        "starts_on",
        "ends_on",
        "control_share",
        "contact_cost_fen",
    ):
        if required in given and given[required] is None:
            del given[required]
    lists = {"goals", "places", "windows", "arms", "budget_lines", "segment_codes"}
    given = {k: ([] if v is None and k in lists else v) for k, v in given.items()}
    plan = replace(current_plan(session, c), **given)
    problems = list(invalid)
    old_lines = {b.category.value: b for b in repo.budget_lines(session, c.id)}
    kept = {b.category for b in plan.budget_lines}
    for category, line in old_lines.items():
        if category not in kept and repo.line_has_expenses(session, line.id):
            problems.append(rules.problem("budget_lines", "line_has_expenses", given=category))
    audience = bool({"segment_run_id", "segment_codes"} & given.keys())
    _check(session, plan, problems, audience=audience)
    _scalars(c, plan)
    repo.delete_plan_parts(session, c.id)
    session.flush()
    _write_parts(session, c, plan)
    for b in plan.budget_lines:
        if b.category in old_lines:
            old_lines[b.category].planned_fen = b.planned_fen
        else:
            session.add(BudgetLine(campaign_id=c.id, category=BudgetCategory(b.category),
                                   planned_fen=b.planned_fen))  # fmt: skip
    for category, line in old_lines.items():
        if category not in kept:
            session.delete(line)
    session.flush()
    audit(session, actor, "campaign.update", c.id, now, {"fields": sorted(given)})
    return c


# --- status -------------------------------------------------------------------------------------------


def change_status(
    session: Session, campaign_id: int, status: str, *, actor: Actor, now: datetime
) -> Campaign:
    """planned → approved → running → completed; any open status → cancelled. Approving needs an
    audience that may be contacted (a list of targets, or segments with contactable customers)."""
    c = get_campaign(session, campaign_id, for_update=True)
    current = c.status.value
    if not rules.can_transition(current, status):
        raise ConflictError("campaign.transition",
                            f"A {current} campaign cannot become {status}")  # fmt: skip
    if status == "approved" and repo.targets_count(session, c.id) == 0:
        codes = [s.segment_code for s in repo.segments(session, c.id)]
        problems: list[FieldProblem] = (
            audience_problems(session, c.segment_run_id, codes)
            if codes
            else [rules.problem("segment_codes", "audience_empty")]
        )
        if problems:
            raise ValidationError(
                "campaign.audience", "The campaign has no audience to contact", problems
            )
    c.status = CampaignStatus(status)
    if rules.is_closed(status):
        c.closed_at = now
    session.flush()
    audit(session, actor, "campaign.status", c.id, now, {"from": current, "to": status})
    return c
