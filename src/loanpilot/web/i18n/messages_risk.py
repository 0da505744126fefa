"""zh/en messages of the console's risk pages: the model registry and a model's page, the credit
policy versions and editor, and the manual-review queue."""

from __future__ import annotations

from typing import Final

from loanpilot.web.i18n.labels import labels

RISK: Final[dict[str, dict[str, str]]] = {
    "nav.risk": {"zh": "风险", "en": "Risk"},
    "nav.lending": {"zh": "贷款业务", "en": "Lending"},
    "nav.portfolio": {"zh": "资产质量", "en": "Portfolio"},
    "nav.alerts": {"zh": "风险预警", "en": "Alerts"},
    "nav.collections": {"zh": "催收", "en": "Collections"},
    "nav.segments": {"zh": "客群细分", "en": "Segments"},
    "nav.offers": {"zh": "产品推荐", "en": "Offers"},
    "nav.campaigns": {"zh": "营销活动", "en": "Campaigns"},
    "risk.title": {"zh": "风险控制", "en": "Risk control"},
    **labels(
        "risk.tab",
        {
            "models": ("评分模型", "Models"),
            "policies": ("授信政策", "Credit policy"),
            "reviews": ("人工审批", "Manual review"),
            "close": ("日终批处理", "Daily close"),
            "classification": ("五级分类认定", "Classification overrides"),
        },
    ),
    "risk.yes": {"zh": "是", "en": "Yes"},
    "risk.no": {"zh": "否", "en": "No"},
    "risk.by_system": {"zh": "系统", "en": "System"},
    # shared columns
    **labels(
        "risk.col",
        {
            "model": ("模型", "Model"),
            "kind": ("类型", "Kind"),
            "status": ("状态", "Status"),
            "registered": ("登记时间 / 登记人", "Registered"),
            "actions": ("操作", "Actions"),
            "at": ("时间", "When"),
            "action": ("动作", "Action"),
            "change": ("状态变化", "Change"),
            "by": ("操作人", "By"),
            "variable": ("变量", "Variable"),
            "version": ("版本", "Version"),
            "created": ("创建", "Created"),
            "activated": ("生效", "Activated"),
            "grade": ("等级", "Grade"),
            "product": ("产品", "Product"),
            "application": ("申请编号", "Application"),
            "amount": ("申请金额", "Amount"),
            "term": ("期限（月）", "Term (months)"),
            "score": ("评分", "Score"),
            "reasons": ("原因", "Reasons"),
            "waiting": ("已等待", "Waiting"),
            "outcome": ("结论", "Outcome"),
            "versions": ("模型 / 政策版本", "Model / policy"),
        },
    ),
    **labels(
        "risk.metric",
        {"auc": ("AUC", "AUC"), "ks": ("KS", "KS"), "gini": ("Gini", "Gini")},
    ),
    **labels(
        "risk.sample",
        {
            "development": ("开发样本", "Development"),
            "holdout": ("验证样本（留出）", "Hold-out"),
            "challenger": ("挑战者 LightGBM（验证）", "Challenger LightGBM (hold-out)"),
        },
    ),
    **labels("risk.kind", {"scorecard": ("评分卡", "Scorecard"), "gbm": ("LightGBM", "LightGBM")}),
    **labels(
        "risk.var_kind",
        {"numeric": ("数值型", "Numeric"), "categorical": ("类别型", "Categorical")},
    ),
    **labels(
        "risk.model.status",
        {
            "challenger": ("挑战者", "Challenger"),
            "champion": ("冠军（在用）", "Champion"),
            "retired": ("已退役", "Retired"),
        },
    ),
    **labels(
        "risk.event",
        {
            "registered": ("登记", "Registered"),
            "promoted": ("晋升为冠军", "Promoted"),
            "retired": ("退役", "Retired"),
        },
    ),
    # the registry
    "risk.models.title": {"zh": "评分模型", "en": "Credit models"},
    "risk.models.subtitle": {
        "zh": "每个模型以“名称@版本”登记：挑战者经晋升成为冠军后用于新申请的评分，原冠军同时退役；每次操作都有记录。",
        "en": "Each model is registered as name@version. Promoting a challenger makes it the "
        "champion that scores new applications and retires the previous champion; every action "
        "is recorded.",
    },
    "risk.models.metrics_hint": {
        "zh": "AUC、KS、Gini 为留出验证样本上的结果（无留出样本时为开发样本）。",
        "en": "AUC, KS and Gini on the hold-out sample (the development sample when there is none).",
    },
    "risk.models.empty": {"zh": "尚未登记任何模型。", "en": "No model is registered yet."},
    "risk.models.promote": {"zh": "晋升为冠军", "en": "Promote"},
    "risk.models.retire": {"zh": "退役", "en": "Retire"},
    "risk.models.back": {"zh": "返回模型列表", "en": "Back to the models"},
    # fitting
    "risk.fit.title": {"zh": "拟合新评分卡", "en": "Fit a new scorecard"},
    "risk.fit.intro": {
        "zh": "上传开发样本（CSV，UTF-8 或 GBK；或 Excel .xlsx，不超过 {mb} MB）：自动分箱、计算 WoE 与 IV、筛选变量、逻辑回归并换算为分值，留出 30% 样本验证，结果登记为挑战者。",
        "en": "Upload a development sample (CSV in UTF-8 or GBK, or Excel .xlsx, up to {mb} MB): "
        "binning, WoE and IV, variable selection, logistic regression and points, validated on a "
        "30 % hold-out, registered as a challenger.",
    },
    "risk.fit.file": {"zh": "数据文件", "en": "Data file"},
    "risk.fit.target": {"zh": "目标列", "en": "Target column"},
    "risk.fit.target_hint": {
        "zh": "标明好/坏的列名，如 bad。",
        "en": "The column that says good or bad, e.g. bad.",
    },
    "risk.fit.bad": {"zh": "“坏”的取值（可选）", "en": "Bad value (optional)"},
    "risk.fit.bad_hint": {
        "zh": "目标列为 0/1（1 为坏）或 good/bad 时可不填；其他取值须注明哪个表示坏。",
        "en": "Not needed for 0/1 (1 = bad) or good/bad; otherwise say which value is bad.",
    },
    "risk.fit.exclude": {"zh": "排除的列（可选）", "en": "Columns to leave out (optional)"},
    "risk.fit.exclude_hint": {
        "zh": "逗号分隔，如编号、姓名等不应入模的列。",
        "en": "Comma-separated, e.g. ID or name columns that must not be variables.",
    },
    "risk.fit.name": {"zh": "模型名称", "en": "Model name"},
    "risk.fit.version": {"zh": "版本", "en": "Version"},
    "risk.fit.version_hint": {
        "zh": "默认为当前时间；名称与版本只能含字母、数字、_ . -。",
        "en": "A timestamp by default; names and versions use letters, digits, _ . - only.",
    },
    "risk.fit.note": {"zh": "备注（可选）", "en": "Note (optional)"},
    "risk.fit.submit": {"zh": "拟合并登记", "en": "Fit and register"},
    "risk.fit.privacy": {
        "zh": "上传的文件只存放在临时目录中，拟合结束后立即删除；模型只记录文件名和训练数据的哈希值。",
        "en": "The file is kept only in a temporary directory that is deleted when the fit "
        "ends; the model records only the file name and the hash of the training data.",
    },
    "risk.fit.invalid": {"zh": "请检查表单：", "en": "Please check the form:"},
    "risk.fit.problem.file": {
        "zh": "请选择 CSV 或 Excel .xlsx 文件",
        "en": "choose a CSV or Excel .xlsx file",
    },
    "risk.fit.problem.file_kind": {
        "zh": "须为 CSV（.csv、.txt）或 Excel .xlsx 文件",
        "en": "must be a CSV (.csv, .txt) or Excel .xlsx file",
    },
    "risk.fit.problem.target": {
        "zh": "请填写标明好/坏的列名",
        "en": "name the column that says good or bad",
    },
    "risk.fit.problem.name": {
        "zh": "1 至 64 个字母、数字、_、. 或 -（不含空格和 @）",
        "en": "1 to 64 letters, digits, '_', '.' or '-' (no spaces or '@')",
    },
    "risk.fit.row": {"zh": "第 {row} 行", "en": "row {row}"},
    # one model
    "risk.model.summary": {"zh": "概要", "en": "Summary"},
    "risk.model.trained_at": {"zh": "训练时间", "en": "Trained at"},
    "risk.model.source": {"zh": "数据来源", "en": "Data source"},
    "risk.model.rows": {"zh": "开发样本行数", "en": "Development rows"},
    "risk.model.bads": {"zh": "其中坏样本", "en": "Of which bad"},
    "risk.model.target": {"zh": "目标", "en": "Target"},
    "risk.model.data_hash": {"zh": "训练数据哈希", "en": "Training data hash"},
    "risk.model.content_hash": {"zh": "模型内容哈希", "en": "Content hash"},
    "risk.model.note": {"zh": "备注", "en": "Note"},
    "risk.model.metrics": {"zh": "模型表现", "en": "Performance"},
    "risk.model.statistic": {"zh": "指标", "en": "Statistic"},
    "risk.model.metrics_hint": {
        "zh": "AUC 越接近 1、KS 与 Gini 越高，区分好坏的能力越强。",
        "en": "The closer AUC is to 1 and the higher KS and Gini, the better the model separates "
        "goods from bads.",
    },
    "risk.model.no_metrics": {"zh": "无验证指标。", "en": "No validation figures."},
    "risk.model.events": {"zh": "操作记录", "en": "Recorded actions"},
    "risk.model.no_events": {"zh": "无记录。", "en": "None."},
    "risk.model.variables": {"zh": "候选变量与 IV", "en": "Candidate variables and IV"},
    "risk.model.kept": {"zh": "入模", "en": "Kept"},
    "risk.model.dropped_reason": {"zh": "剔除原因", "en": "Why dropped"},
    "risk.model.bins": {"zh": "入模变量分箱", "en": "Bins of the kept variables"},
    "risk.model.bins_hint": {
        "zh": "每箱的开发样本数、占比、坏率、WoE 与分值；缺失值单独成箱，未见类别按回退箱计分。",
        "en": "Development rows, share, bad rate, WoE and points of each bin; missing values "
        "have a bin of their own and unseen categories score in the fallback bin.",
    },
    "risk.model.coef": {"zh": "系数", "en": "coefficient"},
    "risk.model.manual_bins": {"zh": "人工分箱", "en": "Manual bins"},
    "risk.model.download_artefact": {
        "zh": "下载模型文件（JSON）",
        "en": "Download the artefact (JSON)",
    },
    "risk.model.download_points": {
        "zh": "下载分值表（CSV）",
        "en": "Download the points table (CSV)",
    },
    "risk.fit.challenger": {
        "zh": "同时训练 LightGBM 挑战者模型，并在留出样本上对比",
        "en": "Also fit a LightGBM challenger and compare it on the hold-out sample",
    },
    "risk.model.report": {"zh": "模型报告（留出样本）", "en": "Model report (hold-out sample)"},
    "risk.model.download_sql": {"zh": "下载 SQL 评分表达式", "en": "Download the SQL expression"},
    "risk.model.artefact_refused": {
        "zh": "模型文件校验失败（可能被篡改），无法评分：",
        "en": "The artefact fails its check (it may have been tampered with) and cannot score:",
    },
    **labels(
        "risk.bin",
        {
            "label": ("分箱", "Bin"),
            "count": ("样本数", "Rows"),
            "share": ("占比", "Share"),
            "bad_rate": ("坏率", "Bad rate"),
            "points": ("分值", "Points"),
            "missing": ("缺失", "Missing"),
            "other": ("其他", "other"),
            "fallback": ("回退箱", "fallback bin"),
            "unseen": ("未见类别", "Unseen category"),
        },
    ),
    # stability
    "risk.psi.title": {"zh": "评分稳定性（PSI，按月）", "en": "Score stability (PSI by month)"},
    "risk.psi.hint": {
        "zh": "每月用本模型评分的申请，其分数分布与开发样本相比的群体稳定性指数：低于 0.1 稳定，0.1–0.25 需关注，高于 0.25 显著偏移。",
        "en": "The population stability index of each month's scores of applications decided "
        "with this model against the development sample: below 0.1 stable, 0.1–0.25 watch, above "
        "0.25 a shift.",
    },
    "risk.psi.no_baseline": {
        "zh": "模型文件中没有开发样本的分数分布，无法计算 PSI。",
        "en": "The artefact holds no development score distribution, so no PSI can be computed.",
    },
    "risk.psi.no_decisions": {
        "zh": "还没有用 {model} 评分的申请。",
        "en": "No application has been scored with {model} yet.",
    },
    **labels(
        "risk.psi.col",
        {
            "month": ("月份", "Month"),
            "n": ("评分笔数", "Scored"),
            "psi": ("PSI", "PSI"),
            "band": ("判断", "Reading"),
        },
    ),
    **labels(
        "risk.psi.band",
        {
            "stable": ("稳定", "Stable"),
            "watch": ("需关注", "Watch"),
            "shift": ("显著偏移", "Shift"),
        },
    ),
    # policies
    "risk.policies.title": {"zh": "授信政策", "en": "Credit policy"},
    "risk.policies.subtitle": {
        "zh": "政策以版本管理：新版本先保存为草稿，生效后原生效版本自动退役；每笔决策都记录所用的政策版本。",
        "en": "The policy is versioned: a new version is saved as a draft, and activating it "
        "retires the active one; every decision records the version that made it.",
    },
    "risk.policies.new": {"zh": "新建政策版本", "en": "New policy version"},
    "risk.policies.empty": {"zh": "尚无政策版本。", "en": "No policy version yet."},
    "risk.policies.back": {"zh": "返回政策列表", "en": "Back to the policy versions"},
    **labels(
        "risk.policy.status",
        {
            "draft": ("草稿", "Draft"),
            "active": ("生效中", "Active"),
            "retired": ("已退役", "Retired"),
        },
    ),
    "risk.policy.title": {"zh": "授信政策 {version}", "en": "Credit policy {version}"},
    "risk.policy.new_title": {"zh": "新建政策版本", "en": "New policy version"},
    "risk.policy.prefilled": {
        "zh": "表单已按生效版本 {version} 预填。",
        "en": "The form is filled in from the active version {version}.",
    },
    "risk.policy.prefilled_default": {
        "zh": "当前没有生效的政策，表单已按默认政策预填。",
        "en": "No version is active; the form is filled in from the default policy.",
    },
    "risk.policy.problems": {
        "zh": "发现 {count} 个问题，草稿未保存：",
        "en": "{count} problem(s) found; the draft was not saved:",
    },
    "risk.policy.version_hint": {
        "zh": "新的版本号，如 2026.2（不可与已有版本重复）。",
        "en": "A new version, e.g. 2026.2 (not one that exists).",
    },
    "risk.policy.model": {"zh": "评分模型名称", "en": "Scoring model name"},
    "risk.policy.model_hint": {
        "zh": "用该名称的冠军模型为申请评分。",
        "en": "The champion of this name scores applications.",
    },
    "risk.policy.hard": {"zh": "硬性规则", "en": "Hard rules"},
    "risk.policy.min_age": {"zh": "最低申请年龄（周岁）", "en": "Minimum age"},
    "risk.policy.max_age": {"zh": "最高申请年龄（周岁）", "en": "Maximum age at application"},
    "risk.policy.max_age_at_maturity": {
        "zh": "到期时最高年龄（周岁）",
        "en": "Maximum age at maturity",
    },
    "risk.policy.min_income": {"zh": "最低月收入（元）", "en": "Minimum monthly income (yuan)"},
    "risk.policy.max_dti": {
        "zh": "最高负债收入比（含本笔）",
        "en": "Maximum debt-to-income (with this loan)",
    },
    "risk.policy.fraction_hint": {
        "zh": "以小数填写，如 0.60 表示 60%。",
        "en": "As a fraction: 0.60 is 60 %.",
    },
    "risk.policy.decline_current_delinquency": {
        "zh": "征信当前有逾期则拒绝",
        "en": "Decline a current bureau delinquency",
    },
    "risk.policy.decline_blacklisted": {"zh": "黑名单客户拒绝", "en": "Decline blacklisted"},
    "risk.policy.cutoffs": {"zh": "评分切分点", "en": "Score cut-offs"},
    "risk.policy.approve_from": {"zh": "批准分数线（含）", "en": "Approve from"},
    "risk.policy.decline_below": {"zh": "拒绝分数线（低于）", "en": "Decline below"},
    "risk.policy.cutoffs_rule": {
        "zh": "拒绝分数线不得高于批准分数线；两者之间转人工审批。",
        "en": "Decline-below may not exceed approve-from; scores between go to manual review.",
    },
    "risk.policy.cutoffs_hint": {
        "zh": "评分 ≥ {approve} 批准，< {decline} 拒绝，其间转人工审批。",
        "en": "Scores ≥ {approve} approve, < {decline} decline, between go to manual review.",
    },
    "risk.policy.pricing": {"zh": "按等级定价与额度", "en": "Price and limit by grade"},
    "risk.policy.spread": {"zh": "加点（小数）", "en": "Spread (fraction)"},
    "risk.policy.income_months": {"zh": "额度（月收入倍数）", "en": "Limit (months of income)"},
    "risk.policy.pricing_hint": {
        "zh": "加点以小数填写（0.003 表示 0.30%），在产品的加点区间内生效；额度为月收入的倍数，另受产品上限、负债收入比与抵押率约束。",
        "en": "Spreads as fractions (0.003 is 0.30 %), kept inside each product's spread band; the "
        "limit is months of income, also bounded by the product maximum, debt-to-income and "
        "loan-to-value.",
    },
    "risk.policy.product_rules": {"zh": "分产品规则", "en": "Rules by product"},
    "risk.policy.occupations": {"zh": "可准入职业", "en": "Occupations lent to"},
    "risk.policy.collateral": {"zh": "要求的担保方式", "en": "Collateral required"},
    "risk.policy.occupations_hint": {
        "zh": "逗号分隔，留空表示不限。可填：{names}",
        "en": "Comma-separated; empty means any. Values: {names}",
    },
    "risk.policy.any": {"zh": "不限", "en": "Any"},
    "risk.policy.no_product_rules": {
        "zh": "无分产品规则（产品自身的准入条件仍然适用）。",
        "en": "No rules by product (each product's own eligibility still applies).",
    },
    "risk.policy.save_draft": {"zh": "保存为草稿", "en": "Save as draft"},
    "risk.policy.cancel": {"zh": "取消", "en": "Cancel"},
    "risk.policy.draft_hint": {
        "zh": "保存后为草稿，须在版本页面点击“生效”才会用于新申请。",
        "en": "Saved as a draft; it decides nothing until activated on its page.",
    },
    "risk.policy.activate": {"zh": "生效", "en": "Activate"},
    "risk.policy.activate_hint": {
        "zh": "生效后，当前生效版本将退役，此后的新申请按本版本决策。",
        "en": "The active version will be retired and new applications decided by this one.",
    },
    # problems of a draft, by the service's English text
    "risk.problem.whole_number": {
        "zh": "须为整数（填写的是 {value}）",
        "en": "must be a whole number; got {value}",
    },
    "risk.problem.decimal": {
        "zh": "须为数字（填写的是 {value}）",
        "en": "must be a number; got {value}",
    },
    "risk.problem.flag": {"zh": "须为是或否", "en": "must be yes or no"},
    "risk.problem.min_age": {
        "zh": "须大于 0 且不高于最高申请年龄",
        "en": "must be positive and at most the maximum age",
    },
    "risk.problem.max_age_at_maturity": {
        "zh": "不得低于最高申请年龄",
        "en": "must be at least the maximum age at application",
    },
    "risk.problem.negative": {"zh": "不得为负数", "en": "must not be negative"},
    "risk.problem.max_dti": {
        "zh": "须大于 0 且不超过 1（100%）",
        "en": "must be above 0 and at most 1 (100 %)",
    },
    "risk.problem.cutoffs": {
        "zh": "规则矛盾：拒绝分数线（{decline}）高于批准分数线（{approve}），两个区间重叠",
        "en": "contradictory rules: decline-below ({decline}) is above approve-from ({approve}), "
        "the bands overlap",
    },
    "risk.problem.not_a_list": {
        "zh": "应为职业列表（逗号分隔）",
        "en": "must be a list of occupations",
    },
    "risk.problem.empty_list": {
        "zh": "空列表将拒绝所有人",
        "en": "an empty list would refuse everyone",
    },
    "risk.problem.spread": {"zh": "须在 0 到 0.24 之间", "en": "must be between 0 and 0.24"},
    "risk.problem.no_grade": {"zh": "至少需要一个等级", "en": "must list at least one grade"},
    "risk.problem.grades": {
        "zh": "加点与额度倍数须列出相同的等级",
        "en": "spreads and income months must list the same grades",
    },
    "risk.problem.version_length": {
        "zh": "须为 1 至 64 个字符",
        "en": "must be 1 to 64 characters",
    },
    "risk.problem.version_taken": {
        "zh": "版本 {version} 已存在，请换一个版本号",
        "en": "{version} already exists; choose a new version",
    },
    "risk.problem.occupations": {"zh": "未知的职业：{names}", "en": "unknown occupations: {names}"},
    "risk.problem.at_most": {"zh": "不得超过 {max}", "en": "must be at most {max}"},
    "risk.problem.no_champion": {
        "zh": "没有名为 {name} 的冠军模型，按此政策所有申请都将无评分、转人工",
        "en": "no champion model named {name}: every application would go unscored to review",
    },
    "risk.problem.collateral": {
        "zh": "未知的担保方式：{kind}",
        "en": "unknown collateral kind {kind}",
    },
    # decisions
    **labels(
        "risk.outcome",
        {
            "approve": ("批准", "Approve"),
            "refer": ("转人工", "Refer"),
            "decline": ("拒绝", "Decline"),
        },
    ),
    **labels(
        "risk.binding",
        {
            "product_max": ("产品最高额度", "product maximum"),
            "income_multiple": ("收入倍数", "income multiple"),
            "dti_headroom": ("负债收入比空间", "debt-to-income headroom"),
            "loan_to_value": ("抵押率", "loan-to-value"),
        },
    ),
    **labels(
        "risk.offer",
        {
            "amount": ("批准金额", "Amount"),
            "annual_rate": ("合同年利率", "Contract rate"),
            "apr": ("年化利率（APR）", "APR"),
            "first_payment": ("首期还款", "First payment"),
            "total_interest": ("利息合计", "Total interest"),
            "limit": ("可贷额度", "Limit"),
        },
    ),
    # the review queue
    "risk.reviews.title": {"zh": "人工审批队列", "en": "Manual-review queue"},
    "risk.reviews.subtitle": {
        "zh": "转人工审批的申请，按等待时间从长到短排列。",
        "en": "Applications referred to manual review, the longest waiting first.",
    },
    "risk.reviews.count": {"zh": "共 {count} 笔待审批", "en": "{count} waiting"},
    "risk.reviews.empty": {"zh": "没有待人工审批的申请。", "en": "No application is waiting."},
    "risk.reviews.back": {"zh": "返回审批队列", "en": "Back to the queue"},
    "risk.reviews.wait_days": {"zh": "{days} 天 {hours} 小时", "en": "{days} d {hours} h"},
    "risk.reviews.wait_hours": {"zh": "{hours} 小时", "en": "{hours} h"},
    "risk.features.none": {"zh": "无记录", "en": "none on record"},
    "risk.review.title": {"zh": "申请 {no}", "en": "Application {no}"},
    "risk.review.application": {"zh": "申请信息", "en": "Application"},
    "risk.review.applicant": {"zh": "申请人", "en": "Applicant"},
    "risk.review.customer_360": {"zh": "客户视图", "en": "Customer 360"},
    "risk.review.months": {"zh": "{n} 个月", "en": "{n} months"},
    "risk.review.method": {"zh": "还款方式", "en": "Repayment"},
    "risk.review.income": {"zh": "申报月收入", "en": "Stated monthly income"},
    "risk.review.channel": {"zh": "渠道", "en": "Channel"},
    "risk.review.submitted": {"zh": "提交时间", "en": "Submitted"},
    "risk.review.referred": {"zh": "转人工时间", "en": "Referred"},
    "risk.review.decide": {"zh": "人工审批", "en": "Manual decision"},
    "risk.review.offer": {"zh": "审批结果：批准", "en": "Approved: the offer"},
    "risk.review.outcome": {"zh": "审批结论", "en": "Decision"},
    "risk.review.approve": {"zh": "批准", "en": "Approve"},
    "risk.review.decline": {"zh": "拒绝", "en": "Decline"},
    "risk.review.amount": {"zh": "批准金额（元，可选）", "en": "Amount (yuan, optional)"},
    "risk.review.amount_hint": {
        "zh": "留空则按申请金额 {amount}（不超过可贷额度）。",
        "en": "Empty: the amount applied for, {amount} (within the limit).",
    },
    "risk.review.collateral": {
        "zh": "抵押物评估价值（元）",
        "en": "Appraised collateral value (yuan)",
    },
    "risk.review.collateral_hint": {
        "zh": "担保类产品批准时必填，用于按抵押率核定额度。",
        "en": "Needed to approve a secured loan: the limit is loan-to-value times this value.",
    },
    "risk.review.note": {"zh": "审批意见（必填）", "en": "Note (required)"},
    "risk.review.submit": {"zh": "提交审批结论", "en": "Record the decision"},
    "risk.review.not_open": {
        "zh": "该申请当前状态为“{status}”，无需人工审批。",
        "en": "This application is {status}; there is nothing to review.",
    },
    "risk.review.decisions": {"zh": "决策记录", "en": "Decisions"},
    "risk.review.no_decisions": {"zh": "尚无决策。", "en": "No decision yet."},
    "risk.review.policy_version": {"zh": "政策 {version}", "en": "policy {version}"},
    "risk.review.features": {"zh": "模型读取的特征", "en": "Features the model read"},
    "risk.review.error.decision": {"zh": "请选择批准或拒绝", "en": "Choose approve or decline"},
    "risk.review.error.note": {
        "zh": "人工审批须填写审批意见",
        "en": "A manual decision needs a note saying why",
    },
    "risk.review.error.collateral": {
        "zh": "担保类贷款须填写抵押物评估价值",
        "en": "A secured loan needs the appraised collateral value",
    },
    "risk.review.error.no_offer": {
        "zh": "无法给出可行的贷款方案",
        "en": "No offer is possible",
    },
    "risk.review.error.not_referred": {
        "zh": "该申请已不在人工审批状态（可能已被他人处理）",
        "en": "This application is no longer referred (someone may have decided it)",
    },
    "risk.offer.part_fund": {"zh": "公积金部分", "en": "Provident-fund part"},
    "risk.offer.part_commercial": {"zh": "商业部分", "en": "Commercial part"},
    "risk.review.error.amount": {
        "zh": "请填写大于0的金额（元，最多两位小数）",
        "en": "Enter an amount in yuan above 0, at most two decimals",
    },
    "risk.review.error.amount_above": {
        "zh": "人工审批的金额不能高于申请金额",
        "en": "A manual approval may lend less than was applied for, never more",
    },
    "risk.review.error.combination": {
        "zh": "组合贷须分别审批公积金与商业部分：请拒绝本申请，或请申请人分别申请两个部分",
        "en": "A combination loan is approved part by part: decline this application, or ask "
        "the applicant to apply for the commercial and provident-fund parts",
    },
    "risk.review.error.policy": {
        "zh": "当前没有生效的授信政策，无法定价",
        "en": "No credit policy is active to price the offer",
    },
}
