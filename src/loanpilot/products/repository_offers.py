"""SQL of next-best-offer: the offer runs and their offers, the contact-policy facts of a chunk of
customers, the products' typical loans and the contact history the take-up model learns from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Table, and_, case, delete, func, select, update
from sqlalchemy.orm import Session

from loanpilot.campaigns.models import Campaign, CampaignTarget, TargetGroup
from loanpilot.customers.models import Customer
from loanpilot.customers.models_segments import RunStatus
from loanpilot.db.bulk import bulk_insert
from loanpilot.lending.models import Application, ApplicationStatus
from loanpilot.products.models import LoanProduct, ProductStatus
from loanpilot.products.models_offers import Offer, OfferRun

OFFERS = cast(Table, Offer.__table__)
RUNS = cast(Table, OfferRun.__table__)


def day_end(as_of: date) -> datetime:
    """The end of the business day ``as_of`` (UTC; the contact windows count whole days)."""
    return datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)


# --- runs ---------------------------------------------------------------------------------------


def run_by_id(session: Session, run_id: int) -> OfferRun | None:
    return session.get(OfferRun, run_id, populate_existing=True)


def latest_run(session: Session, *, done_only: bool = False) -> OfferRun | None:
    query = select(OfferRun).order_by(OfferRun.id.desc()).limit(1)
    if done_only:
        query = query.where(OfferRun.status == RunStatus.DONE)
    return session.scalars(query).first()


def runs(session: Session, limit: int = 50) -> list[OfferRun]:
    return list(session.scalars(select(OfferRun).order_by(OfferRun.id.desc()).limit(limit)))


def unfinished_run(session: Session, as_of: date) -> OfferRun | None:
    """The latest run of ``as_of`` that is running or failed (a rerun resumes it)."""
    return session.scalars(
        select(OfferRun)
        .where(OfferRun.as_of == as_of, OfferRun.status != RunStatus.DONE)
        .order_by(OfferRun.id.desc())
        .limit(1)
    ).first()


def lock_run(session: Session, run_id: int) -> OfferRun:
    """Take the write lock on the run's row and read it afresh (two runners take turns)."""
    session.execute(
        update(RUNS).where(RUNS.c.id == run_id).values(cursor_customer_id=RUNS.c.cursor_customer_id)
    )
    run = run_by_id(session, run_id)
    assert run is not None
    return run


def count_customers(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Customer)) or 0)


def customer_ids_after(session: Session, after: int, limit: int) -> list[int]:
    """The next ``limit`` customer ids above ``after``, ascending."""
    return list(
        session.scalars(
            select(Customer.id).where(Customer.id > after).order_by(Customer.id).limit(limit)
        )
    )


