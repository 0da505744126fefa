"""Reading Excel workbooks (.xlsx) into a :class:`RawTable` with openpyxl, cell by cell.

The header is the first non-empty row; row numbers are Excel's. Cells become the text a person
typed: ``12000.0`` → ``12000``, a date cell → ``2024-03-05``. An 18-digit ID typed as a number
has only a double's 15-16 significant digits (Excel's own limit): it keeps its digits and then
fails the ID check, rather than turning into ``1.1010519491231e+17``.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from loanpilot.imports.table import ROW_FIELD, RawTable, require_rows
from loanpilot.kit.errors import FieldProblem, ImportFileError


def read_excel(path: Path, raw: bytes, sheet: str | None) -> RawTable:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    name = path.name
    if not raw:
        raise ImportFileError("import.empty", f"{name}: the file is empty")
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(
            "import.format",
            f"{name}: not a readable .xlsx workbook ({exc}); the file may be truncated or damaged",
        ) from exc
    try:
        sheets = book.sheetnames
        if sheet is None:
            worksheet = book.worksheets[0]
        elif sheet in sheets:
            worksheet = book[sheet]
        elif sheet.isdigit() and 1 <= int(sheet) <= len(sheets):
            worksheet = book.worksheets[int(sheet) - 1]
        else:
            raise ImportFileError(
                "import.sheet",
                f"{name}: no sheet {sheet!r}; the workbook has {', '.join(map(repr, sheets))}",
            )
        cells = [[_cell_text(v) for v in row] for row in worksheet.iter_rows(values_only=True)]
    finally:
        book.close()
    source = f"{name} [{worksheet.title}]" if len(sheets) > 1 else name
    first = next((i for i, row in enumerate(cells) if any(v.strip() for v in row)), None)
    if first is None:
        raise ImportFileError("import.empty", f"{source}: the sheet is empty")
    header = cells[first]
    while header and not header[-1]:
        header = header[:-1]
    width = len(header)
    problems: list[FieldProblem] = []
    records: list[list[str]] = []
    numbers: list[int] = []
    blank = 0
    for number, values in enumerate(cells[first + 1 :], start=first + 2):
        if not any(v.strip() for v in values):
            blank += 1
            continue
        extra = [i for i, v in enumerate(values[width:], start=width) if v.strip()]
        if extra:
            problems.append(
                FieldProblem(
                    ROW_FIELD,
                    f"row has a value in column {_column_letter(extra[0])}, which has no header",
                    number,
                    source,
                )
            )
            continue
        records.append(values[:width] + [""] * (width - len(values)))
        numbers.append(number)
    frame = pd.DataFrame(records, columns=range(width), dtype=object)
    table = RawTable(
        source,
        [h.strip() for h in header],
        frame,
        np.array(numbers, dtype=np.int64),
        problems,
        encoding="xlsx",
        sha256=hashlib.sha256(raw).hexdigest(),
        blank_rows=blank,
    )
    require_rows(table)
    return table


def _cell_text(value: Any) -> str:
    """An Excel cell as the text a person typed: ``12000.0`` → ``12000``, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # an integral number keeps its digits (an 18-digit ID typed as a number has already lost
        # its last ones in Excel: the check digit then tells); others as Python prints them
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))
