"""Chapter 3 of the work plan, product strategy (产品策略): the active catalogue with today's rate
range and APR (as ``products.service.catalogue_entries`` computes it, by IRR over all interest and
fees), the period's applications and disbursements by product (the KPI suite, dimension
``product``), each product's APR against the competitors of its subtype
(``market.positioning.positioning``) and the subtypes competitors offer that we do not
(``market.positioning.gaps``). The measures follow from the gaps: review the price of products
dearer than the market, keep those cheaper that sell, consider the missing subtypes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.evaluation import kpis
from loanpilot.evaluation.plan_common import (
    NO_COMPETITOR,
    POSITIONS,
    PRODUCT_TYPES,
    Figures,
    named,
    pair,
)
from loanpilot.evaluation.plan_types import Chart, Column, Section, Series, Table
from loanpilot.kit.clock import business_today
from loanpilot.kit.periods import Period
from loanpilot.market import positioning as pos
from loanpilot.market.market_rules import AT_MARKET_BAND, SUBTYPE_NAMES

POSITION_WORDS = POSITIONS
CHART_PRODUCTS = 10


def _by_product(session: Session, period: Period, code: str, today: date) -> dict[str, Decimal]:
    values = kpis.compute(session, period, codes=[code], dimension="product", today=today)
    return {v.key: v.value for v in values if v.value is not None}


def gap(r: pos.ProductPosition) -> Decimal | None:
    """Our APR minus the competitors' median APR (positive: we are dearer)."""
    return r.our_apr - r.competitors.median if r.our_apr is not None and r.competitors else None


