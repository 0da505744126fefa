"""All SQL of the products area beyond the reads ``products.service`` already had."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from loanpilot.products.models import LoanProduct, ProductStatus, ProductType

#: Columns the catalogue may be sorted by (key → column).
SORT_COLUMNS: dict[str, ColumnElement[Any]] = {
    "code": LoanProduct.code,  # type: ignore[dict-item]
    "name": LoanProduct.name_zh,  # type: ignore[dict-item]
    # product lines in the order of the plan (housing, consumer, business, private banking)
    "type": case(
        *((LoanProduct.product_type == line, rank) for rank, line in enumerate(ProductType)),
        else_=len(ProductType),
    ),
    "status": LoanProduct.status,  # type: ignore[dict-item]
    "min_amount": LoanProduct.min_amount_fen,  # type: ignore[dict-item]
    "max_amount": LoanProduct.max_amount_fen,  # type: ignore[dict-item]
    "max_term": LoanProduct.max_term_months,  # type: ignore[dict-item]
    "min_spread": LoanProduct.min_spread,  # type: ignore[dict-item]
}
TIE_BREAKER: ColumnElement[Any] = LoanProduct.id  # type: ignore[assignment]


def catalogue_query(
    product_type: ProductType | None = None, status: ProductStatus | None = None
) -> Select[Any]:
    """The products of one line and status (all when None), unordered (the page sorts)."""
    query = select(LoanProduct)
    if product_type is not None:
        query = query.where(LoanProduct.product_type == product_type)
    if status is not None:
        query = query.where(LoanProduct.status == status)
    return query


def products_by_ids(session: Session, ids: Sequence[int]) -> list[LoanProduct]:
    """The products with ``ids``, in the order given (unknown ids left out)."""
    if not ids:
        return []
    found = {p.id: p for p in session.scalars(select(LoanProduct).where(LoanProduct.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def lock_product(session: Session, product_id: int) -> LoanProduct | None:
    """The product, locked for update where the database supports it."""
    return session.scalar(select(LoanProduct).where(LoanProduct.id == product_id).with_for_update())
