"""The ``loanpilot appraisal`` commands: list plans, run one, show a person's explained score.

Exit status: 0 on success; 1 for a domain error (unknown plan or staff, superseded plan, no
score), with a clear message; 2 for a usage error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from loanpilot.kit.errors import DomainError

appraisal_app = typer.Typer(help="Appraisal (绩效考核): plans, runs, scores.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@contextmanager
def _session(write: bool = False) -> Iterator[Session]:
    from loanpilot.cli import load_settings
    from loanpilot.db import models as _models  # noqa: F401  (every table known to the ORM)
    from loanpilot.db.session import make_engine, make_session_factory, transaction

    engine = make_engine(load_settings().database_url)
    try:
        if write:
            with transaction(make_session_factory(engine)) as session:
                yield session
        else:
            with Session(engine) as session:
                yield session
    except DomainError as exc:
        err_console.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@appraisal_app.command("plans")
def plans_command(
    period: Annotated[str | None, typer.Option(help="e.g. 2026Q4")] = None,
    role: Annotated[str | None, typer.Option(help="e.g. customer_manager")] = None,
) -> None:
    """List appraisal plans (every version) with their indicator and run counts."""
    from loanpilot.team import repository_appraisal as repo
    from loanpilot.team.models import Role

    if role is not None and role not in Role._value2member_map_:
        err_console.print(f"[red]Error:[/red] unknown role {role!r}")
        raise typer.Exit(2)
    with _session() as session:
        rows = repo.plans(session, role=Role(role) if role else None, period=period)
        table = Table("id", "period", "role", "version", "status", "indicators", "runs", "name")
        for r in rows:
            p = r.plan
            table.add_row(str(p.id), p.period, p.role.value, str(p.version), p.status,
                          str(r.indicators), str(r.runs), p.name)  # fmt: skip
        console.print(table)


@appraisal_app.command("run")
def run_command(
    plan: Annotated[int | None, typer.Option("--plan", help="plan id")] = None,
    role: Annotated[str | None, typer.Option(help="role, with --period")] = None,
    period: Annotated[str | None, typer.Option(help="period, with --role (e.g. 2026Q4)")] = None,
    group: Annotated[str, typer.Option(help="branch (same 分行) or bank")] = "branch",
) -> None:
    """Score every active staff member of a plan's role (the current version of ROLE's plan for
    PERIOD, or plan ID) and store the run; prints the top of each group."""
    from loanpilot.kit.clock import business_today, now_utc
    from loanpilot.kit.errors import NotFoundError
    from loanpilot.kit.periods import parse_period
    from loanpilot.team import appraisal_runs as runs
    from loanpilot.team import repository_appraisal as repo
    from loanpilot.team.appraisal_plans import Actor
    from loanpilot.team.models import Role

    if (plan is None) == (role is None or period is None):
        err_console.print("[red]Error:[/red] give --plan ID, or --role ROLE with --period PERIOD")
        raise typer.Exit(2)
    if role is not None and role not in Role._value2member_map_:
        err_console.print(f"[red]Error:[/red] unknown role {role!r}")
        raise typer.Exit(2)
    with _session(write=True) as session:
        plan_id = plan
        if plan_id is None:
            label = parse_period(str(period)).label
            found = repo.current_plan(session, Role(str(role)), label)
            if found is None:
                raise NotFoundError("appraisal.plan_not_found", f"No {role} plan for {label}")
            plan_id = found.id
        with console.status("Scoring…"):
            run = runs.run_plan(session, plan_id, group_rule=group, actor=Actor(None, "cli"),
                                now=now_utc(), today=business_today())  # fmt: skip
        scores = runs.visible_scores(session, run.id, runs.Scope())
        run_id = run.id
    console.print(f"run [bold]{run_id}[/bold] of plan {plan_id}: {len(scores)} staff scored")
    table = Table("group", "rank", "employee", "name", "total")
    for s in scores:
        if s.rank is not None and s.rank <= 3:
            table.add_row(str(s.group_key), f"{s.rank}/{s.group_size}", s.employee_no, s.name,
                          str(s.total))  # fmt: skip
    console.print(table)


@appraisal_app.command("show")
def show_command(
    staff: Annotated[str, typer.Option("--staff", help="employee no, e.g. E00058")],
    period: Annotated[str, typer.Option(help="e.g. 2026Q3")],
    run: Annotated[int | None, typer.Option("--run", help="run id (default: the newest)")] = None,
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
) -> None:
    """A staff member's score for PERIOD explained line by line (the newest run by default)."""
    from loanpilot.kit.errors import NotFoundError
    from loanpilot.kit.periods import parse_period
    from loanpilot.team import appraisal_runs as runs
    from loanpilot.team import repository_appraisal as repo

    if lang not in ("zh", "en"):
        err_console.print(f"[red]Error:[/red] --lang must be zh or en; got {lang!r}")
        raise typer.Exit(2)
    with _session() as session:
        label = parse_period(period).label
        person = repo.staff_by_employee_no(session, staff.strip().upper())
        if person is None:
            raise NotFoundError("appraisal.staff_not_found", f"No staff member {staff}")
        found = [(s, r, p) for s, r, p in repo.scores_of_staff(session, person.id)
                 if (r.period or p.period) == label and (run is None or r.id == run)]  # fmt: skip
        if not found:
            raise NotFoundError("appraisal.score_not_found",
                                f"{staff} has no appraisal score for {label}")  # fmt: skip
        r, p, score, lines = runs.explanation(session, found[0][1].id, person.id, runs.Scope())
        console.print(f"[bold]{score.name}[/bold] ({score.employee_no}) · {p.name} v{p.version} "
                      f"· run {r.id}")  # fmt: skip
        console.print(f"total {score.total} · rank {score.rank}/{score.group_size} "
                      f"({score.group_key or 'bank'})")  # fmt: skip
        for x in lines:
            console.print(" · " + (x.text_en if lang == "en" else x.text_zh), highlight=False)
            console.print(f"   source: {x.line.source}", style="dim", highlight=False)
