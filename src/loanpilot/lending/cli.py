"""The ``loanpilot loans`` commands."""

from __future__ import annotations

import typer

loans_app = typer.Typer(
    help="Loans: servicing from the command line and the ledger check.", no_args_is_help=True
)
