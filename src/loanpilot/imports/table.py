"""An import file as strings: the header, the rows and their spreadsheet row numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from loanpilot.kit.errors import FieldProblem, ImportFileError

ROW_FIELD = "(row)"
"""Column label of problems that concern a whole row (too many fields, broken quotes)."""


@dataclass
class RawTable:
    """An import file as strings, before any mapping or validation."""

    source: str
    """The file's name (no directory): what messages and the audit log show."""
    headers: list[str]
    """Header cells as written (stripped), one per column."""
    frame: pd.DataFrame
    """Data rows that have the right shape; columns are positions ``0..len(headers)-1``."""
    rows: npt.NDArray[np.int64]
    """The user-visible row number of each row of ``frame``."""
    problems: list[FieldProblem] = field(default_factory=list)
    """Rows rejected for their shape (too few or too many fields, broken quotes)."""
    encoding: str = "utf-8"
    sha256: str = ""
    blank_rows: int = 0

    @property
    def rows_read(self) -> int:
        """Data rows found in the file: well-formed ones plus the rows rejected for their shape."""
        return len(self.frame) + len({p.row for p in self.problems})


def require_rows(table: RawTable) -> None:
    if len(table.frame) == 0 and not table.problems:
        raise ImportFileError(
            "import.no_rows",
            f"{table.source}: the file has a header row but no data rows",
            [FieldProblem(ROW_FIELD, "no data rows", 2, table.source)],
        )
