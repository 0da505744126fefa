"""Messages of the campaign planning page (zh/en, issue 6): the optimiser's constraints, its plan,
why a plan is infeasible (``planning_rules.INFEASIBLE``), the problems of the constraints
(``planning_rules.PROBLEMS``), the refusals of applying a plan, and the exported lists."""

from __future__ import annotations

from loanpilot.web.i18n.labels import labels

_PAGE: dict[str, tuple[str, str]] = {
    "title": ("活动规划", "Campaign plan"),
    "back": ("返回活动", "Back to the campaign"),
    "subtitle": (
        "由优化器在预算、渠道产能、客群最低覆盖与产品上限之内，为每位客户选择至多一个"
        "（产品 × 渠道）或不联系，使预期增量风险调整利润最大；并保留随机对照组。",
        "The optimiser chooses for each customer at most one (product × channel) or none, to "
        "maximise the expected incremental risk-adjusted profit within the budget, channel "
        "capacities, segment minimums and product caps; a random hold-out is kept back.",
    ),
    "applied_notice": (
        "名单已写入活动目标客户。",
        "The list was written to the campaign's targets.",
    ),
    "closed": ("活动已结束或取消，不能再规划。", "The campaign is closed; it cannot be planned."),
    "inputs": ("规划依据", "What the plan uses"),
    "offer_run": ("最佳推荐批次", "Next-best-offer run"),
    "offers_count": ("{count} 条推荐", "{count} offers"),
    "no_offer_run": (
        "尚无完成的推荐批次：请先运行 loanpilot offers build",
        "No finished offer run yet: run loanpilot offers build",
    ),
    "segment_run": ("客群细分", "Segmentation"),
    "segment_kind.rules": ("规则客群", "rule segments"),
    "segment_kind.clusters": ("数据聚类客群", "data clusters"),
    "arms": ("活动方案（产品 × 渠道）", "Arms (product × channel)"),
    "audience": ("目标客群", "Audience"),
    "audience_all": ("全部有推荐的客户", "Every customer with an offer"),
    "audience_count": ("所选客群共 {count} 位客户", "{count} customers in the chosen segments"),
    "current_list": ("当前名单", "Current list"),
    "groups": (
        "营销组 {treatment} 人 · 对照组 {control} 人",
        "{treatment} treated · {control} held out",
    ),
    "constraints": ("约束条件", "Constraints"),
    "problems": ("有 {count} 处需要修改：", "{count} problem(s) to fix:"),
    "segments_known": ("可用客群代码：", "Segment codes:"),
    "solve": ("求解", "Solve"),
    "read_only": (
        "您可以查看规划；求解和应用需要活动管理权限。",
        "You may view plans; solving and applying need campaigns:write.",
    ),
    "result": ("规划 #{id}", "Plan #{id}"),
    "selected": ("选中客户", "Selected"),
    "candidates": ("候选 {count} 人", "{count} candidates"),
    "cost": ("联系成本", "Contact cost"),
    "objective": ("预期增量利润", "Expected incremental profit"),
    "bound": ("线性松弛上界", "LP bound"),
    "gap": ("与上界的差距", "Gap to the LP bound"),
    "method_used": ("求解方法", "Method"),
    "responses": ("预期增量响应（人）", "Expected incremental responses"),
    "binding": ("已用尽的约束", "Binding constraints"),
    "binding_none": ("无（预算与产能均有余量）", "none (room left in every limit)"),
    "applied": (
        "已应用：营销组 {treatment} 人，对照组 {control} 人（留出 {share}，随机种子 {seed}）；"
        "应用时因无授权、退订或黑名单剔除 {dropped} 人。",
        "Applied: {treatment} treated, {control} held out ({share} hold-out, seed {seed}); "
        "{dropped} dropped at apply time (no consent, opted out or blacklisted).",
    ),
    "holdout_hint": (
        "按方案与客群分层随机抽取，同一规划与种子结果相同；对照组不联系，用于衡量增量效果。",
        "Drawn at random within each arm and segment, the same for the same plan and seed; the "
        "hold-out is never contacted and measures the campaign's incremental effect.",
    ),
    "replace": (
        "替换现有名单（仅限尚未联系的名单）",
        "Replace the current list (only if not yet worked)",
    ),
    "apply": ("应用到活动名单", "Apply to the campaign's list"),
    "export": ("导出名单", "Export the lists"),
    "export_hint": (
        "只含营销组中您可查看、且目前仍可联系的客户（已撤回营销授权、退订或列入黑名单的客户不导出）；"
        "默认脱敏（姓名、手机号）。明文导出需要名单明文导出权限，并记入审计日志。",
        "Treated customers you may see who may still be contacted (anyone who withdrew marketing "
        "consent, opted out or was blacklisted is left out); masked by default (names, phones). A "
        "clear list needs lists:unmask and is written to the audit log.",
    ),
    "export_for.call_center": ("电话中心名单", "Call-centre list"),
    "export_for.branch": ("网点名单（按归属网点）", "Branch lists (by home branch)"),
    "export_unmasked": ("明文 CSV（审计）", "Clear CSV (audited)"),
    "history": ("历次规划", "Plans"),
    "col.solved_at": ("求解时间", "Solved at"),
    "col.status": ("状态", "Status"),
    "status.solved": ("已求解", "solved"),
    "status.infeasible": ("无可行解", "infeasible"),
    "status.applied": ("已应用", "applied"),
    "method.auto": ("自动（规模小用精确解）", "auto (exact when small enough)"),
    "method.milp": ("精确（HiGHS 整数规划）", "exact (HiGHS MILP)"),
    "method.lagrangian": ("拉格朗日（大名单）", "Lagrangian (large lists)"),
    "method.presolve": ("预处理即得", "presolve"),
    "field.budget_yuan": ("预算（元）", "Budget (yuan)"),
    "field.channel_capacity": ("渠道产能", "Channel capacities"),
    "field.branch_hours_per_contact": ("每次网点联系占用工时", "Staff hours per branch contact"),
    "field.segment_min": ("客群最低覆盖（人）", "Minimum coverage per segment"),
    "field.product_cap": ("产品上限（笔）", "Caps per product"),
    "field.method": ("求解方法", "Method"),
    "field.holdout": ("对照组比例", "Hold-out share"),
    "field.for": ("名单", "List"),
    "field.format": ("格式", "Format"),
    "hint.channel_capacity": (
        "渠道=联系次数，逗号分隔；网点按员工工时计。例：sms=100000,call_center=2000,branch=400",
        "channel=contacts, comma-separated; the branch in staff hours. "
        "E.g. sms=100000,call_center=2000,branch=400",
    ),
    "hint.segment_min": (
        "客群代码=最少人数，例：young=200",
        "segment code=minimum customers, e.g. young=200",
    ),
    "hint.product_cap": (
        "产品代码=最多笔数，例：CL-GEN=500",
        "product code=most offers, e.g. CL-GEN=500",
    ),
    "any_product": ("任意产品", "any product"),
    "any_channel": ("任意渠道", "any channel"),
    "binding.channel": ("{name}渠道产能", "{name} capacity"),
    "binding.segment": ("客群「{name}」最低覆盖", "minimum of segment {name}"),
    "binding.product": ("产品「{name}」上限", "cap of product {name}"),
    "by.channel": ("按渠道", "By channel"),
    "by.product": ("按产品", "By product"),
    "by.segment": ("按客群", "By segment"),
}

