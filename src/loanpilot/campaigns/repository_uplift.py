"""SQL of the uplift models: the targets of campaigns with a randomised control group, with the
campaign, arm, channel and offered product type of each, and the products' types."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from loanpilot.campaigns.models import Campaign, CampaignTarget, TargetGroup
from loanpilot.lending.models import Loan
from loanpilot.products.models import LoanProduct

TARGET_COLUMNS = (
    "target_id",
    "campaign_id",
    "customer_id",
    "starts_on",
    "group",
    "arm",
    "channel",
    "product_type",
    "responded",
)


def _value(v: object) -> str | None:
    return None if v is None else str(getattr(v, "value", v))


def experiment_targets(session: Session, as_of: date) -> pd.DataFrame:
    """The targets of every campaign that started before ``as_of`` and has a control group; a
    response counts only if it came by the end of ``as_of``. Columns: ``TARGET_COLUMNS``."""
    t, c, p = CampaignTarget, Campaign, LoanProduct
    end_of_day = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)
    with_control = (
        select(t.campaign_id)
        .where(t.group == TargetGroup.CONTROL)
        .group_by(t.campaign_id)
        .scalar_subquery()
    )
    responded = case(
        (and_(t.responded.is_(True), t.responded_at < end_of_day), 1),
        else_=0,
    )
    query = (
        select(
            t.id,
            t.campaign_id,
            t.customer_id,
            c.starts_on,
            t.group,
            t.arm,
            t.channel,
            p.product_type,
            responded,
        )
        .join(c, c.id == t.campaign_id)
        .join(p, p.id == func.coalesce(t.offer_product_id, c.product_id))
        .where(c.starts_on < as_of, t.campaign_id.in_(with_control))
        .order_by(t.id)
    )
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
    for column in ("group", "channel", "product_type"):
        frame[column] = frame[column].map(_value)
    frame["arm"] = frame["arm"].map(lambda v: None if v in (None, "") else str(v))
    frame["responded"] = frame["responded"].astype(int)
    frame["starts_on"] = pd.to_datetime(frame["starts_on"]).dt.date
    return frame


def product_types(session: Session) -> list[str]:
    """The product types of the catalogue, sorted."""
    rows = session.execute(select(LoanProduct.product_type).distinct()).scalars().all()
    return sorted({str(_value(r)) for r in rows})


def loans_as_of(session: Session, rows: pd.DataFrame) -> pd.DataFrame:
    """Open loans and their balance of each row's customer on the row's ``as_of`` date (columns
    ``customer_id``, ``as_of``; the result has the rows' index and columns ``open_loans``,
    ``loan_balance_yuan``). A loan is open on a day if it was disbursed by then and not settled
    by then; its balance is the principal amortised in a straight line over its term (the
    schedule of a past day is not stored), so a loan booked after the day never counts."""
    ids = sorted({int(i) for i in rows["customer_id"]})
    out = pd.DataFrame({"open_loans": 0.0, "loan_balance_yuan": 0.0}, index=rows.index)
    if not ids:
        return out
    query = select(
        Loan.customer_id, Loan.disbursed_on, Loan.settled_on, Loan.principal_fen, Loan.term_months
    ).where(Loan.parent_loan_id.is_(None), Loan.customer_id.in_(ids))
    loans = pd.DataFrame(
        session.execute(query).all(),
        columns=["customer_id", "disbursed_on", "settled_on", "principal_fen", "term_months"],
    )
    if loans.empty:
        return out
    left = rows[["customer_id", "as_of"]].reset_index(names="_row")
    both = left.merge(loans, on="customer_id")
    day = pd.to_datetime(both["as_of"])
    start = pd.to_datetime(both["disbursed_on"])
    settled = pd.to_datetime(both["settled_on"])
    is_open = (start <= day) & (settled.isna() | (settled > day))
    months = (day - start).dt.days / 30.4375
    share = (1.0 - months / both["term_months"].clip(lower=1)).clip(0.0, 1.0)
    both["open"] = is_open.astype(float)
    both["balance"] = np.where(is_open, both["principal_fen"] * share / 100.0, 0.0)
    sums = both.groupby("_row")[["open", "balance"]].sum()
    out.loc[sums.index, "open_loans"] = sums["open"].to_numpy()
    out.loc[sums.index, "loan_balance_yuan"] = sums["balance"].to_numpy()
    return out
