"""SQL of market analysis: market sizes, competitors and their observed products. Everything here
reads or adds; the service decides. Period arithmetic (which labels overlap) is done in Python on
the few rows of a product line and region, so the SQL stays portable."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from loanpilot.kit.errors import ValidationError
from loanpilot.kit.periods import Period, parse_period
from loanpilot.market.models import Competitor, CompetitorProduct, MarketSize, ProductLine


def size(session: Session, size_id: int) -> MarketSize | None:
    return session.get(MarketSize, size_id)


def sizes(
    session: Session, *, line: str | None = None, region: str | None = None
) -> list[MarketSize]:
    """Market sizes of a line and/or region (all when None), latest period label first."""
    query = select(MarketSize)
    if line:
        query = query.where(MarketSize.product_line == ProductLine(line))
    if region:
        query = query.where(MarketSize.region == region)
    query = query.order_by(
        MarketSize.period.desc(), MarketSize.product_line, MarketSize.region, MarketSize.id
    )
    return list(session.scalars(query))


def stored_sizes(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], dict[Period, MarketSize]]:
    """The stored sizes of each (line, region) key, by period (labels that no longer parse are
    left out: nothing can overlap them)."""
    out: dict[tuple[str, str], dict[Period, MarketSize]] = {key: {} for key in keys}
    if not keys:
        return out
    regions = sorted({region for _, region in keys})
    query = select(MarketSize).where(MarketSize.region.in_(regions))
    for row in session.scalars(query):
        key = (row.product_line.value, row.region)
        if key not in out:
            continue
        period = _period_or_none(row.period)
        if period is not None:
            out[key][period] = row
    return out


def _period_or_none(label: str) -> Period | None:
    try:
        return parse_period(label)
    except ValidationError:
        return None


def regions(session: Session) -> list[str]:
    return list(session.scalars(select(MarketSize.region).distinct().order_by(MarketSize.region)))


def period_labels(session: Session) -> list[str]:
    return list(session.scalars(select(MarketSize.period).distinct().order_by(MarketSize.period)))


# --- competitors ------------------------------------------------------------------------------------


def competitors(session: Session) -> list[Competitor]:
    return list(session.scalars(select(Competitor).order_by(Competitor.kind, Competitor.name)))


def competitors_named(session: Session, names: Iterable[str]) -> dict[str, Competitor]:
    """Competitors by name and by short name (a name wins over another's short name)."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    query = select(Competitor).where(
        or_(Competitor.name.in_(wanted), Competitor.short_name.in_(wanted))
    )
    found = list(session.scalars(query))
    out = {c.short_name: c for c in found if c.short_name in wanted}
    out.update({c.name: c for c in found if c.name in wanted})
    return out


def known_competitor_names(session: Session) -> set[str]:
    rows = session.execute(select(Competitor.name, Competitor.short_name)).all()
    return {name for row in rows for name in row}


def products_keyed(
    session: Session, keys: Collection[tuple[int, str, date]]
) -> dict[tuple[int, str, date], CompetitorProduct]:
    """Stored observations by (competitor id, product name, observation date)."""
    if not keys:
        return {}
    query = select(CompetitorProduct).where(
        tuple_(
            CompetitorProduct.competitor_id, CompetitorProduct.name, CompetitorProduct.observed_on
        ).in_(list(keys))
    )
    return {(p.competitor_id, p.name, p.observed_on): p for p in session.scalars(query)}


@dataclass(frozen=True)
class Observation:
    """A competitor product as observed, with its competitor's names and kind."""

    product: CompetitorProduct
    competitor: Competitor


def observations(
    session: Session,
    *,
    since: date | None = None,
    until: date | None = None,
    line: str | None = None,
    subtype: str | None = None,
    competitor_id: int | None = None,
) -> list[Observation]:
    """Competitor products observed between ``since`` and ``until`` (inclusive), latest first."""
    query = select(CompetitorProduct, Competitor).join(
        Competitor, Competitor.id == CompetitorProduct.competitor_id
    )
    if since is not None:
        query = query.where(CompetitorProduct.observed_on >= since)
    if until is not None:
        query = query.where(CompetitorProduct.observed_on <= until)
    if line:
        query = query.where(CompetitorProduct.product_line == ProductLine(line))
    if subtype:
        query = query.where(CompetitorProduct.subtype == subtype)
    if competitor_id is not None:
        query = query.where(CompetitorProduct.competitor_id == competitor_id)
    query = query.order_by(
        CompetitorProduct.observed_on.desc(), Competitor.name, CompetitorProduct.name
    )
    return [Observation(p, c) for p, c in session.execute(query)]
