"""Risk-based price and limit, pure (house rule 2): what rate and how much a graded applicant gets.

* Rate = basis rate (LPR of the product's tenor, or the 公积金 table) + the product's spread for the
  grade, kept inside the product's floor and ceiling (its minimum and maximum spread). A 公积金 loan
  has no grade spread (its rate is the table's); a 组合贷 is priced part by part by the caller.
* Limit = the smallest of: the product's maximum; an income multiple by grade (months of income);
  the debt-to-income headroom (what monthly instalment still fits under the policy's maximum DTI,
  turned into principal for the loan's term and rate); and for a secured loan the loan-to-value
  ratio times the collateral's value. The binding constraint is named, so the offer can say why.

Amounts are integer fen, rates ``Decimal`` fractions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

_MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class PricingGrid:
    """Per grade (A best … E worst): the spread added to the product's floor spread, and the
    income multiple (months of income) a grade may borrow. A grade not listed is not lent to."""

    spread_by_grade: Mapping[str, Decimal] = field(
        default_factory=lambda: {
            "A": Decimal("0"),
            "B": Decimal("0.0030"),
            "C": Decimal("0.0070"),
            "D": Decimal("0.0120"),
            "E": Decimal("0.0200"),
        }
    )
    income_months_by_grade: Mapping[str, int] = field(
        default_factory=lambda: {"A": 36, "B": 30, "C": 24, "D": 15, "E": 8}
    )


@dataclass(frozen=True)
class Price:
    base_rate: Decimal
    spread: Decimal
    annual_rate: Decimal
    capped: bool  # the grade's spread was cut to the product's ceiling


def price(
    *,
    base_rate: Decimal,
    min_spread: Decimal,
    max_spread: Decimal,
    grade: str,
    grid: PricingGrid,
    provident_fund: bool = False,
) -> Price:
    """The contract rate for ``grade``: basis + floor spread + the grade's add-on, at most the
    ceiling. KeyError names a grade the grid does not lend to."""
    if grade not in grid.spread_by_grade:
        raise KeyError(
            f"grade {grade!r} is not in the pricing grid ({', '.join(grid.spread_by_grade)})"
        )
    if provident_fund:
        return Price(base_rate, Decimal(0), base_rate, capped=False)
    wanted = min_spread + grid.spread_by_grade[grade]
    spread = min(max(wanted, min_spread), max_spread)
    return Price(base_rate, spread, base_rate + spread, capped=spread < wanted)


def principal_for_instalment(instalment_fen: int, annual_rate: Decimal, term_months: int) -> int:
    """The largest equal-instalment principal that ``instalment_fen`` a month repays over
    ``term_months`` at ``annual_rate`` (the annuity's present value, rounded down to the fen)."""
    if instalment_fen <= 0 or term_months <= 0:
        return 0
    r = annual_rate / _MONTHS_PER_YEAR
    if r == 0:
        return instalment_fen * term_months
    factor = (1 - (1 + r) ** -term_months) / r
    return int((Decimal(instalment_fen) * factor).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class Limit:
    amount_fen: int
    binding: str  # product_max | income_multiple | dti_headroom | loan_to_value
    candidates: Mapping[str, int]


def limit(
    *,
    product_max_fen: int,
    grade: str,
    grid: PricingGrid,
    monthly_income_fen: int,
    monthly_debt_payment_fen: int,
    max_dti: Decimal,
    annual_rate: Decimal,
    term_months: int,
    max_ltv: Decimal | None = None,
    collateral_value_fen: int | None = None,
) -> Limit:
    """The most the applicant may borrow, and which constraint binds (the smallest candidate;
    ties go to the first in the order product_max, income_multiple, dti_headroom, loan_to_value)."""
    if grade not in grid.income_months_by_grade:
        raise KeyError(f"grade {grade!r} is not in the pricing grid")
    headroom = int(Decimal(monthly_income_fen) * max_dti) - monthly_debt_payment_fen
    candidates = {
        "product_max": product_max_fen,
        "income_multiple": monthly_income_fen * grid.income_months_by_grade[grade],
        "dti_headroom": principal_for_instalment(max(headroom, 0), annual_rate, term_months),
    }
    if max_ltv is not None and collateral_value_fen is not None:
        candidates["loan_to_value"] = int(
            (Decimal(collateral_value_fen) * max_ltv).to_integral_value(rounding=ROUND_FLOOR)
        )
    binding = min(candidates, key=lambda name: candidates[name])
    return Limit(max(candidates[binding], 0), binding, candidates)
