"""Known answers (numpy-financial), invariants and batch == scalar for ``analytics.finance``."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from loanpilot.analytics.finance import (
    BULLET,
    EQUAL_INSTALMENT,
    EQUAL_PRINCIPAL,
    INTEREST_ONLY,
    METHODS,
    BatchSchedule,
    Schedule,
    add_months,
    apr,
    apr_batch,
    due_dates,
    schedule,
    schedule_batch,
)

# No example database: tests never write into the repository.
HYP = hsettings(database=None, deadline=None, max_examples=60)
FIELDS = (
    "period",
    "month",
    "opening_principal_fen",
    "principal_fen",
    "interest_fen",
    "fee_fen",
    "payment_fen",
    "closing_principal_fen",
)
SIX = Decimal("0.000001")


def half_up(x: float) -> int:
    """Exact round half up of a float, independent of the module's floor(x + 0.5)."""
    return int(Decimal(x).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def npf_apr(net_fen: int, payments: np.ndarray) -> float:
    return float(npf.irr(np.r_[-float(net_fen), payments.astype(float)])) * 12


rates = st.decimals(min_value=0, max_value=Decimal("0.36"), places=4)
fee_rates = st.sampled_from([Decimal(0), Decimal("0.002"), Decimal("0.005"), Decimal("0.0125")])
loans = st.tuples(
    st.integers(1, 10**10),  # principal, fen
    rates,
    st.integers(1, 360),  # term, months
    st.sampled_from(METHODS),
    fee_rates,
)


# ------------------------------------------------------------- equal instalment vs numpy-financial


@HYP
@given(p=st.integers(100_000, 10**10), rate=rates, n=st.integers(1, 360))
def test_instalment_is_npf_pmt_rounded_to_the_fen(p: int, rate: Decimal, n: int) -> None:
    s = schedule(p, rate, n, EQUAL_INSTALMENT)
    r = float(rate) / 12
    with np.errstate(invalid="ignore"):  # numpy-financial divides by a masked zero rate
        instalment = half_up(-float(npf.pmt(r, n, p)))
    if n == 1:  # the last period pays what is owed, which pmt may miss by its own rounding
        assert abs(s.payment_fen[0] - instalment) <= 1
    else:
        assert s.payment_fen[0] == instalment
    # every period but the last pays the instalment, unless rounding up repaid the loan early
    assert np.all((s.payment_fen[:-1] == instalment) | (s.closing_principal_fen[:-1] == 0))
    assert s.interest_fen[0] == half_up(p * r)
    with np.errstate(invalid="ignore"):
        assert s.interest_fen[0] == half_up(-float(npf.ipmt(r, 1, n, p)))


@pytest.mark.parametrize(
    ("p", "rate", "n"),
    [
        (100_000_000, "0.049", 360),  # ¥1m mortgage, 30 years
        (30_000_000, "0.0435", 60),
        (5_000_000, "0.12", 12),
        (1_234_567, "0.0365", 24),
    ],
)
def test_first_periods_match_npf_ipmt_ppmt(p: int, rate: str, n: int) -> None:
    s = schedule(p, Decimal(rate), n, EQUAL_INSTALMENT)
    r = float(rate) / 12
    instalment = half_up(-float(npf.pmt(r, n, p)))
    for per in (1, 2, 3):
        k = per - 1
        assert s.interest_fen[k] == half_up(-float(npf.ipmt(r, per, n, p)))
        assert s.principal_fen[k] == instalment - s.interest_fen[k]
        assert abs(s.principal_fen[k] - float(-npf.ppmt(r, per, n, p))) <= 1


def test_mortgage_known_answer() -> None:
    s = schedule(100_000_000, Decimal("0.049"), 360, EQUAL_INSTALMENT)
    assert s.payment_fen[0] == 530_727  # npf.pmt = -530726.72...
    assert s.interest_fen[0] == 408_333
    assert s.payment_fen[-1] == 530_519
    assert int(s.principal_fen.sum()) == 100_000_000


def test_zero_rate_instalment_is_principal_over_term() -> None:
    s = schedule(1_000_000, 0, 3, EQUAL_INSTALMENT)
    assert s.payment_fen.tolist() == [333_333, 333_333, 333_334]
    assert s.interest_fen.tolist() == [0, 0, 0]


def test_tiny_loan_never_overpays_principal() -> None:
    s = schedule(10, 0, 12, EQUAL_INSTALMENT)  # instalment rounds to 1 fen
    assert s.principal_fen.tolist() == [1] * 10 + [0, 0]
    assert s.closing_principal_fen.min() == 0
    # ¥1,000 at 28.36 % over 351 months: instalment 2363.6 rounds up, the loan is repaid early
    s = schedule(100_000, Decimal("0.2836"), 351, EQUAL_INSTALMENT)
    assert s.payment_fen[-2:].tolist() == [1731, 0]
    assert int(s.principal_fen.sum()) == 100_000


# ------------------------------------------------------------------------------- the other methods


def test_equal_principal_known_answer() -> None:
    s = schedule(1_000_000, Decimal("0.06"), 12, EQUAL_PRINCIPAL)
    assert s.principal_fen.tolist() == [83_333] * 11 + [83_337]  # remainder in the last period
    assert s.interest_fen.tolist() == [
        5000, 4583, 4167, 3750, 3333, 2917, 2500, 2083, 1667, 1250, 833, 417,
    ]  # fmt: skip


def test_interest_only_known_answer() -> None:
    s = schedule(1_000_000, Decimal("0.06"), 12, INTEREST_ONLY, Decimal("0.001"))
    assert s.interest_fen.tolist() == [5000] * 12
    assert s.fee_fen.tolist() == [1000] * 12
    assert s.principal_fen.tolist() == [0] * 11 + [1_000_000]
    assert s.payment_fen[-1] == 1_006_000


def test_bullet_is_one_period_of_simple_interest() -> None:
    s = schedule(1_000_000, Decimal("0.06"), 12, BULLET, Decimal("0.001"))
    assert s.period.tolist() == [1]
    assert s.month.tolist() == [12]
    assert s.interest_fen.tolist() == [60_000]
    assert s.fee_fen.tolist() == [12_000]
    assert s.payment_fen.tolist() == [1_072_000]
    # APR of a bullet loan: ((1 + (r n + fee n)) ** (1/n) - 1) * 12
    assert apr(s) == Decimal((1.072 ** (1 / 12) - 1) * 12).quantize(SIX, ROUND_HALF_UP)


@HYP
@given(loan=loans)
def test_schedule_invariants(loan: tuple[int, Decimal, int, str, Decimal]) -> None:
    p, rate, n, method, fee = loan
    s = schedule(p, rate, n, method, fee)
    rows = 1 if method == BULLET else n
    assert s.period.tolist() == list(range(1, rows + 1))
    assert s.month.tolist() == ([n] if method == BULLET else list(range(1, n + 1)))
    assert int(s.principal_fen.sum()) == p  # exactly, for every method
    assert s.opening_principal_fen[0] == p
    assert s.closing_principal_fen[-1] == 0
    assert np.array_equal(s.opening_principal_fen[1:], s.closing_principal_fen[:-1])
    assert np.array_equal(s.closing_principal_fen, s.opening_principal_fen - s.principal_fen)
    assert np.array_equal(s.payment_fen, s.principal_fen + s.interest_fen + s.fee_fen)
    assert min(s.principal_fen.min(), s.interest_fen.min(), s.fee_fen.min()) >= 0
    r = float(rate) / 12
    if method == BULLET:
        assert s.interest_fen[0] == half_up(p * (r * n))
        assert s.fee_fen[0] == half_up(p * float(fee)) * n
    else:
        assert np.array_equal(s.interest_fen, np.floor(s.opening_principal_fen * r + 0.5))
        assert np.all(s.fee_fen == half_up(p * float(fee)))
    for name in FIELDS:
        assert getattr(s, name).dtype == np.int64
        assert not getattr(s, name).flags.writeable


# ----------------------------------------------------------------------------- batch equals scalar


def _columns(batch: list[tuple[int, Decimal, int, str, Decimal]]) -> tuple[np.ndarray, ...]:
    p, rate, n, method, fee = zip(*batch, strict=True)
    return (
        np.array(p, dtype=np.int64),
        np.array([float(x) for x in rate]),
        np.array(n, dtype=np.int64),
        np.array(method),
        np.array([float(x) for x in fee]),
    )


@HYP
@given(batch=st.lists(loans, min_size=1, max_size=25))
def test_batch_equals_scalar_row_for_row(
    batch: list[tuple[int, Decimal, int, str, Decimal]],
) -> None:
    p, rate, n, method, fee = _columns(batch)
    bs = schedule_batch(p, rate, n, method, fee)
    coded = schedule_batch(p, rate, n, np.array([METHODS.index(m) for m in method]), fee)
    assert bs.n_loans == len(batch)
    assert bs.period.size == sum(1 if m == BULLET else t for m, t in zip(method, n, strict=True))
    singles = [schedule(*loan) for loan in batch]
    assert np.array_equal(
        bs.loan_index, np.repeat(np.arange(len(batch)), [s.period.size for s in singles])
    )
    for name in FIELDS:
        column = np.concatenate([getattr(s, name) for s in singles])
        assert np.array_equal(getattr(bs, name), column), name
        assert np.array_equal(getattr(coded, name), column), name
    aprs = apr_batch(bs)
    for i, s in enumerate(singles):
        assert Decimal(aprs[i]).quantize(SIX, ROUND_HALF_UP) == apr(s)


def test_batch_accepts_decimal_objects_and_default_fee() -> None:
    bs = schedule_batch(
        [1_000_000, 2_000_000], np.array([Decimal("0.0435"), Decimal("0.049")]), [12, 24], [0, 1]
    )
    one = schedule(2_000_000, Decimal("0.049"), 24, EQUAL_PRINCIPAL)
    assert np.array_equal(bs.loan(1).payment_fen, one.payment_fen)
    assert int(bs.fee_fen.sum()) == 0


def test_empty_batch() -> None:
    bs = schedule_batch(np.array([], dtype=np.int64), [], np.array([], dtype=np.int64), [])
    assert bs.n_loans == 0
    assert bs.period.size == 0
    assert apr_batch(bs).size == 0


# --------------------------------------------------------------------------------------------- APR


def test_flat_six_percent_is_10_90_percent_apr() -> None:
    # ¥12,000 over 12 months, 0 % interest, 0.5 % monthly fee: "6 %" flat.
    s = schedule(1_200_000, 0, 12, EQUAL_INSTALMENT, Decimal("0.005"))
    assert s.payment_fen.tolist() == [106_000] * 12
    expected = npf_apr(1_200_000, s.payment_fen)
    assert abs(expected - 0.1089638) < 1e-7
    assert apr(s) == Decimal("0.108964") == Decimal(expected).quantize(SIX, ROUND_HALF_UP)
    assert (apr(s) * 100).quantize(Decimal("0.01")) == Decimal("10.90")
    assert apr([106_000] * 12, 1_200_000) == apr(s)  # the raw cash-flow form
    bs = schedule_batch([1_200_000], [0.0], [12], [EQUAL_INSTALMENT], [0.005])
    assert abs(apr_batch(bs)[0] - expected) < 1e-9


@HYP
@given(
    p=st.integers(10_000_000, 10**10),  # from ¥100,000: fen rounding moves the APR by <~ 7/P
    rate=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.36"), places=4),
    n=st.integers(6, 360),
)
def test_apr_of_plain_instalment_loan_is_its_nominal_rate(p: int, rate: Decimal, n: int) -> None:
    bs = schedule_batch([p], [float(rate)], [n], [EQUAL_INSTALMENT])
    assert abs(apr_batch(bs)[0] - float(rate)) <= 1e-6


def test_mortgage_apr_is_the_nominal_rate() -> None:
    assert apr(schedule(100_000_000, Decimal("0.049"), 360, EQUAL_INSTALMENT)) == Decimal(
        "0.049000"
    )


@HYP
@given(batch=st.lists(loans, min_size=1, max_size=12), upfront_share=st.integers(0, 5))
def test_apr_matches_npf_irr(
    batch: list[tuple[int, Decimal, int, str, Decimal]], upfront_share: int
) -> None:
    batch = [(max(p, 100_000), rate, min(n, 60), m, fee) for p, rate, n, m, fee in batch]
    bs = schedule_batch(*_columns(batch))
    upfront = np.array([p * upfront_share // 100 for p, *_ in batch], dtype=np.int64)
    aprs = apr_batch(bs, upfront_fee_fen=upfront)
    for i, (p, *_rest) in enumerate(batch):
        s = bs.loan(i)
        flows = np.zeros(int(s.month[-1]))
        flows[s.month - 1] = s.payment_fen
        expected = npf_apr(p - int(upfront[i]), flows)
        assert abs(aprs[i] - expected) < 1e-9
        assert apr(s, upfront_fee_fen=int(upfront[i])) == Decimal(aprs[i]).quantize(
            SIX, ROUND_HALF_UP
        )


def test_apr_explicit_disbursed_and_months() -> None:
    # ¥10,000 repaid with ¥10,600 after 12 months: simple 6 %, monthly-compounded APR below it.
    value = apr([1_060_000], 1_000_000, months=[12])
    assert value == Decimal((1.06 ** (1 / 12) - 1) * 12).quantize(SIX, ROUND_HALF_UP)
    bs = schedule_batch([1_000_000], [0.06], [12], [BULLET])
    assert apr_batch(bs, disbursed_fen=np.array([1_000_000]))[0] == pytest.approx(
        float(value), abs=1e-6
    )


def test_apr_below_zero_when_less_is_repaid() -> None:
    assert apr([50_000] * 12, 1_200_000) < 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"flows": [100, 100], "disbursed_fen": None}, "disbursed_fen"),
        (
            {"flows": [100, 100], "disbursed_fen": 150, "upfront_fee_fen": 150},
            "disbursed_fen - upfront",
        ),
        ({"flows": [100, -5], "disbursed_fen": 150}, "payments must be finite and >= 0"),
        ({"flows": [0, 0], "disbursed_fen": 150}, "sum of payments"),
        (
            {"flows": [100, 100], "disbursed_fen": 150, "months": [0, 1]},
            "months must be integers >= 1",
        ),
        ({"flows": [100, 100], "disbursed_fen": 150, "months": [1]}, "one length"),
    ],
)
def test_apr_parameter_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        apr(**kwargs)  # type: ignore[arg-type]


