"""Pure rules of market analysis (市场分析): validating market-size and competitor-product rows,
refusing overlapping market periods, and the arithmetic of rate positioning.

No session, clock or I/O here (house rule 2): ``today``, the stored periods and the known
competitors are passed in. Every problem names its field (the import column), its row and file,
and carries a stable ``code`` (a key of :data:`PROBLEMS`) with the values its text needs, so a page
can show it in the reader's language (``market.problem.<code>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, Literal

from loanpilot.kit.errors import CodedProblem, DomainError
from loanpilot.kit.money import parse_rate
from loanpilot.kit.periods import Period, parse_period

LINES: Final = ("housing", "consumer", "business", "private_banking")
#: Chinese names a user may write for a product line.
LINE_ALIASES: Final[dict[str, str]] = {
    "住房": "housing", "住房贷款": "housing", "个人住房贷款": "housing", "房贷": "housing",
    "消费": "consumer", "消费贷款": "consumer", "个人消费贷款": "consumer", "消费贷": "consumer",
    "经营": "business", "经营贷款": "business", "个人经营贷款": "business", "经营贷": "business",
    "私人银行": "private_banking", "私行": "private_banking", "私人银行贷款": "private_banking",
}  # fmt: skip
#: The product line of each ``products.ProductSubtype`` value.
SUBTYPE_LINE: Final[dict[str, str]] = {
    "commercial_mortgage": "housing", "provident_fund": "housing", "combination": "housing",
    "commercial_to_fund": "housing", "education": "consumer", "medical": "consumer",
    "travel": "consumer", "auto": "consumer", "renovation": "consumer",
    "general_consumer": "consumer", "operating": "business", "credit": "business",
    "secured": "business", "private_banking": "private_banking",
}  # fmt: skip
#: Subtype names for the work plan (the pages use ``products.subtype.*`` messages).
SUBTYPE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "commercial_mortgage": ("商业性住房贷款", "Commercial mortgage"),
    "provident_fund": ("公积金贷款", "Provident fund"), "combination": ("组合贷", "Combination"),
    "commercial_to_fund": ("商转公", "Commercial to fund"), "education": ("教育", "Education"),
    "medical": ("医疗", "Medical"), "travel": ("旅游", "Travel"), "auto": ("汽车", "Auto"),
    "renovation": ("装修", "Renovation"), "general_consumer": ("综合消费", "General consumer"),
    "operating": ("经营性", "Operating"), "credit": ("信用", "Credit"),
    "secured": ("抵押/担保", "Secured"), "private_banking": ("私行专属", "Private banking"),
}  # fmt: skip
COMPETITOR_KINDS: Final = (
    "state_owned", "joint_stock", "city_commercial", "rural", "internet", "consumer_finance",
)  # fmt: skip
KIND_ALIASES: Final[dict[str, str]] = {
    "国有": "state_owned", "国有大型商业银行": "state_owned", "股份制": "joint_stock",
    "股份制商业银行": "joint_stock", "城商行": "city_commercial", "城市商业银行": "city_commercial",
    "农商行": "rural", "农村商业银行": "rural", "互联网银行": "internet",
    "消费金融": "consumer_finance", "消费金融公司": "consumer_finance",
}  # fmt: skip

#: Columns of a market-size file (required ones first) and the Chinese headers accepted for them.
SIZE_REQUIRED: Final = ("product_line", "region", "period", "total_balance_yuan", "source")
SIZE_OPTIONAL: Final = ("new_lending_yuan", "note")
COMPETITOR_REQUIRED: Final = (
    "competitor", "product", "product_line", "subtype", "min_annual_rate", "max_amount_yuan",
    "max_term_months", "observed_on", "source",
)  # fmt: skip
COMPETITOR_OPTIONAL: Final = ("competitor_kind", "max_annual_rate", "apr", "features")
HEADER_ALIASES: Final[dict[str, str]] = {
    "产品线": "product_line", "地区": "region", "区域": "region", "期间": "period",
    "余额": "total_balance_yuan", "余额(元)": "total_balance_yuan", "贷款余额(元)": "total_balance_yuan",
    "新发放": "new_lending_yuan", "新发放(元)": "new_lending_yuan", "来源": "source", "备注": "note",
    "机构": "competitor", "竞争对手": "competitor", "机构类型": "competitor_kind", "产品": "product",
    "产品名称": "product", "子类": "subtype", "最低年利率": "min_annual_rate",
    "最高年利率": "max_annual_rate", "年化利率": "apr", "最高额度(元)": "max_amount_yuan",
    "最长期限(月)": "max_term_months", "特色": "features", "观察日期": "observed_on",
}  # fmt: skip

MAX_TEXT: Final = {"region": 32, "source": 100, "note": 2000, "competitor": 100, "product": 100}
MAX_RATE: Final = Decimal("0.36")  # 36 %: beyond any lawful loan price, so a typo
MAX_TERM_MONTHS: Final = 480
MAX_FEATURES: Final = 20
_MAX_FEN: Final = 10**18
_FEATURE_SPLIT: Final = re.compile(r"[;；、|｜]")
#: Our APR within this distance of the competitors' median is "at market" (25 basis points).
AT_MARKET_BAND: Final = Decimal("0.0025")

PROBLEMS: Final[dict[str, str]] = {
    "required": "is required",
    "too_long": "must be at most {max} characters",
    "line": "unknown product line {value!s}: write housing, consumer, business or private_banking",
    "period": "is not a period: write a month 2026-10, a quarter 2026Q4, a half 2026H2 or a year",
    "future_period": "period {period} has not begun yet (today is {today})",
    "amount": "must be an amount in yuan with at most 2 decimals, e.g. 1234567.89",
    "positive": "must be more than zero",
    "rate": "must be a rate such as 3.45% or 0.0345, above 0 and at most 36%",
    "rate_order": "the highest rate is below the lowest ({low})",
    "apr_low": "the APR is below the lowest nominal rate ({low}); an APR includes every fee",
    "term": "must be a whole number of months from 1 to 480",
    "subtype": "unknown subtype {value!s}: write one of the catalogue's subtypes",
    "subtype_line": "subtype {subtype} belongs to line {expected}, not {line}",
    "kind": "unknown competitor kind {value!s}",
    "new_competitor": "competitor {name} is not known yet: give its competitor_kind to add it",
    "date": "must be a date such as 2026-11-15",
    "future_date": "the observation date is after today ({today})",
    "features": "at most 20 features, each at most 50 characters",
    "duplicate": "repeats row {other_row} of this file",
    "overlap_file": "period {period} overlaps {other} given in row {other_row} for the same line and region",
    "overlap_stored": (
        "period {period} overlaps {other}, already stored for {line} {region}; correct or remove "
        "the stored figure first"
    ),
}


class Problem(CodedProblem):
    """A problem of market analysis: its ``code`` is a key of :data:`PROBLEMS`."""


def problem(
    field: str, code: str, /, *, row: int | None = None, source: str | None = None, **params: object
) -> Problem:
    """The problem ``code`` of ``field`` (at ``row`` of ``source``), its English text filled."""
    return Problem.of(PROBLEMS, field, code, params, row=row, source=source)


# --- cells ------------------------------------------------------------------------------------------


class _Cells:
    """One row's cells with a problem list that names the row and file."""

    def __init__(self, values: Mapping[str, str], row: int | None, source: str | None) -> None:
        self.values, self.row, self.source = values, row, source
        self.problems: list[Problem] = []

    def add(self, field: str, code: str, **params: object) -> None:
        self.problems.append(problem(field, code, row=self.row, source=self.source, **params))

    def text(self, field: str, *, required: bool = True) -> str | None:
        value = (self.values.get(field) or "").strip()
        if not value:
            if required:
                self.add(field, "required")
            return None
        limit = MAX_TEXT.get(field)
        if limit is not None and len(value) > limit:
            self.add(field, "too_long", max=limit)
            return None
        return value

    def choice(self, field: str, allowed: Sequence[str], aliases: Mapping[str, str], code: str) -> str | None:  # fmt: skip
        value = self.text(field)
        if value is None:
            return None
        found = value.lower() if value.lower() in allowed else aliases.get(value)
        if found is None:
            self.add(field, code, value=value[:40])
        return found

    def fen(self, field: str, *, required: bool = True) -> int | None:
        value = self.text(field, required=required)
        if value is None:
            return None
        try:
            fen = parse_fen(value)
        except ValueError:
            self.add(field, "amount")
            return None
        if fen <= 0:
            self.add(field, "positive")
            return None
        return fen

    def rate(self, field: str, *, required: bool = True) -> Decimal | None:
        value = self.text(field, required=required)
        if value is None:
            return None
        try:
            rate = parse_rate(value)
        except DomainError:
            rate = Decimal(-1)
        if not 0 < rate <= MAX_RATE:
            self.add(field, "rate")
            return None
        return rate


