"""Known answers, batch == one row, JSON and SQL round trips for ``analytics.scorecard_kernel``."""

from __future__ import annotations

import json
import math
import re
import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from loanpilot.analytics.scorecard_kernel import (
    CategoricalVar,
    CompiledCard,
    NumericVar,
    ScoreResult,
    points_for,
    scaling,
)

HYP = hsettings(database=None, deadline=None, max_examples=40)
OFFSET, FACTOR = scaling()


def small_card(base: float = 0.0) -> CompiledCard:
    age = NumericVar("age", np.array([25.0, 40.0]), np.array([10.0, 30.0, 50.0]), 20.0)
    income = NumericVar(
        "income", np.array([5000.0]), np.array([-5.0, 15.0]), 0.0, train_range=(0.0, 1e6)
    )
    job = CategoricalVar(
        "job",
        ("clerk", "owner", "it's"),
        np.array([0, 1, 1]),
        np.array([12.0, 40.0]),
        missing_points=5.0,
        unseen_points=-1.0,
    )
    return CompiledCard((age, income, job), OFFSET, FACTOR, base)


def random_card(seed: int) -> CompiledCard:
    rng = np.random.default_rng(seed)
    variables: list[NumericVar | CategoricalVar] = []
    for j in range(6):
        k = int(rng.integers(0, 6))
        edges = np.sort(rng.choice(np.arange(-50, 50), size=k, replace=False)) + 0.5
        variables.append(NumericVar(f"n{j}", edges, rng.normal(20, 10, k + 1), rng.normal(20, 10)))
    cats = ("a", "b", "c'q", 'd"e', "3", "é")
    for j in range(3):
        nb = int(rng.integers(1, 4))
        variables.append(
            CategoricalVar(
                f'c "{j}"',
                cats,
                rng.integers(0, nb, len(cats)),
                rng.normal(20, 10, nb),
                rng.normal(20, 10),
                rng.normal(20, 10),
            )
        )
    return CompiledCard(tuple(variables), OFFSET, FACTOR, float(rng.normal(0, 5)))


def random_frame(card: CompiledCard, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for v in card.variables:
        if isinstance(v, NumericVar):
            x = rng.choice(np.arange(-60, 61), n).astype(float)  # hits edges +- 0.5 and ints
            x = x + rng.choice([0.0, 0.5, 0.25], n)
            x[rng.random(n) < 0.1] = np.nan
            cols[v.name] = x
        else:
            pool = np.array([*v.categories, "zz", None], dtype=object)
            cols[v.name] = rng.choice(pool, n)
    return pd.DataFrame(cols)


# --- scaling and points -------------------------------------------------------------------


def test_scaling_known_answer() -> None:
    offset, factor = scaling()
    assert factor == pytest.approx(20 / math.log(2))
    assert factor == pytest.approx(28.85390081777927)
    assert offset == pytest.approx(600 - 28.85390081777927 * math.log(50))
    assert offset == pytest.approx(487.1228762045055)
    card = CompiledCard((), offset, factor)
    pd_600, pd_620, pd_580 = card.pd_of([600.0, 620.0, 580.0])
    assert pd_600 == pytest.approx(1 / 51)  # 50:1 good:bad at 600
    assert pd_620 == pytest.approx(1 / 101)  # +20 points doubles the odds
    assert pd_580 == pytest.approx(1 / 26)
    assert scaling(500, 1, 50) == pytest.approx((500.0, 50 / math.log(2)))


def test_points_for_known_answer_and_sign() -> None:
    # one variable: coef -1 on WoE (model of ln odds_bad), intercept -2, n = 2
    pts = points_for([0.5, -0.5], -1.0, -2.0, 2, OFFSET, FACTOR)
    expected = [-(-0.5 - 1.0) * FACTOR + OFFSET / 2, -(0.5 - 1.0) * FACTOR + OFFSET / 2]
    np.testing.assert_allclose(pts, expected)
    assert pts[0] > pts[1]  # higher WoE -> more points
    good = points_for([0.5, -0.5], 1.0, 2.0, 2, OFFSET, FACTOR, log_odds_of="good")
    np.testing.assert_allclose(good, pts)


def test_points_sum_to_scaled_log_odds_of_sklearn_model() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    bins_a = rng.integers(0, 3, n)
    bins_b = rng.integers(0, 2, n)
    woe_a = np.array([-0.8, 0.1, 0.9])
    woe_b = np.array([-0.4, 0.6])
    logit_bad = -1.5 - 0.9 * woe_a[bins_a] - 1.1 * woe_b[bins_b]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit_bad))).astype(int)  # 1 = bad
    x = np.column_stack([woe_a[bins_a], woe_b[bins_b]])
    lr = LogisticRegression(C=1e6).fit(x, y)
    coef, intercept = lr.coef_[0], float(lr.intercept_[0])
    assert (coef < 0).all()
    pa = points_for(woe_a, coef[0], intercept, 2, OFFSET, FACTOR)
    pb = points_for(woe_b, coef[1], intercept, 2, OFFSET, FACTOR)
    assert pa[2] > pa[1] > pa[0]
    card = CompiledCard(
        (
            NumericVar("a", [0.5, 1.5], pa, 0.0),
            NumericVar("b", [0.5], pb, 0.0),
        ),
        OFFSET,
        FACTOR,
    )
    res = card.score({"a": bins_a, "b": bins_b})
    p_bad = lr.predict_proba(x)[:, 1]
    np.testing.assert_allclose(res.score, OFFSET + FACTOR * np.log((1 - p_bad) / p_bad), rtol=1e-12)
    np.testing.assert_allclose(res.pd, p_bad, rtol=1e-9)


