"""Fast column-wise bulk inserts for the demo generator and imports.

``bulk_insert(conn, table, columns)`` takes a mapping of column name → numpy array / list (one entry
per row) and writes it in one pass: SQLite through the driver's ``executemany`` with values already in
SQLAlchemy's storage format, PostgreSQL through ``COPY``. Type conversion is vectorised per column;
no ORM objects are built. The caller owns the transaction.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, cast

import numpy as np
from sqlalchemy import JSON, Boolean, Connection, Date, Integer, LargeBinary, Numeric, Table, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.types import TypeDecorator

from loanpilot.db.types import UTCDateTime

ColumnData = np.ndarray[Any, Any] | Sequence[Any]

_CHUNK_ROWS = 100_000


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _whole(value: Any) -> int | None:
    """An integer column's value: whole floats (amounts computed in floating point) become int."""
    if value is None or _is_nan(value):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"integer column given a fractional value {value!r}")
        return int(value)
    return int(value)


def _iso_dates(values: np.ndarray[Any, Any]) -> list[Any]:
    """datetime64 / date objects → 'YYYY-MM-DD' strings (SQLAlchemy's SQLite DATE format)."""
    if values.dtype.kind != "M":
        values = np.array(
            [None if v is None else np.datetime64(v, "D") for v in values], dtype="M8[D]"
        )
    out = values.astype("M8[D]").astype("U10").astype(object)
    out[np.isnat(values)] = None
    return cast(list[Any], out.tolist())


def _utc64(value: datetime) -> np.datetime64:
    """An aware datetime as a naive UTC datetime64; naive datetimes are refused (ambiguous)."""
    if value.tzinfo is None:
        raise ValueError(
            f"naive datetime {value.isoformat()} given to a UTC column; pass an aware one"
        )
    return np.datetime64(value.astimezone(UTC).replace(tzinfo=None), "us")


def _iso_datetimes(values: np.ndarray[Any, Any]) -> list[Any]:
    """UTC datetime64 → 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's SQLite DATETIME format)."""
    text_values = values.astype("M8[us]").astype("U26")
    chars = text_values.view(np.uint32).reshape(len(text_values), 26)
    chars[:, 10] = ord(" ")
    out = text_values.astype(object)
    out[np.isnat(values)] = None
    return cast(list[Any], out.tolist())


def _to_python(values: np.ndarray[Any, Any]) -> list[Any]:
    if values.dtype.kind == "f":
        obj = values.astype(object)
        obj[np.isnan(values)] = None
        return cast(list[Any], obj.tolist())
    return cast(list[Any], values.tolist())


def _column_values(col_type: Any, raw: ColumnData, dialect: str) -> list[Any]:
    if isinstance(col_type, LargeBinary):
        # never through np.asarray: a fixed-width bytes array drops trailing NUL bytes
        if isinstance(raw, np.ndarray) and raw.dtype.kind == "S":
            raise TypeError("binary columns must be given as a list or object array of bytes")
        return list(raw.tolist() if isinstance(raw, np.ndarray) else raw)
    values = np.asarray(raw) if not isinstance(raw, np.ndarray) else raw
    impl = col_type
    if isinstance(col_type, UTCDateTime):
        # datetime64 values are UTC already; datetime objects must be aware and are converted
        if values.dtype.kind != "M":
            values = np.array([None if v is None else _utc64(v) for v in values], dtype="M8[us]")
        if dialect == "sqlite":
            return _iso_datetimes(values)
        return _to_python(values.astype("M8[us]"))
    if isinstance(col_type, TypeDecorator):
        impl = col_type.impl
    if isinstance(impl, Date):
        return _iso_dates(values) if dialect == "sqlite" else _to_python(values.astype("M8[D]"))
    if isinstance(impl, SAEnum):
        return [v.value if isinstance(v, Enum) else v for v in values.tolist()]
    if isinstance(impl, Boolean):
        return [None if v is None else bool(v) for v in values.tolist()]
    if isinstance(impl, Numeric):
        if dialect == "sqlite":
            if values.dtype.kind in "iuf":
                return _to_python(values.astype(float))
            # the driver cannot bind Decimal: pass its exact text (NUMERIC affinity converts it)
            return [str(v) if isinstance(v, Decimal) else v for v in values.tolist()]
        return [None if v is None or _is_nan(v) else Decimal(str(v)) for v in values.tolist()]
    if isinstance(impl, Integer) and values.dtype.kind in "fO":
        return [_whole(v) for v in values.tolist()]
    return _to_python(values)


