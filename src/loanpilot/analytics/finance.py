"""Repayment schedules, APR by IRR and due dates: the loan arithmetic, in integer fen.

Pure numpy; imports nothing of ours. One kernel (``_compute_schedule``) serves the scalar
``schedule`` and the vectorised ``schedule_batch``, and one kernel (``_compute_irr``) serves
``apr`` and ``apr_batch``, so the scalar and batch answers are the same bit for bit.

Conventions
-----------
* Amounts are integer fen (``int64``); rates come in as ``Decimal`` (or float) and are turned into
  float64 once: the monthly rate is ``r = float(annual_rate) / 12``.
* "Round" means round half up to the fen: ``floor(x + 0.5)``. Amounts stay below 2**53, so the
  float64 intermediates are exact integers.
* Interest of a period = round(opening principal x r).
* Equal instalment (等额本息): instalment = round(numpy-financial ``pmt(r, n, P)``), computed with
  the same float operations as numpy-financial; principal = instalment - interest (never more
  than what is still owed); the LAST period repays the whole remaining principal, so its payment
  may differ from the instalment by a few fen and the principal sums exactly to the loan. (Only a
  tiny loan at a high rate over a long term can be repaid before its last period by rounding the
  instalment up; its remaining rows are then zero.)
* Equal principal (等额本金): principal = floor(P / n) each period; the remainder (P mod n fen)
  is added to the LAST period.
* Interest only (先息后本): interest every month; the whole principal in the last period.
* Bullet (一次性还本付息): ONE period (``period`` 1, ``month`` n) at maturity with simple interest
  round(P x (r x n)).
* Flat monthly fee (月费率, consumer-loan style): fee = round(P x monthly_fee_rate) every period,
  charged on the original principal; bullet: that monthly fee x n.
* ``month`` is the number of months from disbursement to the period's due date (= ``period``
  except for a bullet loan); APR discounts by it and ``due_dates`` places dates by it.
* APR (PBoC announcement [2021] No. 3): the monthly IRR of -(disbursed - upfront fee) at t0 and
  each period's payment (principal + interest + fee) at its ``month``, times 12; ``apr`` returns
  a ``Decimal`` rounded half up to 6 places (e.g. ``Decimal("0.108964")``). Solved by Newton's
  method kept inside a bracket, with bisection whenever a Newton step would leave it.
* Due dates fall on the disbursement date's day of month, clamped to the month's last day
  (Jan 31 + 1 month = Feb 28/29; Jan 31 + 2 months = Mar 31): each date is computed from the
  anchor, never chained from the previous due date.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]

EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
INTEREST_ONLY = "interest_only"  # 先息后本
BULLET = "bullet"  # 一次性还本付息
#: Allowed methods; an integer method code is the index into this tuple.
METHODS: tuple[str, ...] = (EQUAL_INSTALMENT, EQUAL_PRINCIPAL, INTEREST_ONLY, BULLET)
_EI, _EP, _IO, _BULLET = range(4)

MAX_PRINCIPAL_FEN = 10**13  # ¥100 bn: every amount stays far below 2**53
MAX_TERM_MONTHS = 600
MAX_ANNUAL_RATE = 1.0
MAX_MONTHLY_FEE_RATE = 0.1
_APR_PLACES = Decimal("0.000001")
_IRR_TOL = 1e-14
_IRR_MAX_ITER = 200


@dataclass(frozen=True, eq=False)
class Schedule:
    """One loan's schedule; every field is a read-only int64 array with one row per period."""

    period: IntArray
    month: IntArray
    opening_principal_fen: IntArray
    principal_fen: IntArray
    interest_fen: IntArray
    fee_fen: IntArray
    payment_fen: IntArray
    closing_principal_fen: IntArray


@dataclass(frozen=True, eq=False)
class BatchSchedule:
    """Many loans' schedules as flat read-only int64 arrays, loan-major (``loan_index`` sorted)."""

    loan_index: IntArray
    period: IntArray
    month: IntArray
    opening_principal_fen: IntArray
    principal_fen: IntArray
    interest_fen: IntArray
    fee_fen: IntArray
    payment_fen: IntArray
    closing_principal_fen: IntArray

    @property
    def n_loans(self) -> int:
        return int(self.loan_index[-1]) + 1 if self.loan_index.size else 0

    def loan(self, i: int) -> Schedule:
        """The rows of loan ``i`` as a ``Schedule`` (views, no copy)."""
        if not 0 <= i < self.n_loans:
            raise ValueError(f"i must be in 0..{self.n_loans - 1}; got {i!r}")
        lo, hi = np.searchsorted(self.loan_index, [i, i + 1])
        return Schedule(**{f.name: getattr(self, f.name)[lo:hi] for f in fields(Schedule)})


