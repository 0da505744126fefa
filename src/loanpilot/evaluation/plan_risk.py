"""Chapter 7 of the work plan, risk control (风险控制): the NPL and overdue ratios of the period
(the KPI suite, as the dashboard shows them), the book by five-category class and the trend of the
NPL and 30+ ratios over the month ends (``risk.portfolio.overview``), early delinquency by product
from the vintage curves (``risk.portfolio.vintage_report``: loans ever 30+ by month on book), and
the risk alerts still open (``risk.repository_warnings.unclosed_alerts`` worded by
``risk.warnings_digest.AlertLabels``). The measures follow the alerts and the weakest vintages.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy.orm import Session

from loanpilot.evaluation import kpis
from loanpilot.evaluation.plan_common import Figures, dec, in_lang, named, ratio
from loanpilot.evaluation.plan_types import Chart, Column, Section, Series, Table
from loanpilot.kit.clock import business_today
from loanpilot.kit.periods import Period
from loanpilot.products import service as products
from loanpilot.risk import portfolio
from loanpilot.risk import repository_warnings as alerts_repo
from loanpilot.risk.warnings_digest import AlertLabels

CLASSES = {"normal": ("正常", "Normal"), "special_mention": ("关注", "Special mention"),
           "substandard": ("次级", "Substandard"), "doubtful": ("可疑", "Doubtful"), "loss": ("损失", "Loss")}  # fmt: skip
SEVERITY = {"critical": ("紧急", "Critical"), "high": ("高", "High"), "medium": ("中", "Medium"),
            "low": ("低", "Low")}  # fmt: skip
MOBS = (3, 6, 12)
TREND_MONTHS = 12
ALERT_ROWS = 12


def _vintage(curves: pd.DataFrame, mob: int) -> dict[str, tuple[int, Decimal | None]]:
    """{product id: (loans observed, share ever 30+)} at month on book ``mob``."""
    part = curves[curves["mob"] == mob]
    return {str(k): (int(n), dec(round(float(s), 6))) for k, n, s in
            zip(part["key"], part["loans"], part["m1_share"], strict=True)}  # fmt: skip


def plan_section(
    session: Session, period: Period, as_of: date, *, lang: str = "zh", today: date | None = None
) -> Section:
    today = today or business_today()

    def pick(both: tuple[str, str]) -> str:
        return in_lang(lang, both)

    kv = {
        v.code: v
        for v in kpis.compute(session, period, codes=["npl_ratio", "overdue_rate"], today=today)
    }
    book = portfolio.overview(session, as_of, months=TREND_MONTHS)
    src_book = f"risk.portfolio.overview as_of={as_of.isoformat()}"
    f = Figures()
    f.add(
        "npl_ratio",
        "不良贷款率",
        "NPL ratio",
        kv["npl_ratio"].value,
        "pct",
        kpis.source("npl_ratio", period),
    )
    f.add(
        "overdue_rate",
        "逾期率",
        "Overdue rate",
        kv["overdue_rate"].value,
        "pct",
        kpis.source("overdue_rate", period),
    )
    f.add("balance", "贷款余额", "Outstanding balance", book.balance_fen, "fen", src_book)
    f.add("npl_balance", "不良贷款余额", "NPL balance", book.npl_fen, "fen", src_book)
    f.add(
        "dpd30_ratio",
        "逾期30天以上占比",
        "30+ days past due share",
        dec(book.dpd30_ratio),
        "pct",
        src_book,
    )
    f.add(
        "special_mention",
        "关注类贷款余额",
        "Special-mention balance",
        book.by_class.get("special_mention", 0),
        "fen",
        src_book,
    )
    f.add("special_share", "关注类占比", "Special-mention share", ratio(book.by_class.get("special_mention", 0), book.balance_fen), "pct", src_book)  # fmt: skip
    names = {
        str(p.id): (p.name_zh, p.name_en)
        for p in products.list_products(session, active_only=False)
    }
    vint = portfolio.vintage_report(session, as_of, by="product")
    src_vint = f"risk.portfolio.vintage_report as_of={as_of.isoformat()} by=product (ever 30+ share by month on book)"
    at = {mob: _vintage(vint.curves, mob) for mob in MOBS}
    keys = sorted(
        set().union(*(set(v) for v in at.values())),
        key=lambda k: -(at[MOBS[0]].get(k, (0, None))[0]),
    )
    vint_rows = tuple((named(lang, *names.get(k, (k, k))), at[MOBS[0]].get(k, (0, None))[0],
                       *(at[m].get(k, (0, None))[1] for m in MOBS)) for k in keys)  # fmt: skip
    judged = [
        (k, at[6][k][1])
        for k in keys
        if k in at[6] and at[6][k][0] >= 20 and at[6][k][1] is not None
    ]
    worst = max(judged, key=lambda kv_: kv_[1] or Decimal(0), default=None)
    if worst is not None and worst[1]:
        s = f"{src_vint} product_id={worst[0]} mob=6"
        f.add(
            "worst_vintage",
            "早期逾期最高的产品",
            "Product with the worst early delinquency",
            named(lang, *names.get(worst[0], (worst[0], worst[0]))),
            "text",
            s,
        )
        f.add("worst_m1_6", "其放款6个月内逾期30天以上占比", "Its share ever 30+ by month 6", worst[1], "pct", s)  # fmt: skip
    unclosed = alerts_repo.unclosed_alerts(session)
    labels = AlertLabels(session, unclosed, lang)
    src_alerts = f"risk.alerts status!=closed (as of generation, {as_of.isoformat()})"
    overdue = [a for a in unclosed if a.due_on is not None and a.due_on < today]
    f.add("open_alerts", "未关闭风险预警", "Open risk alerts", len(unclosed), "count", src_alerts)
    f.add("overdue_alerts", "逾期未处理预警", "Alerts past due", len(overdue), "count", src_alerts)
    severe = [a for a in unclosed if a.severity.value in ("critical", "high")]
    f.add(
        "severe_alerts",
        "高等级及以上预警",
        "High or critical alerts",
        len(severe),
        "count",
        src_alerts,
    )
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    shown = sorted(unclosed, key=lambda a: (order.get(a.severity.value, 9), a.due_on or date.max))[
        :ALERT_ROWS
    ]
    alert_rows = []
    for a in shown:
        w = labels.words(a)
        alert_rows.append((a.alert_no, pick(SEVERITY.get(a.severity.value, (a.severity.value,) * 2)),
                           w.rule_name, w.explain or (f"{w.key} {w.value}（{w.threshold}）" if lang == "zh"
                                                      else f"{w.key} {w.value} ({w.threshold})"),
                           a.due_on.isoformat() if a.due_on else "—"))  # fmt: skip
    tables = [
        Table("五级分类余额", "Balance by five-category class",
              (Column("分类", "Class"), Column("余额", "Balance", "fen"), Column("占比", "Share", "pct")),
              tuple((pick(CLASSES[c]), v, ratio(v, book.balance_fen)) for c, v in book.by_class.items()), src_book),
        Table("分产品早期逾期（放款后逾期30天以上的贷款占比）", "Early delinquency by product (share of loans ever 30+)",
              (Column("产品", "Product"), Column("观察贷款数", "Loans observed", "count"),
               *(Column(f"第{m}个月", f"Month {m}", "pct") for m in MOBS)), vint_rows, src_vint),
        Table("未关闭风险预警（按等级）", "Open risk alerts (by severity)",
              (Column("编号", "No."), Column("等级", "Severity"), Column("规则", "Rule"), Column("情况", "What"),
               Column("处理期限", "Due")), tuple(alert_rows), src_alerts),
    ]  # fmt: skip
    trend = book.trend
    charts = (
        Chart("五级分类余额构成", "Balance by five-category class", "pie",
              tuple(pick(CLASSES[c]) for c in book.by_class), (Series("余额", "Balance", tuple(book.by_class.values())),),
              "fen", src_book),
        Chart("不良率与逾期30天以上占比（月末）", "NPL and 30+ ratios at month ends", "line",
              tuple(str(t["as_of"])[:7] for t in trend),
              (Series("不良贷款率", "NPL ratio", tuple(dec(t["npl_ratio"]) for t in trend)),
               Series("逾期30天以上占比", "30+ share", tuple(dec(t["dpd30_ratio"]) for t in trend))),
              "pct", f"risk.portfolio.overview as_of={as_of.isoformat()} months={TREND_MONTHS} field=trend"),
    )  # fmt: skip
    zh = [
        "【现状】期末贷款余额 {balance}，不良贷款余额 {npl_balance}，不良贷款率 {npl_ratio}，逾期率 {overdue_rate}；"
        "逾期30天以上贷款占 {dpd30_ratio}，关注类贷款余额 {special_mention}（占 {special_share}）。"
    ]
    en = ["[Situation] The book stands at {balance}, of which {npl_balance} non-performing: an NPL ratio of "
          "{npl_ratio} and an overdue rate of {overdue_rate}; {dpd30_ratio} is 30+ days past due and "
          "{special_mention} ({special_share}) is special mention."]  # fmt: skip
    a_zh = "【分析】目前尚有 {open_alerts} 条风险预警未关闭，其中高等级及以上 {severe_alerts} 条、已过处理期限 {overdue_alerts} 条。"
    a_en = "[Analysis] {open_alerts} risk alerts are still open, {severe_alerts} of them high or critical and {overdue_alerts} past due."
    if f.has("worst_vintage"):
        a_zh += "从账龄看，“{worst_vintage}”放款后6个月内逾期30天以上的贷款占 {worst_m1_6}，早期风险最高。"
        a_en += ' By vintage, "{worst_vintage}" has the worst early delinquency: {worst_m1_6} of its loans were 30+ days late within six months.'
    zh.append(a_zh)
    en.append(a_en)
    zh.append(
        "【下期措施】逾期未处理的预警由风险管理部限期闭环；"
        + (
            "对“{worst_vintage}”收紧准入、复核评分卡切分点并加强贷后首期还款提醒；"
            if f.has("worst_vintage")
            else ""
        )
        + "关注类贷款逐户落实催收与重组方案，防止向下迁徙；营销活动的目标客群须经风险政策预筛。"
    )
    en.append("[Next period] Alerts past due are closed by the risk department against a deadline; "
              + ("tighten admission for \"{worst_vintage}\", review its scorecard cut-off and remind borrowers before the first instalment; " if f.has("worst_vintage") else "")
              + "work every special-mention loan to stop it migrating down; campaign audiences are pre-screened by the credit policy.")  # fmt: skip
    return Section(
        "risk", "风险控制", "Risk control", tuple(zh), tuple(en), f.tuple(), tuple(tables), charts
    )
