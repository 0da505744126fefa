"""Campaigns (营销活动): plan an optimised target list, report results."""

from __future__ import annotations

import typer

campaign_app = typer.Typer(
    help="Campaigns (营销活动): plan an optimised target list, report results.",
    no_args_is_help=True,
)


def _register() -> None:
    from loanpilot.campaigns.cli_plan import plan
    from loanpilot.campaigns.cli_report import credit_referrals, report

    campaign_app.command("plan")(plan)
    campaign_app.command("report")(report)
    campaign_app.command("credit-referrals")(credit_referrals)


_register()
