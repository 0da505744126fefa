"""Column types that behave the same on SQLite and PostgreSQL.

Money is integer fen (``Money``), rates are ``Decimal`` (``Rate``), instants are stored UTC and come
back timezone-aware (``UTCDateTime``), enums are VARCHAR with the value (``enum_column``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum as PyEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Dialect, Integer, LargeBinary, Numeric, String
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import DateTime, TypeDecorator

#: Surrogate keys: BIGINT on PostgreSQL, INTEGER (the rowid alias, so autoincrement works) on SQLite.
PK = BigInteger().with_variant(Integer(), "sqlite")
#: Foreign keys to PK columns.
FK = PK
#: Money in integer fen (分).
Money = BigInteger()
#: Annual or monthly rates as fractions, e.g. Decimal("0.0345"): 8 decimal places.
Rate = Numeric(12, 8, asdecimal=True)
#: Ciphertext of personal data (see ``kit.crypto``).
Cipher = LargeBinary()
#: Keyed lookup hash of personal data (see ``kit.crypto``).
BlindIndex = LargeBinary(16)
#: JSON documents (JSONB on PostgreSQL).
Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite server_default CURRENT_TIMESTAMP
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[PyEnum], length: int = 32) -> SAEnum:
    """A VARCHAR holding the enum's *value* (readable in SQL, portable, no native type)."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda e: [str(m.value) for m in e],
        validate_strings=True,
    )


def code_column(length: int = 32) -> String:
    """A short business code (branch code, product code...)."""
    return String(length)
