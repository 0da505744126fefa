"""The demo bank's surveys and their questions, and the Chinese templates of survey comments."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from loanpilot.demo.after_common import Arr
from loanpilot.demo.after_text_slots import fill, pick_index

#: (code, title, kind, trigger, channel, question keys) of the four surveys.
SURVEYS: tuple[tuple[str, str, str, str, str, tuple[str, ...]], ...] = (
    (
        "CSAT-DISB",
        "放款后满意度调查",
        "csat",
        "disbursed",
        "sms",
        ("csat", "nps", "best_step", "comment"),
    ),
    ("NPS-30D", "放款30天推荐意愿调查", "nps", "disbursed_30d", "app", ("nps", "comment")),
    ("CSAT-SETTLE", "贷款结清回访调查", "csat", "settled", "sms", ("csat", "nps", "comment")),
    (
        "CSAT-COMPLAINT",
        "投诉办结满意度回访",
        "csat",
        "complaint_closed",
        "phone",
        ("csat", "resolved", "comment"),
    ),
)


def _choices(pairs: tuple[tuple[str, str, str], ...]) -> list[dict[str, str]]:
    return [{"value": v, "label_zh": zh, "label_en": en} for v, zh, en in pairs]


#: key → (kind, text_zh, text_en, required, choices)
QUESTIONS: dict[str, tuple[str, str, str, bool, list[dict[str, str]]]] = {
    "csat": (
        "csat_1_5",
        "您对本次服务的整体满意度如何？（1分非常不满意，5分非常满意）",
        "Overall, how satisfied are you with our service? (1 = very dissatisfied, 5 = very satisfied)",
        True,
        [],
    ),
    "nps": (
        "nps_0_10",
        "您向亲友推荐我行贷款的可能性有多大？",
        "How likely are you to recommend our loans to friends or family?",
        True,
        [],
    ),
    "best_step": (
        "single_choice",
        "您最满意的环节",
        "Which step were you most satisfied with?",
        False,
        _choices(
            (
                ("application", "申请便捷", "Easy application"),
                ("approval_speed", "审批速度", "Approval speed"),
                ("rate", "利率价格", "Rate and price"),
                ("staff", "客户经理服务", "Customer manager"),
                ("disbursement", "放款速度", "Disbursement speed"),
                ("app", "手机银行体验", "Mobile banking"),
            )
        ),
    ),
    "resolved": (
        "single_choice",
        "您反映的问题是否已经解决？",
        "Has your issue been resolved?",
        True,
        _choices(
            (
                ("yes", "已解决", "Resolved"),
                ("partly", "部分解决", "Partly resolved"),
                ("no", "未解决", "Not resolved"),
            )
        ),
    ),
    "comment": (
        "free_text",
        "您还有什么意见或建议？",
        "Any other comments or suggestions?",
        False,
        [],
    ),
}


COMMENT_ASPECTS = ("rate", "speed", "staff", "app")
COMMENTS: dict[str, dict[str, list[str]]] = {
    "praise": {
        "rate": ["利率比其他银行低，很划算。", "{product}利率实在，没有乱收费。"],
        "speed": ["审批很快，{fast}就放款了，解决了燃眉之急。", "从申请到放款很顺利，效率很高。"],
        "staff": ["{staff}非常专业，耐心讲解还款方式，点赞！", "客户经理服务热情，全程指导。"],
        "app": ["手机银行操作简单，几分钟就申请好了。", "线上办理很方便，不用跑网点。"],
    },
    "neutral": {
        "rate": ["利率一般吧，和别家差不多。", "希望以后能有更多利率优惠。"],
        "speed": ["整体还可以，就是审批等了几天。", "流程还行，材料有点多。"],
        "staff": ["客户经理还可以，有问题能找到人。", "服务中规中矩。"],
        "app": ["App还行，有些功能不太好找。", "线上流程可以再简化一点。"],
    },
    "complaint": {
        "rate": ["利率偏高，手续费也不透明。", "年化利率比宣传的高，有被误导的感觉。"],
        "speed": ["审批太慢了，等了{slow}才放款。", "反复补材料，效率太低。"],
        "staff": ["客户经理态度一般，问问题回复很慢。", "办完业务就找不到人了。"],
        "app": ["手机银行老是闪退，人脸识别很难通过。", "App还款页面太复杂了。"],
    },
}


def comment_texts(
    rng: np.random.Generator, sentiment: Arr, aspect: Arr, slots: Mapping[str, Arr]
) -> Arr:
    """Free-text survey comments from the respondent's sentiment and the aspect they write about."""
    out = np.full(len(sentiment), "", dtype=object)
    for mood, by_aspect in COMMENTS.items():
        for name, options in by_aspect.items():
            rows = np.flatnonzero((sentiment == mood) & (aspect == name))
            if rows.size:
                sub = {k: v[rows] for k, v in slots.items()}
                out[rows] = fill(options, pick_index(rng, len(options), rows.size), sub)
    return out
