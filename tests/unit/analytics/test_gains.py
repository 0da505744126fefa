"""Lift and gains tables: known answers, properties, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.analytics.gains import gains_table, lift_table, top_lift


def test_known_answer() -> None:
    # 10 rows, 2 bins: the top 5 by p hold 3 of the 4 positives.
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    y = np.array([1, 1, 0, 1, 0, 0, 1, 0, 0, 0])
    lift = lift_table(y, p, bins=2)
    assert lift["count"].tolist() == [5, 5]
    assert lift["positives"].tolist() == [3, 1]
    assert lift["rate"].tolist() == [0.6, 0.2]
    assert lift["lift"].tolist() == pytest.approx([1.5, 0.5])
    assert lift["mean_probability"].tolist() == pytest.approx([0.7, 0.21])
    gains = gains_table(y, p, bins=2)
    assert gains["cum_gains_pct"].tolist() == pytest.approx([75.0, 100.0])
    assert gains["cum_population_pct"].tolist() == pytest.approx([50.0, 100.0])
    assert gains["cum_lift"].tolist() == pytest.approx([1.5, 1.0])
    assert top_lift(y, p, 0.2) == pytest.approx(2.5)  # top 2 rows: both positive, base 0.4


def test_ties_keep_input_order() -> None:
    y = np.array([1, 0, 0, 0])
    t = lift_table(y, np.full(4, 0.5), bins=2)
    assert t["positives"].tolist() == [1, 0]


@given(
    st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=10, max_size=200),
    st.integers(1, 10),
)
def test_properties(rows: list[tuple[bool, float]], bins: int) -> None:
    y = np.array([int(a) for a, _ in rows])
    p = np.array([b for _, b in rows])
    if y.sum() == 0:
        y[0] = 1
    g = gains_table(y, p, bins=bins)
    assert g["count"].sum() == len(y)
    assert g["count"].max() - g["count"].min() <= 1
    assert g["positives"].sum() == y.sum()
    assert g["cum_gains_pct"].iloc[-1] == pytest.approx(100.0)
    assert g["cum_lift"].iloc[-1] == pytest.approx(1.0)
    assert (np.diff(g["cum_gains_pct"]) >= -1e-9).all()


def test_errors_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="same length, got 2 and 3"):
        lift_table([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="no positive row"):
        gains_table([0, 0], [0.1, 0.2], bins=1)
    with pytest.raises(
        ValueError, match=r"bins must be between 1 and the number of rows \(2\), got 3"
    ):
        gains_table([0, 1], [0.1, 0.2], bins=3)
    with pytest.raises(ValueError, match=r"y must be 0/1.*\[2\]"):
        lift_table([0, 2], [0.1, 0.2], bins=1)
    with pytest.raises(ValueError, match="finite"):
        lift_table([0, 1], [0.1, np.nan], bins=1)
    with pytest.raises(ValueError, match=r"share must be a number in \(0, 1\], got 0"):
        top_lift([0, 1], [0.1, 0.2], 0)
