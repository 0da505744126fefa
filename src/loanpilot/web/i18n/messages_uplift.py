"""Messages of the uplift pages (zh/en, issue 6)."""

from __future__ import annotations

from loanpilot.web.i18n.labels import labels

UPLIFT: dict[str, dict[str, str]] = labels(
    "uplift",
    {
        "title": ("增益模型（Uplift）", "Uplift model"),
        "subtitle": (
            "根据带随机对照组的营销活动，估计谁会因为一次接触（按渠道）而申请，"
            "并按增益而非响应概率选择目标客户。",
            "From the campaigns with a randomised control group: who applies because of a contact "
            "(per channel), so that targets are chosen by uplift, not by response.",
        ),
        "back": ("返回营销活动", "Back to the campaigns"),
        "models_link": ("全部营销模型", "All marketing models"),
        "empty": ("尚未训练增益模型。", "No uplift model has been fitted yet."),
        "empty_how": (
            "在命令行运行 loanpilot uplift fit（可加 --as-of 日期、--base logistic|lightgbm），"
            "它用所有带随机对照组的营销活动训练双模型与类别转换两种学习器，"
            "在留出样本上比较后登记较好的一个。",
            "Run loanpilot uplift fit on the command line (optionally --as-of DATE, "
            "--base logistic|lightgbm): it fits the two-model and the class-transformation "
            "learner on every campaign with a randomised control group, compares them on a "
            "hold-out and registers the better one.",
        ),
        "fit_now": ("立即训练", "Fit now"),
        "refit": ("重新训练", "Fit again"),
        "fit_base": ("基础分类器", "Base classifier"),
        "base.logistic": ("L2 逻辑回归", "L2 logistic regression"),
        "base.lightgbm": ("LightGBM", "LightGBM"),
        "fit_hint": (
            "使用截至今天开始的全部实验数据；训练可能需要几十秒。",
            "Uses every experiment started up to today; fitting may take some tens of seconds.",
        ),
        "fitted": ("已训练并启用 {label}。", "{label} has been fitted and is now active."),
        "error.title": (
            "训练失败，未保存任何内容",
            "The model could not be fitted; nothing was saved",
        ),
        "error.uplift.no_experiments": (
            "没有带随机对照组的营销活动，无法训练增益模型",
            "No campaign with a randomised control group: an uplift model cannot be fitted",
        ),
        "error.uplift.too_few_rows": (
            "实验数据太少，无法训练；未保存任何内容",
            "Too few experiment rows to fit; nothing was saved",
        ),
        "error.base": (
            "基础分类器须为 {allowed} 之一，收到的是 {given!r}",
            "The base classifier must be one of {allowed}, got {given!r}",
        ),
        # facts
        "facts": ("当前模型", "Active model"),
        "col.model": ("模型", "Model"),
        "col.trained_at": ("训练时间", "Trained at"),
        "col.as_of": ("数据截至", "Data as of"),
        "col.arms": ("处理（接触渠道）", "Treatments (contact channels)"),
        "col.rows": ("训练样本", "Training rows"),
        "rows_detail": (
            "{rows} 行（训练 {train}，留出 {test}；处理组 {treated}）",
            "{rows} rows ({train} train, {test} hold-out; {treated} treated)",
        ),
        "col.campaigns": ("实验活动数", "Experiments (campaigns)"),
        "col.base": ("基础分类器", "Base classifier"),
        "col.chosen": ("采用的学习器", "Chosen learner"),
        # learners
        "learners": ("学习器对比（留出样本）", "Learners compared on the hold-out"),
        "col.learner": ("学习器", "Learner"),
        "col.qini": ("Qini 系数", "Qini coefficient"),
        "col.qini_gain": ("Qini（causalml 口径）", "Qini (causalml scale)"),
        "col.factor": ("口径倍数", "Scale factor"),
        "col.auuc": ("AUUC", "AUUC"),
        "col.uplift_at": ("前 {k}% 增益", "Uplift @ {k}%"),
        "chosen": ("已采用", "Chosen"),
        "learner.sparse_effect": (
            "稀疏效应（跨渠道组套索）",
            "Sparse effect (group lasso across channels)",
        ),
        "learner.two_model": ("双模型（T-learner）", "Two-model (T-learner)"),
        "learner.class_transformation": ("类别转换", "Class transformation"),
        "learner.interaction": ("交互项 S-learner", "Interaction S-learner"),
        "no_learners": (
            "该模型未记录学习器指标。",
            "No learner metrics are recorded for this model.",
        ),
        # normalisation
        "norm.title": ("指标口径说明", "How the figures are normalised"),
        "norm.holdout": (
            "评估在 30 % 的留出样本上进行（按处理渠道 × 处理/对照 × 结果分层抽取）。"
            "每一行按其被提供渠道的预测增益从高到低排序；较好的学习器随后在全部样本上重新训练并登记。",
            "The learners are evaluated on a 30 % hold-out (stratified by channel × treated/control "
            "× outcome). Each row is ranked by the predicted uplift of the channel it was offered; "
            "the better learner is then refitted on every row and registered.",
        ),
        "norm.curves": (
            "设排序前 k 行中处理组（对照组）的响应数与行数分别为 r_t、n_t（r_c、n_c）。"
            "Qini 曲线 Q(k) = r_t − r_c · n_t / n_c，即接触“多带来”的响应数；"
            "增益曲线 U(k) = (r_t/n_t − r_c/n_c) · k。随机线是从 (0, 0) 到 (N, Q(N)) 的直线；"
            "完美曲线是该样本可能的最佳排序。",
            "With r_t, n_t (r_c, n_c) the treated (control) responders and rows among the first k "
            "ranked rows: the Qini curve Q(k) = r_t − r_c · n_t / n_c counts the responses the "
            "contact added; the uplift curve is U(k) = (r_t/n_t − r_c/n_c) · k. The random line "
            "runs straight from (0, 0) to (N, Q(N)); the perfect curve is the best order of the "
            "sample.",
        ),
        "norm.ours": (
            "本页的 Qini 系数 = (A(模型) − A(随机)) / (A(完美) − A(随机))，A 为曲线下面积："
            "0 表示与随机排序无异，1 表示可能的最佳排序（即 scikit-uplift 的 qini_auc_score）。"
            "AUUC 在增益曲线上按同样方式归一化（scikit-uplift 的 uplift_auc_score）。",
            "Our Qini coefficient = (A(model) − A(random)) / (A(perfect) − A(random)), A being the "
            "area under a curve: 0 = no better than random, 1 = the best order possible "
            "(scikit-uplift's qini_auc_score). AUUC is normalised the same way on the uplift curve "
            "(scikit-uplift's uplift_auc_score).",
        ),
        "norm.causalml": (
            "causalml 的 qini_score(normalize=True) 分子相同，但除以 N · |Q(N)|，"
            "所以 causalml 口径 = 本页口径 × (A(完美) − A(随机)) / (N · |Q(N)|)。"
            "这个倍数取决于数据（2 万客户演示库的留出样本约为 2.4，响应越稀少越大），"
            "各库的数字可相差约 4 倍，因此两者并列显示（“口径倍数”一栏）。",
            "causalml's qini_score(normalize=True) divides the same numerator by N · |Q(N)| "
            "instead, so causalml's figure = ours × (A(perfect) − A(random)) / (N · |Q(N)|). The "
            "factor depends on the data (about 2.4 on the 20,000-customer demo bank's hold-out, "
            "larger when responses are rarer); the libraries' figures differ by a factor of about "
            "4, so both are shown (column “Scale factor”).",
        ),
        "norm.at_k": (
            "前 k% 增益：排序前 ⌈k·N⌉ 行中处理组响应率减去对照组响应率（k = 10、20、30 %）。",
            "Uplift @ k: the treated minus the control response rate among the top ⌈k·N⌉ rows "
            "(k = 10, 20, 30 %).",
        ),
        # curves
        "qini.title": ("Qini 曲线", "Qini curves"),
        "qini.hint": (
            "横轴：按预测增益排序后接触的留出样本占比；纵轴：接触多带来的响应数。"
            "曲线越接近完美线、离随机线越远越好。",
            "x: share of the hold-out contacted, ranked by predicted uplift; y: responses the "
            "contact added. The closer to the perfect line and the farther above the random line, "
            "the better.",
        ),
        "qini.chart": ("{learner} 的 Qini 曲线", "Qini curve of {learner}"),
        "qini.table": ("Qini 曲线取值（每 10 %）", "Qini curve values (every 10 %)"),
        "col.share": ("接触占比", "Contacted"),
        "col.random": ("随机", "Random"),
        "col.perfect": ("完美", "Perfect"),
        "uplift_curve.title": ("增益曲线", "Uplift curves"),
        "uplift_curve.hint": (
            "U(k) = (r_t/n_t − r_c/n_c) · k：前 k 行中两组响应率之差乘以行数。",
            "U(k) = (r_t/n_t − r_c/n_c) · k: the difference of the two groups' response rates "
            "among the first k rows, times k.",
        ),
        "uplift_curve.chart": ("各学习器的增益曲线", "Uplift curves of the learners"),
        "no_curves": ("该模型未记录曲线。", "No curves are recorded for this model."),
        "chart.x": ("接触的留出样本占比 %", "Hold-out contacted %"),
        "chart.qini_y": ("增量响应数", "Incremental responses"),
        "chart.uplift_y": ("增量响应数", "Incremental responses"),
        "chart.model": ("模型", "Model"),
        "chart.random": ("随机", "Random"),
        "chart.perfect": ("完美", "Perfect"),
        # targeting
        "target.title": ("按增益而非响应选择目标", "Target by uplift, not by response"),
        "target.hint": (
            "按“接触后响应概率”排序，找到的多是本来就会申请的人。下表是留出样本中排名前 k% "
            "的客户里，处理组的响应有多少是接触带来的：(处理组响应率 − 对照组响应率) / "
            "处理组响应率。数值越高，名单上的人越是“被接触打动”的。",
            "Ranking by P(respond | contacted) finds people who would often have applied anyway. "
            "For the top k % of the hold-out, the share of the treated responses that the contact "
            "caused: (treated rate − control rate) / treated rate. The higher, the more the list "
            "holds people moved by the contact.",
        ),
        "col.top": ("排名前", "Top"),
        "col.by_response": ("按响应概率排序", "Ranked by response"),
        "col.by_uplift": ("按增益排序：{learner}", "Ranked by uplift: {learner}"),
        "col.gap": ("采用的学习器 − 按响应", "Chosen learner − by response"),
        "pp": ("{value} 个百分点", "{value} pp"),
        "response_qini": (
            "按响应概率排序的 Qini 系数：{value}",
            "Qini coefficient of ranking by response: {value}",
        ),
        "no_targeting": (
            "该模型未记录按响应与按增益排序的对比。",
            "No comparison of ranking by response and by uplift is recorded for this model.",
        ),
    },
)
