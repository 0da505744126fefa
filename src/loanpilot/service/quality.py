"""Service-quality reviews (服务质量检查: mystery shopper, audit, call review): recorded with their
checklist, the score computed as points ÷ maximum points × 100 (never typed), the reviewer never
the reviewed, and the reviewed staff member within the reviewer's branch subtree. The average per
staff member and period feeds the appraisal (``average_scores``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from loanpilot.kit.errors import ValidationError
from loanpilot.kit.periods import Period
from loanpilot.service import repository as repo
from loanpilot.service import repository_ops as repo_ops
from loanpilot.service import survey_rules as rules
from loanpilot.service.models import QualityReview, QualityReviewKind
from loanpilot.service.schemas import ReviewCreate
from loanpilot.service.surveys import Actor, audit

_CENT = Decimal("0.01")


def items_of(body: ReviewCreate) -> list[rules.ReviewItem]:
    return [
        rules.ReviewItem(i.code.strip() or f"item{n + 1}", i.label.strip(), i.max_points, i.points,
                         i.note.strip())
        for n, i in enumerate(body.items)
    ]  # fmt: skip


def record_review(
    session: Session, body: ReviewCreate, *, reviewer_id: int, actor: Actor, today: date,
    now: datetime,
) -> QualityReview:  # fmt: skip
    """A review of one staff member; every problem (items over their maximum, a self-review, a
    staff member outside the reviewer's branch subtree, a future date...) reported at once."""
    items = items_of(body)
    problems = rules.review_problems(items)
    kinds = tuple(k.value for k in QualityReviewKind)
    if body.kind not in kinds:
        problems.append(rules.problem("kind", "unknown_kind", given=body.kind,
                                      allowed=", ".join(kinds)))  # fmt: skip
    if body.reviewed_on > today:
        problems.append(rules.problem("reviewed_on", "in_future", given=body.reviewed_on))
    staff = repo.staff_rows(session, [body.staff_id]).get(body.staff_id)
    reviewer_branches = reviewable_branches(session, reviewer_id)
    if staff is None:
        problems.append(rules.problem("staff_id", "unknown_staff", given=body.staff_id))
    elif staff.id == reviewer_id:
        problems.append(rules.problem("staff_id", "self_review"))
    elif staff.branch_id not in reviewer_branches:
        problems.append(rules.problem("staff_id", "outside_branch"))
    if problems or staff is None:
        raise ValidationError("review.invalid", "The review is not valid", list(problems))
    review = QualityReview(
        kind=QualityReviewKind(body.kind), staff_id=staff.id, branch_id=staff.branch_id,
        reviewer_id=reviewer_id, reviewed_on=body.reviewed_on, score=rules.review_score(items),
        items=[{"code": i.code, "label": i.label, "max_points": i.max_points, "points": i.points,
                "note": i.note} for i in items],
        comment=(body.comment or "").strip() or None,
    )  # fmt: skip
    session.add(review)
    session.flush()
    audit(session, actor, "quality_review.create", "quality_review", review.id, now,
          {"staff_id": staff.id, "kind": body.kind, "score": str(review.score)})  # fmt: skip
    return review


def reviewable_branches(session: Session, reviewer_id: int) -> frozenset[int]:
    """The reviewer's branch and every branch below it (whom they may review)."""
    reviewer = repo.staff_rows(session, [reviewer_id]).get(reviewer_id)
    return repo_ops.branch_subtree(session, reviewer.branch_id) if reviewer else frozenset()


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(_CENT, rounding=ROUND_HALF_UP)


def average_scores(session: Session, period: Period) -> dict[int, Decimal]:
    """Staff id → the average score of their reviews made in ``period`` (two decimals); staff
    without a review in the period are absent."""
    by_staff: dict[int, list[Decimal]] = defaultdict(list)
    for staff_id, _, score in repo_ops.review_scores(session, period.start, period.end):
        by_staff[staff_id].append(score)
    return {s: _mean(v) for s, v in sorted(by_staff.items())}


def branch_averages(session: Session, period: Period) -> dict[int, tuple[Decimal, int]]:
    """Branch id → (average score, number of reviews) in ``period``."""
    by_branch: dict[int, list[Decimal]] = defaultdict(list)
    for _, branch_id, score in repo_ops.review_scores(session, period.start, period.end):
        by_branch[branch_id].append(score)
    return {b: (_mean(v), len(v)) for b, v in sorted(by_branch.items())}


def overall_average(session: Session, period: Period) -> tuple[Decimal | None, int]:
    scores = [s for _, _, s in repo_ops.review_scores(session, period.start, period.end)]
    return (_mean(scores) if scores else None, len(scores))
