"""The one-row path of CompiledCard.score gives bit for bit what the vectorised path gives for
the same row, alone and inside a batch, with the same bins and counts (odd values included)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.analytics.scorecard_kernel import CompiledCard, ScoreResult
from loanpilot.analytics.scorecard_vars import CategoricalVar, NumericVar

EDGES = [-1.5, 0.0, 0.1, 2.0, 1e6]
CARD = CompiledCard(
    (
        NumericVar("a", EDGES, [10.1, -3.3, 7.7, 0.1, 0.2, 5.5], 1.25, (-2.0, 3.0)),
        NumericVar("b", [], [4.4], -2.5),
        CategoricalVar(
            "c", ("x", "y", "3", "True", ""), [0, 1, 1, 2, 0], [1.1, 2.2, -0.3], 0.7, -9.0
        ),
        NumericVar("d", [0.3], [0.1, 0.2], 0.3, (0.0, 1.0)),
    ),
    offset=487.1,
    factor=28.85,
    base=0.1,
)
numeric = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([*EDGES, -0.0, 0.3, math.nextafter(0.1, 1), math.nextafter(0.1, -1)]),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.floats(width=32).map(np.float32),
    st.integers(-(2**63), 2**63 - 1).map(np.int64),
    st.sampled_from(["1.5", "abc", pd.NA]),
)
category = st.one_of(
    st.none(),
    st.just(math.nan),
    st.sampled_from(["x", "y", "3", "True", "", "zz", "a\x00", "x\x00"]),
    st.integers(-5, 5),
    st.booleans(),
    st.floats(-5, 5),
    st.just(pd.NA),
)
row_st = st.fixed_dictionaries({"a": numeric, "b": numeric, "c": category, "d": numeric})


def _same(one: ScoreResult, ref: ScoreResult, i: int = 0) -> None:
    assert one.score.view(np.int64)[0] == ref.score.view(np.int64)[i]
    assert one.pd.view(np.int64)[0] == ref.pd.view(np.int64)[i]
    assert np.array_equal(one.points[0].view(np.int64), ref.points[i].view(np.int64))
    assert np.array_equal(one.bins[0], ref.bins[i])
    assert one.bins.dtype == ref.bins.dtype == np.int16
    assert one.points.shape == (1, 4)


def _column(v: object) -> object:
    """A one-element column as a DataFrame would hold it: text and ``pd.NA`` in an object
    array (``np.asarray("x\\x00")`` would drop the NUL), anything else as numpy infers it."""
    return np.array([v], dtype=object) if isinstance(v, str) or v is pd.NA else [v]


def _vectorised(row: dict[str, object]) -> ScoreResult | Exception:
    try:  # one-element columns never take the fast path
        return CARD.score({k: _column(v) for k, v in row.items()})
    except (ValueError, TypeError) as exc:
        return exc


@settings(max_examples=3000, deadline=None)
@given(row_st)
def test_fast_path_equals_vectorised_path(row: dict[str, object]) -> None:
    ref = _vectorised(row)
    if isinstance(ref, Exception):  # both paths refuse the row with the same message
        with pytest.raises(type(ref)) as raised:
            CARD.score(row)
        assert str(raised.value) == str(ref)
        return
    one = CARD.score(row)
    _same(one, ref)
    assert one.missing_counts == ref.missing_counts
    assert one.unseen_counts == ref.unseen_counts
    assert one.out_of_range_counts == ref.out_of_range_counts


plain_num = st.one_of(
    st.none(), st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(EDGES)
)
plain_row = st.fixed_dictionaries(
    {
        "a": plain_num,
        "b": plain_num,
        "c": st.sampled_from(["x", "y", "3", "zz", None]),
        "d": plain_num,
    }
)


@settings(max_examples=300, deadline=None)
@given(st.lists(plain_row, min_size=1, max_size=40))
def test_fast_path_equals_batch(some: list[dict[str, object]]) -> None:
    rows = (some * (300 // len(some) + 1))[:300]  # >= 256 rows: the comparison-counting path
    batch = CARD.score(pd.DataFrame(rows))
    for i, row in enumerate(rows):
        _same(CARD.score(row), batch, i)