# --- scoring ------------------------------------------------------------------------------


def test_score_by_hand() -> None:
    card = small_card(base=1.5)
    frame = pd.DataFrame(
        {
            "age": [24.9, 25.0, 40.0, np.nan, 99.0],
            "income": [4999.0, 5000.0, 2e6, np.nan, -1.0],
            "job": ["clerk", "owner", "it's", None, "pilot"],
            "ignored": [1, 2, 3, 4, 5],
        }
    )
    res = card.score(frame)
    assert isinstance(res, ScoreResult)
    np.testing.assert_array_equal(
        res.points,
        [[10, -5, 12], [30, 15, 40], [50, 15, 40], [20, 0, 5], [50, -5, -1]],
    )
    np.testing.assert_array_equal(res.score, [18.5, 86.5, 106.5, 26.5, 45.5])
    np.testing.assert_array_equal(res.bins, [[0, 0, 0], [1, 1, 1], [2, 1, 1], [3, 2, 2], [2, 0, 3]])
    assert res.missing_counts == {"age": 1, "income": 1, "job": 1}
    assert res.unseen_counts == {"age": 0, "income": 0, "job": 1}
    assert res.out_of_range_counts == {"age": 0, "income": 2, "job": 0}
    np.testing.assert_allclose(res.pd, 1 / (1 + np.exp((res.score - OFFSET) / FACTOR)))
    assert res.score.dtype == np.float64
    assert res.variables == ("age", "income", "job")


def test_fast_path_equals_searchsorted_path() -> None:
    card = random_card(3)
    frame = random_frame(card, 3000, 4)
    big = card.score(frame)
    for start in range(0, 3000, 200):  # chunks below and above the fast-path threshold
        part = card.score(frame.iloc[start : start + 200])
        np.testing.assert_array_equal(part.score, big.score[start : start + 200])
        np.testing.assert_array_equal(part.bins, big.bins[start : start + 200])
    for v, j in zip(card.variables, range(len(card.variables)), strict=True):
        if isinstance(v, NumericVar):
            x = frame[v.name].to_numpy()
            want = np.searchsorted(v.edges, x, side="right")
            want[np.isnan(x)] = v.n_bins
            np.testing.assert_array_equal(big.bins[:, j], want)


