"""The early-warning rules a bank starts with, pure data: seeded into ``warning_rules`` when the
table is empty (``risk.warnings.ensure_default_rules``), each with the role that owns its alerts and
its contingency plan in Chinese and English. An administrator's later edits of the table win.

Overdue and NPL rates are balance-weighted fractions (0.03 is 3 %); the LPR rule's window is in
days. No session, clock or randomness here (house rule 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from loanpilot.risk.warning_rules import Rule


@dataclass(frozen=True)
class DefaultRule:
    rule: Rule
    owner_role: str  # the alert goes to a staff member of this role (the branch's, by branch)
    contingency_zh: str
    contingency_en: str


def _default(
    code: str, names: tuple[str, str], metric: str, dimension: str, kind: str,
    threshold: str, window: int, severity: str, owner_role: str, due_days: int,
    plan: tuple[str, str],
) -> DefaultRule:  # fmt: skip
    rule = Rule(
        code=code, metric=metric, dimension=dimension, kind=kind, direction="above",
        threshold=Decimal(threshold), window=window, severity=severity,
        name_zh=names[0], name_en=names[1], due_days=due_days,
    )  # fmt: skip
    return DefaultRule(rule, owner_role, plan[0], plan[1])


DEFAULT_RULES: Final[tuple[DefaultRule, ...]] = (
    _default(
        "portfolio_m1plus_rate_high",
        ("全行逾期率超限", "Bank overdue rate above limit"),
        "m1plus_balance_rate",
        "all",
        "level",
        "0.03",
        1,
        "high",
        "risk_officer",
        7,
        (
            "排查新增逾期来源（产品、渠道、机构）；暂停逾期率最高渠道的自动审批；加密 M1 催收频次。",
            "Trace the new arrears by product, channel and branch; pause automatic approval in the "
            "worst channel; step up M1 collection contacts.",
        ),
    ),
    _default(
        "branch_m1plus_rate_high",
        ("机构逾期率超限", "Branch overdue rate above limit"),
        "m1plus_balance_rate",
        "branch",
        "level",
        "0.05",
        1,
        "high",
        "branch_head",
        14,
        (
            "约谈机构负责人；收紧该机构新增审批权限；对逾期客户逐户走访并制定清收计划。",
            "Meet the branch head; tighten the branch's approval authority; visit each overdue "
            "borrower and set a recovery plan.",
        ),
    ),
    _default(
        "product_dpd30_rate_high",
        ("产品30天以上逾期率超限", "Product 30+ DPD rate above limit"),
        "dpd30plus_balance_rate",
        "product",
        "level",
        "0.02",
        1,
        "medium",
        "risk_officer",
        14,
        (
            "复核该产品准入规则与评分切分点；必要时下调额度或暂停营销活动。",
            "Review the product's eligibility rules and score cut-offs; lower limits or pause its "
            "campaigns if needed.",
        ),
    ),
    _default(
        "portfolio_npl_ratio_high",
        ("全行不良率超限", "Bank NPL ratio above limit"),
        "npl_ratio",
        "all",
        "level",
        "0.015",
        1,
        "critical",
        "risk_officer",
        7,
        (
            "启动不良资产处置预案：逐户认定、计提拨备、评估核销与批量转让；向管理层报告。",
            "Start the NPL plan: classify loan by loan, provision, assess write-off and bulk "
            "transfer; report to management.",
        ),
    ),
    _default(
        "segment_m1plus_rate_rise",
        ("客群逾期率上升", "Segment overdue rate rising"),
        "m1plus_balance_rate",
        "segment",
        "change",
        "0.01",
        1,
        "medium",
        "risk_officer",
        14,
        (
            "分析该客群（职业）逾期上升原因；调整该客群的准入与定价；对存量客户加强贷后检查。",
            "Find why the segment's (occupation's) arrears rose; adjust its eligibility and pricing; "
            "step up post-loan checks on its borrowers.",
        ),
    ),
    _default(
        "channel_new_delinquency_trend",
        ("渠道新增逾期持续上升", "Channel new delinquency rising"),
        "new_delinquency_rate",
        "channel",
        "trend",
        "0",
        3,
        "medium",
        "risk_officer",
        14,
        (
            "核查该渠道进件质量与合作机构；必要时暂停该渠道进件。",
            "Check the channel's application quality and partners; suspend intake from it if "
            "needed.",
        ),
    ),
    _default(
        "market_lpr_change",
        ("LPR 调整", "LPR change"),
        "lpr_change_bp",
        "all",
        "level",
        "0",
        3,
        "medium",
        "risk_officer",
        14,
        (
            "评估 LPR 调整对浮动利率存量贷款收益与借款人还款压力的影响；更新产品定价。",
            "Assess the LPR change's effect on floating-rate loan income and borrowers' repayment "
            "burden; update product pricing.",
        ),
    ),
)
