"""Chinese text of the demo bank's after-sales data: feedback tickets, resolutions, survey comments,
and the static catalogues of the after-sales and team steps (actions, courses, certificates,
fictional competitors and their products, market shape).

Ticket texts are built from several templates per topic and ticket type, filled with slot values
(product names, amounts, branch names, dates, …) and wrapped in openers, closers and noise (channel
prefixes, typos), so that a text classifier trained on them has to learn the topic vocabulary: topics
share words (利息, 还款, 逾期, 征信, 客户经理, 手机银行 appear in several), about one subject in five
says nothing about the topic, about one body in twelve is vague, and about one ticket in seven raises
a second concern from a neighbouring topic (``RELATED``). The label stays the main concern. A
character-bigram naive Bayes recovers about 94 % of the topics.

Everything here is vectorised: ``fill`` loops over the (few) templates, never over rows.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

Arr = np.ndarray[Any, Any]

#: The ticket topics (code → 中文标签), labelled by staff (``topic_source='staff'``). A fixed list: a
#: later text classifier predicts one of these codes from a ticket's subject and body.
TICKET_TOPICS: dict[str, str] = {
    "rate_fee": "利率费用",
    "approval_speed": "审批时效",
    "repayment": "还款扣款",
    "prepayment": "提前还款",
    "collection": "催收方式",
    "staff_attitude": "服务态度",
    "app_experience": "手机银行体验",
    "product_info": "产品咨询",
    "privacy": "个人信息",
    "credit_report": "征信异议",
}

TICKET_TYPES = ("complaint", "inquiry", "suggestion")

#: Topic mix per ticket type (probabilities in the order of ``TICKET_TOPICS``).
TOPIC_MIX: dict[str, tuple[float, ...]] = {
    "complaint": (0.16, 0.14, 0.12, 0.07, 0.09, 0.14, 0.12, 0.03, 0.06, 0.07),
    "inquiry": (0.15, 0.10, 0.15, 0.15, 0.02, 0.01, 0.10, 0.25, 0.02, 0.05),
    "suggestion": (0.10, 0.10, 0.08, 0.07, 0.02, 0.10, 0.35, 0.12, 0.03, 0.03),
}

_C, _I, _S = TICKET_TYPES

#: Subjects, index-aligned with ``BODIES``: subject i of a topic and type summarises body i.
SUBJECTS: dict[str, dict[str, list[str]]] = {
    "rate_fee": {
        _C: [
            "{product}实际年化利率与宣传不符",
            "关于{product}服务费的投诉",
            "老客户利率没有优惠",
            "宣传利率与实际不符",
            "LPR下调后利率未调整",
        ],
        _I: ["咨询{product}利率", "{product}有哪些费用", "LPR调整后利率问题", "年化利率怎么计算"],
        _S: ["建议公示年化利率", "对老客户利率优惠的建议", "费用说明建议"],
    },
    "approval_speed": {
        _C: [
            "{product}申请{days}了还没结果",
            "反复补材料耽误放款",
            "审批通过后迟迟不放款",
            "线上申请查不到审批进度",
        ],
        _I: ["查询审批进度", "{product}什么时候放款", "审批要多久"],
        _S: ["建议增加审批进度提醒", "关于简化贷款材料的建议", "建议开通快速审批通道"],
    },
    "repayment": {
        _C: [
            "还款日扣款失败被算逾期",
            "重复扣款投诉",
            "还款卡变更后仍从旧卡扣款",
            "月供扣款金额不对",
        ],
        _I: ["还款日能否调整", "更换还款卡", "这期月供为什么变了", "还款日几点扣款"],
        _S: ["建议增加还款提醒", "扣款失败后再扣一次的建议", "建议支持更多还款方式"],
    },
    "prepayment": {
        _C: [
            "提前还款收违约金不合理",
            "提前还款一直约不上",
            "提前还款后月供没变",
            "提前结清后仍扣利息",
        ],
        _I: ["{product}能否提前还款", "部分提前还款怎么办理", "提前还款预约咨询"],
        _S: ["建议开放线上提前还款", "提前还款规则建议"],
    },
    "collection": {
        _C: [
            "催收电话骚扰",
            "催收打到我{who}那里",
            "已约定还款仍被频繁催收",
            "已结清仍收到催收短信",
        ],
        _I: ["能否申请延期还款", "逾期后还会被催收吗"],
        _S: ["关于催收方式的建议", "建议给予还款宽限期"],
    },
    "staff_attitude": {
        _C: [
            "投诉{branch}工作人员服务态度",
            "客户经理{staff}不回消息",
            "柜台人员态度敷衍",
            "推销电话态度差",
        ],
        _I: ["我的客户经理换人了吗", "{branch}周末有人办理吗"],
        _S: ["建议加强员工服务培训", "客户经理交接的建议"],
    },
    "app_experience": {
        _C: [
            "手机银行申请贷款闪退",
            "App人脸识别一直失败",
            "还款计划页面数据不对",
            "App更新后无法登录",
        ],
        _I: ["手机银行在哪查还款计划", "App申请贷款的问题"],
        _S: ["建议App增加贷款计算器", "App适老化建议", "建议支持指纹登录"],
    },
    "product_info": {
        _C: ["宣传的{product}额度申请不到", "产品介绍与实际不符"],
        _I: [
            "{product}申请条件",
            "贷款产品推荐",
            "{product}和{product2}怎么选",
            "公积金贷款和组合贷怎么选",
            "{product}需要抵押吗",
        ],
        _S: ["建议推出新的贷款产品", "产品说明建议"],
    },
    "privacy": {
        _C: ["频繁收到贷款推销电话", "退订后仍收到营销短信", "个人信息被泄露", "App过度索取权限"],
        _I: ["如何撤回授权", "个人信息查询和删除"],
        _S: ["营销短信退订建议", "授权说明建议"],
    },
    "credit_report": {
        _C: [
            "征信报告出现错误逾期记录",
            "扣款失败导致征信逾期",
            "结清后征信未更新",
            "未经同意查询征信",
        ],
        _I: ["征信多久更新", "征信查询问题", "征信上的逾期记录"],
        _S: ["结清后及时报送征信的建议"],
    },
}

#: Subjects that say nothing about the topic (chosen for about one ticket in five).
GENERIC_SUBJECTS: dict[str, list[str]] = {
    _C: ["投诉", "我要投诉", "关于我的贷款问题", "请尽快处理", "对贵行服务不满"],
    _I: ["咨询", "贷款咨询", "请问一下", "关于{product}的问题"],
    _S: ["意见建议", "一点建议", "给贵行的建议"],
}

BODIES: dict[str, dict[str, list[str]]] = {
    "rate_fee": {
        _C: [
            "我在{branch}办理的{product}，当时客户经理说年利率只有{quoted}，可合同上年化利率是{apr}，差别太大，感觉被误导了。",
            "{date}办的{amount}贷款，每个月除了利息还要收{fee}的服务费，办理时根本没人提过这笔费用。",
            "同样的{product}，别家银行利率低不少，我是老客户了，利率却一点优惠都没有，要求重新核定利率。",
            "宣传海报上写利率低至{quoted}，实际审批下来高了很多，这算不算虚假宣传？",
            "LPR下调了好几次，我的{product}利率怎么还没调整，每月月供一分没少。",
        ],
        _I: [
            "请问{product}现在的年利率是多少？贷{amount}分{period}期每月大概要还多少利息？",
            "想咨询一下{product}除了利息以外还有没有手续费、服务费之类的其他费用？",
            "我的房贷是LPR加点，这次LPR调整后什么时候开始按新利率执行？",
            "合同上写的年化利率{apr}是怎么算出来的？和宣传页上的{quoted}有什么区别？",
        ],
        _S: [
            "建议在申请页面直接展示年化利率，不要只写月利率或日利率，看得更清楚。",
            "希望对按时还款的老客户给一些利率优惠，比如续贷时利率下浮。",
            "建议签合同前把各项费用逐项列清楚，{product}的服务费说明太不显眼了。",
        ],
    },
    "approval_speed": {
        _C: [
            "{date}在{branch}提交的{product}申请，到现在{days}了还在审核中，打电话问也说不清什么时候有结果。",
            "客户经理当初说三个工作日就能放款，结果材料补了两次，拖了{days}，耽误了我的{purpose}。",
            "审批通过的短信都收到了，可是{days}过去了钱还没到账，{product}到底什么时候放款？",
            "线上申请一直显示审批中，已经{days}了，没有任何人联系我，也查不到进度。",
        ],
        _I: [
            "请问{product}一般审批要多长时间？我{date}提交的，现在是什么进度？",
            "我的贷款已经审批通过了，放款大概还要几天？需要我再去{branch}签字吗？",
            "申请{amount}的{product}需要准备哪些材料，审批要多久？",
        ],
        _S: [
            "建议在手机银行里增加审批进度查询，每个环节完成后短信通知一下。",
            "补充材料能不能一次性告知清楚，避免反复补件拖长审批时间。",
            "希望{product}能有快速审批通道，急用钱的时候等不起。",
        ],
    },
    "repayment": {
        _C: [
            "{date}是我的还款日，卡里余额是够的，但系统没有扣款，第二天就提示逾期，还收了罚息。",
            "这个月{product}被扣了两次月供，多扣了{fee}，到现在还没退回来。",
            "我换了工资卡，在{branch}办了还款账户变更，可还是从旧卡扣款，导致扣款失败。",
            "月供金额和还款计划表上的不一样，多扣了一些，问客服也解释不清利息怎么算的。",
        ],
        _I: [
            "请问{product}的还款日可以调整吗？我工资是每月{dom}号发。",
            "我想更换自动还款的银行卡，需要去网点办理还是手机银行就可以？",
            "这期月供是{fee}，怎么比上个月多了？是利率调整了吗？",
            "还款日当天几点扣款？如果当天下午才存钱进去来得及吗？",
        ],
        _S: [
            "建议还款日前三天发短信提醒，并提示卡内余额不足。",
            "希望扣款失败后当天能再扣一次，不要直接算逾期。",
            "建议支持微信或其他银行卡主动还款，更方便一些。",
        ],
    },
    "prepayment": {
        _C: [
            "我想把{product}剩下的{amount}一次性还清，被告知要收{penalty}的违约金，办理时没人告诉过我这个条款。",
            "在手机银行申请提前还款，排队要等{days}，这期间利息还在照算，太不合理了。",
            "{date}提前还了一部分本金，结果月供一点没少，只是期限缩短了，我要的是减少月供。",
            "提前结清以后还是照样扣了这个月的利息，要求退还。",
        ],
        _I: [
            "请问{product}可以提前还款吗？还款满{months}以后还收违约金吗？",
            "部分提前还款后，是缩短期限还是减少月供，可以自己选吗？",
            "提前还清{amount}需要提前几天预约？可以在手机银行操作吗？",
        ],
        _S: [
            "建议开放线上提前还款预约，不要非得去{branch}排队办理。",
            "希望提前还款的违约金规则在合同首页写明。",
        ],
    },
    "collection": {
        _C: [
            "我只是晚还了{days}，一天之内接到{times}个催收电话，还是{late}打来的，严重影响休息。",
            "催收人员给我{who}打电话，说了我欠款的事情，这是泄露我的隐私。",
            "已经和客服约定{date}还款，催收还是不停打电话，语气很凶，还说要上门。",
            "我的{product}已经还清了，还在收到催收短信，要求核实并停止。",
        ],
        _I: [
            "这个月资金周转困难，{product}能不能申请延期还款或者分期？不想被催收。",
            "逾期{days}后把钱还上了，还会有人打催收电话吗？会不会影响征信？",
        ],
        _S: [
            "建议催收前先短信提醒，电话沟通时间控制在合理时段。",
            "希望对短期逾期的老客户给一个宽限期，不要马上催收。",
        ],
    },
    "staff_attitude": {
        _C: [
            "{date}去{branch}咨询贷款，排了很久的队，工作人员一直在看手机，问什么都不耐烦。",
            "客户经理{staff}办理前天天打电话，放款后就找不到人了，微信不回电话不接。",
            "我只是问了几个利率的问题，柜台人员说让我自己看合同，态度非常敷衍。",
            "{staff}在电话里推销{product}时说话很冲，我说不需要还一直劝，让人很反感。",
        ],
        _I: [
            "我的客户经理{staff}好像离职了，现在我的贷款由谁负责？",
            "请问{branch}周末有客户经理值班吗？想当面咨询{product}。",
        ],
        _S: [
            "建议加强网点员工培训，解释业务时耐心一些，多站在客户角度考虑。",
            "希望客户经理换人时主动通知客户，并做好交接。",
        ],
    },
    "app_experience": {
        _C: [
            "用{device}打开手机银行申请{product}，到{feature}这一步就闪退，试了好几次都不行。",
            "人脸识别一直提示失败，换了光线也不行，导致{product}的电子合同签不了。",
            "手机银行还款计划页面显示的剩余本金和实际对不上，刷新以后又变了。",
            "{date}更新App以后就登录不上了，提示系统繁忙，一直没法查看我的贷款。",
        ],
        _I: [
            "手机银行里在哪里能查到{product}的还款计划？找了半天没找到。",
            "请问App上申请的额度和网点一样吗？{feature}这一步需要上传什么材料？",
        ],
        _S: [
            "建议手机银行增加贷款计算器，输入金额和期限就能看到月供和年化利率。",
            "{feature}页面字太小，老年人看不清，建议出一个大字版。",
            "希望App支持{device}的指纹或面容登录，每次输密码很麻烦。",
        ],
    },
    "product_info": {
        _C: [
            "宣传说{product}最高能贷{amount}，我收入也不低，结果只批了很少的额度，宣传有误导。",
            "客户经理介绍{product}时说可以随借随还，签合同才发现是等额本息。",
        ],
        _I: [
            "请问{product}的申请条件是什么？我是{occupation}，月收入{income}左右，能贷多少？",
            "我想贷{amount}用于{purpose}，有什么合适的产品推荐？期限最长多久？",
            "{product}和{product2}有什么区别？哪个更适合我？",
            "公积金贷款和组合贷怎么选？我在{branch}附近买房，首付三成。",
            "请问{product}需要抵押或者担保吗？额度最高多少？",
        ],
        _S: [
            "建议推出针对{occupation}的专属贷款产品，门槛低一点。",
            "希望产品介绍页把申请条件、额度和期限写得更清楚一些。",
        ],
    },
    "privacy": {
        _C: [
            "我从来没在你们银行办过贷款，却经常接到推销{product}的电话，我的手机号是从哪里来的？",
            "已经取消了营销授权，还是每周收到贷款广告短信，要求立即停止。",
            "刚在{branch}咨询完贷款，第二天就有贷款中介给我打电话，怀疑信息被泄露。",
            "App要求读取通讯录才能继续申请，这是否超出了必要范围？",
        ],
        _I: [
            "请问你们会把我的个人信息提供给第三方吗？我想撤回授权，应该怎么操作？",
            "怎么查询和删除我在贵行留存的个人信息？",
        ],
        _S: [
            "建议营销短信提供一键退订，退订后不要再发。",
            "希望授权页面用通俗的话说明信息用途，不要只放长篇条款。",
        ],
    },
    "credit_report": {
        _C: [
            "我的{product}一直按时还款，但{month}的征信报告显示有一次逾期，影响了我办房贷，要求更正。",
            "因为你们系统扣款失败造成的逾期，不是我的责任，请帮我消除征信上的不良记录。",
            "贷款已经在{date}结清，征信上还显示未结清，其他银行不给我批贷款。",
            "没有经过我同意就查询了我的征信，报告里多了一条贷款审批查询记录。",
        ],
        _I: [
            "请问提前结清以后多久征信会更新？",
            "想了解一下审批{product}时会查征信吗？查询次数多了有影响吗？",
            "征信上有一条{month}的逾期记录，是怎么产生的？可以申请异议吗？",
        ],
        _S: ["建议结清贷款后主动发送结清证明，并及时报送征信。"],
    },
}

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

_OCCUPATION_ZH = {
    "civil_servant": "公务员",
    "company_employee": "公司职员",
    "freelancer": "自由职业者",
    "self_employed": "个体户",
    "student": "学生",
    "retired": "退休人员",
}
_PURPOSE_ZH = {
    "education": ["孩子学费", "在职进修"],
    "medical": ["家人手术", "看病"],
    "travel": ["出国旅游", "蜜月旅行"],
    "auto": ["买车", "换车"],
    "renovation": ["装修", "买家具家电"],
    "general_consumer": ["日常消费", "买家电"],
    "operating": ["店铺进货", "资金周转"],
    "credit": ["资金周转", "付货款"],
    "secured": ["扩大经营", "租新店面"],
    "private_banking": ["资产配置", "资金周转"],
}
_HOUSING_PURPOSE = ["付首付", "买房"]
_PICKS: dict[str, tuple[str, ...]] = {
    "days": ("三天", "五天", "一周", "十多天", "半个月", "两周"),
    "times": ("5", "8", "十几", "二十多"),
    "late": ("晚上10点", "早上7点", "晚上9点多", "中午午休时"),
    "who": ("家人", "同事", "单位领导", "朋友"),
    "penalty": ("1%", "2%", "3个月利息"),
    "months": ("一年", "两年", "6个月", "半年"),
    "device": ("安卓手机", "苹果手机", "华为手机", "平板"),
    "feature": ("上传身份证", "人脸识别", "填写工作信息", "电子合同签署", "额度查询", "还款计划"),
    "fast": ("当天", "第二天", "两天"),
    "slow": ("一个多星期", "半个月", "十来天"),
}
_FORMATTER = string.Formatter()


def _parse(template: str) -> list[tuple[str, str | None]]:
    return [(literal, field) for literal, field, _, _ in _FORMATTER.parse(template)]


def slot_names(template: str) -> set[str]:
    return {field for _, field in _parse(template) if field}


def fill(templates: Sequence[str], choice: Arr, slots: Mapping[str, Arr]) -> Arr:
    """Row i gets ``templates[choice[i]]`` with ``{slot}`` replaced by ``slots[slot][i]``."""
    out = np.full(len(choice), "", dtype=object)
    for t, template in enumerate(templates):
        rows = np.flatnonzero(choice == t)
        if rows.size == 0:
            continue
        text = np.full(rows.size, "", dtype=object)
        for literal, field in _parse(template):
            if literal:
                text = text + literal
            if field:
                text = text + slots[field][rows]
        out[rows] = text
    return out


def replace(texts: Arr, old: str, new: str, count: int = -1) -> Arr:
    """``str.replace`` on every element (an object array back); empty input is fine."""
    if len(texts) == 0:
        return np.asarray(texts, dtype=object)
    out: Arr = np.char.replace(np.asarray(texts).astype(str), old, new, count=count).astype(object)
    return out


def _choose(rng: np.random.Generator, options: Sequence[str], n: int) -> Arr:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def _amount_text(fen: Arr) -> Arr:
    yuan = np.asarray(fen, dtype=float) / 100
    wan = replace(np.char.mod("%.1f万元", yuan / 10_000), ".0万", "万")
    return np.where(yuan >= 10_000, wan, np.char.mod("%d元", np.round(yuan))).astype(object)


def _date_text(day: Arr) -> Arr:
    month = (day.astype("M8[M]") - day.astype("M8[Y]")).astype(int) + 1
    dom = (day - day.astype("M8[M]")).astype(int) + 1
    return np.char.add(np.char.mod("%d月", month), np.char.mod("%d日", dom)).astype(object)


def manager_title(names: Arr) -> Arr:
    """王芳 → 王经理, 欧阳明 → 欧阳经理; a missing name (None or "") → 客户经理."""
    raw = np.asarray(names, dtype=object)
    text = np.where(np.equal(raw, np.array(None, dtype=object)), "", raw).astype(str)
    compound = np.char.startswith(text, "欧阳") | np.char.startswith(text, "诸葛")
    surname = np.where(compound, text.astype("U2"), text.astype("U1"))
    return np.where(surname == "", "客户经理", np.char.add(surname, "经理")).astype(object)


def _month_text(day: Arr) -> Arr:
    year = day.astype("M8[Y]").astype(int) + 1970
    month = (day.astype("M8[M]") - day.astype("M8[Y]")).astype(int) + 1
    return np.char.add(np.char.mod("%d年", year), np.char.mod("%d月", month)).astype(object)


def make_slots(
    rng: np.random.Generator,
    *,
    product: Arr,
    product2: Arr,
    subtype: Arr,
    branch: Arr,
    staff: Arr,
    amount_fen: Arr,
    term_months: Arr,
    rate: Arr,
    apr: Arr,
    day: Arr,
    occupation: Arr,
    income_fen: Arr,
) -> dict[str, Arr]:
    """Slot values for every row (all slots are filled, whether a template uses them or not).

    ``day`` is the reference date (e.g. the ticket's receipt date); ``staff`` a name, of which the
    surname is used (王经理); rates are fractions.
    """
    n = len(product)
    day = np.asarray(day, dtype="M8[D]")
    purpose = np.asarray(_choose(rng, _HOUSING_PURPOSE, n))
    for sub, options in _PURPOSE_ZH.items():
        mask = np.asarray(subtype) == sub
        purpose[mask] = _choose(rng, options, int(mask.sum()))
    occ = np.asarray(occupation, dtype=object)
    occ_zh = np.full(n, "上班族", dtype=object)
    for code, label in _OCCUPATION_ZH.items():
        occ_zh[occ == code] = label
    fee_fen = np.maximum(np.asarray(amount_fen, dtype=float) * rng.uniform(0.001, 0.01, n), 5_000)
    slots = {
        "product": np.asarray(product, dtype=object),
        "product2": np.asarray(product2, dtype=object),
        "branch": np.asarray(branch, dtype=object),
        "staff": manager_title(staff),
        "amount": _amount_text(amount_fen),
        "period": np.char.mod("%d", np.asarray(term_months, dtype=np.int64)).astype(object),
        "rate": np.char.mod("%.2f%%", np.asarray(rate, dtype=float) * 100).astype(object),
        "apr": np.char.mod("%.2f%%", np.asarray(apr, dtype=float) * 100).astype(object),
        # the lower rate a customer says was advertised or promised
        "quoted": np.char.mod(
            "%.2f%%",
            np.maximum(np.asarray(rate, dtype=float) - rng.uniform(0.005, 0.02, n), 0.018) * 100,
        ).astype(object),
        "fee": np.char.mod("%d元", np.round(fee_fen / 100)).astype(object),
        "date": _date_text(day - rng.integers(1, 40, n).astype("m8[D]")),
        "month": _month_text(day - rng.integers(30, 400, n).astype("m8[D]")),
        "dom": np.char.mod("%d", rng.integers(5, 26, n)).astype(object),
        "income": np.char.mod(
            "%d元", np.round(np.asarray(income_fen, dtype=float) / 100_000) * 1000
        ).astype(object),
        "occupation": occ_zh,
        "purpose": purpose.astype(object),
    }
    for key, values in _PICKS.items():
        slots[key] = _choose(rng, values, n)
    return slots


def _pick_index(rng: np.random.Generator, count: int, n: int) -> Arr:
    return rng.integers(0, count, n)


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
            BODIES[topic][ttype], _pick_index(rng, len(BODIES[topic][ttype]), rows.size), sub
        )
        detail = fill(DETAILS[topic], _pick_index(rng, len(DETAILS[topic]), rows.size), sub)
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
            which = _pick_index(rng, own, m)
            core = fill(BODIES[code][ttype], which, sub)
            generic = rng.random(m) < 0.2
            extra = own + _pick_index(rng, len(GENERIC_SUBJECTS[ttype]), m)
            subjects = SUBJECTS[code][ttype] + GENERIC_SUBJECTS[ttype]
            subject[rows] = fill(subjects, np.where(generic, extra, which), sub)
            detail = fill(DETAILS[code], _pick_index(rng, len(DETAILS[code]), m), sub)
            cross = fill(CROSS[ttype], _pick_index(rng, len(CROSS[ttype]), m), sub)
            vague = fill(VAGUE[ttype], _pick_index(rng, len(VAGUE[ttype]), m), sub)
            second = _second_concern(rng, code, ttype, sub)
            opener = _choose(rng, OPENERS[ttype], m)
            closer = _choose(rng, CLOSERS[ttype], m)
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
            out[rows] = fill(options, _pick_index(rng, len(options), rows.size), sub)
    return out


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
                out[rows] = fill(options, _pick_index(rng, len(options), rows.size), sub)
    return out


# --------------------------------------------------------------------------- static catalogues

#: Improvement actions per complaint topic: (title, description, metric code). Metric codes are
#: ``complaints_<topic>`` (complaints per month), ``avg_decision_hours``, ``csat_avg`` or ``nps``.
ACTIONS: dict[str, list[tuple[str, str, str]]] = {
    "rate_fee": [
        (
            "统一营销材料年化利率展示口径",
            "排查全部营销物料，按人民银行公告〔2021〕第3号以年化利率为主展示，下架只写日利率、月利率的物料。",
            "complaints_rate_fee",
        ),
        (
            "签约前费用逐项告知并由客户确认",
            "手机银行和网点签约环节增加费用明细确认页。",
            "csat_avg",
        ),
    ],
    "approval_speed": [
        (
            "审批材料一次性告知，减少反复补件",
            "梳理补件原因，制定一次性告知清单并嵌入受理系统。",
            "avg_decision_hours",
        ),
        (
            "上线审批进度短信通知",
            "审批各环节完成后自动短信通知申请人，并在手机银行展示进度。",
            "complaints_approval_speed",
        ),
    ],
    "repayment": [
        (
            "修复批量扣款异常并建立当日重扣机制",
            "排查批量扣款失败原因，扣款失败当日18:00再扣一次，确认后不计逾期。",
            "complaints_repayment",
        ),
        (
            "还款日前三天余额不足提醒",
            "还款日前三天检查还款账户余额，不足时短信提醒。",
            "complaints_repayment",
        ),
    ],
    "prepayment": [
        (
            "开放手机银行提前还款预约",
            "客户可在手机银行预约部分或全部提前还款，并自选缩短期限或减少月供。",
            "complaints_prepayment",
        ),
        (
            "合同首页明示提前还款违约金规则",
            "修订合同模板，在首页以醒目方式列明违约金规则。",
            "complaints_prepayment",
        ),
    ],
    "collection": [
        (
            "规范催收外呼时段与频次",
            "外呼限定在8:00–21:00，同一客户每日不超过3次，禁止联系无关第三人。",
            "complaints_collection",
        ),
        (
            "催收人员合规培训与录音抽检",
            "催收岗全员参加文明催收培训，录音按5%比例抽检。",
            "complaints_collection",
        ),
    ],
    "staff_attitude": [
        ("网点服务礼仪专项培训与暗访", "开展服务礼仪培训，每季度神秘客户暗访全覆盖。", "csat_avg"),
        (
            "客户经理变更主动告知与交接制度",
            "客户经理变更后三个工作日内短信告知客户并完成交接。",
            "complaints_staff_attitude",
        ),
    ],
    "app_experience": [
        (
            "修复手机银行贷款申请闪退及人脸识别问题",
            "联合科技部门定位闪退和人脸识别失败原因，发布修复版本。",
            "complaints_app_experience",
        ),
        ("手机银行贷款页面适老化改造", "推出大字版贷款页面，简化申请步骤。", "nps"),
    ],
    "product_info": [
        (
            "更新产品说明页：条件、额度、期限一目了然",
            "统一产品说明模板，列明申请条件、额度、期限和年化利率区间。",
            "complaints_product_info",
        ),
        ("客户经理产品知识考试", "客户经理每季度参加产品知识考试，不合格者重新培训。", "nps"),
    ],
    "privacy": [
        (
            "营销短信一键退订并实时生效",
            "营销短信附退订方式，退订后实时停止发送并记录。",
            "complaints_privacy",
        ),
        (
            "个人信息授权页面通俗化改版",
            "用通俗语言说明信息用途，单独取得营销授权。",
            "complaints_privacy",
        ),
    ],
    "credit_report": [
        (
            "结清后自动发送结清证明并次日报送征信",
            "贷款结清后自动发送电子结清证明，次日报送征信系统。",
            "complaints_credit_report",
        ),
        (
            "建立征信异议快速处理通道",
            "征信异议20日内办结，系统原因造成的记录及时更正。",
            "complaints_credit_report",
        ),
    ],
}

ROLE_ZH = {
    "customer_manager": "客户经理",
    "senior_customer_manager": "高级客户经理",
    "sales_consultant": "销售顾问",
}

_SALES = ("customer_manager", "senior_customer_manager", "sales_consultant")
_ALL = (*_SALES, "branch_head", "risk_officer", "approver", "collector", "service_agent")

#: Training courses: (code, title, topic, hours, mandatory for roles, has an exam).
COURSES: tuple[tuple[str, str, str, float, tuple[str, ...], bool], ...] = (
    ("TR-PRD-01", "个人住房贷款产品知识", "product", 4.0, _SALES, True),
    ("TR-PRD-02", "消费贷款与经营贷款产品知识", "product", 4.0, _SALES, True),
    ("TR-SAL-01", "顾问式销售技巧", "sales", 6.0, ("sales_consultant",), False),
    ("TR-SAL-02", "客户需求分析与综合金融服务", "sales", 6.0, (), False),
    ("TR-CMP-01", "合规经营与消费者权益保护", "compliance", 3.0, _ALL, True),
    ("TR-CMP-02", "反洗钱基础与可疑交易识别", "compliance", 2.0, _ALL, True),
    ("TR-CMP-03", "个人金融信息保护（JR/T 0171-2020）", "privacy", 2.0, _ALL, True),
    ("TR-CMP-04", "年化利率明示与营销宣传规范", "compliance", 2.0, _SALES, True),
    ("TR-RSK-01", "信用风险识别与反欺诈", "risk", 4.0, ("risk_officer", "approver"), True),
    (
        "TR-RSK-02",
        "贷后管理与风险预警处置",
        "risk",
        3.0,
        ("risk_officer", "customer_manager", "senior_customer_manager"),
        True,
    ),
    ("TR-RSK-03", "催收合规与文明催收", "collection", 3.0, ("collector",), True),
    (
        "TR-RSK-04",
        "金融资产风险分类与不良资产管理",
        "risk",
        3.0,
        ("risk_officer", "approver"),
        True,
    ),
    (
        "TR-SVC-01",
        "客户服务礼仪与投诉处理",
        "service",
        3.0,
        ("service_agent", "sales_consultant"),
        False,
    ),
    ("TR-SVC-02", "适老化服务与特殊群体关怀", "service", 2.0, (), False),
    ("TR-DIG-01", "手机银行与线上贷款流程", "digital", 2.0, (), False),
    (
        "TR-MGT-01",
        "团队管理与绩效辅导",
        "management",
        4.0,
        ("branch_head", "senior_customer_manager"),
        False,
    ),
)

#: Certificates: (name, issuer, validity in years or 0 for none, weight as a second certificate).
CERTIFICATES: tuple[tuple[str, str, int, float], ...] = (
    ("银行业专业人员职业资格（个人贷款）", "中国银行业协会", 0, 0.0),
    ("AFP金融理财师", "现代国际金融理财标准（上海）有限公司", 2, 0.45),
    ("基金从业资格", "中国证券投资基金业协会", 0, 0.25),
    ("证券从业资格", "中国证券业协会", 0, 0.15),
    ("CFP国际金融理财师", "现代国际金融理财标准（上海）有限公司", 2, 0.10),
    ("银行业专业人员职业资格（风险管理）", "中国银行业协会", 0, 0.05),
)

#: Fictional competitors (any likeness to a real institution's name is unintended).
COMPETITORS: tuple[tuple[str, str, str], ...] = (
    ("中和国民银行", "中和银行", "state_owned"),
    ("华川建业银行", "华川银行", "state_owned"),
    ("东岳商业银行", "东岳银行", "joint_stock"),
    ("天衡商业银行", "天衡银行", "joint_stock"),
    ("越澜城市商业银行", "越澜银行", "city_commercial"),
    ("青溪农村商业银行", "青溪农商行", "rural"),
    ("云帆互联网银行", "云帆银行", "internet"),
    ("星禾消费金融有限公司", "星禾消金", "consumer_finance"),
)

#: Competitor products: (competitor index, name, product line, subtype, rate basis (lpr_5y, lpr_1y,
#: provident_fund, fixed), min spread %, max spread %, monthly fee %, max amount ¥, max term months).
COMPETITOR_PRODUCTS: tuple[tuple[int, str, str, str, str, float, float, float, int, int], ...] = (
    (
        0,
        "中和安居房贷",
        "housing",
        "commercial_mortgage",
        "lpr_5y",
        -0.35,
        0.50,
        0.0,
        10_000_000,
        360,
    ),
    (
        0,
        "中和公积金贷款",
        "housing",
        "provident_fund",
        "provident_fund",
        0.0,
        0.0,
        0.0,
        1_200_000,
        360,
    ),
    (0, "中和融e贷", "consumer", "general_consumer", "fixed", 3.0, 6.5, 0.0, 300_000, 60),
    (0, "中和经营快贷", "business", "operating", "lpr_1y", 0.3, 2.0, 0.0, 3_000_000, 36),
    (
        1,
        "华川住房贷款",
        "housing",
        "commercial_mortgage",
        "lpr_5y",
        -0.30,
        0.60,
        0.0,
        10_000_000,
        360,
    ),
    (1, "华川快贷", "consumer", "general_consumer", "fixed", 3.1, 7.0, 0.0, 300_000, 36),
    (1, "华川车主贷", "consumer", "auto", "fixed", 3.3, 6.0, 0.0, 800_000, 60),
    (1, "华川小微e贷", "business", "credit", "lpr_1y", 0.5, 3.0, 0.0, 1_000_000, 36),
    (2, "东岳安家贷", "housing", "commercial_mortgage", "lpr_5y", -0.25, 0.70, 0.0, 8_000_000, 360),
    (2, "东岳闪电贷", "consumer", "general_consumer", "fixed", 3.4, 9.0, 0.0, 300_000, 36),
    (2, "东岳装修贷", "consumer", "renovation", "fixed", 3.2, 7.0, 0.2, 1_000_000, 60),
    (2, "东岳生意贷", "business", "operating", "lpr_1y", 0.6, 3.5, 0.0, 5_000_000, 60),
    (3, "天衡房抵经营贷", "business", "secured", "lpr_1y", 0.2, 2.0, 0.0, 10_000_000, 120),
    (3, "天衡新易贷", "consumer", "general_consumer", "fixed", 3.5, 10.0, 0.0, 500_000, 60),
    (3, "天衡留学贷", "consumer", "education", "fixed", 3.6, 6.5, 0.0, 500_000, 72),
    (
        3,
        "天衡私享贷",
        "private_banking",
        "private_banking",
        "lpr_1y",
        -0.1,
        1.5,
        0.0,
        30_000_000,
        120,
    ),
    (4, "越澜安居贷", "housing", "commercial_mortgage", "lpr_5y", -0.20, 0.80, 0.0, 8_000_000, 360),
    (4, "越澜组合贷", "housing", "combination", "lpr_5y", -0.20, 0.80, 0.0, 10_000_000, 360),
    (4, "越澜薪金贷", "consumer", "general_consumer", "fixed", 3.3, 8.0, 0.0, 300_000, 36),
    (4, "越澜健康贷", "consumer", "medical", "fixed", 3.8, 7.5, 0.0, 200_000, 36),
    (4, "越澜商户贷", "business", "credit", "lpr_1y", 1.0, 4.5, 0.0, 1_000_000, 24),
    (5, "青溪丰收贷", "business", "operating", "lpr_1y", 0.8, 4.0, 0.0, 3_000_000, 36),
    (5, "青溪安居贷", "housing", "commercial_mortgage", "lpr_5y", -0.10, 0.90, 0.0, 5_000_000, 300),
    (5, "青溪惠民消费贷", "consumer", "general_consumer", "fixed", 3.6, 8.5, 0.0, 300_000, 36),
    (5, "青溪家装贷", "consumer", "renovation", "fixed", 3.5, 7.5, 0.15, 500_000, 60),
    (6, "云帆随心借", "consumer", "general_consumer", "fixed", 6.0, 18.0, 0.0, 200_000, 24),
    (6, "云帆旅行分期", "consumer", "travel", "fixed", 5.5, 15.0, 0.2, 100_000, 24),
    (6, "云帆小微贷", "business", "credit", "fixed", 6.0, 18.0, 0.0, 500_000, 24),
    (7, "星禾即时贷", "consumer", "general_consumer", "fixed", 7.2, 23.9, 0.0, 200_000, 36),
    (7, "星禾教育分期", "consumer", "education", "fixed", 6.0, 18.0, 0.3, 100_000, 24),
    (7, "星禾购车分期", "consumer", "auto", "fixed", 5.5, 15.0, 0.0, 300_000, 60),
)

#: Selling points by subtype (competitor_products.features).
FEATURES: dict[str, list[str]] = {
    "commercial_mortgage": ["等额本息/等额本金可选", "最长30年", "线上预审"],
    "provident_fund": ["公积金利率", "最长30年"],
    "combination": ["商贷+公积金组合", "一次面签"],
    "general_consumer": ["线上秒批", "随借随还", "按日计息"],
    "auto": ["首付低至20%", "4S店直办"],
    "renovation": ["受托支付", "最长5年"],
    "education": ["只还利息期", "留学保证金"],
    "medical": ["合作医院直付"],
    "travel": ["分期免息券", "线上申请"],
    "operating": ["先息后本", "循环额度"],
    "credit": ["纯信用", "纳税数据授信"],
    "secured": ["房产抵押", "最长10年"],
    "private_banking": ["专属客户经理", "额度最高3000万"],
}

#: Market balance of each product line by province, in 亿元, as a shape only: the demo market's scale
#: comes from the bank's own balances (see ``aftercare._market``).
MARKET_SHAPE: dict[str, dict[str, float]] = {
    "housing": {"浙江": 43_000, "上海": 38_000, "江苏": 52_000},
    "consumer": {"浙江": 12_000, "上海": 9_000, "江苏": 13_000},
    "business": {"浙江": 18_000, "上海": 6_000, "江苏": 16_000},
    "private_banking": {"浙江": 1_500, "上海": 2_500, "江苏": 1_800},
}
