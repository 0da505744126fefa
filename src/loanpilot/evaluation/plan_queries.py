"""SQL of the work plan's own chapters (portable ``select()``s; period bounds come in as UTC
instants or business dates): leads and referrals by source channel and partner, the campaigns of a
period and their spend, and the stored work plans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from loanpilot.campaigns.models import Campaign, CampaignStatus
from loanpilot.channels.models import Lead, LeadStatus, Partner


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


@dataclass(frozen=True)
class LeadRow:
    key: str
    leads: int
    converted: int
    referred: int
    credited_fen: int


def leads_by_channel(session: Session, start: datetime, end: datetime) -> list[LeadRow]:
    """Leads received in ``[start, end)`` by source channel: received, converted (an application
    was made), referred (by a customer or a member of staff), referral credit paid (fen)."""
    referred = (Lead.referrer_customer_id.is_not(None)) | (Lead.referrer_staff_id.is_not(None))
    stmt = (
        select(
            Lead.source_channel,
            func.count(Lead.id),
            func.sum(case((Lead.status == LeadStatus.CONVERTED, 1), else_=0)),
            func.sum(case((referred, 1), else_=0)),
            func.sum(func.coalesce(Lead.referrer_credit_fen, 0)),
        )
        .where(Lead.received_at >= start, Lead.received_at < end)
        .group_by(Lead.source_channel)
    )
    rows = [
        LeadRow(str(getattr(ch, "value", ch)), _int(n), _int(c), _int(r), _int(fen))
        for ch, n, c, r, fen in session.execute(stmt)
    ]
    return sorted(rows, key=lambda r: (-r.leads, r.key))


def leads_by_partner(
    session: Session, start: datetime, end: datetime, limit: int = 8
) -> list[tuple[str, str, int, int]]:
    """(partner name, kind, leads, converted) of the partners that brought the most leads."""
    stmt = (
        select(
            Partner.name,
            Partner.kind,
            func.count(Lead.id).label("n"),
            func.sum(case((Lead.status == LeadStatus.CONVERTED, 1), else_=0)),
        )
        .join(Partner, Partner.id == Lead.partner_id)
        .where(Lead.received_at >= start, Lead.received_at < end)
        .group_by(Partner.id, Partner.name, Partner.kind)
        .order_by(func.count(Lead.id).desc(), Partner.name)
        .limit(limit)
    )
    return [
        (str(n), str(getattr(k, "value", k)), _int(c), _int(v))
        for n, k, c, v in session.execute(stmt)
    ]


def campaigns_in(session: Session, start: date, end: date) -> list[Campaign]:
    """Campaigns whose window overlaps ``[start, end)`` and that were not cancelled, by start."""
    stmt = (
        select(Campaign)
        .where(
            and_(Campaign.starts_on < end, Campaign.ends_on >= start),
            Campaign.status != CampaignStatus.CANCELLED,
        )
        .order_by(Campaign.starts_on, Campaign.id)
    )
    return list(session.scalars(stmt))


def ids(values: Sequence[Campaign]) -> list[int]:
    return [c.id for c in values]
