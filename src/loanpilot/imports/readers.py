"""Reading import files: CSV (UTF-8 with or without BOM, else GBK/GB18030) and Excel (.xlsx).

Every reader returns a :class:`RawTable`: the header as written in the file, the data as strings
(an empty cell is ``""``), and for each data row its number as the user sees it in a spreadsheet
(the header is row 1, the first data row row 2; blank rows keep their numbers and are skipped).

CSV structure is checked before pandas parses the file: a vectorised scan of the bytes counts the
fields of every record (quotes respected), so a row with fewer or more fields than the header is
reported as a reject of that row rather than silently padded or dropped, and a quote left open by
a truncated last line rejects that line. Problems that make the whole file unreadable (empty,
header only, undecodable, unbalanced quotes in the middle) raise :class:`ImportFileError` naming
the file and, where there is one, the row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from loanpilot.imports.excel import read_excel
from loanpilot.imports.table import ROW_FIELD, RawTable, require_rows
from loanpilot.kit.errors import FieldProblem, ImportFileError

__all__ = ["ROW_FIELD", "RawTable", "read_table"]

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"
_UTF16_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_NL, _CR, _QUOTE, _COMMA = 10, 13, 34, 44


def read_table(path: Path, *, sheet: str | None = None) -> RawTable:
    """Read a CSV or Excel file into a :class:`RawTable` (see the module docstring)."""
    if not path.is_file():
        raise ImportFileError("import.not_found", f"{path}: no such file")
    name = path.name
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise ImportFileError(
            "import.format",
            f"{name}: the old Excel .xls format is not supported; save it as .xlsx or CSV UTF-8",
        )
    raw = path.read_bytes()
    if suffix in EXCEL_SUFFIXES or (suffix not in (".csv", ".txt") and raw[:4] == _ZIP_MAGIC):
        return read_excel(path, raw, sheet)
    if sheet is not None:
        raise ImportFileError("import.sheet", f"{name}: --sheet applies to Excel files only")
    return _read_csv(name, raw)


# --- CSV ------------------------------------------------------------------------------------


@dataclass
class _Layout:
    """Where each record of a CSV body starts and ends and how many fields it has."""

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    fields: npt.NDArray[np.int64]
    blank: npt.NDArray[np.bool_]
    cut: int | None = None
    """Byte length to parse when the last record was dropped (unterminated quote)."""


def _read_csv(name: str, raw: bytes) -> RawTable:
    digest = hashlib.sha256(raw).hexdigest()
    body, encoding = raw, "utf-8"
    if raw.startswith(codecs.BOM_UTF8):
        body, encoding = raw[len(codecs.BOM_UTF8) :], "utf-8-sig"
    if not body.strip():
        raise ImportFileError("import.empty", f"{name}: the file is empty")
    if raw.startswith(_UTF16_BOMS):
        raise _encoding_error(name, raw, hint="it starts with a UTF-16/UTF-32 byte-order mark")
    if b"\n" not in body and b"\r" in body:
        body = body.replace(b"\r", b"\n")  # classic Mac line ends
    try:
        layout = _layout(name, body)
        frame = _parse(name, body, layout)
    except UnicodeDecodeError:
        body, encoding = _transcode(name, raw, body), "gb18030"
        layout = _layout(name, body)
        frame = _parse(name, body, layout)
    table = _assemble(name, frame, layout)
    table.encoding, table.sha256 = encoding, digest
    return table


def _parse(name: str, body: bytes, layout: _Layout) -> pd.DataFrame:
    """All records as strings (header included), rows longer than the first one skipped."""
    if layout.blank.size and layout.blank[0]:
        raise ImportFileError(
            "import.structure",
            f"{name}, row 1: the header row is empty; the column names must be in row 1",
            [FieldProblem(ROW_FIELD, "empty header row", 1, name)],
        )
    if layout.cut is not None:
        body = body[: layout.cut]
    try:
        return _read_records(body)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportFileError(
            "import.structure", f"{name}: the file cannot be read as CSV ({exc})"
        ) from exc


def _read_records(body: bytes) -> pd.DataFrame:
    return pd.read_csv(
        io.BytesIO(body),
        header=None,
        dtype=str,
        na_filter=False,
        skip_blank_lines=False,
        on_bad_lines="skip",
        encoding="utf-8",
        encoding_errors="strict",
        engine="c",
    )


def _transcode(name: str, raw: bytes, body: bytes) -> bytes:
    """The body re-encoded as UTF-8 when it is GBK/GB18030; ``ImportFileError`` otherwise."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        ascii_before = body[: exc.start].isascii()
    else:  # cannot happen: pandas decodes what Python decodes
        raise ImportFileError("import.encoding", f"{name}: the file could not be decoded")
    if ascii_before:
        try:
            return body.decode("gb18030").encode("utf-8")
        except UnicodeDecodeError:
            pass
    # GBK failed too; or valid UTF-8 text came before the bad byte: a damaged UTF-8 file
    raise _encoding_error(name, raw, gbk=ascii_before)