@HYP
@given(seed=st.integers(0, 2**32 - 1), row=st.integers(0, 999))
def test_one_row_scores_exactly_as_inside_a_batch(seed: int, row: int) -> None:
    card = random_card(seed % 50)
    frame = random_frame(card, 1000, seed)
    batch = card.score(frame)
    one = card.score(frame.iloc[row].to_dict())
    assert one.score[0] == batch.score[row]  # exact float equality, no rounding
    assert one.pd[0] == batch.pd[row]
    np.testing.assert_array_equal(one.points[0], batch.points[row])
    np.testing.assert_array_equal(one.bins[0], batch.bins[row])


_SCALARS = st.one_of(
    st.none(),
    st.just(math.nan),
    st.just(np.float64("nan")),
    st.integers(-70, 70),
    st.floats(-70, 70, allow_nan=False),
    st.sampled_from([np.float64(0.5), np.float32(2.5), np.int64(-3), np.int32(40), True, False]),
    st.sampled_from([-math.inf, math.inf, 24.999999999, 25.0, 40.0, 5000.0]),
    st.sampled_from(["a", "b", "c'q", 'd"e', "3", "é", "zz", "", " a"]),
)


@HYP
@given(seed=st.integers(0, 49), values=st.lists(_SCALARS, min_size=9, max_size=9))
def test_the_one_row_path_equals_the_batch_path(seed: int, values: list[object]) -> None:
    """One applicant as scalars takes the plain-Python path (``_score_row``); it must give the
    batch's bins, points, counts and score bit for bit, or fall back to the batch path."""
    card = random_card(seed)
    row = dict(zip(card.names, values, strict=True))
    try:
        batch = card.score({k: [v] for k, v in row.items()})
    except ValueError as exc:  # text in a numeric column: the one-row path refuses it alike
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            card.score(row)
        return
    one = card.score(row)
    assert one.score[0] == batch.score[0]
    assert one.pd[0] == batch.pd[0]
    np.testing.assert_array_equal(one.points, batch.points)
    np.testing.assert_array_equal(one.bins, batch.bins)
    assert one.missing_counts == batch.missing_counts
    assert one.unseen_counts == batch.unseen_counts
    assert one.out_of_range_counts == batch.out_of_range_counts


def test_one_row_of_plain_scalars_takes_the_fast_path() -> None:
    card = small_card(base=3.0)
    row = {"age": 30, "income": 6000.0, "job": "owner"}
    fast = card._score_row(row)
    assert fast is not None
    assert fast.score[0] == 3.0 + 30.0 + 15.0 + 40.0
    assert card._score_row({"age": "30", "income": 1.0, "job": "x"}) is None  # text: batch path


def test_mapping_of_lists_numbers_as_categories_and_pandas_dtypes() -> None:
    card = CompiledCard(
        (
            CategoricalVar("grade", ("1", "2", "2.5", "True"), [0, 1, 1, 1], [1.0, 2.0], 0.0, -9.0),
            NumericVar("x", [0.0], [1.0, 2.0], 7.0),
        ),
        OFFSET,
        FACTOR,
    )
    many = [1.0, 2, 2.5, np.nan, "3", None, True] * 5
    objs = np.array(many, dtype=object)
    xs = pd.array([1, None, -1, 2, 3, 4, 5] * 5, dtype="Int64")
    res = card.score(pd.DataFrame({"grade": objs, "x": xs}))
    assert res.bins[:7, 0].tolist() == [0, 1, 1, 2, 3, 2, 1]
    assert res.bins[:7, 1].tolist() == [1, 2, 0, 1, 1, 1, 1]
    one = card.score({"grade": 2.0, "x": "5"})  # numeric text in a numeric column is read
    assert one.score[0] == 4.0
    floats = card.score({"grade": np.array([1.0, 2.5, np.nan] * 10), "x": np.zeros(30)})
    assert floats.bins[:3, 0].tolist() == [0, 1, 2]


def test_empty_frame() -> None:
    res = small_card().score(pd.DataFrame({"age": [], "income": [], "job": []}))
    assert res.score.shape == (0,)
    assert res.points.shape == (0, 3)


# --- reasons ------------------------------------------------------------------------------


