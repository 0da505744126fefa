"""What one import run hands to the importer of its kind, and what the importer hands back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Connection

from loanpilot.imports.mapping import Column
from loanpilot.imports.parsing import Mask, Parsed, Text, text
from loanpilot.imports.rejects import RejectLog
from loanpilot.imports.table import RawTable
from loanpilot.kit.crypto import FieldCipher

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``; phases are ``read``, ``validate``, ``encrypt``, ``write``."""


@dataclass
class ImportContext:
    """One import run: the open transaction, the file, its columns, the rejects so far."""

    conn: Connection
    table: RawTable
    columns: dict[str, Column]
    log: RejectLog
    cipher: FieldCipher
    today: date
    now: datetime
    progress: Progress | None = None
    _text: dict[str, Text] = field(default_factory=dict)
    _unique: dict[str, tuple[npt.NDArray[np.intp], Text]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.table.rows)

    def has(self, name: str) -> bool:
        return name in self.columns

    def text(self, name: str) -> Text:
        """The field's column, trimmed (all ``""`` when the file has no such column)."""
        if name not in self._text:
            column = self.columns.get(name)
            if column is None:
                values: Any = np.full(self.n, "", dtype=object)
            else:
                values = self.table.frame[column.position].to_numpy(dtype=object)
            self._text[name] = text(values)
        return self._text[name]

    def raw(self, name: str) -> npt.NDArray[np.object_]:
        """The field's column as read (all ``""`` when the file has no such column)."""
        column = self.columns.get(name)
        if column is None:
            return np.full(self.n, "", dtype=object)
        return np.asarray(self.table.frame[column.position].to_numpy(dtype=object))

    def unique(self, name: str) -> tuple[npt.NDArray[np.intp], Text]:
        """``(codes, values)``: the column's distinct values, trimmed, and each row's index into
        them. Codes, dates, labels and flags repeat a lot: parse the few distinct values once."""
        if name not in self._unique:
            codes, uniques = pd.factorize(self.raw(name))
            self._unique[name] = (np.asarray(codes), text(np.asarray(uniques, dtype=object)))
        return self._unique[name]

    def parse_unique(self, name: str, parser: Callable[[Text], Parsed]) -> Parsed:
        """``parser`` run on the distinct values only, spread back to every row."""
        codes, values = self.unique(name)
        parsed = parser(values)
        return Parsed(parsed.values[codes], parsed.bad[codes], parsed.reasons[codes])

    def empty(self, name: str) -> Mask:
        """Rows where the field is empty (or the file has no such column)."""
        if name not in self.columns:
            return np.ones(self.n, dtype=bool)
        codes, values = self.unique(name)
        return np.asarray(np.strings.str_len(values) == 0)[codes]

    def unit(self, name: str) -> str:
        column = self.columns.get(name)
        return column.unit if column is not None else ""

    def report(self, phase: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(phase, done, total)


@dataclass
class Outcome:
    """What an importer did: rows inserted, rows already present, rows written per table."""

    inserted: int = 0
    unchanged: int = 0
    written: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
