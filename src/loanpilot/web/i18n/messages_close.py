"""Messages of the close pages (zh/en): the daily close (日终) and the five-category
classification overrides."""

from __future__ import annotations

from loanpilot.web.i18n.labels import labels

#: The close's stages as ``close_runs.steps_done`` and ``error`` name them: the per-loan pass, the
#: summary and each after-close step of ``risk.close_steps.AFTER_CLOSE``.
CLOSE_STEPS: dict[str, tuple[str, str]] = {
    "loans": ("逐笔计算逾期与分类", "Days past due and classes per loan"),
    "summary": ("汇总与账务核对", "Summary and ledger check"),
    "collections": ("催收", "Collections"),
    "monitoring": ("贷后监控", "Post-loan monitoring"),
    "warnings": ("风险预警", "Early warning"),
    "surveys": ("发送满意度调查", "Satisfaction surveys"),
    "feedback": ("问卷差评转投诉工单", "Tickets from low-score survey comments"),
}

#: What the after-close steps count (the keys of the dicts their ``after_close`` returns).
CLOSE_COUNTS: dict[str, tuple[str, str]] = {
    # service.surveys_close
    "surveys_disbursed": ("发送放款后问卷", "Surveys sent after disbursement"),
    "surveys_disbursed_30d": ("发送放款 30 天问卷", "Surveys sent 30 days after disbursement"),
    "surveys_settled": ("发送结清问卷", "Surveys sent after settlement"),
    "surveys_complaint_closed": ("发送投诉回访问卷", "Surveys sent after closed complaints"),
    # evaluation.feedback_close
    "feedback_tickets": ("新建投诉工单", "Tickets created"),
    # risk.collections_close
    "ladder_seeded": ("初始化催收阶梯", "Ladder seeded"),
    "opened": ("新开催收案件", "Cases opened"),
    "promises_recorded": ("登记还款承诺", "Promises recorded"),
    "promises_kept": ("承诺已兑现", "Promises kept"),
    "promises_broken": ("承诺未兑现", "Promises broken"),
    "closed_cured": ("结案（恢复正常）", "Closed: cured"),
    "closed_settled": ("结案（已结清）", "Closed: settled"),
    "closed_written_off": ("结案（已核销）", "Closed: written off"),
    "closed_transferred": ("结案（已转让）", "Closed: transferred"),
    "placed": ("进入催收阶梯", "Placed on the ladder"),
    "moved": ("调整催收阶段", "Moved on the ladder"),
    "assigned": ("分派催收员", "Assigned to a collector"),
    # risk.monitoring
    "behaviour_scores": ("刷新行为评分", "Behaviour scores refreshed"),
    "purpose_checks": ("抽取用途检查", "Purpose-of-funds checks sampled"),
    "large_loan_reviews": ("安排大额贷款检查", "Large-loan reviews scheduled"),
    # risk.warnings
    "rules_seeded": ("初始化预警规则", "Warning rules seeded"),
    "rules": ("评估规则", "Rules evaluated"),
    "firings": ("触发", "Firings"),
    "raised": ("新增预警", "Alerts raised"),
}

