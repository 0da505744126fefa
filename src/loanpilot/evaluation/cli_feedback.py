"""The ``loanpilot feedback`` commands: the ticket-topic model (fit, classify), tickets from low
survey scores' comments, closing the resolved tickets nobody answered, the overdue tickets, and
the improvement actions.

Exit status: 0 done, 1 refused (too few labelled tickets, no model, bad input), 2 usage error.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from loanpilot.kit.errors import DomainError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

feedback_app = typer.Typer(
    help="Feedback (客户反馈): tickets, topic model, improvement actions.", no_args_is_help=True
)
topics_app = typer.Typer(help="The ticket-topic model: fit, classify.", no_args_is_help=True)
actions_app = typer.Typer(help="Improvement actions: list, verify.", no_args_is_help=True)
feedback_app.add_typer(topics_app, name="topics")
feedback_app.add_typer(actions_app, name="actions")
console = Console()
err_console = Console(stderr=True)


def _factory() -> tuple[sessionmaker[Session], Any]:
    import loanpilot.db.models  # noqa: F401  (every mapper, before any flush)
    from loanpilot.cli import load_settings
    from loanpilot.db.session import make_engine, make_session_factory

    settings = load_settings()
    return make_session_factory(make_engine(settings.database_url)), settings


def _refused(exc: DomainError) -> typer.Exit:
    err_console.print(f"[red]Refused:[/red] {exc}")
    return typer.Exit(1)


def _day(text: str | None, settings: Any) -> date:
    from loanpilot.kit.clock import business_today

    if not text:
        return business_today(settings.tz)
    try:
        return date.fromisoformat(text)
    except ValueError:
        err_console.print(f"[red]Error:[/red] --date must be YYYY-MM-DD; got {text!r}")
        raise typer.Exit(2) from None


@topics_app.command("fit")
def fit_topics(
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write topics@N.json here.")
    ] = None,
    folds: Annotated[int, typer.Option(min=2, max=10, help="Cross-validation folds.")] = 5,
) -> None:
    """Fit the next topic model on every staff-labelled ticket; print its CV metrics."""
    from loanpilot.evaluation import topics
    from loanpilot.kit.clock import now_utc

    factory, _ = _factory()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as progress:  # fmt: skip
        task = progress.add_task("cross-validating", total=folds + 1)

        def step(stage: str, i: int, k: int) -> None:
            progress.update(task, description="fitting" if stage == "fit" else "cross-validating",
                            completed=i, total=k)  # fmt: skip

        try:
            with factory.begin() as session:
                row = topics.fit(session, now=now_utc(), folds=folds, on_progress=step,
                                 actor_label="cli")  # fmt: skip
                version, metrics = row.version, dict(row.metrics)
                if out is not None:
                    path = topics.export(row, out)
        except DomainError as exc:
            raise _refused(exc) from None
    console.print(f"[bold]topics@{version}[/bold]: {metrics['n']} tickets, {metrics['folds']}-fold "
                  f"stratified CV accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f}")  # fmt: skip
    table = Table(title="Out-of-fold confusion (rows: staff label)")
    table.add_column("topic")
    for label in metrics["labels"]:
        table.add_column(label[:8], justify="right")
    table.add_column("recall", justify="right")
    for i, label in enumerate(metrics["labels"]):
        row_counts = metrics["confusion"][i]
        total = sum(row_counts) or 1
        table.add_row(label, *(str(v) for v in row_counts), f"{row_counts[i] / total:.2f}")
    console.print(table)
    if out is not None:
        console.print(f"Wrote {path}")


@topics_app.command("classify")
def classify(text: Annotated[str, typer.Option("--text", help="The ticket's text.")]) -> None:
    """The latest model's topic of a text, with its three likeliest topics."""
    from loanpilot.evaluation import topics

    factory, _ = _factory()
    with factory() as session:
        found = topics.classify(session, text)
    if found is None:
        err_console.print("[red]Refused:[/red] no topic model has been fitted yet "
                          "(run `loanpilot feedback topics fit`)")  # fmt: skip
        raise typer.Exit(1)
    console.print(f"{found.topic} ({topics.topic_label(found.topic)}) p={found.probability:.3f} "
                  f"[{found.label}]")  # fmt: skip
    for code, p in found.ranked[1:]:
        console.print(f"  {code} p={p:.3f}")


