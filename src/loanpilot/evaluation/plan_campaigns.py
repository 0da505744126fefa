"""Chapter 6 of the work plan, part one: the campaigns of the period and their results
(``campaigns.results.campaign_results`` for each campaign whose window overlaps the period: the
treated funnel, the lift over the hold-out, incremental loans, cost and ROI with its interval), and
the period's campaign ROI from the KPI suite (campaigns that ended in the period)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from loanpilot.campaigns import results
from loanpilot.evaluation import kpis
from loanpilot.evaluation import plan_queries as q
from loanpilot.evaluation.plan_common import ROI_CAVEAT, Figures, dec
from loanpilot.evaluation.plan_types import Chart, Column, Section, Series, Table
from loanpilot.kit.clock import business_today
from loanpilot.kit.periods import Period


def plan_section(
    session: Session, period: Period, as_of: date, *, lang: str = "zh", today: date | None = None
) -> Section:
    today = today or business_today()
    found = [
        (c, results.campaign_results(session, c.id))
        for c in q.campaigns_in(session, period.start, period.end)
    ]
    src = f"campaigns.results.campaign_results for campaigns overlapping {period.label} (not cancelled)"
    roi_kpi = kpis.compute(session, period, codes=["campaign_roi"], today=today)[0]
    f = Figures()
    f.add("campaigns", "本期开展活动数", "Campaigns this period", len(found), "count", src)
    f.add("spent", "活动费用", "Campaign spend", sum(r.roi.cost_fen for _, r in found), "fen", src)
    f.add(
        "targeted",
        "营销组客户数",
        "Customers targeted",
        sum(r.treatment.targeted for _, r in found),
        "count",
        src,
    )
    f.add("incremental_loans", "增量放款笔数（较对照组）", "Incremental loans (over the hold-out)",
          round(sum(r.roi.incremental_loans.estimate for _, r in found), 1), "count", src)  # fmt: skip
    f.add(
        "roi",
        "营销活动投资回报率",
        "Campaign ROI",
        roi_kpi.value,
        "pct",
        kpis.source("campaign_roi", period),
    )
    significant = [
        c for c, r in found if any(s.significant and s.stage == "disbursed" for s in r.lifts)
    ]
    f.add(
        "significant",
        "放款提升显著的活动数",
        "Campaigns with a significant disbursement lift",
        len(significant),
        "count",
        src,
    )
    rated = [(c, r) for c, r in found if r.roi.roi is not None]
    best = max(rated, key=lambda cr: cr[1].roi.roi.estimate if cr[1].roi.roi else 0.0, default=None)
    worst = min(
        rated, key=lambda cr: cr[1].roi.roi.estimate if cr[1].roi.roi else 0.0, default=None
    )
    if best is not None and best[1].roi.roi is not None:
        s = f"campaigns.results.campaign_results campaign={best[0].code} field=roi"
        f.add("best_name", "投资回报率最高的活动", "Best campaign by ROI", best[0].name, "text", s)
        f.add(
            "best_roi", "其投资回报率", "Its ROI", dec(round(best[1].roi.roi.estimate, 6)), "pct", s
        )
    if worst is not None and worst[1].roi.roi is not None and worst is not best:
        s = f"campaigns.results.campaign_results campaign={worst[0].code} field=roi"
        f.add(
            "worst_name", "投资回报率最低的活动", "Worst campaign by ROI", worst[0].name, "text", s
        )
        f.add(
            "worst_roi",
            "其投资回报率",
            "Its ROI",
            dec(round(worst[1].roi.roi.estimate, 6)),
            "pct",
            s,
        )
    rows = tuple(
        (c.name, c.starts_on.isoformat() + " ~ " + c.ends_on.isoformat(), r.treatment.targeted,
         dec(round(r.treatment.rate("responded"), 6)), r.treatment.disbursed,
         round(r.roi.incremental_loans.estimate, 1), r.roi.cost_fen,
         dec(round(r.roi.roi.estimate, 6)) if r.roi.roi else None,
         "是" if c in significant and lang == "zh" else "yes" if c in significant else ("否" if lang == "zh" else "no"))
        for c, r in found
    )  # fmt: skip
    table = Table("本期营销活动效果", "Campaigns of the period and their results",
                  (Column("活动", "Campaign"), Column("活动期", "Window"), Column("营销组", "Targeted", "count"),
                   Column("响应率", "Response rate", "pct"), Column("放款笔数", "Loans", "count"),
                   Column("增量放款", "Incremental loans", "count"), Column("费用", "Cost", "fen"),
                   Column("投资回报率", "ROI", "pct"), Column("提升显著", "Significant lift")), rows, src)  # fmt: skip
    chart = Chart("各活动投资回报率", "ROI by campaign", "bar", tuple(c.name for c, _ in rated),
                  (Series("投资回报率", "ROI", tuple(dec(round(r.roi.roi.estimate, 6)) if r.roi.roi else None for _, r in rated)),),
                  "pct", src)  # fmt: skip
    zh = [
        "【现状】本期共开展营销活动 {campaigns} 场，覆盖营销组客户 {targeted} 人，活动费用 {spent}；"
        "按随机对照组测算，增量放款 {incremental_loans} 笔，其中 {significant} 场活动的放款提升在统计上显著。"
        "本期已结束活动的投资回报率为 {roi}（" + ROI_CAVEAT[0] + "）。"
    ]
    en = ["[Situation] {campaigns} campaigns ran this period, reaching {targeted} treated customers for {spent}; "
          "measured against randomised hold-outs they added {incremental_loans} loans, and {significant} of "
          "them lifted disbursement significantly. Campaigns that ended in the period returned {roi} "
          "(" + ROI_CAVEAT[1] + ")."]  # fmt: skip
    if f.has("best_name"):
        zh.append(
            "【分析】“{best_name}”投资回报率最高（{best_roi}）"
            + ("，“{worst_name}”最低（{worst_roi}）" if f.has("worst_name") else "")
            + "；回报差异主要来自目标客群的响应率与审批通过率，说明客群选择比投放规模更关键。"
        )
        en.append("[Analysis] \"{best_name}\" returned the most ({best_roi})" + ("; \"{worst_name}\" the least ({worst_roi})" if f.has("worst_name") else "")
                  + ". The spread comes mostly from the audiences' response and approval rates: choosing whom to reach matters more than how many.")  # fmt: skip
    if found and len(significant) < len(found):
        zh.append(
            "【说明】增量放款以营销组与对照组之差估算，"
            + ("各活动" if not significant else "部分活动")
            + "的放款提升未达到统计显著，单个活动的投资回报率波动很大（可为负），宜结合多期结果判断，不宜据此单独决定预算。"
        )
        en.append("[Note] The incremental loans are the difference between the treated group and the hold-out; "
                  + ("no campaign's" if not significant else "some campaigns'")
                  + " disbursement lift is statistically significant, so a single campaign's ROI swings widely (and can be "
                  "negative): read it over several periods before deciding a budget on it.")  # fmt: skip
    return Section(
        "campaigns",
        "本期活动效果",
        "Campaign results",
        tuple(zh),
        tuple(en),
        f.tuple(),
        (table,),
        (chart,),
    )