def parse_fen(text: str) -> int:
    """``"1,234,567.8"`` / ``"¥12.34"`` yuan → fen; ValueError beyond 2 decimals or not a number."""
    cleaned = re.sub(r"[\s,，¥￥元]", "", text)
    if not re.fullmatch(r"-?\d+(\.\d{1,2})?", cleaned):
        raise ValueError(f"not an amount in yuan: {text!r}")
    try:
        fen = int((Decimal(cleaned) * 100).to_integral_value(rounding=ROUND_HALF_UP))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(text) from exc
    if abs(fen) > _MAX_FEN:
        raise ValueError(f"not an amount in yuan: {text!r}")
    return fen


def canonical_headers(headers: Iterable[str]) -> list[str]:
    """Header cells mapped to our column names (Chinese aliases, any case, spaces ignored)."""
    out = []
    for header in headers:
        key = header.strip().replace("（", "(").replace("）", ")").replace(" ", "")
        out.append(HEADER_ALIASES.get(key, key.lower()))
    return out


# --- market sizes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeDraft:
    product_line: str
    region: str
    period: Period
    total_balance_fen: int
    new_lending_fen: int | None
    source: str
    note: str | None
    row: int | None = None


def validate_size(
    values: Mapping[str, str], *, today: date, row: int | None = None, source: str | None = None
) -> tuple[SizeDraft | None, list[Problem]]:
    """One market-size row → a draft, or every problem of the row."""
    cells = _Cells(values, row, source)
    line = cells.choice("product_line", LINES, LINE_ALIASES, "line")
    region = cells.text("region")
    period: Period | None = None
    label = cells.text("period")
    if label is not None:
        try:
            period = parse_period(label)
        except DomainError:
            cells.add("period", "period")
        if period is not None and period.start > today:
            cells.add("period", "future_period", period=period.label, today=today.isoformat())
            period = None
    total = cells.fen("total_balance_yuan")
    new = cells.fen("new_lending_yuan", required=False)
    origin = cells.text("source")
    note = cells.text("note", required=False)
    if cells.problems or line is None or region is None or period is None:
        return None, cells.problems
    if total is None or origin is None:  # pragma: no cover - a problem was recorded
        return None, cells.problems
    return SizeDraft(line, region, period, total, new, origin, note, row), []


