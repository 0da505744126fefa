"""Decision reasons in Chinese and English: each ``risk.rules.Reason`` code has one template per
language, filled from the reason's parameters. The texts are written to be shown to the applicant
(PBoC and CBIRC expect a declined applicant to be told why in plain words); staff screens show the
same texts beside the code."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from loanpilot.risk.features import feature_label
from loanpilot.risk.rules import Reason

TEMPLATES: dict[str, tuple[str, str]] = {
    "rule.age_below_min": ("年龄低于{min}周岁", "Age below {min}"),
    "rule.age_above_max": ("申请时年龄超过{max}周岁", "Age above {max} at application"),
    "rule.age_at_maturity": ("贷款到期时年龄将超过{max}周岁", "Age at maturity would exceed {max}"),
    "rule.income_below_min": (
        "月收入低于{min_yuan}元的最低要求",
        "Monthly income below the minimum of {min_yuan} yuan",
    ),
    "rule.dti_above_max": (
        "加上本笔贷款后负债收入比为{dti_pct}，超过上限{max_pct}",
        "Debt-to-income including this loan is {dti_pct}, above the limit of {max_pct}",
    ),
    "rule.bureau_delinquent": (
        "征信报告显示当前有逾期",
        "The credit report shows a current delinquency",
    ),
    "rule.blacklisted": ("不符合本行准入要求", "Does not meet the bank's eligibility rules"),
    "rule.occupation_not_eligible": (
        "职业不在本产品的准入范围内",
        "Occupation not eligible for this product",
    ),
    "rule.collateral_required": (
        "本产品需要提供抵押/担保",
        "This product requires collateral or a guarantee",
    ),
    "rule.provident_fund_required": (
        "本产品需要连续缴存住房公积金",
        "This product requires housing provident-fund contributions",
    ),
    "score.below_decline": (
        "综合信用评分{score}分，低于本行标准{cutoff}分",
        "Credit score {score}, below the bank's standard of {cutoff}",
    ),
    "score.refer_band": (
        "综合信用评分{score}分，需人工复核",
        "Credit score {score}: referred for manual review",
    ),
    "score.missing": ("暂无可用评分模型，转人工审批", "No scoring model in use: manual review"),
    "score.factor": ("{label}（{bin}）拉低了评分", "{label} ({bin}) lowered the score"),
    "policy.missing": (
        "暂无生效的授信政策，转人工审批",
        "No credit policy in force: manual review",
    ),
    "collateral.appraisal": (
        "抵押物需经评估后确定额度，转人工审批",
        "The collateral must be appraised before the limit is set: manual review",
    ),
    "combination.manual": (
        "组合贷需分别核定公积金与商业部分，转人工审批",
        "A combination loan is set part by part: manual review",
    ),
    "limit.below_minimum": (
        "可贷额度{limit_yuan}元低于本产品最低金额",
        "The amount we can lend ({limit_yuan} yuan) is below the product's minimum",
    ),
    "limit.reduced": (
        "可贷额度为{limit_yuan}元（受{binding}限制），低于申请金额",
        "We can lend {limit_yuan} yuan (limited by {binding}), less than requested",
    ),
    "grade.not_lent": ("评级{grade}不在本产品授信范围内", "Grade {grade} is not lent to"),
    "manual.approve": ("人工复核通过：{note}", "Approved at manual review: {note}"),
    "manual.decline": ("人工复核未通过：{note}", "Declined at manual review: {note}"),
}

BINDING_LABELS: dict[str, tuple[str, str]] = {
    "product_max": ("产品最高额度", "the product maximum"),
    "income_multiple": ("收入倍数", "the income multiple"),
    "dti_headroom": ("负债收入比空间", "debt-to-income headroom"),
    "loan_to_value": ("抵押率", "loan-to-value"),
}


def _yuan(fen: Any) -> str:
    try:
        return f"{Decimal(str(fen)) / 100:,.0f}"
    except (InvalidOperation, ValueError):
        return str(fen)


def _pct(ratio: Any) -> str:
    try:
        return f"{Decimal(str(ratio)) * 100:.1f}%"
    except (InvalidOperation, ValueError):
        return str(ratio)


def _values(params: Mapping[str, str], lang: str) -> dict[str, str]:
    out = dict(params)
    if "min_fen" in out:
        out["min_yuan"] = _yuan(out["min_fen"])
    if "limit_fen" in out:
        out["limit_yuan"] = _yuan(out["limit_fen"])
    if "dti" in out:
        out["dti_pct"] = _pct(out["dti"]) if out["dti"] != "n/a" else "n/a"
    if "max" in out and "dti" in out:
        out["max_pct"] = _pct(out["max"])
    if "variable" in out:
        out["label"] = feature_label(out["variable"], lang)
    if out.get("bin") == "-":
        out["bin"] = "无记录" if lang == "zh" else "no record"
    if "binding" in out:
        pair = BINDING_LABELS.get(out["binding"])
        if pair:
            out["binding"] = pair[0] if lang == "zh" else pair[1]
    return out


def reason_text(code: str, params: Mapping[str, str], lang: str = "zh") -> str:
    """The reason in ``lang`` (``zh`` or ``en``); an unknown code is shown as itself."""
    pair = TEMPLATES.get(code)
    if pair is None:
        return code
    template = pair[0] if lang == "zh" else pair[1]
    try:
        return template.format(**_values(params, lang))
    except (KeyError, IndexError):
        return template


def reason_record(reason: Reason) -> dict[str, Any]:
    """How a decision stores a reason: code, parameters and both texts."""
    params = {k: str(v) for k, v in reason.params.items()}
    return {
        "code": reason.code,
        "params": params,
        "zh": reason_text(reason.code, params, "zh"),
        "en": reason_text(reason.code, params, "en"),
    }
