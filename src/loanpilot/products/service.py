"""Product catalogue reads and quotes: today's rate of a product, its APR and a sample schedule.

A quote prices at the product's lowest spread (the "from" price a catalogue shows); the risk engine
(issue 4) will price each applicant by grade. Every quote carries the APR by IRR over all interest
and fees (PBoC announcement [2021] No. 3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.analytics.finance import (
    MAX_ANNUAL_RATE,
    MAX_MONTHLY_FEE_RATE,
    MAX_TERM_MONTHS,
    Schedule,
    apr,
    apr_batch,
    round_apr,
    schedule,
    schedule_batch,
)
from loanpilot.audit.service import record
from loanpilot.db.paging import Page, fetch_page, page_request
from loanpilot.kit.errors import FieldProblem, NotFoundError, ValidationError
from loanpilot.products import repository, rules
from loanpilot.products.models import (
    LoanProduct,
    LprRate,
    LprTerm,
    ProductStatus,
    ProductSubtype,
    ProductType,
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


def _upfront_fee(amount_fen: int, rate: Decimal) -> int:
    """The upfront fee of a loan, to the fen (half up)."""
    return int((Decimal(int(amount_fen)) * rate).quantize(_FEN, rounding=ROUND_HALF_UP))


class RateBook:
    """Basis rates in force on one day, each read from the database once (a catalogue prices
    many products on the same few rates)."""

    def __init__(self, session: Session, on: date) -> None:
        self.session = session
        self.on = on
        self._rates: dict[tuple[RateBasis, bool], Decimal | None] = {}

    def rate(self, basis: RateBasis, term_months: int) -> Decimal | None:
        """``base_rate_on``, or None when the table has no rate in force."""
        key = (basis, basis is RateBasis.PROVIDENT_FUND and term_months > _FUND_BAND_MONTHS)
        if key not in self._rates:
            try:
                self._rates[key] = base_rate_on(self.session, basis, self.on, term_months)
            except NotFoundError:
                self._rates[key] = None
        return self._rates[key]


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
    upfront = _upfront_fee(amount_fen, product.upfront_fee_rate)
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


# --- the catalogue: today's rate and APR range of each product ------------------------------------


@dataclass(frozen=True)
class PriceRange:
    """Today's price of a product: the basis rate, the nominal rate range (basis + min/max spread)
    and the APR range of a representative loan (amount, term, first repayment method) at the
    lowest and highest spread. None where the rate table has no rate in force yet."""

    base_rate: Decimal | None
    min_rate: Decimal | None
    max_rate: Decimal | None
    min_apr: Decimal | None
    max_apr: Decimal | None
    sample_amount_fen: int
    sample_term_months: int
    sample_method: RepaymentMethod | None


def sample_loan(product: LoanProduct) -> tuple[int, int, RepaymentMethod | None]:
    """The representative loan of a product: mid amount, 12 months (or the nearest allowed term)
    and its first repayment method."""
    method = (
        RepaymentMethod(product.repayment_methods[0])
        if product.repayment_methods
        and product.repayment_methods[0] in RepaymentMethod._value2member_map_
        else None
    )
    return (
        rules.sample_amount(product.min_amount_fen, product.max_amount_fen),
        rules.sample_term(product.min_term_months, product.max_term_months),
        method,
    )


def price_ranges(session: Session, products: Sequence[LoanProduct], on: date) -> list[PriceRange]:
    """Today's rate and APR range of each (non-combination) product, priced in one batch: one
    rate book, and one vectorised schedule and IRR over every product's lowest and highest spread."""
    book = RateBook(session, on)
    ranges: list[PriceRange] = []
    rows: list[tuple[int, int, LoanProduct, Decimal]] = []  # (range index, 0 min / 1 max, ...)
    for product in products:
        amount, term, method = sample_loan(product)
        base = book.rate(product.rate_basis, term)
        if base is None:
            ranges.append(PriceRange(None, None, None, None, None, amount, term, method))
            continue
        ranges.append(
            PriceRange(
                base_rate=base,
                min_rate=base + product.min_spread,
                max_rate=base + product.max_spread,
                min_apr=None,
                max_apr=None,
                sample_amount_fen=amount,
                sample_term_months=term,
                sample_method=method,
            )
        )
        if method is not None and product.subtype is not ProductSubtype.COMBINATION:
            rows += [(len(ranges) - 1, 0, product, base + product.min_spread)]
            rows += [(len(ranges) - 1, 1, product, base + product.max_spread)]
    aprs = _batch_aprs(rows, ranges)
    for (index, side, _product, _rate), value in zip(rows, aprs, strict=True):
        if side == 0:
            ranges[index] = replace(ranges[index], min_apr=value)
        else:
            ranges[index] = replace(ranges[index], max_apr=value)
    return ranges


