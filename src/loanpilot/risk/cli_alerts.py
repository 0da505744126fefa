"""The ``loanpilot alerts`` commands."""

from __future__ import annotations

import typer

alerts_app = typer.Typer(
    help="Early warning: evaluate the rules, the daily digest.", no_args_is_help=True
)