_PROBLEMS: dict[str, tuple[str, str]] = {
    "required": ("必填", "is required"),
    "decimal": ("须为数字，收到「{got}」", "must be a number; got {got!r}"),
    "whole_number": ("须为整数，收到「{got}」", "must be a whole number; got {got!r}"),
    "positive": ("须大于 0，收到 {got}", "must be greater than 0; got {got}"),
    "not_negative": ("不能为负数，收到 {got}", "must be 0 or more; got {got}"),
    "too_large": ("不能超过 {limit}，收到 {got}", "must be at most {limit}; got {got}"),
    "pair_format": (
        "请写成「名称=数字」并以逗号分隔，例如 {example}；收到「{got}」",
        "write name=number pairs separated by commas, e.g. {example}; got {got!r}",
    ),
    "duplicate": ("「{name}」重复出现", "names {name!r} twice"),
    "unknown_channel": (
        "「{name}」不是渠道；可选：{allowed}",
        "{name!r} is not a channel; allowed: {allowed}",
    ),
    "unknown_segment": (
        "「{name}」不是所用客群细分中的客群；可选：{allowed}",
        "{name!r} is not a segment of the segmentation used; allowed: {allowed}",
    ),
    "unknown_product": (
        "「{name}」不是产品代码；可选：{allowed}",
        "{name!r} is not a product code; allowed: {allowed}",
    ),
    "share": (
        "须为 0 到 1 之间的比例（不含 1），例如 0.1；收到「{got}」",
        "must be a fraction from 0 up to (not including) 1, e.g. 0.1; got {got!r}",
    ),
}

