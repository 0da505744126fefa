"""The KPI suite's definitions (指标定义) as data, and the pure rules around them.

Every KPI is defined once, here: its code, names, formula (the text ``docs/kpis.md`` and the console
show), unit, direction, whether it is a ratio, and the dimensions it can be cut by. The SQL that
measures it lives in ``repository_kpis``; ``kpis.compute`` joins the two. Also here: the value of a
ratio from its numerator and denominator, target parsing and range checks, attainment. No session,
no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from loanpilot.evaluation.plan_types import Unit
from loanpilot.kit.errors import FieldProblem, ValidationError

KPI_CODES: tuple[str, ...] = (
    "applications",
    "approval_rate",
    "disbursed_fen",
    "new_customers",
    "satisfaction",
    "nps",
    "market_share",
    "retention",
    "referral_rate",
    "npl_ratio",
    "overdue_rate",
    "campaign_roi",
)
DIMENSIONS: tuple[str, ...] = (
    "all",
    "branch",
    "product",
    "channel",
    "segment",
    "manager",
    "region",
    "product_line",
)
#: The key of the one row of the ``all`` dimension, and of the rows nothing could be attributed to
#: (an application booked at no branch, a survey answer with no manager...).
ALL_KEY = "all"
NONE_KEY = "none"

_LOANS = ("all", "branch", "product", "channel", "segment", "manager", "region", "product_line")


@dataclass(frozen=True)
class KpiDefinition:
    code: str
    name_zh: str
    name_en: str
    formula_zh: str
    formula_en: str
    unit: Unit
    higher_is_better: bool
    ratio: bool
    dimensions: tuple[str, ...] = _LOANS


_DEFINITIONS: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        "applications",
        "申请量",
        "Applications",
        "统计期内提交（submitted_at 落在期内，上海时区）的贷款申请笔数。",
        "Loan applications submitted in the period (submitted_at, Asia/Shanghai days).",
        "count",
        True,
        False,
    ),
    KpiDefinition(
        "approval_rate",
        "审批通过率",
        "Approval rate",
        "期内作出的审批决定中：获批申请数 ÷ 有最终结论（批准或拒绝）的申请数，均按申请去重；"
        "转人工复核不算结论。与经营概览口径相同。",
        "Over the decisions made in the period: applications approved ÷ applications with a final "
        "decision (approve or decline), each application counted once; a referral to manual review "
        "is not a decision. The dashboard's definition.",
        "pct",
        True,
        True,
    ),
    KpiDefinition(
        "disbursed_fen",
        "放款金额",
        "Disbursed amount",
        "放款日（disbursed_on）落在期内的贷款本金合计（分）；组合贷两部分均计入。",
        "Principal (fen) of the loans disbursed in the period (disbursed_on); both parts of a "
        "combination loan count.",
        "fen",
        True,
        False,
    ),
    KpiDefinition(
        "new_customers",
        "新增客户数",
        "New customers",
        "首笔贷款（该客户放款日最早、同日取编号最小的一笔，任何状态）在期内放款的客户数；"
        "按该首笔贷款的机构、产品、渠道、客户经理归属。",
        "Customers whose first loan (their earliest disbursement, the lowest id on a tie, any "
        "status) was disbursed in the period; attributed by that first loan's branch, product, "
        "channel and manager.",
        "count",
        True,
        False,
    ),
    KpiDefinition(
        "satisfaction",
        "客户满意度",
        "Satisfaction (CSAT)",
        "期内提交的问卷中 CSAT（1–5 分）题得分之和 ÷ 作答数，即平均分。",
        "Sum of the CSAT (1–5) answers of the survey responses submitted in the period ÷ their "
        "number: the mean score.",
        "score",
        True,
        True,
        ("all", "branch", "product", "channel", "segment", "manager", "region", "product_line"),
    ),
    KpiDefinition(
        "nps",
        "净推荐值",
        "NPS",
        "期内提交的 NPS（0–10 分）题中：（推荐者 9–10 分人数 − 贬损者 0–6 分人数）÷ 作答数。",
        "Over the NPS (0–10) answers submitted in the period: (promoters 9–10 − detractors 0–6) ÷ "
        "answers.",
        "pct",
        True,
        True,
        ("all", "branch", "product", "channel", "segment", "manager", "region", "product_line"),
    ),
    KpiDefinition(
        "market_share",
        "市场份额",
        "Market share",
        "期末我行还款中贷款的剩余本金 ÷ 同期同地区同产品线的市场贷款余额（market_sizes）；"
        "只计有市场数据的产品线与地区。期末余额取期内最后一次日终快照（进行中的期间取当前余额）。"
        "本期无市场数据时，取包含期末日的最细期间（月、季、半年、年）的市场数据；仍无则不计。"
        "按机构：该机构余额 ÷ 其所在省份市场。",
        "Our outstanding principal of repaying loans at period end ÷ market_sizes.total_balance_fen "
        "of the same product line, region and period, over the lines and regions that have market "
        "data. Period end = the last daily close's snapshot in the period (the live book for a "
        "period still running). Without a market row for the period itself, the finest market "
        "period (month, quarter, half, year) holding the period's last day is used; none: no "
        "value. By branch: the branch's balance ÷ its province's market.",
        "pct",
        True,
        True,
        ("all", "branch", "region", "product_line"),
    ),
    KpiDefinition(
        "retention",
        "客户留存率",
        "Retention",
        "期初持有贷款的客户（期初前放款、期初未结清；核销、转让的贷款不计）中，"
        "期末仍持有贷款或期内再次借款的客户占比。按客户的归属机构、期初时的客户经理归属。",
        "Of the customers holding a loan at period start (disbursed before it, not settled by it; "
        "written-off and transferred loans left out), the share who still hold one at period end or "
        "borrowed again in the period. Attributed by the customer's home branch and their manager "
        "at period start (portfolio assignments).",
        "pct",
        True,
        True,
        ("all", "branch", "segment", "manager", "region"),
    ),
    KpiDefinition(
        "referral_rate",
        "转介绍率",
        "Referral rate",
        "期内提交的申请中，经转介绍而来的（渠道为转介绍，或来源线索为转介绍、有推荐客户）÷ 全部申请。",
        "Of the applications submitted in the period, those that came by referral (channel "
        "referral, or their lead came by referral or names a referring customer) ÷ all.",
        "pct",
        True,
        True,
    ),
    KpiDefinition(
        "npl_ratio",
        "不良贷款率",
        "NPL ratio",
        "期末还款中贷款余额里 次级+可疑+损失 的余额 ÷ 全部余额。期末取期内最后一次日终快照；"
        "进行中的期间取当前余额（与经营概览相同）。",
        "Substandard + doubtful + loss balance ÷ the balance of repaying loans at period end: the "
        "last daily close's snapshot in the period; the live book (the dashboard's figure) for a "
        "period still running.",
        "pct",
        False,
        True,
    ),
    KpiDefinition(
        "overdue_rate",
        "逾期率",
        "Overdue rate",
        "期末逾期本金 ÷ 还款中贷款余额。期末取期内最后一次日终快照；进行中的期间按当前还款计划"
        "（已到期未还本金）与当前余额计算。",
        "Overdue principal ÷ the balance of repaying loans at period end: the last daily close's "
        "snapshot in the period; for a period still running, the current schedules' principal due "
        "before today and unpaid ÷ the live balance.",
        "pct",
        False,
        True,
    ),
    KpiDefinition(
        "campaign_roi",
        "营销活动投资回报率",
        "Campaign ROI",
        "结束日落在期内（且已结束）的营销活动：Σ（增量净收入 − 成本）÷ Σ 成本；"
        "增量净收入与成本取活动效果评估的口径。",
        "Over the campaigns that ended in the period (and have ended): Σ (incremental net revenue − "
        "cost) ÷ Σ cost, both as the campaign results compute them.",
        "pct",
        True,
        True,
        ("all", "branch", "product", "channel", "region", "product_line"),
    ),
)
DEFINITIONS: dict[str, KpiDefinition] = {d.code: d for d in _DEFINITIONS}

#: Display names of the dimensions.
DIMENSION_NAMES: dict[str, tuple[str, str]] = {
    "all": ("全行", "Whole bank"),
    "branch": ("机构", "Branch"),
    "product": ("产品", "Product"),
    "channel": ("渠道", "Channel"),
    "segment": ("客群", "Segment"),
    "manager": ("客户经理", "Manager"),
    "region": ("地区", "Region"),
    "product_line": ("产品线", "Product line"),
}
CHANNEL_NAMES: dict[str, str] = {
    "online": "网上银行",
    "mobile": "手机银行",
    "branch": "网点",
    "partner": "合作机构",
    "call_center": "电话中心",
    "sms": "短信",
    "wechat": "微信",
    "referral": "转介绍",
}
PRODUCT_LINE_NAMES: dict[str, str] = {
    "housing": "住房贷款",
    "consumer": "消费贷款",
    "business": "个人经营贷款",
    "private_banking": "私人银行",
}

#: Allowed target range per KPI, in value units (a fraction for pct KPIs; fen; count; score).
_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "nps": (Decimal(-1), Decimal(1)),
    "satisfaction": (Decimal(1), Decimal(5)),
    "campaign_roi": (Decimal(-1), Decimal(1000)),
}
_PCT_RANGE = (Decimal(0), Decimal(1))
_MAX_AMOUNT = Decimal(10) ** 17
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def definition(code: str) -> KpiDefinition:
    """The definition of ``code``; ValidationError naming the known codes otherwise."""
    found = DEFINITIONS.get(code)
    if found is None:
        raise ValidationError(
            "kpi.unknown_code",
            f"unknown KPI {code!r}",
            [FieldProblem("code", f"{code!r} is not a KPI: use one of {', '.join(KPI_CODES)}")],
        )
    return found


def check_codes(codes: Iterable[str] | None) -> tuple[str, ...]:
    """The codes asked for (all when None), in suite order; every unknown one is reported."""
    if codes is None:
        return KPI_CODES
    wanted = [c.strip() for c in codes if c.strip()]
    unknown = [c for c in wanted if c not in DEFINITIONS]
    if unknown:
        raise ValidationError(
            "kpi.unknown_code",
            f"unknown KPI code(s): {', '.join(unknown)}",
            [
                FieldProblem("code", f"{c!r} is not a KPI: use one of {', '.join(KPI_CODES)}")
                for c in unknown
            ],
        )
    return tuple(c for c in KPI_CODES if c in wanted) or KPI_CODES


def check_dimension(dimension: str, field: str = "by") -> str:
    if dimension not in DIMENSIONS:
        raise ValidationError(
            "kpi.unknown_dimension",
            f"unknown dimension {dimension!r}",
            [
                FieldProblem(
                    field, f"{dimension!r} is not a dimension: use one of {', '.join(DIMENSIONS)}"
                )
            ],
        )
    return dimension


def applies(code: str, dimension: str) -> bool:
    """Whether ``code`` can be cut by ``dimension`` (otherwise it has no rows for it)."""
    return dimension in DEFINITIONS[code].dimensions


def ratio_value(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator ÷ denominator, None when the denominator is zero."""
    if denominator == 0:
        return None
    return numerator / denominator


