"""The check a single offer must pass (one customer, one product, one channel): what
next-best-offer would refuse, every reason at once. ``offers.check_offer`` is this function."""

from __future__ import annotations

from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from loanpilot.config import Settings
from loanpilot.customers.models import Customer
from loanpilot.kit.errors import FieldProblem, NotFoundError, ValidationError
from loanpilot.products import offer_rules as rules
from loanpilot.products import offers_inputs as inputs_
from loanpilot.products import repository_offers as repo
from loanpilot.products.models import LoanProduct, ProductStatus


def check_offer(
    session: Session,
    customer_id: int,
    product_id: int,
    channel: str,
    today: date,
    settings: Settings,
) -> None:
    """Refuse (ValidationError, every reason at once) an offer of a product to a customer through
    a channel that next-best-offer would not make: an inactive or ineligible product (with the
    eligibility rules broken), or a contact the contact policy forbids (no consent, opted out,
    blacklisted, within the cool-off after a decline, at the contact cap)."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError("customer.not_found", f"No customer with id {customer_id}")
    product = session.get(LoanProduct, product_id)
    if product is None:
        raise NotFoundError("product.not_found", f"No product with id {product_id}")
    problems: list[FieldProblem] = []
    if channel not in rules.CONTACT_COST_FEN:
        problems.append(FieldProblem("channel", f"must be one of {', '.join(rules.CONTACT_COST_FEN)}"))  # fmt: skip
    where = f"customer {customer.customer_no}"
    if product.status is not ProductStatus.ACTIVE:
        problems.append(FieldProblem("product_id", f"product {product.code} is {product.status.value}, not active"))  # fmt: skip
    inputs = inputs_.run_inputs(session, today, settings)
    if product not in inputs.products:
        if product.status is ProductStatus.ACTIVE:
            problems.append(FieldProblem("product_id", f"product {product.code} cannot be priced on {today.isoformat()}"))  # fmt: skip
        customers = None
    else:
        bound = inputs_.chunk_inputs(session, today, [customer_id], inputs)
        customers = bound.customers
        j = inputs.products.index(product)
        mask = rules.ineligibility(
            inputs.arrays.eligibility, age=customers.age,
            has_provident_fund=customers.has_provident_fund,
            occupation_code=customers.occupation_code,
            monthly_income_fen=customers.monthly_income_fen,
            financial_assets_fen=customers.financial_assets_fen, owns_home=customers.owns_home,
            city_code=customers.city_code, monthly_debt_fen=customers.monthly_debt_fen,
        )[0, j]  # fmt: skip
        broken = rules.mask_codes(int(mask))
        if broken:
            problems.append(FieldProblem("product_id", f"{where} is not eligible for {product.code}: {', '.join(broken)}"))  # fmt: skip
    facts = repo.policy_facts(session, [customer_id], today, settings.marketing_contact_window_days)
    days = facts["days_since_decline"].iloc[0]
    for code in rules.suppression_reasons(
        consent=customer.marketing_consent, opted_out=customer.opted_out_at is not None,
        blacklisted=customer.is_blacklisted,
        days_since_decline=None if np.isnan(days) else float(days),
        contacts_in_window=int(facts["contacts_in_window"].iloc[0]),
        policy=inputs_.contact_policy(settings),
    ):  # fmt: skip
        problems.append(FieldProblem("customer_id", f"{where}: {SUPPRESSION_TEXT[code]}"))
    if problems:
        raise ValidationError(
            "offer.not_allowed",
            f"Offering {product.code} to {where} by {channel} is not allowed",
            problems,
        )


SUPPRESSION_TEXT = {
    "blacklisted": "is blacklisted and is never marketed to",
    "no_consent": "has not given marketing consent",
    "opted_out": "has opted out of marketing",
    "cooloff": "had an application declined within the cool-off period",
    "contact_cap": "has reached the contact cap for the contact window",
}
