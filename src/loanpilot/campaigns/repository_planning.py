"""The SQL of campaign planning: the options a plan chooses from (the latest offer run's offers),
the campaign's arms, audience and windows, the plans, the target list and its export rows.

Long ``IN`` lists are sent in chunks, which every backend accepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, delete, func, insert, not_, select, update
from sqlalchemy.orm import Session

from loanpilot.campaigns.models import (
    Campaign,
    CampaignOffer,
    CampaignPlan,
    CampaignSegment,
    CampaignTarget,
    CampaignWindow,
    TargetGroup,
)
from loanpilot.campaigns.repository import contactable_clause
from loanpilot.customers.models import Customer
from loanpilot.customers.models_segments import (
    CustomerSegment,
    RunStatus,
    Segment,
    SegmentKind,
    SegmentRun,
)
from loanpilot.products.models import LoanProduct
from loanpilot.products.models_offers import Offer, OfferRun
from loanpilot.team.models import Branch

CHUNK = 5_000

OPTION_COLUMNS = (
    "offer_id",
    "customer_id",
    "product_id",
    "channel",
    "expected_profit_fen",
    "contact_cost_fen",
    "uplift",
)


def _chunks(values: Sequence[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


# --- campaign, arms, audience ---------------------------------------------------------------------


def campaign(session: Session, campaign_id: int) -> Campaign | None:
    return session.get(Campaign, campaign_id)


def lock_campaign(session: Session, campaign_id: int) -> Campaign | None:
    """The campaign, locked until the transaction ends, so that whatever reads its list next
    (apply, replace) is serialised with every other writer of that list.

    PostgreSQL: ``SELECT … FOR UPDATE``. SQLite ignores ``FOR UPDATE`` and begins its transaction
    at the first write, so a no-op ``UPDATE`` of the row comes first: it takes the database's
    write lock (a concurrent writer waits for the busy timeout), and every read after it sees the
    latest committed list. Pending changes are flushed first (the row is read afresh)."""
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(id=Campaign.id)
            .execution_options(synchronize_session=False)
        )
    return session.scalars(
        select(Campaign)
        .where(Campaign.id == campaign_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def arms(session: Session, campaign_id: int) -> list[CampaignOffer]:
    return list(
        session.scalars(
            select(CampaignOffer)
            .where(CampaignOffer.campaign_id == campaign_id)
            .order_by(CampaignOffer.arm)
        )
    )


def audience_segments(session: Session, campaign_id: int) -> list[CampaignSegment]:
    return list(
        session.scalars(
            select(CampaignSegment)
            .where(CampaignSegment.campaign_id == campaign_id)
            .order_by(CampaignSegment.segment_run_id, CampaignSegment.segment_code)
        )
    )


def audience_customers(session: Session, run_id: int, codes: Sequence[str]) -> set[int]:
    """The customers in ``codes`` of segmentation run ``run_id``."""
    rows = session.scalars(
        select(CustomerSegment.customer_id).where(
            CustomerSegment.run_id == run_id, CustomerSegment.segment_code.in_(list(codes))
        )
    )
    return set(rows)


def windows(session: Session, campaign_id: int) -> list[CampaignWindow]:
    return list(
        session.scalars(
            select(CampaignWindow)
            .where(CampaignWindow.campaign_id == campaign_id)
            .order_by(CampaignWindow.starts_on, CampaignWindow.id)
        )
    )


# --- offer and segment runs -----------------------------------------------------------------------


def latest_offer_run(session: Session) -> OfferRun | None:
    """The newest finished next-best-offer run."""
    return session.scalars(
        select(OfferRun)
        .where(OfferRun.status == RunStatus.DONE)
        .order_by(OfferRun.as_of.desc(), OfferRun.id.desc())
        .limit(1)
    ).first()


def segment_run(session: Session, run_id: int) -> SegmentRun | None:
    return session.get(SegmentRun, run_id)


def current_segment_run(session: Session) -> SegmentRun | None:
    """The current segmentation: the rule segments' if there is one, else the clusters'."""
    runs = session.scalars(
        select(SegmentRun).where(
            SegmentRun.is_current.is_(True), SegmentRun.status == RunStatus.DONE
        )
    ).all()
    ranked = sorted(runs, key=lambda r: (r.kind is not SegmentKind.RULES, -r.id))
    return ranked[0] if ranked else None


def segments_of_run(session: Session, run_id: int) -> list[Segment]:
    return list(
        session.scalars(select(Segment).where(Segment.run_id == run_id).order_by(Segment.code))
    )


def customer_segment_codes(session: Session, run_id: int, customer_ids: Sequence[int]) -> pd.Series:
    """``customer_id`` → segment code in run ``run_id`` (customers without one left out)."""
    ids = sorted(set(customer_ids))
    pairs: list[tuple[int, str]] = []
    for chunk in _chunks(ids):
        pairs.extend(
            session.execute(
                select(CustomerSegment.customer_id, CustomerSegment.segment_code).where(
                    CustomerSegment.run_id == run_id, CustomerSegment.customer_id.in_(chunk)
                )
            )
        )
    return pd.Series([code for _, code in pairs], index=[cid for cid, _ in pairs], dtype="object")


def products(session: Session) -> list[LoanProduct]:
    return list(session.scalars(select(LoanProduct).order_by(LoanProduct.id)))


# --- options --------------------------------------------------------------------------------------


def offer_options(session: Session, run_id: int) -> pd.DataFrame:
    """Every offer of run ``run_id`` as one option row (columns :data:`OPTION_COLUMNS`)."""
    rows = session.execute(
        select(
            Offer.id,
            Offer.customer_id,
            Offer.product_id,
            Offer.channel,
            Offer.expected_profit_fen,
            Offer.contact_cost_fen,
            Offer.uplift,
        )
        .where(Offer.run_id == run_id)
        .order_by(Offer.customer_id, Offer.rank)
    ).all()
    frame = pd.DataFrame(rows, columns=list(OPTION_COLUMNS))
    if not frame.empty:
        frame["channel"] = frame["channel"].map(lambda c: getattr(c, "value", c))
    return frame


def offers_by_ids(session: Session, offer_ids: Sequence[int]) -> pd.DataFrame:
    """The offers ``offer_ids`` (columns :data:`OPTION_COLUMNS`), in id order."""
    rows: list[Any] = []
    for chunk in _chunks(sorted(set(offer_ids))):
        rows.extend(
            session.execute(
                select(
                    Offer.id,
                    Offer.customer_id,
                    Offer.product_id,
                    Offer.channel,
                    Offer.expected_profit_fen,
                    Offer.contact_cost_fen,
                    Offer.uplift,
                ).where(Offer.id.in_(chunk))
            ).all()
        )
    frame = pd.DataFrame(rows, columns=list(OPTION_COLUMNS))
    if not frame.empty:
        frame["channel"] = frame["channel"].map(lambda c: getattr(c, "value", c))
    return frame.sort_values("offer_id").reset_index(drop=True)


@dataclass(frozen=True)
class Contactable:
    """Why customers may not be contacted (PIPL: consent, opt-out; and the blacklist)."""

    no_consent: set[int]
    opted_out: set[int]
    blacklisted: set[int]

    def blocked(self) -> set[int]:
        return self.no_consent | self.opted_out | self.blacklisted


def contactable(session: Session, customer_ids: Iterable[int]) -> Contactable:
    """Which of ``customer_ids`` lack marketing consent, opted out or are blacklisted, now."""
    ids = sorted(set(customer_ids))
    no_consent: set[int] = set()
    opted_out: set[int] = set()
    blacklisted: set[int] = set()
    for chunk in _chunks(ids):
        for cid, consent, opted, black in session.execute(
            select(
                Customer.id,
                Customer.marketing_consent,
                Customer.opted_out_at,
                Customer.is_blacklisted,
            ).where(Customer.id.in_(chunk))
        ):
            if opted is not None:
                opted_out.add(cid)
            elif not consent:
                no_consent.add(cid)
            elif black:
                blacklisted.add(cid)
    return Contactable(no_consent, opted_out, blacklisted)


# --- plans and targets ----------------------------------------------------------------------------


def plan(session: Session, plan_id: int, *, for_update: bool = False) -> CampaignPlan | None:
    if for_update:
        return session.scalars(
            select(CampaignPlan)
            .where(CampaignPlan.id == plan_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
    return session.get(CampaignPlan, plan_id)


def plans_of(session: Session, campaign_id: int, limit: int = 20) -> list[CampaignPlan]:
    return list(
        session.scalars(
            select(CampaignPlan)
            .where(CampaignPlan.campaign_id == campaign_id)
            .order_by(CampaignPlan.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class TargetCounts:
    total: int
    worked: int  # contacted, responded or applied: a list being worked is never replaced
    plan_ids: set[int | None]


def target_counts(session: Session, campaign_id: int) -> TargetCounts:
    where = CampaignTarget.campaign_id == campaign_id
    total = session.scalar(select(func.count()).select_from(CampaignTarget).where(where)) or 0
    worked = (
        session.scalar(
            select(func.count())
            .select_from(CampaignTarget)
            .where(
                where,
                (CampaignTarget.contacted_at.is_not(None))
                | CampaignTarget.responded.is_(True)
                | CampaignTarget.application_id.is_not(None),
            )
        )
        or 0
    )
    plan_ids = set(session.scalars(select(CampaignTarget.plan_id).where(where).distinct()))
    return TargetCounts(total, worked, plan_ids)


def delete_targets(session: Session, campaign_id: int) -> int:
    result = session.execute(
        delete(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def insert_targets(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(CampaignTarget), list(rows[start : start + CHUNK]))
    session.flush()


def group_counts(session: Session, campaign_id: int) -> dict[str, int]:
    rows = session.execute(
        select(CampaignTarget.group, func.count())
        .where(CampaignTarget.campaign_id == campaign_id)
        .group_by(CampaignTarget.group)
    )
    return {getattr(g, "value", str(g)): int(n) for g, n in rows}


# --- export rows ----------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "customer_id",
    "customer_no",
    "name",
    "phone_enc",
    "branch_code",
    "branch_name",
    "product_code",
    "product_name_zh",
    "product_name_en",
    "channel",
    "arm",
    "segment_code",
)


@dataclass(frozen=True)
class ExportRows:
    rows: pd.DataFrame  # columns EXPORT_COLUMNS
    excluded: int  # treated targets on the list's channels (in scope) who may not be contacted now


def export_rows(
    session: Session,
    campaign_id: int,
    channels: Sequence[str],
    scope: ColumnElement[bool] | None = None,
) -> ExportRows:
    """The treated targets of ``campaign_id`` reached through ``channels`` who may be contacted
    now and are in ``scope`` (None: the whole bank), with the customer, home branch and product.
    The hold-out is never contacted, so never exported; customers who withdrew consent, opted out
    or were blacklisted since the list was drawn are left out and counted."""
    where = [
        CampaignTarget.campaign_id == campaign_id,
        CampaignTarget.group == TargetGroup.TREATMENT,
        CampaignTarget.channel.in_(list(channels)),
    ]
    if scope is not None:
        where.append(scope)
    rows = session.execute(
        select(
            Customer.id,
            Customer.customer_no,
            Customer.name,
            Customer.phone_enc,
            Branch.code,
            Branch.name,
            LoanProduct.code,
            LoanProduct.name_zh,
            LoanProduct.name_en,
            CampaignTarget.channel,
            CampaignTarget.arm,
            CampaignTarget.segment_code,
        )
        .join(Customer, Customer.id == CampaignTarget.customer_id)
        .outerjoin(Branch, Branch.id == Customer.home_branch_id)
        .outerjoin(LoanProduct, LoanProduct.id == CampaignTarget.offer_product_id)
        .where(*where, contactable_clause())
        .order_by(Branch.code, Customer.customer_no)
    ).all()
    excluded = session.scalar(
        select(func.count())
        .select_from(CampaignTarget)
        .join(Customer, Customer.id == CampaignTarget.customer_id)
        .where(*where, not_(contactable_clause()))
    )
    frame = pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))
    if not frame.empty:
        frame["channel"] = frame["channel"].map(lambda c: getattr(c, "value", c))
    return ExportRows(frame, int(excluded or 0))


def plan_rows(session: Session, offer_ids: Sequence[int]) -> ExportRows:
    """The offers ``offer_ids`` of a plan whose customer may be contacted now, with the customer,
    home branch and product; ``excluded``: the offers of customers who may not be any more."""
    rows: list[Any] = []
    excluded = 0
    for chunk in _chunks(sorted(set(offer_ids))):
        rows.extend(
            session.execute(
                select(
                    Customer.id,
                    Customer.customer_no,
                    Customer.name,
                    Customer.phone_enc,
                    Branch.code,
                    Branch.name,
                    LoanProduct.code,
                    LoanProduct.name_zh,
                    LoanProduct.name_en,
                    Offer.channel,
                    Offer.expected_profit_fen,
                    Offer.uplift,
                )
                .join(Customer, Customer.id == Offer.customer_id)
                .outerjoin(Branch, Branch.id == Customer.home_branch_id)
                .join(LoanProduct, LoanProduct.id == Offer.product_id)
                .where(Offer.id.in_(chunk), contactable_clause())
            ).all()
        )
        excluded += int(
            session.scalar(
                select(func.count())
                .select_from(Offer)
                .join(Customer, Customer.id == Offer.customer_id)
                .where(Offer.id.in_(chunk), not_(contactable_clause()))
            )
            or 0
        )
    columns = [*EXPORT_COLUMNS[:10], "expected_profit_fen", "uplift"]
    frame = pd.DataFrame(rows, columns=columns)
    if not frame.empty:
        frame["channel"] = frame["channel"].map(lambda c: getattr(c, "value", c))
    return ExportRows(
        frame.sort_values(["branch_code", "customer_no"]).reset_index(drop=True), excluded
    )


def groups_of(session: Session, campaign_id: int, plan_id: int | None = None) -> dict[int, str]:
    """``customer_id`` → treatment / control on the campaign's list (drawn by ``plan_id``)."""
    where = [CampaignTarget.campaign_id == campaign_id]
    if plan_id is not None:
        where.append(CampaignTarget.plan_id == plan_id)
    rows = session.execute(select(CampaignTarget.customer_id, CampaignTarget.group).where(*where))
    return {cid: getattr(g, "value", str(g)) for cid, g in rows}
