"""Messages of the segments pages (zh/en, issue 6)."""

from __future__ import annotations

from loanpilot.web.i18n.labels import labels

SEGMENTS: dict[str, dict[str, str]] = {
    **labels(
        "segments",
        {
            "title": ("客群细分", "Segments"),
            "subtitle": (
                "按年龄、职业、收入划分的规则客群，以及基于行为与征信数据聚类得到的客群；每次构建生成新版本，营销活动记录其所用版本。",
                "Rule segments by age, occupation and income, and clusters found in behaviour and bureau data; each build is a new version and a campaign keeps the version it targeted.",
            ),
            "current": ("当前版本", "Current runs"),
            "kind.rules": ("规则客群", "Rule segments"),
            "kind.clusters": ("聚类客群", "Clusters"),
            "none": ("尚未构建客群。", "No segmentation has been built yet."),
            "none_kind": ("尚未构建", "not built yet"),
            "version": ("第 {version} 版", "version {version}"),
            "as_of": ("数据日期 {day}", "as of {day}"),
            "customers": ("{count} 位客户", "{count} customers"),
            "segments_count": ("{count} 个客群", "{count} segments"),
            "view": ("查看", "View"),
            "viewing": (
                "正在查看：{kind}，第 {version} 版（{day}）",
                "Viewing: {kind}, version {version} ({day})",
            ),
            "not_current": ("这不是当前版本。", "This is not the current run."),
            "k_line": ("聚类数 k = {k}，选择标准：{criterion}", "k = {k}, chosen by {criterion}"),
            "k_scores": ("各 k 的轮廓系数", "Silhouette by k"),
            # a clustering run's params.criterion_code (customers/segments.py)
            "criterion.silhouette_min3": (
                "固定种子抽样的轮廓系数最高，且最小客群占比不低于 3%",
                "the best silhouette (fixed-seed sample) with the smallest cluster at least 3 %",
            ),
            "cards": ("客群画像", "Segment profiles"),
            "more": (
                "另有 {count} 个较小的客群见下表。",
                "{count} smaller segments are in the table below.",
            ),
            "all_segments": ("全部客群", "All segments"),
            "chart.size": ("客群规模与月收入中位数", "Size and median monthly income"),
            "chart.rates": ("营销响应率与审批通过率", "Response and approval rates"),
            "chart.channel": ("各年龄段线上渠道偏好", "Online preference by age band"),
            "col.code": ("编码", "Code"),
            "col.name": ("名称", "Name"),
            "col.size": ("客户数", "Customers"),
            "col.share": ("占比", "Share"),
            "col.income": ("月收入中位数", "Median monthly income"),
            "col.income_mean": ("月收入均值", "Mean monthly income"),
            "col.deposit": ("存款中位数", "Median deposits"),
            "col.wealth": ("持有理财", "Hold wealth products"),
            "col.card": ("持卡 / 使用率", "Card holders / utilisation"),
            "col.loans": ("在贷客户 / 贷款余额均值", "Borrowers / mean loan balance"),
            "col.digital": ("线上偏好", "Online / mobile"),
            "col.branch": ("网点偏好", "Branch"),
            "col.response": ("营销响应率", "Response rate"),
            "col.approval": ("审批通过率", "Approval rate"),
            "col.reachable": ("可营销", "Reachable"),
            "col.needs": ("常见需求", "Typical needs"),
            "col.kind": ("类型", "Kind"),
            "col.version": ("版本", "Version"),
            "col.as_of": ("数据日期", "As of"),
            "col.customers": ("客户数", "Customers"),
            "col.k": ("k", "k"),
            "col.built_at": ("构建时间", "Built at"),
            "col.current": ("当前", "Current"),
            "col.seconds": ("耗时（秒）", "Seconds"),
            "rate_of": ("{rate}（{part}/{whole}）", "{rate} ({part}/{whole})"),
            "history": ("历史版本", "Run history"),
            "rebuild": ("重新构建", "Rebuild"),
            "rebuild_hint": (
                "按当前分档和最新数据重新构建，生成新版本并设为当前版本；历史版本保留。",
                "Builds again on the current bands and the latest data: a new version becomes current; earlier ones are kept.",
            ),
            "build.kind": ("构建内容", "What to build"),
            "build.all": ("规则客群与聚类客群", "Rule segments and clusters"),
            "build.rules": ("仅规则客群", "Rule segments only"),
            "build.clusters": ("仅聚类客群", "Clusters only"),
            "build.k": ("聚类数（auto 或 2–20）", "Clusters (auto or 2–20)"),
            "build.failed": ("构建未完成：{problems}", "The build did not run: {problems}"),
            "bands": ("分档设置", "Bands"),
            "bands_hint": (
                "每档包含下限、不含上限；第一档下限和最后一档上限留空。清空一行即删除该档。修改从下次构建起生效。",
                "Each band holds its lower edge and not its upper one; leave the first band's lower and the last band's upper edge empty. Clear a row to remove its band. Changes apply from the next build.",
            ),
            "bands.age": ("年龄（岁）", "Age (years)"),
            "bands.income": ("月收入（元）", "Monthly income (yuan)"),
            "bands.save": ("保存分档", "Save bands"),
            "bands.saved": (
                "分档已保存，将在下次构建时生效。",
                "Bands saved; they apply from the next build.",
            ),
            "bands.problems": (
                "分档有 {count} 处问题，未保存：",
                "{count} problem(s); nothing was saved:",
            ),
            "field.code": ("编码", "Code"),
            "field.lower": ("下限（含）", "Lower (incl.)"),
            "field.upper": ("上限（不含）", "Upper (excl.)"),
            "field.label_zh": ("中文名称", "Chinese label"),
            "field.label_en": ("英文名称", "English label"),
            "row": ("第 {n} 档", "band {n}"),
            "traits": ("显著特征", "What sets it apart"),
            "definitions": (
                "响应率 = 实验组营销对象中有响应的比例；审批通过率 = 已作出最终决定（批准或拒绝）的申请中批准的比例；线上偏好 = 首选渠道为网银、手机银行或微信的客户比例；可营销 = 已授权营销、未退订、非黑名单的客户比例。",
                "Response rate: the share of treatment-group campaign targets who responded. Approval rate: approved among applications with a final decision (approve or decline). Online: customers whose preferred channel is online banking, mobile or WeChat. Reachable: consent given, not opted out, not blacklisted.",
            ),
        },
    ),
    **labels(
        "segments.problem",
        {
            "required": ("必填", "is required"),
            "too_long": ("最多 {max} 个字符", "must be at most {max} characters"),
            "code_format": (
                "须为 1–32 个字符：小写字母开头，仅含 a-z、0-9、_",
                "must be 1 to 32 characters: a lower-case letter, then a-z, 0-9, _",
            ),
            "code_taken": (
                "编码 {code} 已被本维度的另一档使用",
                "{code} is used by another band of this dimension",
            ),
            "decimal": (
                "须为最多 4 位小数的数字，收到 {got}",
                "must be a number with at most 4 decimals; got {got}",
            ),
            "negative": ("不能为负数，收到 {got}", "must not be negative; got {got}"),
            "too_large": ("须小于 {max}，收到 {got}", "must be less than {max}; got {got}"),
            "first_open": (
                "第一档的下限须留空（不设下限）",
                "the first band must be open below (leave the lower edge empty)",
            ),
            "last_open": (
                "最后一档的上限须留空（不设上限）",
                "the last band must be open above (leave the upper edge empty)",
            ),
            "inner_closed": (
                "必填：只有第一档下限和最后一档上限可以留空",
                "is required: only the first band's lower and the last band's upper edge are open",
            ),
            "empty_band": (
                "须大于下限 {lower}，收到 {got}",
                "must be greater than the lower edge {lower}; got {got}",
            ),
            "gap": (
                "与下一档之间有空档：下一档从 {next} 开始，本档止于 {got}",
                "leaves a gap: the next band starts at {next}, this one ends at {got}",
            ),
            "overlap": (
                "与下一档重叠：下一档从 {next} 开始，本档止于 {got}",
                "overlaps the next band, which starts at {next}; this one ends at {got}",
            ),
            "count": (
                "每个维度需要 1 到 {max} 档，收到 {got} 档",
                "a dimension needs 1 to {max} bands; got {got}",
            ),
        },
    ),
}
