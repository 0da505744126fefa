"""The KPI definitions and their pure rules: every KPI defined with formula and unit, target
parsing and range checks, attainment, display."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.evaluation import kpi_rules
from loanpilot.evaluation.kpi_rules import (
    DEFINITIONS,
    DIMENSIONS,
    KPI_CODES,
    attainment,
    parse_target,
    show,
)
from loanpilot.kit.errors import ValidationError

D = Decimal


def test_every_kpi_is_defined_once_with_formula_and_dimensions() -> None:
    assert tuple(DEFINITIONS) == KPI_CODES
    for code, d in DEFINITIONS.items():
        assert d.code == code
        assert d.name_zh
        assert d.name_en
        assert d.formula_zh
        assert d.formula_en
        assert d.unit in ("pct", "fen", "count", "score")
        assert d.dimensions[0] == "all"
        assert set(d.dimensions) <= set(DIMENSIONS)
        assert d.ratio is (d.unit in ("pct", "score"))
    assert not DEFINITIONS["npl_ratio"].higher_is_better
    assert not kpi_rules.applies("market_share", "manager")
    assert kpi_rules.applies("overdue_rate", "manager")


@pytest.mark.parametrize(
    ("code", "text", "value"),
    [
        ("approval_rate", "85", D("0.85")),
        ("approval_rate", "85.5 %", D("0.855")),
        ("nps", "-20%", D("-0.2")),
        ("disbursed_fen", "1,200,000.50", D(120_000_050)),
        ("applications", "120", D(120)),
        ("satisfaction", "4.5", D("4.5")),
        ("campaign_roi", "250%", D("2.5")),
    ],
)
def test_targets_as_people_write_them(code: str, text: str, value: Decimal) -> None:
    assert parse_target(code, text) == value


@pytest.mark.parametrize(
    ("code", "text", "message"),
    [
        ("approval_rate", "101", "between 0.00% and 100.00%"),
        ("approval_rate", "-1", "between"),
        ("satisfaction", "0.5", "between 1.00 and 5.00"),
        ("applications", "1.5", "whole number"),
        ("applications", "10%", "whole number, e.g. 120"),
        ("disbursed_fen", "1.234", "two decimals"),
        ("nps", "abc", "percentage"),
        ("nps", "", "percentage"),
    ],
)
def test_targets_out_of_range_or_malformed(code: str, text: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_target(code, text)
    assert caught.value.problems[0].field == "value"
    assert message in caught.value.problems[0].message


@given(st.decimals(min_value=0, max_value=100, places=2))
def test_a_percentage_in_range_is_accepted_as_a_fraction(percent: Decimal) -> None:
    assert parse_target("retention", f"{percent}%") * 100 == percent


def test_attainment_follows_the_direction() -> None:
    assert attainment("disbursed_fen", D(90), D(100)) == D("0.9")
    assert attainment("npl_ratio", D("0.02"), D("0.01")) == D("0.5")
    assert attainment("npl_ratio", D(0), D("0.01")) == D(1)
    assert attainment("applications", None, D(1)) is None
    assert attainment("applications", D(1), None) is None


def test_codes_and_dimensions_are_checked() -> None:
    assert kpi_rules.check_codes(["nps", "applications"]) == ("applications", "nps")
    assert kpi_rules.check_codes(None) == KPI_CODES
    with pytest.raises(ValidationError) as caught:
        kpi_rules.check_codes(["nps", "profit", "loss"])
    assert len(caught.value.problems) == 2
    with pytest.raises(ValidationError):
        kpi_rules.check_dimension("city")
    with pytest.raises(ValidationError):
        kpi_rules.definition("profit")


def test_show() -> None:
    assert show("approval_rate", D(2) / D(3)) == "66.67%"
    assert show("disbursed_fen", D(123456789)) == "¥1,234,567.89"
    assert show("applications", D(1234)) == "1,234"
    assert show("satisfaction", D("4.125")) == "4.13"
    assert show("nps", None) == "—"
