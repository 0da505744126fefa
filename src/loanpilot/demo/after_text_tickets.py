"""Chinese text of the demo bank's feedback tickets and their resolutions.

Ticket texts are built from several templates per topic and ticket type, filled with slot values
(product names, amounts, branch names, dates, …) and wrapped in openers, closers and noise (channel
prefixes, typos), so that a text classifier trained on them has to learn the topic vocabulary: topics
share words (利息, 还款, 逾期, 征信, 客户经理, 手机银行 appear in several), about one subject in five
says nothing about the topic, about one body in twelve is vague, and about one ticket in seven raises
a second concern from a neighbouring topic (``RELATED``). The label stays the main concern. A
character-bigram naive Bayes recovers about 94 % of the topics.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from loanpilot.demo.after_common import Arr
from loanpilot.demo.after_text_slots import choose, fill, pick_index, replace
from loanpilot.demo.after_text_topics import (
    BODIES,
    GENERIC_SUBJECTS,
    SUBJECTS,
    TICKET_TOPICS,
    TICKET_TYPES,
)

_C, _I, _S = TICKET_TYPES

#: A second sentence with some topic signal, added to about a third of the bodies.
DETAILS: dict[str, list[str]] = {
    "rate_fee": [
        "我对比过其他银行的年化利率。",
        "贷款金额{amount}，期限{period}个月。",
        "月供里利息占了一大半。",
    ],
    "approval_speed": ["资料我{date}就交齐了。", "其他银行两天就批下来了。", "急着用这笔钱。"],
    "repayment": [
        "扣款短信是{date}收到的。",
        "我的账户一直有足够余额。",
        "还款计划表我截图保存了。",
    ],
    "prepayment": ["剩余本金大概{amount}。", "已经还了{months}了。", "想早点还清减少利息。"],
    "collection": [
        "我不是故意逾期的，只是晚了几天。",
        "通话录音我都保留了。",
        "家里人都被吓到了。",
    ],
    "staff_attitude": [
        "当时是{branch}的工作人员接待的。",
        "排队等了一个多小时。",
        "其他客户也有同样感受。",
    ],
    "app_experience": ["我用的是{device}，已经是最新版本。", "截图可以提供。", "卸载重装也没用。"],
    "product_info": [
        "我在{branch}附近上班。",
        "之前没有在你们行贷过款。",
        "看到了你们的宣传活动。",
    ],
    "privacy": ["我从没授权给第三方。", "来电号码每次都不一样。", "这种情况已经持续好几个月了。"],
    "credit_report": [
        "报告是在人民银行征信中心查的。",
        "需要的话我可以提供还款流水。",
        "这条记录影响很大。",
    ],
}

#: Neighbouring topics: a ticket often raises a second, minor concern from one of them.
RELATED: dict[str, tuple[str, ...]] = {
    "rate_fee": ("prepayment", "product_info", "repayment"),
    "approval_speed": ("product_info", "staff_attitude", "app_experience"),
    "repayment": ("credit_report", "app_experience", "rate_fee"),
    "prepayment": ("rate_fee", "repayment"),
    "collection": ("repayment", "privacy", "credit_report"),
    "staff_attitude": ("approval_speed", "product_info", "collection"),
    "app_experience": ("repayment", "approval_speed", "privacy"),
    "product_info": ("rate_fee", "approval_speed"),
    "privacy": ("collection", "app_experience"),
    "credit_report": ("repayment", "collection", "prepayment"),
}

#: Vague bodies that hardly name the topic (about one in twelve; the subject may still carry it).
VAGUE: dict[str, list[str]] = {
    _C: [
        "关于{product}的事情之前已经反映过，到现在还没有处理结果，请尽快联系我。",
        "上次在{branch}反映的问题一直没人跟进，非常不满意。",
        "我的贷款出了问题，打了好几次电话都没解决，请给个说法。",
    ],
    _I: [
        "想咨询一下{product}的相关问题，麻烦回电。",
        "有几个贷款方面的问题想问一下，方便的话请联系我。",
        "请问{branch}的客户经理电话是多少？有事情想当面问。",
    ],
    _S: ["对你们的贷款服务有些想法，希望能改进。", "希望{product}的服务能做得更好一些。"],
}

#: Clauses that mention words of other topics (客户经理, 手机银行, 利息, 还款 …): shared vocabulary.
CROSS: dict[str, list[str]] = {
    _C: [
        "之前已经打过一次客服电话反映过。",
        "客户经理{staff}也说会帮我跟进，但一直没有回音。",
        "手机银行上也查不到相关信息。",
        "这笔{amount}的贷款对我很重要。",
        "如果处理不好我会向金融监管部门投诉。",
        "我在你们行办业务好几年了，还款从来没有晚过。",
    ],
    _I: ["客户经理{staff}让我在这里问。", "手机银行上没找到说明。", "我在你们行有一笔{product}。"],
    _S: ["我是你们的老客户了。", "身边朋友也有同样的想法。", "客户经理{staff}服务还是不错的。"],
}

OPENERS: dict[str, list[str]] = {
    _C: ["", "您好，", "你好，", "客服你好，", "银行你好：", "我要反映一个问题，"],
    _I: ["", "您好，", "你好，", "请问，", "麻烦咨询一下，"],
    _S: ["", "您好，", "你好，", "提个建议，"],
}
CLOSERS: dict[str, list[str]] = {
    _C: ["", "请尽快处理。", "希望给个合理的解释。", "请给我回电。", "非常失望！", "谢谢。"],
    _I: ["", "谢谢！", "麻烦尽快回复。", "盼复。"],
    _S: ["", "仅供参考。", "谢谢！", "希望采纳。"],
}
CHANNEL_PREFIX: dict[str, str] = {
    "phone": "【来电】",
    "social_media": "【网络留言】",
    "survey": "【问卷留言】",
    "branch": "【网点登记】",
    "email": "",
    "online": "",
}

RESOLUTIONS: dict[str, list[str]] = {
    "rate_fee": [
        "已向客户说明合同约定的年化利率及计算方式，提供费用明细，客户表示理解。",
        "经核实宣传材料表述不够清晰，已退还服务费{fee}，并整改宣传口径。",
        "已按最新LPR重定价规则向客户解释利率调整时间。",
    ],
    "approval_speed": [
        "已协调审批岗加急处理，{days}内完成审批并放款。",
        "已向客户说明审批进度及所需补充材料，并安排客户经理专人跟进。",
    ],
    "repayment": [
        "经核查为系统批量扣款异常，已冲正多扣款项{fee}，并撤销罚息。",
        "已协助客户完成还款账户变更，并说明扣款时间。",
        "已解释还款计划表中利息计算方式，客户表示认可。",
    ],
    "prepayment": [
        "已按合同约定说明违约金条款，并协助客户预约提前还款。",
        "已为客户办理部分提前还款并选择减少月供方式。",
    ],
    "collection": [
        "已核实催收记录，对相关催收人员进行约谈整改，并停止非必要外呼。",
        "已与客户协商还款计划，暂停催收并登记联系偏好。",
    ],
    "staff_attitude": [
        "已向客户致歉，对涉事员工进行批评教育并纳入服务质量考核。",
        "已为客户更换客户经理并做好业务交接。",
    ],
    "app_experience": [
        "已反馈科技部门修复问题，新版本上线后客户确认可正常使用。",
        "已指导客户完成操作并记录需求，纳入手机银行迭代计划。",
    ],
    "product_info": [
        "已向客户详细介绍产品条件、额度与期限，并安排客户经理回访。",
        "已说明额度审批依据，客户表示理解。",
    ],
    "privacy": [
        "已为客户办理营销退订并核查信息使用记录，未发现对外提供个人信息。",
        "已说明个人信息处理规则并协助客户撤回授权。",
    ],
    "credit_report": [
        "经核实为系统原因，已向征信中心报送更正，并出具情况说明。",
        "已向客户解释征信记录产生原因及异议申请流程。",
    ],
}


def _second_concern(
    rng: np.random.Generator, code: str, ttype: str, slots: Mapping[str, Arr]
) -> Arr:
    """A sentence about a neighbouring topic: half a full concern (另外，…), half a detail."""
    m = len(slots["product"])
    related = RELATED[code]
    other = np.asarray(related, dtype=object)[rng.integers(0, len(related), m)]
    out = np.full(m, "", dtype=object)
    for topic in related:
        rows = np.flatnonzero(other == topic)
        if rows.size == 0:
            continue
        sub = {k: v[rows] for k, v in slots.items()}
        concern = "另外，" + fill(
            BODIES[topic][ttype], pick_index(rng, len(BODIES[topic][ttype]), rows.size), sub
        )
        detail = fill(DETAILS[topic], pick_index(rng, len(DETAILS[topic]), rows.size), sub)
        out[rows] = np.where(rng.random(rows.size) < 0.5, concern, detail)
    return out


def ticket_texts(
    rng: np.random.Generator, topic: Arr, ticket_type: Arr, channel: Arr, slots: Mapping[str, Arr]
) -> tuple[Arr, Arr]:
    """(subject, body) of each ticket from its topic, type and channel."""
    n = len(topic)
    subject = np.full(n, "", dtype=object)
    body = np.full(n, "", dtype=object)
    for ttype in TICKET_TYPES:
        for code in TICKET_TOPICS:
            rows = np.flatnonzero((topic == code) & (ticket_type == ttype))
            if rows.size == 0:
                continue
            m = rows.size
            sub = {k: v[rows] for k, v in slots.items()}
            own = len(BODIES[code][ttype])
            which = pick_index(rng, own, m)
            core = fill(BODIES[code][ttype], which, sub)
            generic = rng.random(m) < 0.2
            extra = own + pick_index(rng, len(GENERIC_SUBJECTS[ttype]), m)
            subjects = SUBJECTS[code][ttype] + GENERIC_SUBJECTS[ttype]
            subject[rows] = fill(subjects, np.where(generic, extra, which), sub)
            detail = fill(DETAILS[code], pick_index(rng, len(DETAILS[code]), m), sub)
            cross = fill(CROSS[ttype], pick_index(rng, len(CROSS[ttype]), m), sub)
            vague = fill(VAGUE[ttype], pick_index(rng, len(VAGUE[ttype]), m), sub)
            second = _second_concern(rng, code, ttype, sub)
            opener = choose(rng, OPENERS[ttype], m)
            closer = choose(rng, CLOSERS[ttype], m)
            text = opener + np.where(rng.random(m) < 0.08, vague, core)
            text = text + np.where(rng.random(m) < 0.35, detail, "")
            text = text + np.where(rng.random(m) < 0.3, second, "")
            text = text + np.where(rng.random(m) < 0.3, cross, "")
            body[rows] = text + closer
    prefix = np.full(n, "", dtype=object)
    for ch, mark in CHANNEL_PREFIX.items():
        prefix[channel == ch] = mark
    body = prefix + body
    # noise: a few typos and exclamation marks, as customers write them
    typo = np.flatnonzero(rng.random(n) < 0.06)
    body[typo] = replace(body[typo], "的", "得", count=1)
    shout = np.flatnonzero((ticket_type == _C) & (rng.random(n) < 0.1))
    body[shout] = replace(body[shout], "。", "！！")
    return subject, body


def resolution_texts(rng: np.random.Generator, topic: Arr, slots: Mapping[str, Arr]) -> Arr:
    """How each ticket was resolved (one of several texts per topic)."""
    out = np.full(len(topic), "", dtype=object)
    for code, options in RESOLUTIONS.items():
        rows = np.flatnonzero(topic == code)
        if rows.size:
            sub = {k: v[rows] for k, v in slots.items()}
            out[rows] = fill(options, pick_index(rng, len(options), rows.size), sub)
    return out
