"""Managers' ratings of the qualitative indicators (服务态度、团队协作、创新能力).

Who may rate whom (``appraisal:rate``): a branch head the staff of their branch and the branches
below it; a role that sees the whole bank (the marketing manager) everyone; nobody rates
themselves. A rating must lie on its indicator's scale (``scale_min`` to ``scale_max``, 0 to 100
by default). A batch is checked whole and saved whole: one bad rating refuses them all, each
problem named by its row. A rating is kept per period, staff member and indicator code, so a new
version of the plan keeps it; rating again replaces it. Every saved rating is audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal, ScopeKind
from loanpilot.kit.errors import ConflictError, ValidationError
from loanpilot.kit.periods import parse_period
from loanpilot.team import appraisal_rules as rules
from loanpilot.team import repository_appraisal as repo
from loanpilot.team.appraisal_plans import Actor, audit, get_plan, scoring_indicators
from loanpilot.team.appraisal_schemas import RatingWrite
from loanpilot.team.models_appraisal import AppraisalPlan, AppraisalRating


def rateable(session: Session, principal: Principal, plan: AppraisalPlan) -> list[repo.Member]:
    """The plan's staff the principal may rate (never themselves)."""
    if principal.scope is ScopeKind.OWN:
        return []
    scope = principal.branch_ids if principal.scope is ScopeKind.BRANCH else None
    hired_by = parse_period(plan.period).last_day
    return [m for m in repo.members(session, plan.role, hired_by, scope)
            if m.id != principal.staff_id]  # fmt: skip


@dataclass(frozen=True)
class RatingGrid:
    """The ratings form: who may be rated, on which indicators, and what is rated already."""

    plan: AppraisalPlan
    members: list[repo.Member]
    indicators: list[rules.Indicator]
    given: dict[tuple[int, str], AppraisalRating]
    raters: dict[int, str]


def rating_grid(session: Session, principal: Principal, plan_id: int) -> RatingGrid:
    plan = get_plan(session, plan_id)
    members = rateable(session, principal, plan)
    inds = [i for i in scoring_indicators(session, plan.id) if i.kind == rules.QUALITATIVE]
    found = repo.ratings(session, plan.period, [m.id for m in members])
    given = {(r.staff_id, r.indicator_code): r for r in found}
    raters = repo.staff_names(session, {r.rated_by_id for r in found})
    return RatingGrid(plan, members, inds, given, raters)


def save_ratings(
    session: Session, plan_id: int, ratings: Sequence[RatingWrite], *, principal: Principal,
    actor: Actor, now: datetime,
) -> list[AppraisalRating]:  # fmt: skip
    """Check every rating, then save them all (or none)."""
    plan = get_plan(session, plan_id)
    if plan.status == "superseded":
        raise ConflictError(
            "appraisal.plan_superseded",
            f"Version {plan.version} is superseded: rate under the newest version",
        )
    curves = {i.code: i.curve for i in scoring_indicators(session, plan.id)
              if i.kind == rules.QUALITATIVE}  # fmt: skip
    allowed = {m.id for m in rateable(session, principal, plan)}
    problems: list[rules.Problem] = []
    for row, r in enumerate(ratings):
        at = f"ratings[{row}]"
        if r.indicator_code not in curves:
            problems.append(rules.problem(f"{at}.indicator_code", "rating_not_qualitative",
                                          given=r.indicator_code))  # fmt: skip
        if r.staff_id not in allowed:
            problems.append(rules.problem(f"{at}.staff_id", "not_yours"))
        curve = curves.get(r.indicator_code)
        found = None if curve is None else rules.rating_problem(f"{at}.rating", r.rating, curve)
        if found is not None:
            problems.append(found)
    if problems:
        raise ValidationError("appraisal.ratings_invalid", "The ratings are not valid",
                              list(problems))  # fmt: skip
    existing = {(x.staff_id, x.indicator_code): x
                for x in repo.ratings(session, plan.period, {r.staff_id for r in ratings})}  # fmt: skip
    saved: list[AppraisalRating] = []
    for r in ratings:
        value = rules.cents(Decimal(r.rating))
        rating = existing.get((r.staff_id, r.indicator_code))
        if rating is None:
            rating = AppraisalRating(period=plan.period, staff_id=r.staff_id,
                                     indicator_code=r.indicator_code)  # fmt: skip
            session.add(rating)
            existing[(r.staff_id, r.indicator_code)] = rating
        rating.plan_id, rating.rating, rating.rated_by_id = plan.id, value, principal.staff_id
        rating.rated_at, rating.comment = now, (r.comment or "").strip() or None
        saved.append(rating)
    session.flush()
    for rating in saved:
        audit(session, actor, "appraisal.rate", "appraisal_rating", rating.id, now,
              {"plan_id": plan.id, "staff_id": rating.staff_id, "indicator": rating.indicator_code,
               "rating": str(rating.rating)})  # fmt: skip
    return saved
