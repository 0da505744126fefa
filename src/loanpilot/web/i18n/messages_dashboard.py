"""zh/en messages of the console dashboard (经营概览)."""

from __future__ import annotations

from typing import Final

DASHBOARD: Final[dict[str, dict[str, str]]] = {
    "dashboard.title": {"zh": "经营概览", "en": "Dashboard"},
    "dashboard.subtitle": {
        "zh": "个人贷款业务核心指标",
        "en": "The personal-loan business at a glance",
    },
    "dashboard.as_of": {"zh": "数据截至 {date}", "en": "As of {date}"},
    "dashboard.period": {"zh": "统计期间：{start} 至 {end}", "en": "Period: {start} to {end}"},
    "dashboard.scope.all": {"zh": "范围：全行", "en": "Scope: the whole bank"},
    "dashboard.scope.branch": {
        "zh": "范围：{branch}及下辖机构",
        "en": "Scope: {branch} and the branches below it",
    },
    "dashboard.scope.own": {
        "zh": "范围：本人管户的贷款与申请",
        "en": "Scope: the loans and applications you manage",
    },
    "dashboard.cached_note": {
        "zh": "指标每 30 秒更新一次；余额与不良率为当前时点数，不受统计期间影响。",
        "en": (
            "Figures refresh every 30 seconds; balance and NPL ratio are as of now, whatever "
            "the period."
        ),
    },
    # filters
    "dashboard.filter.title": {"zh": "筛选条件", "en": "Filters"},
    "dashboard.filter.from": {"zh": "起始月份", "en": "From month"},
    "dashboard.filter.to": {"zh": "截止月份", "en": "To month"},
    "dashboard.filter.branch": {"zh": "机构", "en": "Branch"},
    "dashboard.filter.product": {"zh": "产品", "en": "Product"},
    "dashboard.filter.channel": {"zh": "渠道", "en": "Channel"},
    "dashboard.filter.all_branches": {"zh": "全部机构", "en": "All branches"},
    "dashboard.filter.all_products": {"zh": "全部产品", "en": "All products"},
    "dashboard.filter.all_channels": {"zh": "全部渠道", "en": "All channels"},
    "dashboard.filter.apply": {"zh": "查询", "en": "Apply"},
    "dashboard.filter.reset": {"zh": "重置", "en": "Reset"},
    "dashboard.filter.invalid": {
        "zh": "筛选条件有误，已按默认条件显示：",
        "en": "Some filters are not valid; the default view is shown instead:",
    },
    "dashboard.channel.online": {"zh": "网上银行", "en": "Online"},
    "dashboard.channel.mobile": {"zh": "手机银行", "en": "Mobile"},
    "dashboard.channel.branch": {"zh": "网点", "en": "Branch"},
    "dashboard.channel.partner": {"zh": "合作机构", "en": "Partner"},
    "dashboard.channel.call_center": {"zh": "电话中心", "en": "Call centre"},
    "dashboard.channel.sms": {"zh": "短信", "en": "SMS"},
    "dashboard.channel.wechat": {"zh": "微信", "en": "WeChat"},
    "dashboard.channel.referral": {"zh": "转介绍", "en": "Referral"},
    # cards
    "dashboard.card.applications": {"zh": "申请笔数", "en": "Applications"},
    "dashboard.card.applications_note": {
        "zh": "统计期间内提交的申请",
        "en": "Submitted in the period",
    },
    "dashboard.card.approval_rate": {"zh": "审批通过率", "en": "Approval rate"},
    "dashboard.card.approval_note": {
        "zh": "批准 {approved} 笔 / 已决策 {decided} 笔",
        "en": "{approved} approved of {decided} decided",
    },
    "dashboard.card.disbursed": {"zh": "放款金额", "en": "Disbursed"},
    "dashboard.card.disbursed_note": {
        "zh": "统计期间内发放的贷款本金",
        "en": "Principal of loans disbursed in the period",
    },
    "dashboard.card.balance": {"zh": "贷款余额", "en": "Outstanding balance"},
    "dashboard.card.balance_note": {
        "zh": "当前在贷本金余额",
        "en": "Principal outstanding today",
    },
    "dashboard.card.npl_ratio": {"zh": "不良贷款率", "en": "NPL ratio"},
    "dashboard.card.npl_note": {
        "zh": "不良余额 {amount}（次级 + 可疑 + 损失）",
        "en": "NPL balance {amount} (substandard + doubtful + loss)",
    },
    # charts and tables
    "dashboard.monthly.title": {"zh": "按月趋势", "en": "By month"},
    "dashboard.branch.title": {"zh": "按机构", "en": "By branch"},
    "dashboard.col.month": {"zh": "月份", "en": "Month"},
    "dashboard.col.branch": {"zh": "机构", "en": "Branch"},
    "dashboard.col.applications": {"zh": "申请笔数", "en": "Applications"},
    "dashboard.col.approved": {"zh": "批准笔数", "en": "Approved"},
    "dashboard.col.decided": {"zh": "已决策笔数", "en": "Decided"},
    "dashboard.col.approval_rate": {"zh": "通过率", "en": "Approval rate"},
    "dashboard.col.disbursed": {"zh": "放款金额", "en": "Disbursed"},
    "dashboard.col.balance": {"zh": "贷款余额", "en": "Balance"},
    "dashboard.col.npl_balance": {"zh": "不良余额", "en": "NPL balance"},
    "dashboard.col.npl_ratio": {"zh": "不良率", "en": "NPL ratio"},
    "dashboard.col.total": {"zh": "合计", "en": "Total"},
    "dashboard.unassigned": {"zh": "未分配机构", "en": "No branch"},
    "dashboard.chart.applications": {
        "zh": "申请笔数与审批通过率",
        "en": "Applications and approval rate",
    },
    "dashboard.chart.disbursed": {"zh": "放款金额（万元）", "en": "Disbursed (¥10k)"},
    "dashboard.chart.branch_amounts": {
        "zh": "放款金额与贷款余额（万元）",
        "en": "Disbursed and balance (¥10k)",
    },
    "dashboard.chart.branch_npl": {"zh": "不良贷款率", "en": "NPL ratio"},
    "dashboard.chart.label": {
        "zh": "{title}图表（数据见下方表格）",
        "en": "{title} chart (figures in the table below)",
    },
    "dashboard.unit.count": {"zh": "笔", "en": "count"},
    "dashboard.unit.wan": {"zh": "万元", "en": "¥10k"},
    "dashboard.no_rows": {"zh": "所选条件下没有数据。", "en": "No figures for these filters."},
    "dashboard.empty.title": {"zh": "还没有业务数据", "en": "No business data yet"},
    "dashboard.empty.body": {
        "zh": "数据库已就绪，但还没有任何客户。运行下面的命令生成演示银行的数据，然后刷新本页：",
        "en": (
            "The database is ready but holds no customers yet. Build the demo bank with the "
            "command below, then reload this page:"
        ),
    },
}
