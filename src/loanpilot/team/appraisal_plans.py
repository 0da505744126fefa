"""Appraisal plans (考核方案): create one per role and period, edit it, keep its versions.

Editing a plan that has no run yet changes it in place; editing one that has runs makes a new
version (``version + 1``, ``previous_id`` pointing back) and marks the old one ``superseded``, so
old runs keep explaining themselves with the indicators they were scored on. Every problem is
collected before anything is written; services only flush; every change is audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from loanpilot.audit.service import record
from loanpilot.kit.errors import ConflictError, FieldProblem, NotFoundError, ValidationError
from loanpilot.kit.periods import parse_period
from loanpilot.team import appraisal_rules as rules
from loanpilot.team import repository_appraisal as repo
from loanpilot.team.appraisal_schemas import (
    IndicatorRead,
    IndicatorWrite,
    PlanCreate,
    PlanRead,
    PlanUpdate,
)
from loanpilot.team.models import Role
from loanpilot.team.models_appraisal import AppraisalIndicator, AppraisalPlan, IndicatorKind

_HUNDRED = Decimal(100)
#: Roles a plan may be made for (everyone who sells or serves; not administrators or auditors).
APPRAISED_ROLES: tuple[Role, ...] = tuple(
    r for r in Role if r not in (Role.ADMINISTRATOR, Role.AUDITOR)
)


@dataclass(frozen=True)
class Actor:
    """Who changes appraisal data, for the audit trail."""

    staff_id: int | None
    label: str
    client_address: str | None = None


def audit(session: Session, actor: Actor, action: str, entity: str, entity_id: int, now: datetime,
          detail: dict[str, Any] | None = None) -> None:  # fmt: skip
    record(session, action=action, actor_label=actor.label, actor_staff_id=actor.staff_id,
           entity=entity, entity_id=str(entity_id), detail=detail,
           client_address=actor.client_address, at=now)  # fmt: skip


def get_plan(session: Session, plan_id: int, *, for_update: bool = False) -> AppraisalPlan:
    found = repo.plan(session, plan_id, for_update=for_update)
    if found is None:
        raise NotFoundError("appraisal.plan_not_found", f"No appraisal plan with id {plan_id}")
    return found


def curve_of(write: IndicatorWrite) -> rules.Curve:
    stored: dict[str, Any] = {"type": write.curve}
    for key in ("floor", "cap", "scale_min", "scale_max"):
        value = getattr(write, key)
        if value is not None:
            stored[key] = value
    return rules.Curve.of(stored)


def draft_of(
    name: str, role: str, period: str, indicators: Iterable[IndicatorWrite]
) -> rules.PlanDraft:
    return rules.PlanDraft(
        name=name, role=role, period=period,
        indicators=tuple(
            rules.IndicatorDraft(code=i.code.strip(), name=i.name, kind=i.kind,
                                 weight_pct=i.weight_pct, target=i.target,
                                 higher_is_better=i.higher_is_better, curve=curve_of(i))
            for i in indicators
        ),
    )  # fmt: skip


def _check(draft: rules.PlanDraft, problems: list[FieldProblem]) -> None:
    problems += rules.validate_plan(draft, roles=[r.value for r in APPRAISED_ROLES])
    if problems:
        raise ValidationError("appraisal.plan_invalid", "The appraisal plan is not valid", problems)


def _write_indicators(session: Session, plan: AppraisalPlan, draft: rules.PlanDraft) -> None:
    session.add_all([
        AppraisalIndicator(plan_id=plan.id, code=i.code, name=i.name.strip(),
                           kind=IndicatorKind(i.kind),
                           weight=(i.weight_pct or Decimal(0)) / _HUNDRED,
                           target=i.target if i.kind == rules.QUANTITATIVE else None,
                           higher_is_better=i.higher_is_better, curve=i.curve.stored())
        for i in draft.indicators
    ])  # fmt: skip


def create_plan(
    session: Session, body: PlanCreate, *, actor: Actor, now: datetime,
    invalid: Iterable[FieldProblem] = (),
) -> AppraisalPlan:  # fmt: skip
    """A new plan (version 1, or the next version number if the role and period had plans)."""
    problems = list(invalid)
    period_label = body.period
    try:
        period_label = parse_period(body.period).label
    except ValidationError as exc:
        problems += exc.problems
    draft = draft_of(body.name, body.role, period_label, body.indicators)
    if draft.role in Role._value2member_map_ and not problems:
        existing = repo.current_plan(session, Role(draft.role), period_label)
        if existing is not None:
            raise ConflictError(
                "appraisal.plan_exists",
                f"The {draft.role} plan for {period_label} exists (id {existing.id}, version "
                f"{existing.version}): edit it instead",
            )
    _check(draft, problems)
    role = Role(draft.role)
    plan = AppraisalPlan(
        name=draft.name.strip(), role=role, period=period_label,
        version=repo.max_version(session, role, period_label) + 1, status="active",
        created_by_id=actor.staff_id,
    )  # fmt: skip
    session.add(plan)
    session.flush()
    _write_indicators(session, plan, draft)
    session.flush()
    audit(session, actor, "appraisal.plan.create", "appraisal_plan", plan.id, now,
          {"role": role.value, "period": period_label, "version": plan.version})  # fmt: skip
    return plan


def update_plan(
    session: Session, plan_id: int, body: PlanUpdate, *, actor: Actor, now: datetime,
    invalid: Iterable[FieldProblem] = (),
) -> AppraisalPlan:  # fmt: skip
    """Change a plan's name and indicators. With runs: a new version; the old one is superseded.
    A superseded version refuses edits (edit the newest)."""
    old = get_plan(session, plan_id, for_update=True)
    if old.status == "superseded":
        newest = repo.current_plan(session, old.role, old.period)
        raise ConflictError(
            "appraisal.plan_superseded",
            f"Version {old.version} is superseded"
            + (f" by version {newest.version} (id {newest.id}): edit that" if newest else ""),
        )
    problems = list(invalid)
    draft = draft_of(body.name, old.role.value, old.period, body.indicators)
    _check(draft, problems)
    if repo.run_count(session, old.id) == 0:
        old.name = draft.name.strip()
        repo.delete_indicators(session, old.id)
        session.flush()
        _write_indicators(session, old, draft)
        session.flush()
        audit(session, actor, "appraisal.plan.update", "appraisal_plan", old.id, now,
              {"version": old.version})  # fmt: skip
        return old
    plan = AppraisalPlan(
        name=draft.name.strip(), role=old.role, period=old.period,
        version=repo.max_version(session, old.role, old.period) + 1, status="active",
        previous_id=old.id, created_by_id=actor.staff_id,
    )  # fmt: skip
    old.status = "superseded"
    session.add(plan)
    session.flush()
    _write_indicators(session, plan, draft)
    session.flush()
    audit(session, actor, "appraisal.plan.version", "appraisal_plan", plan.id, now,
          {"previous_id": old.id, "version": plan.version})  # fmt: skip
    return plan


def indicator_read(i: AppraisalIndicator) -> IndicatorRead:
    return IndicatorRead(
        id=i.id, code=i.code, name=i.name, kind=i.kind.value,
        weight_pct=rules.cents(Decimal(i.weight) * _HUNDRED),
        target=None if i.target is None else Decimal(i.target),
        higher_is_better=i.higher_is_better, curve=rules.Curve.of(i.curve).stored(),
    )  # fmt: skip


def plan_read(session: Session, plan: AppraisalPlan) -> PlanRead:
    inds = [indicator_read(i) for i in repo.indicators(session, plan.id)]
    return PlanRead(
        id=plan.id, name=plan.name, role=plan.role.value, period=plan.period,
        version=plan.version, status=plan.status, previous_id=plan.previous_id,
        runs=repo.run_count(session, plan.id),
        weights_total_pct=sum((i.weight_pct for i in inds), Decimal(0)), indicators=inds,
    )  # fmt: skip


def scoring_indicators(session: Session, plan_id: int) -> list[rules.Indicator]:
    """A plan's indicators as the scorer needs them."""
    return [
        rules.Indicator(id=i.id, code=i.code, name=i.name, kind=i.kind.value,
                        weight=Decimal(i.weight),
                        target=None if i.target is None else Decimal(i.target),
                        curve=rules.Curve.of(i.curve))
        for i in repo.indicators(session, plan_id)
    ]  # fmt: skip