def plan_section(
    session: Session, period: Period, as_of: date, *, lang: str = "zh", today: date | None = None
) -> Section:
    today = today or business_today()
    rows = pos.positioning(session, as_of)
    missing = pos.gaps(session, as_of)
    apps = _by_product(session, period, "applications", today)
    paid = _by_product(session, period, "disbursed_fen", today)
    src_pos = f"market.positioning.positioning as_of={as_of.isoformat()} (APR: products.service.catalogue_entries)"
    src_gap = f"market.positioning.gaps as_of={as_of.isoformat()}"
    f = Figures()

    def name(r: pos.ProductPosition) -> str:
        return named(lang, r.name_zh, r.name_en)

    f.add("products", "在售产品数", "Active products", len(rows), "count", src_pos)
    compared = [r for r in rows if r.position is not None and r.competitors is not None]
    dearer = [r for r in compared if r.position == "dearer"]
    cheaper = [r for r in compared if r.position == "cheaper"]
    level = [r for r in compared if r.position == "at_market"]
    f.add(
        "compared",
        "有竞品可比的产品数",
        "Products with competitors",
        len(compared),
        "count",
        src_pos,
    )
    f.add(
        "dearer",
        "利率高于市场的产品数",
        "Products dearer than market",
        len(dearer),
        "count",
        src_pos,
    )
    f.add(
        "cheaper",
        "利率低于市场的产品数",
        "Products cheaper than market",
        len(cheaper),
        "count",
        src_pos,
    )
    f.add("at_market", "利率与市场持平的产品数", "Products at market", len(level), "count", src_pos)
    f.add("band", "视为持平的利率差", "Gap counted as at market", AT_MARKET_BAND, "pp",
          "market.market_rules.AT_MARKET_BAND")  # fmt: skip
    f.add(
        "missing",
        "竞品有而本行未设的产品类型数",
        "Subtypes only competitors offer",
        len(missing),
        "count",
        src_gap,
    )
    worst = max(dearer, key=lambda r: gap(r) or Decimal(0), default=None)
    if worst is not None:
        s = f"{src_pos} product={worst.code}"
        f.add(
            "gap_product",
            "利率差距最大的产品",
            "Product with the largest rate gap",
            name(worst),
            "text",
            s,
        )
        f.add(
            "gap_points",
            "其年化利率高出竞品中位数",
            "Its APR above the competitors' median",
            gap(worst),
            "pp",
            s,
        )
        f.add("gap_our_apr", "其年化利率（APR）", "Its APR", worst.our_apr, "rate", s)
        f.add("gap_market", "竞品年化利率中位数", "Competitors' median APR", worst.competitors.median if worst.competitors else None, "rate", s)  # fmt: skip
    top = max(rows, key=lambda r: paid.get(r.code, Decimal(0)), default=None)
    if top is not None and paid.get(top.code):
        f.add(
            "top_product",
            "本期放款最多的产品",
            "Top product by disbursement",
            name(top),
            "text",
            kpis.source("disbursed_fen", period, "product"),
        )
        f.add("top_paid", "其放款金额", "Its disbursement", paid[top.code], "fen",
              kpis.source("disbursed_fen", period, "product") + f" key={top.code}")  # fmt: skip
    table = Table(
        "产品目录、本期业务量与竞品利率对比", "Catalogue, this period's volume and competitors' rates",
        (Column("产品", "Product"), Column("条线", "Line"), Column("起始年化利率（APR）", "APR from", "rate"),
         Column("本期申请（笔）", "Applications", "count"), Column("本期放款", "Disbursed", "fen"),
         Column("竞品 APR 中位数", "Competitors' median APR", "rate"), Column("竞品数", "Competitors", "count"),
         Column("与竞品中位数之差", "Gap to median", "pp"), Column("定位", "Position")),
        tuple((name(r), pair(PRODUCT_TYPES, r.product_line)[0 if lang == "zh" else 1], r.our_apr,
               apps.get(r.code, 0), paid.get(r.code, 0),
               r.competitors.median if r.competitors else None,
               r.competitors.count if r.competitors else 0, gap(r),
               POSITION_WORDS[r.position][0 if lang == "zh" else 1] if r.position
               else NO_COMPETITOR[0 if lang == "zh" else 1])
              for r in rows),
        f"{src_pos}; {kpis.source('applications', period, 'product')}; {kpis.source('disbursed_fen', period, 'product')}",
    )  # fmt: skip
    tables = [table]
    if missing:
        tables.append(Table(
            "竞品已有、本行尚未提供的产品类型", "Subtypes competitors offer and we do not",
            (Column("产品类型", "Subtype"), Column("竞品数", "Competitor products", "count"),
             Column("竞品 APR 中位数", "Median APR", "rate"), Column("竞品", "Products")),
            tuple((SUBTYPE_NAMES.get(g.subtype, (g.subtype, g.subtype))[0 if lang == "zh" else 1],
                   len(g.products), g.competitors.median if g.competitors else None,
                   ("、" if lang == "zh" else ", ").join(g.products[:4])
                   + ("…" if len(g.products) > 4 else ""))
                  for g in missing), src_gap))  # fmt: skip
    shown = compared[:CHART_PRODUCTS]
    chart = Chart("本行产品年化利率与竞品中位数", "Our APR against the competitors' median", "bar",
                  tuple(name(r) for r in shown),
                  (Series("本行 APR", "Our APR", tuple(r.our_apr for r in shown)),
                   Series("竞品中位数", "Competitors' median", tuple(r.competitors.median if r.competitors else None for r in shown))),
                  "rate", src_pos)  # fmt: skip
    zh = [
        "【现状】本行在售个人贷款产品 {products} 个，其中 {compared} 个有竞品可比：{cheaper} 个年化利率低于"
        "市场，{at_market} 个与市场持平，{dearer} 个高于市场（与竞品中位数相差不超过 {band} 视为持平）。"
        "所有利率均以年化利率（APR，按内部收益率法计入全部利息和费用）列示，利率差距以百分点计。"
    ]
    en = ["[Situation] The bank sells {products} personal-loan products; {compared} have competitors to "
          "compare with: {cheaper} are cheaper than the market, {at_market} at market and {dearer} "
          "dearer (within {band} of the competitors' median counts as at market). "
          "Every rate is the APR (IRR over all interest and fees); gaps are in percentage points."]  # fmt: skip
    if f.has("top_product"):
        zh.append("本期放款最多的产品为“{top_product}”，放款 {top_paid}。")
        en.append(
            'The best-selling product this period was "{top_product}", with {top_paid} disbursed.'
        )
    if worst is not None:
        zh.append(
            "【分析】“{gap_product}”的年化利率为 {gap_our_apr}，比竞品中位数 {gap_market} 高出 "
            "{gap_points}，是价格劣势最明显的产品。"
        )
        en.append(
            '[Analysis] "{gap_product}" is priced at {gap_our_apr} APR, {gap_points} above the '
            "competitors' median of {gap_market}: our clearest price disadvantage."
        )
    if missing:
        zh.append("竞品已提供而本行尚未覆盖的产品类型有 {missing} 类（见下表）。")
        en.append("Competitors offer {missing} subtypes we do not (table below).")
    zh.append(
        "【下期措施】"
        + (
            "对利率高于市场的产品逐一复核利差与费用，优先下调“{gap_product}”的定价区间；"
            if worst is not None
            else "保持现有定价优势，按季度跟踪竞品利率；"
        )
        + "对低于市场且放款领先的产品保持价格稳定、扩大投放；"
        + (
            "对缺失的产品类型开展可行性评估，决定是否在下期立项。"
            if missing
            else "继续按季监测竞品新品。"
        )
    )
    en.append("[Next period] " + ("review the spread and fees of every product dearer than the market, "
                                  "first of all \"{gap_product}\"; " if worst is not None else
                                  "keep the price advantage and track competitors' rates quarterly; ")
              + "keep the price of cheaper products that sell well and widen their reach; "
              + ("assess the missing subtypes for launch next period." if missing else "keep watching competitors' launches."))  # fmt: skip
    return Section("products", "产品策略", "Product strategy", tuple(zh), tuple(en), f.tuple(),
                   tuple(tables), (chart,))  # fmt: skip
