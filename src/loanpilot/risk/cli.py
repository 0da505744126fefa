"""``loanpilot scorecard fit|score|report``: scorecards on any CSV or Excel file a bank hands us.

Exit status: 0 on success, 1 when the input cannot be used (the message names the file, column,
value or rule), 2 for a usage error.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.kit.errors import DomainError

scorecard_app = typer.Typer(
    help=(
        "Credit scorecards on any CSV (UTF-8 or GBK) or Excel file: fit one (binning, WoE, "
        "selection, logistic regression, points), score a file with it, write its HTML report."
    ),
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

DataOpt = Annotated[
    Path,
    typer.Option("--data", help="CSV (UTF-8 or GBK) or Excel .xlsx file", dir_okay=False),
]
ModelOpt = Annotated[
    Path,
    typer.Option("--model", help="model directory written by `scorecard fit` (or its JSON)"),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="a column not to use as a variable (repeatable), e.g. an ID"),
]


def _fail(exc: DomainError) -> typer.Exit:
    err_console.print(f"[red]Error:[/red] {exc.message}")
    for p in exc.problems[:20]:
        where = f"row {p.row}, " if p.row is not None else ""
        err_console.print(f"  {where}{p.field}: {p.message}")
    return typer.Exit(1)


def _skipped(problems: list, source: str) -> None:  # type: ignore[type-arg]
    if problems:
        console.print(f"[yellow]{len(problems)} row(s) of {source} left out:[/yellow]")
        for p in problems[:10]:
            console.print(f"  row {p.row}, {p.field}: {p.message}")


def _min_iv(text: str) -> float | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        err_console.print(f"[red]Error:[/red] --min-iv must be a number or auto; got {text!r}")
        raise typer.Exit(2) from None


@scorecard_app.command("fit")
def fit_command(
    data: DataOpt,
    target: Annotated[str, typer.Option("--target", help="the column that says good or bad")],
    out: Annotated[Path, typer.Option("--out", help="model directory to write", file_okay=False)],
    bad: Annotated[
        str | None, typer.Option("--bad", help="the target value meaning bad (default: 1 / bad)")
    ] = None,
    exclude: ExcludeOpt = None,
    categorical: Annotated[
        list[str] | None,
        typer.Option("--categorical", help="bin this column as categories (repeatable)"),
    ] = None,
    name: Annotated[str, typer.Option(help="model name")] = "scorecard",
    version: Annotated[
        str | None, typer.Option(help="model version (default: a timestamp)")
    ] = None,
    holdout: Annotated[float, typer.Option(help="share of rows kept out for validation")] = 0.3,
    max_bins: Annotated[int, typer.Option(help="most bins per variable")] = 10,
    min_iv: Annotated[
        str,
        typer.Option(help="drop variables with a lower IV; auto: 0.02 or significant at 5 %"),
    ] = "auto",
    base_points: Annotated[float, typer.Option(help="points at the base odds")] = 600.0,
    base_odds: Annotated[float, typer.Option(help="base odds good:bad")] = 50.0,
    pdo: Annotated[float, typer.Option(help="points to double the odds")] = 20.0,
    challenger: Annotated[
        bool, typer.Option("--challenger", help="also fit a LightGBM challenger PD model")
    ] = False,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet")] = None,
) -> None:
    """Fit a scorecard on DATA and write the model directory OUT (artefact, points table in CSV
    and Excel, SQL, HTML report)."""
    from loanpilot.risk import modelling

    now = datetime.now(UTC)
    params = {
        "max_bins": max_bins,
        "min_iv": _min_iv(min_iv),
        "base_points": base_points,
        "base_odds": base_odds,
        "pdo": pdo,
        **({"categorical": list(categorical)} if categorical else {}),
    }
    try:
        with console.status("reading 读取…") as status:
            ds = modelling.read_dataset(
                data, target=target, bad=bad, sheet=sheet, exclude=exclude or ()
            )
            _skipped(ds.skipped, ds.source)
            result = modelling.fit_dataset(
                ds,
                out,
                name=name,
                version=version or now.strftime("%Y%m%d.%H%M%S"),
                trained_at=now.isoformat(timespec="seconds"),
                params=params,
                holdout=holdout,
                challenger=challenger,
                step=lambda s: status.update(s + "…"),
            )
    except DomainError as exc:
        raise _fail(exc) from None
    card, m = result.card, result.metrics
    for w in card.warnings_:
        console.print(f"[yellow]warning:[/yellow] {w}")
    table = Table(title=f"{name}@{result.artefact['model']['version']}")
    for col in ("sample", "rows", "bad rate", "AUC", "Gini", "KS"):
        table.add_column(col)
    for label in ("development", "holdout"):
        fig = m.get(label)
        if fig:
            table.add_row(
                label,
                f"{int(fig['rows'])}",
                f"{fig['bad_rate']:.2%}",
                f"{fig['auc']:.4f}",
                f"{fig['gini']:.4f}",
                f"{fig['ks']:.4f}",
            )
    if m.get("challenger"):
        c = m["challenger"]
        table.add_row(
            "LightGBM (holdout)", "", "", f"{c['auc']:.4f}", f"{c['gini']:.4f}", f"{c['ks']:.4f}"
        )
    console.print(table)
    console.print(f"variables kept ({len(card.variables_)}): {', '.join(card.variables_)}")
    for col, why in card.dropped_.items():
        console.print(f"  dropped {col}: {why}")
    console.print(
        f"model directory: [bold]{out}[/bold] (scorecard.json, points.csv/.xlsx, scorecard.sql, report.html)"
    )


@scorecard_app.command("score")
def score_command(
    model: ModelOpt,
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", help="CSV to write", dir_okay=False)],
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep", help="copy this input column to the output (repeatable), e.g. an ID"
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="reasons per row")] = 3,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet")] = None,
) -> None:
    """Score every row of DATA: score, PD, grade and the top reasons, one output row per input
    row (numbered as in the file)."""
    from loanpilot.risk import modelling

    try:
        card, _ = modelling.load_model(model)
        ds = modelling.read_dataset(data, sheet=sheet)
        _skipped(ds.skipped, ds.source)
        absent = sorted(set(keep or ()) - set(ds.X.columns))
        if absent:
            raise DomainError(
                "scorecard.columns", f"{ds.source}: --keep names columns not in the file: {absent}"
            )
        scored = modelling.score_frame(card, ds.X, top=top)
    except DomainError as exc:
        raise _fail(exc) from None
    frame = ds.X[list(keep or ())].join(scored)
    frame.to_csv(out, index=True, encoding="utf-8-sig")
    result = card.card_.score(ds.X[list(card.variables_)])
    console.print(f"scored {len(frame)} rows into [bold]{out}[/bold]")
    for label, counts in (
        ("missing", result.missing_counts),
        ("unseen category", result.unseen_counts),
        ("out of training range", result.out_of_range_counts),
    ):
        hits = {k: v for k, v in counts.items() if v}
        if hits:
            console.print(f"  {label}: {json.dumps(hits, ensure_ascii=False)}")


@scorecard_app.command("report")
def report_command(
    model: ModelOpt,
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write", dir_okay=False)],
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
    sheet: Annotated[str | None, typer.Option(help="Excel sheet")] = None,
) -> None:
    """Write the HTML model report of MODEL on DATA (validation figures when DATA has the
    target column the model was fitted on, stability and fallbacks always)."""
    from loanpilot.risk import modelling

    if lang not in ("zh", "en"):
        err_console.print(f"[red]Error:[/red] --lang must be zh or en; got {lang!r}")
        raise typer.Exit(2)
    try:
        card, art = modelling.load_model(model)
        target = art["training"]["target"]
        probe = modelling.read_dataset(data, sheet=sheet)
        if target in probe.X.columns:
            ds = modelling.read_dataset(
                data, target=target, bad=art["training"]["bad_value"], sheet=sheet
            )
        else:
            ds = probe
        _skipped(ds.skipped, ds.source)
        out.write_text(modelling.model_report(card, art, ds.X, ds.y, lang=lang), encoding="utf-8")
    except DomainError as exc:
        raise _fail(exc) from None
    console.print(f"report written to [bold]{out}[/bold]")


# --- the bank's registry and decisions (database) ------------------------------------------------

risk_app = typer.Typer(
    help="Credit risk in the bank's database: the model registry and pending decisions.",
    no_args_is_help=True,
)


def _session_factory() -> sessionmaker[Session]:
    from loanpilot.cli import load_settings
    from loanpilot.db import models as _models  # noqa: F401  (every table known to the ORM)
    from loanpilot.db.session import make_engine, make_session_factory

    return make_session_factory(make_engine(load_settings().database_url))


@risk_app.command("register")
def register_command(
    model: ModelOpt,
    promote: Annotated[
        bool, typer.Option("--promote", help="make it the champion of its name at once")
    ] = False,
    note: Annotated[str | None, typer.Option(help="why (kept with the recorded action)")] = None,
) -> None:
    """Register a fitted model directory in the bank's registry (a challenger, or the champion
    with --promote). The artefact's hash is checked first."""
    from loanpilot.db.session import transaction
    from loanpilot.kit.clock import now_utc
    from loanpilot.risk import modelling, registry

    try:
        _, art = modelling.load_model(model)
        report = model / modelling.REPORT_FILE if model.is_dir() else None
        html = report.read_text(encoding="utf-8") if report and report.is_file() else None
        with transaction(_session_factory()) as session:
            row = registry.register(
                session,
                art,
                by_id=None,
                actor_label="cli",
                now=now_utc(),
                note=note,
                report_html=html,
            )
            if promote:
                registry.promote(
                    session, row.id, by_id=None, actor_label="cli", now=now_utc(), note=note
                )
            label, status = row.label, row.status.value
    except DomainError as exc:
        raise _fail(exc) from None
    console.print(f"registered [bold]{label}[/bold] as {status}")


