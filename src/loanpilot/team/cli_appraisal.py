"""The ``loanpilot appraisal`` commands."""

from __future__ import annotations

import typer

appraisal_app = typer.Typer(help="Appraisal (绩效考核): plans, runs, scores.", no_args_is_help=True)
