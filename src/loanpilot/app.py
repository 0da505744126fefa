"""The web application: ``create_app(settings)`` builds it; nothing here reads settings at import.

The entry point owns the transaction: ``get_session`` opens one session per request, commits when
the handler returns and rolls back when it raises. Services only flush.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import DataError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from loanpilot import __version__
from loanpilot.config import Settings, get_settings
from loanpilot.db import models as _every_table  # noqa: F401  (all mappers, before any flush)
from loanpilot.db.session import make_engine, make_session_factory, transaction
from loanpilot.evaluation.service import SchemaNotReadyError
from loanpilot.kit.clock import business_today, now_utc
from loanpilot.kit.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

logger = logging.getLogger(__name__)

#: HTTP status of each kind of domain error (the most specific class wins); others are 400.
ERROR_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (SchemaNotReadyError, 503),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (ValidationError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (ConfigurationError, 500),
)


# --- the request-scoped session ------------------------------------------------------------------


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit on success, roll back on any error."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with transaction(factory) as session:
        yield session


#: A handler's session. ``scope="function"``: the commit happens before the response is sent, so a
#: client never sees success for work that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


#: A record id in a path: a positive integer that fits every backend's BIGINT (and a JS number).
EntityId = Annotated[int, Path(ge=1, le=2**53, description="Record id")]


def today_for(request: Request) -> date:
    """Today's business date in the bank's timezone."""
    settings: Settings = request.app.state.settings
    return business_today(settings.tz)


# --- JSON shapes -----------------------------------------------------------------------------------


def yuan(fen: int) -> str:
    """Integer fen as an exact yuan string: ``1234567`` → ``"12345.67"``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


class ErrorRead(BaseModel):
    """The one error shape of the JSON API."""

    error: str = Field(description="Stable machine-readable code, e.g. database.not_migrated")
    detail: str = Field(description="What went wrong, for people")
    fields: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Problems per field: field, message, row, source (never the value given)",
    )


health_router = APIRouter()


