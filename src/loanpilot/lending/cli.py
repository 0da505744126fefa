"""The ``loanpilot loans`` commands: the ledger check, and posting a repayment.

Exit status: 0 on success, 1 when the ledger does not balance or a posting is refused (the
message says why), 2 for a usage error.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.kit.errors import DomainError
from loanpilot.kit.money import format_yuan

loans_app = typer.Typer(
    help="Loans: servicing from the command line and the ledger check.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)


def _session_factory() -> sessionmaker[Session]:
    from loanpilot.cli import load_settings
    from loanpilot.db import models as _models  # noqa: F401  (every table known to the ORM)
    from loanpilot.db.session import make_engine, make_session_factory

    return make_session_factory(make_engine(load_settings().database_url))


@loans_app.command("ledger-check")
def ledger_check_command() -> None:
    """Check that every loan balances to the fen: principal = repaid principal + outstanding +
    written off, and outstanding = the unpaid principal of the current schedule. Lists each loan
    that does not; exit status 1 when any."""
    from loanpilot.db.session import transaction
    from loanpilot.lending.servicing import ledger_breaks

    with transaction(_session_factory()) as session:
        breaks = ledger_breaks(session)
    if not breaks:
        console.print("[green]The ledger balances:[/green] every loan, to the fen.")
        return
    table = Table(title=f"{len(breaks)} ledger break(s)")
    for col in ("loan", "check", "principal", "repaid", "outstanding", "written off", "difference"):
        table.add_column(col, justify="left" if col in ("loan", "check") else "right")
    for b in breaks:
        table.add_row(
            b.loan_no, b.check, format_yuan(b.principal_fen), format_yuan(b.repaid_principal_fen),
            format_yuan(b.outstanding_fen), format_yuan(b.written_off_fen),
            format_yuan(b.difference_fen),
        )  # fmt: skip
    console.print(table)
    raise typer.Exit(1)


@loans_app.command("post")
def post_command(
    loan: Annotated[str, typer.Option("--loan", help="loan number, e.g. LN0000000001")],
    amount: Annotated[str, typer.Option("--amount", help="amount in yuan, e.g. 1234.56")],
    paid_on: Annotated[str, typer.Option("--date", help="payment date YYYY-MM-DD")],
    ref: Annotated[str, typer.Option("--ref", help="transaction reference (idempotent)")],
    channel: Annotated[str, typer.Option(help="branch, auto_debit, mobile, online, transfer")] = (
        "branch"
    ),
) -> None:
    """Post a repayment to a loan (allocated by the configured order; posting the same --ref
    again does nothing more)."""
    from loanpilot.cli import load_settings
    from loanpilot.db.session import transaction
    from loanpilot.kit.clock import business_today, now_utc
    from loanpilot.lending import repository_servicing as repo
    from loanpilot.lending import servicing
    from loanpilot.products.rules import parse_yuan

    try:
        day = date.fromisoformat(paid_on)
        fen = parse_yuan(amount)
    except ValueError as exc:
        err_console.print(f"[red]Error:[/red] --date must be YYYY-MM-DD and --amount yuan: {exc}")
        raise typer.Exit(2) from None
    settings = load_settings()
    try:
        with transaction(_session_factory()) as session:
            found = repo.loan_by_no(session, loan.strip().upper())
            if found is None:
                err_console.print(f"[red]Error:[/red] no loan {loan}")
                raise typer.Exit(1)
            posted = servicing.post_repayment(
                session, found.id, amount_fen=fen, paid_on=day, txn_ref=ref,
                today=business_today(settings.tz), now=now_utc(),
                policy=servicing.Policy.from_settings(settings),
                actor=servicing.Actor(None, "cli"), channel=channel,
            )  # fmt: skip
            r = posted.repayment
            parts = (
                f"principal {format_yuan(r.principal_fen)}, interest {format_yuan(r.interest_fen)}, "
                f"fee {format_yuan(r.fee_fen)}, penalty {format_yuan(r.penalty_fen)}"
            )
            status = found.status.value
    except DomainError as exc:
        err_console.print(f"[red]Error:[/red] {exc.message}")
        for p in exc.problems[:10]:
            err_console.print(f"  {p.field}: {p.message}")
        raise typer.Exit(1) from None
    verb = "already posted" if posted.replayed else "posted"
    console.print(f"{verb} {r.txn_ref}: {format_yuan(r.amount_fen)} ({parts}); loan {status}")
