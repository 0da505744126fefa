"""SQL of campaign planning and its budget: campaigns with their spend and alerts, the parts of a
plan (goals, places, windows, arms, segments, budget lines), expenses, budget alerts, and the
audience a set of segments holds. Everything here reads or adds; the service decides."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loanpilot.campaigns.models import (
    BudgetAlert,
    BudgetLine,
    Campaign,
    CampaignGoal,
    CampaignOffer,
    CampaignPlace,
    CampaignSegment,
    CampaignStatus,
    CampaignTarget,
    CampaignWindow,
    Expense,
)
from loanpilot.customers.models import Customer
from loanpilot.customers.models_segments import CustomerSegment, RunStatus, Segment, SegmentRun
from loanpilot.products.models import LoanProduct
from loanpilot.team.models import Branch

#: The children a campaign plan replaces as a whole on an edit.
PLAN_PARTS: tuple[type[Any], ...] = (
    CampaignGoal, CampaignPlace, CampaignWindow, CampaignOffer, CampaignSegment,
)  # fmt: skip


@dataclass(frozen=True)
class CampaignRow:
    """A campaign with its planned, spent and unacknowledged-alert totals."""

    campaign: Campaign
    planned_fen: int
    spent_fen: int
    open_alerts: int
    alert_thresholds: tuple[int, ...]


def get(session: Session, campaign_id: int, *, for_update: bool = False) -> Campaign | None:
    if for_update:
        return session.scalar(select(Campaign).where(Campaign.id == campaign_id).with_for_update())
    return session.get(Campaign, campaign_id)


def _planned_by_campaign() -> Any:
    return (
        select(BudgetLine.campaign_id, func.sum(BudgetLine.planned_fen).label("planned"))
        .group_by(BudgetLine.campaign_id)
        .subquery()
    )


def _spent_by_campaign() -> Any:
    return (
        select(BudgetLine.campaign_id, func.sum(Expense.amount_fen).label("spent"))
        .join(Expense, Expense.budget_line_id == BudgetLine.id)
        .group_by(BudgetLine.campaign_id)
        .subquery()
    )


def campaigns(session: Session, status: CampaignStatus | None = None) -> list[CampaignRow]:
    """Campaigns, newest start first, each with planned and spent totals and its alerts."""
    planned, spent = _planned_by_campaign(), _spent_by_campaign()
    query = (
        select(Campaign, func.coalesce(planned.c.planned, 0), func.coalesce(spent.c.spent, 0))
        .outerjoin(planned, planned.c.campaign_id == Campaign.id)
        .outerjoin(spent, spent.c.campaign_id == Campaign.id)
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    )
    if status is not None:
        query = query.where(Campaign.status == status)
    rows = session.execute(query).all()
    alerts: dict[int, list[BudgetAlert]] = {}
    for alert in session.scalars(select(BudgetAlert).order_by(BudgetAlert.threshold_pct)):
        alerts.setdefault(alert.campaign_id, []).append(alert)
    return [
        CampaignRow(
            c, int(p), int(s),
            sum(1 for a in alerts.get(c.id, []) if a.acknowledged_at is None),
            tuple(a.threshold_pct for a in alerts.get(c.id, [])),
        )
        for c, p, s in rows
    ]  # fmt: skip


def goals(session: Session, campaign_id: int) -> list[CampaignGoal]:
    return list(session.scalars(select(CampaignGoal).where(CampaignGoal.campaign_id == campaign_id)
                                .order_by(CampaignGoal.id)))  # fmt: skip


def places(session: Session, campaign_id: int) -> list[CampaignPlace]:
    return list(session.scalars(select(CampaignPlace).where(CampaignPlace.campaign_id == campaign_id)
                                .order_by(CampaignPlace.starts_at, CampaignPlace.id)))  # fmt: skip


def windows(session: Session, campaign_id: int) -> list[CampaignWindow]:
    return list(session.scalars(select(CampaignWindow).where(CampaignWindow.campaign_id == campaign_id)
                                .order_by(CampaignWindow.starts_on, CampaignWindow.id)))  # fmt: skip


def arms(session: Session, campaign_id: int) -> list[CampaignOffer]:
    return list(session.scalars(select(CampaignOffer).where(CampaignOffer.campaign_id == campaign_id)
                                .order_by(CampaignOffer.arm)))  # fmt: skip


def segments(session: Session, campaign_id: int) -> list[CampaignSegment]:
    return list(session.scalars(select(CampaignSegment)
                                .where(CampaignSegment.campaign_id == campaign_id)
                                .order_by(CampaignSegment.segment_code)))  # fmt: skip


def budget_lines(session: Session, campaign_id: int) -> list[BudgetLine]:
    return list(session.scalars(select(BudgetLine).where(BudgetLine.campaign_id == campaign_id)
                                .order_by(BudgetLine.id)))  # fmt: skip


def spent_by_line(session: Session, campaign_id: int) -> dict[int, int]:
    """Spend booked against each budget line of a campaign (lines without spend left out)."""
    query = (
        select(Expense.budget_line_id, func.sum(Expense.amount_fen))
        .join(BudgetLine, BudgetLine.id == Expense.budget_line_id)
        .where(BudgetLine.campaign_id == campaign_id)
        .group_by(Expense.budget_line_id)
    )
    return {int(line): int(total or 0) for line, total in session.execute(query)}


def expenses(session: Session, campaign_id: int, limit: int = 200) -> list[Expense]:
    """The newest expenses of a campaign."""
    query = (
        select(Expense)
        .join(BudgetLine, BudgetLine.id == Expense.budget_line_id)
        .where(BudgetLine.campaign_id == campaign_id)
        .order_by(Expense.spent_on.desc(), Expense.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def alerts(session: Session, campaign_id: int) -> list[BudgetAlert]:
    return list(session.scalars(select(BudgetAlert).where(BudgetAlert.campaign_id == campaign_id)
                                .order_by(BudgetAlert.threshold_pct)))  # fmt: skip


def alert(session: Session, alert_id: int) -> BudgetAlert | None:
    return session.get(BudgetAlert, alert_id)


def add_alert_once(session: Session, row: BudgetAlert) -> bool:
    """Add ``row`` unless its campaign already has an alert of that threshold (at most once, also
    under concurrent expenses: the unique key decides in a savepoint)."""
    exists = select(BudgetAlert.id).where(
        BudgetAlert.campaign_id == row.campaign_id, BudgetAlert.threshold_pct == row.threshold_pct
    )
    if session.scalar(exists) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def line_has_expenses(session: Session, line_id: int) -> bool:
    return (
        session.scalar(select(Expense.id).where(Expense.budget_line_id == line_id).limit(1))
        is not None
    )


def targets_count(session: Session, campaign_id: int) -> int:
    query = (
        select(func.count())
        .select_from(CampaignTarget)
        .where(CampaignTarget.campaign_id == campaign_id)
    )
    return int(session.scalar(query) or 0)


def delete_plan_parts(session: Session, campaign_id: int) -> None:
    """Remove the goals, places, windows, arms and segments of a campaign (an edit re-adds them)."""
    for model in PLAN_PARTS:
        session.execute(delete(model).where(model.campaign_id == campaign_id))


def code_taken(session: Session, code: str, except_id: int | None = None) -> bool:
    query = select(Campaign.id).where(Campaign.code == code)
    if except_id is not None:
        query = query.where(Campaign.id != except_id)
    return session.scalar(query) is not None


def next_code(session: Session, starts_on: date) -> str:
    """``CMP<yyyymm><n>``: the next free code of the month the campaign starts in."""
    prefix = f"CMP{starts_on:%Y%m}"
    count = int(session.scalar(select(func.count()).where(Campaign.code.like(f"{prefix}%"))) or 0)
    n = count + 1
    while code_taken(session, f"{prefix}{n:03d}"):
        n += 1
    return f"{prefix}{n:03d}"


def existing_products(session: Session, ids: Collection[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(LoanProduct.id).where(LoanProduct.id.in_(sorted(set(ids))))))


def existing_branches(session: Session, ids: Collection[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(Branch.id).where(Branch.id.in_(sorted(set(ids))))))


def products(session: Session) -> list[LoanProduct]:
    return list(session.scalars(select(LoanProduct).order_by(LoanProduct.code)))


def branches(session: Session) -> list[Branch]:
    return list(session.scalars(select(Branch).order_by(Branch.code)))


# --- segments and the audience ----------------------------------------------------------------------


def done_run(session: Session, run_id: int) -> SegmentRun | None:
    run = session.get(SegmentRun, run_id)
    return run if run is not None and run.status is RunStatus.DONE else None


def segment_codes(session: Session, run_id: int) -> set[str]:
    return set(session.scalars(select(Segment.code).where(Segment.run_id == run_id)))


def current_segments(session: Session) -> list[tuple[SegmentRun, Segment]]:
    """The segments of every current, completed segmentation run."""
    query = (
        select(SegmentRun, Segment)
        .join(Segment, Segment.run_id == SegmentRun.id)
        .where(SegmentRun.is_current.is_(True), SegmentRun.status == RunStatus.DONE)
        .order_by(SegmentRun.kind, Segment.code)
    )
    return list(session.execute(query))


def segments_of(session: Session, run_id: int, codes: Sequence[str]) -> list[Segment]:
    if not codes:
        return []
    query = select(Segment).where(Segment.run_id == run_id, Segment.code.in_(sorted(set(codes))))
    return list(session.scalars(query.order_by(Segment.code)))


@dataclass(frozen=True)
class AudienceCounts:
    """The customers of a set of segments, and why some may not be contacted."""

    total: int
    no_consent: int
    opted_out: int
    blacklisted: int
    contactable: int


def contactable_clause() -> ColumnElement[bool]:
    """Customers who may be contacted now (PIPL: consent given, not opted out; not blacklisted)."""
    return and_(
        Customer.opted_out_at.is_(None),
        Customer.marketing_consent.is_(True),
        Customer.is_blacklisted.is_(False),
    )


def audience_counts(session: Session, run_id: int, codes: Sequence[str]) -> AudienceCounts:
    """How many customers the segments ``codes`` of run ``run_id`` hold, and how many of them may
    be contacted (marketing consent, not opted out, not blacklisted)."""
    if not codes:
        return AudienceCounts(0, 0, 0, 0, 0)
    ok = contactable_clause()

    def counted(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            func.count(),
            counted(Customer.marketing_consent.is_(False)),
            counted(Customer.opted_out_at.is_not(None)),
            counted(Customer.is_blacklisted.is_(True)),
            counted(ok),
        )
        .select_from(CustomerSegment)
        .join(Customer, Customer.id == CustomerSegment.customer_id)
        .where(
            CustomerSegment.run_id == run_id, CustomerSegment.segment_code.in_(sorted(set(codes)))
        )
    )
    row = session.execute(query).one()
    return AudienceCounts(*(int(v or 0) for v in row))


def occupation_mix(session: Session, run_id: int, codes: Sequence[str]) -> dict[str, int]:
    """Customers of the segments by occupation (for the windows that suit them)."""
    if not codes:
        return {}
    query = (
        select(Customer.occupation, func.count())
        .select_from(CustomerSegment)
        .join(Customer, Customer.id == CustomerSegment.customer_id)
        .where(
            CustomerSegment.run_id == run_id, CustomerSegment.segment_code.in_(sorted(set(codes)))
        )
        .group_by(Customer.occupation)
    )
    return {str(getattr(o, "value", o)): int(n) for o, n in session.execute(query)}
