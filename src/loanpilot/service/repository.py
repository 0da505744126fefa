"""All SQL of customer service (客户服务): surveys and questions, the milestones that send them,
invitations and responses, the answers the analysis reads, SLA targets and the stage timestamps they
measure, and quality reviews. Instants are stored in UTC; a business day is turned into its UTC
bounds here (portable SQL: no date functions of one backend)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from loanpilot.customers.models import Customer
from loanpilot.evaluation.models import FeedbackEvent, FeedbackTicket, TicketStatus, TicketType
from loanpilot.kit.clock import SHANGHAI
from loanpilot.lending.models import Loan, LoanStatus
from loanpilot.products.models import LoanProduct
from loanpilot.service.models import (
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)
from loanpilot.team.models import Branch, PortfolioAssignment, Staff


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants of Shanghai midnight at ``start`` and at ``end`` (half-open)."""
    return (
        datetime.combine(start, time(), tzinfo=SHANGHAI).astimezone(UTC),
        datetime.combine(end, time(), tzinfo=SHANGHAI).astimezone(UTC),
    )


# --- surveys -----------------------------------------------------------------------------------------


def surveys(session: Session, status: SurveyStatus | None = None) -> list[Survey]:
    stmt = select(Survey).order_by(Survey.status, Survey.code)
    if status is not None:
        stmt = stmt.where(Survey.status == status)
    return list(session.scalars(stmt))


