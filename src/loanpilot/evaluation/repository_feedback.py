"""SQL of feedback to improvement: tickets in a viewer's scope with their filters, one ticket's
history, the staff a viewer may assign to, the configured service SLAs, the labelled texts the
topic model learns from, the topic-model registry, improvement actions, and the counts the pages,
charts and the work plan show. Portable ``select()`` only; month buckets are made in Python.

Scope (``access.rules.ScopeKind``): ALL sees every ticket; BRANCH the tickets booked at its
branches or from customers whose home branch is one of them; OWN the tickets of the customers it
looks after and those assigned to it. ``viewer=None`` is the bank's own batch work (everything).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from loanpilot.access.rules import DEFAULT_MATRIX, Permission, Principal, ScopeKind
from loanpilot.customers.models import Customer
from loanpilot.evaluation.feedback_rules import UNRESOLVED, SlaRow
from loanpilot.evaluation.models import (
    ActionStatus,
    FeedbackEvent,
    FeedbackTicket,
    ImprovementAction,
    TicketStatus,
    TopicModel,
    TopicSource,
)
from loanpilot.products.models import LoanProduct
from loanpilot.risk.models import RiskAlert
from loanpilot.service.models import ServiceSla
from loanpilot.team.models import Role, Staff, StaffStatus

T = FeedbackTicket
_S = TypeVar("_S", bound=Select)  # type: ignore[type-arg]
#: Roles that work tickets by default (hold ``feedback:work``): whom a ticket may be assigned to.
WORKING_ROLES: tuple[Role, ...] = tuple(
    role for role, perms in DEFAULT_MATRIX.items() if Permission.FEEDBACK_WORK in perms
)


def ticket_scope(viewer: Principal | None) -> ColumnElement[bool]:
    """The tickets ``viewer`` sees (the statement must outer-join ``Customer``)."""
    if viewer is None or viewer.scope is ScopeKind.ALL:
        return true()
    if viewer.scope is ScopeKind.OWN:
        return or_(Customer.manager_id == viewer.staff_id, T.assigned_to_id == viewer.staff_id)
    ids = sorted(viewer.branch_ids)
    if not ids:
        return false()
    return or_(T.branch_id.in_(ids), Customer.home_branch_id.in_(ids))


def _scoped(stmt: _S, viewer: Principal | None) -> _S:
    return stmt.outerjoin(Customer, Customer.id == T.customer_id).where(ticket_scope(viewer))


@dataclass(frozen=True)
class TicketFilters:
    status: str | None = None  # a status, or "unresolved"
    type: str | None = None
    topic: str | None = None
    channel: str | None = None
    overdue: bool = False
    assigned_to_id: int | None = None
    received_from: datetime | None = None
    received_before: datetime | None = None


def _filtered(stmt: _S, f: TicketFilters, now: datetime) -> _S:
    if f.status == "unresolved":
        stmt = stmt.where(T.status.in_(sorted(UNRESOLVED)))
    elif f.status:
        stmt = stmt.where(T.status == TicketStatus(f.status))
    if f.type:
        stmt = stmt.where(T.type == f.type)
    if f.topic:
        stmt = stmt.where(T.topic == f.topic)
    if f.channel:
        stmt = stmt.where(T.channel == f.channel)
    if f.overdue:
        stmt = stmt.where(T.status.in_(sorted(UNRESOLVED)), T.sla_due_at < now)
    if f.assigned_to_id is not None:
        stmt = stmt.where(T.assigned_to_id == f.assigned_to_id)
    if f.received_from is not None:
        stmt = stmt.where(T.received_at >= f.received_from)
    if f.received_before is not None:
        stmt = stmt.where(T.received_at < f.received_before)
    return stmt


@dataclass(frozen=True)
class TicketRow:
    ticket: FeedbackTicket
    customer_name: str | None


def tickets(
    session: Session,
    filters: TicketFilters,
    viewer: Principal | None,
    now: datetime,
    *,
    limit: int = 200,
    offset: int = 0,
) -> list[TicketRow]:
    """Tickets in scope matching ``filters``, newest first."""
    stmt = _filtered(_scoped(select(T, Customer.name), viewer), filters, now)
    stmt = stmt.order_by(T.received_at.desc(), T.id.desc()).limit(limit).offset(offset)
    return [TicketRow(t, name) for t, name in session.execute(stmt)]


def count_tickets(
    session: Session, filters: TicketFilters, viewer: Principal | None, now: datetime
) -> int:
    stmt = _filtered(_scoped(select(func.count(T.id)), viewer), filters, now)
    return int(session.execute(stmt).scalar_one())


def ticket_facts(
    session: Session, filters: TicketFilters, viewer: Principal | None, now: datetime
) -> list[tuple[str, str | None, str, str, datetime, datetime | None]]:
    """(type, topic, status, channel, received_at, sla_due_at) of every ticket in scope: what the
    charts and the work plan count (a bank's tickets are thousands, not millions)."""
    stmt = _filtered(
        _scoped(select(T.type, T.topic, T.status, T.channel, T.received_at, T.sla_due_at), viewer),
        filters,
        now,
    )
    return [
        (str(ty), tp, str(st), str(ch), at, due)
        for ty, tp, st, ch, at, due in session.execute(stmt)
    ]


def get_ticket(session: Session, ticket_id: int, viewer: Principal | None) -> TicketRow | None:
    stmt = _scoped(select(T, Customer.name), viewer).where(T.id == ticket_id)
    found = session.execute(stmt).first()
    return TicketRow(found[0], found[1]) if found else None


def ticket_exists(session: Session, ticket_id: int) -> bool:
    return session.get(T, ticket_id) is not None


def by_number(session: Session, ticket_no: str) -> FeedbackTicket | None:
    return session.scalar(select(T).where(T.ticket_no == ticket_no))


def events(
    session: Session, *, ticket_id: int | None = None, action_id: int | None = None
) -> list[FeedbackEvent]:
    stmt = select(FeedbackEvent).order_by(FeedbackEvent.at, FeedbackEvent.id)
    if ticket_id is not None:
        stmt = stmt.where(FeedbackEvent.ticket_id == ticket_id)
    if action_id is not None:
        stmt = stmt.where(FeedbackEvent.action_id == action_id)
    return list(session.scalars(stmt))


def customer_facts(session: Session, customer_id: int) -> tuple[int | None, int | None] | None:
    """(home branch, manager) of a customer; None when there is no such customer."""
    found = session.execute(
        select(Customer.home_branch_id, Customer.manager_id).where(Customer.id == customer_id)
    ).first()
    return (found[0], found[1]) if found else None


def product_type(session: Session, product_id: int | None) -> str | None:
    if product_id is None:
        return None
    found = session.scalar(select(LoanProduct.product_type).where(LoanProduct.id == product_id))
    return str(found) if found is not None else None


def product_exists(session: Session, product_id: int) -> bool:
    return session.get(LoanProduct, product_id) is not None


def sla_rows(session: Session) -> list[SlaRow]:
    """The configured service SLAs (read only)."""
    rows = session.execute(
        select(
            ServiceSla.stage,
            ServiceSla.product_type,
            ServiceSla.target_hours,
            ServiceSla.valid_from,
        )
    )
    return [
        SlaRow(str(stage), str(pt) if pt is not None else None, hours, valid_from)
        for stage, pt, hours, valid_from in rows
    ]


# --- staff -----------------------------------------------------------------------------------


def assignable_staff(session: Session, viewer: Principal | None) -> list[Staff]:
    """Active staff of the roles that work tickets within ``viewer``'s scope (OWN: oneself)."""
    stmt = select(Staff).where(
        Staff.status == StaffStatus.ACTIVE, Staff.role.in_([r.value for r in WORKING_ROLES])
    )
    if viewer is not None and viewer.scope is ScopeKind.OWN:
        stmt = stmt.where(Staff.id == viewer.staff_id)
    elif viewer is not None and viewer.scope is ScopeKind.BRANCH:
        stmt = stmt.where(Staff.branch_id.in_(sorted(viewer.branch_ids)))
    return list(session.scalars(stmt.order_by(Staff.role, Staff.employee_no)))


def staff_exists(session: Session, staff_id: int) -> bool:
    return session.get(Staff, staff_id) is not None


def active_staff(session: Session) -> list[Staff]:
    stmt = select(Staff).where(Staff.status == StaffStatus.ACTIVE).order_by(Staff.employee_no)
    return list(session.scalars(stmt))


# --- the topic model -------------------------------------------------------------------------


def labelled_texts(session: Session) -> list[tuple[str, str, str]]:
    """(subject, body, topic) of every ticket whose topic staff set or corrected."""
    stmt = (
        select(T.subject, T.body, T.topic)
        .where(T.topic_source == TopicSource.STAFF, T.topic.is_not(None))
        .order_by(T.id)
    )
    return [(s, b, str(t)) for s, b, t in session.execute(stmt)]


def latest_topic_model(session: Session) -> TopicModel | None:
    return session.scalar(select(TopicModel).order_by(TopicModel.version.desc()).limit(1))


def topic_model(session: Session, version: int) -> TopicModel | None:
    return session.scalar(select(TopicModel).where(TopicModel.version == version))


def topic_models(session: Session) -> list[TopicModel]:
    return list(session.scalars(select(TopicModel).order_by(TopicModel.version.desc())))


def topics_in_use(session: Session) -> list[str]:
    stmt = select(T.topic).where(T.topic.is_not(None)).distinct()
    return sorted(str(t) for t in session.scalars(stmt))


# --- improvement actions ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActionFilters:
    status: str | None = None  # a status, or "open" (proposed / in progress / done)
    source_kind: str | None = None
    owner_id: int | None = None


OPEN_ACTIONS = (ActionStatus.PROPOSED, ActionStatus.IN_PROGRESS, ActionStatus.DONE)


def actions(session: Session, filters: ActionFilters) -> list[ImprovementAction]:
    stmt = select(ImprovementAction)
    if filters.status == "open":
        stmt = stmt.where(ImprovementAction.status.in_(OPEN_ACTIONS))
    elif filters.status:
        stmt = stmt.where(ImprovementAction.status == ActionStatus(filters.status))
    if filters.source_kind:
        stmt = stmt.where(ImprovementAction.source_kind == filters.source_kind)
    if filters.owner_id is not None:
        stmt = stmt.where(ImprovementAction.owner_id == filters.owner_id)
    return list(session.scalars(stmt.order_by(ImprovementAction.deadline, ImprovementAction.id)))


def action(session: Session, action_id: int) -> ImprovementAction | None:
    return session.get(ImprovementAction, action_id)


def alert_exists(session: Session, alert_id: int) -> bool:
    return session.get(RiskAlert, alert_id) is not None


def action_counts(session: Session) -> dict[str, int]:
    stmt = select(ImprovementAction.status, func.count(ImprovementAction.id)).group_by(
        ImprovementAction.status
    )
    return {str(s): int(n) for s, n in session.execute(stmt)}


def actions_for_ticket(session: Session, ticket_id: int) -> list[ImprovementAction]:
    stmt = select(ImprovementAction).where(ImprovementAction.source_ticket_id == ticket_id)
    return list(session.scalars(stmt.order_by(ImprovementAction.id)))


def complaints_between(
    session: Session, start: datetime, end: datetime, topic: str | None = None
) -> int:
    """Complaint tickets received in ``[start, end)`` (UTC), of one topic or all."""
    stmt = select(func.count(T.id)).where(
        T.type == "complaint", T.received_at >= start, T.received_at < end
    )
    if topic:
        stmt = stmt.where(T.topic == topic)
    return int(session.execute(stmt).scalar_one())


def overdue_actions(session: Session, today: date) -> list[ImprovementAction]:
    stmt = select(ImprovementAction).where(
        and_(
            ImprovementAction.status.in_((ActionStatus.PROPOSED, ActionStatus.IN_PROGRESS)),
            ImprovementAction.deadline < today,
        )
    )
    return list(session.scalars(stmt.order_by(ImprovementAction.deadline)))


def names_of(session: Session, staff_ids: Collection[int]) -> dict[int, str]:
    ids = sorted({i for i in staff_ids if i})
    if not ids:
        return {}
    stmt = select(Staff.id, Staff.name).where(Staff.id.in_(ids))
    return {int(i): str(n) for i, n in session.execute(stmt)}


def product_names(session: Session, product_ids: Sequence[int]) -> dict[int, str]:
    ids = sorted({i for i in product_ids if i})
    if not ids:
        return {}
    stmt = select(LoanProduct.id, LoanProduct.name_zh).where(LoanProduct.id.in_(ids))
    return {int(i): str(n) for i, n in session.execute(stmt)}


# --- survey comments -------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyComment:
    response_id: int
    customer_id: int
    branch_id: int | None
    product_id: int | None
    submitted_at: datetime
    csat: int | None  # the lowest CSAT (1-5) answer of the response
    nps: int | None  # the lowest NPS (0-10) answer
    text: str  # the free-text answers, joined


def survey_comments(session: Session, start: datetime, end: datetime) -> list[SurveyComment]:
    """Responses submitted in ``[start, end)`` (UTC) with a free-text answer, with their scores
    and whether a ticket was already made of them."""
    from loanpilot.service.models import QuestionKind, SurveyAnswer, SurveyQuestion, SurveyResponse

    resp, ans, question = SurveyResponse, SurveyAnswer, SurveyQuestion
    stmt = (
        select(resp.id, resp.customer_id, resp.branch_id, resp.product_id, resp.submitted_at,
               question.kind, ans.score, ans.text)
        .join(ans, ans.response_id == resp.id)
        .join(question, question.id == ans.question_id)
        .where(resp.submitted_at >= start, resp.submitted_at < end)
        .order_by(resp.id, question.position)
    )  # fmt: skip
    found: dict[int, dict[str, Any]] = {}
    for rid, cust, branch, product, at, kind, score, text in session.execute(stmt):
        fresh: dict[str, Any] = {"customer": cust, "branch": branch, "product": product, "at": at,
                 "csat": None, "nps": None, "texts": []}  # fmt: skip
        row = found.setdefault(rid, fresh)
        if kind == QuestionKind.CSAT_1_5 and score is not None:
            row["csat"] = score if row["csat"] is None else min(row["csat"], score)
        elif kind == QuestionKind.NPS_0_10 and score is not None:
            row["nps"] = score if row["nps"] is None else min(row["nps"], score)
        elif kind == QuestionKind.FREE_TEXT and text and text.strip():
            row["texts"].append(text.strip())
    return [
        SurveyComment(
            rid,
            r["customer"],
            r["branch"],
            r["product"],
            r["at"],
            r["csat"],
            r["nps"],
            "\n".join(r["texts"]),
        )
        for rid, r in found.items()
        if r["texts"]
    ]


def tickets_of_responses(session: Session, response_ids: Collection[int]) -> set[int]:
    ids = sorted(set(response_ids))
    if not ids:
        return set()
    stmt = select(T.survey_response_id).where(T.survey_response_id.in_(ids))
    return {int(i) for i in session.scalars(stmt) if i is not None}
