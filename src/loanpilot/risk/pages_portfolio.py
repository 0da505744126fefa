"""Console pages of portfolio analytics (permission risk:read): the book's headline and trend,
roll and flow rates, vintage curves with first-payment default, concentration, and the applicant
funnel with population stability. Figures come from ``risk.portfolio`` through the same JSON views
as the API (``api_portfolio``); charts (ECharts, ``static/js/portfolio.js``) read them from a
``<script type="application/json">`` island, and every chart has its table beside it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import SessionDep, today_for
from loanpilot.customers.models import Channel
from loanpilot.customers.rules import AgeBand
from loanpilot.risk import api_portfolio as views
from loanpilot.risk import portfolio as service
from loanpilot.risk import repository_portfolio as repo
from loanpilot.risk.portfolio import DIMENSIONS, Filters
from loanpilot.web.auth import require
from loanpilot.web.i18n import Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Permission.RISK_READ)]
_SLICE_FIELDS = ("product_id", "channel", "branch_id", "segment", "campaign_id")
_METRICS = ("m1_share", "m3_share", "m1_balance_share", "m3_balance_share")
#: Origination months the vintage page shows unless asked for all (``?months=all``).
RECENT_COHORTS = 24


def _slice(request: Request) -> tuple[Filters, dict[str, str], list[dict[str, str]]]:
    """The slice asked for in the query string, the form's values, and the fields refused."""
    form = {k: request.query_params.get(k, "").strip() for k in _SLICE_FIELDS}
    given = {k: v for k, v in form.items() if v}
    problems = []
    try:
        query = views.SliceQuery.model_validate(given)
    except pydantic.ValidationError as exc:
        bad = {str(e["loc"][0]) for e in exc.errors()}
        problems = [{"field": k, "value": given[k]} for k in sorted(bad)]
        query = views.SliceQuery.model_validate({k: v for k, v in given.items() if k not in bad})
        for k in bad:
            form[k] = ""
    return query.filters(), form, problems


def _choices(session: Session, lang: Lang) -> dict[str, list[tuple[str, str]]]:
    found = repo.choices(session)
    out = {
        dim: [(str(i), zh if lang == "zh" else en) for i, zh, en in rows]
        for dim, rows in found.items()
    }
    out["channel"] = [(c.value, translate(f"dashboard.channel.{c.value}", lang)) for c in Channel]
    out["segment"] = [(b.value, translate(f"customers.segment.{b.value}", lang)) for b in AgeBand]
    return out


def _page(
    request: Request,
    session: Session,
    template: str,
    tab: str,
    data: dict[str, Any],
    form: dict[str, str],
    problems: list[dict[str, str]],
    **extra: Any,
) -> Response:
    lang = request_lang(request)
    return render(
        request,
        f"console/risk/{template}",
        {
            "tab": tab,
            "data": data,
            "payload": jsonable_encoder(data),
            "form": form,
            "problems": problems,
            "choices": _choices(session, lang),
            "as_of": today_for(request),
            **extra,
        },
    )


@router.get("/console/portfolio")
def overview_page(request: Request, session: SessionDep, _principal: Reader) -> Response:
    """Balance, NPL, 30+ and overdue ratios; balance by class and by bucket; month-end trend."""
    f, form, problems = _slice(request)
    lang = request_lang(request)
    data = views.overview_data(service.overview(session, today_for(request), f), lang)
    return _page(request, session, "portfolio.html", "overview", data, form, problems)


@router.get("/console/portfolio/roll-rates")
def roll_page(request: Request, session: SessionDep, _principal: Reader) -> Response:
    """The roll-rate matrix of the last two month ends, flow rates and their 12-month trend."""
    f, form, problems = _slice(request)
    lang = request_lang(request)
    report = service.roll_rate_report(session, today_for(request), f, months=12)
    data = views.roll_data(report, lang)
    return _page(request, session, "portfolio_roll.html", "roll", data, form, problems)


