"""Known answers of the portfolio analytics (``analytics.portfolio``) on books small enough to
count by hand, and properties of the general rules."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.analytics import portfolio as pf
from loanpilot.analytics import stability


def test_buckets_at_their_boundaries() -> None:
    days = [0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 150, 151, 180, 181, 999]
    expected = ["M0", "M1", "M1", "M2", "M2", "M3", "M3", "M4", "M4", "M5", "M5", "M6", "M6",
                "M7+", "M7+"]  # fmt: skip
    assert pf.bucket_of(days).tolist() == expected
    with pytest.raises(ValueError, match="dpd must be >= 0"):
        pf.bucket_of([-1])


def test_last_month_end() -> None:
    assert pf.last_month_end(date(2026, 3, 31)) == date(2026, 3, 31)
    assert pf.last_month_end(date(2026, 3, 30)) == date(2026, 2, 28)
    assert pf.last_month_end(date(2024, 3, 1)) == date(2024, 2, 29)


def test_roll_rates_known_answer() -> None:
    # five loans: M0 stays (100), M0 → M1 (300), M0 settles (100); M1 → M2 (200); M2 written off
    pairs = pd.DataFrame(
        {
            "from_bucket": ["M0", "M0", "M0", "M1", "M2"],
            "to_state": ["M0", "M1", "settled", "M2", "written_off"],
            "balance_fen": [100, 300, 100, 200, 50],
        }
    )
    roll = pf.roll_rates(pairs)
    assert roll.loans.loc["M0"].sum() == 3
    assert roll.loans.loc["M0", "settled"] == 1
    assert roll.loan_share.loc["M0", "M1"] == pytest.approx(1 / 3)
    assert roll.balance_share.loc["M0", "M1"] == pytest.approx(300 / 500)
    assert roll.balance_share.loc["M0", "M0"] == pytest.approx(0.2)
    assert roll.balance_share.loc["M2", "written_off"] == pytest.approx(1.0)
    assert pd.isna(roll.balance_share.loc["M5", "M5"])  # an empty row has no shares
    assert list(roll.balance.columns) == [*pf.BUCKETS, "settled", "written_off"]
    flows = pf.flow_rates(roll).set_index("from")
    assert flows.loc["M0", "rate"] == pytest.approx(0.6)
    assert flows.loc["M0", "loan_rate"] == pytest.approx(1 / 3)
    assert flows.loc["M1", "rate"] == pytest.approx(1.0)
    assert flows.loc["M2", "rate"] == pytest.approx(0.0)
    assert pd.isna(flows.loc["M3", "rate"])
    assert list(flows.index) == list(pf.BUCKETS[:-1])


def test_roll_rates_read_grouped_rows_like_loan_rows() -> None:
    loans = pd.DataFrame(
        {
            "from_bucket": ["M0", "M0", "M1"],
            "to_state": ["M1", "M1", "M0"],
            "balance_fen": [1, 2, 3],
        }
    )
    grouped = pd.DataFrame(
        {
            "from_bucket": ["M0", "M1"],
            "to_state": ["M1", "M0"],
            "balance_fen": [3, 3],
            "loans": [2, 1],
        }
    )
    a, b = pf.roll_rates(loans), pf.roll_rates(grouped)
    pd.testing.assert_frame_equal(a.loans, b.loans)
    pd.testing.assert_frame_equal(a.balance_share, b.balance_share)


def test_roll_rates_refuse_unknown_states() -> None:
    with pytest.raises(ValueError, match="unknown buckets"):
        pf.roll_rates(pd.DataFrame({"from_bucket": ["M9"], "to_state": ["M0"], "balance_fen": [1]}))
    with pytest.raises(ValueError, match="lacks columns"):
        pf.roll_rates(pd.DataFrame({"from_bucket": ["M0"]}))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(pf.BUCKETS), st.sampled_from(pf.STATES), st.integers(0, 10_000)),
        min_size=1,
        max_size=40,
    )
)
def test_roll_rate_rows_sum_to_one(rows: list[tuple[str, str, int]]) -> None:
    frame = pd.DataFrame(rows, columns=["from_bucket", "to_state", "balance_fen"])
    roll = pf.roll_rates(frame)
    sums = roll.loan_share.sum(axis=1, min_count=1)
    for bucket in set(frame["from_bucket"]):
        assert sums[bucket] == pytest.approx(1.0)
    assert int(roll.loans.to_numpy().sum()) == len(rows)
    assert int(roll.balance.to_numpy().sum()) == int(frame["balance_fen"].sum())


def _book() -> pd.DataFrame:
    # as of 2026-03-15: the last month end is 2026-02-28
    return pd.DataFrame(
        {
            "cohort": ["2025-12", "2025-12", "2025-12", "2025-12", "2026-01", "2026-01", "2026-03"],
            "principal_fen": [100, 100, 200, 600, 300, 100, 500],
            "m1_month": ["2026-01", "2026-02", None, "2026-03", "2026-02", None, None],
            "m3_month": [None, "2026-02", None, None, None, None, None],
            "product": ["a", "a", "b", "b", "a", "b", "a"],
        }
    )


def test_vintage_curves_known_answer() -> None:
    out = pf.vintage_curves(_book(), date(2026, 3, 15)).set_index(["cohort", "mob"])
    # cohort 2025-12 is observed at the ends of Dec (mob 0), Jan (1) and Feb (2)
    assert out.loc[("2025-12", 0), "loans"] == 4
    assert out.loc[("2025-12", 0), "m1_share"] == 0.0
    assert out.loc[("2025-12", 1), "m1_share"] == pytest.approx(0.25)
    assert out.loc[("2025-12", 2), "m1_share"] == pytest.approx(0.5)
    assert out.loc[("2025-12", 2), "m1_balance_share"] == pytest.approx(200 / 1000)
    assert out.loc[("2025-12", 2), "m3_share"] == pytest.approx(0.25)
    assert out.loc[("2025-12", 1), "m3_share"] == 0.0
    # the March default is after the last month end: not yet on the curve
    assert ("2025-12", 3) not in out.index
    assert out.loc[("2026-01", 1), "m1_share"] == pytest.approx(0.5)
    assert out.loc[("2026-01", 1), "m1_balance_share"] == pytest.approx(0.75)
    assert ("2026-03", 0) not in out.index  # not one month end yet


def test_vintage_curves_pooled_by_a_dimension() -> None:
    out = pf.vintage_curves(_book(), date(2026, 3, 15), by="product").set_index(["product", "mob"])
    # product a: loans 1, 2 (Dec) and 5 (Jan); at mob 2 only the December loans are observed
    assert out.loc[("a", 0), "loans"] == 3
    assert out.loc[("a", 1), "m1_share"] == pytest.approx(2 / 3)
    assert out.loc[("a", 2), "loans"] == 2
    assert out.loc[("a", 2), "m1_share"] == pytest.approx(1.0)
    assert out.loc[("b", 2), "m1_share"] == 0.0


def test_vintage_grouped_rows_match_loan_rows() -> None:
    book = _book().drop(columns="product")
    grouped = (
        book.assign(loans=1)
        .groupby(["cohort", "m1_month", "m3_month"], dropna=False, as_index=False)
        .sum()
    )
    a = pf.vintage_curves(book, date(2026, 3, 15))
    b = pf.vintage_curves(grouped, date(2026, 3, 15))
    pd.testing.assert_frame_equal(a, b)


def test_vintage_refuses_an_event_before_origination() -> None:
    book = pd.DataFrame(
        {"cohort": ["2026-02"], "principal_fen": [1], "m1_month": ["2026-01"], "m3_month": [None]}
    )
    with pytest.raises(ValueError, match="must not precede"):
        pf.vintage_curves(book, date(2026, 3, 31))


def test_first_payment_default_known_answer() -> None:
    due = [date(2026, 1, 10)] * 3 + [date(2026, 2, 20)]
    dpd30 = [date(2026, 2, 10), date(2026, 3, 12), None, None]
    assert pf.is_fpd30(due, dpd30).tolist() == [True, False, False, False]
    as_of = date(2026, 3, 20)
    assert pf.fpd_observable(due, as_of).tolist() == [True, True, True, False]
    frame = pd.DataFrame(
        {
            "cohort": ["2025-12", "2025-12", "2025-12", "2026-01"],
            "observable": pf.fpd_observable(due, as_of),
            "fpd": pf.is_fpd30(due, dpd30),
            "principal_fen": [100, 300, 600, 50],
        }
    )
    out = pf.first_payment_default(frame).set_index("cohort")
    assert out.loc["2025-12", "loans"] == 3
    assert out.loc["2025-12", "fpd_rate"] == pytest.approx(1 / 3)
    assert out.loc["2025-12", "fpd_balance_rate"] == pytest.approx(0.1)
    assert "2026-01" not in out.index


def test_funnel_rates_known_answer() -> None:
    frame = pd.DataFrame(
        {
            "month": ["a", "b"],
            "applications": [10, 0],
            "decided": [8, 0],
            "approved": [6, 0],
            "disbursed": [3, 0],
        }
    )
    out = pf.funnel_rates(frame)
    assert out.loc[0, "approval_rate"] == pytest.approx(0.75)
    assert out.loc[0, "pass_through"] == pytest.approx(0.3)
    assert out.loc[0, "take_up"] == pytest.approx(0.5)
    assert pd.isna(out.loc[1, "approval_rate"])
    bad = frame.assign(disbursed=[7, 0])
    with pytest.raises(ValueError, match="narrow down"):
        pf.funnel_rates(bad)


def test_concentration_known_answer() -> None:
    frame = pd.DataFrame({"key": ["x", "y", "z", "x"], "balance_fen": [30, 20, 10, 40]})
    c = pf.concentration(frame, top_n=1)
    assert c.table["key"].tolist() == ["x", "y", "z"]
    assert c.table["share"].tolist() == pytest.approx([0.7, 0.2, 0.1])
    assert c.table["cumulative_share"].tolist() == pytest.approx([0.7, 0.9, 1.0])
    assert c.table["loans"].tolist() == [2, 1, 1]
    assert c.top_share == pytest.approx(0.7)
    assert c.hhi == pytest.approx(0.49 + 0.04 + 0.01)
    assert c.equivalent_n == pytest.approx(1 / 0.54)
    even = pf.concentration(pd.DataFrame({"key": list("abcd"), "balance_fen": [5] * 4}))
    assert even.hhi == pytest.approx(0.25)
    with pytest.raises(ValueError, match="top_n"):
        pf.concentration(frame, top_n=0)


def test_applicant_stability_reuses_psi() -> None:
    rng = np.random.default_rng(7)
    base = pd.DataFrame({"score": rng.normal(600, 50, 2000), "age": rng.integers(20, 60, 2000)})
    same = base.sample(frac=1.0, random_state=1)
    shifted = base.assign(score=base["score"] + 60)
    psi_same, table = pf.applicant_stability(base, same, features=["age"])
    assert psi_same.value == pytest.approx(0.0, abs=1e-12)
    assert table["variable"].tolist() == ["age"]
    psi_shift, _ = pf.applicant_stability(base, shifted)
    expected = stability.psi(base["score"], shifted["score"], 10).value
    assert psi_shift.value == pytest.approx(expected)
    assert stability.psi_band(psi_shift.value) == "shift"
