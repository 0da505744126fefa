"""The pure market rules: row validation with every problem named, period overlaps (in the file
and against stored figures), and the positioning arithmetic (hand-worked known answers)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.kit.periods import parse_period
from loanpilot.market import market_rules as rules
from loanpilot.products.models import ProductSubtype, ProductType

TODAY = date(2026, 11, 29)
GOOD = {
    "product_line": "housing", "region": "浙江", "period": "2026Q3",
    "total_balance_yuan": "1,234,567.89", "new_lending_yuan": "", "source": "人行杭州中心支行",
    "note": "",
}  # fmt: skip


def _draft(line: str, region: str, period: str, row: int) -> rules.SizeDraft:
    return rules.SizeDraft(line, region, parse_period(period), 100, None, "s", None, row)


def test_a_good_row_becomes_a_draft_in_fen() -> None:
    draft, problems = rules.validate_size(GOOD, today=TODAY, row=2, source="f.csv")
    assert problems == []
    assert draft is not None
    assert draft.total_balance_fen == 123_456_789
    assert draft.new_lending_fen is None
    assert draft.period.label == "2026Q3"
    chinese, _ = rules.validate_size(GOOD | {"product_line": "住房贷款"}, today=TODAY)
    assert chinese is not None
    assert chinese.product_line == "housing"


def test_every_problem_of_a_row_is_named_with_row_column_and_file() -> None:
    bad = {"product_line": "mortgage", "region": "", "period": "2026Q5",
           "total_balance_yuan": "12.345", "new_lending_yuan": "-5", "source": "x" * 101}  # fmt: skip
    draft, problems = rules.validate_size(bad, today=TODAY, row=7, source="f.csv")
    assert draft is None
    found = {(p.field, p.code) for p in problems}
    assert found == {
        ("product_line", "line"), ("region", "required"), ("period", "period"),
        ("total_balance_yuan", "amount"), ("new_lending_yuan", "positive"), ("source", "too_long"),
    }  # fmt: skip
    assert all(p.row == 7 and p.source == "f.csv" for p in problems)
    assert str(problems[0]).startswith("f.csv, row 7, column product_line: unknown product line")


def test_a_period_not_yet_begun_is_refused() -> None:
    _, problems = rules.validate_size(GOOD | {"period": "2027Q1"}, today=TODAY)
    assert [p.code for p in problems] == ["future_period"]


@pytest.mark.parametrize(
    ("text", "fen"),
    [("1", 100), ("1.5", 150), ("1,234.56", 123_456), ("¥12.30", 1_230), ("3 000 元", 300_000)],
)
def test_yuan_amounts(text: str, fen: int) -> None:
    assert rules.parse_fen(text) == fen


@pytest.mark.parametrize("text", ["1.005", "abc", "1e5", "", "12..3"])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        rules.parse_fen(text)


def test_overlaps_within_the_file_quarter_month_and_year() -> None:
    drafts = [
        _draft("housing", "浙江", "2026Q4", 2),
        _draft("housing", "浙江", "2026-10", 3),  # inside 2026Q4
        _draft("housing", "浙江", "2026", 4),  # holds 2026Q4
        _draft("housing", "浙江", "2026Q4", 5),  # the same period again
        _draft("housing", "上海", "2026-10", 6),  # another region: fine
        _draft("consumer", "浙江", "2026", 7),  # another line: fine
    ]
    check = rules.check_overlaps(drafts, {}, source="f.csv")
    assert set(check.rejected) == {1, 2, 3}
    assert check.rejected[1].code == "overlap_file"
    assert check.rejected[1].row == 3
    assert "2026-10 overlaps 2026Q4 given in row 2" in check.rejected[1].message
    assert check.rejected[3].code == "duplicate"
    assert check.rejected[3].message == "repeats row 2 of this file"
    assert check.updates == frozenset()


def test_overlaps_against_stored_figures_and_updates_of_the_same_period() -> None:
    stored = {("housing", "浙江"): [parse_period("2026Q3"), parse_period("2026-10")]}
    drafts = [
        _draft("housing", "浙江", "2026Q3", 2),  # stored: an update
        _draft("housing", "浙江", "2026Q4", 3),  # overlaps the stored 2026-10
        _draft("housing", "浙江", "2026-11", 4),  # fine
    ]
    check = rules.check_overlaps(drafts, stored)
    assert check.updates == frozenset({0})
    assert set(check.rejected) == {1}
    assert check.rejected[1].code == "overlap_stored"
    assert dict(check.rejected[1].params)["other"] == "2026-10"


def test_a_refused_draft_does_not_block_a_later_one() -> None:
    stored = {("housing", "浙江"): [parse_period("2026-10")]}
    drafts = [_draft("housing", "浙江", "2026Q4", 2), _draft("housing", "浙江", "2026-12", 3)]
    check = rules.check_overlaps(drafts, stored)
    assert set(check.rejected) == {0}


PRODUCT = {
    "competitor": "东岳商业银行", "competitor_kind": "", "product": "东岳闪电贷",
    "product_line": "consumer", "subtype": "general_consumer", "min_annual_rate": "3.4%",
    "max_annual_rate": "0.09", "apr": "3.6%", "max_amount_yuan": "300000",
    "max_term_months": "36", "features": "线上秒批；随借随还；线上秒批", "observed_on": "2026/11/15",
    "source": "官网",
}  # fmt: skip


def test_a_good_competitor_product() -> None:
    draft, problems = rules.validate_product(
        PRODUCT, today=TODAY, known_competitors={"东岳商业银行"}
    )
    assert problems == []
    assert draft is not None
    assert draft.min_annual_rate == Decimal("0.034")
    assert draft.max_annual_rate == Decimal("0.09")
    assert draft.max_amount_fen == 30_000_000
    assert draft.features == ("线上秒批", "随借随还")
    assert draft.observed_on == date(2026, 11, 15)


def test_competitor_product_problems() -> None:
    bad = PRODUCT | {"competitor": "新银行", "subtype": "operating", "min_annual_rate": "3.45",
                     "max_annual_rate": "2%", "apr": "1%", "max_term_months": "0",
                     "observed_on": "2026-12-01"}  # fmt: skip
    _, problems = rules.validate_product(bad, today=TODAY, known_competitors=set(), row=4)
    found = {(p.field, p.code) for p in problems}
    assert found == {
        ("competitor_kind", "new_competitor"), ("subtype", "subtype_line"),
        ("min_annual_rate", "rate"), ("max_term_months", "term"),
        ("observed_on", "future_date"),
    }  # fmt: skip
    _, problems = rules.validate_product(
        PRODUCT | {"max_annual_rate": "3%", "apr": "3.3%"},
        today=TODAY,
        known_competitors={"东岳商业银行"},
    )
    assert {(p.field, p.code) for p in problems} == {
        ("max_annual_rate", "rate_order"),
        ("apr", "apr_low"),
    }


def test_duplicate_products_in_a_file() -> None:
    draft, _ = rules.validate_product(
        PRODUCT, today=TODAY, known_competitors={"东岳商业银行"}, row=2
    )
    again, _ = rules.validate_product(
        PRODUCT, today=TODAY, known_competitors={"东岳商业银行"}, row=5
    )
    assert draft is not None
    assert again is not None
    found = rules.duplicate_products([draft, again], source="c.csv")
    assert list(found) == [1]
    assert str(found[1]) == "c.csv, row 5, column product: repeats row 2 of this file"


def test_subtypes_and_lines_match_the_catalogue() -> None:
    assert set(rules.SUBTYPE_LINE) == {s.value for s in ProductSubtype}
    assert set(rules.SUBTYPE_NAMES) == {s.value for s in ProductSubtype}
    assert set(rules.LINES) == {t.value for t in ProductType}


# --- positioning: hand-worked -----------------------------------------------------------------------

APRS = [Decimal("0.035"), Decimal("0.040"), Decimal("0.042"), Decimal("0.050")]


def test_known_answer_median_percentile_and_position() -> None:
    stats = rules.range_stats(APRS)
    assert stats == rules.RangeStats(4, Decimal("0.035"), Decimal("0.041"), Decimal("0.050"))
    # ours 4.0 %: one below (3.5), one tie (4.0) -> (1 + 1/2) / 4 = 0.375; |4.0 - 4.1| <= 0.25 pp
    assert rules.percentile_rank(Decimal("0.040"), APRS) == Decimal("0.375")
    assert rules.position(Decimal("0.040"), stats) == "at_market"
    # ours 3.8 %: one below -> 0.25; 3.8 < 4.1 - 0.25 -> cheaper
    assert rules.percentile_rank(Decimal("0.038"), APRS) == Decimal("0.25")
    assert rules.position(Decimal("0.038"), stats) == "cheaper"
    # ours 4.4 %: three below -> 0.75; 4.4 > 4.35 -> dearer
    assert rules.percentile_rank(Decimal("0.044"), APRS) == Decimal("0.75")
    assert rules.position(Decimal("0.044"), stats) == "dearer"
    assert rules.median([Decimal(3), Decimal(1), Decimal(2)]) == Decimal(2)
    assert rules.range_stats([]) is None
    assert rules.percentile_rank(Decimal(1), []) is None


def test_growth() -> None:
    assert rules.growth(110, 100) == Decimal("0.1")
    assert rules.growth(110, 0) is None
    assert rules.growth(None, 100) is None


rates = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("0.3"), places=4)


@given(st.lists(rates, min_size=1, max_size=30), rates, rates)
def test_percentile_is_a_fraction_and_rises_with_our_rate(values: list[Decimal], a: Decimal,
                                                          b: Decimal) -> None:  # fmt: skip
    low, high = min(a, b), max(a, b)
    p_low, p_high = rules.percentile_rank(low, values), rules.percentile_rank(high, values)
    assert p_low is not None
    assert p_high is not None
    assert 0 <= p_low <= p_high <= 1
    stats = rules.range_stats(values)
    assert stats is not None
    assert stats.minimum <= stats.median <= stats.maximum


def test_a_superscript_term_is_a_problem_not_a_crash() -> None:
    _, problems = rules.validate_product(
        PRODUCT | {"max_term_months": "3⁶"}, today=TODAY, known_competitors={"东岳商业银行"}
    )
    assert ("max_term_months", "term") in {(p.field, p.code) for p in problems}