def test_reasons_known_answer() -> None:
    card = small_card()
    # best: age 50, income 15, job 40
    res = card.score(
        {
            "age": [24.0, 45.0, 30.0],
            "income": [100.0, 6000.0, 100.0],
            "job": ["clerk", "owner", "x"],
        }
    )
    rc = card.reasons(res, top=3)
    assert rc.variables.tolist() == [
        ["age", "job", "income"],
        ["", "", ""],
        ["job", "age", "income"],
    ]
    np.testing.assert_array_equal(rc.lost, [[40, 28, 20], [0, 0, 0], [41, 20, 20]])
    assert rc.bins.tolist() == [[0, 0, 0], [-1, -1, -1], [3, 1, 0]]
    top1 = card.reasons(res.points, top=1)
    assert top1.variables.tolist() == [["age"], [""], ["job"]]
    assert top1.bins.tolist() == [[-1], [-1], [-1]]
    assert card.reasons(res, top=10).lost.shape == (3, 3)


# --- JSON, SQL, points table --------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_json_round_trip_scores_identically(seed: int) -> None:
    card = random_card(seed)
    text = json.dumps(card.to_dict(), allow_nan=False)
    again = CompiledCard.from_dict(json.loads(text))
    assert again.to_dict() == card.to_dict()
    frame = random_frame(card, 500, seed)
    a, b = card.score(frame), again.score(frame)
    np.testing.assert_array_equal(a.score, b.score)
    np.testing.assert_array_equal(a.pd, b.pd)
    small = small_card(2.0)
    assert (
        CompiledCard.from_dict(json.loads(json.dumps(small.to_dict()))).to_dict() == small.to_dict()
    )


@HYP
@given(seed=st.integers(0, 2**32 - 1))
def test_sql_case_matches_kernel_in_sqlite(seed: int) -> None:
    card = random_card(seed % 50)
    frame = random_frame(card, 200, seed)
    names = list(card.names)
    con = sqlite3.connect(":memory:")
    cols = ", ".join(
        '"' + n.replace('"', '""') + '" ' + ("REAL" if isinstance(v, NumericVar) else "TEXT")
        for n, v in zip(names, card.variables, strict=True)
    )
    con.execute(f"CREATE TABLE apps (rid INTEGER PRIMARY KEY, {cols})")
    rows = [
        (i, *[None if pd.isna(val) else val for val in rec])
        for i, rec in enumerate(frame[names].itertuples(index=False, name=None))
    ]
    marks = ", ".join("?" * (len(names) + 1))
    con.executemany(f"INSERT INTO apps VALUES ({marks})", rows)
    sql = f"SELECT {card.to_sql_case('t')} FROM apps AS t ORDER BY rid"
    got = np.array([r[0] for r in con.execute(sql)], dtype=float)
    np.testing.assert_allclose(got, card.score(frame).score, rtol=0, atol=1e-9)
    no_alias = card.to_sql_case(None)
    got2 = np.array([r[0] for r in con.execute(f"SELECT {no_alias} FROM apps ORDER BY rid")])
    np.testing.assert_allclose(got2, got, rtol=0, atol=1e-9)
    con.close()


def test_sql_text_quotes_safely() -> None:
    sql = small_card().to_sql_case("t")
    assert "'it''s'" in sql
    assert 'WHEN "t"."age" IS NULL THEN 20.0' in sql
    assert 'WHEN "t"."age" < 25.0 THEN 10.0' in sql
    assert "ELSE (-1.0) END" in sql


def test_points_table() -> None:
    table = small_card(base=3.0).points_table()
    assert list(table.columns) == ["variable", "kind", "bin", "label", "points"]
    age = table[table.variable == "age"]
    assert age.label.tolist() == ["(-inf, 25.0)", "[25.0, 40.0)", "[40.0, inf)", "missing"]
    assert age.points.tolist() == [10.0, 30.0, 50.0, 20.0]
    job = table[table.variable == "job"]
    assert job.label.tolist() == ["clerk", "owner, it's", "missing", "unseen"]
    assert job.bin.tolist() == [0, 1, 2, 3]
    assert table.iloc[0].tolist() == ["(base)", "base", -1, "all rows", 3.0]


