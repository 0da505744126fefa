"""Messages of the KPI dashboard (zh/en)."""

from __future__ import annotations

KPIS: dict[str, dict[str, str]] = {
    "kpis.title": {"zh": "指标体系", "en": "KPI suite"},
    "kpis.subtitle": {
        "zh": "申请、审批、放款、客户、满意度、市场、风险与活动的关键指标，按期间与维度对照目标",
        "en": "Applications, approvals, lending, customers, satisfaction, market, risk and "
        "campaigns, by period and dimension, against their targets",
    },
    "kpis.by": {"zh": "按", "en": "by"},
    "kpis.definitions": {"zh": "指标定义与公式", "en": "Definitions and formulas"},
    "kpis.back": {"zh": "返回指标体系", "en": "Back to the KPI suite"},
    "kpis.filter": {"zh": "选择期间与维度", "en": "Period and dimension"},
    "kpis.period": {"zh": "期间", "en": "Period"},
    "kpis.dimension": {"zh": "维度", "en": "Dimension"},
    "kpis.apply": {"zh": "查询", "en": "Show"},
    "kpis.invalid": {"zh": "输入有误，请检查：", "en": "Please check:"},
    "kpis.table": {"zh": "指标一览", "en": "KPIs"},
    "kpis.col.kpi": {"zh": "指标", "en": "KPI"},
    "kpis.col.value": {"zh": "本期", "en": "This period"},
    "kpis.col.target": {"zh": "目标", "en": "Target"},
    "kpis.col.attainment": {"zh": "达成率", "en": "Attainment"},
    "kpis.col.previous": {"zh": "上期", "en": "Previous period"},
    "kpis.col.change": {"zh": "变动", "en": "Change"},
    "kpis.none": {"zh": "该维度下暂无数据", "en": "No figures for this dimension"},
    "kpis.note": {
        "zh": "余额类指标（市场份额、不良率、逾期率）取期末日终快照；进行中的期间取当前余额。"
        "点击指标名称查看公式。",
        "en": "Balance figures (market share, NPL, overdue) are the period end's daily-close "
        "snapshot; for the running period, the live book. Click a KPI's name for its formula.",
    },
    "kpis.trend": {"zh": "近六期走势", "en": "Last six periods"},
    "kpis.trend_kpi": {"zh": "指标", "en": "KPI"},
    "kpis.scope.own": {"zh": "范围：本人管户", "en": "Scope: your own customers"},
    "kpis.scope.branch": {"zh": "范围：本机构及下辖机构", "en": "Scope: your branch and below"},
    "kpis.scope.all": {"zh": "范围：全行", "en": "Scope: the whole bank"},
    "kpis.target.title": {"zh": "设定目标", "en": "Set a target"},
    "kpis.target.help": {
        "zh": "比率按百分数填写（如 85 或 85%），金额按元填写，笔数、户数填整数，满意度 1–5 分。"
        "全行目标的维度值为 all；按机构填机构代码，按客户经理填工号。",
        "en": "Rates in percent (85 or 85%), money in yuan, counts as whole numbers, "
        "satisfaction 1–5. The whole bank's key is all; a branch's is its code, a manager's "
        "the employee no.",
    },
    "kpis.target.key": {"zh": "维度值", "en": "Key"},
    "kpis.target.save": {"zh": "保存目标", "en": "Save target"},
    "kpis.def.unit": {"zh": "单位", "en": "Unit"},
    "kpis.def.higher": {"zh": "越高越好", "en": "higher is better"},
    "kpis.def.lower": {"zh": "越低越好", "en": "lower is better"},
    "kpis.def.dimensions": {"zh": "可按维度", "en": "Dimensions"},
    "kpis.unit.pct": {"zh": "百分比", "en": "percent"},
    "kpis.unit.fen": {"zh": "金额（元）", "en": "amount (yuan)"},
    "kpis.unit.count": {"zh": "数量", "en": "count"},
    "kpis.unit.score": {"zh": "分", "en": "score"},
}