def default_indicators() -> list[IndicatorWrite]:
    """What a new plan starts from: the measurable indicators and the three rated ones, weighted
    as the demo bank's plans are (30/15/10/15/5/10 and 5 each)."""
    weights = {"disbursed_amount": 30, "new_customers": 15, "approval_rate": 10,
               "customer_satisfaction": 15, "territory_market_share": 5,
               "portfolio_overdue_rate": 10}  # fmt: skip
    targets: dict[str, Decimal | int] = {"disbursed_amount": 500, "new_customers": 20, "approval_rate": 60,
               "customer_satisfaction": Decimal("4.5"), "territory_market_share": 10,
               "portfolio_overdue_rate": 2}  # fmt: skip
    out = [
        IndicatorWrite(code=code, name=rules.CATALOGUE[code].name_zh, kind=rules.QUANTITATIVE,
                       weight_pct=Decimal(w), target=Decimal(targets[code]),
                       higher_is_better=rules.CATALOGUE[code].higher_is_better,
                       curve="linear" if rules.CATALOGUE[code].higher_is_better else "linear_inverse")
        for code, w in weights.items()
    ]  # fmt: skip
    out += [
        IndicatorWrite(code=code, name=zh, kind=rules.QUALITATIVE, weight_pct=Decimal(5),
                       curve="rating", cap=Decimal(100))
        for code, (zh, _en) in rules.QUALITATIVE_DEFAULTS.items()
    ]  # fmt: skip
    return out
