"""The executive summary (执行摘要) of the work plan: the headline figures, picked from the chapters
after they are built (each copied with its own source), and the plan for the next period in a few
sentences. A sentence whose figures a chapter could not supply is left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from loanpilot.evaluation.plan_common import ROI_CAVEAT, period_en
from loanpilot.evaluation.plan_doc import Chapter
from loanpilot.evaluation.plan_types import Figure, Section
from loanpilot.kit.periods import Period

#: (summary key, section key, figure key): the figures the summary may quote.
PICKS: tuple[tuple[str, str, str], ...] = (
    ("applications", "kpis", "applications"),
    ("approval_rate", "kpis", "approval_rate"),
    ("disbursed", "kpis", "disbursed_fen"),
    ("new_customers", "kpis", "new_customers"),
    ("market_share", "kpis", "market_share"),
    ("satisfaction", "kpis", "satisfaction"),
    ("nps", "kpis", "nps"),
    ("npl_ratio", "kpis", "npl_ratio"),
    ("campaign_roi", "kpis", "campaign_roi"),
    ("segments", "customers", "segments"),
    ("focus1", "customers", "focus1"),
    ("focus2", "customers", "focus2"),
    ("campaigns", "campaigns", "campaigns"),
    ("campaign_spend", "campaigns", "spent"),
    ("proposals", "proposals", "proposals"),
    ("proposal_budget", "proposals", "budget"),
    ("proposal_value", "proposals", "value"),
    ("proposal_responses", "proposals", "responses"),
    ("open_alerts", "risk", "open_alerts"),
    ("best_channel", "channels", "best_channel"),
    ("low_channel", "channels", "low_channel"),
    ("gap_product", "products", "gap_product"),
    ("gap_points", "products", "gap_points"),
)


def _figures(chapters: Sequence[Chapter]) -> dict[str, Figure]:
    found: dict[tuple[str, str], Figure] = {}
    for chapter in chapters:
        for part in chapter.parts:
            for figure in part.figures:
                found[(part.key, figure.key)] = figure
    out: dict[str, Figure] = {}
    for key, section, figure_key in PICKS:
        picked = found.get((section, figure_key))
        if picked is not None and picked.value is not None:
            out[key] = replace(picked, key=key)
    return out


def build_summary(
    period: Period, as_of: date, chapters: Sequence[Chapter], *, lang: str = "zh"
) -> Section:
    f = _figures(chapters)

    def has(*keys: str) -> bool:
        return all(k in f for k in keys)

    zh: list[str] = []
    en: list[str] = []
    f["as_of"] = Figure(
        "as_of",
        "数据截至",
        "Data as of",
        as_of.isoformat(),
        "text",
        f"plan as_of={as_of.isoformat()} (the period's last day, or today while it runs)",
    )
    zh.append(f"本方案依据本行截至 {{as_of}} 的经营数据，对{period.label_zh()}个人贷款营销"
              "工作进行回顾，并提出下一期的工作安排。")  # fmt: skip
    en.append(f"This plan reviews the bank's personal-loan marketing in {period_en(period)} from its own "
              "data as of {as_of}, and sets out the work for the next period.")  # fmt: skip
    if has("applications", "approval_rate", "disbursed"):
        zh.append(
            "【经营成果】本期受理贷款申请 {applications} 笔，审批通过率 {approval_rate}，"
            "实现放款 {disbursed}"
            + ("，新增客户 {new_customers} 户" if has("new_customers") else "")
            + "。"
        )
        en.append("[Results] {applications} applications were received, {approval_rate} of decided "
                  "ones approved, and {disbursed} disbursed" + (", with {new_customers} new customers" if has("new_customers") else "") + ".")  # fmt: skip
    market = [k for k in ("market_share", "satisfaction", "nps") if k in f]
    if market:
        words_zh = {
            "market_share": "市场份额 {market_share}",
            "satisfaction": "客户满意度 {satisfaction}（5分制）",
            "nps": "净推荐值 {nps}",
        }
        words_en = {
            "market_share": "market share {market_share}",
            "satisfaction": "satisfaction {satisfaction} (out of 5)",
            "nps": "NPS {nps}",
        }
        zh.append("【市场与客户】" + "，".join(words_zh[k] for k in market) + "。")
        en.append("[Market and customers] " + ", ".join(words_en[k] for k in market) + ".")  # fmt: skip
    if has("npl_ratio"):
        zh.append(
            "【风险】期末不良贷款率 {npl_ratio}"
            + ("，尚有 {open_alerts} 条风险预警未关闭" if has("open_alerts") else "")
            + "。"
        )
        en.append("[Risk] NPL ratio {npl_ratio} at period end" + (", with {open_alerts} risk alerts still open" if has("open_alerts") else "") + ".")  # fmt: skip
    if has("campaigns"):
        zh.append(
            "【营销活动】本期开展营销活动 {campaigns} 场"
            + ("，费用 {campaign_spend}" if has("campaign_spend") else "")
            + ("，营销活动投资回报率 {campaign_roi}" if has("campaign_roi") else "")
            + "。"
            + (f"（{ROI_CAVEAT[0]}。）" if has("campaign_roi") else "")
        )
        en.append("[Campaigns] {campaigns} campaigns ran" + (", spending {campaign_spend}" if has("campaign_spend") else "")
                  + (", campaign ROI {campaign_roi}" if has("campaign_roi") else "") + "."
                  + (f" ({ROI_CAVEAT[1]}.)" if has("campaign_roi") else ""))  # fmt: skip
    measures_zh: list[str] = []
    measures_en: list[str] = []
    if has("focus1"):
        measures_zh.append(
            "聚焦“{focus1}”" + ("、“{focus2}”" if has("focus2") else "") + "等高潜客群"
        )
        measures_en.append("focus on the high-potential segments \"{focus1}\"" + (" and \"{focus2}\"" if has("focus2") else ""))  # fmt: skip
    if has("proposals", "proposal_budget"):
        measures_zh.append(
            "开展 {proposals} 项建议活动，优化器测算预算 {proposal_budget}"
            + ("，预期增量收益 {proposal_value}" if has("proposal_value") else "")
        )
        measures_en.append("run {proposals} proposed campaigns on an optimised budget of {proposal_budget}"
                           + (" for an expected incremental profit of {proposal_value}" if has("proposal_value") else ""))  # fmt: skip
    if has("gap_product", "gap_points"):
        measures_zh.append("针对“{gap_product}”较竞品高出 {gap_points} 的利率差距调整定价")
        measures_en.append(
            'close the rate gap of {gap_points} on "{gap_product}" against competitors'
        )
    if has("best_channel", "low_channel") and f["best_channel"].value == f["low_channel"].value:
        measures_zh.append(
            "{best_channel}渠道线索转化最好但审批通过率最低，先加强前置预审再扩大投放"
        )
        measures_en.append("pre-screen in the {best_channel} channel, which converts leads best but has "
                           "the lowest approval rate, before widening it")  # fmt: skip
    elif has("best_channel"):
        measures_zh.append("向转化最好的{best_channel}渠道倾斜资源")
        measures_en.append("shift effort to the best-converting channel, {best_channel}")
    if measures_zh:
        zh.append("【下期重点】" + "；".join(measures_zh) + "。各项措施的依据与测算见相应章节。")
        en.append(
            "[Next period] "
            + "; ".join(measures_en)
            + ". The chapters give the reasons and the figures."
        )
    missing = [c for c in chapters if not c.parts]
    if lang == "zh":
        notes = tuple(f"第{c.number}章（{c.title_zh}）暂不可用：" + "；".join(u.reason for u in c.unavailable)
                      for c in missing)  # fmt: skip
    else:
        notes = tuple(f"Chapter {c.number} ({c.title_en}) is not available: "
                      + "; ".join(u.reason for u in c.unavailable) for c in missing)  # fmt: skip
    return Section("summary", "执行摘要", "Executive summary", tuple(zh), tuple(en),
                   tuple(f.values()), notes=notes)  # fmt: skip
