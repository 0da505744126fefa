"""Quotes of a fixed-rate product agree with numpy-financial to the fen, and the APR of the
PBoC example (¥12,000 over 12 months, 0 % interest, 0.5 % monthly fee: "6 %" flat) is 10.90 %."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import numpy_financial as npf
import pytest

from loanpilot.kit.errors import ValidationError
from loanpilot.products.models import (
    CollateralKind,
    LoanProduct,
    ProductStatus,
    ProductSubtype,
    ProductType,
    RateBasis,
)
from loanpilot.products.service import quote

ON = date(2026, 11, 29)


def product(**overrides: Any) -> LoanProduct:
    values: dict[str, Any] = {
        "id": 7,
        "code": "CL-TEST",
        "name_zh": "测试消费贷",
        "name_en": "Test loan",
        "product_type": ProductType.CONSUMER,
        "subtype": ProductSubtype.GENERAL_CONSUMER,
        "status": ProductStatus.ACTIVE,
        "min_amount_fen": 100_000,
        "max_amount_fen": 100_000_000,
        "min_term_months": 1,
        "max_term_months": 360,
        "rate_basis": RateBasis.FIXED,  # a fixed rate needs no rate table (no session used)
        "min_spread": Decimal("0.0432"),
        "max_spread": Decimal("0.12"),
        "monthly_fee_rate": Decimal(0),
        "upfront_fee_rate": Decimal(0),
        "repayment_methods": ["equal_instalment", "equal_principal", "interest_only", "bullet"],
        "collateral_required": CollateralKind.NONE,
        "eligibility": {},
        "component_product_ids": [],
        "launched_on": date(2020, 1, 1),
    }
    values.update(overrides)
    return LoanProduct(**values)


def half_up(x: float) -> int:
    return int(Decimal(repr(float(x))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize(
    ("amount_fen", "term", "spread"),
    [
        (15_000_000, 12, "0.0432"),
        (30_000_000, 36, "0.0595"),
        (123_456, 7, "0.12"),
        (80_000_000, 360, "0.05"),
    ],
)
def test_equal_instalment_agrees_with_numpy_financial(
    amount_fen: int, term: int, spread: str
) -> None:
    q = quote(
        None,  # type: ignore[arg-type]
        product(),
        amount_fen=amount_fen,
        term_months=term,
        method="equal_instalment",
        on=ON,
        spread=Decimal(spread),
    )
    r = float(Decimal(spread)) / 12
    instalment = half_up(-npf.pmt(r, term, amount_fen))
    s = q.schedule
    # every period but the last pays the numpy-financial instalment, to the fen
    assert s.payment_fen[:-1].tolist() == [instalment] * (term - 1)
    assert abs(int(s.payment_fen[-1]) - instalment) <= term  # the last one absorbs the rounding
    # interest of period 1 is numpy-financial's ipmt, to the fen
    assert int(s.interest_fen[0]) == half_up(-npf.ipmt(r, 1, term, amount_fen))
    # and each period's interest is the rate on its opening principal
    expected_interest = [half_up(op * r) for op in s.opening_principal_fen.tolist()]
    assert s.interest_fen.tolist() == expected_interest
    assert int(s.principal_fen.sum()) == amount_fen
    assert int(s.closing_principal_fen[-1]) == 0
    assert q.total_payment_fen == amount_fen + q.total_interest_fen
    assert q.annual_rate == Decimal(spread)
    # APR: numpy-financial's IRR of the flows x 12; without fees, the nominal rate give or take
    # the rounding to the fen
    irr = float(npf.irr(np.r_[-float(amount_fen), s.payment_fen.astype(float)])) * 12
    assert abs(float(q.apr) - irr) < 1e-6
    assert abs(q.apr - Decimal(spread)) <= Decimal("0.0001")


def test_flat_six_percent_is_apr_10_90() -> None:
    fee_product = product(
        min_spread=Decimal(0), max_spread=Decimal(0), monthly_fee_rate=Decimal("0.005")
    )
    q = quote(
        None,  # type: ignore[arg-type]
        fee_product,
        amount_fen=1_200_000,
        term_months=12,
        method="equal_instalment",
        on=ON,
    )
    assert q.schedule.payment_fen.tolist() == [106_000] * 12
    expected = float(npf.irr(np.r_[-1_200_000.0, [106_000.0] * 12])) * 12
    assert q.apr == Decimal("0.108964")
    assert q.apr == Decimal(expected).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    assert (q.apr * 100).quantize(Decimal("0.01")) == Decimal("10.90")
    assert q.total_fee_fen == 72_000  # 0.5 % x 12 x ¥12,000 = ¥720 = "6 %"


def test_upfront_fee_raises_the_apr() -> None:
    base = quote(
        None, product(), amount_fen=1_200_000, term_months=12, method="equal_instalment", on=ON
    )  # type: ignore[arg-type]
    with_fee = quote(
        None,  # type: ignore[arg-type]
        product(upfront_fee_rate=Decimal("0.01")),
        amount_fen=1_200_000,
        term_months=12,
        method="equal_instalment",
        on=ON,
    )
    assert with_fee.upfront_fee_fen == 12_000
    pay = with_fee.schedule.payment_fen.astype(float)
    expected = float(npf.irr(np.r_[-(1_200_000.0 - 12_000.0), pay])) * 12
    assert abs(float(with_fee.apr) - expected) < 1e-6
    assert with_fee.apr > base.apr


def test_a_bad_request_reports_every_problem() -> None:
    with pytest.raises(ValidationError) as caught:
        quote(
            None,  # type: ignore[arg-type]
            product(repayment_methods=["equal_instalment"]),
            amount_fen=1,
            term_months=400,
            method="bullet",
            on=ON,
            spread=Decimal("0.5"),
        )
    assert {p.field for p in caught.value.problems} == {"amount", "term_months", "method", "spread"}
