"""Messages of the lending pages (zh/en): the pipeline, an application, maker-checker approvals
and approval authorities."""

from __future__ import annotations


def _pairs(prefix: str, entries: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    return {f"{prefix}.{k}": {"zh": zh, "en": en} for k, (zh, en) in entries.items()}


LENDING: dict[str, dict[str, str]] = {
    **_pairs(
        "lending.stage",
        {
            "draft": ("草稿", "Draft"),
            "submitted": ("已提交", "Submitted"),
            "under_review": ("审查中", "Under review"),
            "approved": ("已批准", "Approved"),
            "referred": ("转人工", "Referred"),
            "declined": ("已拒绝", "Declined"),
            "offer_accepted": ("已接受要约", "Offer accepted"),
            "contract_signed": ("已签约", "Contract signed"),
            "disbursed": ("已放款", "Disbursed"),
            "repaying": ("还款中", "Repaying"),
            "settled": ("已结清", "Settled"),
            "withdrawn": ("已撤回", "Withdrawn"),
            "written_off": ("已核销", "Written off"),
            "in_collections": ("催收中", "In collections"),
        },
    ),
    **_pairs(
        "lending.action",
        {
            "submit": ("提交申请", "Submit"),
            "start_review": ("开始审查", "Start the review"),
            "approve": ("批准", "Approve"),
            "refer": ("转人工", "Refer"),
            "decline": ("拒绝", "Decline"),
            "accept_offer": ("客户接受要约", "Offer accepted"),
            "sign": ("签订合同", "Sign the contract"),
            "disburse": ("放款", "Disburse"),
            "start_repaying": ("进入还款", "Start repaying"),
            "settle": ("结清", "Settle"),
            "withdraw": ("撤回申请", "Withdraw"),
            "write_off": ("核销", "Write off"),
            "transfer_to_collections": ("转入催收", "Transfer to collections"),
            "cure": ("恢复正常", "Cured"),
            "reopen": ("重新进入还款", "Reopened"),
        },
    ),
    **_pairs(
        "lending.kind.approval",
        {
            "request": ("超权限审批，待复核", "Approval above authority: waiting for a checker"),
            "confirmed": ("复核通过", "Checker confirmed"),
            "rejected": ("复核退回", "Checker rejected"),
            "cancelled": ("复核请求已取消", "Approval request cancelled"),
            "pending": ("待复核", "Pending"),
        },
    ),
    **_pairs(
        "lending.actor",
        {
            "portal": ("门户（系统）", "Portal (system)"),
            "system": ("系统", "System"),
            "demo": ("演示数据", "Demo data"),
            "cli": ("命令行", "Command line"),
            "scheduler": ("定时任务", "Scheduler"),
        },
    ),
    **_pairs(
        "lending.sla",
        {
            "to_decision": ("提交至审批", "Submission to approval"),
            "to_contract": ("审批至签约", "Approval to contract"),
            "to_disbursement": ("签约至放款", "Contract to disbursement"),
            "end_to_end": ("全流程", "End to end"),
        },
    ),
    **_pairs(
        "lending",
        {
            "title": ("贷款流程", "Lending pipeline"),
            "subtitle": (
                "从申请到放款的每一步：各阶段数量、申请列表与超时提醒",
                "Every step from application to disbursement: counts per stage, the list, SLA breaches",
            ),
            "tab.pipeline": ("流程总览", "Pipeline"),
            "tab.approvals": ("待复核", "Approvals"),
            "tab.authorities": ("审批权限", "Authorities"),
            "tab.loans": ("贷款", "Loans"),
            "filter.stage": ("阶段", "Stage"),
            "filter.number": ("申请编号", "Application no."),
            "filter.all": ("全部", "All"),
            "filter.submit": ("筛选", "Filter"),
            "filter.reset": ("重置", "Reset"),
            "col.application": ("申请编号", "Application"),
            "col.applicant": ("申请人", "Applicant"),
            "col.product": ("产品", "Product"),
            "col.amount": ("金额", "Amount"),
            "col.term": ("期限（月）", "Term (months)"),
            "col.stage": ("阶段", "Stage"),
            "col.submitted": ("提交时间", "Submitted"),
            "col.span": ("超时环节", "Span"),
            "col.sla_step": ("环节", "Step"),
            "col.over": ("超出", "Over by"),
            "col.at": ("时间", "When"),
            "col.step": ("环节", "Step"),
            "col.who": ("经办人", "By"),
            "col.since": ("距上一步", "Since previous"),
            "col.note": ("说明", "Note"),
            "col.took": ("用时", "Took"),
            "col.target": ("目标", "Target"),
            "col.maker": ("发起人", "Maker"),
            "col.rate": ("执行利率", "Rate"),
            "col.role": ("角色", "Role"),
            "col.max_amount": ("单人审批上限", "Approves alone up to"),
            "col.types": ("产品类型", "Product types"),
            "col.reviews": ("可否审批", "Can approve"),
            "col.collateral": ("发起人录入的评估价值", "Maker's appraised value"),
            "total": ("共 {total} 笔", "{total} applications"),
            "empty": ("没有符合条件的申请。", "No application matches."),
            "breaches": ("超时提醒", "SLA breaches"),
            "breaches_none": ("没有超时的在途申请。", "No open application is past its target."),
            "targets": (
                "目标：提交至审批 {to_decision}，审批至签约 {to_contract}，签约至放款 {to_disbursement}",
                "Targets: submission to approval {to_decision}, approval to contract {to_contract}, "
                "contract to disbursement {to_disbursement}",
            ),
            "pending_count": ("{count} 笔超权限审批待复核", "{count} approvals wait for a checker"),
            "app.title": ("申请 {no}", "Application {no}"),
            "app.back": ("返回流程总览", "Back to the pipeline"),
            "app.details": ("申请信息", "Application"),
            "app.method": ("还款方式", "Repayment"),
            "app.channel": ("渠道", "Channel"),
            "app.decision": ("审批结论与要约", "Decision and offer"),
            "app.no_decision": ("尚无审批结论。", "No decision yet."),
            "app.outcome": ("结论", "Outcome"),
            "app.approved_amount": ("批准金额", "Approved amount"),
            "app.annual_rate": ("执行年利率", "Contract rate"),
            "app.apr": ("年化利率（APR）", "APR"),
            "app.part_fund": ("公积金部分", "Provident-fund part"),
            "app.part_commercial": ("商业部分", "Commercial part"),
            "app.timeline": ("流程记录", "Timeline"),
            "app.sla": ("服务时效", "Service levels"),
            "app.running": ("进行中", "running"),
            "app.breached": ("超时", "breached"),
            "app.met": ("达标", "met"),
            "app.actions": ("可执行操作", "Actions"),
            "app.no_actions": ("当前没有您可执行的操作。", "Nothing you can do at this stage."),
            "app.note": (
                "说明（批准、拒绝、撤回时必填）",
                "Note (required to approve, decline or withdraw)",
            ),
            "app.amount": ("批准金额（元，可选）", "Amount (yuan, optional)"),
            "app.collateral": ("抵押物评估价值（元）", "Appraised collateral value (yuan)"),
            "app.loans": ("贷款", "Loans"),
            "app.pending": (
                "超出审批人权限的批准（{amount}）正在等待复核人确认。",
                "An approval above the maker's authority ({amount}) is waiting for a checker.",
            ),
            "app.sent": (
                "已超出您的审批权限，已提交复核，待另一位有权限的审批人确认。",
                "Above your authority: sent to a checker, another approver with the authority must confirm.",
            ),
            "app.check_here": ("去复核", "Check it"),
            "approvals.title": ("超权限审批复核", "Approvals waiting for a checker"),
            "approvals.subtitle": (
                "四眼原则：超出审批人权限的批准须由另一位权限足够的人员确认，发起人不能复核自己的审批。",
                "Four eyes: an approval above the maker's authority needs another person whose "
                "authority covers it; the maker cannot check their own.",
            ),
            "approvals.collateral": (
                "担保类贷款确认时，按发起人录入的抵押物评估价值重新计算额度，结果须与发起人的条件一致。",
                "A secured loan is confirmed at the collateral value the maker entered: the limit is "
                "computed again from it and must come out at the maker's terms.",
            ),
            "approvals.empty": ("没有待复核的审批。", "No approval is waiting."),
            "approvals.confirm": ("确认批准", "Confirm"),
            "approvals.reject": ("退回", "Reject"),
            "approvals.note": ("复核意见（退回时必填）", "Note (required to reject)"),
            "approvals.own": ("本人发起，不能复核", "Your own: you cannot check it"),
            "authorities.title": ("审批权限", "Approval authorities"),
            "authorities.subtitle": (
                "每个角色可单独批准的最高金额与产品类型（空：全部类型）；超出须复核。",
                "What each role approves alone, up to an amount and for product types "
                "(none listed: every type); above it a checker must confirm.",
            ),
            "authorities.defaults": (
                "尚未保存审批权限，以下为系统默认值。",
                "No authority is stored yet: these are the defaults.",
            ),
            "authorities.all_types": ("全部类型", "Every type"),
            "authorities.reviewers": (
                "审批权限只对持有“人工复核申请”（applications:review）权限的角色生效。当前持有该权限的角色：",
                "An authority is used only by a role holding the applications:review permission. "
                "Roles holding it now:",
            ),
            "authorities.nobody": ("无", "none"),
            "authorities.matrix": (
                "权限在角色权限矩阵中设置，与审批额度分开保存。",
                "The permission is set in the role permission matrix, apart from the authorities.",
            ),
            "authorities.matrix_link": ("查看权限矩阵", "See the permission matrix"),
            "authorities.unused": (
                "以下角色设有审批额度，但未持有 applications:review 权限，不能批准或复核，其额度不会被使用：",
                "These roles have an authority but not the applications:review permission: they "
                "cannot approve or check, so their authority is unused:",
            ),
            "authorities.used": ("可审批", "Approves"),
            "authorities.not_used": ("未授权审批（额度不生效）", "No review permission (unused)"),
            "authorities.edit": ("设置权限", "Set an authority"),
            "authorities.save": ("保存", "Save"),
            "duration.days": ("{days} 天 {hours} 小时", "{days} d {hours} h"),
            "duration.hours": ("{hours} 小时 {minutes} 分", "{hours} h {minutes} min"),
            "duration.minutes": ("{minutes} 分钟", "{minutes} min"),
        },
    ),
    **_pairs(
        "lending.error",
        {
            "workflow.illegal": ("当前阶段不允许此操作", "This stage does not allow that action"),
            "application.incomplete": (
                "申请缺少产品或入账机构，无法放款",
                "The application lacks its product or a branch to book the loan at",
            ),
            "workflow.reason": ("撤回申请须填写原因", "A withdrawal needs the reason"),
            "review.note": ("审批须填写说明", "A decision needs a note saying why"),
            "review.collateral": (
                "担保类贷款须填写抵押物评估价值",
                "A secured loan needs the appraised collateral value",
            ),
            "review.amount": (
                "批准金额不能超过申请金额",
                "A manual approval may not lend more than was asked",
            ),
            "review.no_offer": ("按现行政策无法给出要约", "No offer is possible under the policy"),
            "application.not_referred": (
                "该申请不在审查状态",
                "The application is not under review",
            ),
            "application.no_offer": (
                "该申请没有有效的批准要约",
                "The application has no approved offer",
            ),
            "approval.pending": (
                "已有一笔批准待复核，请先确认或退回",
                "An approval is waiting for a checker: confirm or reject it first",
            ),
            "approval.same_person": (
                "发起人不能复核自己的审批",
                "The maker cannot check their own approval",
            ),
            "approval.checker_not_authorised": (
                "您的审批权限不足以复核该笔贷款",
                "Your authority does not cover this loan",
            ),
            "approval.not_authorised": (
                "您的角色无权审批该类产品",
                "Your role may not approve this product type",
            ),
            "approval.not_pending": ("该审批已处理", "This approval was already checked"),
            "approval.note": ("退回须填写复核意见", "A rejection needs a note saying why"),
            "approval.no_appraisal": (
                "该笔担保类贷款的复核申请未记录发起人录入的评估价值，请退回后重新审批",
                "The request does not record the maker's appraised collateral value: reject it and "
                "approve again",
            ),
            "approval.terms_changed": (
                "要约条件已变化，请退回后重新审批",
                "The offer's terms changed: reject it and approve again",
            ),
            "policy.missing": ("暂无生效的授信政策", "No credit policy is active"),
            "forbidden": ("您的角色无权执行此操作", "Your role may not do this"),
            "amount": ("请输入大于零的金额（元）", "Enter an amount in yuan above zero"),
            "decision": ("请选择确认或退回", "Choose confirm or reject"),
            "authority": ("审批权限无效", "The authority is not valid"),
        },
    ),
}
