"""The read-only market pages: our share (by line × region, with its trend), competitors and their
latest products, and rate positioning. Viewing needs ``marketing:read``; charts are drawn by
``static/js/market.js`` from a JSON island, and every figure is also in a table beside them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import SessionDep, today_for
from loanpilot.kit.errors import ValidationError
from loanpilot.kit.periods import Period, parse_period
from loanpilot.market import market_rules as rules
from loanpilot.market import positioning as pos
from loanpilot.market import repository as repo
from loanpilot.market import service
from loanpilot.market import share as shares
from loanpilot.web.auth import require
from loanpilot.web.i18n import Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Permission.MARKETING_READ)]


def _pct(value: Decimal | None) -> float | None:
    """A fraction as a percentage for a chart (4 decimals)."""
    return None if value is None else round(float(value) * 100, 4)


def _line_name(line: str, lang: Lang) -> str:
    return translate(f"market.line.{line}", lang) if line in rules.LINES else line


def _subtype_name(subtype: str, lang: Lang) -> str:
    names = rules.SUBTYPE_NAMES.get(subtype)
    return (names[0] if lang == "zh" else names[1]) if names else subtype


@router.get("/console/market/share")
def share_page(
    request: Request, session: SessionDep, _principal: Reader,
    period: Annotated[str, Query(max_length=16)] = "",
    periods: Annotated[int, Query(ge=2, le=12)] = 6,
) -> Response:  # fmt: skip
    """Our share (KPI ``market_share``) by line, by region and by line × region, and its trend."""
    lang = request_lang(request)
    today = today_for(request)
    chosen: Period | None = None
    invalid = False
    if period:
        try:
            chosen = parse_period(period)
        except ValidationError:
            invalid = True
    latest = chosen or service.latest_period(session, today)
    context: dict[str, Any] = {"latest": latest, "period_text": period, "period_invalid": invalid,
                               "periods": periods}  # fmt: skip
    if latest is None:
        return render(request, "console/market/share.html", context | {"data": None})
    overall = shares.shares(session, latest, "all", today=today)
    by_line = shares.shares(session, latest, "product_line", today=today)
    by_region = shares.shares(session, latest, "region", today=today)
    cells = shares.matrix(session, latest, today=today)
    span = shares.last_periods(latest, periods)
    trend_region = shares.trend(session, span, "region", today=today)
    trend_line = shares.trend(session, span, "product_line", today=today)
    trend_all = shares.trend(session, span, "all", today=today)
    regions = sorted({c.region for c in cells if c.region})
    lines = [line for line in rules.LINES if any(c.line == line for c in cells)]

    def series(values: list[shares.Share], name: Any) -> list[dict[str, Any]]:
        keys = sorted({v.key for v in values})
        found = {(v.period, v.key): v.value for v in values}
        return [{"name": name(k), "values": [_pct(found.get((p.label, k))) for p in span]}
                for k in keys]  # fmt: skip

    chart = {
        "periods": [p.label for p in span],
        "region": series(trend_region, lambda k: k),
        "line": series(trend_line, lambda k: _line_name(k, lang)),
        "all": series(trend_all, lambda _k: translate("market.share.all", lang)),
        "unit": "%",
    }
    return render(request, "console/market/share.html", context | {
        "data": True, "overall": overall[0] if overall else None, "by_line": by_line,
        "by_region": by_region, "cells": {(c.line, c.region): c for c in cells},
        "regions": regions, "lines": lines, "chart": chart,
        "line_name": lambda k: _line_name(k, lang),
    })  # fmt: skip


@router.get("/console/market/competitors")
def competitors_page(
    request: Request, session: SessionDep, principal: Reader,
    line: Annotated[str, Query(max_length=32)] = "",
    subtype: Annotated[str, Query(max_length=32)] = "",
    history: Annotated[bool, Query()] = False,
) -> Response:  # fmt: skip
    """Competitors and their products (latest observation of each, or every observation)."""
    lang = request_lang(request)
    today = today_for(request)
    chosen_line = line if line in rules.LINES else None
    chosen_sub = subtype if subtype in rules.SUBTYPE_LINE else None
    if history:
        rows = repo.observations(session, line=chosen_line, subtype=chosen_sub)
    else:
        rows = [
            o for o in pos.latest_observations(session, today)
            if (chosen_line is None or o.product.product_line.value == chosen_line)
            and (chosen_sub is None or o.product.subtype == chosen_sub)
        ]  # fmt: skip
    return render(request, "console/market/competitors.html", {
        "competitors": repo.competitors(session), "rows": rows[:2000], "truncated": len(rows) > 2000,
        "filters": {"line": line, "subtype": subtype, "history": history},
        "lines": rules.LINES, "subtypes": list(rules.SUBTYPE_LINE), "today": today,
        "subtype_name": lambda s: _subtype_name(s, lang),
        "line_name": lambda k: _line_name(k, lang),
        "can_write": principal.can(Permission.MARKET_WRITE),
    })  # fmt: skip


@router.get("/console/market/positioning")
def positioning_page(
    request: Request, session: SessionDep, _principal: Reader,
    as_of: Annotated[str, Query(max_length=10)] = "",
) -> Response:  # fmt: skip
    """Each of our products' APR against the competitors of its subtype; the gaps."""
    lang = request_lang(request)
    day = today_for(request)
    invalid = False
    if as_of:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            invalid = True
    rows = pos.positioning(session, day)
    points = pos.chart_points(rows)
    chart = {
        "subtypes": [_subtype_name(p.subtype, lang) for p in points],
        "ours": [_pct(p.our_apr) for p in points],
        "min": [_pct(p.competitors.minimum) for p in points],
        "median": [_pct(p.competitors.median) for p in points],
        "max": [_pct(p.competitors.maximum) for p in points],
        "labels": {k: translate(f"market.pos.{k}", lang) for k in ("ours", "range", "median")},
    }
    return render(request, "console/market/positioning.html", {
        "rows": rows, "gaps": pos.gaps(session, day), "as_of": day, "as_of_invalid": invalid,
        "chart": chart, "subtype_name": lambda s: _subtype_name(s, lang),
        "line_name": lambda k: _line_name(k, lang), "max_age": pos.MAX_AGE_DAYS,
    })  # fmt: skip
