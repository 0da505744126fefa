"""Scorecards on any file a bank hands us: read a development sample, fit, save the model
directory, score a file, write the report. Used by ``loanpilot scorecard fit|score|report`` and by
the console's model page; no database here (the registry is ``risk.registry``).

A model directory holds ``scorecard.json`` (the artefact), ``points.csv`` and ``points.xlsx`` (the
points table for the credit committee), ``scorecard.sql`` (one SQL ``CASE`` expression) and
``report.html``; with a challenger also ``challenger.json``.

Target column. ``--bad VALUE`` names the bad value. Without it a two-valued target is understood
when it is 0/1 (1 = bad) or good/bad (any case, also 好/坏); anything else (Y/N, 1/2, three values)
is refused with the values found, because guessing which one is bad would invert the card. Rows
with an empty target are left out and counted, never silently kept as good.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.model_selection import train_test_split

from loanpilot.analytics import scorecard_artefact as artefacts
from loanpilot.analytics.metrics import auc, gini, ks
from loanpilot.analytics.scorecard import Scorecard
from loanpilot.imports.readers import read_table
from loanpilot.kit.errors import FieldProblem, ValidationError

ARTEFACT_FILE = "scorecard.json"
CHALLENGER_FILE = "challenger.json"
REPORT_FILE = "report.html"
_GOOD_BAD = {"good": 0, "bad": 1, "好": 0, "坏": 1, "0": 0, "1": 1}
Step = Callable[[str], None]


def _no_step(_: str) -> None:
    return None


@dataclass(frozen=True)
class Dataset:
    """A file read for modelling: features as text (NaN for empty cells) indexed by the file's
    row numbers, the target as 0/1 (None when the file has no target)."""

    source: str
    sha256: str
    X: pd.DataFrame
    y: npt.NDArray[np.int64] | None
    target: str | None
    bad_value: str | None
    skipped: list[FieldProblem] = field(default_factory=list)


def read_dataset(
    path: Path,
    *,
    target: str | None = None,
    bad: str | None = None,
    sheet: str | None = None,
    exclude: Sequence[str] = (),
) -> Dataset:
    """Read ``path`` (CSV UTF-8/GBK or Excel) for fitting (``target`` given) or scoring."""
    table = read_table(path, sheet=sheet)
    headers = [h.strip() for h in table.headers]
    dup = sorted({h for h in headers if headers.count(h) > 1})
    if dup:
        raise ValidationError(
            "scorecard.columns", f"{table.source}: the header repeats the columns {dup}"
        )
    frame = table.frame.copy()
    frame.columns = headers
    frame.index = pd.Index(table.rows, name="row")
    frame = frame.replace("", np.nan).astype(object)
    skipped = list(table.problems)
    unknown = sorted(set(exclude) - set(headers))
    if unknown:
        raise ValidationError(
            "scorecard.columns",
            f"{table.source}: --exclude names columns not in the file: {unknown}",
        )
    frame = frame.drop(columns=list(exclude))
    if target is None:
        return Dataset(table.source, table.sha256, frame, None, None, None, skipped)
    if target not in frame.columns:
        raise ValidationError(
            "scorecard.target",
            f"{table.source}: no target column {target!r}; the columns are {headers}",
            [FieldProblem(target, "no such column", None, table.source)],
        )
    raw = frame.pop(target)
    empty = raw.isna().to_numpy()
    for row in frame.index[empty][:1000]:
        skipped.append(FieldProblem(target, "empty target: row left out", int(row), table.source))
    frame, raw = frame.loc[~empty], raw.loc[~empty]
    y, bad_value = target_to_binary(raw.astype(str).str.strip(), target, bad, table.source)
    return Dataset(table.source, table.sha256, frame, y, target, bad_value, skipped)


def target_to_binary(
    values: pd.Series, target: str, bad: str | None, source: str = ""
) -> tuple[npt.NDArray[np.int64], str]:
    """The target as 0/1 (1 = bad) and the bad value (see the module docstring)."""
    where = f"{source}: " if source else ""
    found = sorted(values.unique().tolist())
    shown = found[:10]
    if not found:
        raise ValidationError("scorecard.target", f"{where}the target column {target!r} is empty")
    if bad is not None:
        if bad not in found:
            raise ValidationError(
                "scorecard.target",
                f"{where}--bad {bad!r} does not occur in the target column {target!r}; "
                f"its values are {shown}",
            )
        y = (values == bad).to_numpy().astype(np.int64)
        bad_value = bad
    else:
        if len(found) > 2:
            raise ValidationError(
                "scorecard.target",
                f"{where}the target column {target!r} has {len(found)} values {shown}; "
                "say which one is bad with --bad VALUE",
            )
        codes = {v: _GOOD_BAD.get(v.lower()) for v in found}
        if len(found) == 2 and set(codes.values()) == {0, 1}:
            bad_value = next(v for v, c in codes.items() if c == 1)
        elif len(found) == 1:
            raise ValidationError(
                "scorecard.target",
                f"{where}the target column {target!r} has the single value {found[0]!r}; "
                "a scorecard needs both good and bad rows",
            )
        else:
            raise ValidationError(
                "scorecard.target",
                f"{where}cannot tell which value of the target column {target!r} is bad "
                f"(values {shown}); say it with --bad VALUE",
            )
        y = (values == bad_value).to_numpy().astype(np.int64)
    n_bad = int(y.sum())
    if n_bad in (0, y.size):
        raise ValidationError(
            "scorecard.target",
            f"{where}the target column {target!r} has only "
            f"{'bad' if n_bad else 'good'} rows ({y.size}); a scorecard needs both",
        )
    return y, bad_value


@dataclass(frozen=True)
class FitResult:
    card: Scorecard
    artefact: dict[str, Any]
    metrics: dict[str, Any]
    out_dir: Path
    report_html: str


def score_bins(scores: npt.ArrayLike, n_bins: int = 10) -> dict[str, list[float]]:
    """The development sample's score distribution: interior edges at the deciles (distinct) and
    the count in each bin (``[edge_i-1, edge_i)`` as the kernel bins). The baseline of the
    population stability index (PSI) of later applicants' scores."""
    s = np.asarray(scores, dtype=np.float64)
    edges = np.unique(np.quantile(s, np.linspace(0, 1, n_bins + 1)[1:-1]))
    counts = np.bincount(np.searchsorted(edges, s, side="right"), minlength=edges.size + 1)
    return {"edges": edges.tolist(), "counts": counts.astype(float).tolist()}


