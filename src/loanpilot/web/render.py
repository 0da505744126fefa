"""Rendering pages: the Jinja2 environment, the language of a request, and the context every page
gets (language switch, who is signed in, the navigation, the CSRF token).

Pages never hold an inline script: data for charts travels in ``<script type="application/json">``
islands read by the static scripts, so the Content-Security-Policy can forbid inline code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from loanpilot.access.rules import Permission, Principal
from loanpilot.config import Environment, Settings
from loanpilot.kit import money
from loanpilot.kit.masking import mask_in_text
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


@dataclass(frozen=True)
class NavItem:
    key: str  # message key
    path: str
    permission: Permission | None


#: The console's navigation; an item shows only to those holding its permission.
CONSOLE_NAV: tuple[NavItem, ...] = (
    NavItem("nav.dashboard", "/console/", Permission.DASHBOARD_VIEW),
    NavItem("nav.customers", "/console/customers", Permission.CUSTOMERS_READ),
    NavItem("nav.products", "/console/products", Permission.PRODUCTS_READ),
    NavItem("nav.segments", "/console/segments", Permission.MARKETING_READ),
    NavItem("nav.offers", "/console/offers", Permission.MARKETING_READ),
    NavItem("nav.campaigns", "/console/campaigns", Permission.MARKETING_READ),
    NavItem("nav.market", "/console/market", Permission.MARKETING_READ),
    NavItem("nav.lending", "/console/lending", Permission.LOANS_READ),
    NavItem("nav.risk", "/console/risk", Permission.RISK_READ),
    NavItem("nav.portfolio", "/console/portfolio", Permission.RISK_READ),
    NavItem("nav.alerts", "/console/alerts", Permission.RISK_READ),
    NavItem("nav.collections", "/console/collections", Permission.COLLECTIONS_WORK),
    NavItem("nav.service", "/console/service", Permission.SERVICE_READ),
    NavItem("nav.feedback", "/console/feedback", Permission.FEEDBACK_READ),
    NavItem("nav.kpis", "/console/kpis", Permission.KPI_READ),
    NavItem("nav.plan", "/console/plan", Permission.PLAN_READ),
    NavItem("nav.staff", "/console/staff", Permission.STAFF_READ),
    NavItem("nav.team", "/console/team", Permission.STAFF_READ),
    NavItem("nav.my_team", "/console/team/me", Permission.DASHBOARD_VIEW),
    NavItem("nav.appraisal", "/console/appraisal", Permission.APPRAISAL_READ),
    NavItem("nav.org_units", "/console/org-units", Permission.STAFF_READ),
    NavItem("nav.permissions", "/console/permissions", Permission.PERMISSIONS_READ),
    NavItem("nav.audit", "/console/audit", Permission.AUDIT_READ),
)

PORTAL_NAV: tuple[NavItem, ...] = (
    NavItem("nav.portal_home", "/", None),
    NavItem("nav.calculator", "/calculator", None),
    NavItem("nav.progress", "/progress", None),
    NavItem("nav.feedback_portal", "/feedback", None),
)


# --- formats ---------------------------------------------------------------------------------------


def format_date(value: date | None, lang: Lang = "zh") -> str:
    """``2026年11月29日`` in Chinese, ``29 Nov 2026`` in English; None → a dash."""
    if value is None:
        return "—"
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {EN_MONTHS[value.month - 1]} {value.year}"


def format_datetime(value: datetime | None, lang: Lang = "zh", tz: ZoneInfo | None = None) -> str:
    """A moment in the bank's timezone: ``2026年11月29日 14:05`` / ``29 Nov 2026 14:05``."""
    if value is None:
        return "—"
    local = value.astimezone(tz) if tz is not None and value.tzinfo is not None else value
    return f"{format_date(local.date(), lang)} {local:%H:%M}"


def format_wan(fen: int | None, lang: Lang = "zh") -> str:
    """A loan amount as staff read it: ``123.46万元`` in Chinese, ``¥1,234,600.00`` in English."""
    if fen is None:
        return "—"
    return f"{money.format_wan(fen)}元" if lang == "zh" else money.format_yuan(fen)


