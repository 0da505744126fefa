"""The ``loanpilot plan`` commands."""

from __future__ import annotations

import typer

plan_app = typer.Typer(
    help="The marketing work plan (营销工作方案): generate it as HTML or PDF.", no_args_is_help=True
)
