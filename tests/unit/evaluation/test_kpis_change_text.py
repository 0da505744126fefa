"""The KPI page's change column: rounded half up as shown, never a negative zero."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loanpilot.evaluation.pages_kpis import _change_text


@pytest.mark.parametrize(
    ("code", "change", "lang", "text"),
    [
        ("npl_ratio", Decimal("-0.0000001"), "zh", "+0.00 个百分点"),
        ("npl_ratio", Decimal("-0.00012"), "en", "-0.01 pts"),
        ("approval_rate", Decimal("0.00005"), "en", "+0.01 pts"),
        ("satisfaction", Decimal("-0.004"), "en", "+0.00"),
        ("satisfaction", Decimal("0.125"), "zh", "+0.13"),
        ("applications", Decimal("-3"), "zh", "-3"),
        ("disbursed_fen", Decimal("-12345"), "en", "−¥123.45"),
        ("nps", None, "zh", "—"),
    ],
)
def test_change_text(code: str, change: Decimal | None, lang: str, text: str) -> None:
    assert _change_text(code, change, lang) == text  # type: ignore[arg-type]
