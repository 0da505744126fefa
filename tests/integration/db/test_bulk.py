"""Bulk loading writes exactly what the ORM would read back, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy.orm import Session

from loanpilot.db.bulk import bulk_insert, max_id, reset_sequences
from loanpilot.products.models import LprRate, LprTerm
from loanpilot.risk.models import RiskAlert


def test_types_round_trip(migrated_engine) -> None:
    table = RiskAlert.__table__
    columns = {
        "id": np.array([1, 2]),
        "alert_no": np.array(["RA1", "RA2"], dtype=object),
        "rule_code": np.array(["r", "r"], dtype=object),
        "severity": np.array(["high", "low"], dtype=object),
        "dimension": np.array(["branch", "all"], dtype=object),
        "dimension_value": np.array(["BR0101", "全行"], dtype=object),
        "metric": np.array(["m1plus", "lpr"], dtype=object),
        "value": np.array([0.0123, 0.035]),
        "threshold": np.array([0.01, 0.0]),
        "raised_on": np.array(["2026-11-01", "2026-10-20"], dtype="M8[D]"),
        "owner_id": np.array([None, None], dtype=object),
        "due_on": np.array(["2026-11-15", "NaT"], dtype="M8[D]"),
        "status": np.array(["open", "closed"], dtype=object),
        "actions": [[{"zh": "约谈支行"}], []],
        "closed_at": np.array(["NaT", "2026-10-30T09:15:00.000001"], dtype="M8[us]"),
    }
    with migrated_engine.begin() as conn:
        assert bulk_insert(conn, table, columns) == 2
        reset_sequences(conn, [table])
        assert max_id(conn, table) == 2
    with Session(migrated_engine) as s:
        first, second = s.get(RiskAlert, 1), s.get(RiskAlert, 2)
        assert first.raised_on == date(2026, 11, 1)
        assert first.due_on == date(2026, 11, 15)
        assert second.due_on is None
        assert first.closed_at is None
        assert second.closed_at == datetime(2026, 10, 30, 9, 15, 0, 1, tzinfo=UTC)
        assert first.value == Decimal("0.01230000")
        assert first.dimension_value == "BR0101"
        assert second.dimension_value == "全行"
        assert first.actions == [{"zh": "约谈支行"}]
        assert first.severity.value == "high"
        # the next ORM insert gets a fresh id after the bulk-loaded ones
        s.add(
            RiskAlert(
                alert_no="RA3",
                rule_code="r",
                severity="low",
                dimension="all",
                dimension_value="x",
                metric="m",
                value=Decimal(1),
                threshold=Decimal(0),
                raised_on=date(2026, 11, 2),
                status="open",
            )
        )
        s.commit()
        assert s.get(RiskAlert, 3) is not None


def test_mismatched_columns_are_refused(migrated_engine) -> None:
    table = LprRate.__table__
    with migrated_engine.begin() as conn, pytest.raises(KeyError, match="no column"):
        bulk_insert(conn, table, {"id": [1], "bogus": [2]})
    with migrated_engine.begin() as conn, pytest.raises(ValueError, match="different lengths"):
        bulk_insert(conn, table, {"id": [1, 2], "term": [LprTerm.ONE_YEAR.value]})


def test_binary_values_keep_trailing_nul_bytes(migrated_engine) -> None:
    """numpy's fixed-width bytes arrays drop trailing NULs; ciphertexts must survive intact."""
    from loanpilot.customers.models import Customer

    blobs = [b"\x01\x01abc\x00", b"\x00\x00", b"xyz\x00\x00\x00"]
    columns = {
        "id": np.array([1, 2, 3]),
        "customer_no": np.array(["C1", "C2", "C3"], dtype=object),
        "name": np.array(["张三", "李四", "王五"], dtype=object),
        "id_number_enc": blobs,
        "id_number_hash": [bytes([i]) * 15 + b"\x00" for i in range(3)],
        "birth_date": np.array(["1990-01-01"] * 3, dtype="M8[D]"),
        "gender": np.array(["M", "F", "M"], dtype=object),
        "occupation": np.array(["student"] * 3, dtype=object),
        "monthly_income_fen": np.array([100, 200, 300]),
        "has_provident_fund": np.array([False] * 3),
        "owns_home": np.array([False] * 3),
        "province": np.array(["浙江"] * 3, dtype=object),
        "city": np.array(["杭州"] * 3, dtype=object),
        "source_channel": np.array(["branch"] * 3, dtype=object),
        "marketing_consent": np.array([True] * 3),
        "is_blacklisted": np.array([False] * 3),
        "since": np.array(["2020-01-01"] * 3, dtype="M8[D]"),
    }
    with migrated_engine.begin() as conn:
        bulk_insert(conn, Customer.__table__, columns)
    with Session(migrated_engine) as s:
        assert [s.get(Customer, i).id_number_enc for i in (1, 2, 3)] == blobs
    with migrated_engine.begin() as conn, pytest.raises(TypeError, match="list or object array"):
        bulk_insert(conn, Customer.__table__, {**columns, "id_number_enc": np.array(blobs)})


def test_aware_datetimes_and_decimals(migrated_engine) -> None:
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    table = RiskAlert.__table__
    base = {
        "id": [1],
        "alert_no": ["RA1"],
        "rule_code": ["r"],
        "severity": ["low"],
        "dimension": ["all"],
        "dimension_value": ["x"],
        "metric": ["m"],
        "value": np.array([Decimal("0.01234567")], dtype=object),
        "threshold": np.array([Decimal("0.5")], dtype=object),
        "raised_on": np.array(["2026-11-01"], dtype="M8[D]"),
        "status": ["open"],
        "actions": [[]],
        "closed_at": np.array([datetime(2026, 11, 2, 9, 0, tzinfo=shanghai)], dtype=object),
    }
    with migrated_engine.begin() as conn:
        bulk_insert(conn, table, base)
    with Session(migrated_engine) as s:
        alert = s.get(RiskAlert, 1)
        assert alert.closed_at == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
        assert alert.value == Decimal("0.01234567")
    naive = {
        **base,
        "id": [2],
        "alert_no": ["RA2"],
        "closed_at": np.array([datetime(2026, 11, 2, 9)], dtype=object),
    }
    with migrated_engine.begin() as conn, pytest.raises(ValueError, match="naive datetime"):
        bulk_insert(conn, table, naive)
