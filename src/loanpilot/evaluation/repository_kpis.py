"""SQL of the KPI suite (指标体系): each KPI's numerator and denominator, grouped by a dimension.

Every measure is read through an *anchor*: the row a figure belongs to (an application, a loan, a
survey response, a customer) with the columns a dimension groups on: its branch, product, channel,
manager and customer. The database groups by the raw column (a branch id, a product id, a staff id,
a segment code); ``kpis`` maps those to codes and labels and folds branches into regions and
products into product lines. Every measure is a sum or a count over disjoint rows, so the slices
of a dimension add up to the whole.

The approval rate is the dashboard's: ``repository.approved_applications``/``decided_applications``
over the decisions of the period, joined to their applications only to group or restrict. The NPL
balance is the headline's (``NPL_CLASSES`` of repaying loans) while a period runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from loanpilot.channels.models import Lead
from loanpilot.customers.models import Channel
from loanpilot.customers.models_segments import CustomerSegment, SegmentKind, SegmentRun
from loanpilot.evaluation import repository
from loanpilot.evaluation.repository import Slice
from loanpilot.lending.models import Application, Loan
from loanpilot.risk.models import Decision
from loanpilot.service.models import (
    QuestionKind,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)

#: One grouped row: (raw key or None, numerator, denominator or None).
Row = tuple[Any, int, int | None]


@dataclass(frozen=True)
class Anchor:
    """The columns of a measure's rows that the dimensions group on and slices restrict."""

    branch: Any
    product: Any
    channel: Any
    manager: Any
    customer: Any


APPLICATION = Anchor(
    Application.branch_id,
    Application.product_id,
    Application.channel,
    Application.manager_id,
    Application.customer_id,
)
LOAN = Anchor(Loan.branch_id, Loan.product_id, Loan.channel, Loan.manager_id, Loan.customer_id)


def as_int(value: Any) -> int:
    return int(value) if value is not None else 0


def current_segment_run(session: Session) -> int | None:
    """The current rule segmentation run (age band × occupation × income band), if any."""
    stmt = select(SegmentRun.id).where(
        SegmentRun.kind == SegmentKind.RULES, SegmentRun.is_current.is_(True)
    )
    return session.execute(stmt.order_by(SegmentRun.id.desc()).limit(1)).scalar_one_or_none()


def restrict(stmt: Any, anchor: Anchor, where: Slice) -> Any:
    if where.branch_ids is not None:
        stmt = stmt.where(anchor.branch.in_(sorted(where.branch_ids)))
    if where.product_id is not None:
        stmt = stmt.where(anchor.product == where.product_id)
    if where.channel is not None:
        stmt = stmt.where(anchor.channel == where.channel)
    if where.manager_id is not None:
        stmt = stmt.where(anchor.manager == where.manager_id)
    return stmt


def grouped(
    session: Session,
    stmt: Any,
    anchor: Anchor,
    dimension: str,
    where: Slice,
    segment_run: int | None,
) -> list[Row]:
    """Run ``stmt`` (selecting numerator[, denominator]) restricted by ``where`` and grouped by
    ``dimension``'s raw column; rows are (raw key, numerator, denominator)."""
    stmt = restrict(stmt, anchor, where)
    key: Any
    if dimension == "all":
        key = None
    elif dimension in ("branch", "region"):
        key = anchor.branch
    elif dimension in ("product", "product_line"):
        key = anchor.product
    elif dimension == "channel":
        key = anchor.channel
    elif dimension == "manager":
        key = anchor.manager
    elif dimension == "segment":
        stmt = stmt.outerjoin(
            CustomerSegment,
            and_(
                CustomerSegment.customer_id == anchor.customer,
                CustomerSegment.run_id == (segment_run if segment_run is not None else -1),
            ),
        )
        key = CustomerSegment.segment_code
    else:  # pragma: no cover - kpi_rules.check_dimension refused it
        raise ValueError(dimension)
    if key is None:
        rows = session.execute(stmt).all()
        return [(None, as_int(r[0]), as_int(r[1]) if len(r) > 1 else None) for r in rows]
    stmt = stmt.add_columns(key).group_by(key)
    out: list[Row] = []
    for r in session.execute(stmt):
        *measures, raw = r
        out.append((raw, as_int(measures[0]), as_int(measures[1]) if len(measures) > 1 else None))
    return out


# --- flows over the period ---------------------------------------------------------------------


def applications(
    session: Session, start: datetime, end: datetime, dimension: str, where: Slice, run: int | None
) -> list[Row]:
    """Applications submitted in ``[start, end)`` (UTC instants of the business days)."""
    stmt = select(func.count(Application.id)).where(
        Application.submitted_at >= start, Application.submitted_at < end
    )
    return grouped(session, stmt, APPLICATION, dimension, where, run)


