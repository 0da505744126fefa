"""The market-analysis chapter (市场分析) of the generated work plan: market size and growth by
product line, our share by line and region and its change, and competitors' rates against ours.

Every number is a Figure, a Table cell or a Chart point carrying its ``source``: market sizes as
``market.sizes period=P`` (rerun with ``loanpilot market sizes --period P``), shares as the KPI
suite's ``kpi:market_share period=P by=D`` (through ``market.share``), positioning as
``market.positioning as_of=D`` (``loanpilot market positioning --as-of D``). The paragraphs are
templates on the figures' keys.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from loanpilot.evaluation.plan_common import (
    NO_COMPETITOR,
    POSITIONS,
    named,
    period_name,
    region_name,
)
from loanpilot.evaluation.plan_types import Chart, Column, Figure, Section, Series, Table, Value
from loanpilot.kit.periods import Period
from loanpilot.market import market_rules as rules
from loanpilot.market import positioning as pos
from loanpilot.market import service
from loanpilot.market import share as shares

LINE_NAMES = {
    "housing": ("住房贷款", "Housing"), "consumer": ("消费贷款", "Consumer"),
    "business": ("个人经营贷款", "Business"), "private_banking": ("私人银行", "Private banking"),
}  # fmt: skip
POSITION_NAMES = {k: zh for k, (zh, _en) in POSITIONS.items()}
TREND_PERIODS = 6


def _i(lang: str) -> int:
    return 0 if lang == "zh" else 1


def _subtype(code: str, lang: str) -> str:
    return rules.SUBTYPE_NAMES.get(code, (code, code))[_i(lang)]


def _sizes_source(period: Period) -> str:
    return f"market.sizes period={period.label}"


def _points(new: Decimal | None, old: Decimal | None) -> Decimal | None:
    """A change of share (a fraction, shown in percentage points: unit ``pp``), taken between the
    shares as shown (to 0.01 %), so that 5.26 % against 4.60 % reads as 0.66 points."""
    if new is None or old is None:
        return None
    shown = Decimal("0.0001")
    return new.quantize(shown, ROUND_HALF_UP) - old.quantize(shown, ROUND_HALF_UP)


def _line_table(session: Session, period: Period, today: date, lang: str) -> tuple[Table, list[Figure], list[service.LineSize]]:  # fmt: skip
    now = {s.product_line: s for s in service.line_sizes(session, period)}
    before = {s.product_line: s for s in service.line_sizes(session, period.previous())}
    last_year = {s.product_line: s for s in service.line_sizes(session, period.same_period_last_year())}  # fmt: skip
    share_now = {s.key: s for s in shares.shares(session, period, "product_line", today=today)}
    share_before = {
        s.key: s for s in shares.shares(session, period.previous(), "product_line", today=today)
    }
    rows: list[tuple[Value, ...]] = []
    for line, size in now.items():
        prev, yoy = before.get(line), last_year.get(line)
        s_now, s_prev = share_now.get(line), share_before.get(line)
        rows.append((
            LINE_NAMES[line][_i(lang)], size.total_balance_fen, size.new_lending_fen,
            rules.growth(size.total_balance_fen, prev.total_balance_fen if prev else None),
            rules.growth(size.total_balance_fen, yoy.total_balance_fen if yoy else None),
            s_now.value if s_now else None,
            _points(s_now.value if s_now else None, s_prev.value if s_prev else None),
        ))  # fmt: skip
    table = Table(
        "各产品线市场规模与本行份额", "Market size and our share by product line",
        (Column("产品线", "Product line"), Column("市场余额", "Market balance", "fen"),
         Column("本期新发放", "New lending", "fen"), Column("环比增长", "vs previous", "pct"),
         Column("同比增长", "vs last year", "pct"), Column("本行份额", "Our share", "pct"),
         Column("份额变动", "Share change", "pp")),
        tuple(rows),
        f"{_sizes_source(period)}; {_sizes_source(period.previous())}; "
        f"{_sizes_source(period.same_period_last_year())}; "
        f"kpi:market_share period={period.label} by=product_line; "
        f"kpi:market_share period={period.previous().label} by=product_line",
    )  # fmt: skip
    total = sum(s.total_balance_fen for s in now.values())
    total_before = sum(s.total_balance_fen for s in before.values()) or None
    figures = [
        Figure("period", "期间", "Period", period_name(period, lang),
               "text", f"period={period.label}"),
        Figure("market_total", "市场余额合计", "Total market balance", total, "fen",
               _sizes_source(period)),
        Figure("market_growth", "市场余额环比增长", "Market growth vs previous period",
               rules.growth(total, total_before), "pct",
               f"{_sizes_source(period)} vs {_sizes_source(period.previous())}"),
    ]  # fmt: skip
    if now:
        largest = max(now.values(), key=lambda s: s.total_balance_fen)
        figures += [
            Figure("largest_line", "最大产品线", "Largest line",
                   LINE_NAMES[largest.product_line][_i(lang)],
                   "text", _sizes_source(period)),
            Figure("largest_line_share_of_market", "最大产品线占市场比重",
                   "Largest line's part of the market",
                   Decimal(largest.total_balance_fen) / total if total else None, "pct",
                   _sizes_source(period)),
        ]  # fmt: skip
    return table, figures, list(now.values())


def _region_table(session: Session, period: Period, today: date, lang: str) -> tuple[Table, list[Figure]]:  # fmt: skip
    now = shares.shares(session, period, "region", today=today)
    before = {s.key: s for s in shares.shares(session, period.previous(), "region", today=today)}
    overall = shares.shares(session, period, "all", today=today)
    overall_before = shares.shares(session, period.previous(), "all", today=today)
    rows: list[tuple[Value, ...]] = []
    for s in now:
        prev = before.get(s.key)
        rows.append((region_name(s.label, lang), s.ours_fen, s.market_fen, s.value, prev.value if prev else None,
                     _points(s.value, prev.value if prev else None)))  # fmt: skip
    table = Table(
        "各地区本行市场份额", "Our market share by region",
        (Column("地区", "Region"), Column("本行余额", "Our balance", "fen"),
         Column("市场余额", "Market balance", "fen"), Column("本期份额", "Share", "pct"),
         Column("上期份额", "Previous share", "pct"),
         Column("变动", "Change", "pp")),
        tuple(rows),
        f"{now[0].source if now else shares.KPI_CODE}; "
        f"kpi:market_share period={period.previous().label} by=region",
    )  # fmt: skip
    value = overall[0].value if overall else None
    prev_value = overall_before[0].value if overall_before else None
    src = overall[0].source if overall else f"kpi:market_share period={period.label} by=all"
    figures = [
        Figure("share_all", "本行市场份额", "Our market share", value, "pct", src),
        Figure("share_all_prev", "上期市场份额", "Previous share", prev_value, "pct",
               f"kpi:market_share period={period.previous().label} by=all"),
        Figure("share_change", "份额变动", "Share change",
               _points(value, prev_value), "pp", f"{src}; period={period.previous().label}"),
    ]  # fmt: skip
    known = [s for s in now if s.value is not None]
    if known:
        best = max(known, key=lambda s: s.value or 0)
        worst = min(known, key=lambda s: s.value or 0)
        figures += [
            Figure("best_region", "份额最高地区", "Region with the highest share",
                   region_name(best.label, lang),
                   "text", best.source),
            Figure("best_region_share", "最高地区份额", "Its share", best.value, "pct",
                   best.source),
            Figure("worst_region", "份额最低地区", "Region with the lowest share",
                   region_name(worst.label, lang),
                   "text", worst.source),
            Figure("worst_region_share", "最低地区份额", "Its share", worst.value, "pct",
                   worst.source),
        ]  # fmt: skip
    return table, figures


def _trend_chart(session: Session, period: Period, today: date, lang: str) -> Chart:
    periods = shares.last_periods(period, TREND_PERIODS)
    values = shares.trend(session, periods, "region", today=today)
    regions = sorted({v.key for v in values})
    found = {(v.period, v.key): v.value for v in values}
    return Chart(
        "本行市场份额趋势（按地区）", "Our market share by region",
        "line", tuple(p.label for p in periods),
        tuple(Series(r, region_name(r, lang), tuple(found.get((p.label, r)) for p in periods))
              for r in regions),
        "pct",
        f"kpi:market_share period={periods[0].label}..{periods[-1].label} by=region",
    )  # fmt: skip


def _positioning(session: Session, as_of: date, lang: str) -> tuple[Table, Chart, list[Figure]]:
    rows = pos.positioning(session, as_of)
    source = f"market.positioning as_of={as_of.isoformat()}"
    placed = [r for r in rows if r.competitors is not None and r.our_apr is not None]
    table = Table(
        "本行产品与竞品年化利率对比", "Our APR against competitors'",
        (Column("产品", "Product"), Column("本行APR", "Our APR", "rate"),
         Column("竞品最低", "Competitors' min", "rate"), Column("竞品中位数", "Median", "rate"),
         Column("竞品最高", "Max", "rate"), Column("竞品数", "Products", "count"),
         Column("百分位", "Percentile", "pct"), Column("定位", "Position")),
        tuple((named(lang, r.name_zh, r.name_en), r.our_apr, r.competitors.minimum,
               r.competitors.median, r.competitors.maximum, r.competitors.count, r.percentile,
               POSITIONS[r.position][_i(lang)] if r.position else NO_COMPETITOR[_i(lang)])
              for r in placed if r.competitors is not None),
        source,
    )  # fmt: skip
    points = pos.chart_points(rows)
    chart = Chart(
        "本行与竞品年化利率（按子类）", "Our APR vs competitors' median by subtype", "bar",
        tuple(_subtype(p.subtype, lang) for p in points),
        (Series("本行最低APR", "Our APR", tuple(p.our_apr for p in points)),
         Series("竞品中位数", "Competitors' median", tuple(p.competitors.median for p in points))),
        "rate", source,
    )  # fmt: skip
    gaps = pos.gaps(session, as_of)
    count = {k: sum(1 for r in placed if r.position == k) for k in POSITION_NAMES}
    figures = [
        Figure("positioned", "参与比较的产品数", "Products compared", len(placed), "count", source),
        Figure("cheaper", "低于市场的产品数", "Cheaper than market", count["cheaper"], "count", source),
        Figure("at_market", "与市场持平的产品数", "At market", count["at_market"], "count", source),
        Figure("dearer", "高于市场的产品数", "Dearer than market", count["dearer"], "count", source),
        Figure("gap_count", "竞品有而本行无的子类数", "Subtypes we lack", len(gaps), "count",
               f"market.gaps as_of={as_of.isoformat()}"),
    ]  # fmt: skip
    if gaps:
        figures.append(Figure(
            "gap_list", "空白子类", "Subtypes we lack",
            ("、" if lang == "zh" else ", ").join(_subtype(g.subtype, lang) for g in gaps), "text",
            f"market.gaps as_of={as_of.isoformat()}"))  # fmt: skip
    return table, chart, figures


def plan_section(session: Session, period: Period, as_of: date, *, lang: str = "zh") -> Section:
    """The market chapter for ``period`` (stocks at its end, shares as the KPI suite computes them
    on ``as_of``), with competitors' latest rates as of ``as_of``; names in ``lang``."""
    line_table, line_figures, lines = _line_table(session, period, as_of, lang)
    region_table, region_figures = _region_table(session, period, as_of, lang)
    pos_table, pos_chart, pos_figures = _positioning(session, as_of, lang)
    size_chart = Chart(
        "各产品线市场余额", "Market balance by product line", "bar",
        tuple(LINE_NAMES[s.product_line][_i(lang)] for s in lines),
        (Series("市场余额", "Market balance", tuple(s.total_balance_fen for s in lines)),),
        "fen", _sizes_source(period),
    )  # fmt: skip
    figures = (*line_figures, *region_figures, *pos_figures)
    keys = {f.key for f in figures}
    zh1 = [
        "{period}末，本行经营地区个人贷款市场余额合计{market_total}，较上期变动{market_growth}。"
    ]
    en1 = ["At the end of {period} the personal-loan market of our regions held {market_total}, "
           "a change of {market_growth} on the previous period."]  # fmt: skip
    if "largest_line" in keys:
        zh1.append("其中{largest_line}占市场的{largest_line_share_of_market}，是最大的产品线。")
        en1.append("{largest_line} is the largest line, {largest_line_share_of_market} of it.")
    zh2 = ["本行市场份额为{share_all}（上期{share_all_prev}），变动{share_change}。"]
    en2 = ["Our share is {share_all} (previous period {share_all_prev}), a change of "
           "{share_change}."]  # fmt: skip
    if "best_region" in keys:
        zh2.append("分地区看，{best_region}份额最高（{best_region_share}），"
                   "{worst_region}最低（{worst_region_share}），是下一阶段拓展的重点。")  # fmt: skip
        en2.append(
            "By region, {best_region} has the highest share ({best_region_share}) and "
            "{worst_region} the lowest ({worst_region_share}): the next push goes there."
        )
    zh3 = ("利率定位方面，{positioned}个产品可与竞品比较：{cheaper}个低于市场中位数，"
           "{at_market}个与市场持平，{dearer}个高于市场；"
           + ("竞品已开办而本行尚无的子类{gap_count}个（{gap_list}）。" if "gap_list" in keys
              else "竞品已开办的产品子类本行均已覆盖。"))  # fmt: skip
    en3 = ("Of {positioned} products compared with competitors, {cheaper} are cheaper than "
           "the market median, {at_market} at market and {dearer} dearer; "
           + ("competitors offer {gap_count} subtypes we do not ({gap_list})." if "gap_list" in keys
              else "we offer every subtype our competitors do."))  # fmt: skip
    notes = []
    if not lines:
        notes.append(
            f"{period.label_zh()}无市场规模数据，请先录入或导入（loanpilot market import-sizes）。"
            if lang == "zh"
            else f"No market sizes for {period.label}: enter or import them "
            "first (loanpilot market import-sizes)."
        )
    return Section(
        key="market", title_zh="市场分析", title_en="Market analysis",
        paragraphs_zh=("".join(zh1), "".join(zh2), zh3),
        paragraphs_en=(" ".join(en1), " ".join(en2), en3),
        figures=figures, tables=(line_table, region_table, pos_table),
        charts=(size_chart, _trend_chart(session, period, as_of, lang), pos_chart),
        notes=tuple(notes),
    )  # fmt: skip
