"""``loanpilot campaign report ID``: one campaign's results (funnel against goals, lift over the
hold-out with 95 % intervals, ROI, spend by budget line, A/B tests, attribution) as a
self-contained HTML page (Chinese by default, ``--lang en``) or as JSON.

``report(campaign, out, lang, fmt)`` is the command's body; the lead wires it into
``campaign_app``. Exit status: 0 on success, 1 when the campaign does not exist, 2 for a usage
error (an unknown language or format)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from loanpilot.kit.errors import NotFoundError

console = Console()
err_console = Console(stderr=True)


def report(
    campaign: Annotated[str, typer.Argument(help="campaign id or code")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="file to write (default: print to the terminal)", dir_okay=False
        ),
    ] = None,
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
    fmt: Annotated[str, typer.Option("--format", help="html or json")] = "html",
) -> None:
    """Write one campaign's results report (HTML with inline charts, or JSON)."""
    from loanpilot.campaigns import results
    from loanpilot.campaigns.report import render_report
    from loanpilot.cli import load_settings
    from loanpilot.db import models as _models  # noqa: F401  (every table known to the ORM)
    from loanpilot.db.session import make_engine

    if lang not in ("zh", "en"):
        err_console.print(f"[red]Error:[/red] --lang must be zh or en; got {lang!r}")
        raise typer.Exit(2)
    if fmt not in ("html", "json"):
        err_console.print(f"[red]Error:[/red] --format must be html or json; got {fmt!r}")
        raise typer.Exit(2)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            found = results.campaign_results(session, campaign)
    except NotFoundError as exc:
        err_console.print(f"[red]Error:[/red] {exc.message}")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    if fmt == "json":
        text = json.dumps(found.as_dict(), ensure_ascii=False, indent=2)
    else:
        text = render_report(found, "en" if lang == "en" else "zh")
    if out is None:
        typer.echo(text)
        return
    out.write_text(text, encoding="utf-8")
    console.print(
        f"campaign {found.campaign.code} report ({fmt}, {lang}) written to [bold]{out}[/bold]"
    )


def credit_referrals() -> None:
    """Credit the referrers of referred leads that became disbursed loans (once each)."""
    from loanpilot.channels.attribution import DEFAULT_REFERRAL_CREDIT_FEN
    from loanpilot.channels.attribution import credit_referrals as credit
    from loanpilot.cli import load_settings
    from loanpilot.db import models as _models  # noqa: F401  (every table known to the ORM)
    from loanpilot.db.session import make_engine, make_session_factory, transaction
    from loanpilot.kit.clock import now_utc

    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            n = credit(session, now=now_utc())
    finally:
        engine.dispose()
    console.print(f"credited {n} referrers ¥{DEFAULT_REFERRAL_CREDIT_FEN / 100:,.2f} each")
