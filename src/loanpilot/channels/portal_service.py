"""The applicant portal's reads: the catalogue by product line with each product's "from" rate
and APR (PBoC announcement [2021] No. 3: the APR at least as prominent as any rate), and the loan
calculator comparing every repayment method.

Prices come from ``products.service.quote`` (lowest spread: the "from" price). A catalogue card
quotes a stated example (amount, term, method) so the APR shown is the APR of something real.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from loanpilot.config import Settings
from loanpilot.kit.crypto import FieldCipher
from loanpilot.kit.errors import DomainError, FieldProblem, NotFoundError, ValidationError
from loanpilot.lending.models import ApplicationStatus
from loanpilot.lending.service import Submitted
from loanpilot.products.models import (
    LoanProduct,
    ProductStatus,
    ProductSubtype,
    ProductType,
    RepaymentMethod,
)
from loanpilot.products.service import (
    Quote,
    get_product,
    get_product_by_code,
    list_products,
    quote,
)
from loanpilot.risk.service import (
    Offer,
    assess_application,
    current_offer,
    latest_decision,
    record_assessment,
)

#: Product lines in the order the portal shows them.
LINES: tuple[ProductType, ...] = (
    ProductType.HOUSING,
    ProductType.CONSUMER,
    ProductType.BUSINESS,
    ProductType.PRIVATE_BANKING,
)
METHODS: tuple[RepaymentMethod, ...] = tuple(RepaymentMethod)
EXAMPLE_AMOUNT_FEN = 100_000 * 100  # ¥100,000
EXAMPLE_TERM_MONTHS = 12

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Example:
    """The loan a catalogue price is quoted for."""

    amount_fen: int
    term_months: int
    method: RepaymentMethod


@dataclass(frozen=True)
class Priced:
    """A product priced at its example (``quote`` None when no rate is in force yet)."""

    product: LoanProduct
    example: Example
    quote: Quote | None


@dataclass(frozen=True)
class Card:
    """A catalogue entry: the product priced, or for a 组合贷 each of its parts priced."""

    product: LoanProduct
    parts: tuple[Priced, ...]

    @property
    def is_combination(self) -> bool:
        return self.product.subtype is ProductSubtype.COMBINATION


def example_for(product: LoanProduct) -> Example:
    """¥100,000 over 12 months (clamped to the product's bounds) by its first method."""
    amount = min(max(EXAMPLE_AMOUNT_FEN, product.min_amount_fen), product.max_amount_fen)
    term = min(max(EXAMPLE_TERM_MONTHS, product.min_term_months), product.max_term_months)
    return Example(amount, term, RepaymentMethod(product.repayment_methods[0]))


def price(session: Session, product: LoanProduct, on: date) -> Priced:
    example = example_for(product)
    try:
        priced: Quote | None = quote(
            session,
            product,
            amount_fen=example.amount_fen,
            term_months=example.term_months,
            method=example.method,
            on=on,
        )
    except NotFoundError:  # no LPR / 公积金 rate in force on ``on``
        priced = None
    return Priced(product, example, priced)


def card(session: Session, product: LoanProduct, on: date) -> Card:
    if product.subtype is ProductSubtype.COMBINATION:
        parts = tuple(
            price(session, get_product(session, pid), on) for pid in product.component_product_ids
        )
        return Card(product, parts)
    return Card(product, (price(session, product, on),))


def catalogue(session: Session, on: date) -> dict[ProductType, list[Card]]:
    """Active products by line (every line present, possibly empty)."""
    lines: dict[ProductType, list[Card]] = {line: [] for line in LINES}
    for product in list_products(session, active_only=True):
        lines.setdefault(product.product_type, []).append(card(session, product, on))
    return lines


def active_product(session: Session, code: str) -> LoanProduct:
    """An active product by code; NotFoundError for unknown and inactive ones alike."""
    product = get_product_by_code(session, code)
    if product.status is not ProductStatus.ACTIVE:
        raise NotFoundError("product.not_found", f"No product with code {code!r}")
    return product


def calculable_products(session: Session) -> list[LoanProduct]:
    """Products the calculator prices (a 组合贷 is priced as its parts)."""
    return [
        p
        for p in list_products(session, active_only=True)
        if p.subtype is not ProductSubtype.COMBINATION
    ]


@dataclass(frozen=True)
class MethodResult:
    """One repayment method: its quote, or None when the product does not offer it."""

    method: RepaymentMethod
    quote: Quote | None

    @property
    def offered(self) -> bool:
        return self.quote is not None


@dataclass(frozen=True)
class Calculation:
    product: LoanProduct
    amount_fen: int
    term_months: int
    selected: RepaymentMethod
    results: tuple[MethodResult, ...]


def calculate(
    session: Session,
    product: LoanProduct,
    *,
    amount_fen: int,
    term_months: int,
    method: str | None,
    on: date,
) -> Calculation:
    """Quote every repayment method the product offers (the others are marked not offered)."""
    offered = [RepaymentMethod(m) for m in product.repayment_methods]
    if method and method not in {m.value for m in METHODS}:
        raise ValidationError(
            "calculator.invalid",
            "The loan cannot be calculated",
            [FieldProblem("method", f"must be one of {', '.join(m.value for m in METHODS)}")],
        )
    results = []
    for m in METHODS:
        q = None
        if m in offered:
            q = quote(
                session, product, amount_fen=amount_fen, term_months=term_months, method=m, on=on
            )
        results.append(MethodResult(m, q))
    selected = RepaymentMethod(method) if method in product.repayment_methods else offered[0]
    return Calculation(product, amount_fen, term_months, selected, tuple(results))


def field_cipher(settings: Settings) -> FieldCipher:
    """The cipher of ID and phone numbers (and of the query code's blind index)."""
    return FieldCipher(settings.data_key_bytes(), settings.data_key_id)


def product_by_id(session: Session, product_id: int) -> LoanProduct:
    return get_product(session, product_id)


# --- the decision an applicant sees --------------------------------------------------------------


@dataclass(frozen=True)
class PortalDecision:
    """What the applicant is shown: the outcome, the reasons (for a decline) and the offer."""

    outcome: str  # approve | refer | decline | pending
    reasons_zh: tuple[str, ...]
    reasons_en: tuple[str, ...]
    offer: Offer | None


def decide_submitted(
    session: Session, done: Submitted, *, now: datetime, today: date
) -> PortalDecision:
    """Decide a just-submitted application at once; a replay (the same key sent again, perhaps
    racing the first request) only shows the decision the first request made.

    The decision is assessed (reads only), then written in a savepoint: if either fails, the
    application stays submitted (nothing of the decision is kept) and ``loanpilot risk decide-pending`` decides it later; the applicant is told
    it is being processed. The cause is logged without personal data."""
    application = done.application
    if not done.replayed and application.status is ApplicationStatus.SUBMITTED:
        try:
            assessment = assess_application(session, application.id, today=today)
        except (DomainError, ValueError, ArithmeticError) as exc:
            _log.warning(
                "application %s left undecided: %s", application.application_no, type(exc).__name__
            )
            return PortalDecision("pending", (), (), None)
        savepoint = session.begin_nested()
        try:
            record_assessment(session, assessment, now=now, actor_label="portal")
            savepoint.commit()
        except (DomainError, OperationalError) as exc:
            # OperationalError: SQLite's write lock held by a racing duplicate of this very
            # submission; the decision is made by ``risk decide-pending`` instead of failing.
            savepoint.rollback()
            _log.warning(
                "application %s left undecided: %s", application.application_no, type(exc).__name__
            )
            return PortalDecision("pending", (), (), None)
    return decision_of(session, application.id, today)


def decision_of(session: Session, application_id: int, today: date) -> PortalDecision:
    """The latest decision on an application as the applicant sees it."""
    dec = latest_decision(session, application_id)
    if dec is None:
        return PortalDecision("pending", (), (), None)
    outcome = dec.outcome.value
    shown = [r for r in dec.reasons if outcome == "decline" or r.get("code") == "limit.reduced"]
    offer = current_offer(session, application_id, today) if outcome == "approve" else None
    return PortalDecision(
        outcome,
        tuple(str(r.get("zh", "")) for r in shown),
        tuple(str(r.get("en", "")) for r in shown),
        offer,
    )
