"""REST API of products: the catalogue with today's rates and APR, a quote with its schedule, and
edits (every invalid field reported at once, each change audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for
from loanpilot.products import service
from loanpilot.products.models import ProductStatus, ProductType, RepaymentMethod
from loanpilot.products.schemas import ProductPageRead, ProductRead, ProductUpdate, QuoteRead
from loanpilot.web.auth import client_address, clock, require

#: A product id in the path (bounded: larger numbers are no id).
ProductId = EntityId

router = APIRouter(
    prefix="/api/v1",
    tags=["products"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)


@router.get("/products", response_model=ProductPageRead)
def list_products(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.PRODUCTS_READ)],
    product_type: ProductType | None = None,
    status: ProductStatus | None = None,
    page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    size: Annotated[int | None, Query(ge=1, le=200)] = None,
    sort: Annotated[str | None, Query(max_length=32)] = None,
) -> ProductPageRead:
    """The catalogue, by product line and status, with today's rate range and APR range."""
    on = today_for(request)
    result = service.catalogue_page(
        session,
        on,
        page=page,
        size=size,
        sort=sort,
        product_type=product_type,
        status=status,
    )
    return ProductPageRead(
        total=result.total,
        page=result.number,
        pages=result.pages,
        size=result.size,
        sort=("-" if result.desc else "") + result.sort,
        items=[ProductRead.of(e.product, e.price, on) for e in result.rows],
    )


@router.get(
    "/products/{product_id}", response_model=ProductRead, responses={404: {"model": ErrorRead}}
)
def read_product(
    product_id: ProductId,
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.PRODUCTS_READ)],
) -> ProductRead:
    """One product with today's rate and the APR at its lowest spread (``price.min_apr``)."""
    on = today_for(request)
    product = service.get_product(session, product_id)
    return ProductRead.of(product, service.price_of(session, product, on), on)


@router.get(
    "/products/{product_id}/quote",
    response_model=QuoteRead,
    responses={404: {"model": ErrorRead}},
)
def quote_product(
    product_id: ProductId,
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.PRODUCTS_READ)],
    amount_fen: Annotated[int | None, Query(ge=1, le=10**13)] = None,
    term_months: Annotated[int | None, Query(ge=1, le=600)] = None,
    method: RepaymentMethod | None = None,
) -> QuoteRead:
    """The schedule of a loan at the lowest spread today (parameters left out: the product's
    representative loan). A 组合贷 is quoted as its parts (422 here)."""
    on = today_for(request)
    product = service.get_product(session, product_id)
    q = service.sample_quote(
        session,
        product,
        on=on,
        amount_fen=amount_fen,
        term_months=term_months,
        method=method.value if method else None,
    )
    return QuoteRead.of(q, on)


@router.patch(
    "/products/{product_id}", response_model=ProductRead, responses={404: {"model": ErrorRead}}
)
def update_product(
    product_id: ProductId,
    body: ProductUpdate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PRODUCTS_WRITE)],
) -> ProductRead:
    """Change a product. Every invalid field is listed at once and nothing changes; a change is
    written to the audit log (``product.update``)."""
    product, _changed = service.update_product(
        session,
        product_id,
        body.updates(),
        actor_staff_id=principal.staff_id,
        actor_label=f"user:{principal.username}",
        client_address=client_address(request),
        at=clock(request),
    )
    on = today_for(request)
    return ProductRead.of(product, service.price_of(session, product, on), on)