def approvals(
    session: Session, start: datetime, end: datetime, dimension: str, where: Slice, run: int | None
) -> list[Row]:
    """(approved, decided) applications over the decisions made in ``[start, end)`` — the
    dashboard's definition (``repository.approved_applications``/``decided_applications``)."""
    stmt = select(repository.approved_applications(), repository.decided_applications()).where(
        Decision.decided_at >= start, Decision.decided_at < end
    )
    if dimension == "all" and where == Slice():
        return grouped(session, stmt, APPLICATION, dimension, where, run)
    stmt = stmt.join(Application, Application.id == Decision.application_id)
    return grouped(session, stmt, APPLICATION, dimension, where, run)


def disbursed(
    session: Session, start: date, end: date, dimension: str, where: Slice, run: int | None
) -> list[Row]:
    """Principal (fen) of loans disbursed in ``[start, end)`` (business dates)."""
    stmt = select(func.coalesce(func.sum(Loan.principal_fen), 0)).where(
        Loan.disbursed_on >= start, Loan.disbursed_on < end
    )
    return grouped(session, stmt, LOAN, dimension, where, run)


def new_customers(
    session: Session, start: date, end: date, dimension: str, where: Slice, run: int | None
) -> list[Row]:
    """Customers whose first loan (earliest disbursed_on, lowest id on a tie) is in the period,
    anchored on that first loan."""
    first_day = (
        select(Loan.customer_id.label("customer_id"), func.min(Loan.disbursed_on).label("day"))
        .where(Loan.parent_loan_id.is_(None))
        .group_by(Loan.customer_id)
        .subquery()
    )
    first = aliased(Loan)
    first_ids = (
        select(func.min(first.id).label("id"))
        .join(
            first_day,
            and_(
                first.customer_id == first_day.c.customer_id, first.disbursed_on == first_day.c.day
            ),
        )
        .where(first.parent_loan_id.is_(None), first_day.c.day >= start, first_day.c.day < end)
        .group_by(first.customer_id)
        .subquery()
    )
    stmt = select(func.count(Loan.id)).join(first_ids, Loan.id == first_ids.c.id)
    return grouped(session, stmt, LOAN, dimension, where, run)


def referrals(
    session: Session, start: datetime, end: datetime, dimension: str, where: Slice, run: int | None
) -> list[Row]:
    """(referred, all) applications submitted in ``[start, end)``."""
    referred = or_(
        Application.channel == Channel.REFERRAL,
        Lead.source_channel == Channel.REFERRAL,
        Lead.referrer_customer_id.is_not(None),
    )
    stmt = (
        select(func.coalesce(func.sum(case((referred, 1), else_=0)), 0), func.count(Application.id))
        .select_from(Application)
        .outerjoin(Lead, Lead.id == Application.lead_id)
        .where(Application.submitted_at >= start, Application.submitted_at < end)
    )
    return grouped(session, stmt, APPLICATION, dimension, where, run)


_INVITED_LOAN = aliased(Loan)
SURVEY = Anchor(
    SurveyResponse.branch_id,
    SurveyResponse.product_id,
    _INVITED_LOAN.channel,
    SurveyResponse.staff_id,
    SurveyResponse.customer_id,
)


def _survey(measures: Sequence[ColumnElement[Any]], kind: QuestionKind) -> Select[Any]:
    return (
        select(*measures)
        .select_from(SurveyAnswer)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyInvitation, SurveyInvitation.id == SurveyResponse.invitation_id)
        .outerjoin(_INVITED_LOAN, _INVITED_LOAN.id == SurveyInvitation.loan_id)
        .where(SurveyQuestion.kind == kind, SurveyAnswer.score.is_not(None))
    )


def satisfaction(
    session: Session, start: datetime, end: datetime, dimension: str, where: Slice, run: int | None
) -> list[Row]:
    """(sum of CSAT scores, answers) of the responses submitted in ``[start, end)``."""
    stmt = _survey(
        [func.coalesce(func.sum(SurveyAnswer.score), 0), func.count(SurveyAnswer.id)],
        QuestionKind.CSAT_1_5,
    ).where(SurveyResponse.submitted_at >= start, SurveyResponse.submitted_at < end)
    return grouped(session, stmt, SURVEY, dimension, where, run)


def nps(
    session: Session, start: datetime, end: datetime, dimension: str, where: Slice, run: int | None
) -> list[Row]:
    """(promoters − detractors, answers) of the NPS answers submitted in ``[start, end)``."""
    score = SurveyAnswer.score
    net = case((score >= 9, 1), (score <= 6, -1), else_=0)
    stmt = _survey(
        [func.coalesce(func.sum(net), 0), func.count(SurveyAnswer.id)], QuestionKind.NPS_0_10
    ).where(SurveyResponse.submitted_at >= start, SurveyResponse.submitted_at < end)
    return grouped(session, stmt, SURVEY, dimension, where, run)
