"""Offers and limits of credit decisions: the approved amount priced by grade inside the
product's band, limited by the smallest constraint (product maximum, grade multiple of income,
debt-to-income, and for a secured loan the appraised collateral value at the product's
loan-to-value), and scheduled with its APR; a 组合贷 part by part (``risk.combination``).

``make_offer`` prices and limits a new offer (the automatic decision and manual review);
``current_offer`` rebuilds the offer of an approved application from its decision. Also the
monthly payment the debt-to-income rule counts, whether a loan is secured, and the hard rules
tightened by the product's eligibility. Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from loanpilot.analytics.finance import (
    EQUAL_INSTALMENT,
    EQUAL_PRINCIPAL,
    Schedule,
    apr,
    schedule,
)
from loanpilot.customers.models import Customer
from loanpilot.kit.clock import to_business_date
from loanpilot.kit.errors import DomainError, NotFoundError
from loanpilot.lending.models import Application
from loanpilot.products.models import CollateralKind, LoanProduct, ProductSubtype, RateBasis
from loanpilot.products.pricing import limit, price
from loanpilot.products.service import Quote, base_rate_on, quote
from loanpilot.risk import combination, policy_store, repository
from loanpilot.risk.rules import DecisionOutcome, HardRules, Reason


@dataclass(frozen=True)
class Offer:
    """An approved amount priced and scheduled (``quote``), with the limit and what bound it."""

    quote: Quote
    limit_fen: int
    limit_binding: str
    parts: tuple[Quote, ...] = ()  # a 组合贷's provident-fund and commercial parts

    @property
    def amount_fen(self) -> int:
        return self.quote.amount_fen

    @property
    def term_months(self) -> int:
        return self.quote.term_months

    @property
    def method(self) -> str:
        return self.quote.method.value

    @property
    def base_rate(self) -> Decimal:
        return self.quote.base_rate

    @property
    def spread(self) -> Decimal:
        return self.quote.spread

    @property
    def annual_rate(self) -> Decimal:
        return self.quote.annual_rate

    @property
    def apr(self) -> Decimal:
        return self.quote.apr

    @property
    def upfront_fee_fen(self) -> int:
        return self.quote.upfront_fee_fen

    @property
    def schedule(self) -> Schedule:
        return self.quote.schedule

    @property
    def first_payment_fen(self) -> int:
        return self.quote.first_payment_fen

    @property
    def total_interest_fen(self) -> int:
        return self.quote.total_interest_fen

    @property
    def total_payment_fen(self) -> int:
        return self.quote.total_payment_fen


def instalment_for_dti(
    session: Session, app: Application, product: LoanProduct, today: date
) -> int:
    """The monthly payment the debt-to-income rule counts: the largest payment of an equal
    instalment or equal principal schedule; for interest-only and bullet loans, whose last payment
    is the whole principal, the equal-instalment payment of the same loan (what the development
    sample counts, and the burden a bank underwrites for a loan repaid at maturity)."""
    if product.subtype is ProductSubtype.COMBINATION:  # counted at the dearer, commercial rate
        pair = combination.split_parts(session, product)
        if pair is None:
            return 0
        commercial = pair[1]
        rate = base_rate_on(session, commercial.rate_basis, today, app.term_months)
        flows = schedule(
            app.amount_fen, rate + commercial.min_spread, app.term_months, EQUAL_INSTALMENT
        )
        return int(flows.payment_fen.max())
    regular = app.repayment_method.value in (EQUAL_INSTALMENT, EQUAL_PRINCIPAL)
    q = quote(
        session, product, amount_fen=app.amount_fen, term_months=app.term_months,
        method=app.repayment_method, on=today,
    )  # fmt: skip
    if regular:
        return int(q.schedule.payment_fen.max())
    equivalent = schedule(app.amount_fen, q.annual_rate, app.term_months, EQUAL_INSTALMENT)
    return int(equivalent.payment_fen.max())


def is_secured(product: LoanProduct, stored: policy_store.StoredPolicy) -> bool:
    """A loan needs collateral (and an appraisal before its limit is set) when its product
    requires it or the policy's per-product collateral rule does."""
    return (
        product.collateral_required is not CollateralKind.NONE
        or product.code in stored.policy.hard.collateral
    )


def effective_hard_rules(hard: HardRules, product: LoanProduct) -> HardRules:
    """The policy's hard rules tightened by the product's own eligibility (ages, DTI,
    occupations, provident fund)."""
    elig = product.eligibility or {}
    out = hard
    if "min_age" in elig:
        out = replace(out, min_age=max(out.min_age, int(elig["min_age"])))
    if "max_age" in elig:
        out = replace(out, max_age=min(out.max_age, int(elig["max_age"])))
    if "max_age_at_maturity" in elig:
        out = replace(
            out, max_age_at_maturity=min(out.max_age_at_maturity, int(elig["max_age_at_maturity"]))
        )
    if "max_dti" in elig:
        out = replace(out, max_dti=min(out.max_dti, Decimal(str(elig["max_dti"]))))
    if elig.get("occupations"):
        own = frozenset(map(str, elig["occupations"]))
        both = out.occupations.get(product.code)
        merged = own if both is None else own & both  # both lists hold: the tighter one
        out = replace(out, occupations={**out.occupations, product.code: merged})
    if elig.get("requires_provident_fund"):
        out = replace(out, provident_fund_required=out.provident_fund_required | {product.code})
    return out


