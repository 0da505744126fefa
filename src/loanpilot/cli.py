"""The ``loanpilot`` command line (Typer + Rich). Each area adds its own sub-application."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console

from loanpilot.config import Settings, get_settings
from loanpilot.kit.errors import DomainError

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="loanpilot",
    help="LoanPilot: the personal-loan marketing work plan of a bank, from segment to collections.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="Database schema: migrate and inspect.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def load_settings() -> Settings:
    """Settings for a CLI command; configuration errors are shown, not raised as tracebacks."""
    try:
        return get_settings()
    except DomainError as exc:
        err_console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from loanpilot.db import migrate

    settings = load_settings()
    migrate.upgrade(settings.database_url, revision)
    console.print(
        f"Database at revision [bold]{migrate.current_revision(settings.database_url)}[/bold]"
    )


@db_app.command("current")
def db_current() -> None:
    """Show the revision the database is at and the newest available."""
    from loanpilot.db import migrate

    settings = load_settings()
    console.print(f"current: {migrate.current_revision(settings.database_url) or '(empty)'}")
    console.print(f"head:    {migrate.head_revision()}")


def _register_subcommands() -> None:
    from loanpilot.access.cli import user_app
    from loanpilot.campaigns.cli import campaign_app
    from loanpilot.campaigns.cli_uplift import uplift_app
    from loanpilot.customers.cli_segments import segments_app
    from loanpilot.demo.cli import demo_app
    from loanpilot.evaluation.cli_feedback import feedback_app
    from loanpilot.evaluation.cli_kpis import kpi_app
    from loanpilot.evaluation.cli_plan import plan_app
    from loanpilot.imports.cli import import_app
    from loanpilot.lending.cli import loans_app
    from loanpilot.market.cli import market_app
    from loanpilot.products.cli_offers import offers_app
    from loanpilot.products.cli_propensity import propensity_app
    from loanpilot.risk.cli import risk_app, scorecard_app
    from loanpilot.risk.cli_alerts import alerts_app
    from loanpilot.risk.cli_close import close_app
    from loanpilot.risk.cli_portfolio import portfolio_app
    from loanpilot.service.cli import service_app
    from loanpilot.team.cli import team_app
    from loanpilot.team.cli_appraisal import appraisal_app
    from loanpilot.web.cli import register as register_web

    app.add_typer(demo_app, name="demo")
    app.add_typer(import_app, name="import")
    app.add_typer(user_app, name="user")
    app.add_typer(scorecard_app, name="scorecard")
    app.add_typer(risk_app, name="risk")
    app.add_typer(loans_app, name="loans")
    app.add_typer(close_app, name="close")
    app.add_typer(portfolio_app, name="portfolio")
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(segments_app, name="segments")
    app.add_typer(propensity_app, name="propensity")
    app.add_typer(offers_app, name="offers")
    app.add_typer(uplift_app, name="uplift")
    app.add_typer(campaign_app, name="campaign")
    app.add_typer(team_app, name="team")
    app.add_typer(appraisal_app, name="appraisal")
    app.add_typer(service_app, name="service")
    app.add_typer(feedback_app, name="feedback")
    app.add_typer(market_app, name="market")
    app.add_typer(kpi_app, name="kpi")
    app.add_typer(plan_app, name="plan")
    register_web(app)


_register_subcommands()


def main() -> None:
    """Entry point of the ``loanpilot`` script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except DomainError as exc:
        err_console.print(f"[red]{exc.code}[/red]: {exc}")
        raise SystemExit(1) from exc
