"""Decision reasons in Chinese and English: every code the decision and the service produce has a
text in both languages with its figures filled in, yuan and percentages formatted for people."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from loanpilot.risk.reasons import BINDING_LABELS, TEMPLATES, reason_record, reason_text
from loanpilot.risk.rules import Cutoffs, Facts, HardRules, Policy, Reason, decide

CJK = re.compile(r"[\u4e00-\u9fff]")

POLICY = Policy(
    version="P-test",
    hard=HardRules(
        min_age=18,
        max_age=60,
        max_age_at_maturity=65,
        min_monthly_income_fen=300_000,
        max_dti=Decimal("0.55"),
        occupations={"BL-OPR": frozenset({"self_employed"})},
        collateral={"BL-OPR": "property"},
        provident_fund_required=frozenset({"BL-OPR"}),
    ),
    cutoffs=Cutoffs(approve_from=620, decline_below=560),
)
GOOD = Facts(
    product_code="CL-GEN",
    age=35,
    age_at_maturity=38,
    monthly_income_fen=2_000_000,
    monthly_debt_payment_fen=300_000,
    new_instalment_fen=500_000,
    bureau_current_overdue=False,
    blacklisted=False,
    occupation="company_employee",
)
FACTOR = Reason("score.factor", {"variable": "bureau_score", "bin": "615", "lost": "23.4"})


def produced_reasons() -> list[Reason]:
    """Every reason as ``decide`` and ``risk.service`` build them (codes and parameter names)."""
    everything_wrong = replace(
        GOOD,
        product_code="BL-OPR",
        age=17,
        age_at_maturity=70,
        monthly_income_fen=100_000,
        monthly_debt_payment_fen=50_000,
        new_instalment_fen=30_000,
        bureau_current_overdue=True,
        blacklisted=True,
        occupation="student",
    )
    too_old = replace(GOOD, age=61)
    return [
        *decide(everything_wrong, 700, POLICY).reasons,
        *decide(too_old, 700, POLICY).reasons,
        *decide(GOOD, 500, POLICY, (FACTOR,)).reasons,
        *decide(GOOD, 600, POLICY, (FACTOR,)).reasons,
        *decide(GOOD, None, POLICY).reasons,
        # Built by risk.service (assess, make_offer, review):
        Reason("policy.missing"),
        Reason("collateral.appraisal"),
        Reason("combination.manual"),
        Reason("limit.below_minimum", {"limit_fen": "450000"}),
        Reason("limit.reduced", {"limit_fen": "12345600", "binding": "income_multiple"}),
        Reason("grade.not_lent", {"grade": "F"}),
        Reason("manual.approve", {"note": "收入证明已核实"}),
        Reason("manual.decline", {"note": "employer could not be reached"}),
    ]


def test_the_reasons_produced_cover_every_template() -> None:
    assert {r.code for r in produced_reasons()} == set(TEMPLATES)


@pytest.mark.parametrize("reason", produced_reasons(), ids=lambda r: r.code)
def test_every_reason_renders_in_both_languages(reason: Reason) -> None:
    params = {k: str(v) for k, v in reason.params.items()}
    zh = reason_text(reason.code, params, "zh")
    en = reason_text(reason.code, params, "en")
    for text in (zh, en):
        assert text
        assert "{" not in text, text
        assert "}" not in text, text
        assert text != reason.code
    assert CJK.search(zh), zh
    if reason.code not in ("manual.approve",):  # the note is the officer's own words
        assert not CJK.search(en), en
    record = reason_record(reason)
    assert record == {"code": reason.code, "params": params, "zh": zh, "en": en}


def test_the_default_language_is_chinese() -> None:
    assert reason_text("rule.blacklisted", {}) == "不符合本行准入要求"


def test_an_unknown_code_is_shown_as_itself() -> None:
    assert reason_text("rule.no_such_rule", {"x": "1"}, "zh") == "rule.no_such_rule"
    assert reason_text("rule.no_such_rule", {}, "en") == "rule.no_such_rule"
    assert reason_record(Reason("bank.own_rule"))["en"] == "bank.own_rule"


def test_dti_is_shown_as_percentages() -> None:
    params = {"dti": "0.7234", "max": "0.55"}
    assert reason_text("rule.dti_above_max", params, "zh") == (
        "加上本笔贷款后负债收入比为72.3%，超过上限55.0%"
    )
    assert reason_text("rule.dti_above_max", params, "en") == (
        "Debt-to-income including this loan is 72.3%, above the limit of 55.0%"
    )
    # No income: decide() says "n/a" rather than a ratio.
    assert "no income stated" in reason_text(
        "rule.dti_above_max", {"dti": "n/a", "max": "0.6"}, "en"
    )
    assert "未申报收入" in reason_text("rule.dti_above_max", {"dti": "n/a", "max": "0.6"}, "zh")
    assert "60.0%" in reason_text("rule.dti_above_max", {"dti": "n/a", "max": "0.6"}, "en")


def test_decide_gives_the_dti_the_text_formats() -> None:
    heavy = replace(GOOD, monthly_debt_payment_fen=900_000, new_instalment_fen=546_800)
    (reason,) = decide(heavy, 700, POLICY).reasons
    assert reason == Reason("rule.dti_above_max", {"dti": "0.7234", "max": "0.55"})
    assert reason_record(reason)["en"].endswith("is 72.3%, above the limit of 55.0%")


def test_fen_are_shown_as_whole_yuan_with_thousands_separators() -> None:
    assert reason_text("rule.income_below_min", {"min_fen": "300000"}, "zh") == (
        "月收入低于3,000元的最低要求"
    )
    assert reason_text("rule.income_below_min", {"min_fen": "300000"}, "en") == (
        "Monthly income below the minimum of 3,000 yuan"
    )
    assert reason_text("limit.below_minimum", {"limit_fen": "123456789"}, "en") == (
        "The amount we can lend (1,234,567 yuan) is below the product's minimum"
    )


@pytest.mark.parametrize(("binding", "labels"), sorted(BINDING_LABELS.items()))
def test_the_binding_limit_is_named_in_each_language(binding: str, labels: tuple[str, str]) -> None:
    params = {"limit_fen": "8000000", "binding": binding}
    assert reason_text("limit.reduced", params, "zh") == (
        f"可贷额度为80,000元（受{labels[0]}限制），低于申请金额"
    )
    assert reason_text("limit.reduced", params, "en") == (
        f"We can lend 80,000 yuan (limited by {labels[1]}), less than requested"
    )


def test_an_unknown_binding_is_shown_as_given() -> None:
    text = reason_text("limit.reduced", {"limit_fen": "100", "binding": "bank_rule"}, "en")
    assert text == "We can lend 1 yuan (limited by bank_rule), less than requested"


def test_a_score_factor_names_the_feature_in_each_language() -> None:
    assert reason_text("score.factor", dict(FACTOR.params), "zh") == "征信评分（615）拉低了评分"
    assert reason_text("score.factor", dict(FACTOR.params), "en") == (
        "bureau score (615) lowered the score"
    )
    # A variable of a bank's own card has no label: its name is shown.
    own = {"variable": "duration_in_month", "bin": "48", "lost": "12.0"}
    assert reason_text("score.factor", own, "en") == "duration_in_month (48) lowered the score"


def test_score_bands_show_the_score_and_the_cutoff() -> None:
    decline = decide(GOOD, 512, POLICY).reasons[0]
    assert reason_record(decline)["zh"] == "综合信用评分512分，低于本行标准560分"
    assert reason_record(decline)["en"] == "Credit score 512, below the bank's standard of 560"
    refer = decide(GOOD, 600, POLICY).reasons[0]
    assert reason_record(refer)["en"] == "Credit score 600: referred for manual review"


def test_a_malformed_figure_is_shown_as_given_rather_than_failing() -> None:
    assert "much" in reason_text("rule.income_below_min", {"min_fen": "much"}, "en")
    assert "is high, above the limit of 50.0%" in reason_text(
        "rule.dti_above_max", {"dti": "high", "max": "0.5"}, "en"
    )


def test_the_english_reason_for_a_missing_value_is_english() -> None:
    from loanpilot.risk.service_score import _shown

    params = {"variable": "bureau_score", "bin": _shown(float("nan"), "bureau_score"), "lost": "9"}
    assert not CJK.search(reason_text("score.factor", params, "en"))
