"""The segments API (issue 6): segmentation runs (rule segments and clusters, versioned), their
segments with profiles and generated names, the band edges, and building new runs. Reading needs
``marketing:read``; editing bands and building ``segments:write``. Band problems carry a stable
``code`` (``segment_rules.PROBLEMS``) and a field ``<dimension>.<row>.<field>``. The route's
session commits."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for
from loanpilot.customers import segments
from loanpilot.customers.schemas_segments import (
    BandsRead,
    BandsWrite,
    BuildRead,
    BuildRequest,
    RunDetailRead,
    RunListRead,
    RunRead,
    SegmentRead,
)
from loanpilot.kit.errors import FieldProblem, NotFoundError, ValidationError
from loanpilot.web.auth import clock, require

router = APIRouter(
    prefix="/api/v1/segments",
    tags=["segments"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}}


@router.get("/runs", response_model=RunListRead)
def list_runs(
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.MARKETING_READ)],
    kind: Annotated[Literal["rules", "clusters"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> RunListRead:
    """Segmentation runs, newest first (``is_current`` marks the one in use of each kind)."""
    return RunListRead(items=[RunRead.of(r) for r in segments.list_runs(session, kind, limit)])


@router.get("/runs/current", response_model=RunDetailRead, responses=_NOT_FOUND)
def current_run(
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.MARKETING_READ)],
    kind: Annotated[Literal["rules", "clusters"], Query()] = "clusters",
) -> RunDetailRead:
    """The current run of a kind with its segments (404 before the first build)."""
    run = segments.current_run(session, kind)
    if run is None:
        raise NotFoundError("segment_run.not_found", f"No {kind} segmentation has been built yet")
    return _detail(session, run.id)


def _detail(session: SessionDep, run_id: int) -> RunDetailRead:
    run = segments.get_run(session, run_id)
    items = [SegmentRead.of(s) for s in segments.run_segments(session, run_id)]
    return RunDetailRead(**RunRead.of(run).model_dump(), segments=items)


@router.get("/runs/{run_id}", response_model=RunDetailRead, responses=_NOT_FOUND)
def read_run(
    run_id: EntityId, session: SessionDep,
    _principal: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> RunDetailRead:  # fmt: skip
    """One run with its segments, largest first, each with its profile and generated name."""
    return _detail(session, run_id)


@router.get("/runs/{run_id}/segments/{code}", response_model=SegmentRead, responses=_NOT_FOUND)
def read_segment(
    run_id: EntityId, code: Annotated[str, Path(max_length=64)], session: SessionDep,
    _principal: Annotated[Principal, require(Permission.MARKETING_READ)],
) -> SegmentRead:  # fmt: skip
    """One segment of a run."""
    for s in segments.run_segments(session, run_id):
        if s.code == code:
            return SegmentRead.of(s)
    raise NotFoundError("segment.not_found", f"Run {run_id} has no segment {code[:64]!r}")


@router.get("/bands", response_model=BandsRead)
def read_bands(
    session: SessionDep, _principal: Annotated[Principal, require(Permission.MARKETING_READ)]
) -> BandsRead:
    """The age (years) and income (yuan a month) bands of the rule segments."""
    return BandsRead.of(segments.band_table(session))


@router.put("/bands", response_model=BandsRead)
def write_bands(
    body: BandsWrite, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.SEGMENTS_WRITE)],
) -> BandsRead:  # fmt: skip
    """Replace the bands of the dimensions given: ordered, contiguous, open at both ends, every
    label present; 422 lists every problem and nothing changes. Applies from the next build."""
    data = {d: [b.as_row() for b in rows] for d, rows in (("age", body.age), ("income", body.income))
            if rows is not None}  # fmt: skip
    table = segments.save_bands(session, data, now=clock(request), staff_id=principal.staff_id,
                                actor_label=f"user:{principal.username}")  # fmt: skip
    return BandsRead.of(table)


@router.post("/build", status_code=201, response_model=BuildRead)
def build(
    body: BuildRequest, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.SEGMENTS_WRITE)],
) -> BuildRead:  # fmt: skip
    """Build the rule run, the cluster run or both on the customers as of ``as_of`` (default
    today); each becomes the current run of its kind."""
    today = today_for(request)
    as_of = body.as_of or today
    if as_of > today:
        raise ValidationError("segments.invalid", "Invalid segmentation request",
                              [FieldProblem("as_of", f"must not be after today ({today}); got {as_of}")])  # fmt: skip
    runs = segments.build_segments(session, as_of=as_of, now=clock(request), kind=body.kind,
                                   k=body.k, staff_id=principal.staff_id,
                                   actor_label=f"user:{principal.username}")  # fmt: skip
    return BuildRead(runs=[RunRead.of(r) for r in runs])
