"""What the lending demo steps share: missing-time constants, the product columns as arrays and the
provident-fund rate lookup. The steps and their parts live in their own modules:

- ``applications``: applications from campaign responders, leads and walk-ins, with their stage
  timestamps up to disbursement;
- ``underwriting``: the legacy policy (a noisy estimate of the true PD, hard rules, score cut-offs,
  manual review), the pricing at decision and the decisions;
- ``loans``: loans with schedules and repayments drawn from the true default model;
- ``delinquency``: month-end delinquency with the five-category classification, and manual
  classification overrides;
- ``debt_collection``: collection cases with their ladder of actions, and early-warning alerts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo import reference as ref
from loanpilot.demo.catalogue import PRODUCTS
from loanpilot.demo.context import DemoContext


def product_arrays(ctx: DemoContext) -> dict[str, np.ndarray[Any, Any]]:
    """The loan products' columns the lending steps use, as arrays indexed by product id − 1."""
    p = ctx.tables["loan_products"]
    specs = PRODUCTS
    return {
        "type": p["product_type"].astype(str),
        "subtype": p["subtype"].astype(str),
        "min": p["min_amount_fen"],
        "max": p["max_amount_fen"],
        "min_term": p["min_term_months"],
        "max_term": p["max_term_months"],
        "basis": p["rate_basis"].astype(str),
        "min_spread": p["min_spread"],
        "max_spread": p["max_spread"],
        "fee": p["monthly_fee_rate"],
        "typical": np.array([s.typical_amount_yuan * 100 for s in specs]),
    }


def fund_rates(day: np.ndarray[Any, Any], term: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The provident-fund rate in force on each ``day`` for a loan of ``term`` months (first home)."""
    pf_dates = np.array([r[0] for r in ref.PROVIDENT_FUND_HISTORY], dtype="M8[D]")
    kf = np.clip(np.searchsorted(pf_dates, day, side="right") - 1, 0, len(pf_dates) - 1)
    return np.where(
        term > 60,
        np.array([float(ref.pct(r[2])) for r in ref.PROVIDENT_FUND_HISTORY])[kf],
        np.array([float(ref.pct(r[1])) for r in ref.PROVIDENT_FUND_HISTORY])[kf],
    )
