"""Small helpers the work plan's chapter builders share: names of product lines and channels in
both languages, the period's bounds as UTC instants, and shortcuts for figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from loanpilot.evaluation.plan_types import Figure, Unit, Value
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.periods import Period

PRODUCT_TYPES: dict[str, tuple[str, str]] = {
    "housing": ("住房贷款", "housing loans"),
    "consumer": ("消费贷款", "consumer loans"),
    "business": ("个人经营贷款", "business loans"),
    "private_banking": ("私人银行贷款", "private-banking loans"),
}
CHANNELS: dict[str, tuple[str, str]] = {
    "online": ("网上银行", "Online"),
    "mobile": ("手机银行", "Mobile"),
    "branch": ("网点", "Branch"),
    "partner": ("合作机构", "Partner"),
    "call_center": ("电话中心", "Call centre"),
    "sms": ("短信", "SMS"),
    "wechat": ("微信", "WeChat"),
    "referral": ("转介绍", "Referral"),
}


def in_lang(lang: str, both: tuple[str, str]) -> str:
    """The Chinese or English of a (zh, en) pair."""
    return both[0] if lang == "zh" else both[1]


def pair(table: dict[str, tuple[str, str]], code: str | None) -> tuple[str, str]:
    if code is None:
        return "未记录", "not recorded"
    return table.get(code, (code, code))


def instant(day: date) -> datetime:
    """The UTC instant business date ``day`` begins (Asia/Shanghai)."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(UTC)


def bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as half-open UTC instants."""
    return instant(period.start), instant(period.end)


def ratio(part: Decimal | float | None, whole: Decimal | float | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return Decimal(str(part)) / Decimal(str(whole))


def dec(value: Any) -> Decimal | None:
    """A number as a Decimal (None stays None; floats through their shortest text)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


class Figures:
    """Collects a section's figures; ``add`` returns the key for the paragraph template."""

    def __init__(self) -> None:
        self.items: list[Figure] = []

    def add(self, key: str, zh: str, en: str, value: Value, unit: Unit, source: str) -> str:
        self.items = [f for f in self.items if f.key != key]
        self.items.append(Figure(key, zh, en, value, unit, source))
        return key

    def has(self, key: str) -> bool:
        return any(f.key == key and f.value is not None for f in self.items)

    def get(self, key: str) -> Figure | None:
        return next((f for f in self.items if f.key == key), None)

    def tuple(self) -> tuple[Figure, ...]:
        return tuple(self.items)


def period_as_of(period: Period, today: date) -> date:
    """The business date the plan's point-in-time figures are taken on: the period's last day,
    or today for a period still running."""
    return min(period.last_day, today)
