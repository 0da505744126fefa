"""The ``loanpilot kpi`` commands: compute (snapshots), show, targets set / list.

``kpi show`` computes live by default (the same figures as the console, the API and the work
plan, whose sources read ``kpi:CODE period=P by=D``); ``--stored`` reads the snapshots that
``kpi compute`` wrote. Exit status 1 for bad input (an unknown code, period, dimension, a target
out of range), with every problem listed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from loanpilot.kit.errors import DomainError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from loanpilot.evaluation.kpis import KpiValue

kpi_app = typer.Typer(
    help="The KPI suite (指标体系): compute, show, targets.", no_args_is_help=True
)
targets_app = typer.Typer(help="KPI targets (指标目标): set, list.", no_args_is_help=True)
kpi_app.add_typer(targets_app, name="targets")

console = Console()
err_console = Console(stderr=True)

PeriodOpt = Annotated[str, typer.Option("--period", help="2026-10, 2026Q4, 2026H2 or 2026")]


@contextmanager
def _session(*, write: bool) -> Iterator[Session]:
    from sqlalchemy.orm import Session

    from loanpilot.cli import load_settings
    from loanpilot.db import models as _models  # noqa: F401  (every table known to the ORM)
    from loanpilot.db.session import make_engine

    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            try:
                yield session
            except DomainError as exc:
                session.rollback()
                err_console.print(f"[red]Error:[/red] {exc}")
                raise typer.Exit(1) from None
            if write:
                session.commit()
    finally:
        engine.dispose()


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@kpi_app.command("compute")
def compute_cmd(
    period: PeriodOpt,
    by: Annotated[str, typer.Option("--by", help="dimensions, comma-separated")] = "all",
) -> None:
    """Compute every KPI of PERIOD by the dimensions and store them (kpi_snapshots), replacing
    the period's earlier rows of those dimensions in one transaction."""
    from loanpilot.evaluation import kpi_rules
    from loanpilot.evaluation.kpis_service import write_snapshots
    from loanpilot.kit.clock import business_today, now_utc
    from loanpilot.kit.periods import parse_period

    with _session(write=True) as session:
        p = parse_period(period)
        dims = [kpi_rules.check_dimension(d) for d in _split(by)] or ["all"]
        total = len(dims) * len(kpi_rules.KPI_CODES)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task(f"KPI 指标 {p.label}", total=total)

            def progress(step: str) -> None:
                bar.update(task, advance=1, description=f"KPI 指标 {p.label} · {step}")

            n = write_snapshots(
                session, p, dims, now=now_utc(), today=business_today(), progress=progress
            )
    console.print(f"KPI snapshots of {p.label} by {', '.join(dims)}: {n} rows written")


def _fmt(v: KpiValue) -> str:
    from loanpilot.evaluation.kpi_rules import show

    return show(v.code, v.value)


@kpi_app.command("show")
def show_cmd(
    period: PeriodOpt,
    by: Annotated[str, typer.Option("--by", help="a dimension")] = "all",
    code: Annotated[str | None, typer.Option("--code", help="KPI codes, comma-separated")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    stored: Annotated[
        bool, typer.Option("--stored", help="read the snapshots of `kpi compute`")
    ] = False,
) -> None:
    """Show the KPIs of PERIOD (computed now, or --stored) for the whole bank or by a dimension."""
    from loanpilot.evaluation import kpi_rules
    from loanpilot.evaluation.kpis import compute, source
    from loanpilot.evaluation.kpis_service import read_snapshots
    from loanpilot.kit.periods import parse_period

    with _session(write=False) as session:
        p = parse_period(period)
        dim = kpi_rules.check_dimension(by)
        codes = kpi_rules.check_codes(_split(code)) if code else None
        if stored:
            values = [
                v
                for c in (codes or kpi_rules.KPI_CODES)
                for v in read_snapshots(session, p, dim, c)
            ]
        else:
            values = compute(session, p, codes=codes, dimension=dim)
    if as_json:
        rows = [
            {
                "code": v.code,
                "period": v.period,
                "dimension": v.dimension,
                "key": v.key,
                "label": v.label,
                "value": None if v.value is None else str(v.value),
                "numerator": None if v.numerator is None else str(v.numerator),
                "denominator": None if v.denominator is None else str(v.denominator),
                "source": source(v.code, p, dim),
            }
            for v in values
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"KPI {p.label} ({p.label_zh()}) by {dim}")
    for column in ("code", "指标", "key", "label", "value", "numerator", "denominator"):
        table.add_column(column, justify="right" if column in ("value",) else "left")
    for v in values:
        d = kpi_rules.DEFINITIONS[v.code]
        table.add_row(
            v.code,
            d.name_zh,
            v.key,
            v.label,
            _fmt(v),
            "" if v.numerator is None else str(v.numerator),
            "" if v.denominator is None else str(v.denominator),
        )
    console.print(table)


@targets_app.command("set")
def targets_set(
    code: Annotated[str, typer.Option("--code", help="a KPI code")],
    period: PeriodOpt,
    value: Annotated[
        str, typer.Option("--value", help="rates in percent (85), money in yuan, counts, scores")
    ],
    by: Annotated[str, typer.Option("--by", help="a dimension")] = "all",
    key: Annotated[str, typer.Option("--key", help="the slice's key (branch code...)")] = "all",
) -> None:
    """Set (or replace) the target of a KPI for a period; audited."""
    from loanpilot.evaluation.kpi_rules import show
    from loanpilot.evaluation.kpis_service import Actor, set_target
    from loanpilot.kit.clock import now_utc

    with _session(write=True) as session:
        row = set_target(
            session,
            code=code,
            period=period,
            value=value,
            dimension=by,
            key=key,
            actor=Actor(None, "cli"),
            now=now_utc(),
        )
        text = f"target of {row.code} {row.period} {row.dimension}={row.key}: {show(row.code, row.target)}"
    console.print(text)


@targets_app.command("list")
def targets_list(
    period: Annotated[str | None, typer.Option("--period", help="a period")] = None,
    code: Annotated[str | None, typer.Option("--code", help="a KPI code")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List the KPI targets (of a period, of a KPI)."""
    from loanpilot.evaluation.kpi_rules import show
    from loanpilot.evaluation.kpis_service import list_targets

    with _session(write=False) as session:
        rows = [
            {
                "code": t.code,
                "period": t.period,
                "dimension": t.dimension,
                "key": t.key,
                "target": str(t.target),
                "shown": show(t.code, t.target),
                "set_by": t.set_by,
                "set_at": t.set_at.isoformat(),
            }
            for t in list_targets(session, period=period, code=code)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title="KPI targets 指标目标")
    for column in ("code", "period", "dimension", "key", "target", "set_by", "set_at"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["code"], r["period"], r["dimension"], r["key"], r["shown"], r["set_by"], r["set_at"]
        )
    console.print(table)