def _raise(problems: list[str]) -> None:
    if problems:
        raise ValueError("; ".join(problems))


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _to_float(name: str, value: object, upper: float, problems: list[str]) -> float:
    if not isinstance(value, Decimal | float | int | np.floating | np.integer) or isinstance(
        value, bool | np.bool_
    ):
        problems.append(f"{name} must be a Decimal or a number; got {type(value).__name__}")
        return 0.0
    try:
        number = float(value)
    except ValueError:  # signalling NaN
        number = math.nan
    if not (math.isfinite(number) and 0.0 <= number <= upper):
        problems.append(f"{name} must be a finite rate in [0, {upper:g}]; got {value!r}")
    return number


def schedule(
    principal_fen: int,
    annual_rate: Decimal | float,
    term_months: int,
    method: str,
    monthly_fee_rate: Decimal | float = 0,
) -> Schedule:
    """The repayment schedule of one loan (conventions in the module docstring)."""
    problems: list[str] = []
    if not _is_int(principal_fen) or not 1 <= principal_fen <= MAX_PRINCIPAL_FEN:
        problems.append(
            f"principal_fen must be an integer number of fen in 1..{MAX_PRINCIPAL_FEN}; "
            f"got {principal_fen!r}"
        )
    rate = _to_float("annual_rate", annual_rate, MAX_ANNUAL_RATE, problems)
    if not _is_int(term_months) or not 1 <= term_months <= MAX_TERM_MONTHS:
        problems.append(
            f"term_months must be an integer in 1..{MAX_TERM_MONTHS}; got {term_months!r}"
        )
    if method not in METHODS:
        problems.append(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    fee = _to_float("monthly_fee_rate", monthly_fee_rate, MAX_MONTHLY_FEE_RATE, problems)
    _raise(problems)
    batch = _compute_schedule(
        np.array([principal_fen], dtype=np.int64),
        np.array([rate], dtype=np.float64),
        np.array([term_months], dtype=np.int64),
        np.array([METHODS.index(method)], dtype=np.int64),
        np.array([fee], dtype=np.float64),
    )
    return batch.loan(0)


def _int_array(name: str, values: Any, lo: int, hi: int, problems: list[str]) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        problems.append(f"{name} must be a 1-D integer array; got shape {arr.shape}, {arr.dtype}")
        return np.zeros(0, dtype=np.int64)
    out = arr.astype(np.int64)
    bad = np.flatnonzero((out < lo) | (out > hi))
    if bad.size:
        problems.append(
            f"{name} must be in {lo}..{hi}; got {out[bad[0]]} at index {bad[0]} "
            f"({bad.size} bad values)"
        )
    return out


def _rate_array(name: str, values: Any, upper: float, problems: list[str]) -> FloatArray:
    arr = np.asarray(values)
    try:
        out = arr.astype(np.float64)
    except (TypeError, ValueError):
        problems.append(f"{name} must be an array of rates; got dtype {arr.dtype}")
        return np.zeros(0, dtype=np.float64)
    if out.ndim != 1:
        problems.append(f"{name} must be 1-D; got shape {out.shape}")
        return np.zeros(0, dtype=np.float64)
    bad = np.flatnonzero(~(np.isfinite(out) & (out >= 0.0) & (out <= upper)))
    if bad.size:
        problems.append(
            f"{name} must be finite rates in [0, {upper:g}]; got {arr[bad[0]]!r} at index "
            f"{bad[0]} ({bad.size} bad values)"
        )
    return out


def _method_codes(values: Any, problems: list[str]) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim == 1 and arr.size and (arr.dtype.kind in "UO"):
        uniq, inverse = np.unique(arr.astype(str), return_inverse=True)
        unknown = [str(u) for u in uniq if u not in METHODS]
        if unknown:
            problems.append(f"method must be one of {', '.join(METHODS)}; got {unknown!r}")
            return np.zeros(0, dtype=np.int64)
        lookup = np.array([METHODS.index(str(u)) for u in uniq], dtype=np.int64)
        return lookup[inverse.reshape(-1)]
    return _int_array("method", arr, 0, len(METHODS) - 1, problems)


def schedule_batch(
    principal_fen: npt.ArrayLike,
    annual_rate: npt.ArrayLike,
    term_months: npt.ArrayLike,
    method: npt.ArrayLike,
    monthly_fee_rate: npt.ArrayLike | None = None,
) -> BatchSchedule:
    """Schedules of many loans at once; row for row equal to ``schedule`` on each loan.

    ``method`` holds names from ``METHODS`` or their integer codes (index into ``METHODS``).
    Rows are loan-major: sum(term) rows, one for a bullet loan.
    """
    problems: list[str] = []
    p = _int_array("principal_fen", principal_fen, 1, MAX_PRINCIPAL_FEN, problems)
    r = _rate_array("annual_rate", annual_rate, MAX_ANNUAL_RATE, problems)
    n = _int_array("term_months", term_months, 1, MAX_TERM_MONTHS, problems)
    m = _method_codes(method, problems)
    f = (
        np.zeros(p.size, dtype=np.float64)
        if monthly_fee_rate is None
        else _rate_array("monthly_fee_rate", monthly_fee_rate, MAX_MONTHLY_FEE_RATE, problems)
    )
    _raise(problems)
    sizes = {"principal_fen": p.size, "annual_rate": r.size, "term_months": n.size}
    sizes |= {"method": m.size, "monthly_fee_rate": f.size}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"all inputs must have the same length; got {sizes}")
    return _compute_schedule(p, r, n, m, f)


