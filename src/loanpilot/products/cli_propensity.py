"""Propensity models on any CSV: fit (LR or LightGBM by cross-validation), score."""

from __future__ import annotations

import typer

propensity_app = typer.Typer(
    help="Propensity models on any CSV: fit (LR or LightGBM by cross-validation), score.",
    no_args_is_help=True,
)
