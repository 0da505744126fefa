"""Campaign ROI for the KPI suite: Σ (incremental net revenue − cost) ÷ Σ cost over the campaigns
that ended in the period (``ends_on`` in it and before today), each campaign's figures exactly as
``campaigns.results`` computes them (its outcomes, hold-out lift, cost and net revenue per loan;
the A/B tests and attribution it also reports are not needed here and not computed).

A campaign's (gain, cost) is kept for ``ROI_CACHE_SECONDS`` per database and business date: the
console's trend reads six periods of campaigns at once.
"""

from __future__ import annotations

import threading
import time
from datetime import date

from sqlalchemy.orm import Session

from loanpilot.campaigns import repository_results, results_rules
from loanpilot.campaigns import results as campaign_results
from loanpilot.evaluation import repository_kpis_stocks as stocks
from loanpilot.evaluation.repository import Slice
from loanpilot.evaluation.repository_kpis import Row
from loanpilot.kit.periods import Period

#: How long a campaign's (gain, cost) is reused, in seconds.
ROI_CACHE_SECONDS = 120.0
_cache: dict[tuple[str, int, date], tuple[float, tuple[int, int]]] = {}
_lock = threading.Lock()


def gain_and_cost(session: Session, campaign_id: int) -> tuple[int, int]:
    """(incremental net revenue − cost, cost) in fen: ``campaign_results(...).roi``'s figures."""
    cr = campaign_results
    c = cr.get_campaign(session, campaign_id)
    t = cr._outcomes(session, c)
    treated, held = t[t["group"] == "treatment"], t[t["group"] == "control"]
    treatment = cr._counts(treated, set())
    control = cr._counts(held, set())
    lifts = results_rules.lift_by_stage(treatment, control, 0.95)
    burn = cr._budget(c, repository_results.budget(session, c.id))
    cost = burn.spent_fen or treatment.contacted * int(c.contact_cost_fen or 0)
    loans = treated[treated["disbursed"]]
    per_loan = cr._net_revenue(loans if len(loans) else t[t["disbursed"]])
    disbursed = next(s for s in lifts if s.stage == "disbursed")
    roi = results_rules.roi(disbursed, per_loan, cost)
    return round(roi.incremental_net_revenue_fen.estimate) - roi.cost_fen, roi.cost_fen


def _cached(session: Session, campaign_id: int, today: date) -> tuple[int, int]:
    key = (str(session.get_bind().engine.url), campaign_id, today)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
    value = gain_and_cost(session, campaign_id)
    with _lock:
        if len(_cache) > 4096:
            _cache.clear()
        _cache[key] = (now + ROI_CACHE_SECONDS, value)
    return value


def campaign_roi_rows(
    session: Session, period: Period, today: date, dimension: str, where: Slice
) -> list[Row] | None:
    """(raw key, gain, cost) per campaign with a cost; keyed by the campaign's branch, product or
    channel. None under a manager's scope (campaigns are not a manager's)."""
    if where.manager_id is not None:
        return None
    rows: list[Row] = []
    for c in stocks.campaigns_ended(session, period.start, min(period.end, today), where):
        gain, cost = _cached(session, c.id, today)
        if cost <= 0:
            continue
        raw: object = None
        if dimension in ("branch", "region"):
            raw = c.branch_id
        elif dimension in ("product", "product_line"):
            raw = c.product_id
        elif dimension == "channel":
            raw = c.channel
        rows.append((raw, gain, cost))
    return rows
