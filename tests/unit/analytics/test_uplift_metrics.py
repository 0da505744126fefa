"""Known answers of the uplift metrics on tiny hand-computed samples (see the module docstring)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.analytics import uplift_metrics as um

# sample A: y, treatment, score (distinct scores, highest first)
YA, TA, SA = [1, 0, 1, 0], [1, 1, 0, 0], [4.0, 3.0, 2.0, 1.0]
# sample B: the model ranks the only treated responder first
YB, TB, SB = [1, 0, 0, 0], [1, 1, 0, 0], [4.0, 3.0, 2.0, 1.0]


def test_qini_curve_known_answer() -> None:
    # k=1: 1 - 0; k=2: 1 - 0 (no control yet); k=3: 1 - 1*2/1; k=4: 1 - 1*2/2
    k, q = um.qini_curve(YA, SA, TA)
    assert k.tolist() == [0, 1, 2, 3, 4]
    assert q.tolist() == [0, 1, 1, -1, 0]


def test_uplift_curve_known_answer() -> None:
    # k=3: (1/2 - 1/1) * 3 = -1.5
    k, u = um.uplift_curve(YA, SA, TA)
    assert k.tolist() == [0, 1, 2, 3, 4]
    assert u.tolist() == [0, 1, 1, -1.5, 0]


def test_perfect_curves_known_answer() -> None:
    k, q = um.perfect_qini_curve(YA, TA)  # score y*t - y*(1-t) = 1, 0, -1, 0: one tie block
    assert k.tolist() == [0, 1, 3, 4]
    assert q.tolist() == [0, 1, 1, 0]
    k, u = um.perfect_uplift_curve(YA, TA)  # order: row 0, 3, 1, 2
    assert k.tolist() == [0, 1, 2, 3, 4]
    assert u.tolist() == [0, 1, 2, 1.5, 0]


def test_qini_coefficient_known_answer() -> None:
    # model area 1.0, random line to (4, 0) has area 0, perfect area 3 -> 1/3
    assert um.qini_coefficient(YA, SA, TA) == pytest.approx(1 / 3)
    assert um.qini_coefficient(YA, SA, TA, normalization="none") == pytest.approx(1.0)
    assert math.isnan(um.qini_coefficient(YA, SA, TA, normalization="gain"))  # Q(N) = 0


def test_qini_scales_differ_by_the_stated_factor() -> None:
    # B: curve 0,1,1,1,1 (area 3.5), random to (4, 1) (area 2): excess 1.5
    assert um.qini_coefficient(YB, SB, TB, normalization="none") == pytest.approx(1.5)
    assert um.qini_coefficient(YB, SB, TB) == pytest.approx(1.0)  # it is the perfect order
    assert um.qini_coefficient(YB, SB, TB, normalization="gain") == pytest.approx(1.5 / 4)


def test_auuc_known_answer() -> None:
    # model area 0.5, perfect area 4.5, random 0
    assert um.auuc(YA, SA, TA) == pytest.approx(0.5 / 4.5)
    assert um.auuc(YA, SA, TA, normalization="none") == pytest.approx(0.5)


def test_uplift_at_k_known_answer() -> None:
    # top 3: treated 1/2 respond, control 1/1
    assert um.uplift_at_k(YA, SA, TA, 0.75) == pytest.approx(-0.5)
    assert math.isnan(um.uplift_at_k(YA, SA, TA, 0.5))  # top 2 are all treated
    assert um.uplift_at_k(YA, SA, TA, 1.0) == pytest.approx(0.0)


def test_ties_are_taken_together() -> None:
    k, q = um.qini_curve(YA, [1.0] * 4, TA)
    assert k.tolist() == [0, 4]
    assert q.tolist() == [0, 0]
    assert um.qini_coefficient(YB, [1.0] * 4, TB) == pytest.approx(0.0)


def test_bad_input_names_every_problem() -> None:
    with pytest.raises(ValueError, match="same length"):
        um.qini_curve([1, 0], [1.0], [1, 0])
    with pytest.raises(ValueError, match="y must hold only 0 and 1") as err:
        um.qini_curve([2, 0], [1.0, float("nan")], [1, 0])
    assert "uplift must be finite" in str(err.value)
    with pytest.raises(ValueError, match="both treated"):
        um.qini_curve([1, 0], [1.0, 0.0], [1, 1])
    with pytest.raises(ValueError, match="normalization must be one of"):
        um.qini_coefficient(YA, SA, TA, normalization="causalml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must be a share"):
        um.uplift_at_k(YA, SA, TA, 0)


def test_curve_points_resample_with_the_random_line() -> None:
    k, q = um.qini_curve(YB, SB, TB)
    pts = um.curve_points(k, q, points=5)
    assert pts["share"] == [0, 0.25, 0.5, 0.75, 1]
    assert pts["value"] == [0, 1, 1, 1, 1]
    assert pts["random"] == [0, 0.25, 0.5, 0.75, 1]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.floats(-1, 1)), min_size=4, max_size=40))
def test_perfect_order_is_never_beaten(rows: list[tuple[bool, bool, float]]) -> None:
    y = np.array([r[0] for r in rows], dtype=int)
    t = np.array([r[1] for r in rows], dtype=int)
    s = np.array([r[2] for r in rows])
    if t.all() or not t.any():
        return
    raw = um.qini_coefficient(y, s, t, normalization="none")
    best = um.qini_coefficient(y, y * t - y * (1 - t), t, normalization="none")
    # the "perfect" curve (scikit-uplift's) ranks control responders last; an order that ranks
    # them before any treated row pays nothing for them (Q(k) has no control term while
    # n_t(k) = 0), e.g. y = 0 0 1 1, t = 0 1 0 0, so the claim holds for orders led by a treated
    # row (checked exhaustively up to six rows)
    if t[np.argmax(s)] == 1 and np.sum(s == s.max()) == 1:
        assert raw <= best + 1e-9
    # the end point of every curve is the whole sample's Q(N), whatever the order
    assert um.qini_curve(y, s, t)[1][-1] == pytest.approx(um.qini_curve(y, -s, t)[1][-1])