def _json_type(col_type: Any) -> bool:
    impl = col_type.impl if isinstance(col_type, TypeDecorator) else col_type
    variants = getattr(col_type, "_variant_mapping", {})
    return isinstance(impl, JSON) or any(isinstance(v, JSON) for v in variants.values())


def _check(table: Table, columns: Mapping[str, ColumnData]) -> list[str]:
    names = list(columns)
    unknown = [n for n in names if n not in table.c]
    if unknown:
        raise KeyError(f"{table.name} has no column(s) {', '.join(unknown)}")
    lengths = {len(columns[n]) for n in names}
    if len(lengths) > 1:
        raise ValueError(f"columns for {table.name} have different lengths: {sorted(lengths)}")
    return names


def prepare_rows(
    table: Table, columns: Mapping[str, ColumnData], dialect: str
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Convert columns to storage values and transpose them into row tuples."""
    names = _check(table, columns)
    converted = []
    for name in names:
        col_type = table.c[name].type
        if _json_type(col_type):
            raw = columns[name]
            seq = raw.tolist() if isinstance(raw, np.ndarray) else list(raw)
            converted.append(
                [None if v is None else json.dumps(v, ensure_ascii=False) for v in seq]
            )
        else:
            converted.append(_column_values(col_type, columns[name], dialect))
    return names, list(zip(*converted, strict=True))


def _chunks(columns: Mapping[str, ColumnData], size: int) -> Iterable[dict[str, ColumnData]]:
    """Row slices of the columns, so that only one chunk is ever converted to Python objects."""
    n = len(next(iter(columns.values())))
    for start in range(0, n, size):
        yield {k: v[start : start + size] for k, v in columns.items()}


def bulk_insert(conn: Connection, table: Table, columns: Mapping[str, ColumnData]) -> int:
    """Insert all rows; returns the row count. Runs inside the caller's transaction."""
    if not columns:
        return 0
    _check(table, columns)
    dialect = conn.dialect.name
    quoted = ", ".join(f'"{n}"' for n in columns)
    dbapi = conn.connection.driver_connection
    total = 0
    if dialect == "sqlite":
        placeholders = ", ".join("?" for _ in columns)
        sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({placeholders})'  # noqa: S608
        assert dbapi is not None
        cursor = dbapi.cursor()
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB while bulk loading: index inserts
        try:
            for chunk in _chunks(columns, _CHUNK_ROWS):
                _, rows = prepare_rows(table, chunk, dialect)
                cursor.executemany(sql, rows)
                total += len(rows)
        finally:
            cursor.close()
    elif dialect == "postgresql":
        assert dbapi is not None
        with dbapi.cursor() as cursor:
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")
            with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                for chunk in _chunks(columns, _CHUNK_ROWS):
                    _, rows = prepare_rows(table, chunk, dialect)
                    for row in rows:
                        copy.write_row(row)
                    total += len(rows)
    else:
        for chunk in _chunks(columns, _CHUNK_ROWS):
            names, rows = prepare_rows(table, chunk, dialect)
            conn.execute(table.insert(), [dict(zip(names, r, strict=True)) for r in rows])
            total += len(rows)
    return total


def reset_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past the largest id."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "  # noqa: S608
                f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            )
        )


def max_id(conn: Connection, table: Table) -> int:
    """The largest id in a table (0 when empty): new explicit ids start after it."""
    value = conn.execute(text(f'SELECT COALESCE(MAX(id), 0) FROM "{table.name}"')).scalar()  # noqa: S608
    return int(value or 0)


__all__ = ["bulk_insert", "max_id", "prepare_rows", "reset_sequences"]
