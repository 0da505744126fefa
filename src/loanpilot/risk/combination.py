"""A combination loan (组合贷) offered as its two parts: a provident-fund (公积金) part at the fund's
own rate, up to that product's maximum, and a commercial part for the rest, priced by grade (LPR +
the grade's spread inside the commercial product's band). The limit applies to the whole loan: the
income multiple and the debt-to-income headroom at the commercial rate (the dearer of the two, so
the headroom is never overstated) and loan-to-value on the appraised collateral.

The offer's quote is the two parts added period by period (both have the same term and method):
its payments are what the borrower pays each month, and its APR is the IRR of those combined
flows over all interest and fees, as PBoC announcement [2021] No. 3 asks for one loan. The parts
stay visible (``Offer.parts``) and are stored with the decision (``Decision.offer_parts``).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from loanpilot.analytics.finance import Schedule, apr, schedule
from loanpilot.lending.models import Application
from loanpilot.products.models import LoanProduct, RateBasis, RepaymentMethod
from loanpilot.products.pricing import limit, price
from loanpilot.products.service import Quote, base_rate_on, components_of, quote
from loanpilot.risk import policy_store
from loanpilot.risk.rules import HardRules, Reason

_RATE = Decimal("0.00000001")


def combined_schedule(parts: list[Schedule]) -> Schedule:
    """The parts added period by period (same periods: same term and method)."""
    first = parts[0]
    values: dict[str, Any] = {}
    for f in fields(Schedule):
        arrays = [getattr(p, f.name) for p in parts]
        if f.name in ("period", "month"):
            values[f.name] = first.period if f.name == "period" else first.month
            continue
        total = np.sum(np.stack(arrays), axis=0).astype(np.int64)
        total.setflags(write=False)
        values[f.name] = total
    return Schedule(**values)


def combined_quote(product: LoanProduct, parts: list[Quote]) -> Quote:
    """One quote for the whole loan: amounts and flows added, the rate weighted by amount, the
    APR by IRR over the combined flows."""
    total = sum(q.amount_fen for q in parts)
    flows = combined_schedule([q.schedule for q in parts])
    upfront = sum(q.upfront_fee_fen for q in parts)
    weighted = sum((q.annual_rate * q.amount_fen for q in parts), Decimal(0)) / total
    commercial = parts[-1]
    return Quote(
        product_id=product.id,
        amount_fen=total,
        term_months=commercial.term_months,
        method=commercial.method,
        base_rate=commercial.base_rate,
        spread=commercial.spread,
        annual_rate=weighted.quantize(_RATE, rounding=ROUND_HALF_UP),
        monthly_fee_rate=commercial.monthly_fee_rate,
        upfront_fee_fen=upfront,
        apr=apr(flows, total, upfront),
        schedule=flows,
    )


def split_parts(session: Session, product: LoanProduct) -> tuple[LoanProduct, LoanProduct] | None:
    """(provident-fund part, commercial part) of a combination product; None if it has not
    exactly one of each."""
    parts = components_of(session, product)
    fund = [p for p in parts if p.rate_basis is RateBasis.PROVIDENT_FUND]
    commercial = [p for p in parts if p.rate_basis is not RateBasis.PROVIDENT_FUND]
    if len(fund) != 1 or len(commercial) != 1:
        return None
    return fund[0], commercial[0]


def offer_parts(
    session: Session,
    app: Application,
    product: LoanProduct,
    *,
    grade: str,
    stored: policy_store.StoredPolicy,
    hard: HardRules,
    monthly_income_fen: int,
    monthly_debt_fen: int,
    today: date,
    collateral_value_fen: int | None,
    amount_fen: int | None,
) -> tuple[list[Quote], int, str] | Reason:
    """The two quoted parts (fund first), the whole loan's limit and what bound it; or why no
    offer is possible."""
    pair = split_parts(session, product)
    if pair is None:
        return Reason("combination.manual")
    fund, commercial = pair
    term, method = app.term_months, app.repayment_method
    c_base = base_rate_on(session, commercial.rate_basis, today, term)
    c_price = price(
        base_rate=c_base, min_spread=commercial.min_spread, max_spread=commercial.max_spread,
        grade=grade, grid=stored.grid,
    )  # fmt: skip
    lim = limit(
        product_max_fen=product.max_amount_fen,
        grade=grade,
        grid=stored.grid,
        monthly_income_fen=monthly_income_fen,
        monthly_debt_payment_fen=monthly_debt_fen,
        max_dti=hard.max_dti,
        annual_rate=c_price.annual_rate,
        term_months=term,
        max_ltv=product.max_ltv if collateral_value_fen is not None else None,
        collateral_value_fen=collateral_value_fen,
    )
    wanted = app.amount_fen if amount_fen is None else min(amount_fen, app.amount_fen)
    total = min(wanted, lim.amount_fen) // 100 * 100
    fund_part = min(total, fund.max_amount_fen)
    rest = total - fund_part
    if 0 < rest < commercial.min_amount_fen:  # too small a commercial part: move it over
        fund_part, rest = total - commercial.min_amount_fen, commercial.min_amount_fen
    if fund_part < fund.min_amount_fen:
        return Reason("limit.below_minimum", {"limit_fen": str(lim.amount_fen)})
    quotes = [quote(session, fund, amount_fen=fund_part, term_months=term, method=method, on=today)]
    if rest:
        quotes.append(
            quote(
                session,
                commercial,
                amount_fen=rest,
                term_months=term,
                method=method,
                on=today,
                spread=c_price.spread,
            )
        )
    return quotes, lim.amount_fen, lim.binding


def parts_record(
    parts: tuple[Quote, ...], products: dict[int, LoanProduct]
) -> list[dict[str, Any]]:
    """How a decision stores the parts of its offer (JSON)."""
    return [
        {
            "product_id": q.product_id,
            "product_code": products[q.product_id].code,
            "amount_fen": q.amount_fen,
            "base_rate": str(q.base_rate),
            "spread": str(q.spread),
            "annual_rate": str(q.annual_rate),
            "apr": str(q.apr),
        }
        for q in parts
    ]


def rebuilt_parts(
    session: Session, records: list[dict[str, Any]], term: int, method: RepaymentMethod
) -> list[Quote]:
    """The stored parts as quotes again (their schedules rebuilt from the stored amount and rate,
    without re-validating the products, which may have changed since)."""
    out: list[Quote] = []
    for r in records:
        part = session.get(LoanProduct, int(r["product_id"]))
        if part is None:
            continue
        rate = Decimal(r["annual_rate"])
        amount = int(r["amount_fen"])
        flows = schedule(amount, rate, term, method.value, part.monthly_fee_rate)
        upfront = int((Decimal(amount) * part.upfront_fee_rate).quantize(Decimal(1), ROUND_HALF_UP))
        out.append(
            Quote(
                product_id=part.id,
                amount_fen=amount,
                term_months=term,
                method=method,
                base_rate=Decimal(r["base_rate"]),
                spread=Decimal(r["spread"]),
                annual_rate=rate,
                monthly_fee_rate=part.monthly_fee_rate,
                upfront_fee_fen=upfront,
                apr=apr(flows, amount, upfront),
                schedule=flows,
            )
        )
    return out
