"""The ``loanpilot portfolio`` commands: ``report --out FILE`` writes the portfolio report of the
bank's database, as a self-contained HTML page (tables, and charts drawn as inline SVG, so it
needs no script or network) or, for a ``.xlsx`` file, as an Excel workbook with one sheet per
table.

Exit status: 0 on success, 2 for a usage error (an unknown suffix or language, a bad date).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from sqlalchemy.orm import Session

from loanpilot.risk import api_portfolio as views
from loanpilot.risk import portfolio as service

portfolio_app = typer.Typer(
    help="Portfolio analytics: reports of the loan book.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)
SUFFIXES = (".html", ".htm", ".xlsx")
PALETTE = ("#1f6feb", "#d97706", "#059669", "#b91c1c", "#7c3aed", "#0891b2", "#be185d", "#4d7c0f")
W, H, X0, X1, Y0, Y1 = 640, 260, 56.0, 624.0, 16.0, 220.0


def _usage(message: str) -> typer.Exit:
    err_console.print(f"[red]Error:[/red] {message}")
    return typer.Exit(2)


# --------------------------------------------------------------------------- the tables


def report_tables(session: Session, as_of: date, lang: str) -> dict[str, pd.DataFrame]:
    """Every table of the report, named, in the order they are shown."""
    from loanpilot.web.i18n import translate

    def t(key: str, **kw: Any) -> str:
        return translate(key, lang, **kw)  # type: ignore[arg-type]

    lg: Any = lang
    o = service.overview(session, as_of)
    roll = service.roll_rate_report(session, as_of, months=12)
    vint = service.vintage_report(session, as_of)
    apps = service.applicant_report(session, as_of)
    tables: dict[str, pd.DataFrame] = {
        "overview": pd.DataFrame(
            [
                (t("portfolio.card.balance"), o.balance_fen / 100),
                (t("portfolio.col.loans"), o.loans),
                (t("portfolio.card.npl"), o.npl_ratio),
                (t("portfolio.card.dpd30"), o.dpd30_ratio),
                (t("portfolio.card.overdue"), o.overdue_ratio),
            ],
            columns=["figure", "value"],
        ),
        "by_class": pd.DataFrame(
            [(t(f"portfolio.class.{c}"), v / 100) for c, v in o.by_class.items()],
            columns=["class", "balance_yuan"],
        ),
        "by_bucket": pd.DataFrame(
            [(b, v / 100) for b, v in o.by_bucket.items()], columns=["bucket", "balance_yuan"]
        ),
        "trend": pd.DataFrame(o.trend),
    }
    if roll.roll is not None:
        labels = views.roll_data(roll, lg)["state_labels"]
        share = roll.roll.balance_share.copy()
        share.columns = labels
        tables["roll_rates"] = share.reset_index()
        tables["flow_rates"] = roll.flows
        tables["flow_trend"] = roll.trend
    tables["vintages"] = vint.curves
    tables["fpd30"] = vint.fpd
    for dim in service.DIMENSIONS:
        c = service.concentration_report(session, as_of, dim)
        data = views.concentration_data(session, dim, c, lg)
        tables[f"concentration_{dim}"] = pd.DataFrame(data["rows"])
    tables["funnel"] = apps.funnel
    if apps.score_psi is not None and apps.features is not None:
        tables["score_psi"] = apps.score_psi.table.drop(columns=["lower", "upper"])
        tables["feature_psi"] = apps.features
    return tables


def write_xlsx(tables: dict[str, pd.DataFrame], out: Path) -> None:
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)


# --------------------------------------------------------------------------- inline SVG charts


def _svg(title: str, body: list[str], y_max: float, pct: bool) -> str:
    ticks = []
    for i in range(5):
        v = y_max * i / 4
        y = Y1 - (Y1 - Y0) * i / 4
        text = f"{v * 100:.1f}%" if pct else f"{v:,.0f}"
        ticks.append(
            f'<line x1="{X0}" x2="{X1}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{X0 - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10">{text}</text>'
        )
    return (
        f"<figure><figcaption>{html.escape(title)}</figcaption>"
        f'<svg viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{html.escape(title)}"'
        f' xmlns="http://www.w3.org/2000/svg">{"".join(ticks)}{"".join(body)}</svg></figure>'
    )


def bar_svg(title: str, categories: Sequence[str], values: Sequence[float], pct: bool) -> str:
    top = max([v for v in values if not math.isnan(v)] + [0.0]) or 1.0
    slot = (X1 - X0) / max(len(categories), 1)
    body = []
    for i, (cat, v) in enumerate(zip(categories, values, strict=True)):
        h = 0.0 if math.isnan(v) else (Y1 - Y0) * v / top
        x = X0 + i * slot + slot * 0.15
        body.append(
            f'<rect x="{x:.1f}" y="{Y1 - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{PALETTE[0]}"><title>{html.escape(cat)}</title></rect>'
            f'<text x="{x + slot * 0.35:.1f}" y="{Y1 + 14}" text-anchor="middle" '
            f'font-size="9">{html.escape(cat[:10])}</text>'
        )
    return _svg(title, body, top, pct)


def line_svg(title: str, series: Sequence[tuple[str, Sequence[float | None]]], n: int) -> str:
    values = [v for _, ys in series for v in ys if v is not None]
    top = max([*values, 0.0]) or 0.01
    step = (X1 - X0) / max(n - 1, 1)
    body = []
    for k, (name, ys) in enumerate(series[: len(PALETTE)]):
        pts = " ".join(
            f"{X0 + i * step:.1f},{Y1 - (Y1 - Y0) * v / top:.1f}"
            for i, v in enumerate(ys)
            if v is not None
        )
        color = PALETTE[k % len(PALETTE)]
        body.append(
            f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.5">'
            f"<title>{html.escape(name)}</title></polyline>"
            f'<text x="{X0 + 8 + k * 72}" y="{H - 6}" font-size="10" fill="{color}">'
            f"{html.escape(name)}</text>"
        )
    return _svg(title, body, top, True)


def _opt(values: pd.Series) -> list[float | None]:
    return [None if math.isnan(float(v)) else float(v) for v in values]


def write_html(
    session: Session, tables: dict[str, pd.DataFrame], as_of: date, lang: str, out: Path
) -> None:
    from loanpilot.web.i18n import translate

    def t(key: str, **kw: Any) -> str:
        return translate(key, lang, **kw)  # type: ignore[arg-type]

    charts = []
    by_class = tables["by_class"]
    charts.append(bar_svg(t("portfolio.by_class"), list(by_class["class"]),
                          list(by_class["balance_yuan"]), pct=False))  # fmt: skip
    by_bucket = tables["by_bucket"]
    charts.append(bar_svg(t("portfolio.by_bucket"), list(by_bucket["bucket"]),
                          list(by_bucket["balance_yuan"]), pct=False))  # fmt: skip
    curves = tables["vintages"]
    if len(curves):
        cohorts = list(pd.unique(curves["cohort"]))[-8:]
        width = int(curves["mob"].max()) + 1
        series = []
        for cohort in cohorts:
            part = curves[curves["cohort"] == cohort]
            ys: list[float | None] = [None] * width
            for m, v in zip(part["mob"], part["m1_share"], strict=True):
                ys[int(m)] = float(v)
            series.append((str(cohort), ys))
        charts.append(line_svg(t("portfolio.vintage.title") + " · M1+", series, width))
    if "flow_rates" in tables:
        flows = tables["flow_rates"]
        charts.append(bar_svg(t("portfolio.flow.title"), [f"{a}→{b}" for a, b in zip(
            flows["from"], flows["to"], strict=True)], list(flows["rate"]), pct=True))  # fmt: skip
    funnel = tables["funnel"]
    charts.append(line_svg(t("portfolio.funnel.title"), [
        (t("portfolio.col.approval_rate"), _opt(funnel["approval_rate"])),
        (t("portfolio.col.pass_through"), _opt(funnel["pass_through"])),
    ], len(funnel)))  # fmt: skip
    sections = "".join(
        f"<section><h2>{html.escape(name)}</h2>"
        f"{frame.to_html(index=False, na_rep='—', float_format=lambda v: f'{v:,.4f}', border=0)}"
        "</section>"
        for name, frame in tables.items()
    )
    title = t("portfolio.report.title")
    generated = t("portfolio.report.generated", at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    page = f"""<!doctype html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">
