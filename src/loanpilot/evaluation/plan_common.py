"""Small helpers the work plan's chapter builders share: names of product lines, channels,
partner kinds, rate positions and China's provinces in both languages, English names without a
Chinese gloss, the period's bounds as UTC instants, and shortcuts for figures."""

from __future__ import annotations

import re
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


PARTNER_KINDS: dict[str, tuple[str, str]] = {
    "developer": ("房地产开发商", "Developer"),
    "car_dealer": ("汽车经销商", "Car dealer"),
    "ecommerce": ("电商平台", "E-commerce"),
    "school": ("教育机构", "School"),
    "employer": ("代发工资单位", "Payroll employer"),
    "hospital": ("医疗机构", "Hospital"),
    "decoration": ("装修公司", "Renovation firm"),
    "travel_agency": ("旅行社", "Travel agency"),
}
#: Where our APR sits against the competitors' median (``market.market_rules.Position``).
POSITIONS: dict[str, tuple[str, str]] = {
    "cheaper": ("低于市场", "Below market"),
    "at_market": ("与市场持平", "At market"),
    "dearer": ("高于市场", "Above market"),
}
#: The label of a value nothing could be attributed to (``kpi_rules.NONE_KEY``).
UNATTRIBUTED = ("未归属", "Unattributed")
NO_COMPETITOR = ("无可比竞品", "No competitor")
#: How campaign ROI is defined, said wherever the plan quotes it: a four-digit percentage is
#: plausible because only the incremental loans count as return and only direct costs as cost.
ROI_CAVEAT = (
    "投资回报率 =（增量净收入 − 活动成本）÷ 活动成本：增量净收入为较随机对照组多出的放款在预期"
    "存续期内的风险调整净收入，成本仅含活动的直接营销费用，不含人力与资金成本，"
    "因此数值远高于财务意义上的回报，宜用于活动之间的比较",
    "ROI = (incremental net revenue − campaign cost) ÷ campaign cost: the net revenue, over "
    "their expected life and net of expected loss, of the loans made beyond the randomised "
    "hold-out, against the campaign's direct marketing cost only (no staff or funding cost); so "
    "it runs far above a financial return and is meant for comparing campaigns",
)
#: China's provincial-level divisions (the market's regions are provinces), Chinese → English.
PROVINCES: dict[str, str] = {
    "北京": "Beijing", "天津": "Tianjin", "上海": "Shanghai", "重庆": "Chongqing",
    "河北": "Hebei", "山西": "Shanxi", "辽宁": "Liaoning", "吉林": "Jilin",
    "黑龙江": "Heilongjiang", "江苏": "Jiangsu", "浙江": "Zhejiang", "安徽": "Anhui",
    "福建": "Fujian", "江西": "Jiangxi", "山东": "Shandong", "河南": "Henan", "湖北": "Hubei",
    "湖南": "Hunan", "广东": "Guangdong", "海南": "Hainan", "四川": "Sichuan",
    "贵州": "Guizhou", "云南": "Yunnan", "陕西": "Shaanxi", "甘肃": "Gansu", "青海": "Qinghai",
    "台湾": "Taiwan", "内蒙古": "Inner Mongolia", "广西": "Guangxi", "西藏": "Tibet",
    "宁夏": "Ningxia", "新疆": "Xinjiang", "香港": "Hong Kong", "澳门": "Macao",
}  # fmt: skip
_PROVINCE_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
)
_GLOSS = re.compile(r"\s*[（(][^（）()]*[\u3400-\u9fff][^（）()]*[）)]")
CJK = re.compile(r"[\u3400-\u9fff]")


def region_name(name: str, lang: str) -> str:
    """A province as the reader reads it: ``浙江``/``浙江省`` → ``Zhejiang`` in English (an
    unknown name stays as it is, being a proper name)."""
    if lang == "zh" or not name:
        return name
    if name == "未归属":
        return UNATTRIBUTED[1]
    short = name
    for suffix in _PROVINCE_SUFFIXES:
        if short.endswith(suffix) and len(short) > len(suffix):
            short = short.removesuffix(suffix)
            break
    return PROVINCES.get(short, name)


def english(name: str) -> str:
    """An English name without its Chinese gloss: ``Combination mortgage (组合贷)`` →
    ``Combination mortgage`` (a name that is only Chinese stays as it is)."""
    plain = _GLOSS.sub("", name).strip()
    return plain or name


def named(lang: str, zh: str, en: str | None) -> str:
    """The name of a thing in ``lang``: the Chinese, or the English without a Chinese gloss (the
    Chinese when it has no English name)."""
    if lang == "zh":
        return zh
    return english(en) if en else zh


def period_en(period: Period) -> str:
    """A period as an English reader writes it: ``2026 Q4``, ``2026 H2``, ``October 2026``,
    ``2026``."""
    start = period.start
    if period.kind == "month":
        return start.strftime("%B %Y")
    if period.kind == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if period.kind == "half":
        return f"{start.year} H{(start.month - 1) // 6 + 1}"
    return str(start.year)


def period_name(period: Period, lang: str) -> str:
    """The period in the plan's language: ``2026年第4季度`` / ``2026 Q4``."""
    return period.label_zh() if lang == "zh" else period_en(period)


def in_lang(lang: str, both: tuple[str, str]) -> str:
    """The Chinese or English of a (zh, en) pair."""
    return both[0] if lang == "zh" else both[1]


def pair(table: dict[str, tuple[str, str]], code: str | None) -> tuple[str, str]:
    if code is None:
        return "未记录", "Not recorded"
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
