"""Segment rules: default bands, validating band edits (every problem at once), assigning bands,
rule segment codes and the generated names and descriptions."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.customers import rules as cr
from loanpilot.customers import segment_rules as sr
from loanpilot.kit.errors import ValidationError

DEFAULTS = sr.default_bands(cr.AGE_BAND_EDGES, cr.INCOME_BAND_EDGES_FEN)


def rows(bands: list[sr.Band]) -> list[dict[str, object]]:
    return [{"code": b.code, "lower": b.lower, "upper": b.upper, "label_zh": b.label_zh,
             "label_en": b.label_en} for b in bands]  # fmt: skip


def test_default_bands_follow_the_customer_directory() -> None:
    age, income = DEFAULTS["age"], DEFAULTS["income"]
    assert [(b.code, b.lower, b.upper) for b in age] == [
        ("young", None, Decimal(35)), ("middle", Decimal(35), Decimal(55)), ("senior", Decimal(55), None),
    ]  # fmt: skip
    assert [b.upper for b in income] == [Decimal(5000), Decimal("20000.01"), None]
    assert sr.validate_bands("age", rows(age)) == age


def test_assign_bands_at_the_edges() -> None:
    age = sr.assign_bands([0, 34, 35, 54.9, 55, 90, np.nan], DEFAULTS["age"])
    assert age.tolist() == [0, 0, 1, 1, 2, 2, -1]
    income = sr.assign_bands([4999.99, 5000, 20000, 20000.01, 1e6], DEFAULTS["income"])
    assert income.tolist() == [0, 1, 1, 2, 2]


@given(age=st.integers(0, 110), fen=st.integers(0, 10_000_000))
def test_bands_agree_with_the_customer_directory(age: int, fen: int) -> None:
    a = sr.assign_bands([age], DEFAULTS["age"])[0]
    i = sr.assign_bands([fen / 100], DEFAULTS["income"])[0]
    assert DEFAULTS["age"][a].code == cr.age_band(age).value
    assert DEFAULTS["income"][i].code == cr.income_band(fen).value


@given(edges=st.lists(st.integers(1, 10_000), min_size=0, max_size=8, unique=True),
       values=st.lists(st.floats(0, 20_000), min_size=1, max_size=30))  # fmt: skip
def test_any_ordered_edges_validate_and_place_each_value_in_its_band(
    edges: list[int], values: list[float]
) -> None:
    edges = sorted(edges)
    bounds = [None, *edges, None]
    data = [{"code": f"b{i}", "lower": bounds[i], "upper": bounds[i + 1], "label_zh": f"档{i}",
             "label_en": f"Band {i}"} for i in range(len(edges) + 1)]  # fmt: skip
    bands = sr.validate_bands("income", data)
    for value, index in zip(values, sr.assign_bands(values, bands), strict=True):
        band = bands[index]
        assert band.lower is None or value >= band.lower
        assert band.upper is None or value < band.upper


def test_every_problem_of_a_band_edit_is_listed() -> None:
    data = [
        {"code": "young", "lower": "18", "upper": "30", "label_zh": "青年", "label_en": "Young"},
        {"code": "young", "lower": "32", "upper": "50", "label_zh": "", "label_en": "Mid"},
        {"code": "Old!", "lower": "45", "upper": "abc", "label_zh": "老年", "label_en": "x" * 51},
        {"code": "last", "lower": "", "upper": "-3", "label_zh": "末", "label_en": "Last"},
    ]
    with pytest.raises(ValidationError) as caught:
        sr.validate_bands("age", data)
    found = {(p.field, p.code) for p in caught.value.problems if isinstance(p, sr.Problem)}
    assert found == {
        ("age.0.lower", "first_open"),
        ("age.0.upper", "gap"),
        ("age.1.code", "code_taken"),
        ("age.1.label_zh", "required"),
        ("age.1.upper", "overlap"),
        ("age.2.code", "code_format"),
        ("age.2.upper", "decimal"),
        ("age.2.label_en", "too_long"),
        ("age.3.lower", "inner_closed"),
        ("age.3.upper", "negative"),
    }
    gap = next(p for p in caught.value.problems if p.field == "age.0.upper")
    assert gap.message == "leaves a gap: the next band starts at 32, this one ends at 30"


def test_band_counts_empty_bands_and_open_ends() -> None:
    with pytest.raises(ValidationError) as none:
        sr.validate_bands("age", [])
    assert [p.field for p in none.value.problems] == ["age"]
    data = [{"code": "a", "lower": None, "upper": "10", "label_zh": "甲", "label_en": "A"},
            {"code": "b", "lower": "10", "upper": "5", "label_zh": "乙", "label_en": "B"},
            {"code": "c", "lower": "5", "upper": "9", "label_zh": "丙", "label_en": "C"}]  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        sr.validate_bands("age", data)
    codes = {(p.field, p.code) for p in caught.value.problems if isinstance(p, sr.Problem)}
    assert codes == {("age.1.upper", "empty_band"), ("age.2.upper", "last_open")}


def test_rule_codes_and_names() -> None:
    age = sr.assign_bands([25, 40, np.nan], DEFAULTS["age"])
    income = sr.assign_bands([8000, 30000, 100], DEFAULTS["income"])
    codes = sr.rule_codes(age, ["company_employee", "student", None], income, DEFAULTS["age"],
                          DEFAULTS["income"], ["company_employee", "student"])  # fmt: skip
    assert codes.tolist() == [
        "young.company_employee.middle", "middle.student.high", "unknown.unknown.low",
    ]  # fmt: skip
    by_code = {d: {b.code: b for b in bands} for d, bands in DEFAULTS.items()}
    assert sr.rule_segment_name("young.company_employee.middle", by_code["age"], by_code["income"]) == (
        "青年白领·中收入", "Young office workers · Middle income",
    )  # fmt: skip
    assert (
        sr.rule_segment_name("senior.retired.low", by_code["age"], by_code["income"])[0]
        == "老年退休人员·低收入"
    )


@pytest.mark.parametrize(
    ("contrasts", "zh", "en"),
    [
        (
            {"age": -1.0, "card_spend_monthly_yuan": 1.5, "card_utilisation": 1.2},
            "年轻信用卡活跃型",
            "Young card actives",
        ),
        (
            {"deposit_balance_yuan": 1.2, "monthly_income_yuan": 0.1},
            "高存款稳健型",
            "High-deposit savers",
        ),
        (
            {"open_loans": 2.0, "occupation=self_employed": 0.3},
            "个体经营者有贷融资需求型",
            "Self-employed loan-holding borrowers",
        ),
        ({"age": 0.1}, "客群7", "Customers 7"),
    ],
)
def test_clusters_are_named_by_what_sets_them_apart(
    contrasts: dict[str, float], zh: str, en: str
) -> None:
    named = sr.cluster_name(contrasts, set(), 7)
    assert (named.name_zh, named.name_en) == (zh, en)


def test_cluster_names_are_unique_within_a_run() -> None:
    taken: set[str] = set()
    first = sr.cluster_name({"deposit_balance_yuan": 1.0, "age": 0.5}, taken, 1)
    second = sr.cluster_name(
        {"deposit_balance_yuan": 1.0, "age": 0.5, "tenure_months": 0.4}, taken, 2
    )
    third = sr.cluster_name({"deposit_balance_yuan": 1.0, "age": 0.5}, taken, 3)
    assert first.name_zh == "年长高存款稳健型"
    assert second.name_zh == "年长老客户高存款稳健型"
    assert third.name_zh == "年长高存款稳健型（3）"
    assert len({first.name_zh, second.name_zh, third.name_zh}) == 3


def test_descriptions_from_a_profile() -> None:
    profile = {
        "size": 1234,
        "share": 0.25,
        "income": {"median_fen": 850_000},
        "holdings": {"deposit_median_fen": 2_000_000},
        "channel": {"digital": 0.65, "branch": 0.2},
        "response": {"targets": 100, "responded": 5, "rate": 0.05},
        "approval": {"decided": 10, "approved": 6, "rate": 0.6},
        "needs": {
            "products": [{"name_zh": "消费贷", "name_en": "Consumer loan", "applications": 3}]
        },
    }
    traits = sr.distinctions({"card_spend_monthly_yuan": 1.2, "age": -0.4, "tenure_months": 0.1})
    zh = sr.describe(profile, "zh", traits=traits)
    assert zh == ("占客户 25.0%（1,234 人）；与全体客户相比信用卡月消费明显偏高、年龄偏低；月收入中位数 ¥8,500，"
                  "存款中位数 ¥20,000；偏好线上渠道 65.0%、网点 20.0%；营销响应率 5.0%，审批通过率 60.0%；"
                  "常见需求：消费贷。")  # fmt: skip
    en = sr.describe(profile, "en", traits=traits)
    assert en.startswith(
        "25.0% of customers (1,234); against all customers: much higher monthly card spend, lower age;"
    )
    assert en.endswith("typical needs: Consumer loan.")


def test_band_text() -> None:
    young, middle, senior = DEFAULTS["age"]
    assert sr.band_text(young, "岁", "years", "zh") == "35岁以下"
    assert sr.band_text(middle, "岁", "years", "en") == "35–55 years"
    assert sr.band_text(senior, "岁", "years", "zh") == "55岁及以上"
    assert sr.band_text(DEFAULTS["income"][0], "", "", "en", money=True) == "under ¥5,000"