@health_router.get("/healthz", tags=["operations"])
def healthz(request: Request) -> JSONResponse:
    """Liveness and database reachability (``select 1``)."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("select 1"))
    except SQLAlchemyError:
        logger.warning("health check: the database does not answer", exc_info=True)
        return JSONResponse({"status": "error", "database": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


# --- errors ----------------------------------------------------------------------------------------
#
# One translation per surface: the JSON API (paths under /api/) gets ``ErrorRead``; pages get an
# error page in the visitor's language, and a console visitor who is not signed in is sent to the
# login page (GET) instead.


def status_for(exc: DomainError) -> int:
    for kind, status in ERROR_STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def error_response(
    status: int, code: str, detail: str, fields: list[dict[str, Any]]
) -> JSONResponse:
    body = ErrorRead(error=code, detail=detail, fields=fields)
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = status_for(exc)
    # Never the problem's ``value``: it may be an ID or phone number (JR/T 0171 C2).
    fields: list[dict[str, Any]] = [problem.public() for problem in exc.problems]
    if wants_json(request):
        response: Response = error_response(status, exc.code, exc.message, fields)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response
    from loanpilot.web.errors import error_page  # the web layer renders its own pages

    return error_page(request, status, exc.code, exc.message, fields)


async def _request_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(part) for part in err.get("loc", ())), "message": err.get("msg", "")}
        for err in exc.errors()
    ]
    if wants_json(request):
        return error_response(422, "request.invalid", "The request is not valid", fields)
    from loanpilot.web.errors import error_page

    return error_page(request, 422, "request.invalid", "The request is not valid", fields)


async def _database_value_error(request: Request, exc: Exception) -> Response:
    """A value the database cannot hold (a number beyond 64 bits, a NUL character on PostgreSQL):
    the request is invalid, and nothing was written (its transaction rolls back). Inputs are
    bounded where they are declared; this is the net under them."""
    assert isinstance(exc, DataError | OverflowError)
    logger.info("database refused a value: %s", type(getattr(exc, "orig", exc)).__name__)
    detail = "A value is out of range or not allowed (e.g. a number too large, a NUL character)"
    if wants_json(request):
        return error_response(422, "request.value_not_storable", detail, [])
    from loanpilot.web.errors import error_page

    return error_page(request, 422, "request.value_not_storable", detail, [])


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if wants_json(request):
        response: Response = error_response(
            exc.status_code, f"http.{exc.status_code}", str(exc.detail), []
        )
    else:
        from loanpilot.web.errors import error_page

        response = error_page(
            request, exc.status_code, f"http.{exc.status_code}", str(exc.detail), []
        )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


# --- the application -------------------------------------------------------------------------------

#: Modules whose ``router`` the application mounts: each area's API and pages, then the portal.
ROUTER_MODULES: tuple[str, ...] = (
    "loanpilot.access.api",
    "loanpilot.access.pages",
    "loanpilot.evaluation.api",
    "loanpilot.evaluation.pages",
    "loanpilot.customers.api",
    "loanpilot.customers.pages",
    "loanpilot.products.api",
    "loanpilot.products.pages",
    "loanpilot.team.api",
    "loanpilot.team.pages",
    "loanpilot.audit.api",
    "loanpilot.audit.pages",
    "loanpilot.channels.api",
    "loanpilot.channels.pages",
    "loanpilot.risk.api",
    "loanpilot.risk.pages",
    "loanpilot.lending.api",
    "loanpilot.lending.pages",
    "loanpilot.lending.api_servicing",
    "loanpilot.lending.pages_servicing",
    "loanpilot.risk.api_close",
    "loanpilot.risk.pages_close",
    "loanpilot.risk.api_portfolio",
    "loanpilot.risk.pages_portfolio",
    "loanpilot.risk.api_alerts",
    "loanpilot.risk.pages_alerts",
    "loanpilot.risk.api_collections",
    "loanpilot.risk.pages_collections",
    "loanpilot.customers.api_segments",
    "loanpilot.customers.pages_segments",
    "loanpilot.products.api_offers",
    "loanpilot.products.pages_offers",
    "loanpilot.products.pages_models",
    "loanpilot.campaigns.pages_uplift",  # /console/campaigns/uplift before /console/campaigns/{id}
    "loanpilot.campaigns.api",
    "loanpilot.campaigns.pages",
    "loanpilot.campaigns.api_planning",
    "loanpilot.campaigns.pages_planning",
    "loanpilot.campaigns.api_results",
    "loanpilot.campaigns.pages_results",
    "loanpilot.team.api_people",
    "loanpilot.team.pages_people",
    "loanpilot.team.api_appraisal",
    "loanpilot.team.pages_appraisal",
    "loanpilot.service.api",
    "loanpilot.service.pages",
    "loanpilot.service.portal",
    "loanpilot.evaluation.api_feedback",
    "loanpilot.evaluation.pages_feedback",
    "loanpilot.evaluation.portal_feedback",
    "loanpilot.evaluation.api_kpis",
    "loanpilot.evaluation.pages_kpis",
    "loanpilot.evaluation.api_plan",
    "loanpilot.evaluation.pages_plan",
    "loanpilot.market.api",
    "loanpilot.market.pages",
)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    try:
        yield
    finally:
        app.state.engine.dispose()


def create_app(settings: Settings) -> FastAPI:
    """The LoanPilot web application on the database named by ``settings``.

    REST API under ``/api/v1`` (OpenAPI at ``/api/docs``), staff console under ``/console``,
    applicant portal at ``/``.
    """
    import importlib

    from loanpilot.web import auth, security
    from loanpilot.web.docs import docs_router
    from loanpilot.web.render import STATIC_DIR, make_templates

    engine = make_engine(settings.database_url)
    app = FastAPI(
        title="LoanPilot",
        version=__version__,
        summary="The personal-loan marketing work plan of a bank, from segment to collections.",
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.templates = make_templates()
    app.state.now = now_utc
    app.state.principal_cache = auth.PrincipalCache()

    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _database_value_error)
    app.add_exception_handler(OverflowError, _database_value_error)

    app.include_router(health_router)
    app.include_router(docs_router)
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    zones = {
        "login": security.Zone(
            "login", settings.rate_limit_login_per_minute, settings.rate_limit_login_per_minute
        ),
        "portal_write": security.Zone(
            "portal_write",
            settings.rate_limit_submit_per_minute,
            settings.rate_limit_submit_per_minute,
        ),
        "portal_read": security.Zone(
            "portal_read",
            settings.rate_limit_portal_per_minute,
            settings.rate_limit_portal_per_minute,
        ),
    }
    app.state.rate_buckets = security.TokenBuckets()
    # Outermost last: headers on every answer, then the size limit, then the rate limit.
    app.add_middleware(security.RateLimit, zones=zones, buckets=app.state.rate_buckets)
    app.add_middleware(
        security.BodyLimit,
        max_bytes=settings.max_body_bytes,
        uploads={"/console/risk/models/fit": settings.max_upload_bytes},
    )
    app.add_middleware(security.SecurityHeaders)
    return app


API_DESCRIPTION = """
LoanPilot's REST API. Authenticate with a bearer token: `POST /api/v1/auth/token` with a staff
user name and password returns one (`Authorization: Bearer lp_…`). Each route needs one
permission of the caller's role (see `GET /api/v1/permissions`); customer managers and branch heads
see only their own customers or branch. Errors have one shape: `{"error", "detail", "fields"}`.
Money is integer fen plus an exact yuan string; rates are decimal fractions.
"""


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (and ``loanpilot serve --reload``): settings read now."""
    return create_app(get_settings())
