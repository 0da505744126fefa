"""Business time: Asia/Shanghai dates, passed in rather than read inside rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    """The current instant, timezone-aware UTC (what timestamps store)."""
    return datetime.now(UTC)


def business_today(tz: ZoneInfo = SHANGHAI) -> date:
    """Today's business date in the bank's timezone (Asia/Shanghai by default)."""
    return datetime.now(tz).date()


def to_business_date(instant: datetime, tz: ZoneInfo = SHANGHAI) -> date:
    """The business date an aware instant falls on."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(tz).date()


def month_start(day: date) -> date:
    """First day of the month of ``day``."""
    return day.replace(day=1)
