"""Messages of the servicing pages (zh/en): the loans list, one loan (schedule, payments, the
posting, prepayment, reversal and write-off forms, the timeline), and every refusal of the
servicing services by its stable code (``servicing.error.<code>[.<variant>]``, placeholders
filled from the error's ``params``; see ``lending.servicing_errors``)."""

from __future__ import annotations

from loanpilot.web.i18n.labels import labels

_PAGES: dict[str, tuple[str, str]] = {
    "title": ("贷款", "Loans"),
    "subtitle": (
        "在贷贷款、还款计划与还款记录：入账、提前还款、冲正与核销。客户姓名已脱敏。",
        "Loans with their schedules and payments: post, prepay, reverse, write off. Customer "
        "names are masked.",
    ),
    "total": ("共 {total} 笔贷款", "{total} loans"),
    "any": ("全部", "Any"),
    "filter.status": ("状态", "Status"),
    "filter.five_class": ("五级分类", "Five-class"),
    "filter.bucket": ("逾期分档", "DPD bucket"),
    "filter.branch": ("机构", "Branch"),
    "filter.product": ("产品", "Product"),
    "filter.number": ("贷款编号", "Loan number"),
    "col.loan_no": ("贷款编号", "Loan"),
    "col.customer": ("客户", "Customer"),
    "col.product": ("产品", "Product"),
    "col.branch": ("机构", "Branch"),
    "col.principal": ("放款金额", "Principal"),
    "col.outstanding": ("剩余本金", "Outstanding"),
    "col.rate": ("执行年利率", "Rate"),
    "col.disbursed": ("放款日", "Disbursed"),
    "col.status": ("状态", "Status"),
    "col.dpd": ("逾期天数", "DPD"),
    "col.bucket": ("逾期分档", "Bucket"),
    "col.five_class": ("五级分类", "Class"),
    "loan.title": ("贷款 {no}", "Loan {no}"),
    "loan.back": ("返回贷款列表", "Back to the loans"),
    "loan.summary": ("贷款概况", "Summary"),
    "loan.application": ("申请", "Application"),
    "loan.rate": ("执行年利率", "Contract rate"),
    "loan.apr": ("年化利率（APR）", "APR"),
    "loan.method": ("还款方式", "Repayment"),
    "loan.term": ("期限（月）", "Term (months)"),
    "loan.maturity": ("到期日", "Maturity"),
    "loan.written_off": ("已核销本金", "Written off"),
    "loan.settled_on": ("结清日", "Settled on"),
    "loan.stage": ("流程阶段", "Stage"),
    "loan.due_today": ("今日应还（含罚息）", "Due today (with penalty)"),
    "loan.penalty": ("罚息（计至今日，未还）", "Penalty accrued to today, unpaid"),
    "loan.version": ("还款计划版本", "Schedule version"),
    "schedule.title": ("还款计划", "Repayment schedule"),
    "schedule.hint": (
        "罚息按逾期本息 × 执行利率 ×（1 + 上浮比例）按日计至今日（实际天数/360）。",
        "Penalty accrues daily to today on the overdue principal and interest at the contract "
        "rate × (1 + uplift), actual/360.",
    ),
    "schedule.period": ("期次", "Period"),
    "schedule.due_on": ("应还日", "Due"),
    "schedule.principal": ("本金", "Principal"),
    "schedule.interest": ("利息", "Interest"),
    "schedule.fee": ("费用", "Fee"),
    "schedule.penalty": ("罚息", "Penalty"),
    "schedule.paid": ("已还", "Paid"),
    "schedule.owed": ("未还", "Unpaid"),
    "schedule.state": ("状态", "State"),
    "schedule.settled_on": ("结清日", "Settled"),
    "state.paid": ("已还清", "Paid"),
    "state.overdue": ("逾期", "Overdue"),
    "state.due": ("今日到期", "Due today"),
    "state.partial": ("部分已还", "Part paid"),
    "state.open": ("未到期", "Not yet due"),
    "repayments.title": ("还款记录", "Payments"),
    "repayments.empty": ("尚无还款记录。", "No payment yet."),
    "repayments.paid_on": ("还款日", "Paid on"),
    "repayments.ref": ("交易流水号", "Reference"),
    "repayments.amount": ("金额", "Amount"),
    "repayments.channel": ("渠道", "Channel"),
    "repayments.kind": ("类型", "Kind"),
    "repayments.note": ("说明", "Note"),
    "kind.repayment": ("还款", "Repayment"),
    "kind.prepayment": ("提前还款", "Prepayment"),
    "kind.reversal": ("冲正", "Reversal"),
    "repayments.reversed": ("已冲正", "Reversed"),
    "reverse.reason": ("冲正原因", "Reason for the reversal"),
    "reverse.submit": ("冲正此笔", "Reverse this payment"),
    "channel.branch": ("柜面", "Branch"),
    "channel.auto_debit": ("自动扣款", "Auto-debit"),
    "channel.mobile": ("手机银行", "Mobile"),
    "channel.online": ("网上银行", "Online"),
    "channel.transfer": ("转账", "Transfer"),
    "post.title": ("还款入账", "Post a repayment"),
    "post.amount": ("金额（元）", "Amount (yuan)"),
    "post.paid_on": ("还款日", "Payment date"),
    "post.ref": ("交易流水号（重复提交不重复入账）", "Reference (sending it twice posts once)"),
    "post.channel": ("渠道", "Channel"),
    "post.submit": ("入账", "Post"),
    "post.nothing_due": ("今日无应还款项。", "Nothing is due today."),
    "prepay.title": ("提前还款", "Prepayment"),
    "prepay.hint": (
        "部分提前还款可选择缩短期限（月供不变）或减少月供（期限不变）；留空金额则只试算全部结清。",
        "A partial prepayment either shortens the term (same instalment) or lowers the "
        "instalment (same term); leave the amount empty to see the full payoff only.",
    ),
    "prepay.amount": ("提前还款本金（元）", "Principal to prepay (yuan)"),
    "prepay.on": ("还款日", "Date"),
    "prepay.preview": ("试算", "Preview"),
    "prepay.payoff": ("全部结清", "Repay in full"),
    "prepay.shorten_term": ("缩短期限（月供不变）", "Shorter term (same instalment)"),
    "prepay.lower_instalment": ("减少月供（期限不变）", "Lower instalment (same term)"),
    "prepay.principal": ("提前还款本金", "Principal prepaid"),
    "prepay.accrued": ("应计利息", "Interest accrued"),
    "prepay.total": ("本次应付", "To pay now"),
    "prepay.periods": ("剩余期数", "Periods left"),
    "prepay.instalment": ("每期还款", "Instalment"),
    "prepay.saved": ("节省利息", "Interest saved"),
    "prepay.maturity": ("新到期日", "New maturity"),
    "prepay.unavailable": ("不可选", "Not offered"),
    "prepay.submit": ("按此方案提前还款", "Prepay this way"),
    "prepay.submit_full": ("全部结清", "Repay in full"),
    "write_off.title": ("核销", "Write-off"),
    "write_off.hint": (
        "核销后剩余本金 {amount} 转入已核销，贷款不再接受还款。",
        "Writing off moves the outstanding {amount} to written off; the loan takes no more "
        "payments.",
    ),
    "write_off.reason": ("核销原因", "Reason"),
    "write_off.submit": ("核销此贷款", "Write this loan off"),
    "timeline.title": ("流程记录", "Timeline"),
    "timeline.empty": (
        "无流程记录（示例数据在工作流上线前生成）。",
        "No transition recorded (the demo data predates the workflow).",
    ),
    "timeline.at": ("时间", "When"),
    "timeline.step": ("环节", "Step"),
    "timeline.who": ("经办人", "By"),
    "timeline.note": ("说明", "Note"),
    "timeline.note.days_past_due": ("逾期 {days} 天", "{days} days past due"),
    "timeline.note.no_longer_past_due": ("已不再逾期", "No longer past due"),
    "done.posted": ("还款 {ref} 已入账。", "Repayment {ref} posted."),
    "done.replayed": ("流水号 {ref} 已入账过，未重复入账。", "{ref} was posted before: not again."),
    "done.prepaid": ("提前还款 {ref} 已入账。", "Prepayment {ref} posted."),
    "done.reversed": ("已冲正，冲正流水号 {ref}。", "Reversed: {ref}."),
    "done.written_off": ("贷款已核销。", "The loan is written off."),
    "refused": ("未办理：", "Not done: "),
}

