"""Uplift models from campaigns with randomised control groups: fit, evaluate."""

from __future__ import annotations

import typer

uplift_app = typer.Typer(
    help="Uplift models from campaigns with randomised control groups: fit, evaluate.",
    no_args_is_help=True,
)