def validation_metrics(card: Scorecard, X: pd.DataFrame, y: npt.ArrayLike) -> dict[str, float]:
    """AUC, Gini and KS of ``card`` on ``X, y`` (P(bad) as the risk)."""
    p = card.predict_proba(X)[:, 1]
    k = ks(y, p)
    return {
        "auc": auc(y, p),
        "gini": gini(y, p),
        "ks": k.statistic,
        "rows": float(len(X)),
        "bad_rate": float(np.mean(np.asarray(y, dtype=np.float64))),
    }


def fit_dataset(
    data: Dataset,
    out_dir: Path,
    *,
    name: str,
    version: str,
    trained_at: str,
    params: dict[str, Any] | None = None,
    holdout: float = 0.3,
    seed: int = 42,
    challenger: bool = False,
    step: Step = _no_step,
) -> FitResult:
    """Fit a scorecard on ``data`` (development part), validate on the hold-out, and write the
    model directory. ``holdout`` 0 fits and validates on all rows."""
    if data.y is None or data.target is None or data.bad_value is None:
        raise ValidationError("scorecard.target", f"{data.source}: fitting needs a target column")
    if not 0 <= holdout < 1 or math.isnan(holdout):
        raise ValidationError("scorecard.holdout", f"--holdout must be in [0, 1); got {holdout}")
    X, y = data.X, data.y
    if holdout > 0:
        try:
            X_dev, X_val, y_dev, y_val = train_test_split(
                X, y, test_size=holdout, stratify=y, random_state=seed
            )
        except ValueError as exc:
            raise ValidationError(
                "scorecard.holdout",
                f"{data.source}: too few rows of one class for a {holdout:.0%} hold-out ({exc})",
            ) from None
    else:
        X_dev, X_val, y_dev, y_val = X, X, y, y
    step("binning and fitting 分箱与拟合")
    try:
        card = Scorecard(**(params or {})).fit(X_dev, y_dev)
    except (ValueError, TypeError) as exc:
        raise ValidationError("scorecard.fit", f"{data.source}: {exc}") from None
    step("validating 验证")
    metrics: dict[str, Any] = {
        "score_bins": score_bins(card.score(X_dev)),
        "development": validation_metrics(card, X_dev, y_dev),
        "holdout": validation_metrics(card, X_val, y_val) if holdout > 0 else None,
        "holdout_share": holdout,
        "seed": seed,
    }
    if challenger:
        step("challenger LightGBM 挑战者模型")
        metrics["challenger"] = _fit_challenger(X_dev, y_dev, X_val, y_val, out_dir)
    art = artefacts.to_artefact(
        card,
        name=name,
        version=version,
        trained_at=trained_at,
        data_hash=artefacts.data_sha256(X_dev, y_dev),
        target=data.target,
        bad_value=data.bad_value,
        metrics=metrics,
        metadata={"source": data.source, "file_sha256": data.sha256, "rows_read": len(X)},
    )
    step("writing 写出")
    write_model_dir(card, art, out_dir)
    step("report 报告")
    report = model_report(card, art, X_val, y_val)
    (out_dir / REPORT_FILE).write_text(report, encoding="utf-8")
    return FitResult(card, art, metrics, out_dir, report)


