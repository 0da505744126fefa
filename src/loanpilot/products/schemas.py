"""Request and response shapes of the products API. Money is integer fen plus an exact yuan
string; rates are decimal fractions (``0.0345`` is 3.45 %)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from loanpilot.app import yuan
from loanpilot.products.models import LoanProduct
from loanpilot.products.service import PriceRange, Quote


class PriceRead(BaseModel):
    """Today's price: basis rate + min/max spread, and the APR (IRR of all interest and fees,
    monthly IRR x 12) of the representative loan at the lowest and highest spread."""

    on: date
    base_rate: Decimal | None
    min_rate: Decimal | None
    max_rate: Decimal | None
    min_apr: Decimal | None = Field(description="APR at the lowest spread")
    max_apr: Decimal | None = Field(description="APR at the highest spread")
    sample_amount_fen: int
    sample_amount_yuan: str
    sample_term_months: int
    sample_method: str | None

    @classmethod
    def of(cls, price: PriceRange, on: date) -> PriceRead:
        return cls(
            on=on,
            base_rate=price.base_rate,
            min_rate=price.min_rate,
            max_rate=price.max_rate,
            min_apr=price.min_apr,
            max_apr=price.max_apr,
            sample_amount_fen=price.sample_amount_fen,
            sample_amount_yuan=yuan(price.sample_amount_fen),
            sample_term_months=price.sample_term_months,
            sample_method=price.sample_method.value if price.sample_method else None,
        )


class ProductRead(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    product_type: str
    subtype: str
    status: str
    min_amount_fen: int
    min_amount_yuan: str
    max_amount_fen: int
    max_amount_yuan: str
    min_term_months: int
    max_term_months: int
    rate_basis: str
    min_spread: Decimal
    max_spread: Decimal
    monthly_fee_rate: Decimal
    upfront_fee_rate: Decimal
    repayment_methods: list[str]
    max_ltv: Decimal | None
    collateral_required: str
    eligibility: dict[str, Any]
    component_product_ids: list[int]
    description_zh: str | None
    description_en: str | None
    launched_on: date
    price: PriceRead

    @classmethod
    def of(cls, product: LoanProduct, price: PriceRange, on: date) -> ProductRead:
        return cls(
            id=product.id,
            code=product.code,
            name_zh=product.name_zh,
            name_en=product.name_en,
            product_type=product.product_type.value,
            subtype=product.subtype.value,
            status=product.status.value,
            min_amount_fen=product.min_amount_fen,
            min_amount_yuan=yuan(product.min_amount_fen),
            max_amount_fen=product.max_amount_fen,
            max_amount_yuan=yuan(product.max_amount_fen),
            min_term_months=product.min_term_months,
            max_term_months=product.max_term_months,
            rate_basis=product.rate_basis.value,
            min_spread=product.min_spread,
            max_spread=product.max_spread,
            monthly_fee_rate=product.monthly_fee_rate,
            upfront_fee_rate=product.upfront_fee_rate,
            repayment_methods=list(product.repayment_methods),
            max_ltv=product.max_ltv,
            collateral_required=product.collateral_required.value,
            eligibility=dict(product.eligibility or {}),
            component_product_ids=list(product.component_product_ids or []),
            description_zh=product.description_zh,
            description_en=product.description_en,
            launched_on=product.launched_on,
            price=PriceRead.of(price, on),
        )


class ProductPageRead(BaseModel):
    total: int
    page: int
    pages: int
    size: int
    sort: str
    items: list[ProductRead]


class ProductUpdate(BaseModel):
    """A change to a product: every field optional; the ones sent are validated together and
    every problem is reported at once (422)."""

    model_config = ConfigDict(extra="forbid")

    name_zh: str | None = None
    name_en: str | None = None
    status: str | None = None
    min_amount_fen: int | None = None
    max_amount_fen: int | None = None
    min_term_months: int | None = None
    max_term_months: int | None = None
    min_spread: Decimal | None = Field(default=None, description="fraction: 0.0035 = 0.35 %")
    max_spread: Decimal | None = None
    monthly_fee_rate: Decimal | None = None
    upfront_fee_rate: Decimal | None = None
    repayment_methods: list[str] | None = None
    description_zh: str | None = None
    description_en: str | None = None

    def updates(self) -> dict[str, object]:
        """The fields sent (an explicit null clears a description; elsewhere it is ignored)."""
        sent = self.model_dump(exclude_unset=True)
        return {
            key: value
            for key, value in sent.items()
            if value is not None or key in ("description_zh", "description_en")
        }


class PeriodRead(BaseModel):
    """One period of a repayment schedule."""

    period: int
    month: int = Field(description="Months from disbursement to the due date")
    opening_principal_fen: int
    principal_fen: int
    interest_fen: int
    fee_fen: int
    payment_fen: int
    payment_yuan: str
    closing_principal_fen: int

    @classmethod
    def rows_of(cls, q: Quote) -> list[PeriodRead]:
        """Every period of ``q``'s schedule (console, API and portal alike)."""
        s = q.schedule
        rows = zip(
            s.period.tolist(),
            s.month.tolist(),
            s.opening_principal_fen.tolist(),
            s.principal_fen.tolist(),
            s.interest_fen.tolist(),
            s.fee_fen.tolist(),
            s.payment_fen.tolist(),
            s.closing_principal_fen.tolist(),
            strict=True,
        )
        return [
            cls(
                period=p,
                month=mo,
                opening_principal_fen=op,
                principal_fen=pr,
                interest_fen=it,
                fee_fen=fe,
                payment_fen=pay,
                payment_yuan=yuan(pay),
                closing_principal_fen=cl,
            )
            for p, mo, op, pr, it, fe, pay, cl in rows
        ]


def totals_of(q: Quote) -> dict[str, int | str]:
    """A quote's totals as the JSON shapes carry them: fen and the exact yuan string of each."""
    totals = {
        "total_interest": q.total_interest_fen,
        "total_fee": q.total_fee_fen,
        "total_payment": q.total_payment_fen,
    }
    out: dict[str, int | str] = {}
    for name, fen in totals.items():
        out[f"{name}_fen"] = fen
        out[f"{name}_yuan"] = yuan(fen)
    return out


class QuoteRead(BaseModel):
    product_id: int
    on: date
    amount_fen: int
    amount_yuan: str
    term_months: int
    method: str
    base_rate: Decimal
    spread: Decimal
    annual_rate: Decimal
    monthly_fee_rate: Decimal
    upfront_fee_fen: int
    upfront_fee_yuan: str
    apr: Decimal = Field(description="IRR over all interest and fees, monthly IRR x 12")
    total_interest_fen: int
    total_interest_yuan: str
    total_fee_fen: int
    total_fee_yuan: str
    total_payment_fen: int
    total_payment_yuan: str
    schedule: list[PeriodRead]

    @classmethod
    def of(cls, q: Quote, on: date) -> QuoteRead:
        return cls(
            product_id=q.product_id,
            on=on,
            amount_fen=q.amount_fen,
            amount_yuan=yuan(q.amount_fen),
            term_months=q.term_months,
            method=q.method.value,
            base_rate=q.base_rate,
            spread=q.spread,
            annual_rate=q.annual_rate,
            monthly_fee_rate=q.monthly_fee_rate,
            upfront_fee_fen=q.upfront_fee_fen,
            upfront_fee_yuan=yuan(q.upfront_fee_fen),
            apr=q.apr,
            schedule=PeriodRead.rows_of(q),
            **totals_of(q),
        )
