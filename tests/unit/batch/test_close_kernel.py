"""The daily close's kernel: known answers at every bucket and class boundary, overrides, the
first 30+/90+ days, the summary; and property tests against a plain per-loan reference."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.batch.close_kernel import (
    DPD30,
    DPD90,
    NO_OVERRIDE,
    LoanState,
    OpenLines,
    changed,
    class_ranks,
    close_loans,
    summarise,
)
from loanpilot.risk.rules import BUCKETS, FIVE_CLASSES

AS_OF = date(2026, 11, 29)
NAT = np.datetime64("NaT", "D")


def d64(day: date) -> np.datetime64:
    return np.datetime64(day, "D")


def state(n: int, **cols: object) -> LoanState:
    base: dict[str, object] = {
        "loan_id": np.arange(1, n + 1, dtype=np.int64),
        "outstanding_principal_fen": np.full(n, 1_000_000, dtype=np.int64),
        "max_dpd": np.zeros(n, dtype=np.int64),
        "first_dpd30_on": np.full(n, NAT),
        "first_dpd90_on": np.full(n, NAT),
        "override_rank": np.full(n, NO_OVERRIDE, dtype=np.int64),
    }
    base.update(cols)
    return LoanState(**base)  # type: ignore[arg-type]


def one_line_each(dpds: list[int]) -> OpenLines:
    n = len(dpds)
    return OpenLines(
        loan_id=np.arange(1, n + 1, dtype=np.int64),
        due_on=np.array([d64(AS_OF - timedelta(days=d)) for d in dpds], dtype="M8[D]"),
        unpaid_principal_fen=np.full(n, 500, dtype=np.int64),
        unpaid_interest_fen=np.full(n, 50, dtype=np.int64),
    )


BOUNDARIES = [
    # dpd, bucket, class by the 2023 rules (no technical delay: an ordinary late payment)
    (1, "M1", "special_mention"),
    (7, "M1", "special_mention"),
    (8, "M1", "special_mention"),
    (30, "M1", "special_mention"),
    (31, "M2", "special_mention"),
    (60, "M2", "special_mention"),
    (61, "M3", "special_mention"),
    (90, "M3", "special_mention"),
    (91, "M4", "substandard"),
    (120, "M4", "substandard"),
    (121, "M5", "substandard"),
    (150, "M5", "substandard"),
    (151, "M6", "substandard"),
    (180, "M6", "substandard"),
    (181, "M7+", "substandard"),
    (270, "M7+", "substandard"),
    (271, "M7+", "doubtful"),
    (360, "M7+", "doubtful"),
    (361, "M7+", "loss"),
]


@pytest.mark.parametrize(("dpd", "bucket", "cls"), BOUNDARIES)
def test_bucket_and_class_at_each_boundary(dpd: int, bucket: str, cls: str) -> None:
    out = close_loans(one_line_each([dpd]), state(1), AS_OF)
    assert out.dpd.tolist() == [dpd]
    assert out.bucket.tolist() == [bucket]
    assert out.rule_class.tolist() == [cls]
    assert out.five_class.tolist() == [cls]
    assert out.class_source.tolist() == ["rule"]
    assert out.overdue_principal_fen.tolist() == [500]
    assert out.overdue_interest_fen.tolist() == [50]


def test_all_boundaries_at_once_and_loans_without_arrears() -> None:
    dpds = [b[0] for b in BOUNDARIES]
    lines = one_line_each(dpds)
    loans = state(len(dpds) + 2)  # two loans more, with no overdue line: DPD 0, M0, normal
    out = close_loans(lines, loans, AS_OF)
    assert out.dpd.tolist() == [*dpds, 0, 0]
    assert out.bucket.tolist() == [b[1] for b in BOUNDARIES] + ["M0", "M0"]
    assert out.five_class.tolist() == [b[2] for b in BOUNDARIES] + ["normal", "normal"]
    assert out.overdue_principal_fen.tolist()[-2:] == [0, 0]


def test_oldest_unpaid_line_sets_dpd_and_all_overdue_lines_add_up() -> None:
    lines = OpenLines(
        loan_id=np.array([2, 1, 2, 2, 1], dtype=np.int64),
        due_on=np.array(
            [
                d64(AS_OF - timedelta(days=40)),
                d64(AS_OF),  # due today: not overdue yet
                d64(AS_OF - timedelta(days=10)),
                d64(AS_OF + timedelta(days=20)),  # future: ignored
                d64(AS_OF - timedelta(days=3)),
            ],
            dtype="M8[D]",
        ),
        unpaid_principal_fen=np.array([100, 7, 200, 999, 30], dtype=np.int64),
        unpaid_interest_fen=np.array([10, 1, 20, 99, 3], dtype=np.int64),
    )
    out = close_loans(lines, state(3), AS_OF)
    assert out.dpd.tolist() == [3, 40, 0]
    assert out.overdue_principal_fen.tolist() == [30, 300, 0]
    assert out.overdue_interest_fen.tolist() == [3, 30, 0]


def test_override_decides_only_when_worse_than_the_rule() -> None:
    lines = one_line_each([5, 100, 400, 0])
    ranks = class_ranks(["doubtful", "special_mention", None, "loss"])
    out = close_loans(lines, state(4, override_rank=ranks), AS_OF)
    assert out.rule_class.tolist() == ["special_mention", "substandard", "loss", "normal"]
    assert out.five_class.tolist() == ["doubtful", "substandard", "loss", "loss"]
    assert out.class_source.tolist() == ["override", "rule", "rule", "override"]


def test_worst_dpd_and_first_30_and_90_days() -> None:
    earlier = d64(date(2025, 3, 1))
    loans = state(
        4,
        max_dpd=np.array([200, 0, 0, 10], dtype=np.int64),
        first_dpd30_on=np.array([earlier, NAT, NAT, NAT], dtype="M8[D]"),
        first_dpd90_on=np.array([earlier, NAT, NAT, NAT], dtype="M8[D]"),
    )
    out = close_loans(one_line_each([95, 95, 29, 0]), loans, AS_OF)
    assert out.max_dpd.tolist() == [200, 95, 29, 10]
    oldest = AS_OF - timedelta(days=95)
    assert out.first_dpd30_on.tolist() == [
        date(2025, 3, 1),
        oldest + timedelta(days=31),
        None,
        None,
    ]
    assert out.first_dpd90_on.tolist() == [
        date(2025, 3, 1),
        oldest + timedelta(days=91),
        None,
        None,
    ]
    # exactly 30 days past due is not yet 30+ (bucket M1); 31 is, from today (M2)
    at30 = close_loans(one_line_each([30, 31, 90, 91]), state(4), AS_OF)
    assert at30.first_dpd30_on.tolist() == [
        None,
        AS_OF,
        AS_OF - timedelta(days=59),
        AS_OF - timedelta(days=60),
    ]
    assert at30.first_dpd90_on.tolist() == [None, None, None, AS_OF]


def test_the_close_and_the_portfolio_reports_count_30_and_90_alike() -> None:
    from loanpilot.analytics import portfolio

    assert (DPD30, DPD90) == (portfolio.DPD30, portfolio.DPD90) == (31, 91)


def test_changed_compares_every_kept_field() -> None:
    out = close_loans(one_line_each([0, 40, 0]), state(3), AS_OF)
    moved = changed(
        out,
        np.array([0, 40, 0]),
        np.array(["normal", "special_mention", "special_mention"], dtype=object),
        np.array([0, 40, 0]),
        out.first_dpd30_on.copy(),
        np.full(3, NAT),
    )
    assert moved.tolist() == [False, False, True]
    assert changed(out, out.dpd, out.five_class, out.max_dpd, np.full(3, NAT), np.full(3, NAT)).tolist() == [False, True, False]  # fmt: skip


def test_input_errors_name_what_was_wrong() -> None:
    with pytest.raises(ValueError, match="not among the loans"):
        close_loans(one_line_each([5, 5]), state(1), AS_OF)
    with pytest.raises(ValueError, match="sorted"):
        close_loans(one_line_each([]), state(2, loan_id=np.array([2, 1])), AS_OF)
    bad = OpenLines(
        loan_id=np.array([1]),
        due_on=np.array([d64(AS_OF - timedelta(days=3))]),
        unpaid_principal_fen=np.array([-1]),
        unpaid_interest_fen=np.array([0]),
    )
    with pytest.raises(ValueError, match=">= 0"):
        close_loans(bad, state(1), AS_OF)
    with pytest.raises(ValueError, match="unknown five-category class 'bad'"):
        class_ranks(["normal", "bad"])


def test_summary_npl_ratio_and_provisions() -> None:
    by_class = {
        "normal": (10, 80_000_000),
        "special_mention": (2, 10_000_000),
        "substandard": (1, 5_000_000),
        "doubtful": (1, 3_000_000),
        "loss": (1, 2_000_000),
    }
    s = summarise({"M0": (10, 80_000_000), "M7+": (5, 20_000_000)}, by_class)
    assert s["loans"] == 15
    assert s["balance_fen"] == 100_000_000
    assert s["npl_balance_fen"] == 10_000_000
    assert s["npl_ratio"] == "0.100000"
    provisions = {c["five_class"]: c["provision_fen"] for c in s["classes"]}
    assert provisions == {
        "normal": 800_000,
        "special_mention": 200_000,
        "substandard": 1_250_000,
        "doubtful": 1_500_000,
        "loss": 2_000_000,
    }
    assert s["provision_fen"] == 5_750_000
    assert [b["bucket"] for b in s["buckets"]] == list(BUCKETS)
    assert s["buckets"][1] == {"bucket": "M1", "loans": 0, "balance_fen": 0}
    empty = summarise({}, {})
    assert empty["npl_ratio"] == "0"
    assert empty["provision_fen"] == 0
    half = summarise({}, {"normal": (1, 3)}, {c: Decimal("0.5") for c in FIVE_CLASSES})
    assert half["provision_fen"] == 2  # 1.5 fen rounds half up
    with pytest.raises(ValueError, match="unknown DPD bucket"):
        summarise({"M9": (1, 1)}, {})
    with pytest.raises(ValueError, match="lacks a provision rate for loss"):
        summarise({}, {}, {c: Decimal(0) for c in FIVE_CLASSES[:4]})


# --- properties ----------------------------------------------------------------------------------


def _reference(
    loan_ids: list[int], lines: list[tuple[int, int, int, int]], override: list[int]
) -> list[tuple[int, int, int, str, str]]:
    """Per loan, one at a time: (dpd, overdue principal, overdue interest, bucket, class)."""
    out = []
    for lid, ov in zip(loan_ids, override, strict=True):
        mine = [ln for ln in lines if ln[0] == lid and ln[1] > 0]  # ln[1]: days overdue
        dpd = max((ln[1] for ln in mine), default=0)
        bucket = "M0" if dpd == 0 else BUCKETS[min(7, (dpd - 1) // 30 + 1)]
        if dpd == 0:
            floor = 0
        elif dpd <= 90:
            floor = 1
        elif dpd <= 270:
            floor = 2
        elif dpd <= 360:
            floor = 3
        else:
            floor = 4
        cls = FIVE_CLASSES[max(floor, ov)]
        out.append((dpd, sum(ln[2] for ln in mine), sum(ln[3] for ln in mine), bucket, cls))
    return out


line_st = st.tuples(
    st.integers(1, 6),  # loan id
    st.integers(-40, 800),  # days overdue (<= 0: due today or later)
    st.integers(0, 10**9),
    st.integers(0, 10**8),
)


@given(
    lines=st.lists(line_st, max_size=60),
    overrides=st.lists(st.integers(-1, 4), min_size=6, max_size=6),
    previous_max=st.lists(st.integers(0, 1000), min_size=6, max_size=6),
)
def test_kernel_agrees_with_a_per_loan_reference(
    lines: list[tuple[int, int, int, int]], overrides: list[int], previous_max: list[int]
) -> None:
    ids = list(range(1, 7))
    arrays = OpenLines(
        loan_id=np.array([ln[0] for ln in lines], dtype=np.int64),
        due_on=np.array([d64(AS_OF - timedelta(days=ln[1])) for ln in lines], dtype="M8[D]"),
        unpaid_principal_fen=np.array([ln[2] for ln in lines], dtype=np.int64),
        unpaid_interest_fen=np.array([ln[3] for ln in lines], dtype=np.int64),
    )
    loans = state(
        6,
        override_rank=np.array(overrides, dtype=np.int64),
        max_dpd=np.array(previous_max, dtype=np.int64),
    )
    out = close_loans(arrays, loans, AS_OF)
    got = list(
        zip(
            out.dpd.tolist(),
            out.overdue_principal_fen.tolist(),
            out.overdue_interest_fen.tolist(),
            out.bucket.tolist(),
            out.five_class.tolist(),
            strict=True,
        )
    )
    assert got == _reference(ids, lines, overrides)
    assert (out.max_dpd >= out.dpd).all()
    assert (out.max_dpd >= np.array(previous_max)).all()
    ranks = class_ranks(out.five_class)
    assert (ranks >= class_ranks(out.rule_class)).all()  # never better than the rule
    reached = out.dpd >= 30
    assert (~np.isnat(out.first_dpd30_on) == reached).all()
    assert (out.first_dpd30_on[reached] <= d64(AS_OF)).all()


@given(st.lists(st.integers(0, 2000), min_size=1, max_size=40))
def test_closing_twice_gives_the_same_state(dpds: list[int]) -> None:
    lines = one_line_each(dpds)
    first = close_loans(lines, state(len(dpds)), AS_OF)
    again = close_loans(
        lines,
        state(
            len(dpds),
            max_dpd=first.max_dpd,
            first_dpd30_on=first.first_dpd30_on,
            first_dpd90_on=first.first_dpd90_on,
        ),
        AS_OF,
    )
    assert not changed(
        again,
        first.dpd,
        first.five_class,
        first.max_dpd,
        first.first_dpd30_on,
        first.first_dpd90_on,
    ).any()
