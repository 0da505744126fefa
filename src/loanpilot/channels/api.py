"""REST API of channels: the applicant portal's public calculator, applications and progress.

No staff login: these routes are rate-limited per client address (``web.security``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from loanpilot.app import ErrorRead, SessionDep, today_for
from loanpilot.channels import attribution
from loanpilot.channels import portal_service as portal
from loanpilot.channels.schemas import (
    ApplicationCreate,
    ApplicationSubmittedRead,
    CalculationRead,
    ProgressQuery,
    ProgressRead,
)
from loanpilot.config import Settings
from loanpilot.lending.service import find_progress, submit_application
from loanpilot.web.auth import client_address, clock

router = APIRouter(prefix="/api/v1")

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorRead},
    409: {"model": ErrorRead},
    422: {"model": ErrorRead},
    429: {"model": ErrorRead},
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get(
    "/portal/calculator", tags=["portal"], response_model=CalculationRead, responses=_ERRORS
)
def calculator(
    request: Request,
    session: SessionDep,
    product: Annotated[str, Query(description="Product code, e.g. CL-GEN")],
    amount_fen: Annotated[int, Query(gt=0)],
    term_months: Annotated[int, Query(gt=0)],
    method: Annotated[str | None, Query(description="The method to highlight")] = None,
) -> CalculationRead:
    """First payment, total interest and fees, APR and the full schedule of every repayment
    method the product offers (the others are listed with ``offered`` false)."""
    chosen = portal.active_product(session, product)
    calc = portal.calculate(
        session,
        chosen,
        amount_fen=amount_fen,
        term_months=term_months,
        method=method,
        on=today_for(request),
    )
    return CalculationRead.from_calculation(calc)


@router.post(
    "/portal/applications",
    tags=["portal"],
    status_code=201,
    response_model=ApplicationSubmittedRead,
    responses={200: {"model": ApplicationSubmittedRead}, **_ERRORS},
)
def submit(
    request: Request,
    session: SessionDep,
    body: ApplicationCreate,
    idempotency_key: Annotated[
        str, Header(alias="Idempotency-Key", description="8-64 characters, unique per application")
    ],
    utm_source: Annotated[str | None, Query(max_length=64)] = None,
    utm_medium: Annotated[str | None, Query(max_length=64)] = None,
    utm_campaign: Annotated[
        str | None, Query(max_length=64, description="a campaign code attributes the lead")
    ] = None,
    utm_content: Annotated[str | None, Query(max_length=64)] = None,
    utm_term: Annotated[str | None, Query(max_length=64)] = None,
) -> JSONResponse:
    """Apply for a loan. 201 the first time; the same key again returns the same application
    with 200. Every problem with the application is listed at once (422)."""
    product = portal.active_product(session, body.product)
    done = submit_application(
        session,
        portal.field_cipher(_settings(request)),
        product,
        body.form(),
        idempotency_key,
        now=clock(request),
        today=today_for(request),
        client_address=client_address(request),
    )
    tags = attribution.parse_tags({
        "utm_source": utm_source, "utm_medium": utm_medium, "utm_campaign": utm_campaign,
        "utm_content": utm_content, "utm_term": utm_term,
    })  # fmt: skip
    if not done.replayed:
        attribution.attach_lead(
            session, done.application, tags, now=clock(request), today=today_for(request)
        )
    decision = portal.decide_submitted(session, done, now=clock(request), today=today_for(request))
    read = ApplicationSubmittedRead.from_submitted(done, decision)
    return JSONResponse(read.model_dump(mode="json"), status_code=200 if done.replayed else 201)


@router.post(
    "/portal/applications/progress",
    tags=["portal"],
    response_model=ProgressRead,
    responses=_ERRORS,
)
def progress(request: Request, session: SessionDep, body: ProgressQuery) -> ProgressRead:
    """An application's status and stage times, given its number, the last four characters of
    the applicant's ID and the query code. Any mismatch is the same 404."""
    found = find_progress(
        session,
        portal.field_cipher(_settings(request)),
        body.application_no,
        body.id_last_four,
        body.query_code,
    )
    decision = portal.decision_of(session, found.application_id, today_for(request))
    return ProgressRead.from_progress(found, decision)
