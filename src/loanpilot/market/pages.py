"""Console pages of market analysis (市场分析): market sizes (filter, entry form, import with a result
page listing every rejected row), our share by line × region with its trend, competitors and their
products (import), and rate positioning of our products against them.

Viewing needs ``marketing:read``; entering or importing ``market:write``. Problems are shown in the
page's language by their code (``market.problem.<code>``) beside their field, what was typed kept.
Handlers are thin: the services change state and audit, the request's session commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.kit.errors import (
    ConflictError,
    DomainError,
    FieldProblem,
    ImportFileError,
    NotFoundError,
    ValidationError,
)
from loanpilot.kit.periods import Period, parse_period
from loanpilot.market import importing, service
from loanpilot.market import market_rules as rules
from loanpilot.market import repository as repo
from loanpilot.market.api import actor
from loanpilot.market.pages_views import router as views_router
from loanpilot.web.auth import clock, require
from loanpilot.web.i18n import MESSAGES, Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Permission.MARKETING_READ)]
Writer = Annotated[Principal, require(Permission.MARKET_WRITE)]
Text = Annotated[str, Form(max_length=400)]
FIELDS = ("product_line", "region", "period", "total_balance_yuan", "new_lending_yuan", "source",
          "note")  # fmt: skip

router.include_router(views_router)


def problem_text(p: FieldProblem, lang: Lang) -> str:
    if isinstance(p, rules.Problem) and p.code and f"market.problem.{p.code}" in MESSAGES:
        return translate(f"market.problem.{p.code}", lang, **dict(p.params))
    return p.message


def localised(problems: Iterable[FieldProblem], lang: Lang) -> list[dict[str, Any]]:
    return [
        {"field": p.field, "row": p.row, "source": p.source, "message": problem_text(p, lang)}
        for p in problems
    ]


def _period_or_none(text: str) -> Period | None:
    try:
        return parse_period(text) if text else None
    except ValidationError:
        return None


def _sizes_page(
    request: Request, session: SessionDep, principal: Principal, *, line: str = "",
    region: str = "", period: str = "", form: dict[str, str] | None = None,
    fields: list[dict[str, Any]] | None = None, error: str | None = None,
    error_code: str = "", notice: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    chosen = _period_or_none(period)
    rows = service.filtered_sizes(
        session, line=line if line in rules.LINES else None, region=region or None, period=chosen
    )
    today = today_for(request)
    return render(request, "console/market/sizes.html", {
        "rows": rows, "lines": rules.LINES, "regions": repo.regions(session),
        "filters": {"line": line, "region": region, "period": period},
        "period_invalid": bool(period) and chosen is None,
        "form": form or {"period": Period.containing(today, "quarter").label},
        "fields": fields or [], "error": error, "error_code": error_code, "notice": notice,
        "can_write": principal.can(Permission.MARKET_WRITE),
    }, status_code=status_code)  # fmt: skip


@router.get("/console/market")
def sizes_page(
    request: Request, session: SessionDep, principal: Reader,
    line: Annotated[str, Query(max_length=32)] = "",
    region: Annotated[str, Query(max_length=64)] = "",
    period: Annotated[str, Query(max_length=16)] = "",
    saved: Annotated[str, Query(max_length=16)] = "",
) -> Response:  # fmt: skip
    """Market sizes with filters, the entry form and the import form."""
    lang = request_lang(request)
    notice = translate(f"market.saved.{saved}", lang) if saved in ("created", "updated", "deleted") else None  # fmt: skip
    return _sizes_page(request, session, principal, line=line, region=region, period=period,
                       notice=notice)  # fmt: skip


@router.post("/console/market/sizes")
def save_size(
    request: Request, session: SessionDep, principal: Writer,
    product_line: Text = "", region: Text = "", period: Text = "", total_balance_yuan: Text = "",
    new_lending_yuan: Text = "", source: Text = "", note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:  # fmt: skip
    """Enter one market size; problems beside their fields (422), an overlap 409, typed kept."""
    form = {"product_line": product_line, "region": region, "period": period,
            "total_balance_yuan": total_balance_yuan, "new_lending_yuan": new_lending_yuan,
            "source": source, "note": note}  # fmt: skip
    lang = request_lang(request)
    try:
        saved = service.save_size(session, form, actor=actor(request, principal),
                                  today=today_for(request), now=clock(request))  # fmt: skip
    except (ValidationError, ConflictError) as exc:
        session.rollback()
        status = 409 if isinstance(exc, ConflictError) else 422
        return _sizes_page(
            request, session, principal, form=form, fields=localised(exc.problems, lang),
            error=translate("market.form.invalid" if status == 422 else "market.form.overlap", lang),
            error_code="form" if status == 422 else "overlap", status_code=status,
        )  # fmt: skip
    state = "created" if saved.created else "updated"
    return RedirectResponse(f"/console/market?saved={state}", status_code=303)


@router.post("/console/market/sizes/{size_id}/delete")
def delete_size(
    size_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> Response:
    try:
        service.delete_size(session, size_id, actor=actor(request, principal), now=clock(request))
    except NotFoundError:
        return RedirectResponse("/console/market", status_code=303)
    return RedirectResponse("/console/market?saved=deleted", status_code=303)


async def _import(request: Request, session: SessionDep, principal: Principal, kind: str) -> Response:  # fmt: skip
    submitted = await request.form()
    upload = submitted.get("file")
    lang = request_lang(request)
    today, now = today_for(request), clock(request)

    def work(name: str | None, data: bytes) -> Response:
        run = importing.import_sizes if kind == "sizes" else importing.import_competitors
        try:
            table = importing.read_upload(name, data)
            report = run(session, table, actor=actor(request, principal), today=today, now=now)
        except (ImportFileError, ValidationError) as exc:
            session.rollback()
            return render(request, "console/market/import_result.html", {
                "kind": kind, "report": None, "error": exc.message,
                "problems": localised(exc.problems, lang),
            }, status_code=400)  # fmt: skip
        except DomainError:
            session.rollback()
            raise
        return render(request, "console/market/import_result.html", {
            "kind": kind, "report": report, "error": None,
            "problems": localised(report.rejected, lang),
        })  # fmt: skip

    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            return render(request, "console/market/import_result.html", {
                "kind": kind, "report": None, "error": translate("market.import.no_file", lang),
                "problems": [],
            }, status_code=422)  # fmt: skip
        data = await upload.read()
        return await run_in_threadpool(work, upload.filename, data)
    finally:
        await submitted.close()


@router.post("/console/market/sizes/import")
async def import_sizes(request: Request, session: SessionDep, principal: Writer) -> Response:
    """Import a market-size file; the result page lists every rejected row."""
    return await _import(request, session, principal, "sizes")


@router.post("/console/market/competitors/import")
async def import_competitors(request: Request, session: SessionDep, principal: Writer) -> Response:
    """Import a competitor-product file; the result page lists every rejected row."""
    return await _import(request, session, principal, "competitors")
