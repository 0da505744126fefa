"""Console pages of customers: the directory and the customer 360, with the audited reveal of an
ID or phone number (an htmx fragment, or the whole page again without JavaScript)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.customers import service
from loanpilot.customers.api import (
    OCCUPATIONS,
    crypto_of,
    parse_list_params,
    revealed_value,
    scoped,
)
from loanpilot.customers.models import ConsentKind
from loanpilot.customers.rules import SORT_KEYS, AgeBand, IncomeBand, RevealField
from loanpilot.web.auth import require
from loanpilot.web.render import render

router = APIRouter(include_in_schema=False)

Text = Annotated[str | None, Query()]


@router.get("/console/customers")
def customer_list(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.CUSTOMERS_READ)],
    q: Text = None,
    qs: Text = None,
    segment: Text = None,
    occupation: Text = None,
    income: Text = None,
    branch_id: Text = None,
    page: Text = None,
    size: Text = None,
    sort: Text = None,
) -> Response:
    """The customers the signed-in staff member may see: search, filters, sortable columns.

    The page's own search form posts to ``/console/customers/search``, which seals the search
    text into ``qs``; a plain ``q`` still works for links typed by hand."""
    if qs:
        q = crypto_of(request).open_search(qs)
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
        session, principal, filters, paging, today=today_for(request), crypto=crypto_of(request)
    )
    return render(
        request,
        "console/customers/list.html",
        {
            "listing": listing,
            "page": listing.page,
            "filters": filters,
            "searched": crypto_of(request).masking.search(filters.q) if filters.q else "",
            "segments": [band.value for band in AgeBand],
            "incomes": [band.value for band in IncomeBand],
            "occupations": OCCUPATIONS,
            "sort_keys": SORT_KEYS,
        },
    )


@router.post("/console/customers/search")
def search(
    request: Request,
    _principal: Annotated[Principal, require(Permission.CUSTOMERS_READ)],
    q: Annotated[str, Form(max_length=50)] = "",
    segment: Annotated[str, Form(max_length=16)] = "",
    occupation: Annotated[str, Form(max_length=32)] = "",
    income: Annotated[str, Form(max_length=16)] = "",
    branch_id: Annotated[str, Form(max_length=20)] = "",
    sort: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The search form: on to the list with the search text sealed (never an ID in an address)."""
    fields = {
        "segment": segment,
        "occupation": occupation,
        "income": income,
        "branch_id": branch_id,
        "sort": sort,
    }
    params = {key: value for key, value in fields.items() if value}
    if q.strip():
        params["qs"] = crypto_of(request).seal_search(q.strip())
    query = f"?{urlencode(params)}" if params else ""
    return RedirectResponse(f"/console/customers{query}", status_code=303)


def _detail(
    request: Request,
    session: SessionDep,
    principal: Principal,
    customer_id: EntityId,
    revealed: dict[str, Any] | None = None,
) -> Response:
    view = scoped(
        request,
        principal,
        customer_id,
        lambda: service.customer_360(
            session, principal, customer_id, today=today_for(request), crypto=crypto_of(request)
        ),
    )
    return render(
        request,
        "console/customers/detail.html",
        {
            "view": view,
            "p": view.profile,
            "can_reveal": principal.can(Permission.PII_VIEW),
            "revealed": revealed or {},
            "consent_kinds": [kind.value for kind in ConsentKind],
        },
    )


@router.get("/console/customers/{customer_id}")
def customer_detail(
    customer_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.CUSTOMERS_READ)],
) -> Response:
    """The customer 360: profile, consents, loans, applications, campaigns, service history."""
    return _detail(request, session, principal, customer_id)


@router.post("/console/customers/{customer_id}/reveal/{field}")
def reveal(
    customer_id: EntityId,
    field: RevealField,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PII_VIEW)],
) -> Response:
    """Reveal one ID or phone number (audited). htmx gets the fragment that replaces the masked
    value; a plain form post gets the 360 page again with the value shown."""
    value = revealed_value(request, session, principal, customer_id, field)
    if request.headers.get("hx-request") == "true":
        return render(
            request, "console/customers/_revealed.html", {"field": field.value, "value": value}
        )
    return _detail(request, session, principal, customer_id, revealed={field.value: value})
