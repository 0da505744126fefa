"""Pure parts of the audit-log search and export: business-day bounds, CSV cells and chunks,
and the query's validation."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from loanpilot.audit.schemas import AuditQuery
from loanpilot.audit.service import (
    EXPORT_COLUMNS,
    business_day_bounds,
    compact_json,
    csv_chunks,
    safe_cell,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_business_days_become_utc_bounds() -> None:
    start, end = business_day_bounds(date(2026, 11, 1), date(2026, 11, 29), SHANGHAI)
    assert start == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # exclusive: the start of 30 Nov
    assert business_day_bounds(None, None, SHANGHAI) == (None, None)
    assert business_day_bounds(date(2026, 1, 1), None, UTC) == (
        datetime(2026, 1, 1, tzinfo=UTC),
        None,
    )


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@x", "'@x"),
        ("user:admin", "user:admin"),
        (None, ""),
        (12, "12"),
    ],
)
def test_cells_never_run_as_spreadsheet_formulas(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_detail_json_is_compact_and_keeps_chinese() -> None:
    assert compact_json({"b": 1, "a": "总行"}) == '{"a":"总行","b":1}'


def _row(i: int) -> SimpleNamespace:
    return SimpleNamespace(
        id=i,
        at=datetime(2026, 11, 28, 16, 30, tzinfo=UTC),
        actor_staff_id=7,
        actor_name="张三",
        actor_label="user:zhang",
        action="login",
        entity="",
        entity_id=None,
        outcome="ok",
        client_address="127.0.0.1",
        detail={"reason": "ok"},
    )


def test_csv_has_a_bom_a_header_and_every_row_across_chunks() -> None:
    chunks = list(csv_chunks((_row(i) for i in range(5)), SHANGHAI, rows_per_chunk=2))
    assert len(chunks) == 3  # 2 + 2 + 1 (the header travels with the first)
    data = b"".join(chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [r[0] for r in rows[1:]] == ["0", "1", "2", "3", "4"]
    first = dict(zip(EXPORT_COLUMNS, rows[1], strict=True))
    assert first["at_local"] == "2026-11-29 00:30:00"  # the next day in Shanghai
    assert first["at_utc"] == "2026-11-28T16:30:00+00:00"
    assert first["actor_name"] == "张三"
    assert first["detail"] == '{"reason":"ok"}'


def test_an_empty_export_is_just_the_header() -> None:
    data = b"".join(csv_chunks([], SHANGHAI))
    assert data.decode("utf-8-sig").splitlines() == [",".join(EXPORT_COLUMNS)]


def test_blank_filters_mean_any_and_dates_must_be_ordered() -> None:
    query = AuditQuery.model_validate(
        {"actor": " ", "outcome": "", "from_date": "", "action": "pii."}
    )
    assert query.actor is None
    assert query.outcome is None
    assert query.from_date is None
    assert query.filters_detail() == {"action": "pii."}
    with pytest.raises(ValidationError, match="from_date"):
        AuditQuery(from_date=date(2026, 2, 1), to_date=date(2026, 1, 1))
    with pytest.raises(ValidationError):
        AuditQuery.model_validate({"outcome": "maybe"})
