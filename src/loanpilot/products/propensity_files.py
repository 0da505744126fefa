"""Propensity models on any file a bank hands us: read it, fit, write the model directory, score.

Used by ``loanpilot propensity fit|score``; no database here (the registry is
``products.marketing_models``). Files are CSV (UTF-8 or GBK) or Excel, read by
``imports.readers.read_table`` with its errors (empty file, encoding, broken rows); rows are
indexed by their number in the file, so a problem names the row a person sees in a spreadsheet.

A model directory holds ``model.json`` (the ``PropensityModel`` artefact with the metadata: the
target and its positive value, the file's SHA-256, the chosen learner and the CV scores),
``lift.csv`` and ``gains.csv`` (of the out-of-fold probabilities: an honest picture of how the
model ranks rows it has not seen).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from loanpilot.analytics.gains import gains_table, lift_table
from loanpilot.analytics.propensity import PropensityModel
from loanpilot.imports.readers import read_table
from loanpilot.kit.errors import FieldProblem, ValidationError

MODEL_FILE, LIFT_FILE, GAINS_FILE = "model.json", "lift.csv", "gains.csv"
DIR_FORMAT = "loanpilot.propensity_model_dir"


@dataclass(frozen=True)
class Dataset:
    """A file read for modelling: the columns as text (NaN for empty cells) indexed by file row,
    the target as 0/1 when asked for."""

    source: str
    sha256: str
    X: pd.DataFrame
    y: npt.NDArray[np.int64] | None
    skipped: list[FieldProblem] = field(default_factory=list)


def read_dataset(
    path: Path,
    *,
    target: str | None = None,
    positive: str | None = None,
    exclude: Sequence[str] = (),
    sheet: str | None = None,
) -> Dataset:
    """Read ``path``; with ``target`` split off the 0/1 target (1 = ``positive``)."""
    table = read_table(path, sheet=sheet)
    headers = [h.strip() for h in table.headers]
    dup = sorted({h for h in headers if headers.count(h) > 1})
    if dup:
        raise ValidationError("propensity.columns", f"{table.source}: the header repeats {dup}")
    frame = table.frame.copy()
    frame.columns = headers
    frame.index = pd.Index(table.rows, name="row")
    frame = frame.replace("", np.nan).astype(object)
    unknown = sorted(set(exclude) - set(headers))
    if unknown:
        raise ValidationError(
            "propensity.columns",
            f"{table.source}: --exclude names columns not in the file: {unknown}; "
            f"the columns are {headers}",
        )
    frame = frame.drop(columns=list(exclude))
    skipped = list(table.problems)
    if target is None:
        return Dataset(table.source, table.sha256, frame, None, skipped)
    if target not in frame.columns:
        raise ValidationError(
            "propensity.target",
            f"{table.source}: no target column {target!r}; the columns are {headers}",
            [FieldProblem(target, "no such column", None, table.source)],
        )
    raw = frame.pop(target)
    empty = raw.isna().to_numpy()
    for row in frame.index[empty][:1000]:
        skipped.append(FieldProblem(target, "empty target: row left out", int(row), table.source))
    frame, values = frame.loc[~empty], raw.loc[~empty].astype(str).str.strip()
    y = target_to_binary(values, target, positive, table.source)
    if frame.shape[1] == 0:
        raise ValidationError(
            "propensity.columns", f"{table.source}: no column is left besides the target"
        )
    return Dataset(table.source, table.sha256, frame, y, skipped)


def target_to_binary(
    values: pd.Series, target: str, positive: str | None, source: str
) -> npt.NDArray[np.int64]:
    """1 where the target equals ``positive``; errors name the column and its values."""
    found = sorted(values.unique().tolist())
    if not found:
        raise ValidationError(
            "propensity.target", f"{source}: the target column {target!r} is empty"
        )
    if positive is None:
        raise ValidationError(
            "propensity.target",
            f"{source}: say which value of {target!r} is the positive one with --positive; "
            f"its values are {found[:10]}",
        )
    if positive.strip() not in found:
        raise ValidationError(
            "propensity.target",
            f"{source}: --positive {positive!r} does not occur in the target column {target!r}; "
            f"its values are {found[:10]}",
        )
    y = (values == positive.strip()).to_numpy().astype(np.int64)
    n_pos = int(y.sum())
    if n_pos == y.size:
        raise ValidationError(
            "propensity.target",
            f"{source}: every row of {target!r} is {positive!r} ({y.size} rows); a propensity "
            "model needs rows of both classes",
        )
    return y


def model_error(exc: ValueError, source: str) -> ValidationError:
    """A model's ``ValueError`` (a column holding text, a single class...) for the file."""
    return ValidationError("propensity.data", f"{source}: {exc}")


