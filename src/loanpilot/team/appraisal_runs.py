"""Appraisal runs (考核运行): score every active staff member of a plan's role, rank them within
comparable groups, keep every run (a rerun is a new run), and explain each score line by line.

Who sees what (``appraisal:read``): the marketing manager, administrator and auditor (and whoever
holds ``appraisal:write``) every score; a branch head the staff of their branch
and the branches below it (the branch a person had at the run); everyone else their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal, ScopeKind
from loanpilot.kit.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from loanpilot.kit.periods import parse_period
from loanpilot.team import appraisal_explain as explain
from loanpilot.team import appraisal_rules as rules
from loanpilot.team import repository_appraisal as repo
from loanpilot.team.appraisal_actuals import actuals
from loanpilot.team.appraisal_plans import Actor, audit, get_plan, scoring_indicators
from loanpilot.team.models import Role
from loanpilot.team.models_appraisal import (
    AppraisalPlan,
    AppraisalRun,
    AppraisalScore,
    AppraisalScoreLine,
)

#: What every run records about the rules it applied (shown with its results).
RUN_RULES = {
    "missing_score": str(rules.MISSING_SCORE),
    "missing": "a line without data scores the baseline (基准分) and is marked missing",
    "rank": "competition ranking: equal totals share a rank, the next rank skips",
    "rounding": "scores and weighted parts rounded half-up to 0.01",
}


@dataclass(frozen=True)
class Scope:
    """Whose scores a caller sees: all (both None), a branch subtree, or one person."""

    branch_ids: frozenset[int] | None = None
    staff_id: int | None = None

    def sees(self, staff_id: int, branch_id: int) -> bool:
        if self.staff_id is not None:
            return staff_id == self.staff_id
        return self.branch_ids is None or branch_id in self.branch_ids


#: Roles that see every appraisal score. ``Principal.scope`` is about *customers*: the risk
#: officer, approver, collector, service agent and analyst see every customer, but only their own
#: appraisal (as do those holding ``appraisal:write``, who run the plans, see everyone's).
WHOLE_BANK_ROLES = frozenset({Role.MARKETING_MANAGER, Role.ADMINISTRATOR, Role.AUDITOR})


def scope_of(principal: Principal) -> Scope:
    if principal.scope is ScopeKind.BRANCH:
        return Scope(branch_ids=principal.branch_ids)
    if principal.scope is ScopeKind.ALL and (
        principal.role in WHOLE_BANK_ROLES or principal.can(Permission.APPRAISAL_WRITE)
    ):
        return Scope()
    return Scope(staff_id=principal.staff_id)


def branch_path(branches: dict[int, repo.BranchRow], branch_id: int) -> list[tuple[str, str]]:
    """(code, level) from the branch up to the head office."""
    out: list[tuple[str, str]] = []
    current: int | None = branch_id
    while current is not None and current in branches and len(out) < 16:
        b = branches[current]
        out.append((b.code, b.level))
        current = b.parent_id
    return out


def run_plan(
    session: Session, plan_id: int, *, group_rule: str = rules.DEFAULT_GROUP_RULE, actor: Actor,
    now: datetime, today: date | None = None,
) -> AppraisalRun:  # fmt: skip
    """Score, rank and store every active staff member of the plan's role (hired by the period's
    last day). Quantitative actuals come from the KPI suite; qualitative from the ratings."""
    if group_rule not in rules.GROUP_RULES:
        raise ValidationError("appraisal.run_invalid", "The run is not valid", [
            rules.problem("group_rule", "unknown_group_rule", given=group_rule,
                          allowed=", ".join(rules.GROUP_RULES))])  # fmt: skip
    plan = get_plan(session, plan_id)
    if plan.status == "superseded":
        newest = repo.current_plan(session, plan.role, plan.period)
        raise ConflictError("appraisal.plan_superseded",
                            f"Version {plan.version} is superseded"
                            + (f": run version {newest.version} (id {newest.id})" if newest else ""))  # fmt: skip
    period = parse_period(plan.period)
    members = repo.members(session, plan.role, period.last_day)
    if not members:
        raise ConflictError("appraisal.no_staff",
                            f"No active {plan.role.value} staff to appraise for {period.label}")  # fmt: skip
    inds = scoring_indicators(session, plan.id)
    measured = actuals(session, period, [i.code for i in inds if i.kind == rules.QUANTITATIVE],
                       members, today=today)  # fmt: skip
    rated = {(r.staff_id, r.indicator_code): r
             for r in repo.ratings(session, plan.period, [m.id for m in members])}  # fmt: skip
    branches = repo.branch_rows(session)
    lines: dict[int, list[rules.Line]] = {}
    entries: dict[int, tuple[str, Decimal]] = {}
    for m in members:
        own: list[rules.Line] = []
        for ind in inds:
            if ind.kind == rules.QUALITATIVE:
                r = rated.get((m.id, ind.code))
                actual = (rules.Actual(None, "rating") if r is None else
                          rules.Actual(Decimal(r.rating), "rating", r.rated_by_id, r.comment))  # fmt: skip
            else:
                actual = measured.get(ind.code, {}).get(m.id) or rules.Actual(None, "kpi")
            own.append(rules.score_line(ind, actual))
        lines[m.id] = own
        group = rules.group_of(group_rule, branch_path(branches, m.branch_id))
        entries[m.id] = (group, rules.total_of(own))
    ranked = rules.ranks_in_groups(entries)
    run = AppraisalRun(plan_id=plan.id, run_at=now, status="done", period=plan.period,
                       run_by_id=actor.staff_id, group_rule=group_rule, rules=dict(RUN_RULES))  # fmt: skip
    session.add(run)
    session.flush()
    by_staff = {m.id: m for m in members}
    scores = {
        sid: AppraisalScore(run_id=run.id, staff_id=sid, total=total, group_key=group,
                            rank_in_group=ranked[sid][0], group_size=ranked[sid][1],
                            branch_id=by_staff[sid].branch_id)
        for sid, (group, total) in entries.items()
    }  # fmt: skip
    session.add_all(scores.values())
    session.flush()
    session.add_all([
        AppraisalScoreLine(score_id=scores[sid].id, indicator_id=line.indicator.id,
                           actual=line.actual, score=line.score, weighted=line.weighted,
                           rated_by_id=line.rated_by_id, comment=line.comment,
                           source=line.source[:100], missing=line.missing)
        for sid, own in lines.items() for line in own
    ])  # fmt: skip
    session.flush()
    audit(session, actor, "appraisal.run", "appraisal_run", run.id, now,
          {"plan_id": plan.id, "period": plan.period, "group_rule": group_rule,
           "scored": len(members)})  # fmt: skip
    return run


# --- reading results ------------------------------------------------------------------------------


def get_run(session: Session, run_id: int) -> tuple[AppraisalRun, AppraisalPlan]:
    found = repo.run(session, run_id)
    if found is None:
        raise NotFoundError("appraisal.run_not_found", f"No appraisal run with id {run_id}")
    return found


def run_group_rule(run: AppraisalRun) -> str:
    return run.group_rule or "bank"


def visible_scores(session: Session, run_id: int, scope: Scope) -> list[repo.ScoreRow]:
    return repo.scores(session, run_id, branch_ids=scope.branch_ids, staff_id=scope.staff_id)


def group_labels(session: Session, keys: set[str | None]) -> dict[str, str]:
    """``bank`` → 全行; a branch code → its name."""
    names = {b.code: b.name for b in repo.branch_rows(session).values()}
    return {str(k): ("全行" if k in (None, rules.BANK_GROUP) else names.get(str(k), str(k)))
            for k in keys}  # fmt: skip


@dataclass(frozen=True)
class Explained:
    line: rules.Line
    rater: str | None
    text_zh: str
    text_en: str


def explanation(session: Session, run_id: int, staff_id: int, scope: Scope) -> tuple[
        AppraisalRun, AppraisalPlan, repo.ScoreRow, list[Explained]]:  # fmt: skip
    """A person's score in a run with every line explained; outside the caller's scope refused."""
    run, plan = get_run(session, run_id)
    found = repo.scores(session, run_id, staff_id=staff_id)
    if not found:
        raise NotFoundError("appraisal.score_not_found",
                            f"Staff member {staff_id} has no score in run {run_id}")  # fmt: skip
    score = found[0]
    if not scope.sees(score.staff_id, score.branch_id):
        raise PermissionDeniedError("scope.forbidden",
                                    "This score is outside your branch or your own appraisal")  # fmt: skip
    out = []
    for stored, ind, rater in repo.score_lines(session, score.id):
        line = rules.Line(
            indicator=rules.Indicator(ind.id, ind.code, ind.name, ind.kind.value, Decimal(ind.weight),
                                      None if ind.target is None else Decimal(ind.target),
                                      rules.Curve.of(ind.curve)),
            actual=None if stored.actual is None else Decimal(stored.actual),
            score=Decimal(stored.score), weighted=Decimal(stored.weighted),
            missing=bool(stored.missing) or stored.actual is None,
            source=stored.source or ("rating" if ind.kind.value == rules.QUALITATIVE else "demo"),
            rated_by_id=stored.rated_by_id, comment=stored.comment,
        )  # fmt: skip
        out.append(Explained(line, rater, explain.explain(line, "zh", rater),
                             explain.explain(line, "en", rater)))  # fmt: skip
    return run, plan, score, out
