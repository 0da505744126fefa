"""The ``loanpilot team`` commands: hand customers over, import training attendance, print the
certificate reminders and the training hours of a period.

The CLI runs as an operator with database access (the whole bank in scope, actor ``cli``); every
change is audited. Exit status: 0 done, 1 refused (the problems are printed: field, file row), 2 a
usage error."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from loanpilot.kit.errors import DomainError, FieldProblem

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from loanpilot.config import Settings

team_app = typer.Typer(
    help="Team (营销团队): portfolios, training, certificates.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)


def _factory() -> tuple[sessionmaker[Session], Settings]:
    import loanpilot.db.models  # noqa: F401  (every mapper, before any flush)
    from loanpilot.cli import load_settings
    from loanpilot.db.session import make_engine, make_session_factory

    settings = load_settings()
    return make_session_factory(make_engine(settings.database_url)), settings


def _fail(exc: DomainError) -> typer.Exit:
    err_console.print(f"[red]Error:[/red] {exc.message}")
    for p in exc.problems:
        err_console.print(f"  - {p}")
    return typer.Exit(1)


def _usage(message: str) -> typer.Exit:
    err_console.print(f"[red]Error:[/red] {message}")
    return typer.Exit(2)


def _now_today(settings: Settings) -> tuple[datetime, date]:
    now = datetime.now(UTC)
    return now, now.astimezone(settings.tz).date()


def read_customer_file(path: Path) -> list[tuple[str, int | None]]:
    """Customer numbers (or ids) from a file: one a line, or a CSV whose header has a
    ``customer_no`` (or ``customer_id``) column; each with its file row."""
    text = path.read_bytes().decode("utf-8-sig")
    lines = text.splitlines()
    if not lines:
        return []
    header = [h.strip().lower() for h in next(csv.reader([lines[0]]))]
    column = next((c for c in ("customer_no", "customer_id") if c in header), None)
    if column is None:
        return [(line.strip(), n) for n, line in enumerate(lines, 1) if line.strip()]
    index = header.index(column)
    rows = csv.reader(io.StringIO(text))
    next(rows)
    return [
        (row[index].strip() if index < len(row) else "", n)
        for n, row in enumerate(rows, 2)
        if any(cell.strip() for cell in row)
    ]


@team_app.command("reassign")
def reassign(
    to_staff: Annotated[str, typer.Option("--to", help="employee number of the new manager")],
    reason: Annotated[str, typer.Option("--reason", help="why (kept in the history)")],
    from_staff: Annotated[
        str, typer.Option("--from", help="employee number of the manager giving customers up")
    ] = "",
    customers: Annotated[
        Path | None,
        typer.Option(
            "--customers",
            help="file of customer numbers (one a line, or CSV with "
            "customer_no); without it, the whole portfolio of --from",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Hand customers to another manager: one file of customers, or a whole portfolio."""
    from loanpilot.db.session import transaction
    from loanpilot.team import people

    if customers is None and not from_staff.strip():
        raise _usage("give --from (a whole portfolio) or --customers FILE")
    picks = read_customer_file(customers) if customers is not None else None
    factory, settings = _factory()
    now, today = _now_today(settings)
    try:
        with transaction(factory) as session:
            done = people.reassign(
                session, to_staff=to_staff, from_staff=from_staff, reason=reason,
                customers=picks, actor=people.CLI_ACTOR, today=today,
                now=now, source_file=customers.name if customers is not None else None,
            )  # fmt: skip
    except DomainError as exc:
        raise _fail(exc) from None
    source = f"{done.source.employee_no} {done.source.name}" if done.source else "their managers"
    console.print(f"moved {done.moved:,} customers from {source} to "
                  f"[bold]{done.target.employee_no} {done.target.name}[/bold] on {done.today}")  # fmt: skip


training_app = typer.Typer(help="Training (培训): attendance import.", no_args_is_help=True)
team_app.add_typer(training_app, name="training")


def _print_rejects(problems: list[FieldProblem]) -> None:
    table = Table(title="Rejected rows 被拒绝的行")
    for col in ("file", "row", "column", "problem"):
        table.add_column(col, justify="right" if col == "row" else "left")
    for p in problems:
        table.add_row(p.source or "", "" if p.row is None else str(p.row), p.field, p.message)
    console.print(table)


@training_app.command("import")
def training_import(
    file: Annotated[Path, typer.Argument(help="attendance CSV: employee_no, course_code, "
                                         "session_date, hours_attended[, exam_score, passed]",
                                         exists=True, dir_okay=False)],
) -> None:  # fmt: skip
    """Import training attendance: good rows are kept, every rejected row is listed."""
    from loanpilot.db.session import transaction
    from loanpilot.team import people, people_training

    factory, settings = _factory()
    now, today = _now_today(settings)
    try:
        with transaction(factory) as session:
            report = people_training.import_attendance(
                session, file.read_bytes(), file.name, actor=people.CLI_ACTOR,
                today=today, now=now,
            )  # fmt: skip
    except DomainError as exc:
        raise _fail(exc) from None
    if report.problems:
        _print_rejects(list(report.problems))
    console.print(f"{file.name}: {report.rows:,} rows, imported [bold]{report.imported:,}"
                  f"[/bold], rejected {len(report.rejected_rows):,}")  # fmt: skip


@team_app.command("reminders")
def reminders() -> None:
    """Certificates that expired or expire within the notice window (settings), soonest first."""
    from loanpilot.db.session import transaction
    from loanpilot.team import people_development

    factory, settings = _factory()
    _, today = _now_today(settings)
    days = settings.cert_expiry_notice_days
    with transaction(factory) as session:
        rows = people_development.reminders(session, None, today, days)
    table = Table(title=f"Certificate reminders 证书到期提醒 ({today}, {days} days)")
    for col in ("employee no", "holder", "certificate", "expires on", "days left", "state"):
        table.add_column(col, justify="right" if col == "days left" else "left")
    for r in rows:
        c = r.cert
        table.add_row(c.employee_no, c.holder, c.facts.name, str(c.facts.expires_on),
                      str(r.reminder.days_left), "expired 已过期" if r.reminder.expired
                      else "expiring 即将到期")  # fmt: skip
    console.print(table)
    expired = sum(1 for r in rows if r.reminder.expired)
    console.print(f"{len(rows):,} reminders: {expired:,} expired, {len(rows) - expired:,} expiring")


@team_app.command("hours")
def hours(
    period: Annotated[str, typer.Option("--period", help="2026-10, 2026Q4, 2026H2 or 2026")],
) -> None:
    """Training hours per active staff member in a period, with mandatory courses not passed."""
    from loanpilot.db.session import transaction
    from loanpilot.kit.periods import parse_period
    from loanpilot.team import people_training

    try:
        p = parse_period(period, field="--period")
    except DomainError as exc:
        raise _usage(str(exc)) from None
    factory, _ = _factory()
    with transaction(factory) as session:
        items = people_training.hours(session, None, p)
    table = Table(title=f"Training hours 培训学时 {p.label} ({p.start} – {p.last_day})")
    for col in ("employee no", "name", "role", "branch", "sessions", "hours", "mandatory missing"):
        table.add_column(col, justify="right" if col in ("sessions", "hours") else "left")
    for i in items:
        r = i.row
        table.add_row(r.employee_no, r.name, r.role, r.branch_name, str(r.sessions),
                      f"{r.hours.normalize():f}", ", ".join(i.missing) or "—")  # fmt: skip
    console.print(table)
    total = people_training.total_hours(items)
    console.print(f"{len(items):,} staff, {total.normalize():f} hours in {p.label}")
