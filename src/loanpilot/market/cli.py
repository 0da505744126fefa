"""The ``loanpilot market`` commands."""

from __future__ import annotations

import typer

market_app = typer.Typer(
    help="Market analysis (市场分析): import sizes and competitors, share.", no_args_is_help=True
)
