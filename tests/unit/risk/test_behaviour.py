"""The behavioural score (known answers, monotone: worse behaviour never scores better) and the
sampling of post-loan checks (deterministic, rising with risk)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.risk import behaviour as bh

CLEAN = bh.Behaviour(current_dpd=0, max_dpd_6m=0, max_dpd_12m=0, months_since_delinquency=None,
                     late_share=0.0, utilisation=0.2, months_on_book=30)  # fmt: skip


def test_known_answers() -> None:
    best = bh.score(CLEAN)
    assert best.score == 520 + 60 + 40 + 30 + 30 + 30 + 25 + 20 == 755
    assert best.grade == "A"
    assert abs(best.pd - 1 / (1 + 30 * 2 ** ((755 - 600) / 40))) < 1e-12
    bad = bh.score(bh.Behaviour(current_dpd=95, max_dpd_6m=95, max_dpd_12m=95, months_since_delinquency=0,
                                late_share=0.6, utilisation=0.95, months_on_book=2))  # fmt: skip
    assert bad.score == 520 - 110 - 40 - 20 - 5 - 40 + 0 + 0 == 305
    assert bad.grade == "E"
    assert bad.points["current_dpd"] == -110
    new = bh.score(replace(CLEAN, utilisation=1.0, months_on_book=0))
    assert (new.score, new.grade) == (710, "B")
    at_600 = bh.pd_of(600)
    assert abs(float(at_600) - 1 / 31) < 1e-12


def test_band_edges() -> None:
    pts = [
        bh.score(replace(CLEAN, current_dpd=d)).points["current_dpd"]
        for d in (0, 1, 7, 8, 30, 31, 90, 91)
    ]
    assert pts == [60, 20, 20, -10, -10, -40, -70, -110]
    since = [bh.score(replace(CLEAN, months_since_delinquency=m)).points["months_since_delinquency"]
             for m in (0, 2, 3, 5, 6, 11, 12, 100)]  # fmt: skip
    assert since == [-5, -5, 5, 5, 15, 15, 25, 25]
    assert list(bh.grade_of([720, 719, 680, 679, 630, 629, 560, 559])) == list("ABBCCDDE")


def test_the_vectorised_kernel_agrees_with_one_loan() -> None:
    rng = np.random.default_rng(1)
    n = 200
    cols = (rng.integers(0, 120, n), rng.integers(0, 120, n), rng.integers(0, 200, n),
            rng.integers(-1, 30, n), rng.random(n), rng.random(n) * 1.1, rng.integers(0, 60, n))  # fmt: skip
    scores, pds, grades = bh.score_many(*cols)
    for i in range(0, n, 17):
        one = bh.score(bh.Behaviour(int(cols[0][i]), int(cols[1][i]), int(cols[2][i]),
                                    None if cols[3][i] < 0 else int(cols[3][i]), float(cols[4][i]),
                                    float(cols[5][i]), int(cols[6][i])))  # fmt: skip
        assert (one.score, one.grade) == (int(scores[i]), str(grades[i]))
        assert abs(one.pd - float(pds[i])) < 1e-15


behaviours = st.builds(
    bh.Behaviour,
    current_dpd=st.integers(0, 400), max_dpd_6m=st.integers(0, 400), max_dpd_12m=st.integers(0, 400),
    months_since_delinquency=st.none() | st.integers(0, 60), late_share=st.floats(0, 1),
    utilisation=st.floats(0, 1), months_on_book=st.integers(0, 360),
)  # fmt: skip


@given(behaviours, st.integers(0, 100), st.floats(0, 1), st.integers(0, 60))
def test_worse_behaviour_never_scores_better(
    b: bh.Behaviour, more: int, frac: float, fewer: int
) -> None:
    worse = bh.Behaviour(
        current_dpd=b.current_dpd + more,
        max_dpd_6m=b.max_dpd_6m + more,
        max_dpd_12m=b.max_dpd_12m + more,
        months_since_delinquency=(max(0, b.months_since_delinquency - fewer)
                                  if b.months_since_delinquency is not None else fewer),
        late_share=b.late_share + (1 - b.late_share) * frac,
        utilisation=b.utilisation + (1 - b.utilisation) * frac,
        months_on_book=max(0, b.months_on_book - fewer),
    )  # fmt: skip
    good, bad = bh.score(b), bh.score(worse)
    assert bad.score <= good.score
    assert bad.pd >= good.pd
    assert bad.grade >= good.grade  # "A" < "B" < ... < "E"


@given(st.floats(0, 1), st.floats(0, 1), st.integers(0, 200_000_000), st.integers(0, 200_000_000))
def test_check_probability_rises_with_pd_and_amount(p1: float, p2: float, a1: int, a2: int) -> None:
    lo_p, hi_p = sorted((p1, p2))
    lo_a, hi_a = sorted((a1, a2))
    assert bh.check_probability(lo_p, lo_a) <= bh.check_probability(hi_p, hi_a)
    assert 0 < bh.check_probability(lo_p, lo_a) <= 1


def test_sampling_is_deterministic_and_large_loans_always_checked() -> None:
    ids = np.arange(1, 5001)
    pd = np.full(ids.size, 0.02)
    small = np.full(ids.size, 5_000_000)  # ¥50,000: p = 0.09 × 1.05
    seed = bh.seed_of(date(2026, 11, 29))
    first = bh.sampled(ids, pd, small, seed)
    assert np.array_equal(first, bh.sampled(ids, pd, small, seed))
    assert abs(first.mean() - 0.09 * 1.05) < 0.015
    assert not np.array_equal(first, bh.sampled(ids, pd, small, bh.seed_of(date(2026, 11, 30))))
    assert bh.sampled(ids, pd, np.full(ids.size, bh.LARGE_LOAN_FEN), seed).all()
    u = bh.uniform(seed, ids)
    assert u.min() >= 0
    assert u.max() < 1


def test_review_days() -> None:
    d = date(2026, 1, 31)
    assert bh.next_review_on(d, date(2026, 2, 1)) == date(2026, 7, 31)
    assert bh.next_review_on(d, date(2026, 7, 31)) == date(2026, 7, 31)
    assert bh.next_review_on(d, date(2026, 8, 1)) == date(2027, 1, 31)
    assert bh.add_months(d, 1) == date(2026, 2, 28)
    assert bh.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