def target_range(code: str) -> tuple[Decimal, Decimal]:
    unit = DEFINITIONS[code].unit
    if code in _RANGES:
        return _RANGES[code]
    if unit == "pct":
        return _PCT_RANGE
    return Decimal(0), _MAX_AMOUNT


def parse_target(code: str, text: str | int | float | Decimal, field: str = "value") -> Decimal:
    """A target as people write it → value units.

    Rates (``pct``) are written in percent (``85``, ``85%`` or ``85.5 %``) and stored as fractions;
    money is written in yuan (``1200000.50``) and stored in fen; counts are whole numbers; a CSAT
    target is a score 1–5. Out-of-range or malformed input is a ValidationError naming ``field``.
    """
    d = definition(code)
    raw = str(text).strip().replace(",", "").replace("，", "")
    percent = raw.endswith("%")
    if percent:
        raw = raw[:-1].strip()
    if not raw or _NUMBER.match(raw) is None or (percent and d.unit != "pct"):
        hint = {
            "pct": "a percentage, e.g. 85 or 85%",
            "fen": "an amount in yuan, e.g. 1200000 or 1200000.50",
            "count": "a whole number, e.g. 120",
            "score": "a score, e.g. 4.5",
        }.get(d.unit, "a number")
        raise _problem(field, f"{str(text)!r} is not a valid target for {code}: write {hint}")
    try:
        number = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already refused it
        raise _problem(field, f"{str(text)!r} is not a number") from exc
    if d.unit == "pct":
        value = number / 100
    elif d.unit == "fen":
        if number != number.quantize(Decimal("0.01")):
            raise _problem(field, "an amount has at most two decimals (fen)")
        value = (number * 100).quantize(Decimal(1))
    elif d.unit == "count":
        if number != number.to_integral_value():
            raise _problem(field, f"{code} counts, so its target is a whole number")
        value = number
    else:
        value = number
    low, high = target_range(code)
    if not low <= value <= high:
        raise _problem(
            field, f"the target of {code} must be between {show(code, low)} and {show(code, high)}"
        )
    return value


def _problem(field: str, message: str) -> ValidationError:
    return ValidationError("kpi.target_invalid", message, [FieldProblem(field, message)])


def attainment(code: str, value: Decimal | None, target: Decimal | None) -> Decimal | None:
    """How far the value reaches the target (1 = on target): value ÷ target when higher is better,
    target ÷ value when lower is better; None without both, or when dividing by zero (a
    lower-is-better value of zero against a positive target counts as fully met: 1)."""
    if value is None or target is None:
        return None
    if DEFINITIONS[code].higher_is_better:
        return value / target if target > 0 else None
    if value == 0:
        return Decimal(1) if target >= 0 else None
    return target / value if value > 0 else None


def show(code: str, value: Decimal | None, *, lang: str = "zh") -> str:
    """A value formatted for people: percent, ¥ amount, count or score."""
    if value is None:
        return "—"
    unit = DEFINITIONS[code].unit
    if unit == "pct":
        return f"{(value * 100).quantize(Decimal('0.01'), ROUND_HALF_UP)}%"
    if unit == "fen":
        yuan = (value / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return f"¥{yuan:,}"
    if unit == "count":
        return f"{int(value):,}"
    return f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP)}"
