"""The one adapter between customer service and the KPI suite: the satisfaction and NPS figures the
service pages and the work plan show come from ``evaluation.kpis.compute`` (defined once, there):
satisfaction = the mean CSAT score (1-5), NPS = (promoters 9-10 - detractors 0-6) ÷ answers (a
fraction, shown as %), by period and dimension (all, product, channel = the loan's channel,
branch, manager), restricted to the reader's scope."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.evaluation import kpis
from loanpilot.evaluation.repository import Slice
from loanpilot.kit.periods import Period
from loanpilot.service import repository as repo

DIMENSIONS = ("product", "channel", "branch", "manager")
CODES = ("satisfaction", "nps")


@dataclass(frozen=True)
class Point:
    """Satisfaction and NPS of one key of a dimension (``all`` for the whole slice)."""

    key: str
    label: str
    satisfaction: Decimal | None
    satisfaction_n: int
    nps: Decimal | None
    nps_n: int

    @property
    def responses(self) -> int:
        return max(self.satisfaction_n, self.nps_n)


def source_query(period: Period, dimension: str | None) -> str:
    """The rerunnable query behind the figures (``loanpilot kpi show``)."""
    return f"kpi:satisfaction,nps period={period.label} by={dimension or 'all'}"


def _slice(scope: repo.Scope | None) -> Slice | None:
    if scope is None or (scope.branch_ids is None and scope.staff_id is None):
        return None
    return Slice(branch_ids=scope.branch_ids, manager_id=scope.staff_id)


def figures(
    session: Session, period: Period, dimension: str | None = None, scope: repo.Scope | None = None
) -> list[Point]:
    """One point overall (``dimension`` None) or one per key with answers, in KPI order."""
    values = kpis.compute(
        session, period, codes=list(CODES), dimension=dimension or "all", where=_slice(scope)
    )
    found: dict[str, dict[str, kpis.KpiValue]] = defaultdict(dict)
    labels: dict[str, str] = {}
    for v in values:
        labels.setdefault(v.key, v.label)
        found[v.key][v.code] = v
    out = []
    for key, by_code in found.items():
        sat, nps = by_code.get("satisfaction"), by_code.get("nps")
        out.append(
            Point(
                key, labels[key],
                sat.value if sat is not None else None, _n(sat),
                nps.value if nps is not None else None, _n(nps),
            )
        )  # fmt: skip
    return out


def _n(value: kpis.KpiValue | None) -> int:
    return int(value.denominator or 0) if value is not None else 0
