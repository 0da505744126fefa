"""The KPI suite (指标体系): every KPI by period and dimension, defined once.

``compute(session, period, codes=..., dimension=..., where=...)`` returns one ``KpiValue`` per KPI
and slice. The definitions (names, formulas, units, the dimensions each KPI can be cut by) are data
in ``kpi_rules``; the SQL is in ``repository_kpis``. The dashboard, appraisal, the service and
market pages and the generated work plan all read their KPIs here.

Keys of the dimensions: ``all`` → ``all``; ``branch`` → branch code (label: its name); ``product``
→ product code; ``channel`` → the channel value (``customers.models.Channel``); ``segment`` → the
segment code of the current *rule* segmentation run (age band × occupation × income band, e.g.
``young.company_employee.middle``); ``manager`` → the staff member's employee no (label: name);
``region`` → the province of the branch (as ``market_sizes.region``); ``product_line`` → the
product type (``market.models.ProductLine``). Rows nothing could be attributed to have key
``none``. A KPI that cannot be cut by a dimension (see ``KpiDefinition.dimensions``) has no rows
for it.

Managers are those *at the time*: the manager recorded on the application or loan (the customer's
manager when it was booked), the survey response's ``staff_id`` (the manager when it was answered),
and, for retention, the portfolio assignment in force on the period's first day.

Stocks "at period end" (balances, NPL, overdue principal, our side of the market share) are read
from the last daily close's snapshot in the period once the period has ended; while it runs
(``period.start <= today < period.end``) from the live book, exactly as the headline and the
dashboard read them. A period that starts after ``today`` has no stock values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from loanpilot.evaluation import kpi_rules, kpis_campaigns, kpis_market
from loanpilot.evaluation import repository_kpis as repo
from loanpilot.evaluation import repository_kpis_stocks as stocks
from loanpilot.evaluation.kpi_rules import (
    ALL_KEY,
    CHANNEL_NAMES,
    DIMENSIONS,
    KPI_CODES,
    NONE_KEY,
    PRODUCT_LINE_NAMES,
    KpiDefinition,
)
from loanpilot.evaluation.repository import Slice
from loanpilot.evaluation.service import NPL_CLASSES, ensure_schema, start_instant
from loanpilot.kit.clock import SHANGHAI, business_today
from loanpilot.kit.periods import Period

__all__ = [
    "DIMENSIONS",
    "KPI_CODES",
    "KpiDefinition",
    "KpiValue",
    "Slice",
    "compute",
    "definition",
    "source",
]


@dataclass(frozen=True)
class KpiValue:
    """One KPI for one period and slice. Ratios keep numerator and denominator (sum them across
    the keys of a dimension to re-aggregate); counts and money have only ``value`` (fen for money,
    an integral Decimal)."""

    code: str
    period: str
    dimension: str
    key: str
    label: str
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None


def definition(code: str) -> KpiDefinition:
    """The definition of KPI ``code`` (ValidationError for an unknown code)."""
    return kpi_rules.definition(code)


def source(code: str, period: Period, dimension: str = "all") -> str:
    """The query behind a figure, rerunnable as ``loanpilot kpi show --code C --period P --by D``."""
    return f"kpi:{code} period={period.label} by={dimension}"


class _Labels:
    """Maps raw keys (branch id, product id, staff id, channel, segment code) to (key, label)."""

    def __init__(self, session: Session, segment_run: int | None) -> None:
        self.session = session
        self.branches = stocks.branches(session)
        self.products = stocks.products(session)
        self.segments = stocks.segment_names(session, segment_run)
        self.staff: dict[int, tuple[str, str]] = {}

    def load_staff(self, ids: Sequence[int]) -> None:
        missing = [i for i in ids if i is not None and i not in self.staff]
        self.staff.update(stocks.staff(self.session, missing))

    def key(self, dimension: str, raw: object) -> tuple[str, str]:
        if dimension == "all":
            return ALL_KEY, "全行"
        if raw is None:
            return NONE_KEY, "未归属"
        if dimension == "branch":
            code, name, _ = self.branches.get(int(str(raw)), (str(raw), str(raw), ""))
            return code, name
        if dimension == "region":
            if isinstance(raw, str) and not raw.isdigit():
                return raw, raw
            _, _, province = self.branches.get(int(str(raw)), ("", "", ""))
            return (province, province) if province else (NONE_KEY, "未归属")
        if dimension == "product":
            code, name, _ = self.products.get(int(str(raw)), (str(raw), str(raw), ""))
            return code, name
        if dimension == "product_line":
            if isinstance(raw, str) and not raw.isdigit():
                line = raw
            else:
                line = self.products.get(int(str(raw)), ("", "", ""))[2]
            return (line, PRODUCT_LINE_NAMES.get(line, line)) if line else (NONE_KEY, "未归属")
        if dimension == "channel":
            value = str(getattr(raw, "value", raw))
            return value, CHANNEL_NAMES.get(value, value)
        if dimension == "manager":
            no, name = self.staff.get(int(str(raw)), (str(raw), str(raw)))
            return no, name
        if dimension == "segment":
            return str(raw), self.segments.get(str(raw), str(raw))
        raise ValueError(dimension)  # pragma: no cover


@dataclass
class _Context:
    session: Session
    period: Period
    today: date
    tz: ZoneInfo
    where: Slice
    run: int | None
    labels: _Labels
    _close: tuple[bool, date | None] | None = None

    @property
    def instants(self) -> tuple[object, object]:
        return start_instant(self.period.start, self.tz), start_instant(self.period.end, self.tz)

    @property
    def running(self) -> bool:
        return self.period.start <= self.today < self.period.end

    def stock_at(self) -> tuple[bool, date | None]:
        """(has a value, snapshot date or None for the live book) for stocks at period end."""
        if self._close is None:
            if self.period.start > self.today:
                self._close = (False, None)
            elif self.running:
                self._close = (True, None)
            else:
                day = stocks.last_close(self.session, self.period.start, self.period.end)
                self._close = (day is not None, day)
        return self._close


Rows = list[repo.Row]


def _fold(ctx: _Context, code: str, dimension: str, rows: Rows) -> list[KpiValue]:
    """Merge raw rows into keys (regions, product lines fold several raw keys) and make values."""
    if dimension == "manager":
        ctx.labels.load_staff([r[0] for r in rows if r[0] is not None])
    labels: dict[str, str] = {}
    nums: dict[str, int] = {}
    dens: dict[str, int] = {}
    for raw, num, den in rows:
        key, label = ctx.labels.key(dimension, raw)
        labels.setdefault(key, label)
        nums[key] = nums.get(key, 0) + num
        dens[key] = dens.get(key, 0) + (den or 0)
    d = kpi_rules.DEFINITIONS[code]
    out = []
    for key in sorted(labels, key=lambda k: (k == NONE_KEY, k)):
        label = labels[key]
        numerator = Decimal(nums[key])
        if d.ratio:
            denominator = Decimal(dens[key])
            if dimension != "all" and numerator == 0 and denominator == 0:
                continue
            value = kpi_rules.ratio_value(numerator, denominator)
            out.append(
                KpiValue(
                    code,
                    ctx.period.label,
                    dimension,
                    key,
                    str(label),
                    value,
                    numerator,
                    denominator,
                )
            )
        else:
            if dimension != "all" and numerator == 0:
                continue
            out.append(
                KpiValue(code, ctx.period.label, dimension, key, str(label), numerator, None, None)
            )
    return out


def _flow(fn: Callable[..., Rows], instants: bool) -> Callable[[_Context, str], Rows]:
    def measure(ctx: _Context, dimension: str) -> Rows:
        if instants:
            start, end = ctx.instants
        else:
            start, end = ctx.period.start, ctx.period.end
        return fn(ctx.session, start, end, dimension, ctx.where, ctx.run)

    return measure


def _npl(ctx: _Context, dimension: str) -> Rows | None:
    ok, day = ctx.stock_at()
    if not ok:
        return None
    return stocks.npl_balance(ctx.session, day, sorted(NPL_CLASSES), dimension, ctx.where, ctx.run)


def _overdue(ctx: _Context, dimension: str) -> Rows | None:
    ok, day = ctx.stock_at()
    if not ok:
        return None
    over = stocks.overdue_principal(ctx.session, day, ctx.today, dimension, ctx.where, ctx.run)
    balance = stocks.npl_balance(
        ctx.session, day, sorted(NPL_CLASSES), dimension, ctx.where, ctx.run
    )
    overdue = {raw: num for raw, num, _ in over}
    return [(raw, overdue.get(raw, 0), den) for raw, _, den in balance]


def _market_share(ctx: _Context, dimension: str) -> Rows | None:
    ok, day = ctx.stock_at()
    if not ok:
        return None
    return kpis_market.market_share_rows(
        ctx.session,
        ctx.period,
        day,
        dimension,
        ctx.where,
        branches=ctx.labels.branches,
        products=ctx.labels.products,
    )


def _campaign_roi(ctx: _Context, dimension: str) -> Rows | None:
    return kpis_campaigns.campaign_roi_rows(
        ctx.session, ctx.period, ctx.today, dimension, ctx.where
    )


_MEASURES: dict[str, Callable[[_Context, str], Rows | None]] = {
    "applications": _flow(repo.applications, True),
    "approval_rate": _flow(repo.approvals, True),
    "disbursed_fen": _flow(repo.disbursed, False),
    "new_customers": _flow(repo.new_customers, False),
    "satisfaction": _flow(repo.satisfaction, True),
    "nps": _flow(repo.nps, True),
    "market_share": _market_share,
    "retention": _flow(stocks.retention, False),
    "referral_rate": _flow(repo.referrals, True),
    "npl_ratio": _npl,
    "overdue_rate": _overdue,
    "campaign_roi": _campaign_roi,
}


def compute(
    session: Session,
    period: Period,
    *,
    codes: Sequence[str] | None = None,
    dimension: str = "all",
    where: Slice | None = None,
    today: date | None = None,
    tz: ZoneInfo = SHANGHAI,
) -> list[KpiValue]:
    """The KPIs ``codes`` (all by default) for ``period`` cut by ``dimension``, restricted to
    ``where`` (a viewer's scope or a filter). ``today`` (business date, default now in Shanghai)
    decides whether stocks come from the live book or the period's last close.

    The ``all`` dimension has one row per KPI that applies (value None when a ratio has no
    denominator, or a stock has no snapshot); other dimensions list only the keys with data.
    Raises ValidationError for an unknown code or dimension. Reads only.
    """
    wanted = kpi_rules.check_codes(codes)
    kpi_rules.check_dimension(dimension)
    ensure_schema(session)
    run = repo.current_segment_run(session) if dimension == "segment" else None
    ctx = _Context(
        session=session,
        period=period,
        today=today or business_today(tz),
        tz=tz,
        where=where or Slice(),
        run=run,
        labels=_Labels(session, run),
    )
    out: list[KpiValue] = []
    for code in wanted:
        if not kpi_rules.applies(code, dimension):
            continue
        rows = _MEASURES[code](ctx, dimension)
        if rows is None:
            if dimension == "all":
                out.append(KpiValue(code, period.label, "all", ALL_KEY, "全行", None, None, None))
            continue
        if dimension == "all" and not rows:
            rows = [(None, 0, 0 if kpi_rules.DEFINITIONS[code].ratio else None)]
        out.extend(_fold(ctx, code, dimension, rows))
    return out


def by_code(values: Sequence[KpiValue]) -> dict[str, list[KpiValue]]:
    """Group values by KPI code, in suite order."""
    grouped: dict[str, list[KpiValue]] = {code: [] for code in KPI_CODES}
    for v in values:
        grouped[v.code].append(v)
    return {k: v for k, v in grouped.items() if v}
