"""zh/en messages of the console dashboard (经营概览)."""

from __future__ import annotations

from typing import Final

DASHBOARD: Final[dict[str, dict[str, str]]] = {
    "page.title": {"zh": "经营概览", "en": "Headline figures"},
    "page.subtitle": {
        "zh": "个人贷款业务核心指标",
        "en": "The personal-loan business at a glance",
    },
    "page.as_of": {"zh": "数据截至 {date}", "en": "As of {date}"},
    "page.source_note": {
        "zh": "以上数字直接读取自数据库；完整的管理控制台即将上线。",
        "en": "These figures are read straight from the database; the full console is on its way.",
    },
    "card.customers": {"zh": "客户数", "en": "Customers"},
    "card.customers_note": {"zh": "其中 {count} 位同意营销", "en": "{count} consent to marketing"},
    "card.active_loans": {"zh": "在贷笔数", "en": "Active loans"},
    "card.active_loans_note": {"zh": "正在还款的贷款", "en": "Loans being repaid"},
    "card.balance": {"zh": "贷款余额", "en": "Outstanding balance"},
    "card.balance_note": {"zh": "在贷本金余额", "en": "Principal outstanding"},
    "card.npl_ratio": {"zh": "不良贷款率", "en": "NPL ratio"},
    "card.npl_note": {
        "zh": "不良余额 {amount}（次级 + 可疑 + 损失）",
        "en": "NPL balance {amount} (substandard + doubtful + loss)",
    },
    "card.npl_none": {"zh": "暂无在贷余额", "en": "Nothing outstanding"},
    "card.applications": {"zh": "本月申请", "en": "Applications this month"},
    "card.applications_note": {
        "zh": "批准 {approved} 笔 · 放款 {disbursed}",
        "en": "{approved} approved · {disbursed} disbursed",
    },
    "five.title": {"zh": "五级分类余额", "en": "Balance by five-category class"},
    "five.class": {"zh": "分类", "en": "Class"},
    "five.balance": {"zh": "余额", "en": "Balance"},
    "five.share": {"zh": "占比", "en": "Share"},
    "five.total": {"zh": "合计", "en": "Total"},
    "five.npl": {"zh": "不良", "en": "NPL"},
    "monthly.title": {
        "zh": "近 12 个月申请与放款",
        "en": "Applications and disbursements, last 12 months",
    },
    "monthly.month": {"zh": "月份", "en": "Month"},
    "monthly.applications": {"zh": "申请笔数", "en": "Applications"},
    "monthly.disbursed": {"zh": "放款金额", "en": "Disbursed"},
    "monthly.chart_label": {
        "zh": "{series}柱状图（数据见表格）",
        "en": "{series} bar chart (figures in the table)",
    },
    "empty.title": {"zh": "还没有业务数据", "en": "No business data yet"},
    "empty.body": {
        "zh": "数据库已就绪，但还没有任何客户。运行下面的命令生成演示银行的数据，然后刷新本页：",
        "en": (
            "The database is ready but holds no customers yet. Build the demo bank with the "
            "command below, then reload this page:"
        ),
    },
    "schema.title": {"zh": "数据库尚未初始化", "en": "The database is not set up yet"},
    "schema.body": {
        "zh": "数据库中还没有 LoanPilot 的数据表。运行下面的命令完成迁移，然后刷新本页：",
        "en": (
            "The database has no LoanPilot tables yet. Run the migrations with the command "
            "below, then reload this page:"
        ),
    },
}
