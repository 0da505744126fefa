"""Product catalogue reads and quotes: today's rate of a product, its APR and a sample schedule.

A quote prices at the product's lowest spread (the "from" price a catalogue shows); the risk engine
(issue 4) will price each applicant by grade. Every quote carries the APR by IRR over all interest
and fees (PBoC announcement [2021] No. 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.analytics.finance import Schedule, apr, schedule
from loanpilot.kit.errors import FieldProblem, NotFoundError, ValidationError
from loanpilot.products.models import (
    LoanProduct,
    LprRate,
    LprTerm,
    ProductStatus,
    ProductSubtype,
    ProvidentFundRate,
    RateBasis,
    RepaymentMethod,
)

_FEN = Decimal(1)
#: 公积金 rates are banded by term: up to five years, over five years.
_FUND_BAND_MONTHS = 60


def list_products(session: Session, *, active_only: bool = True) -> list[LoanProduct]:
    """The catalogue ordered by product line then code."""
    query = select(LoanProduct).order_by(LoanProduct.product_type, LoanProduct.code)
    if active_only:
        query = query.where(LoanProduct.status == ProductStatus.ACTIVE)
    return list(session.scalars(query))


def get_product(session: Session, product_id: int) -> LoanProduct:
    product = session.get(LoanProduct, product_id)
    if product is None:
        raise NotFoundError("product.not_found", f"No product with id {product_id}")
    return product


def get_product_by_code(session: Session, code: str) -> LoanProduct:
    product = session.scalar(select(LoanProduct).where(LoanProduct.code == code))
    if product is None:
        raise NotFoundError("product.not_found", f"No product with code {code!r}")
    return product


def base_rate_on(session: Session, basis: RateBasis, on: date, term_months: int) -> Decimal:
    """The basis rate in force on ``on``: 0 for FIXED, the LPR of the basis's tenor, or the
    first-home 公积金 rate of the term's band. NotFoundError when the table has no rate yet."""
    if basis is RateBasis.FIXED:
        return Decimal(0)
    if basis is RateBasis.PROVIDENT_FUND:
        band = "le5y" if term_months <= _FUND_BAND_MONTHS else "gt5y"
        rate = session.scalar(
            select(ProvidentFundRate.rate)
            .where(
                ProvidentFundRate.term_band == band,
                ProvidentFundRate.home_order == 1,
                ProvidentFundRate.effective_on <= on,
            )
            .order_by(ProvidentFundRate.effective_on.desc())
            .limit(1)
        )
    else:
        term = LprTerm.ONE_YEAR if basis is RateBasis.LPR_1Y else LprTerm.OVER_FIVE_YEARS
        rate = session.scalar(
            select(LprRate.rate)
            .where(LprRate.term == term, LprRate.effective_on <= on)
            .order_by(LprRate.effective_on.desc())
            .limit(1)
        )
    if rate is None:
        raise NotFoundError("rate.missing", f"No {basis.value} rate is in force on {on}")
    return Decimal(rate)


@dataclass(frozen=True)
class Quote:
    """The price and schedule of ``amount_fen`` over ``term_months`` by ``method``."""

    product_id: int
    amount_fen: int
    term_months: int
    method: RepaymentMethod
    base_rate: Decimal
    spread: Decimal
    annual_rate: Decimal  # the contract's nominal annual rate
    monthly_fee_rate: Decimal
    upfront_fee_fen: int
    apr: Decimal  # IRR over all interest and fees, monthly IRR x 12
    schedule: Schedule

    @property
    def total_interest_fen(self) -> int:
        return int(self.schedule.interest_fen.sum())

    @property
    def total_fee_fen(self) -> int:
        return int(self.schedule.fee_fen.sum()) + self.upfront_fee_fen

    @property
    def total_payment_fen(self) -> int:
        return int(self.schedule.payment_fen.sum())

    @property
    def first_payment_fen(self) -> int:
        return int(self.schedule.payment_fen[0])


def quote(
    session: Session,
    product: LoanProduct,
    *,
    amount_fen: int,
    term_months: int,
    method: RepaymentMethod | str,
    on: date,
    spread: Decimal | None = None,
) -> Quote:
    """Price ``amount_fen`` over ``term_months`` for ``product`` on ``on`` (lowest spread unless
    ``spread`` is given). Every problem with the request is reported at once."""
    problems: list[FieldProblem] = []
    if product.subtype is ProductSubtype.COMBINATION:
        problems.append(
            FieldProblem("product", "a 组合贷 is quoted as its commercial and 公积金 parts")
        )
    if not product.min_amount_fen <= amount_fen <= product.max_amount_fen:
        problems.append(
            FieldProblem(
                "amount",
                f"must be between {product.min_amount_fen // 100:,} and "
                f"{product.max_amount_fen // 100:,} yuan",
            )
        )
    if not product.min_term_months <= term_months <= product.max_term_months:
        problems.append(
            FieldProblem(
                "term_months",
                f"must be between {product.min_term_months} and {product.max_term_months} months",
            )
        )
    method_value = str(method)
    if method_value not in product.repayment_methods:
        problems.append(
            FieldProblem(
                "method", f"must be one of {', '.join(product.repayment_methods)} for this product"
            )
        )
    chosen_spread = product.min_spread if spread is None else spread
    if not product.min_spread <= chosen_spread <= product.max_spread:
        problems.append(
            FieldProblem("spread", f"must be between {product.min_spread} and {product.max_spread}")
        )
    if problems:
        raise ValidationError("quote.invalid", "The loan cannot be quoted", problems)
    base = base_rate_on(session, product.rate_basis, on, term_months)
    annual = base + chosen_spread
    flows = schedule(amount_fen, annual, term_months, method_value, product.monthly_fee_rate)
    upfront = int(
        (Decimal(amount_fen) * product.upfront_fee_rate).quantize(_FEN, rounding=ROUND_HALF_UP)
    )
    return Quote(
        product_id=product.id,
        amount_fen=amount_fen,
        term_months=term_months,
        method=RepaymentMethod(method_value),
        base_rate=base,
        spread=chosen_spread,
        annual_rate=annual,
        monthly_fee_rate=product.monthly_fee_rate,
        upfront_fee_fen=upfront,
        apr=apr(flows, amount_fen, upfront),
        schedule=flows,
    )