<title>{html.escape(title)} · {as_of.isoformat()}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#1f2937}}
table{{border-collapse:collapse;font-size:12px;margin-bottom:1rem}}
td,th{{border-bottom:1px solid #e5e7eb;padding:2px 8px;text-align:right}}
.charts{{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1rem}}
figure{{margin:0}}figcaption{{font-size:13px;color:#6b7280}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>{html.escape(t("portfolio.as_of", day=as_of.isoformat()))} · {html.escape(generated)}</p>
<p>{html.escape(t("portfolio.definitions"))}</p>
<div class="charts">{"".join(charts)}</div>
{sections}
</body></html>
"""
    out.write_text(page, encoding="utf-8")


# --------------------------------------------------------------------------- the command


@portfolio_app.command("report")
def report_command(
    out: Annotated[
        Path, typer.Option("--out", help="file to write: .html or .xlsx", dir_okay=False)
    ],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today)")
    ] = None,
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
) -> None:
    """Write the portfolio report (headline, roll and flow rates, vintages, FPD30,
    concentration, funnel and PSI) as HTML with inline charts, or as an Excel workbook."""
    from loanpilot.cli import load_settings
    from loanpilot.db import models as _models  # noqa: F401  (every table known to the ORM)
    from loanpilot.db.session import make_engine
    from loanpilot.kit.clock import business_today

    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise _usage(
            f"--out must end in .html or .xlsx; got {out.name!r} (suffix {suffix or 'none'!r})"
        )
    if lang not in ("zh", "en"):
        raise _usage(f"--lang must be zh or en; got {lang!r}")
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise _usage(f"--as-of must be a date YYYY-MM-DD; got {as_of!r}") from None
    settings = load_settings()
    day = day or business_today(settings.tz)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            tables = report_tables(session, day, lang)
            if suffix == ".xlsx":
                write_xlsx(tables, out)
            else:
                write_html(session, tables, day, lang, out)
    finally:
        engine.dispose()
    console.print(f"portfolio report as of {day.isoformat()} written to [bold]{out}[/bold]")
