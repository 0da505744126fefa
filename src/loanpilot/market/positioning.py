"""Rate positioning (利率定位): each of our products' APR against the competitors' APRs for the same
subtype, the subtypes competitors offer and we do not, and the features they advertise.

Our APR is the products area's own: ``products.service.catalogue_entries`` prices each active
product's representative loan at its lowest spread (``PriceRange.min_apr``, the "from" APR the
catalogue shows; a 组合贷 over its parts), never recomputed here. A competitor product counts by
its latest observation on or before ``as_of`` and no older than :data:`MAX_AGE_DAYS`; only
observations that state an APR enter the APR range (``without_apr`` counts the others).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.market import market_rules as rules
from loanpilot.market import repository as repo

#: Observations older than this (before ``as_of``) are stale and left out.
MAX_AGE_DAYS = 366


@dataclass(frozen=True)
class CompetitorQuote:
    competitor: str
    short_name: str
    product: str
    subtype: str
    apr: Decimal | None
    min_annual_rate: Decimal
    observed_on: date


@dataclass(frozen=True)
class FeatureCount:
    feature: str
    products: int  # competitor products advertising it


@dataclass(frozen=True)
class ProductPosition:
    """One of our products against the competitors of its subtype."""

    product_id: int
    code: str
    name_zh: str
    name_en: str
    product_line: str
    subtype: str
    our_apr: Decimal | None
    our_min_rate: Decimal | None
    competitors: rules.RangeStats | None
    percentile: Decimal | None  # share of competitor APRs below ours (ties count half)
    position: rules.Position | None
    without_apr: int
    quotes: tuple[CompetitorQuote, ...]
    features: tuple[FeatureCount, ...]


@dataclass(frozen=True)
class SubtypeGap:
    """A subtype competitors offer and we do not (no active product of ours)."""

    subtype: str
    product_line: str
    competitors: rules.RangeStats | None
    products: tuple[str, ...]  # "short name·product"
    features: tuple[FeatureCount, ...]


def _since(as_of: date) -> date:
    return date.fromordinal(max(as_of.toordinal() - MAX_AGE_DAYS, 1))


def latest_observations(session: Session, as_of: date) -> list[repo.Observation]:
    """Each competitor product's latest observation on or before ``as_of`` (not stale), latest
    first."""
    seen: set[tuple[int, str]] = set()
    out = []
    for obs in repo.observations(session, since=_since(as_of), until=as_of):  # latest first
        key = (obs.competitor.id, obs.product.name)
        if key not in seen:
            seen.add(key)
            out.append(obs)
    return out


def _quote(obs: repo.Observation) -> CompetitorQuote:
    p = obs.product
    return CompetitorQuote(obs.competitor.name, obs.competitor.short_name, p.name, p.subtype,
                           p.apr, p.min_annual_rate, p.observed_on)  # fmt: skip


def latest_quotes(session: Session, as_of: date) -> list[CompetitorQuote]:
    """The latest observations as quotes."""
    return [_quote(o) for o in latest_observations(session, as_of)]


def _features(observed: list[repo.Observation]) -> dict[str, tuple[FeatureCount, ...]]:
    counts: dict[str, Counter[str]] = {}
    for obs in observed:
        counts.setdefault(obs.product.subtype, Counter()).update(set(obs.product.features or []))
    return {
        sub: tuple(FeatureCount(f, n) for f, n in sorted(c.items(), key=lambda x: (-x[1], x[0])))
        for sub, c in counts.items()
    }


def _by_subtype(quotes: list[CompetitorQuote]) -> dict[str, list[CompetitorQuote]]:
    out: dict[str, list[CompetitorQuote]] = {}
    for q in quotes:
        out.setdefault(q.subtype, []).append(q)
    return out


def positioning(session: Session, as_of: date) -> list[ProductPosition]:
    """Every active product of ours, in catalogue order, with its position (see the module)."""
    from loanpilot.products import service as products

    entries = products.catalogue_entries(session, products.list_products(session), as_of)
    observed = latest_observations(session, as_of)
    quotes = _by_subtype([_quote(o) for o in observed])
    features = _features(observed)
    out = []
    for entry in entries:
        product, price = entry.product, entry.price
        subtype = product.subtype.value
        mine = sorted(quotes.get(subtype, []), key=lambda q: (q.apr is None, q.apr, q.competitor))
        aprs = [q.apr for q in mine if q.apr is not None]
        stats = rules.range_stats(aprs)
        ours = price.min_apr
        out.append(
            ProductPosition(
                product_id=product.id, code=product.code, name_zh=product.name_zh,
                name_en=product.name_en, product_line=product.product_type.value, subtype=subtype,
                our_apr=ours, our_min_rate=price.min_rate, competitors=stats,
                percentile=rules.percentile_rank(ours, aprs) if ours is not None else None,
                position=rules.position(ours, stats) if ours is not None and stats else None,
                without_apr=len(mine) - len(aprs), quotes=tuple(mine),
                features=features.get(subtype, ()),
            )
        )  # fmt: skip
    return out


def gaps(session: Session, as_of: date) -> list[SubtypeGap]:
    """Subtypes competitors offer (latest observations) with no active product of ours."""
    from loanpilot.products import service as products

    ours = {p.subtype.value for p in products.list_products(session)}
    observed = latest_observations(session, as_of)
    quotes = _by_subtype([_quote(o) for o in observed])
    features = _features(observed)
    out = []
    for subtype in sorted(set(quotes) - ours):
        found = quotes[subtype]
        stats = rules.range_stats([q.apr for q in found if q.apr is not None])
        out.append(
            SubtypeGap(
                subtype, rules.SUBTYPE_LINE.get(subtype, ""), stats,
                tuple(sorted(f"{q.short_name}·{q.product}" for q in found)),
                features.get(subtype, ()),
            )
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class SubtypePoint:
    """One subtype of the positioning chart: our lowest APR against the competitors' range."""

    subtype: str
    our_apr: Decimal | None
    competitors: rules.RangeStats


def chart_points(rows: list[ProductPosition]) -> list[SubtypePoint]:
    """Per subtype with competitors: our lowest APR over our products of it, their range."""
    out: dict[str, SubtypePoint] = {}
    for row in rows:
        if row.competitors is None:
            continue
        known = out.get(row.subtype)
        aprs = [a for a in (row.our_apr, known.our_apr if known else None) if a is not None]
        out[row.subtype] = SubtypePoint(row.subtype, min(aprs) if aprs else None, row.competitors)
    return list(out.values())
