"""Market share for the KPI suite: our balance at period end ÷ the market's, by line and region.

The market rows that stand for a period: its own label first, then the finest period (month,
quarter, half, year) holding its last day (a stock at a quarter's end stands for its months).
Only lines and regions with market data count, on both sides of the ratio. Under a branch scope
the market is that of the branches' provinces. By branch, a branch's balance is divided by its
whole province's market (the branch's territory), so branches of one province do not add up to
the province.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from loanpilot.evaluation import repository_kpis_stocks as stocks
from loanpilot.evaluation.repository import Slice
from loanpilot.evaluation.repository_kpis import Row
from loanpilot.kit.periods import Period, PeriodKind

_KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "half", "year")


def market_labels(period: Period) -> list[str]:
    """The market periods that may stand for ``period``'s end, best first."""
    labels = [period.label]
    for kind in _KINDS:
        label = Period.containing(period.last_day, kind).label
        if label not in labels:
            labels.append(label)
    return labels


def market_share_rows(
    session: Session,
    period: Period,
    day: date | None,
    dimension: str,
    where: Slice,
    *,
    branches: dict[int, tuple[str, str, str]],
    products: dict[int, tuple[str, str, str]],
) -> list[Row] | None:
    """(raw key, our balance, market balance) rows; None when no market row stands for the
    period. ``day`` is the close snapshot to read (None: the live book)."""
    labels = market_labels(period)
    rank = {label: i for i, label in enumerate(labels)}
    market: dict[tuple[str, str], tuple[int, int]] = {}  # (line, region) → (rank, balance)
    for label, line, region, total in stocks.market_rows(session, labels):
        if (line, region) not in market or rank[label] < market[line, region][0]:
            market[line, region] = (rank[label], total)
    if not market:
        return None
    if where.branch_ids is not None:
        provinces = {branches[b][2] for b in where.branch_ids if b in branches}
        market = {k: v for k, v in market.items() if k[1] in provinces}
    ours: dict[tuple[str, str], dict[int, int]] = {}  # (line, region) → branch id → balance
    for branch_id, product_id, fen in stocks.balance_by_branch_product(session, day, where):
        region = branches.get(branch_id, ("", "", ""))[2]
        line = products.get(product_id, ("", "", ""))[2]
        if (line, region) in market:
            per_branch = ours.setdefault((line, region), {})
            per_branch[branch_id] = per_branch.get(branch_id, 0) + fen
    if dimension == "branch":
        region_market: dict[str, int] = {}
        for (_line, region), (_, total) in market.items():
            region_market[region] = region_market.get(region, 0) + total
        by_branch: dict[int, int] = {}
        for per_branch in ours.values():
            for branch_id, fen in per_branch.items():
                by_branch[branch_id] = by_branch.get(branch_id, 0) + fen
        return [(b, fen, region_market[branches[b][2]]) for b, fen in by_branch.items()]
    rows: list[Row] = []
    for (line, region), (_, total) in market.items():
        fen = sum(ours.get((line, region), {}).values())
        raw = None if dimension == "all" else region if dimension == "region" else line
        rows.append((raw, fen, total))
    return rows
