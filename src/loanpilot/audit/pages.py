"""Console pages of audit: search the log, and export what was found as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import SessionDep
from loanpilot.audit import repository
from loanpilot.audit.api import audit_filters, audit_page
from loanpilot.audit.schemas import AuditQuery
from loanpilot.audit.service import EXPORT_CAP, compact_json, csv_chunks, record
from loanpilot.config import Settings
from loanpilot.db.session import transaction
from loanpilot.web.auth import client_address, clock, require
from loanpilot.web.render import render

router = APIRouter(include_in_schema=False)

OUTCOMES = ("ok", "denied", "failed")


@router.get("/console/audit")
def audit_log(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.AUDIT_READ)],
    query: Annotated[AuditQuery, Query()],
) -> Response:
    """Search the audit log; newest first."""
    page = audit_page(request, session, query)
    export_params = [
        (key, value)
        for key, value in request.query_params.multi_items()
        if key not in ("page", "size", "sort", "lang") and value
    ]
    return render(
        request,
        "console/admin/audit.html",
        {
            "page": page,
            "query": query,
            "outcomes": OUTCOMES,
            "compact_json": compact_json,
            "can_export": principal.can(Permission.AUDIT_EXPORT),
            "export_params": export_params,
            "export_cap": EXPORT_CAP,
        },
    )


@router.get("/console/audit/export.csv")
def export_audit(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.AUDIT_EXPORT)],
    query: Annotated[AuditQuery, Query()],
) -> Response:
    """The rows the search finds, newest first, as CSV (UTF-8 with BOM), at most ``EXPORT_CAP``.

    The rows are fixed when the export is asked for (up to the newest matching id), and the export
    itself is audited before the file is sent.
    """
    settings: Settings = request.app.state.settings
    filters = audit_filters(query, settings.tz)
    total, last_id = repository.count_and_last_id(session, filters)
    rows = min(total, EXPORT_CAP)
    now = clock(request)
    record(
        session,
        action="audit.export",
        actor_staff_id=principal.staff_id,
        actor_label=f"user:{principal.username}",
        entity="audit_log",
        detail={
            "filters": query.filters_detail(),
            "rows": rows,
            "matched": total,
            "truncated": total > EXPORT_CAP,
        },
        client_address=client_address(request),
        at=now,
    )
    factory: sessionmaker[Session] = request.app.state.session_factory
    fixed = replace(filters, max_id=last_id or 0)

    def stream() -> Iterator[bytes]:
        with transaction(factory) as reader:
            yield from csv_chunks(repository.newest_rows(reader, fixed, EXPORT_CAP), settings.tz)

    stamp = now.astimezone(settings.tz).strftime("%Y%m%d-%H%M%S")
    headers = {
        "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
        "Cache-Control": "no-store",
        "X-Export-Rows": str(rows),
        "X-Export-Matched": str(total),
        "X-Export-Truncated": "true" if total > EXPORT_CAP else "false",
    }
    return StreamingResponse(stream(), media_type="text/csv; charset=utf-8", headers=headers)