_INFEASIBLE: dict[str, tuple[str, str]] = {
    "segment_min": (
        "客群「{name}」的最低覆盖无法满足：要求 {wanted} 人，但该客群只有 {available} 人在限制内"
        "有可用的推荐。请降低最低覆盖，或扩大活动方案与目标客群。",
        "Minimum coverage of segment {name} cannot be met: {wanted} customers asked, but only "
        "{available} customers of that segment have an offer the plan may use within the limits. "
        "Lower the minimum or widen the campaign's arms and audience.",
    ),
    "segment_min_limits": (
        "客群「{name}」的最低覆盖无法满足：要求 {wanted} 人，但 {related} 的限制最多只允许 {room} "
        "人。请降低最低覆盖或放宽这些限制。",
        "Minimum coverage of segment {name} cannot be met: {wanted} customers asked, but the "
        "limits on {related} allow at most {room}. Lower the minimum or raise those limits.",
    ),
    "segment_mins_limits": (
        "各客群最低覆盖合计需要 {wanted} 人，但 {related} 的限制最多只允许 {room} 人。"
        "请降低最低覆盖或放宽这些限制。",
        "The segment minimums together need {wanted} customers, but the limits on {related} "
        "allow at most {room}. Lower the minimums or raise those limits.",
    ),
    "budget": (
        "预算 {budget} 元不足以满足最低覆盖：满足全部客群最低覆盖的最便宜名单也需要 "
        "{minimum_cost} 元。请提高预算或降低最低覆盖。",
        "The budget of {budget} yuan cannot pay for the minimum coverage asked: the cheapest list "
        "meeting every segment minimum costs {minimum_cost} yuan. Raise the budget or lower the "
        "minimums.",
    ),
    "conflict": (
        "这些约束无法同时满足：{related}。请放宽其中之一。",
        "These constraints cannot all be met together: {related}. Relax one of them.",
    ),
    "no_candidates": (
        "没有客户有本规划可用的推荐：请先运行最佳推荐批次（loanpilot offers build），"
        "或检查活动方案与目标客群。",
        "No customer has an offer this plan may use: run the next-best-offer batch (loanpilot "
        "offers build), or check the campaign's arms and audience segments.",
    ),
}

_CONFLICTS: dict[str, tuple[str, str]] = {
    "campaign.closed": (
        "活动已结束或取消，不能规划或应用。",
        "The campaign is closed; it cannot be planned or applied.",
    ),
    "plan.applied": ("该规划已经应用过。", "This plan has been applied already."),
    "plan.infeasible": (
        "该规划无可行解，无法应用。",
        "This plan is infeasible; there is nothing to apply.",
    ),
    "plan.empty": (
        "该规划中的客户目前都不能联系（无授权、已退订或黑名单）。",
        "No customer of this plan may be contacted now (no consent, opted out or blacklisted).",
    ),
    "campaign.has_targets": (
        "活动已有目标客户名单；如要替换，请勾选「替换现有名单」。",
        "The campaign already has a target list; tick \u201creplace the current list\u201d to replace it.",
    ),
    "campaign.targets_worked": (
        "活动名单已在执行（已有联系、响应或申请），不能替换。",
        "The campaign's list is being worked (contacts, responses or applications); it cannot be replaced.",
    ),
    "planning.no_offer_run": (
        "尚无完成的最佳推荐批次：请先运行 loanpilot offers build。",
        "No next-best-offer run has finished yet: run loanpilot offers build first.",
    ),
}

PLANNING: dict[str, dict[str, str]] = {
    **labels("planning", _PAGE),
    **labels("planning.problem", _PROBLEMS),
    **labels("planning.infeasible", _INFEASIBLE),
    **labels("planning.conflict", _CONFLICTS),
}
