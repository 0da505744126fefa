"""The ``loanpilot uplift`` commands: fit the contact-uplift model from the campaigns with a
randomised control group, and evaluate the active one.

Exit status: 0 done, 1 refused (no experiments, too few rows, no model), 2 usage error.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from loanpilot.kit.errors import DomainError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

uplift_app = typer.Typer(
    help="Uplift models from campaigns with randomised control groups: fit, evaluate.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)


def _factory() -> tuple[sessionmaker[Session], Any]:
    import loanpilot.db.models  # noqa: F401  (every mapper, before any flush)
    from loanpilot.cli import load_settings
    from loanpilot.db.session import make_engine, make_session_factory

    settings = load_settings()
    return make_session_factory(make_engine(settings.database_url)), settings


def _as_of(text: str | None, today: date) -> date:
    try:
        as_of = date.fromisoformat(text) if text else today
    except ValueError:
        err_console.print(f"[red]Error:[/red] --as-of must be YYYY-MM-DD; got {text!r}")
        raise typer.Exit(2) from None
    if as_of > today:
        err_console.print(f"[red]Error:[/red] --as-of {as_of} is after today ({today})")
        raise typer.Exit(2)
    return as_of


def _num(value: Any, fmt: str = "+.4f") -> str:
    return "—" if value is None else format(float(value), fmt)


def metrics_table(learners: dict[str, Any], chosen: str | None, title: str) -> Table:
    """One row per learner: Qini coefficient (ours and causalml's scale), AUUC, uplift@k."""
    table = Table(title=title)
    for col in ("learner", "Qini", "Qini (causalml)", "AUUC", "uplift@10%", "@20%", "@30%"):
        table.add_column(col, justify="left" if col == "learner" else "right")
    for name, m in learners.items():
        at = m.get("uplift_at", {})
        mark = " ✓" if name == chosen else ""
        table.add_row(
            f"{name}{mark}",
            _num(m.get("qini")),
            _num(m.get("qini_gain")),
            _num(m.get("auuc")),
            *(
                _num(at.get(k), "+.2%") if at.get(k) is not None else "—"
                for k in ("10", "20", "30")
            ),
        )
    return table


@uplift_app.command("fit")
def fit_command(
    as_of_text: Annotated[
        str | None,
        typer.Option("--as-of", help="use campaigns started before this date (default: today)"),
    ] = None,
    base: Annotated[str, typer.Option(help="base classifier: logistic or lightgbm")] = "logistic",
    seed: Annotated[int, typer.Option(min=0, help="seed of the hold-out split")] = 0,
    learner: Annotated[
        str,
        typer.Option(
            help="learner to register: sparse_effect (default), two_model, "
            "class_transformation, or best (the better hold-out Qini)"
        ),
    ] = "sparse_effect",
) -> None:
    """Fit the sparse-effect, two-model and class-transformation learners, compare them on a
    30 % hold-out and register the chosen one (``--learner``) as the active ``contact-uplift``
    model."""
    from loanpilot.campaigns.uplift import LEARNERS, fit_uplift
    from loanpilot.db.session import transaction
    from loanpilot.kit.clock import business_today, now_utc

    if base not in ("logistic", "lightgbm"):
        err_console.print(f"[red]Error:[/red] --base must be logistic or lightgbm; got {base!r}")
        raise typer.Exit(2)
    if learner not in (*LEARNERS, "best"):
        choices = ", ".join((*LEARNERS, "best"))
        err_console.print(f"[red]Error:[/red] --learner must be one of {choices}; got {learner!r}")
        raise typer.Exit(2)
    factory, settings = _factory()
    as_of = _as_of(as_of_text, business_today(settings.tz))
    with Progress(
        TextColumn("uplift {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            with transaction(factory) as session:
                result = fit_uplift(
                    session,
                    as_of=as_of,
                    now=now_utc(),
                    base=base,
                    seed=seed,
                    learner=learner,
                    progress=progress,
                )
                name = f"{result.model.name}@{result.model.version}"
        except DomainError as exc:
            bar.stop()
            err_console.print(f"[red]Error:[/red] {exc}")
            raise typer.Exit(1) from None
    m = result.metrics
    console.print(
        f"{m['rows']:,} experiment rows from {m['campaigns']} campaigns, arms "
        f"{', '.join(m['arms'])}; hold-out {m['test_rows']:,} rows"
    )
    console.print(metrics_table(m["learners"], m["chosen"], "Uplift learners on the hold-out"))
    console.print(
        f"Registered [bold]{name}[/bold] ({m['chosen']}, {m['base']}) as the active uplift model. "
        "Qini / AUUC: 0 = random, 1 = the best order of the hold-out (scikit-uplift scale); "
        "see docs/uplift.md."
    )


@uplift_app.command("evaluate")
def evaluate_command(
    as_of_text: Annotated[
        str | None, typer.Option("--as-of", help="experiments up to this date (default: today)")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="experiments started from this date (default: the model's as-of)"),
    ] = None,
) -> None:
    """Evaluate the active uplift model on the campaigns that started after it was fitted (out of
    time); without such campaigns, show its hold-out figures."""
    from loanpilot.campaigns.uplift import evaluate_active
    from loanpilot.db.session import transaction
    from loanpilot.kit.clock import business_today

    factory, settings = _factory()
    as_of = _as_of(as_of_text, business_today(settings.tz))
    start = _as_of(since, as_of) if since else None
    try:
        with transaction(factory) as session:
            out = evaluate_active(session, as_of, start)
    except DomainError as exc:
        err_console.print(f"[red]Error:[/red] {exc}")
        raise typer.Exit(1) from None
    if "metrics" in out:
        console.print(
            metrics_table(
                {out["model"]: out["metrics"]},
                None,
                f"{out['model']} on {out['rows']:,} rows of campaigns from {out['since']}",
            )
        )
        return
    console.print(
        f"No campaign with a control group started from {out['since']} ({out['rows']} rows): "
        f"the hold-out figures of {out['model']} when it was fitted:"
    )
    held = out["holdout"]
    console.print(metrics_table(held.get("learners", {}), held.get("chosen"), "Hold-out"))
