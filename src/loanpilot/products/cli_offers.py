"""Next-best-offer (产品推荐): build the offers of every customer, show one customer's."""

from __future__ import annotations

import typer

offers_app = typer.Typer(
    help="Next-best-offer (产品推荐): build the offers of every customer, show one customer's.",
    no_args_is_help=True,
)
