"""Rejected rows: collected as arrays during validation, masked, then written as a CSV file.

Personal data never reaches the rejects file, the console or the logs in clear: values of fields
marked personal (ID number, phone, name) are masked with ``kit.masking`` under the configured
rules, and reasons are written so that they do not echo those values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from loanpilot.config import Settings
from loanpilot.imports.mapping import Column, FieldSpec
from loanpilot.imports.table import RawTable
from loanpilot.kit.errors import FieldProblem
from loanpilot.kit.masking import mask, mask_id, mask_name, mask_phone

REJECT_COLUMNS = ("row", "column", "value", "reason")
Masker = Callable[[str], str]


def maskers(settings: Settings) -> dict[str, Masker]:
    """How each kind of personal value is masked, under the configured keep-head/keep-tail."""
    return {
        "id": lambda v: mask_id(v, settings.mask_id_keep_head, settings.mask_id_keep_tail),
        "phone": lambda v: mask_phone(
            v, settings.mask_phone_keep_head, settings.mask_phone_keep_tail
        ),
        "name": mask_name,
        "date": lambda v: mask(v, 4, 0),
    }


@dataclass
class _Entry:
    positions: npt.NDArray[np.intp]
    field: str
    values: npt.NDArray[Any] | None
    reasons: str | npt.NDArray[Any]


class RejectLog:
    """Problems of one import's rows; ``bad`` marks every row with at least one."""

    def __init__(
        self,
        table: RawTable,
        columns: Mapping[str, Column],
        specs: Sequence[FieldSpec],
        masks: Mapping[str, Masker],
    ) -> None:
        self.source = table.source
        self.rows = table.rows
        self.n = len(table.rows)
        self.bad = np.zeros(self.n, dtype=bool)
        self.columns = columns
        self.structural = list(table.problems)
        self._personal = {spec.name: spec.personal for spec in specs if spec.personal}
        self._masks = masks
        self._entries: list[_Entry] = []

    def label(self, field: str) -> str:
        """The column as the user named it in the file (our field name when not in the file)."""
        column = self.columns.get(field)
        return column.header if column is not None else field

    def add(
        self,
        field: str,
        failed: npt.ArrayLike,
        reason: str | npt.NDArray[Any],
        values: npt.NDArray[Any] | None = None,
    ) -> npt.NDArray[np.intp]:
        """Reject the rows where ``failed``; ``reason`` and ``values`` are whole columns (or a
        single reason). Returns the positions rejected."""
        mask_ = np.asarray(failed, dtype=bool)
        positions = np.flatnonzero(mask_)
        if positions.size:
            self.bad[positions] = True
            reasons = reason if isinstance(reason, str) else np.asarray(reason)[positions]
            vals = None if values is None else np.asarray(values)[positions]
            self._entries.append(_Entry(positions, field, vals, reasons))
        return positions

    def check(self, field: str, values: npt.NDArray[Any] | None = None) -> FieldCheck:
        """A first-failure-wins checker for one field: each row gets at most one reason."""
        return FieldCheck(self, field, values)

    @property
    def rejected_rows(self) -> int:
        return int(self.bad.sum()) + len({p.row for p in self.structural})

    def problems(self) -> list[FieldProblem]:
        """Every problem, masked, ordered by row (then by the order the checks ran)."""
        out: list[tuple[int, int, FieldProblem]] = []
        for order, problem in enumerate(self.structural):
            out.append((problem.row or 0, -1 - order, problem))
        sequence = 0
        for entry in self._entries:
            label = self.label(entry.field)
            masker = self._masks.get(self._personal.get(entry.field) or "")
            rows = self.rows[entry.positions].tolist()
            values: list[Any] = (
                [None] * len(rows) if entry.values is None else entry.values.tolist()
            )
            reasons = (
                [entry.reasons] * len(rows)
                if isinstance(entry.reasons, str)
                else entry.reasons.tolist()
            )
            for row, value, reason in zip(rows, values, reasons, strict=True):
                shown = None if value is None else str(value)
                if shown is not None and masker is not None and shown:
                    shown = masker(shown)
                out.append(
                    (row, sequence, FieldProblem(label, str(reason), row, self.source, shown))
                )
                sequence += 1
        out.sort(key=lambda item: (item[0], item[1]))
        return [problem for _, _, problem in out]


class FieldCheck:
    """Rejects for one field where only the first failing check of a row counts."""

    def __init__(self, log: RejectLog, field: str, values: npt.NDArray[Any] | None) -> None:
        self.log = log
        self.field = field
        self.values = values
        self.pending = np.ones(log.n, dtype=bool)

    def fail(self, failed: npt.ArrayLike, reason: str | npt.NDArray[Any]) -> None:
        hit = self.pending & np.asarray(failed, dtype=bool)
        positions = self.log.add(self.field, hit, reason, self.values)
        self.pending[positions] = False


def spreadsheet_safe(value: str) -> str:
    """``value`` prefixed with ``'`` when a spreadsheet would run it as a formula (``=…``)."""
    if value[:1] in ("=", "+", "@", "\t", "\r") or (value[:1] == "-" and not value[1:2].isdigit()):
        return "'" + value
    return value


def stage_rejects(path: Path, problems: Sequence[FieldProblem]) -> Path:
    """Write the rejects beside ``path`` under a temporary name; the caller renames it to
    ``path`` once the import is committed (or deletes it when the import fails).

    CSV in UTF-8 with a BOM (so Excel shows the Chinese correctly); values that a spreadsheet
    would evaluate as formulas are neutralised."""
    frame = pd.DataFrame(
        {
            "row": [p.row if p.row is not None else "" for p in problems],
            "column": [spreadsheet_safe(p.field) for p in problems],
            "value": [spreadsheet_safe(p.value) if p.value else "" for p in problems],
            "reason": [p.message for p in problems],
        },
        columns=list(REJECT_COLUMNS),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.partial")
    frame.to_csv(staged, index=False, encoding="utf-8-sig")
    return staged
