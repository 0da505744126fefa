"""SQL of campaign results: one campaign's targets with the applications, decisions and loans they
led to, its budget lines and spend, and the leads attributed to campaigns (plain selects read into
pandas frames; nothing here writes).

Attribution of an application to a campaign target (the same rule for the treated group and the
hold-out, so the comparison stays fair): the target's own ``application_id`` if set; else the
customer's earliest application carrying the campaign's ``campaign_id``; else the customer's
earliest application submitted from the campaign's first day to 30 days after its last
(Asia/Shanghai days).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from loanpilot.campaigns.models import (
    BudgetLine,
    Campaign,
    CampaignGoal,
    CampaignOffer,
    CampaignTarget,
    Expense,
)
from loanpilot.channels.models import Lead, Partner
from loanpilot.kit.clock import SHANGHAI
from loanpilot.lending.models import Application, Loan
from loanpilot.products.models import LoanProduct
from loanpilot.risk.models import Decision

#: Days after a campaign's last day within which an application still counts for its targets.
ATTRIBUTION_DAYS = 30


def _frame(session: Session, stmt: Any, columns: list[str]) -> pd.DataFrame:
    rows = session.execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _instant(day: date) -> datetime:
    """The UTC instant a Shanghai business day starts."""
    return datetime.combine(day, time(), tzinfo=SHANGHAI).astimezone(UTC)


def campaign(session: Session, ref: str | int) -> Campaign | None:
    """A campaign by id (an int or a string of digits) or by code."""
    if isinstance(ref, int) or str(ref).isdigit():
        found = session.get(Campaign, int(ref))
        if found is not None or isinstance(ref, int):
            return found
    return session.execute(select(Campaign).where(Campaign.code == str(ref))).scalar_one_or_none()


def goals(session: Session, campaign_id: int) -> list[CampaignGoal]:
    stmt = select(CampaignGoal).where(CampaignGoal.campaign_id == campaign_id)
    return list(session.execute(stmt.order_by(CampaignGoal.id)).scalars())


def arms(session: Session, campaign_id: int) -> list[CampaignOffer]:
    stmt = select(CampaignOffer).where(CampaignOffer.campaign_id == campaign_id)
    return list(session.execute(stmt.order_by(CampaignOffer.arm)).scalars())


TARGET_COLUMNS = [
    "target_id",
    "customer_id",
    "group",
    "arm",
    "contacted",
    "responded",
    "application_id",
]


def targets(session: Session, campaign_id: int) -> pd.DataFrame:
    t = CampaignTarget
    stmt = (
        select(
            t.id,
            t.customer_id,
            t.group,
            t.arm,
            t.contacted_at.is_not(None),
            t.responded,
            t.application_id,
        )
        .where(t.campaign_id == campaign_id)
        .order_by(t.id)
    )
    frame = _frame(session, stmt, TARGET_COLUMNS)
    frame["group"] = frame["group"].astype(str)
    return frame


APPLICATION_COLUMNS = [
    "application_id",
    "customer_id",
    "campaign_id",
    "submitted_at",
    "status",
    "amount_fen",
    "term_months",
    "product_type",
]


def target_applications(session: Session, c: Campaign) -> pd.DataFrame:
    """Applications of the campaign's targeted customers that the attribution rule may pick."""
    a, t = Application, CampaignTarget
    window_end = _instant(c.ends_on + timedelta(days=ATTRIBUTION_DAYS + 1))
    stmt = (
        select(
            a.id,
            a.customer_id,
            a.campaign_id,
            a.submitted_at,
            a.status,
            a.amount_fen,
            a.term_months,
            LoanProduct.product_type,
        )
        .join(t, and_(t.customer_id == a.customer_id, t.campaign_id == c.id))
        .join(LoanProduct, LoanProduct.id == a.product_id)
        .where(
            a.status != "draft",
            or_(
                a.id == t.application_id,
                a.campaign_id == c.id,
                and_(a.submitted_at >= _instant(c.starts_on), a.submitted_at < window_end),
            ),
        )
    )
    frame = _frame(session, stmt, APPLICATION_COLUMNS)
    frame["status"] = frame["status"].astype(str)
    return frame


def decisions(session: Session, application_ids: list[int]) -> pd.DataFrame:
    """The latest decision of each application (outcome and PD)."""
    if not application_ids:
        return pd.DataFrame(columns=["application_id", "outcome", "pd"])
    latest = (
        select(Decision.application_id, func.max(Decision.id).label("id"))
        .where(Decision.application_id.in_(application_ids))
        .group_by(Decision.application_id)
        .subquery()
    )
    stmt = select(Decision.application_id, Decision.outcome, Decision.pd).join(
        latest, latest.c.id == Decision.id
    )
    frame = _frame(session, stmt, ["application_id", "outcome", "pd"])
    frame["outcome"] = frame["outcome"].astype(str)
    return frame


