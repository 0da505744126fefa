"""REST API of customers: the directory (search, filters, sort, pages), the customer 360 and the
audited reveal of an ID or phone number. Every answer masks ID and phone numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for
from loanpilot.customers import service
from loanpilot.customers.models import Occupation
from loanpilot.customers.rules import (
    DEFAULT_SORT,
    SORT_KEYS,
    CustomerFilters,
    RevealField,
    parse_filters,
    parse_int,
)
from loanpilot.customers.schemas import Customer360Read, CustomerPageRead, RevealRead
from loanpilot.db.paging import PageRequest, page_request
from loanpilot.kit.errors import PermissionDeniedError, ValidationError
from loanpilot.web.auth import client_address, clock, deny_scope, require

T = TypeVar("T")

router = APIRouter(
    prefix="/api/v1",
    tags=["customers"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}},
)

OCCUPATIONS: tuple[str, ...] = tuple(member.value for member in Occupation)


def crypto_of(request: Request) -> service.Crypto:
    """The field cipher and masking of this application (built once, kept on the app)."""
    state = request.app.state
    crypto: service.Crypto | None = getattr(state, "customers_crypto", None)
    if crypto is None:
        crypto = service.Crypto.from_settings(state.settings)
        state.customers_crypto = crypto
    return crypto


def parse_list_params(
    *,
    q: str | None,
    segment: str | None,
    occupation: str | None,
    income: str | None,
    branch_id: str | None,
    page: str | None,
    size: str | None,
    sort: str | None,
) -> tuple[CustomerFilters, PageRequest]:
    """Filters and paging from query text; one ValidationError listing every problem."""
    filters, problems = parse_filters(
        q=q,
        segment=segment,
        occupation=occupation,
        income=income,
        branch_id=branch_id,
        occupations=OCCUPATIONS,
    )
    number = parse_int("page", page, problems)
    rows = parse_int("size", size, problems)
    paging = PageRequest()
    try:
        paging = page_request(number, rows, sort, SORT_KEYS, DEFAULT_SORT)
    except ValidationError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ValidationError(
            "customers.invalid_query",
            "The search, filter or paging parameters are not valid",
            problems,
        )
    return filters, paging


def scoped(request: Request, principal: Principal, customer_id: int, work: Callable[[], T]) -> T:
    """Run ``work``; a refusal for scope is audited (``access.denied``) before it is raised."""
    try:
        return work()
    except PermissionDeniedError as exc:
        if exc.code == "scope.forbidden":
            deny_scope(request, principal, "customer", str(customer_id))
        raise


_TEXT = "Search: a customer number prefix, an exact name, or an exact ID or mobile number"


@router.get(
    "/customers",
    response_model=CustomerPageRead,
    responses={422: {"model": ErrorRead}},
)
def list_customers(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.CUSTOMERS_READ)],
    q: Annotated[str | None, Query(description=_TEXT)] = None,
    segment: Annotated[str | None, Query(description="young, middle or senior")] = None,
    occupation: Annotated[str | None, Query(description=f"One of {', '.join(OCCUPATIONS)}")] = None,
    income: Annotated[str | None, Query(description="low, middle or high")] = None,
    branch_id: Annotated[str | None, Query(description="Home branch id")] = None,
    page: Annotated[str | None, Query(description="Page number, from 1")] = None,
    size: Annotated[str | None, Query(description="Rows per page, 1–200 (default 25)")] = None,
    sort: Annotated[
        str | None, Query(description=f"One of {', '.join(SORT_KEYS)}; '-key' descending")
    ] = None,
) -> CustomerPageRead:
    """Customers the caller may see (customer managers: their own; branch heads: their branch),
    searched, filtered, sorted and paged. ID and phone numbers are masked."""
    filters, paging = parse_list_params(
        q=q,
        segment=segment,
        occupation=occupation,
        income=income,
        branch_id=branch_id,
        page=page,
        size=size,
        sort=sort,
    )
    listing = service.list_customers(
        session,
        principal,
        filters,
        paging,
        today=today_for(request),
        crypto=crypto_of(request),
    )
    return CustomerPageRead.of(listing)


@router.get(
    "/customers/{customer_id}",
    response_model=Customer360Read,
    responses={404: {"model": ErrorRead}},
)
def read_customer(
    customer_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.CUSTOMERS_READ)],
) -> Customer360Read:
    """The customer 360: profile (ID and phone masked), consents, loans, applications,
    campaigns touched and service history. Outside the caller's scope: 403 scope.forbidden."""
    view = scoped(
        request,
        principal,
        customer_id,
        lambda: service.customer_360(
            session, principal, customer_id, today=today_for(request), crypto=crypto_of(request)
        ),
    )
    return Customer360Read.of(view)


@router.post(
    "/customers/{customer_id}/reveal/{field}",
    response_model=RevealRead,
    responses={404: {"model": ErrorRead}},
)
def reveal(
    customer_id: EntityId,
    field: RevealField,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PII_VIEW)],
) -> RevealRead:
    """The clear ID or phone number of one customer (needs pii:view; written to the audit log)."""
    value = revealed_value(request, session, principal, customer_id, field)
    return RevealRead(field=field, value=value)


def revealed_value(
    request: Request,
    session: Session,
    principal: Principal,
    customer_id: int,
    field: RevealField,
) -> str | None:
    """``service.reveal`` for this request (audited; a scope refusal audited as well)."""
    return scoped(
        request,
        principal,
        customer_id,
        lambda: service.reveal(
            session,
            principal,
            customer_id,
            field,
            crypto=crypto_of(request),
            client_address=client_address(request),
            at=clock(request),
        ),
    )
