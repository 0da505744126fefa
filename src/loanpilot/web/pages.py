"""The headline page at ``/``: one honest page of the bank's figures, read from the database.

The handler is thin: pick the language, one service call, render. ``headline_view`` turns the
figures into what the template shows (labels, shares, bar heights); it is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from loanpilot.app import SessionDep, today_for
from loanpilot.config import Environment, Settings
from loanpilot.evaluation.service import (
    NPL_CLASSES,
    HeadlineFigures,
    SchemaNotReadyError,
    headline_figures,
)
from loanpilot.web.i18n import (
    HTML_LANG,
    LANG_COOKIE,
    MESSAGES,
    Lang,
    format_count,
    format_percent,
    format_yuan,
    format_yuan_exact,
    other_lang,
    parse_lang,
    resolve_lang,
    translate,
)

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

router = APIRouter()


def make_templates() -> Jinja2Templates:
    """The page templates: autoescaped, and an undefined variable is an error, not a blank."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        count=format_count,
        yuan=format_yuan,
        yuan_exact=format_yuan_exact,
        percent=format_percent,
    )
    return Jinja2Templates(env=env)


@dataclass(frozen=True)
class FiveClassRow:
    key: str
    label: str
    balance_fen: int
    share: Decimal | None
    is_npl: bool


@dataclass(frozen=True)
class MonthRow:
    month: str
    short_label: str
    applications: int
    disbursed_fen: int
    applications_height: str  # CSS percentage of the tallest bar, e.g. "42.5"
    disbursed_height: str


@dataclass(frozen=True)
class HeadlineView:
    figures: HeadlineFigures
    five_classes: list[FiveClassRow]
    months: list[MonthRow]


def _height(value: int, tallest: int) -> str:
    if tallest <= 0 or value <= 0:
        return "0"
    share = (Decimal(value) * 100 / Decimal(tallest)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return str(share)


def _short_month(month: str, lang: Lang) -> str:
    number = int(month[5:7])
    return f"{number}月" if lang == "zh" else EN_MONTHS[number - 1]


def headline_view(figures: HeadlineFigures, lang: Lang) -> HeadlineView:
    """What the page shows of ``figures`` in ``lang``."""
    total = figures.outstanding_balance_fen
    five_classes = [
        FiveClassRow(
            key=name,
            label=translate(f"five_class.{name}", lang)
            if f"five_class.{name}" in MESSAGES
            else name,
            balance_fen=fen,
            share=Decimal(fen) / Decimal(total) if total else None,
            is_npl=name in NPL_CLASSES,
        )
        for name, fen in figures.by_five_class.items()
    ]
    most_applications = max((m.applications for m in figures.monthly), default=0)
    most_disbursed = max((m.disbursed_fen for m in figures.monthly), default=0)
    months = [
        MonthRow(
            month=m.month,
            short_label=_short_month(m.month, lang),
            applications=m.applications,
            disbursed_fen=m.disbursed_fen,
            applications_height=_height(m.applications, most_applications),
            disbursed_height=_height(m.disbursed_fen, most_disbursed),
        )
        for m in figures.monthly
    ]
    return HeadlineView(figures=figures, five_classes=five_classes, months=months)


def _render(
    request: Request, lang: Lang, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    base = {
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "switch_to": other_lang(lang),
        "t": partial(translate, lang=lang),
        "css_url": f"{request.scope.get('root_path', '')}/static/loanpilot.css",
        "docs_url": f"{request.scope.get('root_path', '')}/api/docs",
    }
    response = templates.TemplateResponse(
        request, "headline.html", {**base, **context}, status_code=status_code
    )
    response.headers["Vary"] = "Cookie"
    return response


def _remember_lang(response: HTMLResponse, chosen: Lang | None, settings: Settings) -> None:
    if chosen is None:
        return
    response.set_cookie(
        LANG_COOKIE,
        chosen,
        max_age=LANG_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.environment is Environment.PRODUCTION,
    )


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def headline_page(
    request: Request,
    session: SessionDep,
    lang: Annotated[str | None, Query(max_length=16, description="zh (default) or en")] = None,
) -> HTMLResponse:
    """The headline figures page (Chinese by default; ``?lang=en`` switches and is remembered)."""
    settings: Settings = request.app.state.settings
    chosen = parse_lang(lang)
    current = resolve_lang(lang, request.cookies.get(LANG_COOKIE))
    try:
        figures = headline_figures(session, today_for(request), tz=settings.tz)
    except SchemaNotReadyError:
        response = _render(request, current, {"state": "no_schema"}, status_code=503)
    else:
        state = "ready" if figures.has_data else "empty"
        view = headline_view(figures, current)
        response = _render(request, current, {"state": state, "view": view, "figures": figures})
    _remember_lang(response, chosen, settings)
    return response
