"""REST API of audit: search the log (auditors and administrators)."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import ErrorRead, SessionDep
from loanpilot.audit.repository import AUDIT_SORTS, AUDIT_TIE_BREAKER, AuditFilters, audit_query
from loanpilot.audit.schemas import AuditEntryRead, AuditPageRead, AuditQuery
from loanpilot.audit.service import business_day_bounds
from loanpilot.db.paging import Page, fetch_page, page_request
from loanpilot.web.auth import require

router = APIRouter(
    prefix="/api/v1",
    tags=["audit"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)

AUDIT_SORT_KEYS: tuple[str, ...] = tuple(AUDIT_SORTS)
AUDIT_DEFAULT_SORT = "-at"


def audit_filters(query: AuditQuery, tz: ZoneInfo) -> AuditFilters:
    """The query's filters, business dates turned into UTC bounds."""
    start, end = business_day_bounds(query.from_date, query.to_date, tz)
    return AuditFilters(
        actor=query.actor,
        action=query.action,
        entity=query.entity,
        entity_id=query.entity_id,
        outcome=query.outcome,
        start=start,
        end=end,
        client=query.client,
    )


def audit_page(request: Request, session: Session, query: AuditQuery) -> Page[Any]:
    """One sorted page of the log (newest first unless ``sort`` says otherwise)."""
    paging = page_request(query.page, query.size, query.sort, AUDIT_SORT_KEYS, AUDIT_DEFAULT_SORT)
    filters = audit_filters(query, request.app.state.settings.tz)
    return fetch_page(session, audit_query(filters), paging, AUDIT_SORTS, AUDIT_TIE_BREAKER)


@router.get("/audit", response_model=AuditPageRead)
def search_audit(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.AUDIT_READ)],
    query: Annotated[AuditQuery, Query()],
) -> AuditPageRead:
    """Search the audit log: actor (user name or staff id), action prefix (``login``, ``pii.``),
    entity, entity id, outcome, business dates ``from_date``..``to_date`` (Asia/Shanghai, both
    inclusive), client address. Newest first; ``sort``: at, action, outcome (``-key`` descending)."""
    page = audit_page(request, session, query)
    return AuditPageRead(
        total=page.total,
        page=page.number,
        pages=page.pages,
        size=page.size,
        sort=("-" if page.desc else "") + page.sort,
        items=[AuditEntryRead.model_validate(dict(row._mapping)) for row in page.rows],
    )
