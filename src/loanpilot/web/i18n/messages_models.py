"""Messages of the marketing models pages (zh/en, issue 6)."""

from __future__ import annotations

from loanpilot.web.i18n.labels import labels

MODELS: dict[str, dict[str, str]] = labels(
    "models",
    {
        "title": ("营销模型", "Marketing models"),
        "subtitle": (
            "响应、办理、流失等倾向模型与增益（uplift）模型：版本、状态与交叉验证效果。",
            "Propensity models (response, take-up, attrition…) and uplift models: versions, "
            "status and cross-validated performance.",
        ),
        "back": ("返回营销模型", "Back to the marketing models"),
        "back_offers": ("返回下一最佳产品推荐", "Back to next-best-offer"),
        "empty": (
            "尚无已登记的营销模型。可用 loanpilot propensity fit --register 名称 登记。",
            "No marketing model is registered yet. Register one with "
            "loanpilot propensity fit --register NAME.",
        ),
        "cv_hint": (
            "交叉验证 AUC：分层 k 折验证中所选学习器的平均 AUC。",
            "CV AUC: the chosen learner's mean AUC over stratified k-fold cross-validation.",
        ),
        "facts": ("模型概况", "Model facts"),
        "metrics": ("指标", "Metrics"),
        "no_metrics": ("未记录指标。", "No metrics recorded."),
        "data_hash": ("训练数据 SHA-256", "Training data SHA-256"),
        "col.name": ("名称", "Name"),
        "col.version": ("版本", "Version"),
        "col.status": ("状态", "Status"),
        "col.kind": ("类型", "Kind"),
        "col.target": ("目标", "Target"),
        "col.trained_at": ("训练时间", "Trained at"),
        "col.cv_auc": ("交叉验证 AUC", "CV AUC"),
        "col.learner": ("所选学习器", "Chosen learner"),
        "status.active": ("使用中", "Active"),
        "status.retired": ("已停用", "Retired"),
        "kind.propensity": ("倾向模型", "Propensity"),
        "kind.uplift": ("增益模型", "Uplift"),
        "learner.logistic": ("正则化逻辑回归", "Regularised logistic regression"),
        "learner.lightgbm": ("LightGBM", "LightGBM"),
        "learner.blend": ("逻辑回归与 LightGBM 融合", "Blend of logistic regression and LightGBM"),
        "gains.title": ("提升与累计捕获（十分位）", "Lift and cumulative gains by decile"),
        "gains.hint": (
            "按模型概率从高到低排序后等分为十组；第 1 组为最可能响应的 10 % 客户。表中数字来自交叉验证的样本外预测。",
            "Customers ranked by the model's probability, highest first, in ten equal groups; "
            "decile 1 is the 10 % most likely to respond. Figures from out-of-fold predictions.",
        ),
        "gains.none": ("该模型未记录提升表。", "No lift table is recorded for this model."),
        "gains.chart": ("累计捕获曲线", "Cumulative gains chart"),
        "gains.decile": ("十分位", "Decile"),
        "gains.count": ("客户数", "Customers"),
        "gains.positives": ("响应数", "Positives"),
        "gains.rate": ("响应率", "Rate"),
        "gains.lift": ("提升度", "Lift"),
        "gains.cum_gains": ("累计捕获率", "Cumulative gains"),
        "gains.cum_lift": ("累计提升度", "Cumulative lift"),
        "gains.model": ("模型", "Model"),
        "gains.random": ("随机", "Random"),
        "gains.x": ("目标客户占比 %", "Customers targeted %"),
        "gains.y": ("捕获的响应 %", "Positives captured %"),
    },
)