def test_apr_batch_parameter_errors() -> None:
    bs = schedule_batch([1_000_000, 2_000_000], [0.05, 0.05], [12, 12], [0, 0])
    with pytest.raises(ValueError, match="disbursed_fen must be an integer array of 2"):
        apr_batch(bs, disbursed_fen=np.array([1_000_000]))
    with pytest.raises(ValueError, match="upfront_fee_fen must be an integer array of 2"):
        apr_batch(bs, upfront_fee_fen=np.array([0.5, 0.5]))


# -------------------------------------------------------------------------------- parameter errors


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            (0, 0.05, 12, EQUAL_INSTALMENT),
            r"principal_fen must be an integer number of fen in 1\.\.\d+; got 0",
        ),
        ((1000.0, 0.05, 12, EQUAL_INSTALMENT), "principal_fen .* got 1000.0"),
        ((True, 0.05, 12, EQUAL_INSTALMENT), "principal_fen .* got True"),
        (
            (1000, -0.01, 12, EQUAL_INSTALMENT),
            r"annual_rate must be a finite rate in \[0, 1\]; got -0.01",
        ),
        ((1000, Decimal("NaN"), 12, EQUAL_INSTALMENT), "annual_rate .* got Decimal"),
        (
            (1000, "0.05", 12, EQUAL_INSTALMENT),
            "annual_rate must be a Decimal or a number; got str",
        ),
        ((1000, 0.05, 0, EQUAL_INSTALMENT), r"term_months must be an integer in 1\.\.600; got 0"),
        ((1000, 0.05, 12.0, EQUAL_INSTALMENT), "term_months .* got 12.0"),
        ((1000, 0.05, 12, "annuity"), "method must be one of equal_instalment, .*; got 'annuity'"),
        ((1000, 0.05, 12, EQUAL_INSTALMENT, 0.5), r"monthly_fee_rate .* \[0, 0.1\]; got 0.5"),
    ],
)
def test_schedule_parameter_errors(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        schedule(*args)  # type: ignore[arg-type]


def test_schedule_reports_every_problem_at_once() -> None:
    with pytest.raises(ValueError, match=r"principal_fen.*; annual_rate.*; term_months.*; method"):
        schedule(-1, 2, 0, "x")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([1.5], [0.05], [12], [0]), "principal_fen must be a 1-D integer array"),
        (
            ([100, 0], [0.05, 0.05], [12, 12], [0, 0]),
            "principal_fen must be in 1..* got 0 at index 1",
        ),
        (([100], [np.nan], [12], [0]), "annual_rate must be finite rates"),
        (([100], [0.05], [601], [0]), "term_months must be in 1..600; got 601"),
        (([100], [0.05], [12], [4]), r"method must be in 0\.\.3; got 4"),
        (([100], [0.05], [12], ["annuity"]), r"method must be one of .*\['annuity'\]"),
        (([100, 200], [0.05], [12, 12], [0, 0]), "same length"),
    ],
)
def test_schedule_batch_parameter_errors(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        schedule_batch(*args)  # type: ignore[arg-type]


def test_batch_fee_error_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="monthly_fee_rate"):
        schedule_batch([100], [0.05], [12], [0], [-0.1])