def fit_dataset(
    data: Dataset,
    out_dir: Path,
    *,
    target: str,
    positive: str,
    trained_at: str,
    seed: int = 0,
    exclude: Sequence[str] = (),
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fit, write the model directory, return the document written to ``model.json``."""
    assert data.y is not None
    try:
        model = PropensityModel(random_state=seed, **(params or {})).fit(data.X, data.y)
    except ValueError as exc:
        raise model_error(exc, data.source) from None
    lift = lift_table(data.y, model.oof_proba_)
    gains = gains_table(data.y, model.oof_proba_)
    doc = {
        "format": DIR_FORMAT,
        "kind": "propensity",
        "target": target,
        "positive": positive,
        "trained_at": trained_at,
        "data": {
            "file": data.source,
            "sha256": data.sha256,
            "rows": len(data.y),
            "positives": int(data.y.sum()),
            "rows_left_out": len({p.row for p in data.skipped}),
        },
        "exclude": list(exclude),
        "seed": seed,
        "chosen": model.chosen_,
        "cv_auc": model.cv_scores_[model.chosen_]["mean"],
        "cv_scores": model.cv_scores_,
        "lift": lift.to_dict(orient="records"),
        "gains": gains.to_dict(orient="records"),
        "model": model.to_dict(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MODEL_FILE).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    lift.to_csv(out_dir / LIFT_FILE, index=False)
    gains.to_csv(out_dir / GAINS_FILE, index=False)
    return doc


def load_model(path: Path) -> tuple[PropensityModel, dict[str, Any]]:
    """The model and document of a model directory (or its ``model.json``)."""
    file = path / MODEL_FILE if path.is_dir() else path
    if not file.is_file():
        raise ValidationError(
            "propensity.model",
            f"{path}: no {MODEL_FILE}; give the directory `propensity fit` wrote",
        )
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != DIR_FORMAT:
            raise ValueError(f"not a {DIR_FORMAT} document")
        return PropensityModel.from_dict(doc["model"]), doc
    except (ValueError, KeyError) as exc:
        raise ValidationError(
            "propensity.model", f"{file}: cannot read the model ({exc})"
        ) from None


def score_dataset(
    model: PropensityModel, doc: dict[str, Any], data_path: Path, *, sheet: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None, Dataset]:
    """(input rows + ``probability``, lift, gains); the tables only when the file has the
    target column of the model."""
    probe = read_dataset(data_path, sheet=sheet)
    target = str(doc["target"])
    has_target = target in probe.X.columns
    try:
        p = model.predict_proba(probe.X)
    except ValueError as exc:
        raise model_error(exc, probe.source) from None
    scored = probe.X.copy()
    scored["probability"] = p
    if not has_target:
        return scored, None, None, probe
    values = probe.X[target]
    known = values.notna().to_numpy()
    y = (values[known].astype(str).str.strip() == str(doc["positive"])).to_numpy().astype(np.int64)
    if not y.any():
        return scored, None, None, probe
    return scored, lift_table(y, p[known]), gains_table(y, p[known]), probe
