"""Campaign planning (issue 6): let the optimiser choose who gets which offer through which channel
under the budget, channel capacities, segment minimums and product caps, store the plan, and write
its list (with a randomised hold-out) into the campaign's targets.

The options are the latest finished offer run's offers (customer, product, channel, expected
incremental profit, contact cost) — for a campaign, only those of its arms (product × channel) and
of its audience segments; without a campaign, all of them. Customers without marketing consent, who
opted out or are blacklisted are never options, and are checked again when a plan is applied.

The solver is ``analytics.optimize.solve``; an ``Infeasible`` answer is stored as an infeasible
plan whose explanation names the constraint by the manager's names (``planning_rules``).
Services flush; the entry point commits.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from loanpilot.analytics import optimize
from loanpilot.audit.service import record
from loanpilot.campaigns import planning_rules as rules
from loanpilot.campaigns import repository_planning as repo
from loanpilot.campaigns.models import Campaign, CampaignPlan, CampaignStatus, PlanStatus
from loanpilot.customers.models import Channel
from loanpilot.customers.models_segments import Segment, SegmentRun
from loanpilot.kit.errors import ConflictError, NotFoundError, ValidationError
from loanpilot.products.models import LoanProduct
from loanpilot.products.models_offers import OfferRun

CHANNELS: tuple[str, ...] = tuple(c.value for c in Channel)
#: ``campaign_targets.segment_code`` is 64 characters wide, as ``segments.code``.
TARGET_SEGMENT_WIDTH = 64


@dataclass(frozen=True)
class Arm:
    """One arm a plan may use: a product through a channel (None: any)."""

    label: str | None
    product_id: int | None
    channel: str | None


@dataclass
class PlanContext:
    """What a plan of one campaign (or of none) chooses from."""

    campaign: Campaign | None
    arms: list[Arm]
    audience: set[int] | None  # customer ids of the audience segments; None: everyone
    offer_run: OfferRun | None
    segment_run: SegmentRun | None
    segments: list[Segment]
    products: dict[int, LoanProduct] = field(default_factory=dict)

    @property
    def product_ids(self) -> dict[str, int]:
        return {p.code: p.id for p in self.products.values()}

    def segment_names(self, lang: str) -> dict[str, str]:
        return {s.code: s.name_zh if lang == "zh" else s.name_en for s in self.segments}


def is_closed(campaign: Campaign) -> bool:
    return campaign.closed_at is not None or campaign.status in (
        CampaignStatus.COMPLETED,
        CampaignStatus.CANCELLED,
    )


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    found = repo.campaign(session, campaign_id)
    if found is None:
        raise NotFoundError("campaign.not_found", f"Campaign {campaign_id} does not exist")
    return found


def context(session: Session, campaign_id: int | None) -> PlanContext:
    """The arms, audience, offer run and segmentation a plan of ``campaign_id`` uses."""
    found = get_campaign(session, campaign_id) if campaign_id is not None else None
    arms: list[Arm] = []
    audience: set[int] | None = None
    run_id: int | None = None
    offer_run = repo.latest_offer_run(session)
    if found is not None:
        arms = [Arm(a.arm, a.product_id, a.channel.value) for a in repo.arms(session, found.id)]
        if not arms:
            arms = [Arm(None, found.product_id, found.channel.value)]
        chosen = repo.audience_segments(session, found.id)
        if chosen:
            audience = set()
            for run in sorted({c.segment_run_id for c in chosen}):
                codes = [c.segment_code for c in chosen if c.segment_run_id == run]
                audience |= repo.audience_customers(session, run, codes)
            run_id = chosen[0].segment_run_id
        run_id = found.segment_run_id or run_id
    if run_id is None and offer_run is not None:
        run_id = offer_run.segment_run_id
    segment_run = repo.segment_run(session, run_id) if run_id else repo.current_segment_run(session)
    segments = repo.segments_of_run(session, segment_run.id) if segment_run else []
    return PlanContext(
        campaign=found,
        arms=arms,
        audience=audience,
        offer_run=offer_run,
        segment_run=segment_run,
        segments=segments,
        products={p.id: p for p in repo.products(session)},
    )


def options_frame(session: Session, ctx: PlanContext) -> tuple[pd.DataFrame, dict[str, int]]:
    """The options of a plan (one row per usable offer, with its arm and the customer's segment)
    and how many offers were left out by the contact policy, by reason."""
    if ctx.offer_run is None:
        raise ConflictError(
            "planning.no_offer_run",
            "No next-best-offer run has finished yet: run `loanpilot offers build` first",
        )
    frame = repo.offer_options(session, ctx.offer_run.id)
    frame["arm"] = None
    if ctx.arms and not frame.empty:
        keep = np.zeros(len(frame), dtype=bool)
        for arm in ctx.arms:
            hit = ~keep
            if arm.product_id is not None:
                hit &= (frame["product_id"] == arm.product_id).to_numpy()
            if arm.channel is not None:
                hit &= (frame["channel"] == arm.channel).to_numpy()
            frame.loc[hit, "arm"] = arm.label
            keep |= hit
        frame = frame[keep]
    if ctx.audience is not None:
        frame = frame[frame["customer_id"].isin(ctx.audience)]
    policy = repo.contactable(session, frame["customer_id"].tolist())
    dropped = {
        "no_consent": int(frame["customer_id"].isin(policy.no_consent).sum()),
        "opted_out": int(frame["customer_id"].isin(policy.opted_out).sum()),
        "blacklisted": int(frame["customer_id"].isin(policy.blacklisted).sum()),
    }
    frame = frame[~frame["customer_id"].isin(policy.blocked())].reset_index(drop=True)
    if ctx.segment_run is not None and not frame.empty:
        codes = repo.customer_segment_codes(
            session, ctx.segment_run.id, frame["customer_id"].tolist()
        )
        frame["segment_code"] = frame["customer_id"].map(codes)
    else:
        frame["segment_code"] = None
    return frame, dropped


# --- solve ----------------------------------------------------------------------------------------


def validate(ctx: PlanContext, raw: Mapping[str, Any]) -> rules.PlanConstraints:
    """``raw`` (budget_yuan, channel_capacity, segment_min, product_cap, branch_hours_per_contact;
    mappings or ``name=number`` text) checked against this context's names."""
    return rules.validate_constraints(
        budget_yuan=raw.get("budget_yuan"),
        channel_capacity=raw.get("channel_capacity") or "",
        segment_min=raw.get("segment_min") or "",
        product_cap=raw.get("product_cap") or "",
        branch_hours_per_contact=raw.get("branch_hours_per_contact")
        or rules.DEFAULT_BRANCH_HOURS_PER_CONTACT,
        channels=CHANNELS,
        segments={s.code for s in ctx.segments},
        products=set(ctx.product_ids),
    )


def solve_plan(
    session: Session,
    *,
    campaign_id: int | None,
    raw: Mapping[str, Any],
    now: datetime,
    staff_id: int | None = None,
    method: str = "auto",
) -> CampaignPlan:
    """Solve a plan and store it (solved, or infeasible with the explanation); flushes.

    ``ValidationError`` (nothing stored) when a constraint is malformed or names an unknown
    channel, segment or product; ``ConflictError`` for a closed campaign or no offer run."""
    if method not in optimize.METHODS:
        problem = rules.Problem("method", f"must be auto, milp or lagrangian; got {method[:20]!r}")
        raise ValidationError("planning.invalid", "The plan's method is not valid", [problem])
    solver_method = cast("optimize.Method", method)
    ctx = context(session, campaign_id)
    if ctx.campaign is not None and is_closed(ctx.campaign):
        raise ConflictError(
            "campaign.closed", f"Campaign {ctx.campaign.code} is closed; it cannot be planned"
        )
    constraints = validate(ctx, raw)
    frame, dropped = options_frame(session, ctx)
    plan = CampaignPlan(
        campaign_id=campaign_id,
        offer_run_id=ctx.offer_run.id if ctx.offer_run else None,
        status=PlanStatus.SOLVED,
        constraints=constraints.to_json(),
        method=method,
        candidates=int(frame["customer_id"].nunique()),
        solved_at=now,
        created_by_id=staff_id,
    )
    seg_codes = sorted({s.code for s in ctx.segments} | set(frame["segment_code"].dropna()))
    counts = frame.groupby("segment_code")["customer_id"].nunique()
    available = {str(k): int(v) for k, v in counts.items()}
    summary: dict[str, Any] = {
        "options": len(frame),
        "dropped": dropped,
        "segment_run_id": ctx.segment_run.id if ctx.segment_run else None,
        "offer_run_id": plan.offer_run_id,
        "available": available,
    }
    names = {
        "channels": dict(enumerate(CHANNELS)),
        "segments": dict(enumerate(seg_codes)),
        "products": {p.id: p.code for p in ctx.products.values()},
    }
    if frame.empty:
        ref = rules.ConstraintRef("no_candidates", None)
        _infeasible(plan, summary, ref, rules.explain_infeasible(ref, constraints), "")
    else:
        customers, index = np.unique(frame["customer_id"].to_numpy(), return_inverse=True)
        seg_index = {code: i for i, code in enumerate(seg_codes)}
        per_customer = frame.groupby("customer_id")["segment_code"].first()
        segment_of_customer = np.array(
            [seg_index.get(c, -1) if isinstance(c, str) else -1 for c in per_customer[customers]],
            dtype=np.int64,
        )
        options = optimize.Options(
            customer=index.astype(np.int64),
            value=frame["expected_profit_fen"].to_numpy(dtype=np.float64),
            cost=frame["contact_cost_fen"].to_numpy(dtype=np.float64),
            channel=frame["channel"].map(CHANNELS.index).to_numpy(dtype=np.int64),
            product=frame["product_id"].to_numpy(dtype=np.int64),
            channel_usage=frame["channel"].map(constraints.usage_of).to_numpy(dtype=np.float64),
        )
        limits = optimize.Constraints(
            budget=float(constraints.budget_fen),
            channel_capacity={
                CHANNELS.index(c): v for c, v in constraints.channel_capacity.items()
            },
            segment_min={seg_index[c]: n for c, n in constraints.segment_min.items()},
            product_cap={ctx.product_ids[c]: n for c, n in constraints.product_cap.items()},
        )
        try:
            solution = optimize.solve(options, limits, segment_of_customer, method=solver_method)
        except optimize.Infeasible as exc:
            ref = rules.constraint_ref(exc.constraint, **names)
            related = [rules.constraint_ref(k, **names) for k in exc.constraints]
            why = rules.explain_infeasible(
                ref, constraints, related=related, details=exc.details, available=available
            )
            _infeasible(plan, summary, ref, why, str(exc))
        else:
            _solved(plan, summary, frame, solution, names)
    plan.summary = summary
    session.add(plan)
    session.flush()
    return plan


def _infeasible(
    plan: CampaignPlan,
    summary: dict[str, Any],
    ref: rules.ConstraintRef,
    why: rules.Explanation,
    solver_message: str,
) -> None:
    plan.status = PlanStatus.INFEASIBLE
    plan.infeasible_reason = why.english
    summary["infeasible"] = {
        "field": why.field,
        "code": why.code,
        "params": why.params,
        "constraint": {"kind": ref.kind, "name": ref.name},
        "solver": solver_message[:500],
    }


def _breakdown(chosen: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    grouped = chosen.groupby(key, dropna=False).agg(
        selected=("offer_id", "size"),
        cost_fen=("contact_cost_fen", "sum"),
        value_fen=("expected_profit_fen", "sum"),
        uplift=("uplift", "sum"),
    )
    records: list[dict[Hashable, Any]] = (
        grouped.sort_values("selected", ascending=False).reset_index().to_dict("records")
    )
    return [
        {
            "key": r[key] if isinstance(r[key], str) else None,
            "selected": int(r["selected"]),
            "cost_fen": int(r["cost_fen"]),
            "value_fen": int(r["value_fen"]),
            "expected_responses": round(float(r["uplift"]), 2),
        }
        for r in records
    ]


def _solved(
    plan: CampaignPlan,
    summary: dict[str, Any],
    frame: pd.DataFrame,
    solution: Any,
    names: dict[str, dict[int, str]],
) -> None:
    chosen = frame.iloc[np.asarray(solution.chosen, dtype=np.int64)].copy()
    chosen["uplift"] = chosen["uplift"].astype("float64").fillna(0.0)
    chosen["product_code"] = chosen["product_id"].map(names["products"])
    plan.method = str(solution.method)
    plan.objective_fen = round(float(solution.objective))
    plan.bound_fen = round(float(solution.bound))
    plan.gap = None if solution.gap is None else float(solution.gap)
    plan.selected = len(chosen)
    plan.cost_fen = int(chosen["contact_cost_fen"].sum())
    binding = [rules.constraint_ref(str(b), **names) for b in solution.binding]
    summary.update(
        status=str(solution.status),
        value_fen=int(chosen["expected_profit_fen"].sum()),
        expected_responses=round(float(chosen["uplift"].sum()), 2),
        by_channel=_breakdown(chosen, "channel"),
        by_product=_breakdown(chosen, "product_code"),
        by_segment=_breakdown(chosen, "segment_code"),
        binding=[{"kind": b.kind, "name": b.name} for b in binding],
        selection={
            "offer_ids": [int(i) for i in chosen["offer_id"]],
            "arms": [None if pd.isna(a) else str(a) for a in chosen["arm"]],
            "segments": [None if pd.isna(s) else str(s) for s in chosen["segment_code"]],
        },
    )


def _text(value: object, width: int | None = None) -> str | None:
    return value[:width] if isinstance(value, str) else None


def _number(value: object) -> float | None:
    if not isinstance(value, int | float) or math.isnan(value):
        return None
    return float(value)


# --- apply ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyResult:
    plan_id: int
    campaign_id: int
    targets: int
    treatment: int
    control: int
    dropped: dict[str, int]  # by reason, rechecked at apply time
    replaced: int  # targets of an earlier list removed
    holdout_share: float
    seed: int


def get_plan(
    session: Session, campaign_id: int | None, plan_id: int, *, for_update: bool = False
) -> CampaignPlan:
    found = repo.plan(session, plan_id, for_update=for_update)
    if found is None or (campaign_id is not None and found.campaign_id != campaign_id):
        raise NotFoundError("plan.not_found", f"Plan {plan_id} of this campaign does not exist")
    return found


def apply_plan(
    session: Session,
    campaign_id: int,
    plan_id: int,
    *,
    now: datetime,
    holdout_share: float | None = None,
    seed: int | None = None,
    replace: bool = False,
    staff_id: int | None = None,
    actor_label: str = "system",
) -> ApplyResult:
    """Write a solved plan's list into the campaign's targets, a stratified random hold-out
    (by arm and segment; ``holdout_share`` or the campaign's ``control_share``) in ``control``.

    All or nothing: refused (ConflictError, nothing changed) for a closed campaign, a plan not
    solved, or a campaign that already has targets, unless ``replace`` is asked and none of them
    has been worked. Customers who lost consent, opted out or were blacklisted since the plan was
    solved are dropped and counted.

    The campaign row is locked first (on SQLite by a write, which takes the database's write
    lock), then the plan: two applies, or an apply and a replace, run one after the other, so
    the second sees the first's list and is refused instead of merging with or deleting it."""
    found = repo.lock_campaign(session, campaign_id)
    if found is None:
        raise NotFoundError("campaign.not_found", f"Campaign {campaign_id} does not exist")
    plan = get_plan(session, campaign_id, plan_id, for_update=True)
    if is_closed(found):
        raise ConflictError("campaign.closed", f"Campaign {found.code} is closed")
    if plan.status is PlanStatus.APPLIED:
        raise ConflictError("plan.applied", f"Plan {plan.id} has been applied already")
    if plan.status is not PlanStatus.SOLVED:
        raise ConflictError("plan.infeasible", f"Plan {plan.id} is infeasible; nothing to apply")
    share = float(found.control_share) if holdout_share is None else holdout_share
    share = rules.holdout_share_of(share)
    existing = repo.target_counts(session, campaign_id)
    if existing.total and not replace:
        origin = ", ".join(
            f"plan {p}" if p else "a list drawn without a plan"
            for p in sorted(existing.plan_ids, key=lambda p: p or 0)
        )
        raise ConflictError(
            "campaign.has_targets",
            f"Campaign {found.code} already has {existing.total} targets (from {origin}); "
            "ask to replace them",
        )
    if existing.total and existing.worked:
        raise ConflictError(
            "campaign.targets_worked",
            f"Campaign {found.code}'s list is being worked ({existing.worked} targets contacted, "
            "responded or applied); it cannot be replaced",
        )
    selection = plan.summary.get("selection") or {}
    picked = pd.DataFrame(
        {
            "offer_id": selection.get("offer_ids", []),
            "arm": selection.get("arms", []),
            "segment_code": selection.get("segments", []),
        }
    )
    offers = repo.offers_by_ids(session, picked["offer_id"].tolist())
    rows = picked.merge(offers, on="offer_id", how="inner")
    policy = repo.contactable(session, rows["customer_id"].tolist())
    dropped = {
        "no_consent": len(policy.no_consent),
        "opted_out": len(policy.opted_out),
        "blacklisted": len(policy.blacklisted),
        "offer_missing": len(picked) - len(rows),
    }
    rows = rows[~rows["customer_id"].isin(policy.blocked())].reset_index(drop=True)
    if rows.empty:
        raise ConflictError("plan.empty", f"No customer of plan {plan.id} may be contacted now")
    seed = plan.id if seed is None else seed
    strata = rows["arm"].fillna("").astype(str) + "|" + rows["segment_code"].fillna("").astype(str)
    control = rules.assign_holdout(
        rows["customer_id"].to_numpy(), strata.astype(str).tolist(), share, seed
    )
    replaced = repo.delete_targets(session, campaign_id) if existing.total else 0
    for other in existing.plan_ids - {None, plan.id}:
        earlier = repo.plan(session, int(other)) if other else None
        if earlier is not None and earlier.status is PlanStatus.APPLIED:
            earlier.status = PlanStatus.SOLVED
    segment_run_id = plan.summary.get("segment_run_id")
    records: list[dict[Hashable, Any]] = rows.to_dict("records")
    repo.insert_targets(
        session,
        [
            {
                "campaign_id": campaign_id,
                "customer_id": int(r["customer_id"]),
                "group": "control" if is_control else "treatment",
                "offer_product_id": int(r["product_id"]),
                "channel": str(r["channel"]),
                "segment_code": _text(r["segment_code"], TARGET_SEGMENT_WIDTH),
                "segment_run_id": segment_run_id,
                "arm": _text(r["arm"]),
                "plan_id": plan.id,
                "expected_uplift": _number(r["uplift"]),
                "expected_profit_fen": int(r["expected_profit_fen"]),
                "responded": False,
                "contact_attempts": 0,
            }
            for r, is_control in zip(records, control.tolist(), strict=True)
        ],
    )
    plan.status = PlanStatus.APPLIED
    n_control = int(control.sum())
    plan.summary = {
        **plan.summary,
        "applied": {
            "at": now.isoformat(),
            "holdout_share": share,
            "seed": seed,
            "treatment": len(rows) - n_control,
            "control": n_control,
            "dropped": dropped,
            "replaced": replaced,
        },
    }
    if found.segment_run_id is None and segment_run_id is not None:
        found.segment_run_id = int(segment_run_id)
    record(
        session,
        action="campaign.plan.apply",
        actor_staff_id=staff_id,
        actor_label=actor_label,
        entity="campaign",
        entity_id=str(campaign_id),
        detail={"plan_id": plan.id, "targets": len(rows), "control": n_control, **dropped},
        at=now,
    )
    session.flush()
    return ApplyResult(
        plan_id=plan.id,
        campaign_id=campaign_id,
        targets=len(rows),
        treatment=len(rows) - n_control,
        control=n_control,
        dropped=dropped,
        replaced=replaced,
        holdout_share=share,
        seed=seed,
    )