def load_application(
    session: Session, application_id: int
) -> tuple[Application, Customer, LoanProduct]:
    app = session.get(Application, application_id)
    if app is None:
        raise NotFoundError("application.not_found", f"No application with id {application_id}")
    customer = session.get(Customer, app.customer_id)
    product = session.get(LoanProduct, app.product_id)
    if customer is None or product is None:
        raise NotFoundError(
            "application.incomplete",
            f"Application {app.application_no} lacks its customer or product",
        )
    return app, customer, product


def make_offer(
    session: Session,
    app: Application,
    customer: Customer,
    product: LoanProduct,
    *,
    grade: str,
    stored: policy_store.StoredPolicy,
    monthly_debt_fen: int,
    today: date,
    collateral_value_fen: int | None = None,
    amount_fen: int | None = None,
) -> Offer | Reason:
    """The offer for ``grade``: rate by the grid inside the product's band, limit by the smallest
    constraint, amount = the smaller of what was asked and the limit; or why there is none."""
    if grade not in stored.grid.spread_by_grade:
        return Reason("grade.not_lent", {"grade": grade})
    if product.subtype is ProductSubtype.COMBINATION:
        made = combination.offer_parts(
            session, app, product, grade=grade, stored=stored,
            hard=effective_hard_rules(stored.policy.hard, product),
            monthly_income_fen=app.stated_monthly_income_fen or customer.monthly_income_fen,
            monthly_debt_fen=monthly_debt_fen, today=today,
            collateral_value_fen=collateral_value_fen, amount_fen=amount_fen,
        )  # fmt: skip
        if isinstance(made, Reason):
            return made
        quotes, limit_fen, binding = made
        whole = combination.combined_quote(product, quotes)
        return Offer(whole, limit_fen, binding, tuple(quotes))
    base = base_rate_on(session, product.rate_basis, today, app.term_months)
    fund = product.rate_basis is RateBasis.PROVIDENT_FUND
    p = price(
        base_rate=base, min_spread=product.min_spread, max_spread=product.max_spread,
        grade=grade, grid=stored.grid, provident_fund=fund,
    )  # fmt: skip
    spread = min(max(p.spread, product.min_spread), product.max_spread)
    hard = effective_hard_rules(stored.policy.hard, product)
    lim = limit(
        product_max_fen=product.max_amount_fen,
        grade=grade,
        grid=stored.grid,
        monthly_income_fen=app.stated_monthly_income_fen or customer.monthly_income_fen,
        monthly_debt_payment_fen=monthly_debt_fen,
        max_dti=hard.max_dti,
        annual_rate=base + spread,
        term_months=app.term_months,
        max_ltv=product.max_ltv if collateral_value_fen is not None else None,
        collateral_value_fen=collateral_value_fen,
    )
    wanted = app.amount_fen if amount_fen is None else min(amount_fen, app.amount_fen)
    amount = min(wanted, lim.amount_fen) // 100 * 100  # whole yuan
    if amount < product.min_amount_fen:
        return Reason("limit.below_minimum", {"limit_fen": str(lim.amount_fen)})
    q = quote(
        session, product, amount_fen=amount, term_months=app.term_months,
        method=app.repayment_method, on=today, spread=spread,
    )  # fmt: skip
    return Offer(q, lim.amount_fen, lim.binding)


def offer_parts_record(session: Session, offer: Offer) -> list[dict[str, Any]]:
    """A 组合贷 offer's parts as ``Decision.offer_parts`` stores them."""
    products = {q.product_id: session.get(LoanProduct, q.product_id) for q in offer.parts}
    return combination.parts_record(offer.parts, {k: v for k, v in products.items() if v})


def current_offer(session: Session, application_id: int, today: date) -> Offer | None:
    """The offer of an approved application, rebuilt from its decision: the approved amount, term
    and contract rate, the product's fees, and the APR recomputed from that schedule (no product
    validation, so a later edit of the product's band cannot break an offer already made)."""
    app, _, product = load_application(session, application_id)
    dec = repository.latest_decision(session, application_id)
    if dec is None or dec.outcome is not DecisionOutcome.APPROVE or dec.approved_amount_fen is None:
        return None
    if dec.approved_rate is None:
        return None
    on = to_business_date(dec.decided_at) if dec.decided_at else today
    term = dec.approved_term_months or app.term_months
    method = app.repayment_method
    if dec.offer_parts:
        parts = combination.rebuilt_parts(session, dec.offer_parts, term, method)
        if parts:
            whole = combination.combined_quote(product, parts)
            return Offer(
                whole, dec.limit_fen or whole.amount_fen, dec.limit_binding or "", tuple(parts)
            )
    try:
        base = base_rate_on(session, product.rate_basis, on, term)
    except DomainError:
        base = Decimal(0)
    flows = schedule(
        dec.approved_amount_fen, dec.approved_rate, term, method.value, product.monthly_fee_rate
    )
    upfront = int(
        (Decimal(dec.approved_amount_fen) * product.upfront_fee_rate).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    q = Quote(
        product_id=product.id, amount_fen=dec.approved_amount_fen, term_months=term, method=method,
        base_rate=base, spread=dec.approved_rate - base, annual_rate=dec.approved_rate,
        monthly_fee_rate=product.monthly_fee_rate, upfront_fee_fen=upfront,
        apr=apr(flows, dec.approved_amount_fen, upfront), schedule=flows,
    )  # fmt: skip
    return Offer(q, dec.limit_fen or q.amount_fen, dec.limit_binding or "")
