"""The ``loanpilot alerts`` commands: evaluate the early-warning rules for a business date (the
daily close does it too), and write the daily digest as text or HTML.

Exit status: 0 on success, 1 when the work failed with a reason, 2 for a usage error."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

alerts_app = typer.Typer(
    help="Early warning: evaluate the rules, the daily digest.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)

DateOpt = Annotated[
    str | None, typer.Option("--date", help="business date YYYY-MM-DD (default: today)")
]


def _session_factory() -> sessionmaker[Session]:
    from loanpilot.cli import load_settings
    from loanpilot.db.session import make_engine, make_session_factory

    return make_session_factory(make_engine(load_settings().database_url))


def _day(text: str | None) -> date:
    from loanpilot.cli import load_settings
    from loanpilot.kit.clock import business_today

    if not text:
        return business_today(load_settings().tz)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        err_console.print(f"[red]Error:[/red] --date must be YYYY-MM-DD; got {text!r}")
        raise typer.Exit(2) from None


@alerts_app.command("evaluate")
def evaluate_command(day: DateOpt = None) -> None:
    """Evaluate every enabled rule (seeding the default rules when there are none) and raise the
    alerts not raised yet; running it twice for one date raises nothing new."""
    from loanpilot.db.session import transaction
    from loanpilot.kit.clock import now_utc
    from loanpilot.risk import warnings

    as_of = _day(day)
    with transaction(_session_factory()) as session:
        counts = warnings.after_close(session, as_of, now_utc())
    console.print(
        f"{as_of}: {counts['rules']} rule(s), {counts['firings']} firing(s), "
        f"[bold]{counts['raised']}[/bold] alert(s) raised"
        + (f" ({counts['rules_seeded']} default rule(s) added)" if counts["rules_seeded"] else "")
    )


@alerts_app.command("digest")
def digest_command(
    day: DateOpt = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="write here (.html: HTML, else text); default: print", dir_okay=False
        ),
    ] = None,
) -> None:
    """The daily digest: new alerts by severity, open and overdue alerts, monitoring tasks due."""
    from loanpilot.db.session import transaction
    from loanpilot.risk.warnings_digest import daily_digest

    if lang not in ("zh", "en"):
        err_console.print(f"[red]Error:[/red] --lang must be zh or en; got {lang!r}")
        raise typer.Exit(2)
    as_of = _day(day)
    with transaction(_session_factory()) as session:
        digest = daily_digest(session, as_of, lang)
    if out is None:
        console.print(digest.text(), markup=False, highlight=False)
        return
    html = out.suffix.lower() in (".html", ".htm")
    body = digest.html() if html else digest.text()
    if html:
        body = f'<!doctype html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><meta charset="utf-8">\n{body}</html>\n'
    try:
        out.write_text(body, encoding="utf-8")
    except OSError as exc:
        err_console.print(f"[red]Error:[/red] cannot write {out}: {exc.strerror}")
        raise typer.Exit(1) from None
    console.print(f"Digest of {as_of} written to {out}")
