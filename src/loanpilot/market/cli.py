"""The ``loanpilot market`` commands: import market sizes and competitors' products, list sizes,
show our share (the KPI suite's ``market_share``) and the rate positioning.

Exit status: 0 when a file was processed (even if some rows were rejected: each is listed with its
file, row, column and reason); 1 when the file cannot be read at all or the database refuses; 2 for
a usage error (a bad period or date)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from loanpilot.kit.errors import DomainError, ValidationError
from loanpilot.kit.periods import Period, parse_period

market_app = typer.Typer(
    help="Market analysis (市场分析): import sizes and competitors, share.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)
_ACTOR_LABEL = "cli"


@contextmanager
def _session(*, write: bool) -> Iterator[Session]:
    from loanpilot.cli import load_settings
    from loanpilot.db import models as _models  # noqa: F401  (every table known to the ORM)
    from loanpilot.db.session import make_engine, make_session_factory, transaction

    engine = make_engine(load_settings().database_url)
    try:
        if write:
            with transaction(make_session_factory(engine)) as session:
                yield session
        else:
            with Session(engine) as session:
                yield session
    finally:
        engine.dispose()


def _today(text: str | None) -> date:
    from loanpilot.kit.clock import business_today

    if not text:
        return business_today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        err_console.print(
            f"[red]Error:[/red] --as-of must be a date such as 2026-11-29; got {text!r}"
        )
        raise typer.Exit(2) from None


def _period(text: str | None) -> Period | None:
    if not text:
        return None
    try:
        return parse_period(text)
    except ValidationError as exc:
        err_console.print(f"[red]Error:[/red] --period: {exc.problems[0].message}")
        raise typer.Exit(2) from None


def _pct(value: object, places: int = 2) -> str:
    return "—" if value is None else f"{float(value) * 100:.{places}f}%"  # type: ignore[arg-type]


def _import(kind: str, file: Path, as_of: str | None) -> None:
    from loanpilot.kit.clock import now_utc
    from loanpilot.market import importing
    from loanpilot.market.service import Actor

    today = _today(as_of)
    run = importing.import_sizes_file if kind == "sizes" else importing.import_competitors_file
    try:
        with _session(write=True) as session:
            report = run(session, file, actor=Actor(None, _ACTOR_LABEL), today=today,
                         now=now_utc())  # fmt: skip
    except DomainError as exc:
        err_console.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(1) from None
    table = Table(title=f"{file.name} ({report.encoding})")
    table.add_column("")
    table.add_column("", justify="right")
    table.add_row("rows read 读取", f"{report.rows_read:,}")
    table.add_row("added 新增", f"{report.created:,}")
    table.add_row("updated 更新", f"{report.updated:,}")
    if kind == "competitors":
        table.add_row("competitors added 新增机构", f"{report.competitors_added:,}")
    table.add_row("rejected 拒绝", f"{report.rejected_rows:,}")
    console.print(table)
    if report.updated:
        console.print(f"{report.updated} rows matched stored figures and updated them")
    if report.ignored_columns:
        console.print(f"columns ignored: {', '.join(report.ignored_columns)}")
    for problem in report.rejected:
        console.print(f"[yellow]rejected[/yellow] {problem}", soft_wrap=True)


@market_app.command("import-sizes")
def import_sizes(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK) or .xlsx", dir_okay=False)],
    as_of: Annotated[str | None, typer.Option("--as-of", help="today (business date)")] = None,
) -> None:
    """Import market sizes (product_line, region, period, total_balance_yuan, new_lending_yuan,
    source, note); good rows kept, every rejected row listed; same period again updates it."""
    _import("sizes", file, as_of)


@market_app.command("import-competitors")
def import_competitors(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK) or .xlsx", dir_okay=False)],
    as_of: Annotated[str | None, typer.Option("--as-of", help="today (business date)")] = None,
) -> None:
    """Import competitors' products (competitor, competitor_kind, product, product_line, subtype,
    min_annual_rate, max_annual_rate, apr, max_amount_yuan, max_term_months, features,
    observed_on, source)."""
    _import("competitors", file, as_of)


@market_app.command("sizes")
def sizes(
    line: Annotated[
        str | None, typer.Option(help="housing, consumer, business, private_banking")
    ] = None,
    region: Annotated[str | None, typer.Option()] = None,
    period: Annotated[str | None, typer.Option(help="rows overlapping it: 2026Q4, 2026...")] = None,
) -> None:
    """List market sizes, latest period first."""
    from loanpilot.kit.money import format_yuan
    from loanpilot.market import service
    from loanpilot.market.market_rules import LINES

    if line is not None and line not in LINES:
        err_console.print(
            f"[red]Error:[/red] --line must be one of {', '.join(LINES)}; got {line!r}"
        )
        raise typer.Exit(2)
    chosen = _period(period)
    with _session(write=False) as session:
        rows = service.filtered_sizes(session, line=line, region=region, period=chosen)
        table = Table(title=f"market sizes 市场规模 ({len(rows)})")
        for col in ("period", "line", "region", "balance", "new lending", "source"):
            table.add_column(col, justify="right" if col in ("balance", "new lending") else "left")
        for s in rows:
            table.add_row(s.period, s.product_line.value, s.region, format_yuan(s.total_balance_fen),
                          "—" if s.new_lending_fen is None else format_yuan(s.new_lending_fen),
                          s.source)  # fmt: skip
    console.print(table)


@market_app.command("share")
def share(
    period: Annotated[str | None, typer.Option(help="default: the latest market period")] = None,
    by: Annotated[str, typer.Option(help="all, region, product_line or line_region")] = "all",
    as_of: Annotated[str | None, typer.Option("--as-of", help="today (business date)")] = None,
) -> None:
    """Our market share (KPI market_share) in a period."""
    from loanpilot.kit.money import format_yuan
    from loanpilot.market import service
    from loanpilot.market import share as shares

    if by not in ("all", "region", "product_line", "line_region"):
        err_console.print(f"[red]Error:[/red] --by must be all, region, product_line or line_region; got {by!r}")  # fmt: skip
        raise typer.Exit(2)
    today = _today(as_of)
    with _session(write=False) as session:
        chosen = _period(period) or service.latest_period(session, today)
        if chosen is None:
            err_console.print("[red]Error:[/red] no market size is stored yet")
            raise typer.Exit(1)
        if by == "line_region":
            rows = shares.matrix(session, chosen, today=today)
        else:
            rows = shares.shares(session, chosen, by, today=today)  # type: ignore[arg-type]
    table = Table(title=f"market share 市场份额 {chosen.label} by {by}")
    for col in ("key", "share", "ours", "market"):
        table.add_column(col, justify="left" if col == "key" else "right")
    for s in rows:
        table.add_row(s.label, _pct(s.value),
                      "—" if s.ours_fen is None else format_yuan(s.ours_fen),
                      "—" if s.market_fen is None else format_yuan(s.market_fen))  # fmt: skip
    console.print(table)
    if rows:
        extra = " region=<each>" if by == "line_region" else ""
        console.print(f"source: {rows[0].source.split(' region=')[0]}{extra}")


@market_app.command("positioning")
def positioning(
    as_of: Annotated[str | None, typer.Option("--as-of", help="today (business date)")] = None,
) -> None:
    """Our products' APR against competitors' APRs of the same subtype, and the gaps."""
    from loanpilot.market import positioning as pos

    day = _today(as_of)
    with _session(write=False) as session:
        rows = pos.positioning(session, day)
        gaps = pos.gaps(session, day)
    table = Table(title=f"rate positioning 利率定位 as of {day.isoformat()}")
    for col in ("product", "subtype", "our APR", "min", "median", "max", "n", "pctl", "position"):
        table.add_column(col, justify="left" if col in ("product", "subtype", "position") else "right")  # fmt: skip
    for r in rows:
        c = r.competitors
        table.add_row(r.code, r.subtype, _pct(r.our_apr), _pct(c.minimum if c else None),
                      _pct(c.median if c else None), _pct(c.maximum if c else None),
                      str(c.count if c else 0), _pct(r.percentile, 0), r.position or "—")  # fmt: skip
    console.print(table)
    for g in gaps:
        console.print(f"gap 空白: {g.subtype} ({', '.join(g.products)})")