_STATUS: dict[str, tuple[str, str]] = {
    "repaying": ("还款中", "Repaying"),
    "settled": ("已结清", "Settled"),
    "written_off": ("已核销", "Written off"),
    "transferred": ("已转让", "Transferred"),
}

_ACTION: dict[str, tuple[str, str]] = {
    "start_repaying": ("放款，进入还款", "Disbursed, repaying"),
    "settle": ("结清", "Settled"),
    "write_off": ("核销", "Written off"),
    "transfer_to_collections": ("转入催收", "Transferred to collections"),
    "cure": ("恢复正常", "Cured"),
    "reopen": ("冲正结清还款，重新进入还款", "Reopened (settling payment reversed)"),
}

#: Every refusal of the servicing services and pages, by ``code[.variant]``.
_ERRORS: dict[str, tuple[str, str]] = {
    "loan.not_found": ("没有编号为 {loan_id} 的贷款。", "No loan with id {loan_id}."),
    "customer.not_found": ("贷款 {loan_no} 没有对应的客户。", "Loan {loan_no} has no customer."),
    "repayment.not_found": (
        "没有编号为 {repayment_id} 的还款记录。",
        "No repayment with id {repayment_id}.",
    ),
    "repayment.amount": ("金额须大于零。", "The amount must be more than zero."),
    "repayment.overpaid": (
        "金额 {amount} 超过 {on} 应还的 {due}。请按 {due} 入账，其余部分办理提前还款。",
        "The amount {amount} is more than the {due} due on {on}. Post {due}, and repay the rest "
        "as a prepayment.",
    ),
    "repayment.nothing_due": (
        "{on} 没有应还款项。如需提前还款，请办理提前还款。",
        "Nothing is due on {on}. To repay ahead of schedule, post a prepayment.",
    ),
    "repayment.nothing_due.next": (
        "{on} 没有应还款项；下一期 {next_amount} 于 {next_on} 到期。如需提前还款，请办理提前还款。",
        "Nothing is due on {on}; the next instalment, {next_amount}, falls due on {next_on}. To "
        "repay ahead of schedule, post a prepayment.",
    ),
    "repayment.txn_ref": (
        "交易流水号须为 1–32 位字母、数字、“-”或“_”，且不得以 {prefix} 开头。",
        "The reference must be 1–32 letters, digits, '-' or '_', not starting with {prefix}.",
    ),
    "repayment.txn_ref_used.elsewhere": (
        "流水号 {txn_ref} 已被使用，请使用新的流水号。",
        "The reference {txn_ref} was already used; use a new reference.",
    ),
    "repayment.txn_ref_used": (
        "流水号 {txn_ref} 已用于另一笔入账（{paid_on}，{amount}），请使用新的流水号。",
        "The reference {txn_ref} was already used for another posting ({amount} on {paid_on}); "
        "use a new reference.",
    ),
    "repayment.channel": ("渠道须为 {allowed} 之一。", "The channel must be one of {allowed}."),
    "repayment.loan_closed": (
        "贷款 {loan_no} 状态为“{status}”，不能入账还款。",
        "Loan {loan_no} is {status}: it takes no repayment.",
    ),
    "repayment.date.after_today": (
        "还款日 {paid_on} 晚于今日（{today}）。",
        "The date {paid_on} is after today ({today}).",
    ),
    "repayment.date.before_disbursement": (
        "还款日 {paid_on} 早于放款日（{disbursed_on}）。",
        "The date {paid_on} is before the disbursement ({disbursed_on}).",
    ),
    "repayment.date.order": (
        "还款须按日期顺序入账：贷款 {loan_no} 的 {txn_ref} 日期为 {latest_on}，晚于 {paid_on}。",
        "Payments are posted in date order: {txn_ref} of loan {loan_no} is dated {latest_on}, "
        "after {paid_on}.",
    ),
    "prepayment.loan_closed": (
        "贷款 {loan_no} 状态为“{status}”，不能提前还款。",
        "Loan {loan_no} is {status}: it takes no prepayment.",
    ),
    "prepayment.arrears": (
        "{on} 前（含当日）尚有 {total} 应还（第 {periods} 期），请先按还款入账，再办理提前还款。",
        "{total} is due on or before {on} (period {periods}); post it as a repayment before "
        "prepaying.",
    ),
    "prepayment.nothing_ahead": (
        "{on} 之后没有到期的还款，无可提前偿还的款项。",
        "No instalment falls due after {on}: there is nothing to prepay.",
    ),
    "prepayment.option.choose": (
        "部分提前还款请选择“缩短期限”或“减少月供”。",
        "Choose a shorter term or a lower instalment for a partial prepayment.",
    ),
    "prepayment.option.shorten_unavailable": (
        "“{method}”贷款的本金到期一次偿还，提前还款只减少利息，不能缩短期限（请选择减少月供）。",
        "A {method} loan repays its principal at maturity: a prepayment lowers the interest "
        "only, so the term cannot be shortened (choose a lower instalment).",
    ),
    "prepayment.date": (
        "提前还款日 {on} 早于放款日（{disbursed_on}）。",
        "The prepayment date {on} is before the disbursement ({disbursed_on}).",
    ),
    "prepayment.amount": (
        "提前还款本金须大于零且小于剩余本金 {outstanding}；收到 {got}（如需全部结清，请选择全部结清）。",
        "The principal prepaid must be more than zero and less than the outstanding "
        "{outstanding}; got {got} (to repay it all, repay in full).",
    ),
    "prepayment.txn_ref": ("提前还款须填写交易流水号。", "A prepayment needs a reference."),
    "reversal.reason": (
        "请填写冲正原因（1–{max} 个字符）。",
        "Give the reason (1–{max} characters).",
    ),
    "reversal.refused.is_reversal": (
        "{txn_ref} 本身是一笔冲正，不能再冲正。",
        "{txn_ref} is itself a reversal.",
    ),
    "reversal.refused.already_reversed": (
        "{txn_ref} 已被冲正（{by}）。",
        "{txn_ref} is already reversed ({by}).",
    ),
    "reversal.refused.loan_closed": (
        "贷款 {loan_no} 状态为“{status}”，其还款不能冲正。",
        "Loan {loan_no} is {status}: its payments cannot be reversed.",
    ),
    "reversal.refused.not_latest": (
        "只能冲正贷款最近一笔还款：请先冲正 {latest}（{latest_on}）。",
        "Only the latest payment of a loan can be reversed: reverse {latest} ({latest_on}) first.",
    ),
    "reversal.refused.no_allocations": (
        "{txn_ref} 为批量导入（示例数据或文件导入），没有分摊明细，无法精确冲正。",
        "{txn_ref} was loaded without allocation records (demo data or a file import), so it "
        "cannot be reversed exactly.",
    ),
    "write_off.reason": (
        "请填写核销原因（1–{max} 个字符）。",
        "Give the reason (1–{max} characters).",
    ),
    "write_off.loan_closed": (
        "贷款 {loan_no} 状态为“{status}”，不能核销。",
        "Loan {loan_no} is {status}: it cannot be written off.",
    ),
    "settings.allocation_order": (
        "配置 allocation_order 须将 penalty、fee、interest、principal 各列一次（逗号分隔）；当前为 {text}：{problems}",
        "allocation_order must name penalty, fee, interest and principal once each, "
        "comma-separated; got {text}: {problems}",
    ),
    "form.amount": (
        "金额须为以元为单位的数字，最多两位小数，如 1234.56。",
        "The amount must be in yuan with at most two decimals, e.g. 1234.56.",
    ),
    "form.date": ("日期格式须为 YYYY-MM-DD。", "The date must be YYYY-MM-DD."),
    "form.option": (
        "请选择“缩短期限”或“减少月供”。",
        "Choose a shorter term or a lower instalment.",
    ),
    # refusals of the workflow the services pass on
    "workflow.illegal": (
        "贷款当前流程阶段不允许此操作。",
        "The loan's workflow stage does not allow this.",
    ),
    "workflow.unknown": ("未知的流程阶段或操作。", "Unknown workflow stage or action."),
}

SERVICING: dict[str, dict[str, str]] = {
    **labels("servicing", _PAGES),
    **labels("servicing.status", _STATUS),
    **labels("servicing.action", _ACTION),
    **labels("servicing.error", _ERRORS),
}
