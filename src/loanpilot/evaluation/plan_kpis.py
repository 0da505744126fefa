"""Chapter 9 of the work plan, part one: every KPI of the suite against its target (效果评估).

Every value comes from ``evaluation.kpis.compute`` with the period and dimension it names, the same
call the KPI dashboard makes, so the plan and the dashboard agree to the fen; targets are the
bank-wide targets set for the period (``kpi_targets``, dimension ``all``). Beside each value: the
previous period's, the change, and the attainment (``kpi_rules.attainment``: 1 = on target,
lower-is-better KPIs inverted).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.evaluation import kpi_rules, kpis, kpis_service
from loanpilot.evaluation.plan_common import Figures
from loanpilot.evaluation.plan_render import Lang, format_value
from loanpilot.evaluation.plan_types import Chart, Column, Section, Series, Table, Value
from loanpilot.evaluation.repository import Slice
from loanpilot.kit.clock import business_today
from loanpilot.kit.periods import Period


def target_source(period: Period) -> str:
    return f"kpi_targets period={period.label} by=all"


def kpi_table(session: Session, period: Period, today: date) -> dict[str, kpis_service.KpiRow]:
    """The bank-wide KPI rows of ``period`` (value, target, attainment, previous, change), as the
    KPI dashboard computes them (``kpis_service.table``, dimension ``all``)."""
    rows = kpis_service.table(session, period, "all", Slice(), today=today)
    return {r.value.code: r for r in rows}


def plan_section(
    session: Session, period: Period, as_of: date, *, lang: str = "zh", today: date | None = None
) -> Section:
    today = today or business_today()
    found = kpi_table(session, period, today)
    goals = {code: r.target for code, r in found.items() if r.target is not None}
    f = Figures()
    rows = []
    below: list[str] = []
    worse: list[str] = []
    for code in kpi_rules.KPI_CODES:
        d = kpis.definition(code)
        row = found.get(code)
        value = row.value.value if row else None
        prior = row.previous if row else None
        f.add(code, d.name_zh, d.name_en, value, d.unit, kpis.source(code, period, "all"))
        goal = goals.get(code)
        reached = row.attainment if row else None
        if goal is not None:
            f.add(f"{code}_target", f"{d.name_zh}目标", f"{d.name_en} target", goal, d.unit,
                  target_source(period))  # fmt: skip
            if reached is not None and reached < 1:
                below.append(code)
        delta = row.change if row else None
        if delta is not None and delta != 0 and (delta > 0) != d.higher_is_better:
            worse.append(code)
        name = d.name_zh if lang == "zh" else d.name_en
        rows.append((name, value, goal, reached, prior, delta))
    table_rows = rows
    tables = [
        Table(
            f"关键指标与目标（{period.label_zh()}）",
            f"KPIs against targets ({period.label})",
            (Column("指标", "KPI"), Column("本期", "This period", "text"),
             Column("目标", "Target", "text"), Column("达成率", "Attainment", "pct"),
             Column("上期", "Previous period", "text"), Column("变动", "Change", "text")),
            tuple(_formatted(code, r, lang) for code, r in zip(kpi_rules.KPI_CODES, table_rows, strict=True)),
            f"kpis.compute period={period.label} by=all; previous={period.previous().label}; "
            + target_source(period),
        )
    ]  # fmt: skip
    rates = [c for c in ("approval_rate", "referral_rate", "retention", "npl_ratio", "overdue_rate")
             if c in found]  # fmt: skip
    chart = Chart(
        "主要比率指标：本期与上期", "Main rates: this period and the previous", "bar",
        tuple(kpis.definition(c).name_zh if lang == "zh" else kpis.definition(c).name_en for c in rates),
        (Series(period.label, period.label, tuple(found[c].value.value for c in rates)),
         Series(period.previous().label, period.previous().label, tuple(found[c].previous for c in rates))),
        "pct", f"kpis.compute period={period.label},{period.previous().label} by=all",
    )  # fmt: skip
    lower = [
        kpis.definition(c) for c in kpi_rules.KPI_CODES if not kpis.definition(c).higher_is_better
    ]
    zh = ["【现状】本期申请量 {applications} 笔，审批通过率 {approval_rate}，放款金额 {disbursed_fen}，"
          "新增客户 {new_customers} 户；客户满意度 {satisfaction}，净推荐值 {nps}；市场份额 {market_share}；"
          "不良贷款率 {npl_ratio}，逾期率 {overdue_rate}；营销活动投资回报率 {campaign_roi}（口径见第六章：只计对照组之外的增量收入与直接营销费用）。达成率 = 实际 ÷ 目标，越低越好的指标（" + "、".join(d.name_zh for d in lower)
          + "）为 目标 ÷ 实际，达成率高于百分之百即优于目标。"]  # fmt: skip
    en = ["[Situation] This period: {applications} applications, approval rate {approval_rate}, "
          "{disbursed_fen} disbursed, {new_customers} new customers; satisfaction {satisfaction}, "
          "NPS {nps}; market share {market_share}; NPL ratio {npl_ratio}, overdue rate "
          "{overdue_rate}; campaign ROI {campaign_roi} (as defined in chapter 6: incremental revenue over the hold-out "
          "against direct marketing cost only). Attainment is actual ÷ "
          "target, or target ÷ actual for the KPIs where lower is better (" + ", ".join(d.name_en for d in lower)
          + "): above 100% beats the target."]  # fmt: skip
    if goals:
        if below:
            zh.append(
                "【分析】未达目标的指标："
                + "、".join(
                    f"{kpis.definition(c).name_zh}（{{{c}}}，目标 {{{c}_target}}）" for c in below
                )
                + "。"
            )
            en.append(
                "[Analysis] Below target: "
                + "; ".join(
                    f"{kpis.definition(c).name_en} ({{{c}}} against {{{c}_target}})" for c in below
                )
                + "."
            )
        else:
            zh.append("【分析】已设定目标的指标本期均已达成。")
            en.append("[Analysis] Every KPI with a target met it this period.")
    else:
        zh.append(
            f"【分析】{period.label_zh()}尚未设定指标目标（可在指标看板设定），下表只列实际值与上期对比。"
        )
        en.append(
            f"[Analysis] No KPI targets are set for {period.label} yet (set them on the KPI "
            "dashboard); the table compares with the previous period only."
        )
    if worse:
        zh.append(
            "【下期措施】较上期走弱的指标为"
            + "、".join(kpis.definition(c).name_zh for c in worse)
            + "，下期逐项明确责任部门、纳入第九章改进行动跟踪，并在季度复盘中以本表口径复核。"
        )
        en.append("[Next period] Weaker than last period: " + ", ".join(kpis.definition(c).name_en for c in worse)
                  + "; each gets an owner and an improvement action, reviewed next quarter on the "
                  "same definitions.")  # fmt: skip
    return Section("kpis", "关键指标与目标", "KPIs against targets", tuple(zh), tuple(en),
                   f.tuple(), tuple(tables), (chart,))  # fmt: skip


def _formatted(code: str, row: tuple[object, ...], lang: str) -> tuple[Value, ...]:
    """A table row with the value, target and previous value exactly as the KPI dashboard shows
    them (``kpi_rules.show``: money to the fen, so the two can be compared cell by cell), and the
    change with its sign: in percentage points for rates, else in the KPI's unit."""
    name, value, goal, reached, prior, delta = row
    unit = kpis.definition(code).unit
    language: Lang = "zh" if lang == "zh" else "en"

    def show(v: object) -> str:
        return kpi_rules.show(code, v, lang=lang) if isinstance(v, Decimal) else "—"

    if not isinstance(delta, Decimal):
        moved = "—"
    elif unit == "pct":
        moved = ("+" if delta > 0 else "-" if delta < 0 else "") + format_value(
            abs(delta), "pp", language
        )
    elif unit == "score":
        moved = f"{delta:+.2f}"
    else:
        moved = ("+" if delta > 0 else "") + kpi_rules.show(code, delta, lang=lang)
    return (str(name), show(value), show(goal), reached if isinstance(reached, Decimal) else None,
            show(prior), moved)  # fmt: skip