def delete_offers_after(session: Session, run_id: int, cursor: int) -> int:
    """Drop a run's offers of customers past its cursor (a crashed chunk that did commit half)."""
    result = session.execute(
        delete(OFFERS).where(OFFERS.c.run_id == run_id, OFFERS.c.customer_id > cursor)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def insert_offers(session: Session, columns: Mapping[str, Any]) -> int:
    """Write offers column-wise (one bulk insert)."""
    if not len(columns["customer_id"]):
        return 0
    return bulk_insert(session.connection(), OFFERS, columns)


# --- products and facts ---------------------------------------------------------------------------


def active_products(session: Session) -> list[LoanProduct]:
    return list(
        session.scalars(
            select(LoanProduct)
            .where(LoanProduct.status == ProductStatus.ACTIVE)
            .order_by(LoanProduct.id)
        )
    )


def typical_loans(session: Session) -> dict[int, tuple[int, int]]:
    """Per product the median amount (fen) and term (months) of its applications."""
    rows = session.execute(
        select(Application.product_id, Application.amount_fen, Application.term_months)
    ).all()
    if not rows:
        return {}
    frame = pd.DataFrame(rows, columns=["product_id", "amount_fen", "term_months"])
    medians = frame.groupby("product_id").median()
    return {
        int(pid): (round(float(a)), round(float(t)))
        for pid, a, t in zip(
            medians.index, medians["amount_fen"], medians["term_months"], strict=True
        )
    }


def amount_quantiles(session: Session, quantiles: Sequence[float]) -> dict[int, list[int]]:
    """Per product the ``quantiles`` of the amounts (fen) of its applications."""
    rows = session.execute(select(Application.product_id, Application.amount_fen)).all()
    if not rows:
        return {}
    frame = pd.DataFrame(rows, columns=["product_id", "amount_fen"]).astype(float)
    qs = np.asarray(quantiles, dtype=float)
    table = frame.groupby("product_id")["amount_fen"].quantile(qs).unstack()
    return {int(cast(float, pid)): [round(float(v)) for v in table.loc[pid]] for pid in table.index}


def policy_facts(
    session: Session, ids: Sequence[int], as_of: date, window_days: int
) -> pd.DataFrame:
    """Per customer of ``ids``: days since the latest declined application (NaN: none) and the
    contacts in the ``window_days`` days up to ``as_of`` (index customer_id)."""
    end = day_end(as_of)
    declined = session.execute(
        select(Application.customer_id, func.max(Application.decided_at))
        .where(
            Application.customer_id.in_(ids),
            Application.status == ApplicationStatus.DECLINED,
            Application.decided_at < end,
        )
        .group_by(Application.customer_id)
    ).all()
    start = end - timedelta(days=window_days)
    contacts = session.execute(
        select(CampaignTarget.customer_id, func.count())
        .where(
            CampaignTarget.customer_id.in_(ids),
            CampaignTarget.contacted_at >= start,
            CampaignTarget.contacted_at < end,
        )
        .group_by(CampaignTarget.customer_id)
    ).all()
    frame = pd.DataFrame(index=pd.Index(list(ids), name="customer_id"))
    last = {cid: at for cid, at in declined if at is not None}
    frame["days_since_decline"] = [
        np.nan if cid not in last else float((end - _aware(last[cid])).days) for cid in frame.index
    ]
    counts = dict(contacts)
    frame["contacts_in_window"] = [float(counts.get(cid, 0)) for cid in frame.index]
    return frame


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def contact_history(session: Session, as_of: date) -> pd.DataFrame:
    """The treated targets of campaigns that started before ``as_of``: the customer, the day
    before the campaign started (features are read as of then), the offered product's type, the
    channel and whether they responded by the end of ``as_of``."""
    t, c, p = CampaignTarget, Campaign, LoanProduct
    rows = session.execute(
        select(
            t.customer_id,
            c.starts_on,
            p.product_type,
            t.channel,
            case((and_(t.responded.is_(True), t.responded_at < day_end(as_of)), 1), else_=0),
        )
        .join(c, c.id == t.campaign_id)
        .join(p, p.id == func.coalesce(t.offer_product_id, c.product_id))
        .where(
            t.group == TargetGroup.TREATMENT,
            t.contacted_at.is_not(None),
            c.starts_on < as_of,
        )
        .order_by(t.id)
    ).all()
    frame = pd.DataFrame(
        rows, columns=["customer_id", "starts_on", "product_type", "channel", "responded"]
    )
    frame["product_type"] = frame["product_type"].map(lambda v: getattr(v, "value", v))
    frame["channel"] = frame["channel"].map(lambda v: getattr(v, "value", v))
    frame["features_on"] = frame["starts_on"].map(lambda d: d - timedelta(days=1))
    frame["responded"] = frame["responded"].astype(int)
    return frame


# --- reading offers ---------------------------------------------------------------------------------


def customer_by_no(session: Session, customer_no: str) -> Customer | None:
    return session.scalars(select(Customer).where(Customer.customer_no == customer_no)).first()


def offers_of(session: Session, run_id: int, customer_id: int) -> list[Offer]:
    return list(
        session.scalars(
            select(Offer)
            .where(Offer.run_id == run_id, Offer.customer_id == customer_id)
            .order_by(Offer.rank)
        )
    )


def by_product_channel(session: Session, run_id: int) -> list[dict[str, Any]]:
    """Per product × channel of a run: offers, first-ranked offers and expected profit (fen)."""
    o = Offer
    rows = session.execute(
        select(
            o.product_id,
            o.channel,
            func.count(),
            func.sum(case((o.rank == 1, 1), else_=0)),
            func.sum(o.expected_profit_fen),
            func.sum(o.contact_cost_fen),
        )
        .where(o.run_id == run_id)
        .group_by(o.product_id, o.channel)
        .order_by(o.product_id, o.channel)
    ).all()
    return [
        {
            "product_id": int(pid),
            "channel": getattr(ch, "value", ch),
            "offers": int(n),
            "first": int(first or 0),
            "expected_profit_fen": int(profit or 0),
            "contact_cost_fen": int(cost or 0),
        }
        for pid, ch, n, first, profit, cost in rows
    ]
