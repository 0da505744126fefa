"""The ``loanpilot service`` commands: send the surveys due on a day (what the daily close does),
list the SLA breaches of a period, and show the satisfaction figures and quality-review averages.

Exit status: 0 on success, 1 when the work failed with a reason, 2 for a usage error."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.kit.periods import Period, parse_period

service_app = typer.Typer(
    help="Customer service (客户服务): surveys, SLAs, quality reviews.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)

DateOpt = Annotated[
    str | None, typer.Option("--date", help="business date YYYY-MM-DD (default: today)")
]
PeriodOpt = Annotated[
    str | None,
    typer.Option("--period", help="2026-10, 2026Q4, 2026H2 or 2026 (default: this quarter)"),
]


def _session_factory() -> sessionmaker[Session]:
    from loanpilot.cli import load_settings
    from loanpilot.db import models as _models  # noqa: F401  (every table known to the ORM)
    from loanpilot.db.session import make_engine, make_session_factory

    return make_session_factory(make_engine(load_settings().database_url))


def _today() -> date:
    from loanpilot.cli import load_settings
    from loanpilot.kit.clock import business_today

    return business_today(load_settings().tz)


def _day(text: str | None) -> date:
    if not text:
        return _today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        err_console.print(f"[red]Error:[/red] --date must be YYYY-MM-DD; got {text!r}")
        raise typer.Exit(2) from None


def _period(text: str | None) -> Period:
    from loanpilot.kit.errors import ValidationError

    if not text:
        return Period.containing(_today(), "quarter")
    try:
        return parse_period(text, field="--period")
    except ValidationError as exc:
        err_console.print(f"[red]Error:[/red] {exc.problems[0].message}")
        raise typer.Exit(2) from None


@service_app.command("send-surveys")
def send_surveys(day: DateOpt = None) -> None:
    """Send the invitations due on a day: loans disbursed that day, disbursed 30 days before,
    settled that day, complaints closed that day. Running it twice sends nothing twice."""
    from loanpilot.db.session import transaction
    from loanpilot.kit.clock import now_utc
    from loanpilot.service.sending import send_due

    as_of = _day(day)
    with transaction(_session_factory()) as session:
        counts = send_due(session, as_of, now_utc())
    total = sum(counts.values())
    detail = ", ".join(f"{k} {v}" for k, v in counts.items()) or "no active survey"
    console.print(f"{as_of}: [bold]{total}[/bold] invitation(s) sent ({detail})")


@service_app.command("sla-breaches")
def sla_breaches(
    period: PeriodOpt = None,
    limit: Annotated[int, typer.Option(help="breaches listed (the tallies count all)")] = 50,
) -> None:
    """The stage spans that ended in the period over their SLA target, by stage and branch."""
    from loanpilot.service import sla

    p = _period(period)
    with _session_factory()() as session:
        report = sla.measure(session, p)
    stages = Table(title=f"SLA attainment by stage, {p.label}")
    for col in ("stage", "measured", "breached", "attainment"):
        stages.add_column(col, justify="left" if col == "stage" else "right")
    for t in report.by_stage:
        stages.add_row(t.key, str(t.measured), str(t.breached), _pct(t.attainment))
    console.print(stages)
    branches = Table(title="By branch")
    for col in ("branch", "measured", "breached", "attainment"):
        branches.add_column(col, justify="left" if col == "branch" else "right")
    for t in report.by_branch:
        branches.add_row(t.label, str(t.measured), str(t.breached), _pct(t.attainment))
    console.print(branches)
    listed = Table(title=f"Breaches ({len(report.breaches)})")
    for col in ("application", "stage", "product", "branch", "hours", "target"):
        listed.add_column(col, justify="right" if col in ("hours", "target") else "left")
    for s in report.breaches[: max(limit, 0)]:
        listed.add_row(s.application_no, s.stage, s.product, s.branch, str(s.hours),
                       str(s.target_hours))  # fmt: skip
    console.print(listed)


@service_app.command("satisfaction")
def satisfaction(
    period: PeriodOpt = None,
    by: Annotated[str, typer.Option(help="all, product, channel, branch or manager")] = "all",
) -> None:
    """Satisfaction (mean CSAT) and NPS of a period, from the KPI suite."""
    from loanpilot.service import kpi_source

    if by not in ("all", *kpi_source.DIMENSIONS):
        err_console.print(
            f"[red]Error:[/red] --by must be all, product, channel, branch or manager; got {by!r}"
        )
        raise typer.Exit(2)
    p = _period(period)
    with _session_factory()() as session:
        points = kpi_source.figures(session, p, None if by == "all" else by)
    table = Table(title=f"Satisfaction and NPS, {p.label}")
    for col in (by, "satisfaction", "csat answers", "nps", "nps answers"):
        table.add_column(col, justify="left" if col == by else "right")
    for pt in points:
        nps = "—" if pt.nps is None else f"{pt.nps * 100:.1f}"
        sat = "—" if pt.satisfaction is None else f"{pt.satisfaction:.2f}"
        table.add_row(pt.label, sat, str(pt.satisfaction_n), nps, str(pt.nps_n))
    console.print(table)
    console.print(f"source: {kpi_source.source_query(p, by)}", soft_wrap=True)


@service_app.command("quality")
def quality_averages(period: PeriodOpt = None) -> None:
    """Each staff member's average quality-review score in the period (what appraisal reads)."""
    from loanpilot.service import quality
    from loanpilot.service import repository_ops as repo_ops

    p = _period(period)
    with _session_factory()() as session:
        averages = quality.average_scores(session, p)
        names = {s.id: s.name for s in repo_ops.staff_in(session, list(averages))}
    table = Table(title=f"Quality-review averages, {p.label}")
    table.add_column("staff id", justify="right")
    table.add_column("name")
    table.add_column("average", justify="right")
    for staff_id, avg in averages.items():
        table.add_row(str(staff_id), names.get(staff_id, ""), str(avg))
    console.print(table)


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"