def loans(session: Session, application_ids: list[int]) -> pd.DataFrame:
    """Top-level loans (a 组合贷's parent, not its parts) booked from these applications."""
    cols = ["application_id", "principal_fen", "annual_rate", "fee_rate", "term_months"]
    if not application_ids:
        return pd.DataFrame(columns=cols)
    stmt = select(
        Loan.application_id,
        Loan.principal_fen,
        Loan.annual_rate,
        Loan.monthly_fee_rate,
        Loan.term_months,
    ).where(Loan.application_id.in_(application_ids), Loan.parent_loan_id.is_(None))
    return _frame(session, stmt, cols)


def borrowers_before(session: Session, customer_ids: list[int], day: date) -> set[int]:
    """Which of these customers had a loan disbursed before ``day`` (not new customers)."""
    if not customer_ids:
        return set()
    stmt = (
        select(Loan.customer_id)
        .where(Loan.customer_id.in_(customer_ids), Loan.disbursed_on < day)
        .distinct()
    )
    return {int(r) for r in session.execute(stmt).scalars()}


def budget(session: Session, campaign_id: int) -> pd.DataFrame:
    """Each budget line with its planned and spent amounts."""
    spent = (
        select(Expense.budget_line_id, func.coalesce(func.sum(Expense.amount_fen), 0).label("s"))
        .group_by(Expense.budget_line_id)
        .subquery()
    )
    stmt = (
        select(BudgetLine.category, BudgetLine.planned_fen, func.coalesce(spent.c.s, 0))
        .outerjoin(spent, spent.c.budget_line_id == BudgetLine.id)
        .where(BudgetLine.campaign_id == campaign_id)
        .order_by(BudgetLine.id)
    )
    frame = _frame(session, stmt, ["category", "planned_fen", "spent_fen"])
    frame["category"] = frame["category"].astype(str)
    frame[["planned_fen", "spent_fen"]] = frame[["planned_fen", "spent_fen"]].astype("int64")
    return frame


LEAD_COLUMNS = [
    "lead_id",
    "campaign_id",
    "campaign_code",
    "source_channel",
    "partner",
    "referrer_kind",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "status",
    "referrer_credit_fen",
    "applied",
    "disbursed",
]


def attributed_leads(session: Session, campaign_id: int | None = None) -> pd.DataFrame:
    """Leads attributed to a campaign (``leads.campaign_id``, or ``utm_campaign`` equal to the
    campaign's code), one row each, with whether they led to an application and a disbursement.
    Without ``campaign_id``: every lead attributed to any campaign, and tagged leads whose code
    names no campaign (``campaign_id`` None)."""
    apps = (
        select(
            Application.lead_id,
            func.count().label("n"),
            func.sum(case((Application.status == "disbursed", 1), else_=0)).label("d"),
        )
        .where(Application.lead_id.is_not(None))
        .group_by(Application.lead_id)
        .subquery()
    )
    code_match = and_(Lead.campaign_id.is_(None), Lead.utm_campaign == Campaign.code)
    stmt = (
        select(
            Lead.id,
            Campaign.id,
            func.coalesce(Campaign.code, Lead.utm_campaign),
            Lead.source_channel,
            Partner.name,
            case(
                (Lead.referrer_customer_id.is_not(None), "customer"),
                (Lead.referrer_staff_id.is_not(None), "staff"),
                else_=None,
            ),
            Lead.utm_source,
            Lead.utm_medium,
            Lead.utm_campaign,
            Lead.status,
            Lead.referrer_credit_fen,
            func.coalesce(apps.c.n, 0),
            func.coalesce(apps.c.d, 0),
        )
        .outerjoin(Campaign, or_(Campaign.id == Lead.campaign_id, code_match))
        .outerjoin(Partner, Partner.id == Lead.partner_id)
        .outerjoin(apps, apps.c.lead_id == Lead.id)
    )
    if campaign_id is not None:
        stmt = stmt.where(Campaign.id == campaign_id)
    else:
        stmt = stmt.where(or_(Campaign.id.is_not(None), Lead.utm_campaign.is_not(None)))
    frame = _frame(session, stmt.order_by(Lead.id), LEAD_COLUMNS)
    for col in ("source_channel", "status"):
        frame[col] = frame[col].astype(str)
    frame["applied"] = frame["applied"].astype("int64") > 0
    frame["disbursed"] = frame["disbursed"].astype("int64") > 0
    return frame