CLOSE: dict[str, dict[str, str]] = {
    "close.title": {"zh": "日终批处理", "en": "Daily close"},
    "close.subtitle": {
        "zh": "每日计算逾期天数、逾期分档与五级分类，保存快照，汇总不良率与拨备，并核对账务。",
        "en": "Each day: days past due, DPD buckets and five-category classes per loan, kept as "
        "snapshots; the NPL ratio, provisions and the ledger check.",
    },
    "close.run_today": {"zh": "运行今日日终（{date}）", "en": "Run today's close ({date})"},
    "close.run_hint": {
        "zh": "在后台运行；中断后再次运行会从中断处继续，已完成的日期不会重复计算。",
        "en": "Runs in the background; a rerun resumes where an interrupted one stopped, and a "
        "closed date is not closed twice.",
    },
    "close.runs": {"zh": "运行记录", "en": "Runs"},
    "close.none": {
        "zh": "尚未运行过日终。",
        "en": "No close has run yet.",
    },
    **labels(
        "close.col",
        {
            "date": ("业务日期", "Business date"),
            "status": ("状态", "Status"),
            "progress": ("进度", "Progress"),
            "attempts": ("运行次数", "Attempts"),
            "started": ("开始", "Started"),
            "finished": ("完成", "Finished"),
            "npl": ("不良率", "NPL ratio"),
            "breaks": ("账务不平", "Ledger breaks"),
            "error": ("错误", "Error"),
            "bucket": ("逾期分档", "Bucket"),
            "class": ("五级分类", "Class"),
            "loans": ("笔数", "Loans"),
            "balance": ("贷款余额", "Balance"),
            "share": ("占比", "Share"),
            "rate": ("拨备率", "Provision rate"),
            "provision": ("拨备", "Provision"),
            "loan": ("贷款编号", "Loan"),
            "dpd": ("逾期天数", "DPD"),
            "rule": ("规则分类", "By rule"),
            "override": ("认定分类", "Override"),
            "officer": ("认定人", "Officer"),
            "reason": ("原因", "Reason"),
            "at": ("认定时间", "Set at"),
            "expires": ("有效至", "Last day"),
            "actions": ("操作", "Actions"),
            "step": ("日终后步骤", "After-close step"),
            "counts": ("结果", "Result"),
        },
    ),
    **labels(
        "close.status",
        {
            "running": ("运行中", "Running"),
            "done": ("已完成", "Done"),
            "failed": ("失败", "Failed"),
        },
    ),
    "close.progress": {
        "zh": "已处理 {done} / {total} 笔贷款",
        "en": "{done} of {total} loans closed",
    },
    "close.running_now": {"zh": "日终正在运行…", "en": "The close is running…"},
    "close.failed_hint": {
        "zh": "日终在“{stage}”处失败。再次运行会从该处继续。",
        "en": "The close failed at “{stage}”. Running it again resumes there.",
    },
    "close.summary_of": {"zh": "{date} 日终结果", "en": "Close of {date}"},
    "close.npl_ratio": {
        "zh": "不良率（次级+可疑+损失）",
        "en": "NPL ratio (substandard + doubtful + loss)",
    },
    "close.total_balance": {"zh": "贷款余额", "en": "Balance"},
    "close.total_loans": {"zh": "在贷笔数", "en": "Loans repaying"},
    "close.total_provision": {"zh": "拨备估算", "en": "Provision estimate"},
    "close.overdue": {"zh": "逾期本金 / 利息", "en": "Overdue principal / interest"},
    "close.by_override": {"zh": "人工认定决定的笔数", "en": "Classified by an override"},
    "close.buckets": {"zh": "逾期分档", "en": "DPD buckets"},
    "close.classes": {"zh": "五级分类与拨备", "en": "Five-category classes and provisions"},
    "close.provision_note": {
        "zh": "拨备率：正常 1%、关注 2%、次级 25%、可疑 50%、损失 100%（《贷款损失准备计提指引》）。",
        "en": "Provision rates: normal 1 %, special mention 2 %, substandard 25 %, doubtful 50 %, "
        "loss 100 % (the loan-loss provisioning guideline).",
    },
    "close.ledger": {"zh": "账务核对", "en": "Ledger check"},
    "close.ledger_ok": {
        "zh": "全部贷款账务平衡：放款 = 已还本金 + 未还本金 + 核销。",
        "en": "Every loan balances: disbursed = repaid principal + outstanding + written off.",
    },
    "close.ledger_breaks": {
        "zh": "{count} 笔贷款账务不平衡，请核查。",
        "en": "{count} loan(s) out of balance: look into them.",
    },
    "close.steps": {"zh": "日终后步骤", "en": "After-close steps"},
    **labels("close.step", CLOSE_STEPS),
    **labels("close.count", CLOSE_COUNTS),
    "close.bucket.M0": {"zh": "M0 未逾期", "en": "M0 current"},
    "close.bucket.M1": {"zh": "M1 1–30天", "en": "M1 1–30 days"},
    "close.bucket.M2": {"zh": "M2 31–60天", "en": "M2 31–60 days"},
    "close.bucket.M3": {"zh": "M3 61–90天", "en": "M3 61–90 days"},
    "close.bucket.M4": {"zh": "M4 91–120天", "en": "M4 91–120 days"},
    "close.bucket.M5": {"zh": "M5 121–150天", "en": "M5 121–150 days"},
    "close.bucket.M6": {"zh": "M6 151–180天", "en": "M6 151–180 days"},
    "close.bucket.M7+": {"zh": "M7+ 180天以上", "en": "M7+ over 180 days"},
    **labels(
        "close.class",
        {
            "normal": ("正常", "Normal"),
            "special_mention": ("关注", "Special mention"),
            "substandard": ("次级", "Substandard"),
            "doubtful": ("可疑", "Doubtful"),
            "loss": ("损失", "Loss"),
        },
    ),
    "close.error.running": {
        "zh": "日终正在运行，请等待其完成。",
        "en": "A close is already running; wait for it.",
    },
    "close.error.stale": {
        "zh": "页面上的日期已不是今天（{date}），请刷新页面后再运行。",
        "en": "The page's date is no longer today ({date}); reload the page and run it again.",
    },
    "close.error.backdated": {
        "zh": "更晚的日期已完成日终；日终只能向前运行。",
        "en": "A later date is already closed; closes go forward.",
    },
    # classification overrides
    "classification.title": {
        "zh": "五级分类人工认定",
        "en": "Five-category classification overrides",
    },
    "classification.subtitle": {
        "zh": "风险官可将贷款认定为比规则更差的分类（不得优于规则），记录认定人、原因、时间与有效期。日终取规则与认定中较差者。",
        "en": "A risk officer may classify a loan worse than its rule (never better), with the "
        "officer, reason, time and last day kept. The close keeps the worse of the rule and the "
        "override.",
    },
    "classification.active": {
        "zh": "生效中的认定（{count}）",
        "en": "Overrides in force ({count})",
    },
    "classification.none": {"zh": "目前没有生效的人工认定。", "en": "No override is in force."},
    "classification.new": {"zh": "新增认定", "en": "New override"},
    "classification.loan_no": {"zh": "贷款编号", "en": "Loan number"},
    "classification.class": {"zh": "认定分类", "en": "Class"},
    "classification.reason": {"zh": "认定原因", "en": "Reason"},
    "classification.expires_on": {"zh": "有效至（可空）", "en": "Last day (optional)"},
    "classification.expires_hint": {
        "zh": "留空表示长期有效，直至撤销。",
        "en": "Empty: in force until revoked.",
    },
    "classification.save": {"zh": "保存认定", "en": "Set override"},
    "classification.revoke": {"zh": "撤销", "en": "Revoke"},
    "classification.never": {"zh": "长期", "en": "Until revoked"},
    "classification.problems": {
        "zh": "认定未保存，请修改以下问题：",
        "en": "The override was not set; fix these problems:",
    },
    "classification.saved": {"zh": "认定已保存。", "en": "Override set."},
    "classification.revoked": {"zh": "认定已撤销。", "en": "Override revoked."},
    "classification.bad_date": {
        "zh": "日期格式应为 YYYY-MM-DD",
        "en": "The date must be YYYY-MM-DD",
    },
    "classification.error.not_worse": {
        "zh": "人工认定只能比规则更差：贷款 {loan} 逾期 {dpd} 天，规则分类为“{rule}”，“{chosen}”并不更差。",
        "en": "An override may only classify worse than the rule: loan {loan} is {dpd} days past "
        "due, so the rule gives {rule}; {chosen} is not worse.",
    },
    "classification.error.loan": {
        "zh": "没有编号为 {loan} 的贷款。",
        "en": "No loan numbered {loan}.",
    },
    "classification.error.not_repaying": {
        "zh": "贷款 {loan} 不在还款中，只能认定还款中的贷款。",
        "en": "Loan {loan} is not repaying; only repaying loans are classified.",
    },
    "classification.error.class": {"zh": "请选择认定分类。", "en": "Choose a class."},
    "classification.error.reason": {
        "zh": "请填写认定原因（不超过 2000 字）。",
        "en": "Say why (at most 2,000 characters).",
    },
    "classification.error.expires_on": {
        "zh": "有效期不能早于今天（{today}）。",
        "en": "The last day must be today ({today}) or later.",
    },
}
