"""The ``loanpilot close`` commands."""

from __future__ import annotations

import typer

close_app = typer.Typer(
    help="Daily close (日终): run it for a date, see its runs.", no_args_is_help=True
)
