"""Our market share, as the KPI suite defines it: the one adapter between market analysis and
``evaluation.kpis`` (KPI ``market_share``). Every share the market pages, API and work-plan chapter
show comes from here, so they agree with the KPI dashboard to the fen.

By product line or region: ``kpis.compute(..., dimension="product_line" | "region" | "all")``. Line ×
region: the product-line cut restricted to the branches of one province (``Slice.branch_ids``): the
KPI then counts only that province's market and the loans booked at its branches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.kit.periods import Period
from loanpilot.team.models import Branch

KPI_CODE = "market_share"
Dimension = Literal["all", "region", "product_line"]


@dataclass(frozen=True)
class Share:
    """Our share of one slice of the market in one period (value None without market data)."""

    period: str
    dimension: str  # all | region | product_line | line_region
    key: str  # all; a province; a product line; "line|province"
    label: str
    line: str | None
    region: str | None
    value: Decimal | None
    ours_fen: int | None
    market_fen: int | None
    source: str


def _fen(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def shares(
    session: Session, period: Period, dimension: Dimension = "all", *, today: date | None = None
) -> list[Share]:
    """Our share in ``period`` by ``dimension`` (the KPI's rows, in its order)."""
    from loanpilot.evaluation import kpis

    out = []
    for v in kpis.compute(session, period, codes=[KPI_CODE], dimension=dimension, today=today):
        out.append(
            Share(
                period=v.period, dimension=dimension, key=v.key, label=v.label,
                line=v.key if dimension == "product_line" else None,
                region=v.key if dimension == "region" else None, value=v.value,
                ours_fen=_fen(v.numerator), market_fen=_fen(v.denominator),
                source=kpis.source(KPI_CODE, period, dimension),
            )
        )  # fmt: skip
    return out


def branches_by_region(session: Session) -> dict[str, frozenset[int]]:
    """The ids of the branches in each province."""
    out: dict[str, set[int]] = {}
    for branch_id, province in session.execute(select(Branch.id, Branch.province)):
        if province:
            out.setdefault(province, set()).add(branch_id)
    return {k: frozenset(v) for k, v in out.items()}


def matrix(session: Session, period: Period, *, today: date | None = None) -> list[Share]:
    """Our share by product line × region in ``period`` (the cells with market data)."""
    from loanpilot.evaluation import kpis
    from loanpilot.evaluation.repository import Slice

    out = []
    for region, branch_ids in sorted(branches_by_region(session).items()):
        values = kpis.compute(
            session, period, codes=[KPI_CODE], dimension="product_line",
            where=Slice(branch_ids=branch_ids), today=today,
        )  # fmt: skip
        for v in values:
            out.append(
                Share(
                    period=v.period, dimension="line_region", key=f"{v.key}|{region}",
                    label=f"{v.label}·{region}", line=v.key, region=region, value=v.value,
                    ours_fen=_fen(v.numerator), market_fen=_fen(v.denominator),
                    source=f"{kpis.source(KPI_CODE, period, 'product_line')} region={region}",
                )
            )  # fmt: skip
    return out


def trend(
    session: Session, periods: Sequence[Period], dimension: Dimension = "all",
    *, today: date | None = None,
) -> list[Share]:  # fmt: skip
    """``shares`` over several periods, oldest first."""
    out: list[Share] = []
    for period in sorted(periods):
        out += shares(session, period, dimension, today=today)
    return out


def last_periods(latest: Period, count: int) -> list[Period]:
    """``latest`` and the ``count - 1`` periods of its kind before it, oldest first."""
    return [latest.shifted(-k) for k in range(count - 1, -1, -1)]
