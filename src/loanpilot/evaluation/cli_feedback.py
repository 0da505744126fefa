"""The ``loanpilot feedback`` commands."""

from __future__ import annotations

import typer

feedback_app = typer.Typer(
    help="Feedback (客户反馈): tickets, topic model, improvement actions.", no_args_is_help=True
)