@risk_app.command("models")
def models_command() -> None:
    """List the registered models with their status and hold-out AUC."""
    from loanpilot.db.session import transaction
    from loanpilot.risk import registry

    table = Table()
    for col in ("id", "model", "status", "registered", "holdout AUC"):
        table.add_column(col)
    with transaction(_session_factory()) as session:
        for row in registry.models(session):
            auc_value = ((row.metrics or {}).get("holdout") or {}).get("auc")
            table.add_row(
                str(row.id), row.label, row.status.value,
                row.registered_at.strftime("%Y-%m-%d %H:%M"),
                "" if auc_value is None else f"{auc_value:.4f}",
            )  # fmt: skip
    console.print(table)


@risk_app.command("decide-pending")
def decide_pending_command(
    limit: Annotated[int, typer.Option(help="at most this many applications")] = 1000,
) -> None:
    """Decide submitted applications that were left undecided (e.g. the scoring failed or the
    server stopped between submission and decision). Safe to rerun."""
    from loanpilot.db.session import transaction
    from loanpilot.kit.clock import business_today, now_utc
    from loanpilot.risk.service import decide_pending

    try:
        with transaction(_session_factory()) as session:
            done = decide_pending(session, now=now_utc(), today=business_today(), limit_rows=limit)
    except DomainError as exc:
        raise _fail(exc) from None
    console.print(f"decided {done} pending application(s)")