def test_loan_out_of_range() -> None:
    bs: BatchSchedule = schedule_batch([100], [0.05], [12], [0])
    assert isinstance(bs.loan(0), Schedule)
    with pytest.raises(ValueError, match=r"i must be in 0\.\.0; got 1"):
        bs.loan(1)


# ------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 1, 31), 2, date(2024, 3, 31)),  # from the anchor, not chained via Feb 29
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2023, 12, 31), 1, date(2024, 1, 31)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 1, 15), -13, date(2022, 12, 15)),
        (date(2024, 5, 31), 0, date(2024, 5, 31)),
        (date(2024, 8, 31), 1, date(2024, 9, 30)),
    ],
)
def test_add_months(start: date, n: int, expected: date) -> None:
    assert add_months(start, n) == expected


def test_add_months_errors() -> None:
    with pytest.raises(ValueError, match="outside years"):
        add_months(date(9999, 12, 1), 1)
    with pytest.raises(ValueError, match="n must be an integer"):
        add_months(date(2024, 1, 1), 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"d must be a datetime\.date"):
        add_months("2024-01-01", 1)  # type: ignore[arg-type]


@HYP
@given(
    days=st.lists(st.integers(0, 365 * 40), min_size=1, max_size=30),
    months=st.lists(st.integers(-24, 480), min_size=30, max_size=30),
)
def test_due_dates_is_vectorised_add_months(days: list[int], months: list[int]) -> None:
    starts = [date(2000, 1, 1) + timedelta(days=d) for d in days]
    shifts = months[: len(starts)]
    got = due_dates(np.array(starts, dtype="datetime64[D]"), np.array(shifts))
    assert got.tolist() == [add_months(d, k) for d, k in zip(starts, shifts, strict=True)]


def test_due_dates_for_a_batch() -> None:
    bs = schedule_batch([100_000, 100_000], [0.05, 0.05], [3, 6], [EQUAL_INSTALMENT, BULLET])
    disbursed = np.array(["2024-01-31", "2024-08-31"], dtype="datetime64[D]")
    got = due_dates(disbursed[bs.loan_index], bs.month)
    assert got.astype(str).tolist() == ["2024-02-29", "2024-03-31", "2024-04-30", "2025-02-28"]
    with pytest.raises(ValueError, match="anchor must be datetime64"):
        due_dates(np.array([1, 2]), 1)
    with pytest.raises(ValueError, match="months must be integers"):
        due_dates(disbursed, 1.5)