def get_survey(session: Session, survey_id: int, *, for_update: bool = False) -> Survey | None:
    stmt = select(Survey).where(Survey.id == survey_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def survey_by_code(session: Session, code: str) -> Survey | None:
    return session.scalars(select(Survey).where(Survey.code == code)).first()


def questions(session: Session, survey_id: int) -> list[SurveyQuestion]:
    return list(
        session.scalars(
            select(SurveyQuestion)
            .where(SurveyQuestion.survey_id == survey_id)
            .order_by(SurveyQuestion.position)
        )
    )


def delete_questions(session: Session, survey_id: int) -> None:
    session.execute(delete(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id))


def invitation_counts(session: Session) -> dict[int, tuple[int, int]]:
    """Survey id → (invitations sent, responded)."""
    rows = session.execute(
        select(
            SurveyInvitation.survey_id,
            func.count(),
            func.count(SurveyInvitation.responded_at),
        ).group_by(SurveyInvitation.survey_id)
    )
    return {int(s): (int(n), int(r)) for s, n, r in rows}


# --- sending -----------------------------------------------------------------------------------------


def active_surveys(session: Session) -> list[Survey]:
    return surveys(session, SurveyStatus.ACTIVE)


def loans_disbursed_on(session: Session, day: date) -> list[tuple[int, int]]:
    """(loan id, customer id) of loans disbursed on ``day`` (a combination loan once: its parent)."""
    rows = session.execute(
        select(Loan.id, Loan.customer_id)
        .where(Loan.disbursed_on == day, Loan.parent_loan_id.is_(None))
        .order_by(Loan.id)
    )
    return [(int(a), int(b)) for a, b in rows]


def loans_settled_on(session: Session, day: date) -> list[tuple[int, int]]:
    rows = session.execute(
        select(Loan.id, Loan.customer_id)
        .where(
            Loan.settled_on == day,
            Loan.status == LoanStatus.SETTLED,
            Loan.parent_loan_id.is_(None),
        )
        .order_by(Loan.id)
    )
    return [(int(a), int(b)) for a, b in rows]


def complaints_closed_on(session: Session, day: date) -> list[tuple[int, int]]:
    """(ticket id, customer id) of complaints closed on ``day``, with a known customer. Closed:
    the ticket's last move to ``closed`` in its history, else (tickets without a history, like
    the demo's) the customer's confirmation, else the resolution."""
    start, end = day_bounds(day, date.fromordinal(day.toordinal() + 1))
    moved = (
        select(FeedbackEvent.ticket_id, func.max(FeedbackEvent.at).label("at"))
        .where(FeedbackEvent.kind == "status", FeedbackEvent.to_value == TicketStatus.CLOSED.value,
               FeedbackEvent.ticket_id.is_not(None))
        .group_by(FeedbackEvent.ticket_id)
        .subquery()
    )  # fmt: skip
    closed_at = func.coalesce(moved.c.at, FeedbackTicket.confirmed_at, FeedbackTicket.resolved_at)
    rows = session.execute(
        select(FeedbackTicket.id, FeedbackTicket.customer_id)
        .outerjoin(moved, moved.c.ticket_id == FeedbackTicket.id)
        .where(
            FeedbackTicket.type == TicketType.COMPLAINT,
            FeedbackTicket.status == TicketStatus.CLOSED,
            FeedbackTicket.customer_id.is_not(None),
            closed_at >= start,
            closed_at < end,
        )
        .order_by(FeedbackTicket.id)
    )
    return [(int(a), int(b)) for a, b in rows if b is not None]


def invited(session: Session, survey_id: int, *, loans: bool, ids: Collection[int]) -> set[int]:
    """Which of the loan (or ticket) ids already had an invitation of this survey."""
    if not ids:
        return set()
    column = SurveyInvitation.loan_id if loans else SurveyInvitation.ticket_id
    found: set[int] = set()
    ordered = sorted(ids)
    for i in range(0, len(ordered), 500):
        chunk = ordered[i : i + 500]
        found |= {
            int(v)
            for v in session.scalars(
                select(column).where(SurveyInvitation.survey_id == survey_id, column.in_(chunk))
            )
            if v is not None
        }
    return found


def token_taken(session: Session, token: str) -> bool:
    return (
        session.scalar(select(SurveyInvitation.id).where(SurveyInvitation.token == token))
        is not None
    )


# --- the portal --------------------------------------------------------------------------------------


def invitation_by_token(
    session: Session, token: str, *, for_update: bool = False
) -> SurveyInvitation | None:
    stmt = select(SurveyInvitation).where(SurveyInvitation.token == token)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def loan(session: Session, loan_id: int) -> Loan | None:
    return session.get(Loan, loan_id)


def ticket(session: Session, ticket_id: int) -> FeedbackTicket | None:
    return session.get(FeedbackTicket, ticket_id)


def manager_on(session: Session, customer_id: int, day: date) -> int | None:
    """The staff member the customer's portfolio was assigned to on ``day`` (latest start)."""
    return session.scalar(
        select(PortfolioAssignment.staff_id)
        .where(
            PortfolioAssignment.customer_id == customer_id,
            PortfolioAssignment.start_on <= day,
            (PortfolioAssignment.end_on.is_(None)) | (PortfolioAssignment.end_on > day),
        )
        .order_by(PortfolioAssignment.start_on.desc(), PortfolioAssignment.id.desc())
        .limit(1)
    )


def product(session: Session, product_id: int) -> LoanProduct | None:
    return session.get(LoanProduct, product_id)


# --- analysis ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which responses (and reviews, applications) a reader sees; None: no restriction."""

    branch_ids: frozenset[int] | None = None
    staff_id: int | None = None


@dataclass(frozen=True)
class ScoreRow:
    kind: str  # csat_1_5 | nps_0_10
    score: int
    submitted_at: datetime
    channel: str
    branch_id: int | None
    staff_id: int | None
    product_id: int | None
    survey_id: int


def scoped(stmt: Any, scope: Scope, branch: Any, staff: Any) -> Any:
    if scope.branch_ids is not None:
        stmt = stmt.where(branch.in_(sorted(scope.branch_ids)))
    if scope.staff_id is not None:
        stmt = stmt.where(staff == scope.staff_id)
    return stmt


def score_rows(session: Session, start: date, end: date, scope: Scope) -> list[ScoreRow]:
    """Every CSAT and NPS score of responses submitted in [start, end) (business days)."""
    lo, hi = day_bounds(start, end)
    stmt = (
        select(
            SurveyQuestion.kind, SurveyAnswer.score, SurveyResponse.submitted_at,
            SurveyResponse.channel, SurveyResponse.branch_id, SurveyResponse.staff_id,
            SurveyResponse.product_id, SurveyResponse.survey_id,
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(
            SurveyAnswer.score.is_not(None),
            SurveyResponse.submitted_at >= lo,
            SurveyResponse.submitted_at < hi,
        )
    )  # fmt: skip
    stmt = scoped(stmt, scope, SurveyResponse.branch_id, SurveyResponse.staff_id)
    return [
        ScoreRow(k.value, int(s), at, ch.value, b, st, p, sv)
        for k, s, at, ch, b, st, p, sv in session.execute(stmt)
    ]


def invitations_in(
    session: Session, start: date, end: date, scope: Scope
) -> list[tuple[datetime, str, bool]]:
    """(sent_at, channel, responded) of the invitations sent in [start, end). Scoped through the
    customer (home branch, manager)."""
    lo, hi = day_bounds(start, end)
    stmt = (
        select(SurveyInvitation.sent_at, SurveyInvitation.channel, SurveyInvitation.responded_at)
        .join(Customer, Customer.id == SurveyInvitation.customer_id)
        .where(SurveyInvitation.sent_at >= lo, SurveyInvitation.sent_at < hi)
    )
    stmt = scoped(stmt, scope, Customer.home_branch_id, Customer.manager_id)
    return [(at, ch.value, r is not None) for at, ch, r in session.execute(stmt)]


@dataclass(frozen=True)
class CommentRow:
    response_id: int
    submitted_at: datetime
    survey_code: str
    customer_name: str
    product_id: int | None
    branch_id: int | None
    text: str


def comments(
    session: Session, start: date, end: date, scope: Scope, limit: int | None = 200
) -> list[CommentRow]:
    lo, hi = day_bounds(start, end)
    stmt = (
        select(
            SurveyResponse.id, SurveyResponse.submitted_at, Survey.code, Customer.name,
            SurveyResponse.product_id, SurveyResponse.branch_id, SurveyAnswer.text,
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .join(Customer, Customer.id == SurveyResponse.customer_id)
        .where(
            SurveyAnswer.text.is_not(None),
            SurveyResponse.submitted_at >= lo,
            SurveyResponse.submitted_at < hi,
        )
        .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
    )  # fmt: skip
    stmt = scoped(stmt, scope, SurveyResponse.branch_id, SurveyResponse.staff_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [CommentRow(*row) for row in session.execute(stmt) if row[6]]


def product_names(session: Session) -> dict[int, tuple[str, str, str]]:
    """Product id → (name_zh, name_en, product type)."""
    rows = session.execute(
        select(LoanProduct.id, LoanProduct.name_zh, LoanProduct.name_en, LoanProduct.product_type)
    )
    return {int(i): (zh, en, t.value) for i, zh, en, t in rows}


def branch_names(session: Session) -> dict[int, str]:
    return {int(i): n for i, n in session.execute(select(Branch.id, Branch.name))}


def staff_rows(session: Session, ids: Collection[int] | None = None) -> dict[int, Staff]:
    stmt = select(Staff)
    if ids is not None:
        if not ids:
            return {}
        stmt = stmt.where(Staff.id.in_(sorted(ids)))
    return {s.id: s for s in session.scalars(stmt)}