# --- parameter errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"edges": [1.0, 1.0], "points": [1, 2, 3]}, "edges must be strictly increasing"),
        ({"edges": [2.0, 1.0], "points": [1, 2, 3]}, "edges must be strictly increasing"),
        ({"edges": [np.nan], "points": [1, 2]}, "edges must be finite"),
        ({"edges": [1.0], "points": [1, 2, 3]}, r"points must have len\(edges\) \+ 1 = 2"),
        ({"edges": [1.0], "points": [1, np.inf]}, "points must be finite"),
        ({"edges": [1.0], "points": [1, 2], "missing_points": np.nan}, "missing_points"),
        ({"edges": [1.0], "points": [1, 2], "train_range": (5, 1)}, "train_range"),
    ],
)
def test_numeric_var_errors(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"name": "age", "missing_points": 0.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        NumericVar(**args)  # type: ignore[arg-type]


def test_categorical_var_errors() -> None:
    with pytest.raises(ValueError, match=r"bin_of_category must be in 0\.\.1"):
        CategoricalVar("job", ("a", "b"), [0, 2], [1.0, 2.0], 0.0, 0.0)
    with pytest.raises(ValueError, match="one bin per category"):
        CategoricalVar("job", ("a", "b"), [0], [1.0, 2.0], 0.0, 0.0)
    with pytest.raises(ValueError, match="categories must be unique"):
        CategoricalVar("job", ("a", "a"), [0, 0], [1.0], 0.0, 0.0)
    with pytest.raises(ValueError, match="unseen_points"):
        CategoricalVar("job", ("a",), [0], [1.0], 0.0, np.nan)


def test_card_and_frame_errors() -> None:
    card = small_card()
    with pytest.raises(ValueError, match=r"missing the card's column\(s\) \['income'\]"):
        card.score({"age": [1.0], "job": ["a"]})
    with pytest.raises(
        ValueError, match="column 'age' is numeric in the card but holds text 'old'"
    ):
        card.score(pd.DataFrame({"age": [30, "old"] * 200, "income": 1.0, "job": "a"}))
    with pytest.raises(ValueError, match=r"column 'age' is numeric .* text 'x'"):
        card.score({"age": "x", "income": 1.0, "job": "a"})
    with pytest.raises(ValueError, match="column 'income' has 2 rows"):
        card.score({"age": [1.0], "income": [1.0, 2.0], "job": ["a"]})
    with pytest.raises(TypeError, match="frame must be"):
        card.score([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unique names"):
        CompiledCard((card.variables[0], card.variables[0]), OFFSET, FACTOR)
    with pytest.raises(ValueError, match="factor must be > 0"):
        CompiledCard((), OFFSET, -1.0)
    with pytest.raises(ValueError, match="top must be an integer >= 1"):
        card.reasons(np.zeros((1, 3)), top=0)
    with pytest.raises(ValueError, match="points must be n x 3"):
        card.reasons(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="pdo must be > 0"):
        scaling(pdo=0)
    with pytest.raises(ValueError, match="base_odds must be > 0"):
        scaling(base_odds=-1)
    with pytest.raises(ValueError, match="log_odds_of"):
        points_for([0.1], 1.0, 0.0, 1, OFFSET, FACTOR, log_odds_of="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_vars must be an integer >= 1"):
        points_for([0.1], 1.0, 0.0, 0, OFFSET, FACTOR)


def test_from_dict_errors() -> None:
    data = small_card().to_dict()
    with pytest.raises(ValueError, match="format_version must be 1"):
        CompiledCard.from_dict({**data, "format_version": 2})
    with pytest.raises(ValueError, match="lacks the field 'factor'"):
        CompiledCard.from_dict({k: v for k, v in data.items() if k != "factor"})
    with pytest.raises(ValueError, match="variable kind"):
        CompiledCard.from_dict({**data, "variables": [{**data["variables"][0], "kind": "x"}]})