def model_report(
    card: Scorecard,
    artefact: dict[str, Any],
    X: pd.DataFrame,
    y: npt.NDArray[np.int64] | None,
    *,
    lang: str = "zh",
) -> str:
    """The HTML model report of ``card`` on ``X, y`` (the hold-out part when fitting)."""
    from loanpilot.risk.scorecard_report import build_report

    challenger = (artefact.get("metrics") or {}).get("challenger")
    return build_report(card, artefact, X, y, lang=lang, challenger=challenger)


def _fit_challenger(
    X_dev: pd.DataFrame,
    y_dev: npt.NDArray[np.int64],
    X_val: pd.DataFrame,
    y_val: npt.NDArray[np.int64],
    out_dir: Path,
) -> dict[str, float]:
    from loanpilot.analytics.pd_gbm import GbmPD

    model = GbmPD().fit(_typed(X_dev), y_dev)
    p = model.predict_proba(_typed(X_val))[:, 1]
    out_dir.mkdir(parents=True, exist_ok=True)
    artefacts_json = json.dumps(model.to_dict(), ensure_ascii=False)
    (out_dir / CHALLENGER_FILE).write_text(artefacts_json + "\n", encoding="utf-8")
    return {"auc": auc(y_val, p), "gini": gini(y_val, p), "ks": ks(y_val, p).statistic}


def _typed(X: pd.DataFrame) -> pd.DataFrame:
    """Text columns that read as numbers become float (for models that need typed input)."""
    out = {}
    for col in X.columns:
        num = pd.to_numeric(X[col], errors="coerce")
        out[col] = num if num.notna().sum() == X[col].notna().sum() else X[col]
    return pd.DataFrame(out, index=X.index)


def write_model_dir(card: Scorecard, artefact: dict[str, Any], out_dir: Path) -> None:
    """The artefact, the points table (CSV with BOM for Excel, and .xlsx) and the SQL export."""
    out_dir.mkdir(parents=True, exist_ok=True)
    artefacts.save(artefact, out_dir / ARTEFACT_FILE)
    table = card.card_.points_table()
    table.to_csv(out_dir / "points.csv", index=False, encoding="utf-8-sig")
    table.to_excel(out_dir / "points.xlsx", index=False, sheet_name="points")
    (out_dir / "scorecard.sql").write_text(
        f"-- {artefact['model']['name']}@{artefact['model']['version']}: score = the CASE sum\n"
        + card.card_.to_sql_case()
        + "\n",
        encoding="utf-8",
    )


def load_model(model_dir: Path) -> tuple[Scorecard, dict[str, Any]]:
    """The scorecard in a model directory (or an artefact file), checked (format, hash)."""
    path = model_dir / ARTEFACT_FILE if model_dir.is_dir() else model_dir
    try:
        return artefacts.load(path)
    except artefacts.ArtefactError as exc:
        raise ValidationError("scorecard.artefact", str(exc)) from None


def score_frame(card: Scorecard, X: pd.DataFrame, *, top: int = 3) -> pd.DataFrame:
    """Score, PD, grade and the ``top`` reasons (variable and points lost) of each row."""
    missing = [n for n in card.variables_ if n not in X.columns]
    if missing:
        raise ValidationError(
            "scorecard.columns",
            f"the data lacks the card's variables {missing}",
            [FieldProblem(n, "column missing", None, None) for n in missing],
        )
    for name, kind in card.kinds_.items():
        if name not in card.variables_ or kind != "numeric":
            continue
        col = X[name]
        text = col.astype(object).where(col.notna(), None)
        stripped = text.map(lambda v: v.strip() if isinstance(v, str) else v)
        bad = pd.to_numeric(stripped, errors="coerce").isna() & col.notna()
        if bad.any():
            row = bad.index[bad.to_numpy()][0]
            raise ValidationError(
                "scorecard.score",
                f"column {name!r} is numeric in the card but row {row} holds the text {col[row]!r}",
                [FieldProblem(name, f"text {col[row]!r} in a numeric column", int(row), None)],
            )
    try:
        result = card.card_.score(X[list(card.variables_)])
    except (ValueError, TypeError) as exc:
        raise ValidationError("scorecard.score", str(exc)) from None
    reasons = card.card_.reasons(result, top=top)
    out = pd.DataFrame(
        {
            "score": np.round(result.score, 6),
            "pd": np.round(result.pd, 8),
            "grade": card.grades_.of(result.score),
        },
        index=X.index,
    )
    for i in range(reasons.variables.shape[1]):
        out[f"reason_{i + 1}"] = reasons.variables[:, i]
        out[f"reason_{i + 1}_points_lost"] = np.round(reasons.lost[:, i], 4)
    return out
