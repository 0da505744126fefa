"""Segments (客群细分): build the rule and cluster segmentations, list them."""

from __future__ import annotations

import typer

segments_app = typer.Typer(
    help="Segments (客群细分): build the rule and cluster segmentations, list them.",
    no_args_is_help=True,
)
