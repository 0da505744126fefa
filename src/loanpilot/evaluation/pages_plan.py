"""Console pages of the generated marketing work plans (营销工作方案).

``/console/plan`` lists the stored plans (``plan:read``) and, for those holding ``plan:write``,
the form that generates one (period, language): the button shows a spinner while the plan is
built (a few seconds), then the new plan is listed first. ``/console/plan/{id}/view`` opens a
plan's page as its own document (it has its own strict CSP), ``.../download.html`` and
``.../download.pdf`` download it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.config import Settings
from loanpilot.evaluation import plan_store
from loanpilot.evaluation.api_plan import REPORT_CSP
from loanpilot.kit.errors import ValidationError
from loanpilot.kit.periods import Period
from loanpilot.web.auth import clock, require
from loanpilot.web.render import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=32)]


def _page(request: Request, session: SessionDep, principal: Principal, *, form: dict[str, str] | None = None,
          fields: dict[str, str] | None = None, made: int | None = None, status_code: int = 200) -> Response:  # fmt: skip
    today = today_for(request)
    default = Period.containing(today, "quarter").label
    return render(request, "console/plan/index.html", {
        "reports": plan_store.list_reports(session),
        "can_write": Permission.PLAN_WRITE in principal.permissions,
        "form": form or {"period": default, "lang": "zh"},
        "fields": fields or {}, "made": made,
    }, status_code=status_code)  # fmt: skip


@router.get("/console/plan")
def plan_index(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PLAN_READ)],
    made: int | None = None,
) -> Response:
    return _page(request, session, principal, made=made)


@router.post("/console/plan")
def plan_generate(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PLAN_WRITE)],
    period: Text = "",
    lang: Text = "zh",
) -> Response:
    """Generate and store a plan; a bad period or language is shown beside its field."""
    form = {"period": period, "lang": lang}
    htmx = request.headers.get("HX-Request") == "true"
    try:
        made = plan_store.generate(session, period, now=clock(request), today=today_for(request), lang=lang,
                                   staff_id=principal.staff_id, actor_label=f"user:{principal.username}")  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        fields = {p.field: p.message for p in exc.problems}
        # htmx swaps only 2xx answers: the form comes back with its problems either way
        return _page(
            request, session, principal, form=form, fields=fields, status_code=200 if htmx else 422
        )
    assert made.report is not None
    target = f"{request.scope.get('root_path', '')}/console/plan?made={made.report.id}"
    if htmx:
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/console/plan/{report_id}/view")
def plan_view(
    report_id: EntityId, session: SessionDep, _: Annotated[Principal, require(Permission.PLAN_READ)]
) -> Response:
    r = plan_store.get_report(session, report_id)
    return HTMLResponse(
        r.content_html, headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store"}
    )


@router.get("/console/plan/{report_id}/download.html")
def plan_download_html(
    report_id: EntityId, session: SessionDep, _: Annotated[Principal, require(Permission.PLAN_READ)]
) -> Response:
    r = plan_store.get_report(session, report_id)
    return Response(r.content_html, media_type="text/html; charset=utf-8", headers={
        "Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{plan_store.file_name(r, ".html")}"'})  # fmt: skip


@router.get("/console/plan/{report_id}/download.pdf")
def plan_download_pdf(
    report_id: EntityId, request: Request, session: SessionDep,
    _: Annotated[Principal, require(Permission.PLAN_READ)],
) -> Response:  # fmt: skip
    r = plan_store.get_report(session, report_id)
    settings: Settings = request.app.state.settings
    data = plan_store.pdf_of(r, settings.chromium_path, settings.var_dir / "plans")
    return Response(data, media_type="application/pdf", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{plan_store.file_name(r, ".pdf")}"'})  # fmt: skip
