"""Attribution of online traffic and referrals to campaigns.

UTM tags. A visitor who lands on the portal with ``utm_source``, ``utm_medium``, ``utm_campaign``,
``utm_content`` or ``utm_term`` in the URL keeps them: the portal pages copy them into a
short-lived cookie (``lp_utm``, 7 days, HttpOnly, SameSite=Lax) and into hidden fields of the
application form. A tag is kept only if it is 1–64 characters of letters (CJK included), digits
and ``. _ - ~ +``; anything else is dropped silently (tracking parameters never make a page fail).
When the application is submitted, a lead is created with those tags (source channel online,
status converted, linked to the application by ``applications.lead_id``), attributed to the
campaign whose code equals ``utm_campaign`` (``leads.campaign_id`` and
``applications.campaign_id``); an unknown code is kept as a tag, with no campaign.

Referral credit. When a referred lead (a referring customer or member of staff) has converted to a
disbursed loan, its referrer is credited ``DEFAULT_REFERRAL_CREDIT_FEN`` (¥200, a documented
default a bank sets by policy) once: ``referrer_credit_fen`` and ``credited_at`` are set.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loanpilot.campaigns.models import Campaign
from loanpilot.channels.models import Lead, LeadStatus
from loanpilot.customers.models import Channel, Customer
from loanpilot.lending.models import Application, Loan
from loanpilot.lending.rules import numbered

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
UTM_COOKIE = "lp_utm"
UTM_COOKIE_SECONDS = 7 * 24 * 3600
_TAG = re.compile(r"^[0-9A-Za-z._~+\-\u4e00-\u9fff]{1,64}$")
#: The credit a referrer earns for a referred lead that became a disbursed loan (fen; ¥200).
DEFAULT_REFERRAL_CREDIT_FEN = 20_000
LEAD_PREFIX = "LW"  # lead numbers made by the portal: LW + date + eight digits

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UtmTags:
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def as_dict(self) -> dict[str, str]:
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name))}


def valid_tag(value: str | None) -> str | None:
    """The tag trimmed, or None when it is empty or not 1–64 allowed characters."""
    if value is None:
        return None
    value = value.strip()
    return value if _TAG.fullmatch(value) else None


def parse_tags(values: Mapping[str, Any]) -> UtmTags:
    """The valid UTM tags among ``values`` (a query string, form or cookie's pairs)."""
    return UtmTags(**{k: valid_tag(str(values[k])) for k in UTM_FIELDS if values.get(k)})


def encode_cookie(tags: UtmTags) -> str:
    return urlencode(tags.as_dict())


def decode_cookie(raw: str | None) -> UtmTags:
    if not raw or len(raw) > 1024:
        return UtmTags()
    return parse_tags(dict(parse_qsl(raw)))


def landing_tags(query: Mapping[str, Any], cookie: str | None) -> tuple[UtmTags, bool]:
    """The tags of this visit: the URL's when it carries any (``True``: remember them), else
    the cookie's."""
    from_query = parse_tags(query)
    if from_query.any():
        return from_query, True
    return decode_cookie(cookie), False


def remember(response: Any, tags: UtmTags, *, secure: bool) -> None:
    """Set the short-lived UTM cookie on ``response``."""
    response.set_cookie(
        UTM_COOKIE,
        encode_cookie(tags),
        max_age=UTM_COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def campaign_by_code(session: Session, code: str | None) -> Campaign | None:
    if not code:
        return None
    return session.execute(select(Campaign).where(Campaign.code == code)).scalar_one_or_none()


def attach_lead(
    session: Session, application: Application, tags: UtmTags, *, now: datetime, today: date
) -> Lead | None:
    """A converted online lead with ``tags`` for a just-submitted application, attributed to the
    campaign whose code is ``utm_campaign`` (flushed; None when there are no tags)."""
    if not tags.any() or application.lead_id is not None:
        return None
    customer = session.get(Customer, application.customer_id)
    campaign = campaign_by_code(session, tags.utm_campaign)
    for _attempt in range(3):
        savepoint = session.begin_nested()
        try:
            lead = Lead(
                lead_no=numbered(LEAD_PREFIX, today, secrets.randbelow(10**8)),
                customer_id=application.customer_id,
                name=customer.name if customer else "",
                phone_enc=customer.phone_enc if customer else None,
                phone_hash=customer.phone_hash if customer else None,
                source_channel=Channel.ONLINE,
                campaign_id=campaign.id if campaign else None,
                product_id=application.product_id,
                status=LeadStatus.CONVERTED,
                received_at=now,
                status_changed_at=now,
                **tags.as_dict(),
            )
            session.add(lead)
            session.flush()
            application.lead_id = lead.id
            if campaign is not None and application.campaign_id is None:
                application.campaign_id = campaign.id
            session.flush()
            savepoint.commit()
        except IntegrityError:  # the random lead number was taken: draw another
            savepoint.rollback()
            continue
        return lead
    _log.warning("no lead recorded for application %s", application.application_no)
    return None


def credit_referrals(
    session: Session, *, now: datetime, credit_fen: int = DEFAULT_REFERRAL_CREDIT_FEN
) -> int:
    """Credit the referrer of every referred lead that converted to a disbursed loan and has not
    been credited yet; returns how many were credited (flushed)."""
    disbursed = exists().where(
        Application.lead_id == Lead.id,
        (Application.status == "disbursed") | exists().where(Loan.application_id == Application.id),
    )
    stmt = select(Lead).where(
        Lead.credited_at.is_(None),
        Lead.referrer_customer_id.is_not(None) | Lead.referrer_staff_id.is_not(None),
        disbursed,
    )
    leads = list(session.execute(stmt).scalars())
    for lead in leads:
        lead.referrer_credit_fen = credit_fen
        lead.credited_at = now
    session.flush()
    return len(leads)