@dataclass(frozen=True)
class SizeCheck:
    """What an import does with each draft: ``updates`` are indexes of drafts whose line, region
    and period are already stored (the stored figure is replaced); ``rejected`` the problems of
    drafts refused for duplicating or overlapping another period; the rest are new."""

    updates: frozenset[int]
    rejected: dict[int, Problem]


def check_overlaps(
    drafts: Sequence[SizeDraft],
    stored: Mapping[tuple[str, str], Sequence[Period]],
    *,
    source: str | None = None,
) -> SizeCheck:
    """Refuse periods that overlap another of the same line and region: an earlier draft of the
    file (the same period twice is a duplicate) or a stored figure of a different period (the same
    period stored is an update). Drafts are taken in order; a refused one does not block others."""
    taken: dict[tuple[str, str], list[tuple[Period, int | None]]] = {}
    updates: set[int] = set()
    rejected: dict[int, Problem] = {}
    for index, d in enumerate(drafts):
        key = (d.product_line, d.region)
        earlier = next(((p, r) for p, r in taken.get(key, []) if p.overlaps(d.period)), None)
        if earlier is not None:
            period, row = earlier
            code, params = ("duplicate", {}) if period == d.period else ("overlap_file", {
                "period": d.period.label, "other": period.label})  # fmt: skip
            rejected[index] = problem(
                "period", code, row=d.row, source=source, **params, other_row=row or "?"
            )
            continue
        clash = next((p for p in stored.get(key, ()) if p != d.period and p.overlaps(d.period)), None)  # fmt: skip
        if clash is not None:
            rejected[index] = problem(
                "period", "overlap_stored", row=d.row, source=source, period=d.period.label,
                other=clash.label, line=d.product_line, region=d.region,
            )  # fmt: skip
            continue
        if d.period in stored.get(key, ()):
            updates.add(index)
        taken.setdefault(key, []).append((d.period, d.row))
    return SizeCheck(frozenset(updates), rejected)