def _batch_aprs(
    rows: list[tuple[int, int, LoanProduct, Decimal]], ranges: list[PriceRange]
) -> list[Decimal | None]:
    """The APR of each row's representative loan (None where the loan cannot be priced)."""
    valid = [
        i
        for i, (index, _side, product, rate) in enumerate(rows)
        if 0 <= rate <= MAX_ANNUAL_RATE
        and 0 <= product.monthly_fee_rate <= MAX_MONTHLY_FEE_RATE
        and ranges[index].sample_amount_fen >= 1
        and 1 <= ranges[index].sample_term_months <= MAX_TERM_MONTHS
    ]
    result: list[Decimal | None] = [None] * len(rows)
    if not valid:
        return result
    picked = [rows[i] for i in valid]
    amounts = np.array([ranges[r[0]].sample_amount_fen for r in picked], dtype=np.int64)
    batch = schedule_batch(
        amounts,
        np.array([float(r[3]) for r in picked]),
        np.array([ranges[r[0]].sample_term_months for r in picked], dtype=np.int64),
        [str(ranges[r[0]].sample_method) for r in picked],
        np.array([float(r[2].monthly_fee_rate) for r in picked]),
    )
    upfront = np.array(
        [_upfront_fee(a, r[2].upfront_fee_rate) for a, r in zip(amounts, picked, strict=True)],
        dtype=np.int64,
    )
    for i, value in zip(valid, apr_batch(batch, amounts, upfront), strict=True):
        result[i] = round_apr(float(value))
    return result


def price_range(session: Session, product: LoanProduct, on: date) -> PriceRange:
    """Today's rate and APR range of one (non-combination) product."""
    return price_ranges(session, [product], on)[0]


def _span(values: list[Decimal | None], pick: str) -> Decimal | None:
    known = [v for v in values if v is not None]
    if not known:
        return None
    return min(known) if pick == "min" else max(known)


def combined_range(parts: list[PriceRange], own: PriceRange) -> PriceRange:
    """A 组合贷's price: the lowest and highest rate and APR over its parts."""
    if not parts:
        return own
    return PriceRange(
        base_rate=own.base_rate,
        min_rate=_span([p.min_rate for p in parts], "min"),
        max_rate=_span([p.max_rate for p in parts], "max"),
        min_apr=_span([p.min_apr for p in parts], "min"),
        max_apr=_span([p.max_apr for p in parts], "max"),
        sample_amount_fen=own.sample_amount_fen,
        sample_term_months=own.sample_term_months,
        sample_method=own.sample_method,
    )


def components_of(session: Session, product: LoanProduct) -> list[LoanProduct]:
    """The parts of a 组合贷 (commercial, then 公积金); empty for any other product."""
    if product.subtype is not ProductSubtype.COMBINATION:
        return []
    return repository.products_by_ids(session, list(product.component_product_ids or []))


def price_of(session: Session, product: LoanProduct, on: date) -> PriceRange:
    """``price_range``, over its parts for a 组合贷."""
    return catalogue_entries(session, [product], on)[0].price


@dataclass(frozen=True)
class CatalogueEntry:
    product: LoanProduct
    price: PriceRange


def catalogue_entries(
    session: Session, products: Sequence[LoanProduct], on: date
) -> list[CatalogueEntry]:
    """Each product with its price today (all of them, and their parts, priced in one batch)."""
    parts = {p.id: components_of(session, p) for p in products}
    everything = list(products) + [part for found in parts.values() for part in found]
    priced = price_ranges(session, everything, on)
    own = dict(zip([id(p) for p in everything], priced, strict=True))
    entries = []
    for product in products:
        found = parts[product.id]
        price = own[id(product)]
        if found:
            price = combined_range([own[id(part)] for part in found], price)
        entries.append(CatalogueEntry(product, price))
    return entries


def sample_quote(
    session: Session,
    product: LoanProduct,
    *,
    on: date,
    amount_fen: int | None = None,
    term_months: int | None = None,
    method: str | None = None,
) -> Quote:
    """A quote at the lowest spread; each parameter left out takes the representative loan's."""
    amount, term, first = sample_loan(product)
    chosen = method or (first.value if first is not None else "")
    return quote(
        session,
        product,
        amount_fen=amount if amount_fen is None else amount_fen,
        term_months=term if term_months is None else term_months,
        method=chosen,
        on=on,
    )