def _encoding_error(name: str, raw: bytes, *, hint: str = "", gbk: bool = True) -> ImportFileError:
    start = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        raw[start:].decode("utf-8")
        offset = len(raw)
    except UnicodeDecodeError as exc:
        offset = start + exc.start
    line = raw.count(b"\n", 0, offset) + 1
    header = raw[start : raw.find(b"\n", start) if b"\n" in raw else len(raw)]
    headers = header.decode("utf-8", errors="replace").strip().split(",")
    line_start = raw.rfind(b"\n", 0, offset) + 1
    position = raw.count(b",", line_start, offset)
    column = headers[position].strip() if position < len(headers) else f"field {position + 1}"
    what = f"not UTF-8 (byte 0x{raw[offset]:02X} at byte offset {offset})"
    if gbk:
        try:
            raw[start:].decode("gb18030")
        except UnicodeDecodeError as exc:
            what += f" and not GBK/GB18030 (byte 0x{raw[start + exc.start]:02X} at byte offset "
            what += f"{start + exc.start})"
    else:
        what = "damaged UTF-8: " + what
    if hint:
        what += f"; {hint}"
    message = f"{name}, row {line}, column {column}: the file's encoding is {what}"
    message += "; save it as 'CSV UTF-8' (or GBK) and import it again"
    problem = FieldProblem(column, f"encoding: {what}", line, name)
    return ImportFileError("import.encoding", message, [problem])


def _layout(name: str, body: bytes) -> _Layout:
    """Record boundaries and field counts from a vectorised byte scan, or the csv module when
    quotes are used in ways the scan does not model (a quote inside an unquoted field)."""
    layout = _fast_layout(body)
    if layout is not None:
        return layout
    return _slow_layout(name, body)


def _fast_layout(body: bytes) -> _Layout | None:
    data = np.frombuffer(body, dtype=np.uint8)
    size = data.size
    newlines = np.flatnonzero(data == _NL)
    commas = np.flatnonzero(data == _COMMA)
    open_quote = False
    if body.find(b'"') >= 0:
        quotes = np.flatnonzero(data == _QUOTE)
        if not _quotes_regular(data, quotes):
            return None
        newlines = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
        commas = commas[np.searchsorted(quotes, commas) % 2 == 0]
        open_quote = quotes.size % 2 == 1
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    ends = np.concatenate((newlines, [size])).astype(np.int64)
    if starts[-1] >= size:  # the body ends with a line break: no record after it
        starts, ends = starts[:-1], ends[:-1]
    counts = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    # a record with no content: an empty line, or only delimiters (",,,," rows from Excel)
    content = ends - starts - (data[np.maximum(ends - 1, 0)] == _CR) * (ends > starts)
    blank = content == counts - 1
    layout = _Layout(starts, ends, counts.astype(np.int64), blank)
    if open_quote:
        last = int(starts[-1])
        tail = body[last:].rstrip(b"\r\n")
        if b"\n" in tail or len(starts) < 2:
            return None  # an unbalanced quote before the last line: let the csv module say where
        layout.cut = last
    return layout


