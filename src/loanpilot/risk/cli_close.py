"""The ``loanpilot close`` commands: run the daily close (日终) of a date, and see the runs.

Exit status: 0 when the close is done, 1 when it failed (the error says at which stage; run it
again to resume there) or was refused, 2 for a usage error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from loanpilot.kit.errors import DomainError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from loanpilot.risk.models_post import CloseRun

close_app = typer.Typer(
    help="Daily close (日终): run it for a date, see its runs.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)


def _factory() -> tuple[sessionmaker[Session], Any]:
    import loanpilot.db.models  # noqa: F401  (every mapper, before any flush)
    from loanpilot.cli import load_settings
    from loanpilot.db.session import make_engine, make_session_factory

    settings = load_settings()
    return make_session_factory(make_engine(settings.database_url)), settings


def _yuan(fen: int) -> str:
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{'-' if fen < 0 else ''}{whole:,}.{cents:02d}"


def print_summary(run: CloseRun) -> None:
    """The run's figures: buckets, classes with provisions, NPL ratio, ledger check, steps."""
    from loanpilot.risk.rules import FIVE_CLASS_ZH

    s = run.summary
    if not s:
        return
    buckets = Table(title=f"DPD buckets 逾期分布 · {run.as_of.isoformat()}")
    for col in ("bucket", "loans", "balance (yuan)"):
        buckets.add_column(col, justify="right" if col != "bucket" else "left")
    for b in s["buckets"]:
        buckets.add_row(b["bucket"], f"{b['loans']:,}", _yuan(b["balance_fen"]))
    console.print(buckets)
    classes = Table(title="Five-category classification 五级分类")
    for col in ("class", "loans", "balance (yuan)", "provision rate", "provision (yuan)"):
        classes.add_column(col, justify="right" if col != "class" else "left")
    for c in s["classes"]:
        name = c["five_class"]
        classes.add_row(
            f"{FIVE_CLASS_ZH[name]} {name}",
            f"{c['loans']:,}",
            _yuan(c["balance_fen"]),
            f"{float(c['provision_rate']):.0%}",
            _yuan(c["provision_fen"]),
        )
    console.print(classes)
    ratio = float(s["npl_ratio"])
    console.print(
        f"loans {s['loans']:,} · balance {_yuan(s['balance_fen'])} yuan · "
        f"NPL ratio 不良率 [bold]{ratio:.2%}[/bold] · provisions 拨备 "
        f"{_yuan(s['provision_fen'])} yuan · classified by override {s.get('by_override', 0)}"
    )
    ledger = s.get("ledger", {})
    breaks = ledger.get("breaks", 0)
    colour = "green" if breaks == 0 else "red"
    console.print(f"ledger check 账务核对: [{colour}]{breaks} loan(s) out of balance[/{colour}]")
    for step, counts in s.get("steps", {}).items():
        console.print(f"  after-close step {step}: {counts or '—'}")


@close_app.command("run")
def run_command(
    day: Annotated[
        str | None,
        typer.Option(
            "--date", help="business date YYYY-MM-DD (default: today in the bank's timezone)"
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="close a date again that is already closed")
    ] = False,
    chunk: Annotated[int, typer.Option(min=100, help="loans per transaction")] = 20_000,
) -> None:
    """Run the daily close of a date: DPD, buckets, five-category classes, snapshots, summary and
    the after-close steps. Resumes an interrupted run; a closed date is left as it is."""
    from loanpilot.kit.clock import business_today
    from loanpilot.risk.close import run_close
    from loanpilot.risk.models_post import CloseStatus

    factory, settings = _factory()
    today = business_today(settings.tz)
    try:
        as_of = date.fromisoformat(day) if day else today
    except ValueError:
        err_console.print(f"[red]Error:[/red] --date must be YYYY-MM-DD; got {day!r}")
        raise typer.Exit(2) from None
    if as_of > today:
        err_console.print(
            f"[red]Error:[/red] --date {as_of.isoformat()} is after today ({today.isoformat()})"
        )
        raise typer.Exit(2)
    with Progress(
        TextColumn(f"close 日终 {as_of.isoformat()}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("loans", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            run = run_close(
                factory,
                as_of,
                datetime.now(UTC),
                progress,
                chunk=chunk,
                force=force,
                tz=settings.tz,
                actor_label="cli",
            )
        except DomainError as exc:
            bar.stop()
            err_console.print(f"[red]Error:[/red] {exc.message}")
            raise typer.Exit(1) from None
    if run.status is CloseStatus.FAILED:
        err_console.print(f"[red]The close of {as_of} failed:[/red] {run.error}")
        err_console.print("Run the same command again to resume where it stopped.")
        raise typer.Exit(1)
    console.print(
        f"Close of [bold]{as_of.isoformat()}[/bold]: {run.status.value}, "
        f"{run.loans_done:,} loans (attempt {run.attempts})"
    )
    print_summary(run)


@close_app.command("status")
def status_command(
    limit: Annotated[int, typer.Option(min=1, max=365, help="how many runs")] = 10,
) -> None:
    """The latest close runs: date, status, progress, NPL ratio, ledger breaks, error."""
    from loanpilot.db.session import transaction
    from loanpilot.risk import repository_close as repo

    factory, _ = _factory()
    with transaction(factory) as session:
        runs = repo.recent_runs(session, limit)
    if not runs:
        console.print("No close has run yet. Run one with `loanpilot close run`.")
        return
    table = Table(title="Daily close runs 日终")
    for col in ("date", "status", "loans", "attempts", "NPL ratio", "ledger breaks", "error"):
        table.add_column(col)
    for r in runs:
        s = r.summary or {}
        table.add_row(
            r.as_of.isoformat(),
            r.status.value,
            f"{r.loans_done:,}/{r.loans_total:,}",
            str(r.attempts),
            f"{float(s['npl_ratio']):.2%}" if "npl_ratio" in s else "—",
            str(s.get("ledger", {}).get("breaks", "—")),
            (r.error or "")[:80],
        )
    console.print(table)