# --- competitor products ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductDraft:
    competitor: str
    competitor_kind: str | None
    name: str
    product_line: str
    subtype: str
    min_annual_rate: Decimal
    max_annual_rate: Decimal | None
    apr: Decimal | None
    max_amount_fen: int
    max_term_months: int
    features: tuple[str, ...]
    observed_on: date
    source: str
    row: int | None = None


def parse_day(text: str) -> date:
    """``2026-11-15`` or ``2026/11/15`` (or ``2026年11月15日``) → date; ValueError otherwise."""
    match = re.fullmatch(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?", text.strip())
    if not match:
        raise ValueError(f"not a date: {text!r}")
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def split_features(text: str | None) -> tuple[str, ...] | None:
    """``"线上秒批；随借随还"`` → its features (order kept, repeats dropped); None when too many."""
    parts = [p.strip() for p in _FEATURE_SPLIT.split(text or "") if p.strip()]
    unique = tuple(dict.fromkeys(parts))
    if len(unique) > MAX_FEATURES or any(len(p) > 50 for p in unique):
        return None
    return unique


def validate_product(
    values: Mapping[str, str],
    *,
    today: date,
    known_competitors: Iterable[str],
    row: int | None = None,
    source: str | None = None,
) -> tuple[ProductDraft | None, list[Problem]]:
    """One competitor-product row → a draft, or every problem of the row. A competitor not yet
    known (by name or short name) needs its ``competitor_kind`` to be added."""
    cells = _Cells(values, row, source)
    competitor = cells.text("competitor")
    kind = None
    if (values.get("competitor_kind") or "").strip():
        kind = cells.choice("competitor_kind", COMPETITOR_KINDS, KIND_ALIASES, "kind")
    elif competitor is not None and competitor not in set(known_competitors):
        cells.add("competitor_kind", "new_competitor", name=competitor)
    name = cells.text("product")
    line = cells.choice("product_line", LINES, LINE_ALIASES, "line")
    subtype = cells.choice("subtype", tuple(SUBTYPE_LINE), {}, "subtype")
    if line and subtype and SUBTYPE_LINE[subtype] != line:
        cells.add("subtype", "subtype_line", subtype=subtype, expected=SUBTYPE_LINE[subtype], line=line)  # fmt: skip
    low = cells.rate("min_annual_rate")
    high = cells.rate("max_annual_rate", required=False)
    apr = cells.rate("apr", required=False)
    if low is not None and high is not None and high < low:
        cells.add("max_annual_rate", "rate_order", low=f"{low * 100:.2f}%")
    if low is not None and apr is not None and apr < low:
        cells.add("apr", "apr_low", low=f"{low * 100:.2f}%")
    amount = cells.fen("max_amount_yuan")
    term = _term(cells)
    observed = _observed(cells, today)
    features = split_features(values.get("features"))
    if features is None:
        cells.add("features", "features")
    origin = cells.text("source")
    if cells.problems or competitor is None or name is None or line is None or subtype is None:
        return None, cells.problems
    if low is None or amount is None or term is None or observed is None:  # pragma: no cover
        return None, cells.problems
    if origin is None or features is None:  # pragma: no cover - a problem was recorded
        return None, cells.problems
    return ProductDraft(competitor, kind, name, line, subtype, low, high, apr, amount, term,
                        features, observed, origin, row), []  # fmt: skip


def _term(cells: _Cells) -> int | None:
    value = cells.text("max_term_months")
    if value is None:
        return None
    if not value.isdecimal() or not 1 <= int(value) <= MAX_TERM_MONTHS:
        cells.add("max_term_months", "term")
        return None
    return int(value)


def _observed(cells: _Cells, today: date) -> date | None:
    value = cells.text("observed_on")
    if value is None:
        return None
    try:
        day = parse_day(value)
    except ValueError:
        cells.add("observed_on", "date")
        return None
    if day > today:
        cells.add("observed_on", "future_date", today=today.isoformat())
        return None
    return day


def duplicate_products(drafts: Sequence[ProductDraft], *, source: str | None = None) -> dict[int, Problem]:  # fmt: skip
    """Drafts that repeat an earlier one's competitor, product and observation date."""
    seen: dict[tuple[str, str, date], int | None] = {}
    out: dict[int, Problem] = {}
    for index, d in enumerate(drafts):
        key = (d.competitor, d.name, d.observed_on)
        if key in seen:
            out[index] = problem("product", "duplicate", row=d.row, source=source, other_row=seen[key] or "?")  # fmt: skip
        else:
            seen[key] = d.row
    return out


# --- rate positioning -------------------------------------------------------------------------------

Position = Literal["cheaper", "at_market", "dearer"]


@dataclass(frozen=True)
class RangeStats:
    count: int
    minimum: Decimal
    median: Decimal
    maximum: Decimal


def median(values: Sequence[Decimal]) -> Decimal:
    """The middle value (the mean of the two middle ones for an even count); ValueError if empty."""
    if not values:
        raise ValueError("median of no values")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def range_stats(values: Sequence[Decimal]) -> RangeStats | None:
    if not values:
        return None
    return RangeStats(len(values), min(values), median(values), max(values))


def percentile_rank(value: Decimal, values: Sequence[Decimal]) -> Decimal | None:
    """Mid-rank percentile of ``value`` among ``values``: (below + ties / 2) / n, a fraction
    0..1 (0 = cheaper than every competitor, 1 = dearer than every one); None when empty."""
    if not values:
        return None
    below = sum(1 for v in values if v < value)
    ties = sum(1 for v in values if v == value)
    return (Decimal(below) + Decimal(ties) / 2) / len(values)


def position(ours: Decimal, stats: RangeStats, band: Decimal = AT_MARKET_BAND) -> Position:
    """Cheaper / at market / dearer: our APR against the competitors' median, ± ``band``."""
    if ours < stats.median - band:
        return "cheaper"
    if ours > stats.median + band:
        return "dearer"
    return "at_market"


def growth(current: int | None, previous: int | None) -> Decimal | None:
    """Relative change ``current / previous − 1``; None when either is missing or previous is 0."""
    if current is None or not previous:
        return None
    return Decimal(current) / Decimal(previous) - 1