@feedback_app.command("from-surveys")
def from_surveys(
    day: Annotated[str | None, typer.Option("--date", help="Business day (YYYY-MM-DD).")] = None,
) -> None:
    """Tickets from the low-score survey comments of one day (idempotent)."""
    from loanpilot.evaluation import feedback
    from loanpilot.kit.clock import now_utc

    factory, settings = _factory()
    on = _day(day, settings)
    with factory.begin() as session:
        counts = feedback.from_surveys(session, on, now_utc(), tz=settings.tz)
    console.print(f"{on}: {counts['comments']} comments, {counts['low']} with a low score, "
                  f"{counts['created']} tickets created, {counts['already']} already made")  # fmt: skip


@feedback_app.command("close-unanswered")
def close_unanswered() -> None:
    """Close the resolved tickets whose customer did not answer within the timeout."""
    from loanpilot.evaluation import feedback
    from loanpilot.evaluation.feedback_rules import CONFIRM_TIMEOUT_DAYS
    from loanpilot.kit.clock import now_utc

    factory, _ = _factory()
    with factory.begin() as session:
        n = feedback.close_unanswered(session, now_utc())
    console.print(
        f"Closed {n} tickets resolved over {CONFIRM_TIMEOUT_DAYS} days ago without an answer"
    )


@feedback_app.command("overdue")
def overdue() -> None:
    """Unresolved tickets past their SLA due time."""
    from loanpilot.evaluation import repository_feedback as repo
    from loanpilot.kit.clock import now_utc

    factory, settings = _factory()
    now = now_utc()
    with factory() as session:
        rows = repo.tickets(session, repo.TicketFilters(overdue=True), None, now, limit=10_000)
        table = Table(title=f"{len(rows)} overdue tickets")
        for col in ("ticket", "type", "topic", "status", "due (local)", "hours late"):
            table.add_column(col)
        for r in rows:
            t = r.ticket
            due = t.sla_due_at
            late = f"{(now - due).total_seconds() / 3600:.0f}" if due else "—"
            shown = due.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M") if due else "—"
            table.add_row(t.ticket_no, t.type.value, t.topic or "—", t.status.value, shown, late)
    console.print(table)


@actions_app.command("list")
def list_actions(
    status: Annotated[str | None, typer.Option(help="A status or open.")] = None,
) -> None:
    """Improvement actions with their baseline, target, after value and verdict."""
    from loanpilot.evaluation import actions
    from loanpilot.evaluation import repository_feedback as repo

    factory, _ = _factory()
    with factory() as session:
        rows = repo.actions(session, repo.ActionFilters(status=status))
        table = Table(title=f"{len(rows)} improvement actions")
        for col in (
            "id",
            "title",
            "status",
            "deadline",
            "metric",
            "baseline",
            "target",
            "after",
            "met",
        ):
            table.add_column(col)
        for a in rows:
            v = actions.verdict(a)
            table.add_row(str(a.id), a.title[:24], a.status.value, str(a.deadline), a.metric_code or "—",
                          f"{a.baseline_value:.4f}", f"{a.target_value:.4f}",
                          "—" if a.after_value is None else f"{a.after_value:.4f}",
                          "—" if v is None else ("yes" if v.met else "no"))  # fmt: skip
    console.print(table)


@actions_app.command("verify")
def verify_action(action_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Measure a done action's metric after it was done and compare with the target."""
    from loanpilot.evaluation import actions
    from loanpilot.evaluation.feedback import Actor
    from loanpilot.kit.clock import business_today, now_utc

    factory, settings = _factory()
    try:
        with factory.begin() as session:
            a, v = actions.verify(session, action_id, Actor(None, "cli"),
                                  business_today(settings.tz), now_utc())  # fmt: skip
            title, status = a.title, a.status.value
    except DomainError as exc:
        raise _refused(exc) from None
    console.print(f"{title}: baseline {v.baseline} → after {v.after} (target {v.target}); "
                  f"{'met' if v.met else 'not met'}; status {status}")  # fmt: skip