def _quotes_regular(data: npt.NDArray[np.uint8], quotes: npt.NDArray[np.intp]) -> bool:
    """Whether every quote opens a field, closes one, or is a doubled quote inside one."""
    openers, closers = quotes[0::2], quotes[1::2]
    prev = data[np.maximum(openers - 1, 0)]
    after_closer = np.zeros(openers.size, dtype=bool)
    if openers.size > 1:
        after_closer[1:] = closers[: openers.size - 1] == openers[1:] - 1
    opens_ok = (openers == 0) | (prev == _COMMA) | (prev == _NL) | after_closer
    nxt = data[np.minimum(closers + 1, data.size - 1)]
    at_end = closers + 1 >= data.size
    doubled = np.zeros(closers.size, dtype=bool)
    if closers.size:
        following = openers[1 : closers.size + 1]
        doubled[: following.size] = following == closers[: following.size] + 1
    closes_ok = at_end | (nxt == _COMMA) | (nxt == _NL) | (nxt == _CR) | doubled
    return bool(opens_ok.all() and closes_ok.all())


def _slow_layout(name: str, body: bytes) -> _Layout:
    """Field counts with Python's csv module (quotes inside unquoted fields are literal)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("gb18030", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    counts: list[int] = []
    blank: list[bool] = []
    first_line = 1
    last_line = 0
    for record in reader:
        first_line, last_line = last_line + 1, reader.line_num
        counts.append(len(record) if record else 1)
        blank.append(not any(record))
    n = len(counts)
    layout = _Layout(
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.array(counts, dtype=np.int64),
        np.array(blank, dtype=bool),
    )
    if n == 0:
        return layout
    line_starts = np.concatenate(([0], np.flatnonzero(np.frombuffer(body, np.uint8) == _NL) + 1))
    start = int(line_starts[first_line - 1])
    tail = body[start:]
    try:
        for _ in csv.reader(io.StringIO(tail.decode("utf-8", "replace"), newline=""), strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return layout
        if b"\n" in tail.rstrip(b"\r\n") or n < 2:
            raise ImportFileError(
                "import.structure",
                f"{name}, row {n}: a quote opened in this row is never closed "
                "(the file may be truncated or damaged)",
                [FieldProblem(ROW_FIELD, "unbalanced quote", n, name)],
            ) from exc
        layout.cut = start
    return layout


def _assemble(name: str, frame: pd.DataFrame, layout: _Layout) -> RawTable:
    """Match pandas' rows to the scanned records; reject rows of the wrong shape."""
    n_records = layout.fields.size - (1 if layout.cut is not None else 0)
    if n_records == 0 or frame.empty:
        raise ImportFileError("import.empty", f"{name}: the file has no header row")
    fields = layout.fields[:n_records]
    blank = layout.blank[:n_records]
    headers = [str(h).strip() for h in frame.iloc[0].tolist()]
    width = len(headers)
    # trailing unnamed columns ("a,b,c,," headers from Excel) may be absent from the rows
    needed = max((i + 1 for i, h in enumerate(headers) if h), default=width)
    kept = fields <= width
    kept[0] = False  # the header
    if int(kept.sum()) != len(frame) - 1:
        raise ImportFileError(
            "import.structure",
            f"{name}: cannot split the file into rows consistently "
            f"({int(kept.sum())} records found, pandas read {len(frame) - 1}); "
            "check quotes and line breaks",
        )
    record_rows = np.arange(1, n_records + 1, dtype=np.int64)
    problems: list[FieldProblem] = []
    short = kept & (fields < needed) & ~blank
    for index in np.flatnonzero(short).tolist():
        got = int(fields[index])
        problems.append(
            FieldProblem(
                headers[got],
                f"row has {got} of {needed} fields: values from column {headers[got]} on are "
                "missing (the file may be truncated)",
                int(record_rows[index]),
                name,
            )
        )
    for index in np.flatnonzero((fields > width) & ~blank).tolist():
        problems.append(
            FieldProblem(
                ROW_FIELD,
                f"row has {int(fields[index])} fields but the header has {width}",
                int(record_rows[index]),
                name,
            )
        )
    if layout.cut is not None:
        problems.append(
            FieldProblem(
                ROW_FIELD,
                "the last row ends inside a quoted value (the file is truncated)",
                n_records + 1,
                name,
            )
        )
    data = frame.iloc[1:]
    data_rows = record_rows[kept]
    usable = ~short[kept] & ~blank[kept]
    table = RawTable(name, headers, data, data_rows, problems)
    table.blank_rows = int((blank[1:]).sum())
    _drop(table, usable)
    require_rows(table)
    return table


def _drop(table: RawTable, keep: npt.NDArray[np.bool_]) -> None:
    if not keep.all():
        table.frame = table.frame.loc[keep]
        table.rows = table.rows[keep]
