"""Messages of the portfolio pages and report (zh/en)."""

from __future__ import annotations


def _m(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


PORTFOLIO: dict[str, dict[str, str]] = {
    "portfolio.title": _m("资产组合分析", "Portfolio analytics"),
    "portfolio.subtitle": _m(
        "贷款余额、不良率、迁徙率、账龄曲线、集中度与申请客群稳定性",
        "Balance, NPL ratio, roll rates, vintages, concentration and applicant stability",
    ),
    "portfolio.as_of": _m("数据日期：{day}", "As of {day}"),
    "portfolio.tab.overview": _m("总览", "Overview"),
    "portfolio.tab.roll": _m("迁徙率", "Roll rates"),
    "portfolio.tab.vintages": _m("账龄分析", "Vintages"),
    "portfolio.tab.concentration": _m("集中度", "Concentration"),
    "portfolio.tab.applicants": _m("申请与客群稳定性", "Applicants"),
    "portfolio.tabs": _m("资产组合分析页面", "Portfolio pages"),
    "portfolio.none": _m("未记录", "Not recorded"),
    "portfolio.all": _m("全部", "All"),
    "portfolio.filter.title": _m("筛选", "Filter"),
    "portfolio.filter.product": _m("产品", "Product"),
    "portfolio.filter.channel": _m("渠道", "Channel"),
    "portfolio.filter.branch": _m("机构", "Branch"),
    "portfolio.filter.segment": _m("客群（年龄段）", "Segment (age band)"),
    "portfolio.filter.campaign": _m("营销活动", "Campaign"),
    "portfolio.filter.any": _m("全部", "Any"),
    "portfolio.filter.apply": _m("应用", "Apply"),
    "portfolio.filter.reset": _m("重置", "Reset"),
    "portfolio.filter.invalid": _m(
        "部分筛选条件无效，已忽略：", "Some filters were invalid and ignored:"
    ),
    "portfolio.empty": _m("暂无数据。", "No data yet."),
    "portfolio.chart.label": _m(
        "图表：{title}（数据见下表）", "Chart: {title} (figures in the table below)"
    ),
    # overview
    "portfolio.card.balance": _m("贷款余额", "Balance"),
    "portfolio.card.balance_note": _m("{loans} 笔在还贷款", "{loans} loans repaying"),
    "portfolio.card.npl": _m("不良率", "NPL ratio"),
    "portfolio.card.npl_note": _m(
        "次级+可疑+损失 {amount}", "Substandard + doubtful + loss {amount}"
    ),
    "portfolio.card.dpd30": _m("30+ 逾期率（M1+）", "30+ DPD ratio (M1+)"),
    "portfolio.card.dpd30_note": _m(
        "逾期超过30天的余额 {amount}", "Balance more than 30 days past due {amount}"
    ),
    "portfolio.card.overdue": _m("逾期率", "Overdue ratio"),
    "portfolio.card.overdue_note": _m(
        "任一期逾期的余额 {amount}", "Balance with any arrear {amount}"
    ),
    "portfolio.by_class": _m("五级分类余额", "Balance by five-category class"),
    "portfolio.by_bucket": _m("逾期账龄余额", "Balance by DPD bucket"),
    "portfolio.by_class_mix": _m("五级分类构成（占余额）", "Five-category mix (share of balance)"),
    "portfolio.by_class_other": _m(
        "正常类以外的余额（关注、次级、可疑、损失；合计 {amount}）",
        "Balance not classed normal (special mention to loss; {amount} in all)",
    ),
    "portfolio.by_bucket_mix": _m("逾期账龄构成（占余额）", "DPD bucket mix (share of balance)"),
    "portfolio.by_bucket_overdue": _m(
        "逾期贷款余额（M1 及以上；合计 {amount}）",
        "Balance past due (M1 and worse; {amount} in all)",
    ),
    "portfolio.trend": _m("月末趋势", "Month-end trend"),
    "portfolio.col.class": _m("分类", "Class"),
    "portfolio.col.bucket": _m("账龄", "Bucket"),
    "portfolio.col.balance": _m("余额", "Balance"),
    "portfolio.col.share": _m("占比", "Share"),
    "portfolio.col.month_end": _m("月末", "Month end"),
    "portfolio.col.loans": _m("笔数", "Loans"),
    "portfolio.col.npl_ratio": _m("不良率", "NPL ratio"),
    "portfolio.col.dpd30_ratio": _m("30+ 逾期率", "30+ ratio"),
    "portfolio.col.overdue_ratio": _m("逾期率", "Overdue ratio"),
    "portfolio.class.normal": _m("正常", "Normal"),
    "portfolio.class.special_mention": _m("关注", "Special mention"),
    "portfolio.class.substandard": _m("次级", "Substandard"),
    "portfolio.class.doubtful": _m("可疑", "Doubtful"),
    "portfolio.class.loss": _m("损失", "Loss"),
    "portfolio.definitions": _m(
        "口径：M0 未逾期，M1 逾期1–30天，M2 31–60天 … M7+ 超过180天；30+ 指逾期超过30天（M2及以上），90+ 指逾期超过90天（M4及以上，次级门槛）。账龄分析的 M1+ / M3+ 指曾经 30+ / 90+。",
        "Definitions: M0 current, M1 1–30 days past due, M2 31–60 … M7+ over 180; 30+ means more than 30 days past due (M2 or worse), 90+ more than 90 (M4 or worse, the substandard threshold). Vintage M1+ / M3+ mean ever 30+ / ever 90+.",
    ),
    # roll rates
    "portfolio.roll.title": _m("迁徙率矩阵", "Roll-rate matrix"),
    "portfolio.roll.period": _m("{start} 月末 → {end} 月末", "Month end {start} → month end {end}"),
    "portfolio.roll.note": _m(
        "每行：上月末处于该账龄的贷款，本月末所处状态的余额占比（按上月末余额）。",
        "Each row: where the balance in a bucket at the first month end is at the next (shares of the first month end's balance).",
    ),
    "portfolio.roll.by_loans": _m("按笔数", "By loans"),
    "portfolio.roll.from": _m("上月末 \\ 本月末", "From \\ to"),
    "portfolio.roll.none": _m(
        "还没有两个相邻月末的快照。", "There are no snapshots of two consecutive month ends yet."
    ),
    "portfolio.state.settled": _m("结清", "Settled"),
    "portfolio.state.written_off": _m("核销/转让", "Written off / transferred"),
    "portfolio.flow.title": _m("滚动率", "Flow rates"),
    "portfolio.flow.note": _m(
        "某账龄余额一个月后进入下一账龄的比例。",
        "Share of a bucket's balance in the next bucket a month later.",
    ),
    "portfolio.flow.trend": _m("滚动率趋势", "Flow-rate trend"),
    "portfolio.col.from": _m("从", "From"),
    "portfolio.col.to": _m("到", "To"),
    "portfolio.col.flowed": _m("流入下一账龄", "Flowed on"),
    "portfolio.col.rate": _m("滚动率（余额）", "Flow rate (balance)"),
    "portfolio.col.loan_rate": _m("滚动率（笔数）", "Flow rate (loans)"),
    # vintages
    "portfolio.vintage.title": _m("账龄曲线", "Vintage curves"),
    "portfolio.vintage.note": _m(
        "各放款月份的贷款在每个账龄月（MOB）末累计曾经逾期 30+（M1+）或 90+（M3+）的比例。",
        "Cumulative share of each origination month's loans that had been 30+ (M1+) or 90+ (M3+) by the end of each month on book.",
    ),
    "portfolio.vintage.by": _m("分组", "Group by"),
    "portfolio.vintage.by_cohort": _m("放款月份", "Origination month"),
    "portfolio.vintage.metric": _m("指标", "Metric"),
    "portfolio.vintage.m1": _m("M1+ 笔数占比", "M1+ share of loans"),
    "portfolio.vintage.m3": _m("M3+ 笔数占比", "M3+ share of loans"),
    "portfolio.vintage.m1_balance": _m("M1+ 金额占比", "M1+ share of principal"),
    "portfolio.vintage.m3_balance": _m("M3+ 金额占比", "M3+ share of principal"),
    "portfolio.vintage.mob": _m("账龄月（MOB）", "Months on book"),
    "portfolio.vintage.group": _m("分组", "Group"),
    "portfolio.vintage.months": _m("放款月份范围", "Origination months"),
    "portfolio.vintage.months_recent": _m("最近 {n} 个月", "The last {n} months"),
    "portfolio.vintage.months_all": _m("全部", "All"),
    "portfolio.vintage.showing_recent": _m(
        "显示最近 {n} 个月（{since} 起）的放款月份：{shown} 个，共 {total} 个。",
        "Showing the origination months of the last {n} months (from {since}): {shown} of {total}.",
    ),
    "portfolio.vintage.showing_all": _m(
        "显示全部 {total} 个放款月份。", "Showing all {total} origination months."
    ),
    "portfolio.vintage.show_all": _m("查看全部", "Show all"),
    "portfolio.vintage.show_recent": _m("只看最近 {n} 个月", "Only the last {n} months"),
    "portfolio.vintage.many_hint": _m(
        "放款月份较多，图中不列图例：线条颜色由浅到深表示放款月份由早到晚，鼠标悬停可看月份与数值。",
        "Too many months for a legend: lines run from light (earlier months) to dark (later "
        "months); hover a line for its month and value.",
    ),
    "portfolio.vintage.latest": _m("最新 M1+", "Latest M1+"),
    "portfolio.vintage.latest_m3": _m("最新 M3+", "Latest M3+"),
    "portfolio.fpd.title": _m("首期逾期（FPD30）", "First-payment default (FPD30)"),
    "portfolio.fpd.note": _m(
        "首期还款到期后逾期超过30天的贷款占比（首期到期满31天的贷款）。",
        "Share of loans whose first instalment was more than 30 days past due (loans whose first due date is at least 31 days past).",
    ),
    "portfolio.col.cohort": _m("放款月份", "Origination month"),
    "portfolio.col.fpd_loans": _m("首期逾期笔数", "FPD30 loans"),
    "portfolio.col.fpd_rate": _m("FPD30（笔数）", "FPD30 (loans)"),
    "portfolio.col.fpd_balance_rate": _m("FPD30（金额）", "FPD30 (principal)"),
    "portfolio.col.principal": _m("放款金额", "Disbursed"),
    # concentration
    "portfolio.conc.title": _m("集中度", "Concentration"),
    "portfolio.conc.dimension": _m("维度", "Dimension"),
    "portfolio.conc.summary": _m("各维度集中度", "Concentration by dimension"),
    "portfolio.conc.hhi": _m("HHI", "HHI"),
    "portfolio.conc.equivalent": _m("等效个数", "Equivalent number"),
    "portfolio.conc.top_share": _m("前{n}大占比", "Top {n} share"),
    "portfolio.conc.note": _m(
        "HHI = 各项余额占比的平方和（0–1，越大越集中）；等效个数 = 1/HHI。",
        "HHI = sum of squared balance shares (0–1, higher is more concentrated); equivalent number = 1 / HHI.",
    ),
    "portfolio.col.rank": _m("排名", "Rank"),
    "portfolio.col.key": _m("项目", "Item"),
    "portfolio.col.cumulative": _m("累计占比", "Cumulative share"),
    "portfolio.dim.product": _m("产品", "Product"),
    "portfolio.dim.channel": _m("渠道", "Channel"),
    "portfolio.dim.branch": _m("机构", "Branch"),
    "portfolio.dim.manager": _m("客户经理", "Customer manager"),
    "portfolio.dim.campaign": _m("营销活动", "Campaign"),
    "portfolio.dim.segment": _m("客群（年龄段）", "Segment (age band)"),
    # applicants
    "portfolio.funnel.title": _m("审批通过率与转化率", "Approval and pass-through rates"),
    "portfolio.funnel.note": _m(
        "按提交月份：通过率 = 通过 ÷ 已决策；转化率 = 放款 ÷ 申请；提款率 = 放款 ÷ 通过。",
        "By submission month: approval rate = approved ÷ decided; pass-through = disbursed ÷ applications; take-up = disbursed ÷ approved.",
    ),
    "portfolio.col.month": _m("月份", "Month"),
    "portfolio.col.applications": _m("申请", "Applications"),
    "portfolio.col.decided": _m("已决策", "Decided"),
    "portfolio.col.approved": _m("通过", "Approved"),
    "portfolio.col.disbursed": _m("放款", "Disbursed"),
    "portfolio.col.approval_rate": _m("通过率", "Approval rate"),
    "portfolio.col.pass_through": _m("转化率", "Pass-through"),
    "portfolio.col.take_up": _m("提款率", "Take-up"),
    "portfolio.psi.title": _m("申请客群稳定性（PSI）", "Applicant population stability (PSI)"),
    "portfolio.psi.note": _m(
        "基准：{start} 至 {end} 的申请（{base} 人）；观察：{recent} 的申请（{now} 人）。PSI < 0.1 稳定，0.1–0.25 关注，> 0.25 显著偏移。",
        "Baseline: applications of {start} to {end} ({base}); watched: {recent} ({now}). PSI < 0.1 stable, 0.1–0.25 watch, > 0.25 shift.",
    ),
    "portfolio.psi.none": _m(
        "申请历史不足，暂不能计算 PSI。", "Too little application history for a PSI yet."
    ),
    "portfolio.psi.score": _m("评分 PSI", "Score PSI"),
    "portfolio.psi.bins": _m("评分分布", "Score distribution"),
    "portfolio.psi.baseline": _m("基准", "Baseline"),
    "portfolio.psi.recent": _m("观察月", "Watched month"),
    "portfolio.col.bin": _m("分箱", "Bin"),
    "portfolio.col.variable": _m("变量", "Variable"),
    "portfolio.col.psi": _m("PSI", "PSI"),
    "portfolio.col.band": _m("结论", "Reading"),
    "portfolio.band.stable": _m("稳定", "Stable"),
    "portfolio.band.watch": _m("关注", "Watch"),
    "portfolio.band.shift": _m("显著偏移", "Shift"),
    "portfolio.feature.amount_yuan": _m("申请金额（元）", "Amount (yuan)"),
    "portfolio.feature.term_months": _m("期限（月）", "Term (months)"),
    "portfolio.feature.monthly_income_yuan": _m("月收入（元）", "Monthly income (yuan)"),
    "portfolio.feature.age": _m("年龄", "Age"),
    "portfolio.feature.occupation": _m("职业", "Occupation"),
    "portfolio.feature.channel": _m("渠道", "Channel"),
    # the CLI report
    "portfolio.report.title": _m("资产组合分析报告", "Portfolio report"),
    "portfolio.report.generated": _m("生成于 {at}", "Generated {at}"),
}
