"""Decision reasons in Chinese and English: each ``risk.rules.Reason`` code has one template per
language, filled from the reason's parameters. The texts are written to be shown to the applicant
(PBoC and CBIRC expect a declined applicant to be told why in plain words); staff screens show the
same texts beside the code."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
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
    "grade.not_lent": (
        "评级{grade}不在本产品授信范围内",
        "Grade {grade} is not eligible for this product",
    ),
    # the officer's note stays with the decision (Decision.note); the applicant sees only this
    "manual.approve": ("经信贷人员人工复核通过", "Approved by a credit officer at review"),
    "manual.decline": (
        "经信贷人员人工复核，本次申请未获批准",
        "A credit officer reviewed the application and could not approve it",
    ),
}

#: The codes a score-factor reason may quote as the applicant's value, in both languages.
VALUE_LABELS: dict[str, tuple[str, str]] = {
    "civil_servant": ("公务员/事业单位", "civil servant"),
    "company_employee": ("企业员工", "company employee"),
    "freelancer": ("自由职业", "freelancer"),
    "self_employed": ("个体工商户/小微企业主", "self-employed"),
    "student": ("学生", "student"),
    "retired": ("退休", "retired"),
    "below_high_school": ("初中及以下", "below high school"),
    "high_school": ("高中/中专", "high school"),
    "college": ("大专", "college"),
    "bachelor": ("本科", "bachelor's degree"),
    "postgraduate": ("研究生及以上", "postgraduate"),
    "single": ("未婚", "single"),
    "married": ("已婚", "married"),
    "divorced": ("离异", "divorced"),
    "widowed": ("丧偶", "widowed"),
    "housing": ("住房贷款", "housing loan"),
    "consumer": ("消费贷款", "consumer loan"),
    "business": ("经营贷款", "business loan"),
    "private_banking": ("私人银行贷款", "private-banking loan"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}

BINDING_LABELS: dict[str, tuple[str, str]] = {
    "product_max": ("产品最高额度", "the product maximum"),
    "income_multiple": ("收入倍数", "the income multiple"),
    "dti_headroom": ("负债收入比空间", "debt-to-income headroom"),
    "loan_to_value": ("抵押率", "loan-to-value"),
}


def _yuan(fen: Any) -> str:
    """Whole yuan, rounded down (a limit of 123,456.99 yuan is never shown as 123,457)."""
    try:
        return f"{(Decimal(str(fen)) / 100).to_integral_value(rounding=ROUND_FLOOR):,.0f}"
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
        none = "无（未申报收入）" if lang == "zh" else "not computable (no income stated)"
        out["dti_pct"] = _pct(out["dti"]) if out["dti"] != "n/a" else none
    if "max" in out and "dti" in out:
        out["max_pct"] = _pct(out["max"])
    if "variable" in out:
        out["label"] = feature_label(out["variable"], lang)
    if out.get("bin") == "-":
        out["bin"] = "无记录" if lang == "zh" else "no record"
    elif "bin" in out and out["bin"] in VALUE_LABELS:
        zh, en = VALUE_LABELS[out["bin"]]
        out["bin"] = zh if lang == "zh" else en
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
