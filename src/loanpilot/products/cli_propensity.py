"""``loanpilot propensity fit|score``: propensity models on any CSV (UTF-8 or GBK) or Excel file.

Exit status: 0 on success, 1 when the input cannot be used (the message names the file, column,
value or row), 2 for a usage error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from loanpilot.kit.errors import DomainError, FieldProblem

propensity_app = typer.Typer(
    help="Propensity models on any CSV: fit (LR or LightGBM by cross-validation), score.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)

DataOpt = Annotated[
    Path, typer.Option("--data", help="CSV (UTF-8 or GBK) or Excel .xlsx file", dir_okay=False)
]
SheetOpt = Annotated[str | None, typer.Option(help="Excel sheet")]


def _fail(exc: DomainError) -> typer.Exit:
    err_console.print(f"[red]Error:[/red] {exc.message}", markup=False, highlight=False)
    for p in exc.problems[:20]:
        where = f"row {p.row}, " if p.row is not None else ""
        err_console.print(f"  {where}{p.field}: {p.message}", markup=False, highlight=False)
    return typer.Exit(1)


def _skipped(problems: list[FieldProblem], source: str) -> None:
    if problems:
        console.print(f"[yellow]{len(problems)} row(s) of {source} left out:[/yellow]")
        for p in problems[:10]:
            console.print(f"  row {p.row}, {p.field}: {p.message}", markup=False)


def _print_table(title: str, frame: pd.DataFrame) -> None:
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(str(col), justify="right")
    for row in frame.itertuples(index=False):
        table.add_row(*(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


@propensity_app.command("fit")
def fit_command(
    data: DataOpt,
    target: Annotated[str, typer.Option("--target", help="the column to predict")],
    positive: Annotated[
        str, typer.Option("--positive", help="the target value that counts as positive (1)")
    ],
    out: Annotated[Path, typer.Option("--out", help="model directory to write", file_okay=False)],
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="a column not to use as a feature (repeatable; or a,b,c)"),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="random seed (folds, trees)")] = 0,
    register: Annotated[
        str | None,
        typer.Option("--register", help="also store it in the bank's registry under this name"),
    ] = None,
    sheet: SheetOpt = None,
) -> None:
    """Fit a propensity model on DATA (logistic regression or LightGBM, chosen by cross-validated
    AUC, calibrated) and write OUT/model.json, OUT/lift.csv and OUT/gains.csv."""
    from loanpilot.products import propensity_files as files

    excluded = [c.strip() for item in exclude or () for c in item.split(",") if c.strip()]
    now = datetime.now(UTC)
    try:
        with console.status("reading 读取…") as status:
            ds = files.read_dataset(
                data, target=target, positive=positive, exclude=excluded, sheet=sheet
            )
            _skipped(ds.skipped, ds.source)
            status.update(f"fitting 训练 ({len(ds.X):,} rows, cross-validation)…")
            doc = files.fit_dataset(
                ds,
                out,
                target=target,
                positive=positive,
                trained_at=now.isoformat(timespec="seconds"),
                seed=seed,
                exclude=excluded,
            )
        if register:
            _register(register, doc, now)
    except DomainError as exc:
        raise _fail(exc) from None
    scores = Table(title=f"cross-validated AUC ({len(doc['cv_scores'])} candidates)")
    for col in ("learner", "mean AUC", "sd", "folds"):
        scores.add_column(col)
    for name, s in doc["cv_scores"].items():
        mark = " ✓" if name == doc["chosen"] else ""
        folds = " ".join(f"{v:.3f}" for v in s["folds"])
        scores.add_row(name + mark, f"{s['mean']:.4f}", f"{s['std']:.4f}", folds)
    console.print(scores)
    console.print(
        f"chosen: [bold]{doc['chosen']}[/bold], calibration: "
        f"{doc['model']['calibration']['method']}; out-of-fold tables:"
    )
    _print_table("lift", pd.DataFrame(doc["lift"]))
    _print_table("gains", pd.DataFrame(doc["gains"]))
    console.print(f"model written to [bold]{out}[/bold]")


def _register(name: str, doc: dict[str, Any], now: datetime) -> None:
    from loanpilot.cli import load_settings
    from loanpilot.db import models as _models  # noqa: F401  (every table known to the ORM)
    from loanpilot.db.session import make_engine, make_session_factory, transaction
    from loanpilot.products import marketing_models

    factory = make_session_factory(make_engine(load_settings().database_url))

    metrics = {k: doc[k] for k in ("chosen", "cv_auc", "cv_scores", "lift", "gains", "data")}
    with transaction(factory) as session:
        row = marketing_models.register(
            session,
            kind="propensity",
            name=name,
            target=str(doc["target"]),
            artefact=dict(doc),
            metrics=metrics,
            data_sha256=str(doc["data"]["sha256"]),
            now=now,
        )
        label = f"{row.name}@{row.version}"
    console.print(f"registered [bold]{label}[/bold] as active")


@propensity_app.command("score")
def score_command(
    model: Annotated[
        Path, typer.Option("--model", help="model directory written by `propensity fit`")
    ],
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write", dir_okay=False)],
    sheet: SheetOpt = None,
) -> None:
    """Score every row of DATA: the input columns plus `probability`; when DATA has the model's
    target column, also OUT's lift and gains tables (OUT.lift.csv, OUT.gains.csv)."""
    from loanpilot.products import propensity_files as files

    try:
        with console.status("scoring 评分…"):
            fitted, doc = files.load_model(model)
            scored, lift, gains, ds = files.score_dataset(fitted, doc, data, sheet=sheet)
    except DomainError as exc:
        raise _fail(exc) from None
    _skipped(ds.skipped, ds.source)
    out.parent.mkdir(parents=True, exist_ok=True)
    scored.to_csv(out, index=True, encoding="utf-8-sig")
    console.print(f"scored {len(scored):,} rows into [bold]{out}[/bold]")
    if lift is not None and gains is not None:
        lift_path = out.with_name(out.stem + ".lift.csv")
        gains_path = out.with_name(out.stem + ".gains.csv")
        lift.to_csv(lift_path, index=False)
        gains.to_csv(gains_path, index=False)
        _print_table("lift", lift)
        _print_table("gains", gains)
        console.print(f"lift and gains written to {lift_path} and {gains_path}")