@router.get("/console/portfolio/vintages")
def vintages_page(request: Request, session: SessionDep, _principal: Reader) -> Response:
    """Vintage curves by origination month (or pooled by a dimension) and FPD30."""
    f, form, problems = _slice(request)
    lang = request_lang(request)
    by = request.query_params.get("by", "")
    by = by if by in DIMENSIONS else ""
    metric = request.query_params.get("metric", "")
    metric = metric if metric in _METRICS else _METRICS[0]
    months = "all" if request.query_params.get("months", "") == "all" else ""
    report = service.vintage_report(session, today_for(request), f, by or None)
    data = recent_cohorts(views.vintage_data(session, report, lang), by, months, report.as_of)
    data["metric"] = metric
    data["mob_label"] = translate("portfolio.vintage.mob", lang)
    form = {**form, "by": by, "metric": metric, "months": months}
    return _page(
        request, session, "portfolio_vintages.html", "vintages", data, form, problems,
        dimensions=DIMENSIONS, metrics=_METRICS,
    )  # fmt: skip


def recent_cohorts(data: dict[str, Any], by: str, months: str, as_of: date) -> dict[str, Any]:
    """The vintage figures narrowed to the origination months of the last ``RECENT_COHORTS``
    calendar months up to ``as_of`` (the curves when grouped by month, and first-payment
    default) unless ``months`` is ``all``; ``cohorts`` tells how many months there are, how many
    are shown and the first one shown."""
    fpd = data.get("fpd") or []
    cohorts = sorted({str(r["cohort"]) for r in fpd} | (
        {str(g["key"]) for g in data["groups"]} if not by else set()))  # fmt: skip
    back = as_of.year * 12 + as_of.month - 1 - (RECENT_COHORTS - 1)
    since = f"{back // 12:04d}-{back % 12 + 1:02d}"
    keep = set(cohorts if months == "all" else [c for c in cohorts if c >= since])
    out = dict(data)
    if not by:
        out["groups"] = [g for g in data["groups"] if str(g["key"]) in keep]
    out["fpd"] = [r for r in fpd if str(r["cohort"]) in keep]
    out["cohorts"] = {
        "total": len(cohorts),
        "shown": len(keep),
        "recent": RECENT_COHORTS,
        "since": since,
    }
    return out


@router.get("/console/portfolio/concentration")
def concentration_page(request: Request, session: SessionDep, _principal: Reader) -> Response:
    """Shares of the balance by a dimension (default branch), and HHI of every dimension."""
    lang = request_lang(request)
    day = today_for(request)
    dimension = request.query_params.get("dimension", "branch")
    dimension = dimension if dimension in DIMENSIONS else "branch"
    summary = []
    chosen: dict[str, Any] = {}
    for dim in DIMENSIONS:
        c = service.concentration_report(session, day, dim)
        summary.append({"dimension": dim, "hhi": views.num(c.hhi), "top_share": views.num(
            c.top_share), "equivalent_n": views.num(c.equivalent_n), "keys": len(c.table)})  # fmt: skip
        if dim == dimension:
            chosen = views.concentration_data(session, dim, c, lang)
    data = {"as_of": day, **chosen, "summary": summary}
    return _page(
        request, session, "portfolio_concentration.html", "concentration", data,
        {"dimension": dimension}, [], dimensions=DIMENSIONS,
    )  # fmt: skip


@router.get("/console/portfolio/applicants")
def applicants_page(request: Request, session: SessionDep, _principal: Reader) -> Response:
    """Approval, pass-through and take-up rates by month; PSI of the applicant population."""
    f, form, problems = _slice(request)
    lang = request_lang(request)
    tz = request.app.state.settings.tz
    report = service.applicant_report(session, today_for(request), f, tz=tz)
    data = views.applicants_data(report, lang)
    return _page(request, session, "portfolio_applicants.html", "applicants", data, form, problems)
