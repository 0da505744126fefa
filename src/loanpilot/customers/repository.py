"""All SQL of the customer directory and the customer 360.

The list is one COUNT and one page query on ``customers`` alone (no join, so the count stays an
index count); branch names come from one small query of the branch table. The 360 is one query per
section. The caller's data scope (all, branch, own customers) is part of every list query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from loanpilot.access.rules import Principal, ScopeKind
from loanpilot.campaigns.models import Campaign, CampaignTarget
from loanpilot.customers.models import BureauReport, Consent, Customer, CustomerFinancials
from loanpilot.customers.rules import (
    AGE_BAND_EDGES,
    AgeBand,
    CustomerFilters,
    birth_cutoff,
    birth_dates_of,
    incomes_of,
    prefix_upper_bound,
)
from loanpilot.db.paging import Page, PageRequest, fetch_page
from loanpilot.evaluation.models import FeedbackTicket
from loanpilot.lending.models import Application, Loan
from loanpilot.products.models import LoanProduct
from loanpilot.service.models import Survey, SurveyAnswer, SurveyResponse
from loanpilot.team.models import Branch, Staff

#: Most rows of each 360 section (newest first); a customer rarely has more.
SECTION_LIMIT = 100

#: Sort key → column of the list.
SORT_COLUMNS: dict[str, Any] = {
    "customer_no": Customer.customer_no,
    "name": Customer.name,
    "birth_date": Customer.birth_date,
    "income": Customer.monthly_income_fen,
}
TIE_BREAKER: Any = Customer.id


@dataclass(frozen=True)
class SearchKeys:
    """The search text and its blind indexes (as an ID number and as a phone number)."""

    text: str
    id_number_hash: bytes
    phone_hash: bytes


def scope_clause(principal: Principal) -> ColumnElement[bool] | None:
    """The customers ``principal`` may see, as a WHERE clause (None: the whole bank)."""
    if principal.scope is ScopeKind.ALL:
        return None
    if principal.scope is ScopeKind.OWN:
        return Customer.manager_id == principal.staff_id
    if not principal.branch_ids:
        return false()
    return Customer.home_branch_id.in_(sorted(principal.branch_ids))


def segment_expression(today: date) -> ColumnElement[str]:
    """The age band of each customer on ``today``, computed in SQL from the birth date."""
    middle, senior = AGE_BAND_EDGES
    return case(
        (Customer.birth_date > birth_cutoff(today, middle), AgeBand.YOUNG.value),
        (Customer.birth_date > birth_cutoff(today, senior), AgeBand.MIDDLE.value),
        else_=AgeBand.SENIOR.value,
    )


def _search_clause(keys: SearchKeys) -> ColumnElement[bool]:
    text = keys.text
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    prefix = and_(
        Customer.customer_no >= text,
        Customer.customer_no < prefix_upper_bound(text),
        Customer.customer_no.like(f"{escaped}%", escape="\\"),
    )
    return or_(
        prefix,
        Customer.name == text,
        Customer.id_number_hash == keys.id_number_hash,
        Customer.phone_hash == keys.phone_hash,
    )


def list_query(
    principal: Principal, filters: CustomerFilters, today: date, search: SearchKeys | None
) -> Select[Any]:
    """The rows of the customer list (unsorted, unpaged) for ``principal`` and ``filters``."""
    columns: tuple[Any, ...] = (
        Customer.id,
        Customer.customer_no,
        Customer.name,
        Customer.gender,
        Customer.birth_date,
        segment_expression(today).label("segment"),
        Customer.occupation,
        Customer.monthly_income_fen,
        Customer.city,
        Customer.home_branch_id,
        Customer.marketing_consent,
        Customer.since,
        Customer.id_number_enc,
        Customer.phone_enc,
    )
    query: Select[Any] = select(*columns)
    conditions: list[ColumnElement[bool]] = []
    scope = scope_clause(principal)
    if scope is not None:
        conditions.append(scope)
    if search is not None:
        conditions.append(_search_clause(search))
    if filters.segment is not None:
        births = birth_dates_of(filters.segment, today)
        if births.after is not None:
            conditions.append(Customer.birth_date > births.after)
        if births.on_or_before is not None:
            conditions.append(Customer.birth_date <= births.on_or_before)
    if filters.occupation is not None:
        conditions.append(Customer.occupation == filters.occupation)
    if filters.income is not None:
        incomes = incomes_of(filters.income)
        if incomes.at_least is not None:
            conditions.append(Customer.monthly_income_fen >= incomes.at_least)
        if incomes.at_most is not None:
            conditions.append(Customer.monthly_income_fen <= incomes.at_most)
    if filters.branch_id is not None:
        conditions.append(Customer.home_branch_id == filters.branch_id)
    return query.where(*conditions) if conditions else query


def branches(session: Session) -> Sequence[Any]:
    """Every branch: id, code, name (a bank has tens of them)."""
    return session.execute(select(Branch.id, Branch.code, Branch.name).order_by(Branch.code)).all()


# --- the customer 360 ------------------------------------------------------------------------------


def customer(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def branch_name(session: Session, branch_id: int | None) -> str | None:
    if branch_id is None:
        return None
    return session.scalar(select(Branch.name).where(Branch.id == branch_id))


def staff_name(session: Session, staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    return session.scalar(select(Staff.name).where(Staff.id == staff_id))


def consents(session: Session, customer_id: int) -> Sequence[Consent]:
    return session.scalars(
        select(Consent)
        .where(Consent.customer_id == customer_id)
        .order_by(Consent.at.desc(), Consent.id.desc())
        .limit(SECTION_LIMIT)
    ).all()


def latest_bureau(
    session: Session, customer_id: int, on: date | None = None
) -> BureauReport | None:
    """The newest bureau report (on or before ``on`` when given)."""
    query = select(BureauReport).where(BureauReport.customer_id == customer_id)
    if on is not None:
        query = query.where(BureauReport.as_of <= on)
    return session.scalar(query.order_by(BureauReport.as_of.desc()).limit(1))


def latest_financials(
    session: Session, customer_id: int, on: date | None = None
) -> CustomerFinancials | None:
    """The newest month of deposits and card behaviour (on or before ``on`` when given)."""
    query = select(CustomerFinancials).where(CustomerFinancials.customer_id == customer_id)
    if on is not None:
        query = query.where(CustomerFinancials.as_of <= on)
    return session.scalar(query.order_by(CustomerFinancials.as_of.desc()).limit(1))


def loans(session: Session, customer_id: int) -> Sequence[Any]:
    return session.execute(
        select(
            Loan.id,
            Loan.loan_no,
            Loan.parent_loan_id,
            LoanProduct.code.label("product_code"),
            LoanProduct.name_zh.label("product_name_zh"),
            LoanProduct.name_en.label("product_name_en"),
            Loan.principal_fen,
            Loan.outstanding_principal_fen,
            Loan.annual_rate,
            Loan.apr,
            Loan.term_months,
            Loan.disbursed_on,
            Loan.maturity_on,
            Loan.status,
            Loan.dpd,
            Loan.five_class,
        )
        .join(LoanProduct, LoanProduct.id == Loan.product_id)
        .where(Loan.customer_id == customer_id)
        .order_by(Loan.disbursed_on.desc(), Loan.id.desc())
        .limit(SECTION_LIMIT)
    ).all()


def applications(session: Session, customer_id: int) -> Sequence[Any]:
    return session.execute(
        select(
            Application.id,
            Application.application_no,
            LoanProduct.code.label("product_code"),
            LoanProduct.name_zh.label("product_name_zh"),
            LoanProduct.name_en.label("product_name_en"),
            Application.amount_fen,
            Application.term_months,
            Application.channel,
            Application.status,
            Application.created_at,
            Application.submitted_at,
            Application.decided_at,
            Application.disbursed_at,
        )
        .join(LoanProduct, LoanProduct.id == Application.product_id)
        .where(Application.customer_id == customer_id)
        .order_by(Application.created_at.desc(), Application.id.desc())
        .limit(SECTION_LIMIT)
    ).all()


def campaign_targets(session: Session, customer_id: int) -> Sequence[Any]:
    return session.execute(
        select(
            Campaign.id.label("campaign_id"),
            Campaign.code,
            Campaign.name,
            Campaign.starts_on,
            Campaign.ends_on,
            CampaignTarget.group,
            CampaignTarget.channel,
            CampaignTarget.contacted_at,
            CampaignTarget.contact_attempts,
            CampaignTarget.responded,
            CampaignTarget.responded_at,
            CampaignTarget.application_id,
        )
        .join(Campaign, Campaign.id == CampaignTarget.campaign_id)
        .where(CampaignTarget.customer_id == customer_id)
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        .limit(SECTION_LIMIT)
    ).all()


def survey_responses(session: Session, customer_id: int) -> Sequence[Any]:
    """Each survey the customer answered with its score (the CSAT or NPS question's answer)."""
    score = (
        select(func.max(SurveyAnswer.score))
        .where(SurveyAnswer.response_id == SurveyResponse.id)
        .correlate(SurveyResponse)
        .scalar_subquery()
    )
    return session.execute(
        select(
            SurveyResponse.id,
            Survey.code,
            Survey.title,
            Survey.kind,
            SurveyResponse.channel,
            SurveyResponse.submitted_at,
            score.label("score"),
        )
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(SurveyResponse.customer_id == customer_id)
        .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
        .limit(SECTION_LIMIT)
    ).all()


def feedback_tickets(session: Session, customer_id: int) -> Sequence[Any]:
    return session.execute(
        select(
            FeedbackTicket.id,
            FeedbackTicket.ticket_no,
            FeedbackTicket.type,
            FeedbackTicket.channel,
            FeedbackTicket.topic,
            FeedbackTicket.priority,
            FeedbackTicket.subject,
            FeedbackTicket.status,
            FeedbackTicket.received_at,
            FeedbackTicket.resolved_at,
            FeedbackTicket.customer_confirmed,
        )
        .where(FeedbackTicket.customer_id == customer_id)
        .order_by(FeedbackTicket.received_at.desc(), FeedbackTicket.id.desc())
        .limit(SECTION_LIMIT)
    ).all()


def customer_page(
    session: Session,
    principal: Principal,
    filters: CustomerFilters,
    today: date,
    search: SearchKeys | None,
    request: PageRequest,
) -> Page[Any]:
    """One COUNT and one page query of the customer list."""
    query = list_query(principal, filters, today, search)
    return fetch_page(session, query, request, SORT_COLUMNS, TIE_BREAKER)
