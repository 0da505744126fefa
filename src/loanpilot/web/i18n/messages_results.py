"""Messages of the results pages (zh/en, issue 6): campaign results (funnel against goals, lift
over the hold-out, ROI, budget burn, A/B tests), lead attribution, and the campaign report."""

from __future__ import annotations

from loanpilot.web.i18n.labels import labels

RESULTS: dict[str, dict[str, str]] = {
    **labels(
        "results",
        {
            "title": ("活动效果", "Campaign results"),
            "report_title": ("营销活动效果报告", "Campaign results report"),
            "generated": ("生成于 {at}", "Generated {at}"),
            "period": ("活动期 {start} 至 {end}", "Runs {start} to {end}"),
            "funnel": ("转化漏斗（对照目标）", "Funnel against the goals"),
            "funnel_note": (
                "比率按名单人数计算（意向处理口径），对照组从不接触。",
                "Rates are shares of the targeted (intent to treat); the hold-out is never "
                "contacted.",
            ),
            "stage": ("阶段", "Stage"),
            "treatment": ("营销组", "Treatment"),
            "control": ("对照组", "Hold-out"),
            "rate": ("比率", "Rate"),
            "goals": ("目标达成", "Goals against actuals"),
            "metric": ("指标", "Metric"),
            "target": ("目标", "Target"),
            "actual": ("实际", "Actual"),
            "share": ("完成率", "Achieved"),
            "lift": ("增量效果（对照随机对照组）", "Incremental results against the hold-out"),
            "lift_col": ("提升（百分点）", "Lift (points)"),
            "ci": ("95% 置信区间", "95 % interval"),
            "incremental": ("增量人数", "Incremental count"),
            "significant": ("显著", "Significant"),
            "not_significant": ("不显著", "Not significant"),
            "lift_method": (
                "区间为 Newcombe 混合 score 法（两组 Wilson 区间合成），增量 = 提升 × 营销组人数。",
                "Intervals by Newcombe's hybrid score method (the two groups' Wilson intervals "
                "combined); incremental = lift × treated targets.",
            ),
            "roi": ("投资回报", "Return on investment"),
            "roi_value": ("ROI", "ROI"),
            "cost": ("成本", "Cost"),
            "net_per_loan": ("每笔贷款净收益", "Net revenue per loan"),
            "incr_loans": ("增量放款笔数", "Incremental loans"),
            "incr_revenue": ("增量净收益", "Incremental net revenue"),
            "roi_note": (
                "ROI =（增量净收益 − 成本）/ 成本；净收益 = 存续期净利息收入 − 预期损失。",
                "ROI = (incremental net revenue − cost) / cost; net revenue = net interest "
                "income over the expected life − expected loss.",
            ),
            "budget": ("预算执行", "Budget burn"),
            "budget_total": ("总预算", "Budget"),
            "spent": ("已支出", "Spent"),
            "planned": ("计划", "Planned"),
            "category": ("预算科目", "Budget line"),
            "alert_80": ("已超过预算的 80%", "Spend has passed 80 % of the budget"),
            "alert_100": ("已超出预算", "Spend has reached the budget"),
            "arms": ("方案组", "Arms"),
            "arm": ("方案", "Arm"),
            "headline": ("文案", "Headline"),
            "holdout": ("对照组", "Hold-out"),
            "ab": ("A/B 测试", "A/B test"),
            "ab_measure": ("比较指标", "Measure"),
            "ab_diff": ("差异（B − A）", "Difference (B − A)"),
            "p_value": ("p 值", "p-value"),
            "test": ("检验", "Test"),
            "test_z": ("两比例 z 检验", "two-proportion z-test"),
            "test_fisher": ("Fisher 精确检验", "Fisher's exact test"),
            "n_needed": ("检出该差异所需每组样本", "Per-arm size to detect it"),
            "ab_note": (
                "显著性水平 5%；任一期望频数小于 5 时采用 Fisher 精确检验；样本量按 80% 检验力。",
                "Significance at 5 %; Fisher's exact test when an expected count is below 5; "
                "sample size for 80 % power.",
            ),
            "attribution": ("线索与转介绍归因", "Leads and referrals"),
            "attribution_all": ("各活动线索归因", "Lead attribution across campaigns"),
            "attribution_note": (
                "线索按 campaign_id 或 utm_campaign = 活动编码归属活动；未知编码仅保留标签。",
                "Leads belong to a campaign by campaign_id or utm_campaign = its code; unknown "
                "codes stay as tags.",
            ),
            "leads": ("线索", "Leads"),
            "applied": ("申请", "Applied"),
            "disbursed": ("放款", "Disbursed"),
            "conversion": ("转化率", "Conversion"),
            "credits": ("转介绍奖励 {amount}（{n} 笔）", "Referral credits {amount} ({n} paid)"),
            "by.campaign": ("按活动", "By campaign"),
            "by.source_channel": ("按来源渠道", "By source channel"),
            "by.partner": ("按合作方", "By partner"),
            "by.referrer": ("按推荐人类型", "By referrer"),
            "by.utm": ("按 UTM 来源 / 媒介", "By UTM source / medium"),
            "none": ("暂无数据", "No data yet"),
            "attribution_rule": ("申请归因规则", "Application attribution rule"),
            "attribution_rule_text": (
                "优先采用名单记录的申请；否则取该客户标记本活动的最早申请；否则取活动首日至结束后 "
                "{days} 天内提交的最早申请（营销组与对照组口径相同）。",
                "the application recorded on the target; else the customer's earliest application "
                "tagged with this campaign; else the earliest submitted from the first day to {days} "
                "days after the last (both groups alike).",
            ),
            "back": ("返回活动", "Back to the campaign"),
            "report_link": ("下载报告", "Download the report"),
        },
    ),
    **labels(
        "results.stage",
        {
            "targeted": ("名单", "Targeted"),
            "contacted": ("已触达", "Contacted"),
            "responded": ("已响应", "Responded"),
            "applied": ("已申请", "Applied"),
            "approved": ("已批准", "Approved"),
            "disbursed": ("已放款", "Disbursed"),
        },
    ),
    **labels(
        "results.goal",
        {
            "responses": ("响应人数", "Responses"),
            "response_rate": ("响应率", "Response rate"),
            "applications": ("申请笔数", "Applications"),
            "approvals": ("批准笔数", "Approvals"),
            "disbursed_fen": ("放款金额", "Amount disbursed"),
            "disbursed_yuan": ("放款金额（元）", "Amount disbursed (yuan)"),
            "new_customers": ("新增客户", "New customers"),
            "satisfaction": ("满意度", "Satisfaction"),
        },
    ),
    **labels(
        "results.referrer",
        {"customer": ("客户推荐", "Customer referral"), "staff": ("员工推荐", "Staff referral")},
    ),
    **labels(
        "results.budget_cat",
        {
            "planning": ("策划", "Planning"),
            "venue": ("场地", "Venue"),
            "materials": ("物料", "Materials"),
            "promotion": ("推广", "Promotion"),
            "personnel": ("人员", "Personnel"),
        },
    ),
}
