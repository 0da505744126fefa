"""Evaluation API: the headline KPIs and the dashboard's figures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from loanpilot.access.rules import Permission, Principal, ScopeKind
from loanpilot.app import ErrorRead, SessionDep, today_for
from loanpilot.evaluation.dashboard import (
    Dashboard,
    DashboardCache,
    RawFilters,
    Viewer,
    dashboard,
)
from loanpilot.evaluation.schemas import DashboardRead, HeadlineRead
from loanpilot.evaluation.service import headline_figures
from loanpilot.kit.errors import PermissionDeniedError
from loanpilot.web.auth import deny_scope, require

router = APIRouter(
    prefix="/api/v1",
    tags=["evaluation"],
    responses={
        401: {"model": ErrorRead},
        403: {"model": ErrorRead},
        503: {"model": ErrorRead},
    },
)

#: The query parameters of the dashboard (console page and API alike); all optional.
FromMonth = Annotated[
    str | None,
    Query(alias="from", max_length=16, description="First month, YYYY-MM (default: 11 months ago)"),
]
ToMonth = Annotated[
    str | None, Query(alias="to", max_length=16, description="Last month, YYYY-MM (default: now)")
]
BranchParam = Annotated[
    str | None, Query(max_length=16, description="A branch id: that branch and those below it")
]
ProductParam = Annotated[str | None, Query(max_length=16, description="A loan product id")]
ChannelParam = Annotated[
    str | None, Query(max_length=32, description="online, mobile, branch, partner, …")
]


def dashboard_cache(request: Request) -> DashboardCache:
    """The application's dashboard cache (made on first use)."""
    cache: DashboardCache | None = getattr(request.app.state, "dashboard_cache", None)
    if cache is None:
        cache = request.app.state.dashboard_cache = DashboardCache()
    return cache


def scoped_dashboard(
    request: Request, session: SessionDep, principal: Principal, raw: RawFilters
) -> Dashboard:
    """The dashboard for ``principal``; a reach beyond a branch head's branch is audited."""
    try:
        return dashboard(
            session,
            raw,
            Viewer.of(principal),
            today_for(request),
            tz=request.app.state.settings.tz,
            cache=dashboard_cache(request),
        )
    except PermissionDeniedError:
        deny_scope(request, principal, "branch", str(raw.branch_id))
        raise


@router.get("/headline", response_model=HeadlineRead)
def read_headline(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.DASHBOARD_VIEW)],
) -> HeadlineRead:
    """The bank's headline figures today (customers, loans, balance, NPL ratio, this month).

    Bank-wide figures: a customer manager or branch head gets 403 and uses ``/dashboard``, which
    is computed within their scope."""
    if principal.scope is not ScopeKind.ALL:
        raise PermissionDeniedError(
            "scope.forbidden",
            "The headline figures are bank-wide; use /api/v1/dashboard for your own scope",
        )
    return HeadlineRead.from_figures(
        headline_figures(session, today_for(request), tz=request.app.state.settings.tz)
    )


@router.get(
    "/dashboard",
    response_model=DashboardRead,
    responses={422: {"model": ErrorRead, "description": "Every invalid filter, listed"}},
)
def read_dashboard(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.DASHBOARD_VIEW)],
    from_month: FromMonth = None,
    to_month: ToMonth = None,
    branch_id: BranchParam = None,
    product_id: ProductParam = None,
    channel: ChannelParam = None,
) -> DashboardRead:
    """The dashboard's figures: applications, approval rate and disbursements by business month
    and by branch, with today's balance and NPL ratio; filtered by period (default: the last 12
    months), branch, product and channel, and limited to the caller's branch or customers."""
    raw = RawFilters(from_month, to_month, branch_id, product_id, channel)
    board = scoped_dashboard(request, session, principal, raw)
    return DashboardRead.of(board)