def _round_fen(x: FloatArray) -> IntArray:
    return np.floor(x + 0.5).astype(np.int64)


def _freeze(arr: IntArray) -> IntArray:
    arr.setflags(write=False)
    return arr


def _compute_schedule(
    p: IntArray, annual: FloatArray, n: IntArray, code: IntArray, fee_rate: FloatArray
) -> BatchSchedule:
    """Vectorised kernel: a loop over the period index, never over loans."""
    r = annual / 12.0
    bullet = code == _BULLET
    nrows = np.where(bullet, 1, n)
    rate: FloatArray = np.where(bullet, r * n, r)  # a bullet loan's one period is n months long
    p_f = p.astype(np.float64)
    temp = np.power(1.0 + r, n.astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):  # r == 0 rows take the other branch
        pmt = np.where(r == 0.0, p_f / n, (p_f * temp) / ((temp - 1.0) / r))
    instalment = _round_fen(pmt)
    base = np.where(code == _EP, p // n, 0)  # regular principal: equal principal, interest only
    fee = _round_fen(p_f * fee_rate) * np.where(bullet, n, 1)

    starts = np.concatenate(([0], np.cumsum(nrows)[:-1])).astype(np.int64)
    total = int(nrows.sum())
    order = np.argsort(-nrows, kind="stable")  # active loans at period k are a prefix
    s_nrows, s_start, s_rate = nrows[order], starts[order], rate[order]
    s_inst, s_base, s_ei = instalment[order], base[order], code[order] == _EI
    balance = p[order].copy()
    active = np.searchsorted(-s_nrows, -np.arange(1, (s_nrows[0] if p.size else 0) + 1), "right")
    opening = np.empty(total, dtype=np.int64)
    principal = np.empty(total, dtype=np.int64)
    interest = np.empty(total, dtype=np.int64)
    for k, c in enumerate(active.tolist(), start=1):
        op = balance[:c]
        rows = s_start[:c] + (k - 1)
        due = _round_fen(op * s_rate[:c])
        regular = np.where(s_ei[:c], s_inst[:c] - due, s_base[:c])
        paid = np.where(s_nrows[:c] == k, op, np.minimum(regular, op))
        opening[rows] = op
        interest[rows] = due
        principal[rows] = paid
        balance[:c] = op - paid

    loan_index = np.repeat(np.arange(p.size, dtype=np.int64), nrows)
    period = np.arange(total, dtype=np.int64) - starts[loan_index] + 1
    fees = fee[loan_index]
    return BatchSchedule(
        loan_index=_freeze(loan_index),
        period=_freeze(period),
        month=_freeze(np.where(bullet[loan_index], n[loan_index], period)),
        opening_principal_fen=_freeze(opening),
        principal_fen=_freeze(principal),
        interest_fen=_freeze(interest),
        fee_fen=_freeze(fees),
        payment_fen=_freeze(principal + interest + fees),
        closing_principal_fen=_freeze(opening - principal),
    )


def _compute_irr(pay: FloatArray, month: FloatArray, idx: IntArray, net: FloatArray) -> FloatArray:
    """Monthly IRR per loan of -net at t0 and ``pay`` at ``month``: bracketed Newton, vectorised.

    NPV(x)/net = sum(pay (1+x)^-month)/net - 1 is decreasing and convex in x, so the root is unique;
    with S = sum(pay)/net the bracket lo = min(S, 1)/2 - 1, hi = S holds it. The start
    S**(1/D) - 1 (D the payment-weighted mean month) is exact for a bullet loan and otherwise
    below the root. A loan stops iterating once converged, so its result does not depend on the
    other loans in the batch.
    """
    n_loans = net.size
    w = pay / net[idx]
    s = np.bincount(idx, weights=w, minlength=n_loans)
    lo = np.minimum(s, 1.0) * 0.5 - 1.0
    hi = s.copy()
    duration = np.bincount(idx, weights=w * month, minlength=n_loans) / s
    x = np.expm1(np.log(s) / duration)  # by Jensen NPV(x) >= 0 here: Newton climbs monotonically
    live = np.arange(n_loans)
    for _ in range(_IRR_MAX_ITER):
        if live.size == 0:
            return x
        if live.size < n_loans // 2:  # only the rows of loans still iterating
            keep = np.zeros(n_loans, dtype=bool)
            keep[live] = True
            rows = keep[idx]
            w, month, idx = w[rows], month[rows], idx[rows]
        disc = w * np.exp(-month * np.log1p(x)[idx])
        f = np.bincount(idx, weights=disc, minlength=n_loans)[live] - 1.0
        df = -np.bincount(idx, weights=disc * month, minlength=n_loans)[live] / (1.0 + x[live])
        xl = x[live]
        above = f > 0.0
        lo[live] = np.where(above, xl, lo[live])
        hi[live] = np.where(above, hi[live], xl)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = xl - f / df
        inside = np.isfinite(step) & (step >= lo[live]) & (step <= hi[live])
        new = np.where(f == 0.0, xl, np.where(inside, step, 0.5 * (lo[live] + hi[live])))
        x[live] = new
        live = live[np.abs(new - xl) > _IRR_TOL]
    raise ArithmeticError(f"IRR did not converge for loans {live[:10].tolist()}")


def _irr_inputs(
    pay: Any, month: Any, net_fen: Any, idx: IntArray, n_loans: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    problems: list[str] = []
    pay_a, month_a, net_a = np.asarray(pay), np.asarray(month), np.asarray(net_fen)
    if pay_a.shape != month_a.shape or pay_a.ndim != 1:
        problems.append(
            f"payments and months must be 1-D of one length; got {pay_a.shape}, {month_a.shape}"
        )
    elif pay_a.size and (not np.all(np.isfinite(pay_a)) or pay_a.min() < 0):
        problems.append("payments must be finite and >= 0 fen")
    elif month_a.size and (month_a.dtype.kind not in "iu" or month_a.min() < 1):
        problems.append(f"months must be integers >= 1; got min {month_a.min()!r}")
    _raise(problems)
    pay_f, month_f = pay_a.astype(np.float64), month_a.astype(np.float64)
    net_f = np.broadcast_to(net_a.astype(np.float64), (n_loans,))
    totals = np.bincount(idx, weights=pay_f, minlength=n_loans)
    bad = np.flatnonzero(~(net_f > 0) | ~(totals > 0))
    if bad.size:
        raise ValueError(
            "disbursed_fen - upfront_fee_fen and the sum of payments must be > 0; "
            f"got net {net_f[bad[0]]:.0f}, payments {totals[bad[0]]:.0f} for loan {bad[0]}"
        )
    return pay_f, month_f, np.ascontiguousarray(net_f)


def apr(
    flows: Schedule | npt.ArrayLike,
    disbursed_fen: int | None = None,
    upfront_fee_fen: int = 0,
    *,
    months: npt.ArrayLike | None = None,
) -> Decimal:
    """Annualised rate by IRR (monthly IRR x 12), a Decimal rounded half up to 6 places.

    ``flows`` is a ``Schedule`` (its payments at its months; ``disbursed_fen`` defaults to the
    first opening principal) or the payments in fen at ``months`` (default 1, 2, ...).
    """
    if isinstance(flows, Schedule):
        pay: Any = flows.payment_fen
        when: Any = flows.month if months is None else months
        if disbursed_fen is None:
            disbursed_fen = int(flows.opening_principal_fen[0])
    else:
        pay = np.asarray(flows)
        when = np.arange(1, pay.size + 1) if months is None else months
    problems = [
        f"{name} must be an integer number of fen; got {value!r}"
        for name, value in (("disbursed_fen", disbursed_fen), ("upfront_fee_fen", upfront_fee_fen))
        if not _is_int(value)
    ]
    _raise(problems)
    assert disbursed_fen is not None  # checked by _is_int above
    idx = np.zeros(np.asarray(pay).size, dtype=np.int64)
    pay_f, month_f, net = _irr_inputs(pay, when, disbursed_fen - upfront_fee_fen, idx, 1)
    return round_apr(float(_compute_irr(pay_f, month_f, idx, net)[0]) * 12.0)


def round_apr(annual: float) -> Decimal:
    """An APR from ``apr_batch`` as ``apr`` returns it: a Decimal rounded half up to 6 places."""
    return Decimal(annual).quantize(_APR_PLACES, rounding=ROUND_HALF_UP)


def apr_batch(
    schedules: BatchSchedule,
    disbursed_fen: npt.ArrayLike | None = None,
    upfront_fee_fen: npt.ArrayLike | None = None,
) -> FloatArray:
    """APR of every loan in ``schedules`` as unrounded float64 (monthly IRR x 12).

    ``apr`` of loan i equals ``Decimal(result[i])`` rounded half up to 6 places.
    ``disbursed_fen`` defaults to each loan's first opening principal.
    """
    n_loans = schedules.n_loans
    idx = schedules.loan_index
    if disbursed_fen is None:
        firsts = np.searchsorted(idx, np.arange(n_loans))
        disbursed_fen = schedules.opening_principal_fen[firsts]
    disbursed = np.asarray(disbursed_fen)
    upfront = np.zeros(n_loans, dtype=np.int64) if upfront_fee_fen is None else upfront_fee_fen
    upfront_a = np.asarray(upfront)
    for name, arr in (("disbursed_fen", disbursed), ("upfront_fee_fen", upfront_a)):
        if arr.shape != (n_loans,) or (arr.size and arr.dtype.kind not in "iu"):
            raise ValueError(
                f"{name} must be an integer array of {n_loans} fen amounts; "
                f"got shape {arr.shape}, {arr.dtype}"
            )
    pay_f, month_f, net = _irr_inputs(
        schedules.payment_fen, schedules.month, disbursed - upfront_a, idx, n_loans
    )
    return _compute_irr(pay_f, month_f, idx, net) * 12.0


def add_months(d: date, n: int) -> date:
    """``d`` moved by ``n`` calendar months, the day clamped to the month's end."""
    if isinstance(d, datetime) or not isinstance(d, date):
        raise ValueError(f"d must be a datetime.date (not a datetime); got {type(d).__name__}")
    if not _is_int(n):
        raise ValueError(f"n must be an integer number of months; got {n!r}")
    year, month0 = divmod(d.year * 12 + d.month - 1 + int(n), 12)
    if not 1 <= year <= 9999:
        raise ValueError(f"n moves {d.isoformat()} outside years 1..9999; got n={n}")
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last_day))


def due_dates(anchor: npt.ArrayLike, months: npt.ArrayLike) -> DateArray:
    """Vectorised ``add_months``: ``anchor`` (datetime64[D], the disbursement dates) + ``months``.

    Broadcasts; for a ``BatchSchedule`` pass ``disbursed_on[bs.loan_index]`` and ``bs.month``.
    The day of month comes from the anchor, so Jan 31 gives Feb 28/29, then Mar 31.
    """
    start = np.asarray(anchor)
    if start.dtype.kind != "M":
        raise ValueError(f"anchor must be datetime64[D] dates; got dtype {start.dtype}")
    start = start.astype("datetime64[D]")
    shift = np.asarray(months)
    if shift.size and shift.dtype.kind not in "iu":
        raise ValueError(f"months must be integers; got dtype {shift.dtype}")
    month0 = start.astype("datetime64[M]")
    day = start - month0.astype("datetime64[D]")
    target = month0 + shift.astype(np.int64)
    length = (target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")
    result: DateArray = target.astype("datetime64[D]") + np.minimum(day, length - 1)
    return result
