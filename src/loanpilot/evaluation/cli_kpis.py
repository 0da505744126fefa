"""The ``loanpilot kpi`` commands."""

from __future__ import annotations

import typer

kpi_app = typer.Typer(
    help="The KPI suite (指标体系): compute, show, targets.", no_args_is_help=True
)
