"""The labels of the scorecard report, in Chinese and English (``Text(lang)(key)``)."""

from __future__ import annotations

LANGS = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}

#: key -> (Chinese, English)
LABELS: dict[str, tuple[str, str]] = {
    "report": ("评分卡模型报告", "Scorecard model report"),
    "footer": (
        "本报告为离线自包含页面：无脚本、无外部资源。",
        "A self-contained offline page: no scripts, no external resources.",
    ),
    "no_outcome": (
        "本数据不含结果变量（好/坏）：报告只显示无需结果的内容——分数分布、评级分布、稳定性、回退计数与变量分箱。",
        "This data has no outcome (good/bad): the report shows only what needs none — the score "
        "and grade distributions, stability, fallbacks and the variables' bins.",
    ),
    "single_class": (
        "本数据的结果变量只有一类：AUC、Gini、KS、ROC 与增益无法计算。",
        "The outcome in this data has a single class: AUC, Gini, KS, ROC and gains are undefined.",
    ),
    "sec_summary": ("1 概要", "1 Summary"),
    "sec_charts": ("2 区分能力、分布与校准", "2 Discrimination, distribution and calibration"),
    "sec_stability": ("3 稳定性", "3 Stability"),
    "sec_variables": ("4 变量", "4 Variables"),
    "sec_points": ("5 分值表与系数", "5 Points table and coefficients"),
    "sec_challenger": ("6 挑战者模型对比", "6 Challenger comparison"),
    "model": ("模型", "Model"),
    "trained_at": ("训练时间", "Trained at"),
    "data_hash": ("训练数据哈希（前 12 位）", "Training data hash (first 12)"),
    "train_sample": ("训练样本", "Training sample"),
    "rows": ("行数", "Rows"),
    "bads": ("坏样本", "Bads"),
    "goods": ("好样本", "Goods"),
    "bad_rate": ("坏率", "Bad rate"),
    "variables_kept": ("入模变量", "Variables kept"),
    "scaling": ("刻度", "Scaling"),
    "scaling_value": (
        "好坏比 {o}:1 时 {p} 分，每 {d} 分（PDO）好坏比翻倍",
        "{p} points at good:bad odds {o}:1, {d} points to double the odds (PDO)",
    ),
    "metrics": ("区分能力", "Discrimination"),
    "this_data": ("本数据", "This data"),
    "baseline": ("基准样本", "Baseline"),
    "rows_scored": ("评分行数", "Rows scored"),
    "auc": ("AUC", "AUC"),
    "gini": ("Gini", "Gini"),
    "ks": ("KS", "KS"),
    "ks_at": ("KS 对应分数（分数 ≤ 此值 vs 以上）", "KS threshold (score ≤ it vs above)"),
    "fallbacks": ("回退计数", "Fallbacks"),
    "fallback_note": (
        "缺失值按缺失箱计分；未见类别按回退箱计分；超出训练范围的数值按两端的箱计分。",
        "Missing values score in the missing bin; unseen categories in the fallback bin; values "
        "outside the training range in the end bins.",
    ),
    "variable": ("变量", "Variable"),
    "missing": ("缺失", "missing"),
    "unseen": ("未见类别", "unseen category"),
    "out_of_range": ("超出训练范围", "out of range"),
    "affected": ("受影响占比", "Share affected"),
    "grades": ("评级分布", "Grade distribution"),
    "grade": ("等级", "Grade"),
    "min_score": ("最低分", "Minimum score"),
    "max_pd": ("PD 上限", "PD up to"),
    "count": ("数量", "Count"),
    "share": ("占比", "Share"),
    "roc": ("ROC 曲线", "ROC curve"),
    "fpr": ("好样本累计占比（假阳性率）", "Cumulative share of goods (false positive rate)"),
    "tpr": ("坏样本累计占比（真阳性率）", "Cumulative share of bads (true positive rate)"),
    "random": ("随机", "Random"),
    "model_curve": ("模型", "Model"),
    "ks_curve": ("KS 曲线", "KS curve"),
    "score": ("分数", "Score"),
    "cum_share": ("分数 ≤ x 的累计占比", "Cumulative share with score ≤ x"),
    "cum_bad": ("坏样本", "Bads"),
    "cum_good": ("好样本", "Goods"),
    "dist": ("分数分布", "Score distribution"),
    "all_rows": ("全部", "All rows"),
    "share_of_class": ("占本类比例", "Share of its class"),
    "calibration": ("分等级校准", "Calibration by grade"),
    "observed": ("实际坏率", "Observed bad rate"),
    "predicted": ("预测坏率（平均 PD）", "Predicted bad rate (mean PD)"),
    "expected_bads": ("预期坏样本", "Expected bads"),
    "p_value": ("二项检验 p 值（双侧）", "Binomial test p-value (two-sided)"),
    "flag": ("校准不足（α = 5%）", "Miscalibrated (α = 5 %)"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "gains": ("增益曲线", "Gains curve"),
    "gains_table": (
        "增益与提升表（十分位，风险最高在前）",
        "Gains and lift (deciles, riskiest first)",
    ),
    "pop_share": ("累计样本占比（风险最高在前）", "Cumulative share of rows, riskiest first"),
    "capture": ("坏样本捕获率", "Share of bads captured"),
    "lift": ("提升度", "Lift"),
    "cum_lift": ("累计提升度", "Cumulative lift"),
    "lift_chart": ("各十分位提升度", "Lift by decile"),
    "decile": ("十分位", "Decile"),
    "score_range": ("分数区间", "Score range"),
    "psi_score": ("分数 PSI（基准样本 vs 本数据）", "Score PSI (baseline vs this data)"),
    "psi_chart": ("分数分布：基准 vs 本数据", "Score distribution: baseline vs this data"),
    "needs_baseline": (
        "分数 PSI 需要一个基准样本（如训练样本或上期样本），本次未提供。",
        "The score PSI needs a baseline sample (e.g. the training data); none was given.",
    ),
    "band": ("判断", "Band"),
    "band_stable": ("稳定", "stable"),
    "band_watch": ("关注", "watch"),
    "band_shift": ("显著偏移", "shift"),
    "bands_note": (
        "PSI < 0.1 稳定；0.1–0.25 需关注；> 0.25 显著偏移，应复核模型。",
        "PSI < 0.1 stable; 0.1–0.25 watch; > 0.25 shift: review the model.",
    ),
    "expected_share": ("基准占比", "Baseline share"),
    "actual_share": ("本数据占比", "Share in this data"),
    "psi_term": ("PSI 分项", "PSI term"),
    "csi": (
        "变量 CSI（训练分箱计数 vs 本数据）",
        "Per-variable CSI (training bin counts vs this data)",
    ),
    "bins": ("箱数", "Bins"),
    "psi": ("PSI", "PSI"),
    "kind": ("类型", "Kind"),
    "numeric": ("数值型", "numeric"),
    "categorical": ("类别型", "categorical"),
    "iv": ("IV", "IV"),
    "woe": ("WoE", "WoE"),
    "points": ("分值", "Points"),
    "bin": ("分箱", "Bin"),
    "train_count": ("训练数量", "Training count"),
    "train_share": ("训练占比", "Training share"),
    "train_bad_rate": ("训练坏率", "Training bad rate"),
    "coef": ("系数", "Coefficient"),
    "other": ("其他（稀有类别）", "other (rare categories)"),
    "fallback_bin": ("未见类别计入此箱", "unseen categories score here"),
    "manual": ("人工分箱", "manual bins"),
    "strength": ("预测力", "Strength"),
    "iv_useless": ("无", "useless"),
    "iv_weak": ("弱", "weak"),
    "iv_medium": ("中", "medium"),
    "iv_strong": ("强", "strong"),
    "iv_suspicious": ("过强（请核查是否泄漏）", "suspicious (check for leakage)"),
    "iv_summary": ("全部候选变量的 IV", "IV of all candidates"),
    "status": ("状态", "Status"),
    "kept": ("入模", "kept"),
    "dropped": ("剔除", "dropped"),
    "reason": ("原因", "Reason"),
    "warnings": ("警告", "Warnings"),
    "none": ("无", "none"),
    "points_table": ("分值表", "Points table"),
    "coef_table": (
        "逻辑回归系数（目标 1 = 坏）",
        "Logistic regression coefficients (target 1 = bad)",
    ),
    "intercept": ("截距", "Intercept"),
    "min_points": ("最低分值", "Min points"),
    "max_points": ("最高分值", "Max points"),
    "metric": ("指标", "Metric"),
    "scorecard": ("评分卡（本数据）", "Scorecard (this data)"),
    "scorecard_holdout": ("评分卡（训练时留出样本）", "Scorecard (hold-out at fitting)"),
    "challenger": ("挑战者", "Challenger"),
    "difference": ("差值（评分卡 − 挑战者）", "Difference (scorecard − challenger)"),
    "challenger_note": (
        "评分卡的数值在本数据上计算（若模型文件记录了训练时留出样本的数值，也一并列出）；挑战者的数值按提供者给出。"
        "差值优先使用留出样本的数值——挑战者通常也在该样本上评估。",
        "The scorecard's figures are computed on this data (and shown as recorded on its hold-out "
        "when the artefact has them); the challenger's are as given. The difference uses the "
        "hold-out figure when there is one, as a challenger is usually measured there.",
    ),
}


class Text:
    """The labels of one language: ``Text("en")("auc") == "AUC"``."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {list(LANGS)}; got {lang!r}")
        self.lang = lang
        self.html_lang = HTML_LANG[lang]
        self._index = LANGS.index(lang)

    def __call__(self, key: str) -> str:
        return LABELS[key][self._index]
