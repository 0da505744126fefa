"""The KPI dashboard (指标体系) in the console: ``/console/kpis``.

Every KPI of the chosen period (month, quarter, half, year) cut by the chosen dimension, with its
target, attainment, the previous period and the change; a trend chart of the last six periods; the
formulas at ``/console/kpis/definitions``; targets set from the page (``kpi:write``). What the
viewer sees is limited to their scope: a customer manager their own customers' figures, a branch
head their branch subtree, others the bank.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal, ScopeKind
from loanpilot.app import SessionDep, today_for
from loanpilot.evaluation import kpi_rules, kpis_service
from loanpilot.evaluation.filters import Viewer
from loanpilot.evaluation.kpi_rules import DEFINITIONS, DIMENSION_NAMES, DIMENSIONS, KPI_CODES
from loanpilot.evaluation.kpis_service import Actor
from loanpilot.kit.errors import FieldProblem, ValidationError
from loanpilot.kit.periods import Period, PeriodKind, parse_period
from loanpilot.web.auth import client_address, clock, require
from loanpilot.web.i18n import Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Permission.KPI_READ)]
Writer = Annotated[Principal, require(Permission.KPI_WRITE)]


def _choices(today: date) -> list[tuple[str, str]]:
    """Recent periods for the picker: 12 months, 6 quarters, 2 halves, 3 years (label, zh)."""
    out: list[tuple[str, str]] = []
    spans: tuple[tuple[PeriodKind, int], ...] = (
        ("month", 12),
        ("quarter", 6),
        ("half", 2),
        ("year", 3),
    )
    for kind, n in spans:
        current = Period.containing(today, kind)
        out.extend((current.shifted(-i).label, current.shifted(-i).label_zh()) for i in range(n))
    return out


def _name(code: str, lang: Lang) -> str:
    d = DEFINITIONS[code]
    return d.name_zh if lang == "zh" else d.name_en


def _change_text(code: str, change: Decimal | None, lang: Lang) -> str:
    if change is None:
        return "—"
    unit = DEFINITIONS[code].unit
    if unit == "pct":
        return f"{_shown(change * 100):+.2f}" + (" 个百分点" if lang == "zh" else " pts")
    if unit == "fen":
        return f"{'+' if change >= 0 else '−'}¥{abs(change) / 100:,.2f}"
    if unit == "count":
        return f"{int(change):+,}"
    return f"{_shown(change):+.2f}"


def _shown(value: Decimal) -> Decimal:
    """``value`` to the hundredth as shown, half up, with no negative zero (−0.004 → 0.00)."""
    rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded


def _chart_value(code: str, value: Decimal | None) -> float | None:
    """A point of the trend chart: percent for rates, 万元 for money, else the value."""
    if value is None:
        return None
    unit = DEFINITIONS[code].unit
    if unit == "pct":
        return round(float(value) * 100, 2)
    if unit == "fen":
        return round(float(value) / 1_000_000, 2)
    return round(float(value), 2)


def _key_label(dimension: str, key: str, label: str, lang: Lang) -> str:
    """A slice's label in the page's language (names of branches, products, people and segments
    are the bank's own; channels and product lines have English names)."""
    if lang == "zh":
        return label
    if key == "none":
        return "Unassigned"
    if dimension in ("channel", "product_line"):
        return key.replace("_", " ").capitalize()
    return label


def _scope_note(principal: Principal, lang: Lang) -> str:
    kind = {ScopeKind.OWN: "own", ScopeKind.BRANCH: "branch"}.get(principal.scope, "all")
    return translate(f"kpis.scope.{kind}", lang)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    period_text: str | None,
    by: str | None,
    problems: list[FieldProblem] | None = None,
    target_form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    lang = request_lang(request)
    today = today_for(request)
    tz = request.app.state.settings.tz
    problems = list(problems or [])
    period = Period.containing(today, "quarter")
    if period_text:
        try:
            period = parse_period(period_text)
        except ValidationError as exc:
            problems.extend(exc.problems)
            status_code = 422
    dimension = by or "all"
    if dimension not in DIMENSIONS:
        problems.append(
            FieldProblem(
                "by", f"{dimension!r} is not a dimension: use one of {', '.join(DIMENSIONS)}"
            )
        )
        dimension, status_code = "all", 422
    where = kpis_service.viewer_slice(Viewer.of(principal))
    rows = kpis_service.table(session, period, dimension, where, today=today, tz=tz)
    labels, series = kpis_service.trend(session, period, where, today=today, tz=tz)
    units = {"pct": "%", "fen": "万元" if lang == "zh" else "¥10k", "count": "", "score": ""}
    chart = {
        "periods": labels,
        "kpis": [
            {
                "code": code,
                "name": _name(code, lang),
                "unit": units.get(DEFINITIONS[code].unit, ""),
                "values": [_chart_value(code, v) for v in series[code]],
            }
            for code in KPI_CODES
        ],
        "initial": "disbursed_fen",
    }
    form = target_form or {
        "code": "",
        "period": period.label,
        "dimension": dimension,
        "key": "",
        "value": "",
    }
    return render(
        request,
        "console/kpis/index.html",
        {
            "period": period,
            "period_text": period_text or period.label,
            "dimension": dimension,
            "dimensions": [(d, DIMENSION_NAMES[d][0 if lang == "zh" else 1]) for d in DIMENSIONS],
            "period_choices": _choices(today),
            "rows": rows,
            "trend_rows": [(code, _name(code, lang), series[code]) for code in KPI_CODES],
            "trend_periods": labels,
            "chart": chart,
            "definitions": DEFINITIONS,
            "kpi_name": lambda code: _name(code, lang),
            "key_label": lambda v: _key_label(v.dimension, v.key, v.label, lang),
            "show": kpi_rules.show,
            "change_text": lambda code, change: _change_text(code, change, lang),
            "pct": lambda v: "—" if v is None else f"{v * 100:.1f}%",
            "scope_note": _scope_note(principal, lang),
            "can_write": principal.can(Permission.KPI_WRITE),
            "problems": [p.public() for p in problems],
            "problem_fields": {p.field for p in problems},
            "form": form,
            "codes": KPI_CODES,
        },
        status_code=status_code,
        lang=lang,
    )


@router.get("/console/kpis")
def kpis_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    period: Annotated[str | None, Query(max_length=16)] = None,
    by: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """The KPI table of a period by a dimension, with targets and the six-period trend."""
    return _page(request, session, principal, period_text=period, by=by)


@router.get("/console/kpis/definitions")
def definitions_page(request: Request, principal: Reader) -> Response:
    """Every KPI's formula (the page each KPI name links to, ``#code``)."""
    lang = request_lang(request)
    return render(
        request,
        "console/kpis/definitions.html",
        {
            "definitions": [DEFINITIONS[c] for c in KPI_CODES],
            "dimension_names": {
                d: DIMENSION_NAMES[d][0 if lang == "zh" else 1] for d in DIMENSIONS
            },
        },
        lang=lang,
    )


@router.post("/console/kpis/targets")
def set_target(
    request: Request,
    session: SessionDep,
    principal: Writer,
    code: Annotated[str, Form(max_length=32)] = "",
    period: Annotated[str, Form(max_length=16)] = "",
    dimension: Annotated[str, Form(max_length=32)] = "all",
    key: Annotated[str, Form(max_length=64)] = "",
    value: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Set a target; on a problem the page comes back (422) with the problems beside the fields
    and what was typed kept."""
    try:
        kpis_service.set_target(
            session,
            code=code,
            period=period,
            value=value,
            dimension=dimension or "all",
            key=key or "all",
            actor=Actor(principal.staff_id, f"user:{principal.username}", client_address(request)),
            now=clock(request),
        )
    except ValidationError as exc:
        typed = {"code": code, "period": period, "dimension": dimension, "key": key, "value": value}
        shown: dict[str, Any] = {"period_text": period or None, "by": dimension or "all"}
        if any(p.field == "period" for p in exc.problems):
            shown["period_text"] = None
        if any(p.field == "dimension" for p in exc.problems):
            shown["by"] = "all"
        return _page(
            request,
            session,
            principal,
            problems=[FieldProblem(f"target.{p.field}", p.message) for p in exc.problems],
            target_form=typed,
            status_code=422,
            **shown,
        )
    label = parse_period(period).label
    return RedirectResponse(
        f"/console/kpis?period={label}&by={dimension or 'all'}", status_code=303
    )
