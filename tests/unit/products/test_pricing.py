"""Risk-based price and limit: known answers, numpy-financial's present value, binding limits."""

from __future__ import annotations

from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.products.pricing import PricingGrid, limit, price, principal_for_instalment

GRID = PricingGrid()
LPR_1Y = Decimal("0.0300")


def test_the_grade_add_on_sits_on_the_floor_spread_and_is_capped_by_the_ceiling() -> None:
    a = price(
        base_rate=LPR_1Y,
        min_spread=Decimal("0.005"),
        max_spread=Decimal("0.015"),
        grade="A",
        grid=GRID,
    )
    assert (a.spread, a.annual_rate, a.capped) == (Decimal("0.005"), Decimal("0.0350"), False)
    c = price(
        base_rate=LPR_1Y,
        min_spread=Decimal("0.005"),
        max_spread=Decimal("0.015"),
        grade="C",
        grid=GRID,
    )
    assert c.annual_rate == Decimal("0.0420")  # 3.00 % + 0.50 % + 0.70 %
    e = price(
        base_rate=LPR_1Y,
        min_spread=Decimal("0.005"),
        max_spread=Decimal("0.015"),
        grade="E",
        grid=GRID,
    )
    assert (e.spread, e.capped) == (Decimal("0.015"), True)  # 0.5 % + 2 % cut to the 1.5 % ceiling
    fund = price(
        base_rate=Decimal("0.021"),
        min_spread=Decimal(0),
        max_spread=Decimal(0),
        grade="D",
        grid=GRID,
        provident_fund=True,
    )
    assert fund.annual_rate == Decimal("0.021")
    with pytest.raises(KeyError, match="'F'"):
        price(base_rate=LPR_1Y, min_spread=Decimal(0), max_spread=Decimal(1), grade="F", grid=GRID)


@given(
    instalment=st.integers(100, 10_000_000),
    rate=st.decimals(Decimal("0.001"), Decimal("0.24"), places=4),
    term=st.integers(1, 360),
)
def test_the_principal_an_instalment_repays_is_numpy_financials_present_value(
    instalment: int, rate: Decimal, term: int
) -> None:
    ours = principal_for_instalment(instalment, rate, term)
    theirs = -npf.pv(float(rate) / 12, term, instalment)
    assert abs(ours - theirs) <= 1 + 1e-9 * theirs  # floor to the fen vs float


def test_the_smallest_constraint_binds_and_is_named() -> None:
    common = {
        "grade": "B",
        "grid": GRID,
        "monthly_income_fen": 2_000_000,  # ¥20,000
        "monthly_debt_payment_fen": 500_000,  # ¥5,000
        "max_dti": Decimal("0.5"),  # headroom ¥5,000 a month
        "annual_rate": Decimal(0),
        "term_months": 36,  # ¥5,000 × 36 = ¥180,000
    }
    by_dti = limit(product_max_fen=100_000_000, **common)
    assert by_dti.binding == "dti_headroom"
    assert by_dti.amount_fen == 18_000_000
    assert by_dti.candidates["income_multiple"] == 60_000_000  # 30 months of ¥20,000
    by_max = limit(product_max_fen=10_000_000, **common)
    assert (by_max.binding, by_max.amount_fen) == ("product_max", 10_000_000)
    by_ltv = limit(
        product_max_fen=100_000_000,
        max_ltv=Decimal("0.7"),
        collateral_value_fen=20_000_000,
        **common,
    )
    assert (by_ltv.binding, by_ltv.amount_fen) == ("loan_to_value", 14_000_000)
    over_indebted = limit(
        product_max_fen=100_000_000, **{**common, "monthly_debt_payment_fen": 1_500_000}
    )
    assert (over_indebted.binding, over_indebted.amount_fen) == ("dti_headroom", 0)
