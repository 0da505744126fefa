"""Next-best-offer (产品推荐): build the offers of every customer, show one customer's.

Exit status: 0 when the build is done, 1 when it failed (run it again to resume where it stopped)
or was refused, 2 for a usage error.
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

offers_app = typer.Typer(
    help="Next-best-offer (产品推荐): build the offers of every customer, show one customer's.",
    no_args_is_help=True,
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


@offers_app.command("build")
def build_command(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD (default: today, Asia/Shanghai)")
    ] = None,
    chunk: Annotated[int, typer.Option(min=100, max=100_000, help="customers per chunk")] = 5_000,
    fit: Annotated[
        bool, typer.Option("--fit/--no-fit", help="fit the take-up model first if none is active")
    ] = True,
) -> None:
    """Build every customer's top 3 offers (eligibility, contact policy, take-up, approval,
    risk-adjusted value, expected profit). A stopped build of the same date resumes."""
    from loanpilot.kit.clock import business_today
    from loanpilot.products.offers import run_offers

    factory, settings = _factory()
    try:
        day = date.fromisoformat(as_of) if as_of else business_today(settings.tz)
    except ValueError:
        err_console.print(f"[red]Error:[/red] --as-of must be YYYY-MM-DD; got {as_of!r}")
        raise typer.Exit(2) from None
    with Progress(
        TextColumn(f"offers 产品推荐 {day.isoformat()}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("customers", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            run = run_offers(
                factory, day, datetime.now(UTC), settings, chunk=chunk, progress=progress,
                actor_label="cli", fit=fit,
            )  # fmt: skip
        except DomainError as exc:
            bar.stop()
            err_console.print(f"[red]Error:[/red] {exc.message}")
            for p in getattr(exc, "problems", []) or []:
                err_console.print(f"  {p.field}: {p.message}")
            raise typer.Exit(1) from None
    if run.status.value != "done":
        err_console.print(f"[red]The offer build of {day} failed:[/red] {run.error}")
        err_console.print("Run the same command again to resume where it stopped.")
        raise typer.Exit(1)
    s = run.summary or {}
    counts = s.get("counts", {})
    console.print(
        f"Offer run [bold]{run.id}[/bold] of {day.isoformat()}: {run.customers_done:,} customers, "
        f"{run.offers_count:,} offers, {counts.get('with_offers', 0):,} customers with offers; "
        f"approval by {run.params.get('approval')}; take-up model {run.propensity_model}"
    )
    table = Table(title="Suppressed by the contact policy 触达规则排除")
    table.add_column("reason")
    table.add_column("customers", justify="right")
    for reason, n in s.get("suppressed", {}).items():
        table.add_row(reason, f"{n:,}")
    console.print(table)
    console.print(
        f"expected incremental profit of first offers: {_yuan(s.get('expected_profit_fen', 0))} yuan"
    )


@offers_app.command("show")
def show_command(customer_no: Annotated[str, typer.Argument(help="the customer number")]) -> None:
    """A customer's ranked offers of the latest finished run (name masked)."""
    from loanpilot.db.session import transaction
    from loanpilot.kit.masking import mask_name
    from loanpilot.products.offers import customer_offers

    factory, _ = _factory()
    try:
        with transaction(factory) as session:
            customer, run, rows = customer_offers(session, None, customer_no)
            name = mask_name(customer.name)
    except DomainError as exc:
        err_console.print(f"[red]Error:[/red] {exc.message}")
        raise typer.Exit(1) from None
    if run is None:
        console.print("No offers have been built yet. Run `loanpilot offers build`.")
        return
    table = Table(title=f"{name} {customer.customer_no} · offers of {run.as_of.isoformat()}")
    for col in ("#", "product", "channel", "P(take)", "P(approve)", "PD12", "value (yuan)",
                "profit (yuan)", "why"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("product", "channel", "why") else "right")
    for o, p in rows:
        table.add_row(
            str(o.rank), f"{p.name_zh} {p.code}", o.channel.value, f"{o.p_take:.1%}",
            f"{o.p_approve:.1%}", f"{o.pd:.2%}", _yuan(o.value_fen), _yuan(o.expected_profit_fen),
            "；".join(r["zh"] for r in o.reasons),
        )  # fmt: skip
    if not rows:
        console.print(f"{name} {customer.customer_no} has no offers in run {run.id}.")
        return
    console.print(table)