@jinja2.pass_context
def _wan_filter(context: jinja2.runtime.Context, fen: int | None) -> str:
    """``|wan`` in the page's language."""
    return format_wan(fen, context.get("lang", "zh"))


def format_rate(rate: Decimal | float | None, places: int = 2) -> str:
    """An annual rate held as a fraction: ``Decimal("0.0345")`` → ``3.45%``."""
    if rate is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    return f"{(Decimal(str(rate)) * 100).quantize(quantum, rounding=ROUND_HALF_UP)}%"


def short_month(month: str, lang: Lang) -> str:
    """``2026-03`` → ``3月`` / ``Mar``."""
    number = int(month[5:7])
    return f"{number}月" if lang == "zh" else EN_MONTHS[number - 1]


def _pii_text_filter(value: str | None) -> str:
    """Free text a customer wrote (a complaint, a survey comment) with IDs, card numbers and
    phone numbers in it masked; None → a dash."""
    return "—" if value is None else mask_in_text(value)


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
        yuan_exact=format_yuan_exact,
        wan=_wan_filter,
        rate=format_rate,
        pii_text=_pii_text_filter,
    )
    return Jinja2Templates(env=env)


# --- the request's language ------------------------------------------------------------------------


def request_lang(request: Request) -> Lang:
    """``?lang=`` if given, else the remembered cookie, else Chinese."""
    return resolve_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def switch_url(request: Request, lang: Lang) -> str:
    """This page's address in the other language (other query parameters kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", other_lang(lang)))
    # One leading slash: a path like //evil.example must not become a link to another site.
    return f"/{request.url.path.lstrip('/')}?{urlencode(params)}"


def _remember_lang(request: Request, response: HTMLResponse) -> None:
    chosen = parse_lang(request.query_params.get("lang"))
    if chosen is None or chosen == parse_lang(request.cookies.get(LANG_COOKIE)):
        return
    settings: Settings = request.app.state.settings
    response.set_cookie(
        LANG_COOKIE,
        chosen,
        max_age=LANG_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.environment is Environment.PRODUCTION,
    )


def page_context(request: Request, lang: Lang) -> dict[str, Any]:
    """What every template may use, beside the page's own context."""
    settings: Settings = request.app.state.settings
    root = request.scope.get("root_path", "")
    principal: Principal | None = getattr(request.state, "principal", None)
    nav = [
        {
            "label": translate(item.key, lang),
            "url": root + item.path,
            "active": request.url.path == item.path
            or (item.path != "/console/" and request.url.path.startswith(item.path)),
        }
        for item in CONSOLE_NAV
        if principal is not None and (item.permission is None or principal.can(item.permission))
    ]
    portal_nav = [
        {
            "label": translate(item.key, lang),
            "url": root + item.path,
            "active": request.url.path == item.path,
        }
        for item in PORTAL_NAV
    ]
    tz = settings.tz
    return {
        "request": request,
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "switch_to": other_lang(lang),
        "switch_url": switch_url(request, lang),
        "t": partial(translate, lang=lang),
        "t_or": lambda key, fallback: translate(key, lang) if key in MESSAGES else fallback,
        "fmt_date": partial(format_date, lang=lang),
        "fmt_datetime": partial(format_datetime, lang=lang, tz=tz),
        "fmt_yuan": partial(format_yuan, lang=lang),
        "fmt_percent": partial(format_percent, lang=lang),
        "root": root,
        "static": lambda path: f"{root}/static/{path}",
        "docs_url": f"{root}/api/docs",
        "principal": principal,
        "role_label": translate(f"role.{principal.role.value}", lang) if principal else "",
        "nav": nav,
        "portal_nav": portal_nav,
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    lang: Lang | None = None,
) -> HTMLResponse:
    """Render ``template`` in the request's language, remembering a language chosen by ``?lang=``."""
    chosen = lang or request_lang(request)
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(
        request,
        template,
        {**page_context(request, chosen), **(context or {})},
        status_code=status_code,
    )
    response.headers["Vary"] = "Cookie"
    response.headers["Cache-Control"] = "no-store"
    _remember_lang(request, response)
    return response
