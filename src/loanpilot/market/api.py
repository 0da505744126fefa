"""The market API: market sizes (entered, imported, listed), our share (the KPI suite's
``market_share``), competitors and their products, and rate positioning. Reading needs
``marketing:read``; entering or importing ``market:write``. An import answers 200 with what it kept
and every rejected row (file, row, column, reason); a file it cannot read at all is 400. The
route's session commits; a refused request changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for
from loanpilot.kit.periods import parse_period
from loanpilot.market import importing, service
from loanpilot.market import positioning as pos
from loanpilot.market import repository as repo
from loanpilot.market import share as shares
from loanpilot.market.schemas import (
    CompetitorProductRead,
    CompetitorRead,
    GapRead,
    ImportRead,
    PositioningRead,
    PositionRead,
    ShareRead,
    SizeRead,
    SizeSaved,
    SizeWrite,
)
from loanpilot.web.auth import client_address, clock, require

router = APIRouter(
    prefix="/api/v1/market",
    tags=["market"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
Reader = Annotated[Principal, require(Permission.MARKETING_READ)]
Writer = Annotated[Principal, require(Permission.MARKET_WRITE)]
Line = Literal["housing", "consumer", "business", "private_banking"]
_IMPORT: dict[int | str, dict[str, Any]] = {400: {"model": ErrorRead}}


def actor(request: Request, principal: Principal) -> service.Actor:
    return service.Actor(principal.staff_id, f"user:{principal.username}", client_address(request))


@router.get("/sizes", response_model=list[SizeRead])
def list_sizes(
    session: SessionDep, _principal: Reader,
    line: Annotated[Line | None, Query()] = None,
    region: Annotated[str | None, Query(max_length=64)] = None,
    period: Annotated[str | None, Query(max_length=16, description="rows overlapping it")] = None,
) -> list[SizeRead]:  # fmt: skip
    """Market sizes, latest period first; ``period`` keeps the rows that overlap it."""
    chosen = parse_period(period) if period else None
    rows = service.filtered_sizes(session, line=line, region=region, period=chosen)
    return [SizeRead.of(s) for s in rows]


@router.post(
    "/sizes", status_code=201, response_model=SizeSaved, responses={409: {"model": ErrorRead}}
)
def save_size(
    body: SizeWrite, request: Request, response: Response, session: SessionDep, principal: Writer
) -> SizeSaved:
    """Enter one market size (201); the same line, region and period already stored is updated
    (200, ``created`` false); a period overlapping another of the same line and region is 409."""
    saved = service.save_size(
        session, body.cells(), actor=actor(request, principal), today=today_for(request),
        now=clock(request),
    )  # fmt: skip
    if not saved.created:
        response.status_code = 200
    return SizeSaved(size=SizeRead.of(saved.size), created=saved.created)


@router.delete("/sizes/{size_id}", status_code=204, responses={404: {"model": ErrorRead}})
def delete_size(
    size_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> Response:
    service.delete_size(session, size_id, actor=actor(request, principal), now=clock(request))
    return Response(status_code=204)


@router.post("/sizes/import", response_model=ImportRead, responses=_IMPORT)
def import_sizes(
    request: Request, session: SessionDep, principal: Writer,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GBK) or .xlsx")],
) -> ImportRead:  # fmt: skip
    """Import market sizes: the good rows are kept, every rejected row is listed."""
    table = importing.read_upload(file.filename, file.file.read())
    report = importing.import_sizes(
        session, table, actor=actor(request, principal), today=today_for(request),
        now=clock(request),
    )  # fmt: skip
    return ImportRead.model_validate(report.as_dict())


@router.get("/share", response_model=list[ShareRead])
def share(
    request: Request, session: SessionDep, _principal: Reader,
    period: Annotated[str | None, Query(max_length=16, description="default: latest")] = None,
    by: Annotated[Literal["all", "region", "product_line", "line_region"], Query()] = "all",
    periods: Annotated[int, Query(ge=1, le=12, description="this many periods up to it")] = 1,
) -> list[ShareRead]:  # fmt: skip
    """Our market share (KPI ``market_share``) by region, product line, both, or overall."""
    today = today_for(request)
    latest = parse_period(period) if period else service.latest_period(session, today)
    if latest is None:
        return []
    out: list[shares.Share] = []
    for p in shares.last_periods(latest, periods):
        if by == "line_region":
            out += shares.matrix(session, p, today=today)
        else:
            out += shares.shares(session, p, by, today=today)
    return [ShareRead.of(s) for s in out]


@router.get("/competitors", response_model=list[CompetitorRead])
def competitors(session: SessionDep, _principal: Reader) -> list[CompetitorRead]:
    return [CompetitorRead.of(c) for c in repo.competitors(session)]


@router.get("/competitor-products", response_model=list[CompetitorProductRead])
def competitor_products(
    session: SessionDep, _principal: Reader,
    line: Annotated[Line | None, Query()] = None,
    subtype: Annotated[str | None, Query(max_length=32)] = None,
    competitor_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    since: date | None = None,
    until: date | None = None,
) -> list[CompetitorProductRead]:  # fmt: skip
    """Competitors' products as observed, latest observation first."""
    rows = repo.observations(session, since=since, until=until, line=line, subtype=subtype,
                             competitor_id=competitor_id)  # fmt: skip
    return [CompetitorProductRead.of(o) for o in rows]


@router.post("/competitors/import", response_model=ImportRead, responses=_IMPORT)
def import_competitors(
    request: Request, session: SessionDep, principal: Writer,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GBK) or .xlsx")],
) -> ImportRead:  # fmt: skip
    """Import competitors' products (a new competitor needs its ``competitor_kind``)."""
    table = importing.read_upload(file.filename, file.file.read())
    report = importing.import_competitors(
        session, table, actor=actor(request, principal), today=today_for(request),
        now=clock(request),
    )  # fmt: skip
    return ImportRead.model_validate(report.as_dict())


@router.get("/positioning", response_model=PositioningRead)
def positioning(
    request: Request, session: SessionDep, _principal: Reader, as_of: date | None = None
) -> PositioningRead:
    """Each of our products' APR against the competitors' for its subtype, and the gaps."""
    day = as_of or today_for(request)
    return PositioningRead(
        as_of=day,
        products=[PositionRead.of(r) for r in pos.positioning(session, day)],
        gaps=[GapRead.of(g) for g in pos.gaps(session, day)],
    )
