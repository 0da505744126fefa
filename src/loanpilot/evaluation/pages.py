"""Console pages of evaluation: the dashboard (经营概览) at ``/console/``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from loanpilot.access.rules import Permission, Principal, ScopeKind
from loanpilot.app import SessionDep
from loanpilot.customers.models import Channel
from loanpilot.evaluation.api import (
    BranchParam,
    ChannelParam,
    FromMonth,
    ProductParam,
    ToMonth,
    scoped_dashboard,
)
from loanpilot.evaluation.dashboard import BranchRow, Dashboard, RawFilters
from loanpilot.kit.errors import ValidationError
from loanpilot.web.auth import require
from loanpilot.web.i18n import Lang, translate
from loanpilot.web.render import EN_MONTHS, format_date, render, request_lang, short_month

router = APIRouter(include_in_schema=False)

_WAN_FEN = 1_000_000  # 1 万元 in fen


def month_labels(months: list[str], lang: Lang) -> list[str]:
    """``short_month`` labels; the first month and every January also name the year when the
    series spans more than one calendar year (``2026年1月`` / ``Jan 2026``)."""
    years = {m[:4] for m in months}
    labels = []
    for i, month in enumerate(months):
        label = short_month(month, lang)
        if len(years) > 1 and (i == 0 or month.endswith("-01")):
            year = month[:4]
            label = (
                f"{year}年{label}" if lang == "zh" else f"{EN_MONTHS[int(month[5:7]) - 1]} {year}"
            )
        labels.append(label)
    return labels


def _wan(fen: int) -> float:
    return round(fen / _WAN_FEN, 2)


def _pct(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value) * 100, 2)


def branch_label(row: BranchRow, lang: Lang) -> str:
    return row.name if row.branch_id is not None else translate("dashboard.unassigned", lang)


def chart_data(board: Dashboard, lang: Lang) -> dict[str, Any]:
    """What ``static/js/dashboard.js`` draws: labels, series and their names."""

    def t(key: str) -> str:
        return translate(key, lang)

    return {
        "labels": {
            "applications": t("dashboard.col.applications"),
            "approval_rate": t("dashboard.col.approval_rate"),
            "disbursed": t("dashboard.col.disbursed"),
            "balance": t("dashboard.col.balance"),
            "npl_ratio": t("dashboard.col.npl_ratio"),
            "count": t("dashboard.unit.count"),
            "wan": t("dashboard.unit.wan"),
        },
        "months": month_labels([m.month for m in board.months], lang),
        "applications": [m.applications for m in board.months],
        "approval_rate": [_pct(m.approval_rate) for m in board.months],
        "disbursed": [_wan(m.disbursed_fen) for m in board.months],
        "branches": [branch_label(b, lang) for b in board.branches],
        "branch_disbursed": [_wan(b.disbursed_fen) for b in board.branches],
        "branch_balance": [_wan(b.balance_fen) for b in board.branches],
        "branch_npl_ratio": [_pct(b.npl_ratio) for b in board.branches],
    }


def scope_note(principal: Principal, board: Dashboard, lang: Lang) -> str:
    if principal.scope is ScopeKind.OWN:
        return translate("dashboard.scope.own", lang)
    if principal.scope is ScopeKind.BRANCH:
        name = next(
            (c.label(lang) for c in board.branch_choices if c.value == str(principal.branch_id)),
            str(principal.branch_id),
        )
        return translate("dashboard.scope.branch", lang, branch=name)
    return translate("dashboard.scope.all", lang)


def _month_text(day: date, lang: Lang) -> str:
    return (
        f"{day.year}年{day.month}月" if lang == "zh" else f"{EN_MONTHS[day.month - 1]} {day.year}"
    )


@router.get("/console/")
def dashboard_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.DASHBOARD_VIEW)],
    from_month: FromMonth = None,
    to_month: ToMonth = None,
    branch_id: BranchParam = None,
    product_id: ProductParam = None,
    channel: ChannelParam = None,
) -> Response:
    """KPI cards, charts by month and by branch, and the filters that slice them.

    Invalid filters are listed beside the form and the default view is shown (status 422).
    """
    lang = request_lang(request)
    raw = RawFilters(from_month, to_month, branch_id, product_id, channel)
    problems: list[dict[str, Any]] = []
    try:
        board = scoped_dashboard(request, session, principal, raw)
    except ValidationError as exc:
        problems = [p.public() for p in exc.problems]
        board = scoped_dashboard(request, session, principal, RawFilters())
    f = board.filters
    form = {
        "from": f.from_label if not problems else (from_month or ""),
        "to": f.to_label if not problems else (to_month or ""),
        "branch_id": str(f.branch_id or ""),
        "product_id": str(f.product_id or ""),
        "channel": f.channel.value if f.channel else "",
    }
    return render(
        request,
        "console/dashboard.html",
        {
            "board": board,
            "form": form,
            "problems": problems,
            "problem_fields": {p["field"] for p in problems},
            "channels": [
                (c.value, translate(f"dashboard.channel.{c.value}", lang)) for c in Channel
            ],
            "chart": chart_data(board, lang),
            "scope_note": scope_note(principal, board, lang),
            "period_text": translate(
                "dashboard.period",
                lang,
                start=_month_text(f.first_month, lang),
                end=_month_text(f.last_month, lang),
            ),
            "as_of_text": translate("dashboard.as_of", lang, date=format_date(board.as_of, lang)),
            "branch_label": lambda row: branch_label(row, lang),
        },
        status_code=422 if problems else 200,
        lang=lang,
    )
