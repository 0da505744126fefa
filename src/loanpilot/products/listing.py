"""One sorted, paginated page of the catalogue for the console and the API (the web layer's
``tables.fetch_page`` over ``repository.catalogue_query``; the service stays free of ``web``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from loanpilot.products import repository, service
from loanpilot.products.models import ProductStatus, ProductType
from loanpilot.web.tables import Page, fetch_page, page_request

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
) -> Page[service.CatalogueEntry]:
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
        rows=service.catalogue_entries(session, [row[0] for row in rows.rows], on),
        total=rows.total,
        number=rows.number,
        size=rows.size,
        sort=rows.sort,
        desc=rows.desc,
    )
