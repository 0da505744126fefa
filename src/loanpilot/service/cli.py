"""The ``loanpilot service`` commands."""

from __future__ import annotations

import typer

service_app = typer.Typer(
    help="Customer service (客户服务): surveys, SLAs, quality reviews.", no_args_is_help=True
)
