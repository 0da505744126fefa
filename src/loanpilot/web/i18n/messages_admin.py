"""zh/en messages of the console's admin pages: staff, org units, permissions, audit log."""

from __future__ import annotations

from typing import Final

ADMIN: Final[dict[str, dict[str, str]]] = {
    "admin.any": {"zh": "全部", "en": "Any"},
    "admin.yes": {"zh": "是", "en": "Yes"},
    "admin.no": {"zh": "否", "en": "No"},
    # staff
    "admin.staff.subtitle": {
        "zh": "全行员工及其角色、机构、部门与登录账户。",
        "en": "The bank's staff with their role, branch, org unit and login.",
    },
    "admin.staff.subtitle_branch": {
        "zh": "本机构及下辖机构的员工。",
        "en": "Staff of your branch and the branches below it.",
    },
    "admin.staff.search": {"zh": "姓名 / 工号", "en": "Name / employee no."},
    "admin.staff.search_hint": {"zh": "输入姓名或工号", "en": "Name or employee number"},
    "admin.staff.employee_no": {"zh": "工号", "en": "Employee no."},
    "admin.staff.name": {"zh": "姓名", "en": "Name"},
    "admin.staff.role": {"zh": "角色", "en": "Role"},
    "admin.staff.branch": {"zh": "所属机构", "en": "Branch"},
    "admin.staff.org_unit": {"zh": "部门 / 团队", "en": "Org unit"},
    "admin.staff.status": {"zh": "状态", "en": "Status"},
    "admin.staff.hired_on": {"zh": "入职日期", "en": "Hired on"},
    "admin.staff.has_account": {"zh": "登录账户", "en": "Login account"},
    "admin.status.active": {"zh": "在职", "en": "Active"},
    "admin.status.on_leave": {"zh": "休假", "en": "On leave"},
    "admin.status.left": {"zh": "离职", "en": "Left"},
    # org units
    "admin.org.subtitle": {
        "zh": "总行 → 分行 → 支行，及各机构的部门、团队、负责人和在岗人数。",
        "en": "Head office → branches → sub-branches, with each one's units, heads and headcount.",
    },
    "admin.org.subtitle_branch": {
        "zh": "本机构及下辖机构的组织架构。",
        "en": "The organisation of your branch and the branches below it.",
    },
    "admin.org.head": {"zh": "负责人", "en": "Head"},
    "admin.org.headcount": {"zh": "在岗 {count} 人", "en": "{count} active staff"},
    "admin.level.head_office": {"zh": "总行", "en": "Head office"},
    "admin.level.branch": {"zh": "分行", "en": "Branch"},
    "admin.level.sub_branch": {"zh": "支行", "en": "Sub-branch"},
    "admin.org_kind.marketing_department": {"zh": "市场营销部", "en": "Marketing department"},
    "admin.org_kind.market_analysis_group": {"zh": "市场分析组", "en": "Market analysis group"},
    "admin.org_kind.product_promotion_group": {
        "zh": "产品推广组",
        "en": "Product promotion group",
    },
    "admin.org_kind.customer_service_group": {
        "zh": "客户服务组",
        "en": "Customer service group",
    },
    "admin.org_kind.sales_team": {"zh": "销售团队", "en": "Sales team"},
    "admin.org_kind.risk_team": {"zh": "风险管理团队", "en": "Risk team"},
    # permissions
    "admin.perm.subtitle": {
        "zh": "权限矩阵以数据形式保存，控制台与 API 在同一处统一校验。",
        "en": "The permission matrix is data, enforced in one place for console and API alike.",
    },
    "admin.perm.matrix": {"zh": "角色权限矩阵", "en": "Role-permission matrix"},
    "admin.perm.edit_hint": {
        "zh": "点击单元格授予或收回权限；每次修改均记入审计日志，下一次请求起生效。",
        "en": "Click a cell to grant or withdraw a permission; every change is audited and "
        "applies from the next request.",
    },
    "admin.perm.grant": {"zh": "授予{role}：{permission}", "en": "Grant {permission} to {role}"},
    "admin.perm.withdraw": {
        "zh": "收回{role}的{permission}",
        "en": "Withdraw {permission} from {role}",
    },
    "admin.perm.permissions:write": {
        "zh": "修改角色权限矩阵",
        "en": "Change the role-permission matrix",
    },
    "admin.perm.permission": {"zh": "权限", "en": "Permission"},
    "admin.perm.routes": {"zh": "各路由所需权限", "en": "What each route requires"},
    "admin.perm.routes_hint": {
        "zh": "由路由本身的权限依赖读出，与实际校验一致。",
        "en": "Read from the routes' own permission gates: exactly what is enforced.",
    },
    "admin.perm.method": {"zh": "方法", "en": "Method"},
    "admin.perm.path": {"zh": "路径", "en": "Path"},
    "admin.perm.requires": {"zh": "所需权限", "en": "Requires"},
    "admin.perm.kind": {"zh": "类型", "en": "Kind"},
    "admin.perm.kind_api": {"zh": "API", "en": "API"},
    "admin.perm.kind_page": {"zh": "页面", "en": "Page"},
    "admin.perm.any_staff": {"zh": "任意已登录员工", "en": "Any signed-in staff"},
    "admin.perm.public": {"zh": "公开", "en": "Public"},
    "admin.perm.dashboard:view": {
        "zh": "查看经营概览（核心指标与图表）",
        "en": "View the dashboard (headline KPIs and charts)",
    },
    "admin.perm.customers:read": {
        "zh": "查询客户及客户 360 视图（限数据范围内）",
        "en": "Search customers and open the customer 360 (within scope)",
    },
    "admin.perm.pii:view": {
        "zh": "查看完整身份证号、手机号（每次查看均记入审计日志）",
        "en": "Reveal full ID and phone numbers (every reveal is audited)",
    },
    "admin.perm.products:read": {
        "zh": "查看产品目录、利率与还款计划",
        "en": "View the product catalogue, rates and schedules",
    },
    "admin.perm.products:write": {
        "zh": "维护产品（条款、利率、准入条件）",
        "en": "Edit products (terms, rates, eligibility)",
    },
    "admin.perm.staff:read": {
        "zh": "查看员工与组织架构",
        "en": "View staff and the org chart",
    },
    "admin.perm.staff:write": {
        "zh": "维护员工与账户",
        "en": "Edit staff and their accounts",
    },
    "admin.perm.permissions:read": {
        "zh": "查看权限矩阵与各路由所需权限",
        "en": "View the permission matrix and what each route requires",
    },
    "admin.perm.audit:read": {"zh": "查询审计日志", "en": "Search the audit log"},
    "admin.perm.audit:export": {
        "zh": "导出审计日志（导出行为本身也被审计）",
        "en": "Export the audit log (the export itself is audited)",
    },
    "admin.perm.risk:read": {
        "zh": "查看信用模型、授信政策、审批决定与人工复核队列",
        "en": "View credit models, credit policies, decisions and the review queue",
    },
    "admin.perm.models:write": {
        "zh": "训练、登记、晋升与停用信用模型",
        "en": "Fit, register, promote and retire credit models",
    },
    "admin.perm.policy:write": {
        "zh": "起草与启用授信政策（准入规则、分数线、定价）",
        "en": "Draft and activate credit policies (rules, cut-offs, pricing)",
    },
    "admin.perm.applications:review": {
        "zh": "人工复核转人工的申请（批准或拒绝）",
        "en": "Decide referred applications by hand (approve or decline)",
    },
    "admin.perm.loans:read": {
        "zh": "查看申请流程、贷款、还款计划与还款记录",
        "en": "See the application pipeline, loans, schedules and repayments",
    },
    "admin.perm.loans:service": {
        "zh": "受理签约放款，登记还款、提前还款与冲正",
        "en": "Accept, sign and disburse; post, prepay and reverse repayments",
    },
    "admin.perm.loans:write_off": {"zh": "贷款核销", "en": "Write loans off"},
    "admin.perm.portfolio:close": {
        "zh": "执行日终批处理，人工调整五级分类",
        "en": "Run the daily close; override a loan's five-category class",
    },
    "admin.perm.alerts:work": {
        "zh": "处理风险预警与贷后检查任务，维护预警规则",
        "en": "Work early-warning alerts and monitoring tasks; edit the warning rules",
    },
    "admin.perm.collections:work": {
        "zh": "处理催收队列与案件",
        "en": "Work the collections queue and cases",
    },
    "admin.perm.marketing:read": {
        "zh": "查看客群、下一最佳产品推荐、营销活动及其效果",
        "en": "See segments, next-best-offers, campaigns and their results",
    },
    "admin.perm.segments:write": {
        "zh": "维护客群分档，生成客群细分、产品推荐与营销模型",
        "en": "Edit the segment bands; build segments, offers and marketing models",
    },
    "admin.perm.lists:unmask": {
        "zh": "导出含明文姓名与电话的营销名单（每次导出均留痕）",
        "en": "Export target lists with clear names and phones (each export audited)",
    },
    "admin.perm.campaigns:write": {
        "zh": "策划与优化营销活动、登记费用、导出名单",
        "en": "Plan and optimise campaigns, record spend, export target lists",
    },
    "admin.perm.team:write": {
        "zh": "维护客户经理管户（含移交）、培训、资格证书、师徒结对与轮岗",
        "en": "Maintain portfolios (reassignment), training, certificates, mentors and rotations",
    },
    "admin.perm.appraisal:read": {
        "zh": "查看绩效考核结果（本人；管理者可看本团队）",
        "en": "See appraisal results (one's own; managers their team's)",
    },
    "admin.perm.appraisal:write": {
        "zh": "制定考核方案并运行考核",
        "en": "Write appraisal plans and run appraisals",
    },
    "admin.perm.appraisal:rate": {
        "zh": "为本团队评定定性指标（服务态度、团队协作、创新能力）",
        "en": "Rate the qualitative indicators of one's team",
    },
    "admin.perm.service:read": {
        "zh": "查看满意度调查结果、时效超时与服务质量检查",
        "en": "See survey results, SLA breaches and quality reviews",
    },
    "admin.perm.service:write": {
        "zh": "设计与发送满意度调查、设定服务时效、登记质量检查",
        "en": "Build and send surveys, set SLA targets, record quality reviews",
    },
    "admin.perm.feedback:read": {
        "zh": "查看客户反馈工单与改进措施",
        "en": "See feedback tickets and improvement actions",
    },
    "admin.perm.feedback:work": {
        "zh": "登记、分派、办结工单，提出并验证改进措施",
        "en": "Register, assign and resolve tickets; raise and verify improvement actions",
    },
    "admin.perm.market:write": {
        "zh": "录入或导入市场规模与同业产品利率",
        "en": "Enter or import market sizes and competitors' products",
    },
    "admin.perm.kpi:read": {
        "zh": "查看指标体系（限本人权限范围）",
        "en": "See the KPI suite, within one's scope",
    },
    "admin.perm.kpi:write": {
        "zh": "设定指标目标值，重新计算指标快照",
        "en": "Set KPI targets and recompute KPI snapshots",
    },
    "admin.perm.plan:read": {
        "zh": "查看已生成的营销工作方案（含全行数据与员工排名）",
        "en": "Read generated work plans (bank-wide figures and named top staff)",
    },
    "admin.perm.plan:write": {
        "zh": "生成营销工作方案",
        "en": "Generate the marketing work plan",
    },
    # audit log
    "admin.audit.subtitle": {
        "zh": "谁在何时、从何处做了什么：登录、查看敏感信息、变更与导出。",
        "en": "Who did what, when and from where: logins, reveals, changes and exports.",
    },
    "admin.audit.at": {"zh": "时间", "en": "Time"},
    "admin.audit.actor": {"zh": "操作人", "en": "Actor"},
    "admin.audit.actor_hint": {"zh": "用户名或员工编号", "en": "User name or staff id"},
    "admin.audit.action": {"zh": "操作", "en": "Action"},
    "admin.audit.action_hint": {"zh": "前缀，如 login、pii.", "en": "Prefix, e.g. login, pii."},
    "admin.audit.entity": {"zh": "对象", "en": "Entity"},
    "admin.audit.entity_id": {"zh": "对象编号", "en": "Entity id"},
    "admin.audit.outcome": {"zh": "结果", "en": "Outcome"},
    "admin.audit.from": {"zh": "起始日期", "en": "From"},
    "admin.audit.to": {"zh": "截止日期", "en": "To"},
    "admin.audit.client": {"zh": "客户端地址", "en": "Client address"},
    "admin.audit.detail": {"zh": "详情", "en": "Detail"},
    "admin.audit.export": {"zh": "导出 CSV", "en": "Export CSV"},
    "admin.audit.dates_hint": {
        "zh": "日期按北京时间（Asia/Shanghai）的业务日计算，起止日期均包含在内。",
        "en": "Dates are business days in Beijing time (Asia/Shanghai), both ends included.",
    },
    "admin.audit.export_cap": {
        "zh": "共找到 {total} 条记录；导出文件最多包含最新的 {cap} 条，请缩小筛选范围以导出其余记录。",
        "en": "{total} rows found; an export holds at most the newest {cap}. "
        "Narrow the filters to export the rest.",
    },
    "admin.outcome.ok": {"zh": "成功", "en": "OK"},
    "admin.outcome.denied": {"zh": "拒绝", "en": "Denied"},
    "admin.outcome.failed": {"zh": "失败", "en": "Failed"},
}
