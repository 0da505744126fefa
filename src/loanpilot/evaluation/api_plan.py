"""The work-plan API: generate and fetch the marketing work plan (营销工作方案).

``POST /api/v1/plans`` (``plan:write``) builds and stores the plan of a period (``{"period":
"2026Q4", "lang": "zh"}``); ``GET /api/v1/plans`` lists the stored plans, ``GET /api/v1/plans/{id}``
gives one (chapters, summary figures, every source), ``.../{id}.html`` its page and
``.../{id}.pdf`` its PDF (printed by headless Chromium on first request, then cached). Reading
needs ``plan:read``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for
from loanpilot.config import Settings
from loanpilot.evaluation import plan_store
from loanpilot.evaluation.models_report import WorkPlanReport
from loanpilot.kit.clock import now_utc
from loanpilot.web.auth import require

router = APIRouter(
    prefix="/api/v1/plans",
    tags=["work plan"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 404: {"model": ErrorRead}},
)
#: The stored page has inline styles and SVG, and no script at all.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


class PlanCreate(BaseModel):
    period: str = Field(min_length=1, max_length=16, description="2026Q4, 2026-10, 2026H2 or 2026")
    lang: str = Field(default="zh", max_length=8, description="zh or en")


class PlanSummary(BaseModel):
    id: int
    period: str
    language: str
    status: str
    generated_at: datetime
    as_of: date | None
    duration_ms: int | None
    html_url: str
    pdf_url: str


class PlanRead(PlanSummary):
    chapters: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    sources: list[str]


def _summary(r: WorkPlanReport) -> dict[str, Any]:
    return {"id": r.id, "period": r.period, "language": r.language, "status": r.status,
            "generated_at": r.generated_at, "as_of": r.as_of, "duration_ms": r.duration_ms,
            "html_url": f"/api/v1/plans/{r.id}.html", "pdf_url": f"/api/v1/plans/{r.id}.pdf"}  # fmt: skip


def _read(r: WorkPlanReport) -> PlanRead:
    return PlanRead(
        **_summary(r), chapters=r.chapters or [], summary=r.summary or [], sources=r.sources or []
    )


@router.post("", status_code=201, response_model=PlanRead, responses={422: {"model": ErrorRead}})
def create_plan(
    body: PlanCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PLAN_WRITE)],
) -> PlanRead:
    """Build and store the work plan of a period (takes a few seconds on a bank of thousands)."""
    made = plan_store.generate(session, body.period, now=now_utc(), today=today_for(request),
                               lang=body.lang, staff_id=principal.staff_id,
                               actor_label=principal.username)  # fmt: skip
    assert made.report is not None  # stored by default
    return _read(made.report)


@router.get("", response_model=list[PlanSummary])
def list_plans(
    session: SessionDep, _: Annotated[Principal, require(Permission.PLAN_READ)]
) -> list[PlanSummary]:
    """The stored work plans, newest first."""
    return [PlanSummary(**_summary(r)) for r in plan_store.list_reports(session)]


@router.get("/{report_id}.html", response_class=HTMLResponse)
def plan_html(
    report_id: EntityId, session: SessionDep, _: Annotated[Principal, require(Permission.PLAN_READ)]
) -> Response:
    """The plan's self-contained page (``?download=1`` is not needed: the page names its file)."""
    r = plan_store.get_report(session, report_id)
    return HTMLResponse(r.content_html, headers={
        "Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store",
        "Content-Disposition": f'inline; filename="{plan_store.file_name(r, ".html")}"'})  # fmt: skip


@router.get(
    "/{report_id}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def plan_pdf(
    report_id: EntityId,
    request: Request,
    session: SessionDep,
    _: Annotated[Principal, require(Permission.PLAN_READ)],
) -> Response:
    """The plan as PDF (headless Chromium; 500 with the path and package to install if missing)."""
    r = plan_store.get_report(session, report_id)
    settings: Settings = request.app.state.settings
    data = plan_store.pdf_of(r, settings.chromium_path, settings.var_dir / "plans")
    return Response(data, media_type="application/pdf", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{plan_store.file_name(r, ".pdf")}"'})  # fmt: skip


@router.get("/{report_id}", response_model=PlanRead)
def get_plan(
    report_id: EntityId, session: SessionDep, _: Annotated[Principal, require(Permission.PLAN_READ)]
) -> PlanRead:
    """One stored plan: its chapters (available or why not), summary figures and sources."""
    return _read(plan_store.get_report(session, report_id))
