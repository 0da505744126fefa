"""Writing audit records (adds and flushes; the caller's entry point owns the transaction), and
the pure helpers of searching and exporting them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from loanpilot.audit.models import AuditLog

#: The width of ``audit_logs.actor_label`` (PostgreSQL refuses a longer value).
ACTOR_LABEL_MAX = 64


def record(
    session: Session,
    *,
    action: str,
    actor_label: str = "system",
    actor_staff_id: int | None = None,
    entity: str = "",
    entity_id: str | None = None,
    detail: dict[str, Any] | None = None,
    client_address: str | None = None,
    outcome: str = "ok",
    at: datetime,
) -> AuditLog:
    """Add one audit row and flush it (never commits).

    ``detail`` must hold no personal data in clear; ``outcome`` is ``ok``, ``denied`` or ``failed``.
    """
    entry = AuditLog(
        at=at,
        actor_staff_id=actor_staff_id,
        actor_label=actor_label[:ACTOR_LABEL_MAX],
        action=action,
        entity=entity,
        entity_id=entity_id,
        client_address=client_address,
        detail=dict(detail) if detail else {},
        outcome=outcome,
    )
    session.add(entry)
    session.flush()
    return entry


# --- searching and exporting the log ----------------------------------------------------------------

#: The most rows one CSV export holds (the newest); the page says so when a search finds more.
EXPORT_CAP = 100_000
#: Columns of the CSV export, in order.
EXPORT_COLUMNS: tuple[str, ...] = (
    "id",
    "at_utc",
    "at_local",
    "actor_staff_id",
    "actor_name",
    "actor_label",
    "action",
    "entity",
    "entity_id",
    "outcome",
    "client_address",
    "detail",
)
#: A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def business_day_bounds(
    first: date | None, last: date | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """UTC bounds of the business days ``first``..``last`` (both inclusive) in ``tz``: the start
    of ``first`` and the start of the day after ``last`` (exclusive). A bound at the edge of the
    calendar (0001-01-01, 9999-12-31) is no bound at all."""
    return _day_start(first, tz), _day_start(last, tz, plus_days=1)


def _day_start(day: date | None, tz: ZoneInfo, plus_days: int = 0) -> datetime | None:
    if day is None:
        return None
    try:
        return datetime.combine(day + timedelta(days=plus_days), time.min, tzinfo=tz).astimezone(
            UTC
        )
    except OverflowError:
        return None


def compact_json(value: Any) -> str:
    """``detail`` as one line of JSON, Chinese kept readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_cells(row: Any, tz: ZoneInfo) -> list[str]:
    """One audit row (a result row of ``audit.repository.audit_query``) as CSV cells."""
    at: datetime = row.at
    return [
        safe_cell(v)
        for v in (
            row.id,
            at.astimezone(UTC).isoformat(),
            at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            row.actor_staff_id,
            row.actor_name,
            row.actor_label,
            row.action,
            row.entity,
            row.entity_id,
            row.outcome,
            row.client_address,
            compact_json(row.detail or {}),
        )
    ]


def csv_chunks(rows: Iterable[Any], tz: ZoneInfo, rows_per_chunk: int = 1_000) -> Iterator[bytes]:
    """The CSV export as UTF-8 bytes: a byte-order mark (so Excel reads the Chinese), the header,
    then the rows, ``rows_per_chunk`` at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(EXPORT_COLUMNS)
    pending = 0
    for row in rows:
        writer.writerow(export_cells(row, tz))
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")
