"""Segments (客群细分): build the rule and cluster segmentations, list them, show one.

Exit status: 0 on success, 1 when the build was refused (no customers, a bad request) or a run is
not found, 2 for a usage error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from loanpilot.kit.errors import DomainError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from loanpilot.customers.models_segments import SegmentRun

segments_app = typer.Typer(
    help="Segments (客群细分): build the rule and cluster segmentations, list them.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)
_STEPS = {"rules": ("features", "activity", "rules"), "clusters": ("features", "activity", "clusters"),
          "all": ("features", "activity", "rules", "clusters")}  # fmt: skip
_STEP_TEXT = {"features": "features 特征", "activity": "activity 行为",
              "rules": "rule segments 规则客群", "clusters": "clusters 聚类客群"}  # fmt: skip


def _factory() -> tuple[sessionmaker[Session], Any]:
    import loanpilot.db.models  # noqa: F401  (every mapper, before any flush)
    from loanpilot.cli import load_settings
    from loanpilot.db.session import make_engine, make_session_factory

    settings = load_settings()
    return make_session_factory(make_engine(settings.database_url)), settings


def _pct(value: object) -> str:
    return f"{float(value):.1%}" if isinstance(value, int | float) else "—"


def _yuan(fen: object) -> str:
    return f"{round(float(fen) / 100):,}" if isinstance(fen, int | float) else "—"


def print_run(session: Session, run: SegmentRun, limit: int | None = None) -> None:
    """A run's segments: name, size, share, income, channel, response and approval rates."""
    from loanpilot.customers import segments

    rows = segments.run_segments(session, run.id)
    current = " · current 当前" if run.is_current else ""
    table = Table(title=f"{run.kind.value} v{run.version} · as of {run.as_of.isoformat()} · "
                  f"{run.customers:,} customers{current}")  # fmt: skip
    for col in ("code", "name 名称", "customers", "share", "median income (yuan)", "online",
                "branch", "response", "approval"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("code", "name 名称") else "right")
    for s in rows[:limit]:
        p = s.profile or {}
        table.add_row(
            s.code, f"{s.name_zh} ({s.name_en})", f"{s.size:,}", _pct(p.get("share")),
            _yuan((p.get("income") or {}).get("median_fen")),
            _pct((p.get("channel") or {}).get("digital")), _pct((p.get("channel") or {}).get("branch")),
            _pct((p.get("response") or {}).get("rate")), _pct((p.get("approval") or {}).get("rate")),
        )  # fmt: skip
    console.print(table)
    if limit is not None and len(rows) > limit:
        console.print(
            f"… and {len(rows) - limit} more segment(s): loanpilot segments show {run.id}"
        )
    scores = (run.params or {}).get("k_scores")
    if scores:
        text = ", ".join(
            f"k={k}: {v['silhouette']:.3f} (min {v['min_share']:.1%})" for k, v in scores.items()
        )
        console.print(
            f"k = {run.params.get('k')} by {run.params.get('criterion')}; silhouette: {text}"
        )


@segments_app.command("build")
def build_command(
    kind: Annotated[str, typer.Option("--kind", help="rules, clusters or all")] = "all",
    k: Annotated[str, typer.Option("--k", help="number of clusters: auto or 2..20")] = "auto",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="YYYY-MM-DD (default: today in the bank's timezone)"),
    ] = None,
) -> None:
    """Build the rule segments (age × occupation × income bands) and/or the data-driven clusters;
    each build is a new version and becomes the current run of its kind."""
    from loanpilot.customers import segments
    from loanpilot.kit.clock import business_today

    if kind not in _STEPS:
        err_console.print(f"[red]Error:[/red] --kind must be rules, clusters or all; got {kind!r}")
        raise typer.Exit(2)
    if k != "auto" and not (k.isdigit() and 2 <= int(k) <= 20):
        err_console.print(
            f"[red]Error:[/red] --k must be auto or a whole number from 2 to 20; got {k!r}"
        )
        raise typer.Exit(2)
    factory, settings = _factory()
    today = business_today(settings.tz)
    try:
        day = date.fromisoformat(as_of) if as_of else today
    except ValueError:
        err_console.print(f"[red]Error:[/red] --as-of must be YYYY-MM-DD; got {as_of!r}")
        raise typer.Exit(2) from None
    if day > today:
        err_console.print(f"[red]Error:[/red] --as-of {day} is after today ({today})")
        raise typer.Exit(2)
    steps = _STEPS[kind]
    with factory() as session, Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"segments 客群 · {_STEP_TEXT[steps[0]]}", total=len(steps))

        def progress(name: str) -> None:
            done = steps.index(name) + 1 if name in steps else 0
            following = steps[done] if done < len(steps) else name
            bar.update(task, completed=done, description=f"segments 客群 · {_STEP_TEXT[following]}")

        try:
            runs = segments.build_segments(
                session, as_of=day, now=datetime.now(UTC), kind=kind,
                k="auto" if k == "auto" else int(k), actor_label="cli", progress=progress,
            )  # fmt: skip
        except DomainError as exc:
            bar.stop()
            session.rollback()
            err_console.print(f"[red]Error:[/red] {exc}")
            raise typer.Exit(1) from None
        session.commit()
        bar.stop()
        for run in runs:
            print_run(session, run, limit=15)


@segments_app.command("list")
def list_command(
    kind: Annotated[str | None, typer.Option("--kind", help="rules or clusters")] = None,
) -> None:
    """The segmentation runs, newest first."""
    from loanpilot.customers import segments

    if kind not in (None, "rules", "clusters"):
        err_console.print(f"[red]Error:[/red] --kind must be rules or clusters; got {kind!r}")
        raise typer.Exit(2)
    factory, _ = _factory()
    with factory() as session:
        runs = segments.list_runs(session, kind)
        if not runs:
            console.print("No segmentation has been built yet: loanpilot segments build")
            return
        table = Table(title="Segmentation runs 客群细分版本")
        for col in (
            "id",
            "kind",
            "version",
            "as of",
            "customers",
            "k",
            "current",
            "built at (UTC)",
        ):
            table.add_column(
                col, justify="right" if col in ("id", "version", "customers", "k") else "left"
            )
        for r in runs:
            table.add_row(str(r.id), r.kind.value, str(r.version), r.as_of.isoformat(), f"{r.customers:,}",
                          str((r.params or {}).get("k", "—")), "✓" if r.is_current else "",
                          r.started_at.strftime("%Y-%m-%d %H:%M"))  # fmt: skip
        console.print(table)


@segments_app.command("show")
def show_command(run_id: Annotated[int, typer.Argument(help="the run's id (see list)")]) -> None:
    """One run's segments with their size, income, channel preference and rates."""
    from loanpilot.customers import segments

    factory, _ = _factory()
    with factory() as session:
        try:
            run = segments.get_run(session, run_id)
        except DomainError as exc:
            err_console.print(f"[red]Error:[/red] {exc.message}")
            raise typer.Exit(1) from None
        print_run(session, run)
