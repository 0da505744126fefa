"""The ``loanpilot team`` commands."""

from __future__ import annotations

import typer

team_app = typer.Typer(
    help="Team (营销团队): portfolios, training, certificates.", no_args_is_help=True
)
