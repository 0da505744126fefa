"""Messages of the collections pages (zh/en): the queue, a case with its contact form, and the
ladder."""

from __future__ import annotations

from typing import Final

from loanpilot.web.i18n.labels import labels

COLLECTIONS: Final[dict[str, dict[str, str]]] = {
    **labels("coll.tab", {"queue": ("催收队列", "Queue"), "ladder": ("催收阶梯", "Ladder")}),
    **labels(
        "coll.rung",
        {
            "any": ("全部", "All"),
            "sms": ("短信提醒", "SMS reminder"),
            "phone": ("电话催收", "Phone"),
            "visit": ("上门催收", "On-site visit"),
            "legal": ("法律诉讼", "Legal action"),
        },
    ),
    **labels(
        "coll.kind",
        {
            "sms": ("短信", "SMS"),
            "phone": ("电话", "Phone call"),
            "letter": ("催收函", "Letter"),
            "visit": ("上门", "Visit"),
            "legal_notice": ("律师函", "Legal notice"),
            "lawsuit": ("起诉", "Lawsuit"),
        },
    ),
    **labels(
        "coll.party",
        {
            "debtor": ("借款人本人", "Debtor"),
            "guarantor": ("担保人", "Guarantor"),
            "relative": ("亲属（第三方）", "Relative (third party)"),
            "employer": ("工作单位（第三方）", "Employer (third party)"),
            "other": ("其他第三方", "Other third party"),
            "none": ("—", "—"),
        },
    ),
    **labels(
        "coll.result",
        {
            "no_answer": ("无人接听", "No answer"),
            "promise_to_pay": ("承诺还款", "Promise to pay"),
            "paid": ("已还款", "Paid"),
            "partial_payment": ("部分还款", "Partial payment"),
            "negotiating": ("协商中", "Negotiating"),
            "refused": ("拒绝还款", "Refused"),
            "wrong_number": ("号码错误", "Wrong number"),
            "delivered": ("已送达", "Delivered"),
            "note": ("备注", "Note"),
        },
    ),
    **labels(
        "coll.promise",
        {"open": ("待兑现", "Open"), "kept": ("已兑现", "Kept"), "broken": ("未兑现", "Broken")},
    ),
    **labels(
        "coll.outcome",
        {
            "cured": ("已结清逾期", "Cured"),
            "settled": ("已结清", "Settled"),
            "written_off": ("已核销", "Written off"),
            "transferred": ("已转让", "Transferred"),
            "legal": ("诉讼", "Legal"),
        },
    ),
    **labels(
        "coll.class",
        {
            "normal": ("正常", "Normal"),
            "special_mention": ("关注", "Special mention"),
            "substandard": ("次级", "Substandard"),
            "doubtful": ("可疑", "Doubtful"),
            "loss": ("损失", "Loss"),
        },
    ),
    **labels(
        "coll.view",
        {"mine": ("我的案件", "My cases"), "all": ("全部案件", "All cases")},
    ),
    **labels(
        "coll.col",
        {
            "case": ("案件", "Case"),
            "debtor": ("借款人", "Debtor"),
            "rung": ("阶段", "Rung"),
            "dpd": ("逾期天数", "DPD"),
            "overdue": ("逾期金额", "Overdue"),
            "priority": ("优先级", "Priority"),
            "branch": ("网点", "Branch"),
            "collector": ("催收员", "Collector"),
            "next_action": ("下次行动", "Next action"),
        },
    ),
    **labels(
        "coll.filter",
        {
            "rung": ("阶段", "Rung"),
            "bucket": ("逾期档", "DPD bucket"),
            "branch": ("网点", "Branch"),
            "apply": ("筛选", "Filter"),
        },
    ),
    "coll.queue.title": {"zh": "催收队列", "en": "Collections queue"},
    "coll.queue.subtitle": {
        "zh": "未结案件按优先级排序：逾期天数、逾期金额与行为评分违约概率。",
        "en": "Open cases by priority: days past due, overdue amount and behavioural PD.",
    },
    "coll.queue.view": {"zh": "案件范围", "en": "Cases shown"},
    "coll.queue.by_rung": {"zh": "各阶段案件数", "en": "Cases per rung"},
    "coll.queue.count": {
        "zh": "符合条件的案件 {count} 件（显示 {shown} 件）",
        "en": "{count} matching cases ({shown} shown)",
    },
    "coll.queue.empty": {"zh": "没有符合条件的未结案件。", "en": "No open cases match."},
    "coll.unassigned": {"zh": "未分派", "en": "Unassigned"},
    "coll.by_system": {"zh": "系统", "en": "System"},
    "coll.case.title": {"zh": "催收案件 {no}", "en": "Collection case {no}"},
    "coll.case.back": {"zh": "返回催收队列", "en": "Back to the queue"},
    "coll.case.loan": {"zh": "贷款与借款人", "en": "Loan and debtor"},
    "coll.case.phone": {"zh": "手机号", "en": "Phone"},
    "coll.case.loan_no": {"zh": "贷款编号", "en": "Loan no."},
    "coll.case.principal": {"zh": "贷款本金", "en": "Principal"},
    "coll.case.outstanding": {"zh": "剩余本金", "en": "Outstanding principal"},
    "coll.case.rate": {"zh": "合同利率", "en": "Contract rate"},
    "coll.case.five_class": {"zh": "五级分类", "en": "Five-category class"},
    "coll.case.opened": {"zh": "立案日期", "en": "Opened"},
    "coll.case.dpd_at_open": {"zh": "立案时逾期 {n} 天", "en": "{n} DPD at opening"},
    "coll.case.overdue": {"zh": "逾期金额", "en": "Overdue amounts"},
    "coll.case.recovered": {"zh": "立案后已回收", "en": "Recovered since opening"},
    "coll.case.guarantors": {"zh": "担保人", "en": "Guarantors"},
    "coll.case.no_guarantors": {"zh": "该笔贷款没有担保人。", "en": "This loan has no guarantor."},
    "coll.case.reveal": {"zh": "查看", "en": "Reveal"},
    "coll.case.reveal_label": {
        "zh": "查看担保人 {name} 的手机号（将记入审计日志）",
        "en": "Reveal the phone of guarantor {name} (recorded in the audit log)",
    },
    "coll.case.revealed_note": {"zh": "（已记入审计日志）", "en": "(recorded in the audit log)"},
    **labels(
        "coll.part",
        {
            "principal": ("本金", "Principal"),
            "interest": ("利息", "Interest"),
            "fee": ("费用", "Fees"),
            "penalty": ("罚息", "Penalty interest"),
            "total": ("合计", "Total"),
        },
    ),
    "coll.contact.title": {"zh": "登记联系", "en": "Log a contact"},
    "coll.contact.today": {
        "zh": "今日已联系该借款人 {n} 次 / 上限 {cap} 次",
        "en": "Contacts with this debtor today: {n} of {cap}",
    },
    "coll.contact.hours": {
        "zh": "允许联系时段 {hours}（当前 {now}）",
        "en": "Contact hours {hours} (now {now})",
    },
    "coll.contact.allowed": {"zh": "本阶段允许：{kinds}", "en": "Allowed on this rung: {kinds}"},
    "coll.contact.rules": {
        "zh": "合规规则（系统强制执行）：仅在允许时段内联系；每位借款人每日联系次数不超过上限（所有案件、所有渠道合计）；"
        "不得就债务联系第三方，只可联系借款人本人或该笔贷款的担保人。",
        "en": "Compliance rules (enforced): contact only within the contact hours; no more contacts "
        "per debtor per day than the cap (all cases and channels); no contact of third parties "
        "about the debt: only the debtor or a guarantor of this loan.",
    },
    "coll.contact.refused": {
        "zh": "联系被拒绝，未予登记（已记入审计日志）：",
        "en": "Contact refused and not recorded (written to the audit log):",
    },
    "coll.contact.kind": {"zh": "联系方式", "en": "Kind"},
    "coll.contact.not_on_rung": {"zh": "本阶段不允许", "en": "not on this rung"},
    "coll.contact.party": {"zh": "联系对象", "en": "Contacted"},
    "coll.contact.result": {"zh": "结果", "en": "Result"},
    "coll.contact.promise_amount": {"zh": "承诺金额（元）", "en": "Promised amount (yuan)"},
    "coll.contact.promise_date": {"zh": "承诺还款日", "en": "Promised day"},
    "coll.contact.note": {"zh": "说明", "en": "Note"},
    "coll.contact.submit": {"zh": "登记", "en": "Log contact"},
    "coll.promises.title": {"zh": "还款承诺", "en": "Promises to pay"},
    "coll.promises.due": {"zh": "承诺日", "en": "Due"},
    "coll.promises.amount": {"zh": "承诺金额", "en": "Amount"},
    "coll.promises.paid": {"zh": "已还", "en": "Paid"},
    "coll.promises.status": {"zh": "状态", "en": "Status"},
    "coll.promises.none": {"zh": "暂无还款承诺。", "en": "No promises yet."},
    "coll.contacts.title": {"zh": "联系记录", "en": "Contact log"},
    "coll.contacts.at": {"zh": "时间", "en": "When"},
    "coll.contacts.by": {"zh": "经办人", "en": "By"},
    "coll.contacts.none": {"zh": "暂无联系记录。", "en": "No contacts yet."},
    "coll.notes.title": {"zh": "案件备注", "en": "Case notes"},
    "coll.notes.none": {"zh": "暂无备注。", "en": "No notes yet."},
    "coll.notes.add": {"zh": "新增备注（200 字以内）", "en": "Add a note (up to 200 characters)"},
    "coll.notes.submit": {"zh": "保存备注", "en": "Save note"},
    "coll.error.amount": {
        "zh": "请输入大于 0 的金额（元）",
        "en": "Enter an amount in yuan above 0",
    },
    "coll.error.date": {"zh": "请输入有效日期", "en": "Enter a valid date"},
    "coll.error.kind": {"zh": "请选择联系方式", "en": "Choose a contact kind"},
    "coll.error.party": {"zh": "请选择联系对象", "en": "Choose who was contacted"},
    "coll.error.result": {
        "zh": "请选择结果；承诺金额与日期仅用于“承诺还款”",
        "en": "Choose a result; a promised amount and day go with 'promise to pay'",
    },
    "coll.error.promise_date": {
        "zh": "承诺还款需要今天或以后的日期",
        "en": "A promise to pay needs a day from today",
    },
    "coll.error.promise_amount": {
        "zh": "承诺还款需要大于 0 的金额",
        "en": "A promise to pay needs an amount above 0",
    },
    "coll.error.note": {"zh": "说明不超过 200 字", "en": "At most 200 characters"},
    "coll.error.note_text": {"zh": "备注需 1–200 字", "en": "A note needs 1 to 200 characters"},
    "coll.error.number": {"zh": "请输入不小于 0 的数字", "en": "Enter a number of at least 0"},
    "coll.ladder.title": {"zh": "催收阶梯", "en": "Collections ladder"},
    "coll.ladder.subtitle": {
        "zh": "短信提醒 → 电话催收 → 上门催收 → 法律诉讼。案件进入某阶段须同时满足该阶段的各项门槛；"
        "案件在仍逾期时不会降级。",
        "en": "SMS reminder → phone → on-site visit → legal action. A case enters a rung when it "
        "meets every floor of the rung's rule; while still delinquent it never moves down.",
    },
    "coll.ladder.min_dpd": {"zh": "最低逾期天数", "en": "Min. DPD"},
    "coll.ladder.min_overdue": {"zh": "最低逾期金额（元）", "en": "Min. overdue (yuan)"},
    "coll.ladder.min_broken": {"zh": "最低违约承诺次数", "en": "Min. broken promises"},
    "coll.ladder.kinds": {"zh": "允许的联系方式", "en": "Contact kinds allowed"},
    "coll.ladder.enabled": {"zh": "启用", "en": "Enabled"},
    "coll.ladder.hint": {
        "zh": "修改在下次日终批处理时生效；修改记入审计日志。",
        "en": "Changes take effect at the next daily close and are written to the audit log.",
    },
    "coll.ladder.save": {"zh": "保存阶梯", "en": "Save the ladder"},
    "coll.ladder.saved": {"zh": "催收阶梯已保存。", "en": "The ladder was saved."},
}
