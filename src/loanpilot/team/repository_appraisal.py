"""SQL of the appraisal (绩效考核): plans and their indicators, ratings, runs, scores and lines,
the staff a plan covers and the branch tree the comparable groups come from.

Scoping: ``branch_ids`` (when not None) limits scores to staff whose branch at the run (else their
current branch) is among them; ``staff_id`` limits them to one person. Both come from the caller's
``Principal``; the service decides which applies."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session, aliased

from loanpilot.service.models import QualityReview
from loanpilot.team.models import Branch, Role, Staff, StaffStatus
from loanpilot.team.models_appraisal import (
    AppraisalIndicator,
    AppraisalPlan,
    AppraisalRating,
    AppraisalRun,
    AppraisalScore,
    AppraisalScoreLine,
)


@dataclass(frozen=True)
class PlanRow:
    plan: AppraisalPlan
    indicators: int
    runs: int


def plans(
    session: Session, *, role: Role | None = None, period: str | None = None
) -> list[PlanRow]:
    """Plans, latest period first, then role and version, with indicator and run counts."""
    n_ind = (
        select(AppraisalIndicator.plan_id, func.count(AppraisalIndicator.id).label("n"))
        .group_by(AppraisalIndicator.plan_id)
        .subquery()
    )
    n_run = (
        select(AppraisalRun.plan_id, func.count(AppraisalRun.id).label("n"))
        .group_by(AppraisalRun.plan_id)
        .subquery()
    )
    query = (
        select(AppraisalPlan, func.coalesce(n_ind.c.n, 0), func.coalesce(n_run.c.n, 0))
        .outerjoin(n_ind, n_ind.c.plan_id == AppraisalPlan.id)
        .outerjoin(n_run, n_run.c.plan_id == AppraisalPlan.id)
        .order_by(AppraisalPlan.period.desc(), AppraisalPlan.role, AppraisalPlan.version.desc())
    )
    if role is not None:
        query = query.where(AppraisalPlan.role == role)
    if period is not None:
        query = query.where(AppraisalPlan.period == period)
    return [PlanRow(p, int(i), int(r)) for p, i, r in session.execute(query)]


def plan(session: Session, plan_id: int, *, for_update: bool = False) -> AppraisalPlan | None:
    query = select(AppraisalPlan).where(AppraisalPlan.id == plan_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def current_plan(session: Session, role: Role, period: str) -> AppraisalPlan | None:
    """The newest version of the role's plan for the period that is not superseded."""
    query = (
        select(AppraisalPlan)
        .where(
            AppraisalPlan.role == role,
            AppraisalPlan.period == period,
            AppraisalPlan.status != "superseded",
        )
        .order_by(AppraisalPlan.version.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def max_version(session: Session, role: Role, period: str) -> int:
    query = select(func.max(AppraisalPlan.version)).where(
        AppraisalPlan.role == role, AppraisalPlan.period == period
    )
    return int(session.execute(query).scalar_one() or 0)


def indicators(session: Session, plan_id: int) -> list[AppraisalIndicator]:
    query = (
        select(AppraisalIndicator)
        .where(AppraisalIndicator.plan_id == plan_id)
        .order_by(AppraisalIndicator.id)
    )
    return list(session.scalars(query))


def delete_indicators(session: Session, plan_id: int) -> None:
    session.execute(delete(AppraisalIndicator).where(AppraisalIndicator.plan_id == plan_id))


def run_count(session: Session, plan_id: int) -> int:
    query = select(func.count(AppraisalRun.id)).where(AppraisalRun.plan_id == plan_id)
    return int(session.execute(query).scalar_one())


def versions(session: Session, role: Role, period: str) -> list[AppraisalPlan]:
    query = (
        select(AppraisalPlan)
        .where(AppraisalPlan.role == role, AppraisalPlan.period == period)
        .order_by(AppraisalPlan.version)
    )
    return list(session.scalars(query))


# --- staff and branches ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    id: int
    employee_no: str
    name: str
    branch_id: int
    branch_code: str


def members(
    session: Session, role: Role, hired_by: date, branch_ids: Collection[int] | None = None
) -> list[Member]:
    """Active staff of ``role`` hired on or before ``hired_by`` (optionally only ``branch_ids``)."""
    query = (
        select(Staff.id, Staff.employee_no, Staff.name, Staff.branch_id, Branch.code)
        .join(Branch, Branch.id == Staff.branch_id)
        .where(Staff.role == role, Staff.status == StaffStatus.ACTIVE, Staff.hired_on <= hired_by)
        .order_by(Staff.employee_no)
    )
    if branch_ids is not None:
        query = query.where(Staff.branch_id.in_(sorted(branch_ids)))
    return [Member(*row) for row in session.execute(query)]


def staff_by_employee_no(session: Session, employee_no: str) -> Staff | None:
    return session.scalars(select(Staff).where(Staff.employee_no == employee_no)).first()


def staff(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id)


@dataclass(frozen=True)
class BranchRow:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


def branch_rows(session: Session) -> dict[int, BranchRow]:
    query = select(Branch.id, Branch.code, Branch.name, Branch.level, Branch.parent_id)
    return {
        row[0]: BranchRow(row[0], row[1], row[2], str(row[3].value if hasattr(row[3], "value")
                                                       else row[3]), row[4])
        for row in session.execute(query)
    }  # fmt: skip


def staff_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(Staff.id, Staff.name).where(Staff.id.in_(sorted(set(ids))))
    return {int(i): str(n) for i, n in session.execute(query)}


def quality_review_means(
    session: Session, start: date, end: date, staff_ids: Collection[int]
) -> dict[int, tuple[Decimal, int]]:
    """Mean service-quality review score and review count per staff member in [start, end)."""
    if not staff_ids:
        return {}
    query = (
        select(QualityReview.staff_id, func.avg(QualityReview.score), func.count(QualityReview.id))
        .where(
            QualityReview.reviewed_on >= start,
            QualityReview.reviewed_on < end,
            QualityReview.staff_id.in_(sorted(staff_ids)),
        )
        .group_by(QualityReview.staff_id)
    )
    return {
        int(s): (Decimal(str(mean)), int(n))
        for s, mean, n in session.execute(query)
        if mean is not None
    }


# --- ratings --------------------------------------------------------------------------------------


def ratings(
    session: Session, period: str, staff_ids: Collection[int] | None = None
) -> list[AppraisalRating]:
    query = select(AppraisalRating).where(AppraisalRating.period == period)
    if staff_ids is not None:
        query = query.where(AppraisalRating.staff_id.in_(sorted(staff_ids)))
    return list(session.scalars(query.order_by(AppraisalRating.id)))


# --- runs and scores ------------------------------------------------------------------------------


def runs(
    session: Session, *, plan_id: int | None = None, period: str | None = None, limit: int = 200
) -> list[tuple[AppraisalRun, AppraisalPlan]]:
    """Runs, newest first, with their plan."""
    query = (
        select(AppraisalRun, AppraisalPlan)
        .join(AppraisalPlan, AppraisalPlan.id == AppraisalRun.plan_id)
        .order_by(AppraisalRun.run_at.desc(), AppraisalRun.id.desc())
        .limit(limit)
    )
    if plan_id is not None:
        query = query.where(AppraisalRun.plan_id == plan_id)
    if period is not None:
        query = query.where(AppraisalPlan.period == period)
    return [(r, p) for r, p in session.execute(query)]


def run(session: Session, run_id: int) -> tuple[AppraisalRun, AppraisalPlan] | None:
    query = (
        select(AppraisalRun, AppraisalPlan)
        .join(AppraisalPlan, AppraisalPlan.id == AppraisalRun.plan_id)
        .where(AppraisalRun.id == run_id)
    )
    found = session.execute(query).first()
    return (found[0], found[1]) if found else None


@dataclass(frozen=True)
class ScoreRow:
    id: int
    run_id: int
    staff_id: int
    employee_no: str
    name: str
    branch_id: int
    branch_name: str
    total: Decimal
    rank: int | None
    group_size: int | None
    group_key: str | None


def _scored(branch_ids: Collection[int] | None, staff_id: int | None) -> Select[*tuple[Any, ...]]:
    home = func.coalesce(AppraisalScore.branch_id, Staff.branch_id)
    query: Select[*tuple[Any, ...]] = (
        select(
            AppraisalScore.id, AppraisalScore.run_id, AppraisalScore.staff_id, Staff.employee_no,
            Staff.name, home.label("branch_id"), Branch.name, AppraisalScore.total,
            AppraisalScore.rank_in_group, AppraisalScore.group_size, AppraisalScore.group_key,
        )
        .join(Staff, Staff.id == AppraisalScore.staff_id)
        .join(Branch, Branch.id == home)
    )  # fmt: skip
    if branch_ids is not None:
        query = query.where(home.in_(sorted(branch_ids)))
    if staff_id is not None:
        query = query.where(AppraisalScore.staff_id == staff_id)
    return query


def scores(
    session: Session,
    run_id: int,
    *,
    branch_ids: Collection[int] | None = None,
    staff_id: int | None = None,
) -> list[ScoreRow]:
    """A run's scores in the caller's scope, by group, rank, then employee number."""
    query = (
        _scored(branch_ids, staff_id)
        .where(AppraisalScore.run_id == run_id)
        .order_by(AppraisalScore.group_key, AppraisalScore.rank_in_group, Staff.employee_no)
    )
    return [ScoreRow(*row) for row in session.execute(query)]


def scores_of_staff(session: Session, staff_id: int) -> list[tuple[ScoreRow, AppraisalRun,
                                                                   AppraisalPlan]]:  # fmt: skip
    """Every score of one person, newest run first, with its run and plan."""
    sub = _scored(None, staff_id).subquery()
    query = (
        select(sub, AppraisalRun, AppraisalPlan)
        .join(AppraisalRun, AppraisalRun.id == sub.c.run_id)
        .join(AppraisalPlan, AppraisalPlan.id == AppraisalRun.plan_id)
        .order_by(AppraisalPlan.period.desc(), AppraisalRun.run_at.desc(), AppraisalRun.id.desc())
    )
    out = []
    for row in session.execute(query):
        out.append((ScoreRow(*row[:11]), row[11], row[12]))
    return out


def score_lines(
    session: Session, score_id: int
) -> list[tuple[AppraisalScoreLine, AppraisalIndicator, str | None]]:
    """A score's lines with their indicator and the rater's name, in the plan's order."""
    rater = aliased(Staff)
    query = (
        select(AppraisalScoreLine, AppraisalIndicator, rater.name)
        .join(AppraisalIndicator, AppraisalIndicator.id == AppraisalScoreLine.indicator_id)
        .outerjoin(rater, rater.id == AppraisalScoreLine.rated_by_id)
        .where(AppraisalScoreLine.score_id == score_id)
        .order_by(AppraisalIndicator.id)
    )
    return [(line, ind, name) for line, ind, name in session.execute(query)]


def run_lines(
    session: Session, run_ids: Sequence[int]
) -> list[tuple[AppraisalScoreLine, AppraisalIndicator, int]]:
    """Every line of the given runs with its indicator and the score's staff id."""
    if not run_ids:
        return []
    query = (
        select(AppraisalScoreLine, AppraisalIndicator, AppraisalScore.staff_id)
        .join(AppraisalScore, AppraisalScore.id == AppraisalScoreLine.score_id)
        .join(AppraisalIndicator, AppraisalIndicator.id == AppraisalScoreLine.indicator_id)
        .where(AppraisalScore.run_id.in_(sorted(run_ids)))
    )
    return [(line, ind, s) for line, ind, s in session.execute(query)]


def latest_runs_of_period(session: Session, period: str) -> list[tuple[AppraisalRun,
                                                                       AppraisalPlan]]:  # fmt: skip
    """The newest run of each role's plans for ``period`` (one per role)."""
    found: dict[str, tuple[AppraisalRun, AppraisalPlan]] = {}
    for r, p in runs(session, period=period, limit=10_000):
        found.setdefault(p.role.value, (r, p))
    return [found[k] for k in sorted(found)]
