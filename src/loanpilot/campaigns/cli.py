"""Campaigns (营销活动): plan an optimised target list, report results."""

from __future__ import annotations

import typer

campaign_app = typer.Typer(
    help="Campaigns (营销活动): plan an optimised target list, report results.",
    no_args_is_help=True,
)
