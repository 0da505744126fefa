"""Chapter 4 of the work plan, channels (营销渠道): applications, approval rate, disbursement and
referral rate by channel (the KPI suite, dimension ``channel``: the same numbers as the KPI
dashboard), the leads each source channel brought and how many converted, referrals and their
credit, and the partners that brought the most leads. The measures shift effort towards the
channels that convert and fix those that do not.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.evaluation import kpis
from loanpilot.evaluation import plan_queries as q
from loanpilot.evaluation.plan_common import (
    CHANNELS,
    PARTNER_KINDS,
    Figures,
    bounds,
    in_lang,
    pair,
    ratio,
)
from loanpilot.evaluation.plan_types import Chart, Column, Section, Series, Table
from loanpilot.kit.clock import business_today
from loanpilot.kit.periods import Period

CODES = ("applications", "approval_rate", "disbursed_fen", "referral_rate")
#: A channel's lead conversion is compared from this many leads up.
MIN_LEADS = 10


def channel_kpis(
    session: Session, period: Period, today: date
) -> dict[str, dict[str, kpis.KpiValue]]:
    """{channel: {code: value}} from ``kpis.compute(..., dimension="channel")``."""
    out: dict[str, dict[str, kpis.KpiValue]] = {}
    for v in kpis.compute(session, period, codes=list(CODES), dimension="channel", today=today):
        out.setdefault(v.key, {})[v.code] = v
    return out


def plan_section(
    session: Session, period: Period, as_of: date, *, lang: str = "zh", today: date | None = None
) -> Section:
    today = today or business_today()
    by = channel_kpis(session, period, today)
    start, end = bounds(period)
    leads = q.leads_by_channel(session, start, end)
    partners = q.leads_by_partner(session, start, end)
    src_kpi = f"kpis.compute codes={','.join(CODES)} period={period.label} by=channel"
    src_leads = f"channels.leads by=source_channel received_at in {period.label} (Asia/Shanghai)"
    src_partner = f"channels.leads by=partner received_at in {period.label}, top 8"

    def label(code: str) -> str:
        return in_lang(lang, pair(CHANNELS, code))

    def value(ch: str, code: str) -> Decimal | None:
        found = by.get(ch, {}).get(code)
        return found.value if found is not None else None

    order = sorted(by, key=lambda ch: -(value(ch, "disbursed_fen") or Decimal(0)))
    f = Figures()
    f.add("channels", "有业务的渠道数", "Channels with business", len(order), "count", src_kpi)
    if order:
        top = order[0]
        s = kpis.source("disbursed_fen", period, "channel") + f" key={top}"
        f.add("top_channel", "放款最多的渠道", "Top channel by disbursement", label(top), "text", s)
        f.add("top_paid", "其放款金额", "Its disbursement", value(top, "disbursed_fen"), "fen", s)
        total = sum((value(ch, "disbursed_fen") or Decimal(0)) for ch in order)
        f.add("top_share", "其放款占比", "Its share of disbursement", ratio(value(top, "disbursed_fen"), total), "pct",
              kpis.source("disbursed_fen", period, "channel"))  # fmt: skip
    rated = [
        ch
        for ch in order
        if (by[ch].get("approval_rate") and (by[ch]["approval_rate"].denominator or 0) >= 20)
    ]
    if rated:
        low = min(rated, key=lambda ch: value(ch, "approval_rate") or Decimal(1))
        s = kpis.source("approval_rate", period, "channel") + f" key={low}"
        f.add(
            "low_channel",
            "审批通过率最低的渠道",
            "Channel with the lowest approval rate",
            label(low),
            "text",
            s,
        )
        f.add(
            "low_rate", "其审批通过率", "Its approval rate", value(low, "approval_rate"), "pct", s
        )
    total_leads = sum(r.leads for r in leads)
    f.add("leads", "本期线索数", "Leads this period", total_leads, "count", src_leads)
    f.add(
        "converted",
        "已转化线索数",
        "Leads converted",
        sum(r.converted for r in leads),
        "count",
        src_leads,
    )
    f.add(
        "conversion",
        "线索转化率",
        "Lead conversion",
        ratio(sum(r.converted for r in leads), total_leads),
        "pct",
        src_leads,
    )
    f.add(
        "referred",
        "转介绍线索数",
        "Referred leads",
        sum(r.referred for r in leads),
        "count",
        src_leads,
    )
    f.add(
        "credit",
        "转介绍奖励",
        "Referral credit paid",
        sum(r.credited_fen for r in leads),
        "fen",
        src_leads,
    )
    compared = [r for r in leads if r.leads >= MIN_LEADS]
    best = max(compared, key=lambda r: r.converted / r.leads, default=None)
    if best is not None:
        s = f"{src_leads} key={best.key}"
        f.add(
            "best_channel",
            "线索转化率最高的渠道",
            "Best-converting channel",
            label(best.key),
            "text",
            s,
        )
        f.add(
            "best_conversion",
            "其线索转化率",
            "Its lead conversion",
            ratio(best.converted, best.leads),
            "pct",
            s,
        )
    tables = [
        Table("各渠道业务量与质量（指标口径）", "Volume and quality by channel (KPI definitions)",
              (Column("渠道", "Channel"), Column("申请（笔）", "Applications", "count"),
               Column("审批通过率", "Approval rate", "pct"), Column("放款金额", "Disbursed", "fen"),
               Column("转介绍率", "Referral rate", "pct")),
              tuple((label(ch), value(ch, "applications"), value(ch, "approval_rate"),
                     value(ch, "disbursed_fen"), value(ch, "referral_rate")) for ch in order), src_kpi),
        Table("各渠道线索与转化", "Leads and conversion by source channel",
              (Column("渠道", "Channel"), Column("线索", "Leads", "count"), Column("已转化", "Converted", "count"),
               Column("转化率", "Conversion", "pct"), Column("转介绍", "Referred", "count"),
               Column("转介绍奖励", "Referral credit", "fen")),
              tuple((label(r.key), r.leads, r.converted, ratio(r.converted, r.leads), r.referred, r.credited_fen)
                    for r in leads), src_leads),
    ]  # fmt: skip
    if partners:
        tables.append(Table("线索最多的合作机构", "Partners that brought the most leads",
                            (Column("合作机构", "Partner"), Column("类型", "Kind"), Column("线索", "Leads", "count"),
                             Column("已转化", "Converted", "count")),
                            tuple((name, in_lang(lang, pair(PARTNER_KINDS, kind)), n, c)
                                  for name, kind, n, c in partners), src_partner))  # fmt: skip
    chart = Chart("各渠道放款金额", "Disbursement by channel", "bar", tuple(label(ch) for ch in order),
                  (Series("放款金额", "Disbursed", tuple(value(ch, "disbursed_fen") for ch in order)),),
                  "fen", kpis.source("disbursed_fen", period, "channel"))  # fmt: skip
    zh = [
        "【现状】本期共有 {channels} 个渠道产生业务。"
        + (
            "放款最多的是{top_channel}渠道，放款 {top_paid}，占全部放款的 {top_share}。"
            if order
            else ""
        )
        + "本期新增线索 {leads} 条，已转化 {converted} 条，转化率 {conversion}；其中转介绍线索 {referred} 条，支付转介绍奖励 {credit}。"
    ]
    en = ["[Situation] {channels} channels brought business this period." + (" The largest, the {top_channel} channel, disbursed {top_paid}, {top_share} of the total." if order else "")
          + " {leads} leads came in and {converted} converted ({conversion}); {referred} were referrals, earning {credit} of referral credit."]  # fmt: skip
    analysis_zh, analysis_en = [], []
    same = bool(best is not None and rated and best.key == low)
    if same:  # one channel both converts leads best and has the lowest approval rate
        analysis_zh.append("{best_channel}渠道线索转化率最高（{best_conversion}），但审批通过率在各渠道中最低"
                           "（{low_rate}）：线索容易转为申请，申请质量却与授信政策匹配不足，"
                           "增量应来自更精准的预审而非更多线索")  # fmt: skip
        analysis_en.append("The {best_channel} channel converts leads best ({best_conversion}) yet has the lowest approval "
                           "rate ({low_rate}): its leads turn into applications easily, but the applications "
                           "fit the credit policy least, so growth there should come from better pre-screening, "
                           "not more leads")  # fmt: skip
    elif best is not None:
        analysis_zh.append("{best_channel}渠道线索转化率最高（{best_conversion}）")
        analysis_en.append("The {best_channel} channel converts leads best ({best_conversion})")
    if rated and not same:
        analysis_zh.append(
            "{low_channel}渠道审批通过率最低（{low_rate}），说明该渠道获客与授信政策匹配度不足"
        )
        analysis_en.append(
            "the {low_channel} channel has the lowest approval rate ({low_rate}): its customers fit the credit policy least"
        )
    if analysis_zh:
        zh.append("【分析】" + "；".join(analysis_zh) + "。")
        en.append("[Analysis] " + "; ".join(analysis_en) + ".")
    zh.append(
        "【下期措施】"
        + ("在{best_channel}渠道先行前置预审、优化准入提示，再扩大线索投放；" if same else "")
        + ("向{best_channel}渠道倾斜营销资源与线索分配；" if best is not None and not same else "")
        + (
            "对{low_channel}渠道前置预审、优化准入提示，降低无效申请；"
            if rated and not same
            else ""
        )
        + "线索实行统一视图、当日分派、及时首次联系，转介绍奖励按放款结果兑现。"
    )
    en.append("[Next period] " + ("pre-screen applicants in the {best_channel} channel first, then widen its leads; " if same else "")
              + ("give the {best_channel} channel more of the budget and the leads; " if best is not None and not same else "")
              + ("pre-screen applicants from the {low_channel} channel to cut applications bound to be declined; " if rated and not same else "")
              + "one view of every lead, assigned the day it arrives and contacted promptly; referral credit paid on disbursement only.")  # fmt: skip
    return Section(
        "channels", "营销渠道", "Channels", tuple(zh), tuple(en), f.tuple(), tuple(tables), (chart,)
    )
