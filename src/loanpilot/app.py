"""The web application: ``create_app(settings)`` builds it; nothing here reads settings at import.

The entry point owns the transaction: ``get_session`` opens one session per request, commits when
the handler returns and rolls back when it raises. Services only flush.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from loanpilot import __version__
from loanpilot.config import Settings, get_settings
from loanpilot.db.session import make_engine, make_session_factory, transaction
from loanpilot.evaluation.service import HeadlineFigures, SchemaNotReadyError, headline_figures
from loanpilot.kit.clock import business_today
from loanpilot.kit.errors import (
    ConfigurationError,
    ConflictError,
    DomainError,
    NotFoundError,
    ValidationError,
)

logger = logging.getLogger(__name__)

#: HTTP status of each kind of domain error (the most specific class wins); others are 400.
ERROR_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (SchemaNotReadyError, 503),
    (ValidationError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (ConfigurationError, 500),
)

_RATIO_QUANTUM = Decimal("0.00000001")


# --- the request-scoped session ------------------------------------------------------------------


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit on success, roll back on any error."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with transaction(factory) as session:
        yield session


#: A handler's session. ``scope="function"``: the commit happens before the response is sent, so a
#: client never sees success for work that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


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


class FiveClassBalanceRead(BaseModel):
    five_class: str
    balance_fen: int
    balance_yuan: str


class MonthRead(BaseModel):
    month: str = Field(description="Business month, YYYY-MM (Asia/Shanghai)")
    applications: int
    disbursed_fen: int
    disbursed_yuan: str


class HeadlineRead(BaseModel):
    """Headline figures; money as integer fen plus an exact yuan string."""

    as_of: date
    customers: int
    customers_with_consent: int
    active_loans: int
    outstanding_balance_fen: int
    outstanding_balance_yuan: str
    npl_balance_fen: int
    npl_balance_yuan: str
    npl_ratio: Decimal | None = Field(description="NPL balance ÷ outstanding balance, 8 places")
    applications_this_month: int
    approved_this_month: int
    disbursed_this_month_fen: int
    disbursed_this_month_yuan: str
    by_five_class: list[FiveClassBalanceRead]
    monthly: list[MonthRead]

    @classmethod
    def from_figures(cls, figures: HeadlineFigures) -> HeadlineRead:
        ratio = figures.npl_ratio
        return cls(
            as_of=figures.as_of,
            customers=figures.customers,
            customers_with_consent=figures.customers_with_consent,
            active_loans=figures.active_loans,
            outstanding_balance_fen=figures.outstanding_balance_fen,
            outstanding_balance_yuan=yuan(figures.outstanding_balance_fen),
            npl_balance_fen=figures.npl_balance_fen,
            npl_balance_yuan=yuan(figures.npl_balance_fen),
            npl_ratio=None if ratio is None else ratio.quantize(_RATIO_QUANTUM),
            applications_this_month=figures.applications_this_month,
            approved_this_month=figures.approved_this_month,
            disbursed_this_month_fen=figures.disbursed_this_month_fen,
            disbursed_this_month_yuan=yuan(figures.disbursed_this_month_fen),
            by_five_class=[
                FiveClassBalanceRead(five_class=name, balance_fen=fen, balance_yuan=yuan(fen))
                for name, fen in figures.by_five_class.items()
            ],
            monthly=[
                MonthRead(
                    month=m.month,
                    applications=m.applications,
                    disbursed_fen=m.disbursed_fen,
                    disbursed_yuan=yuan(m.disbursed_fen),
                )
                for m in figures.monthly
            ],
        )


# --- routes ----------------------------------------------------------------------------------------

api_router = APIRouter(prefix="/api/v1", responses={503: {"model": ErrorRead}})


@api_router.get("/headline", response_model=HeadlineRead, tags=["evaluation"])
def read_headline(request: Request, session: SessionDep) -> HeadlineRead:
    """The bank's headline figures today (customers, loans, balance, NPL ratio, this month)."""
    return HeadlineRead.from_figures(
        headline_figures(session, today_for(request), tz=request.app.state.settings.tz)
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


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    # Never the problem's ``value``: it may be an ID or phone number (JR/T 0171 C2).
    fields: list[dict[str, Any]] = [problem.public() for problem in exc.problems]
    return error_response(status_for(exc), exc.code, exc.message, fields)


async def _request_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(part) for part in err.get("loc", ())), "message": err.get("msg", "")}
        for err in exc.errors()
    ]
    return error_response(422, "request.invalid", "The request is not valid", fields)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = error_response(exc.status_code, f"http.{exc.status_code}", str(exc.detail), [])
    if exc.headers:
        response.headers.update(exc.headers)
    return response


# --- the application -------------------------------------------------------------------------------


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    try:
        yield
    finally:
        app.state.engine.dispose()


def create_app(settings: Settings) -> FastAPI:
    """The LoanPilot web application on the database named by ``settings``."""
    from loanpilot.web import pages  # here, not at the top: pages imports this module's SessionDep

    engine = make_engine(settings.database_url)
    app = FastAPI(
        title="LoanPilot",
        version=__version__,
        summary="The personal-loan marketing work plan of a bank, from segment to collections.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.templates = pages.make_templates()

    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)

    app.include_router(health_router)
    app.include_router(api_router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (and ``loanpilot serve --reload``): settings read now."""
    return create_app(get_settings())
