"""The ``loanpilot portfolio`` commands."""

from __future__ import annotations

import typer

portfolio_app = typer.Typer(
    help="Portfolio analytics: reports of the loan book.", no_args_is_help=True
)
