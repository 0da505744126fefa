"""The ``loanpilot plan`` commands.

``loanpilot plan report --period 2026Q4 --out plan.html [--lang en] [--pdf plan.pdf]`` builds the
marketing work plan with a progress bar per chapter, writes it (HTML, or PDF when ``--out`` ends
in ``.pdf``) and keeps it in ``work_plan_reports`` (``--no-store`` to keep nothing). Exit status:
0 on success, 1 for a domain error (bad period or language, PDF printing failed), with a message
naming the option.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from loanpilot.kit.errors import DomainError, ValidationError

plan_app = typer.Typer(
    help="The marketing work plan (营销工作方案): generate it as HTML or PDF.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)
#: Options of the command named in errors, by the field the services report.
OPTIONS = {"period": "--period", "lang": "--lang", "budget": "--budget", "as_of": "--today"}


def _fail(exc: DomainError) -> typer.Exit:
    if isinstance(exc, ValidationError) and exc.problems:
        for p in exc.problems:
            err_console.print(f"[red]Error:[/red] {OPTIONS.get(p.field, p.field)}: {p.message}")
    else:
        err_console.print(f"[red]Error:[/red] {exc.message}")
    return typer.Exit(1)


@plan_app.command("report")
def report(
    period: Annotated[str, typer.Option("--period", help="2026Q4, 2026-10, 2026H2 or 2026")],
    out: Annotated[
        Path, typer.Option("--out", help="file to write: .html, or .pdf for a PDF", dir_okay=False)
    ],
    lang: Annotated[str, typer.Option("--lang", help="zh (default) or en")] = "zh",
    pdf: Annotated[
        Path | None, typer.Option("--pdf", help="also print a PDF here", dir_okay=False)
    ] = None,
    store: Annotated[
        bool, typer.Option("--store/--no-store", help="keep it in work_plan_reports")
    ] = True,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget", help="next period's campaign budget, yuan (default: this period's)"
        ),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option("--today", help="business date YYYY-MM-DD (default: today, Asia/Shanghai)"),
    ] = None,
) -> None:
    """Write the marketing work plan of a period from the bank's own data."""
    from loanpilot.cli import load_settings
    from loanpilot.db import models as _models  # noqa: F401  (every table known to the ORM)
    from loanpilot.db.session import make_engine, make_session_factory, transaction
    from loanpilot.evaluation import plan_pdf, plan_store
    from loanpilot.evaluation.plan import STEPS
    from loanpilot.kit.clock import business_today, now_utc

    settings = load_settings()
    try:
        day = date.fromisoformat(today) if today else business_today()
    except ValueError:
        err_console.print(f"[red]Error:[/red] --today: {today!r} is not a date YYYY-MM-DD")
        raise typer.Exit(1) from None
    if budget is not None and budget < 0:
        err_console.print(f"[red]Error:[/red] --budget must be 0 or more; got {budget}")
        raise typer.Exit(1)
    try:
        plan_store.parse_lang(lang)
        plan_store.check_period(period, day)
    except DomainError as exc:
        raise _fail(exc) from None
    as_pdf = out.suffix.lower() == ".pdf"
    engine = make_engine(settings.database_url)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, transient=False) as bar:  # fmt: skip
            task = bar.add_task("work plan 营销工作方案", total=STEPS)

            def step(chapter: str, part: int, parts: int) -> None:
                bar.update(task, advance=1, description=f"chapter {chapter} ({part}/{parts})")

            with transaction(make_session_factory(engine)) as session:
                made = plan_store.generate(
                    session, period, now=now_utc(), today=day, lang=lang, store=store,
                    actor_label="cli", progress=step,
                    budget_fen=None if budget is None else round(budget * 100),
                )  # fmt: skip
                report_id = made.report.id if made.report is not None else None
        if as_pdf:
            plan_pdf.html_to_pdf(made.html, out, settings.chromium_path)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(made.html, encoding="utf-8")
        if pdf is not None:
            plan_pdf.html_to_pdf(made.html, pdf, settings.chromium_path)
    except DomainError as exc:
        raise _fail(exc) from None
    finally:
        engine.dispose()
    missing = [f"{c.number} {c.key}" for c in made.document.chapters if not c.available]
    console.print(f"work plan {made.document.period.label} ({made.lang}) written to [bold]{out}[/bold]"
                  + (f" and [bold]{pdf}[/bold]" if pdf else "")
                  + (f"; stored as #{report_id}" if report_id else "; not stored")
                  + f" in {made.seconds:.1f} s")  # fmt: skip
    if missing:
        console.print("[yellow]chapters not available:[/yellow] " + ", ".join(missing))