# --- editing -------------------------------------------------------------------------------------

_AUDIT_TEXT_MAX = 200
STATUSES: tuple[str, ...] = tuple(s.value for s in ProductStatus)
METHODS: tuple[str, ...] = tuple(m.value for m in RepaymentMethod)


def product_values(product: LoanProduct) -> rules.ProductValues:
    """The editable values of ``product``."""
    return rules.ProductValues(
        name_zh=product.name_zh,
        name_en=product.name_en,
        status=str(product.status.value),
        min_amount_fen=product.min_amount_fen,
        max_amount_fen=product.max_amount_fen,
        min_term_months=product.min_term_months,
        max_term_months=product.max_term_months,
        min_spread=Decimal(product.min_spread),
        max_spread=Decimal(product.max_spread),
        monthly_fee_rate=Decimal(product.monthly_fee_rate),
        upfront_fee_rate=Decimal(product.upfront_fee_rate),
        repayment_methods=tuple(product.repayment_methods),
        description_zh=product.description_zh,
        description_en=product.description_en,
    )


def _audit_value(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, str) and len(value) > _AUDIT_TEXT_MAX:
        return value[:_AUDIT_TEXT_MAX] + "…"
    return value


def update_product(
    session: Session,
    product_id: int,
    updates: Mapping[str, object],
    *,
    invalid: Sequence[FieldProblem] = (),
    actor_staff_id: int | None,
    actor_label: str,
    client_address: str | None,
    at: datetime,
) -> tuple[LoanProduct, list[str]]:
    """Apply ``updates`` (EDITABLE field → value) to a product, or change nothing.

    ``invalid`` are problems already found reading the input (those fields are not checked again);
    every problem is reported at once in one ValidationError. A change is audited as
    ``product.update`` with the changed fields and their old and new values. Returns the product
    and the names of the fields that changed (none: nothing written, nothing audited).
    """
    product = repository.lock_product(session, product_id)
    if product is None:
        raise NotFoundError("product.not_found", f"No product with id {product_id}")
    old = product_values(product)
    skip = {p.field for p in invalid}
    new = old.with_updates({k: v for k, v in updates.items() if k not in skip})
    problems = [
        *invalid,
        *rules.edit_problems(new, statuses=STATUSES, methods=METHODS, skip=skip),
    ]
    if problems:
        raise ValidationError("product.invalid", "The product cannot be saved as given", problems)
    changed = rules.changes(old, new)
    if not changed:
        return product, []
    for field, (_before, after) in changed.items():
        if field == "status":
            product.status = ProductStatus(str(after))
        elif field == "repayment_methods":
            product.repayment_methods = list(new.repayment_methods)
        else:
            setattr(product, field, after)
    session.flush()
    record(
        session,
        action="product.update",
        actor_staff_id=actor_staff_id,
        actor_label=actor_label,
        entity="product",
        entity_id=str(product.id),
        detail={
            "changed": list(changed),
            "old": {k: _audit_value(before) for k, (before, _a) in changed.items()},
            "new": {k: _audit_value(after) for k, (_b, after) in changed.items()},
        },
        client_address=client_address,
        at=at,
    )
    return product, list(changed)


# --- one page of the catalogue ---------------------------------------------------------------------

SORT_KEYS: tuple[str, ...] = tuple(repository.SORT_COLUMNS)
DEFAULT_SORT = "type"


def catalogue_page(
    session: Session,
    on: date,
    *,
    page: int | None = None,
    size: int | None = None,
    sort: str | None = None,
    product_type: ProductType | None = None,
    status: ProductStatus | None = None,
) -> Page[CatalogueEntry]:
    """One page of the catalogue (sorted by ``sort``; ``-key`` descending), priced today."""
    request = page_request(page, size, sort, SORT_KEYS, DEFAULT_SORT)
    rows = fetch_page(
        session,
        repository.catalogue_query(product_type, status),
        request,
        repository.SORT_COLUMNS,
        repository.TIE_BREAKER,
    )
    return Page(
        rows=catalogue_entries(session, [row[0] for row in rows.rows], on),
        total=rows.total,
        number=rows.number,
        size=rows.size,
        sort=rows.sort,
        desc=rows.desc,
    )
