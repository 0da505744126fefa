"""The pure servicing rules: hand-computed penalty, allocation order, prepayment recalculation
against numpy-financial, and a property test that the ledger balances to the fen under random
repayments, prepayments, reversals and write-offs."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.analytics import finance
from loanpilot.kit.errors import ConflictError, ValidationError
from loanpilot.lending import ledger, ledger_prepay
from loanpilot.lending.ledger import Amounts, Line, Part, Terms
from loanpilot.lending.ledger_prepay import PrepayOption

D0 = date(2026, 1, 31)  # month ends: due dates Feb 28, Mar 31, ...


def lines_of(principal: int, rate: str, term: int, method: str, fee: str = "0") -> tuple[Line, ...]:
    s = finance.schedule(principal, Decimal(rate), term, method, Decimal(fee))
    return tuple(
        Line(
            period_no=int(s.period[i]),
            due_on=finance.add_months(D0, int(s.month[i])),
            opening_principal_fen=int(s.opening_principal_fen[i]),
            principal_fen=int(s.principal_fen[i]),
            interest_fen=int(s.interest_fen[i]),
            fee_fen=int(s.fee_fen[i]),
            line_id=i + 1,
        )
        for i in range(len(s.period))
    )


def terms(rate: str, method: str, term: int) -> Terms:
    return Terms(Decimal(rate), method, D0, term)


# --- penalty ---------------------------------------------------------------------------------


def test_penalty_by_hand():
    line = Line(1, date(2026, 3, 1), 100_000, 10_000, 500)
    # 10,500 overdue x 7.2% x 1.5 / 360 = 3.15 fen a day; 31 days = 97.65 -> 98
    after = ledger.accrue_penalty(
        line, annual_rate=Decimal("0.072"), uplift=Decimal("0.5"), to_day=date(2026, 4, 1)
    )
    assert (after.penalty_fen, after.penalty_accrued_on) == (98, date(2026, 4, 1))
    # accrual continues from where it stopped, on what is still overdue (interest now paid)
    paid = replace(after, paid=Amounts(interest_fen=500, penalty_fen=98))
    again = ledger.accrue_penalty(
        paid, annual_rate=Decimal("0.072"), uplift=Decimal("0.5"), to_day=date(2026, 4, 11)
    )
    assert again.penalty_fen == 98 + 30  # 10,000 x 0.108 x 10 / 360 = 30
    # not yet overdue, already accrued, or nothing overdue: unchanged
    for day in (date(2026, 3, 1), date(2026, 2, 1)):
        assert (
            ledger.accrue_penalty(line, annual_rate=Decimal("0.1"), uplift=Decimal(0), to_day=day)
            is line
        )
    assert (
        ledger.accrue_penalty(
            again, annual_rate=Decimal("0.1"), uplift=Decimal(0), to_day=date(2026, 4, 11)
        )
        is again
    )
    settled = replace(line, paid=Amounts(10_000, 500))
    assert (
        ledger.accrue_penalty(
            settled, annual_rate=Decimal("0.1"), uplift=Decimal(1), to_day=date(2027, 1, 1)
        )
        is settled
    )


def test_half_up_rounding():
    # 1,000 x 0.09 x 2 / 360 = 0.5 fen -> 1 (half up, not to even)
    assert ledger.day_interest(1_000, Decimal("0.09"), 2) == 1
    assert ledger.day_interest(1_000, Decimal("0.09"), 1) == 0  # 0.25
    assert ledger.day_interest(300_000, Decimal("0.06"), 16) == 800


# --- allocation ------------------------------------------------------------------------------


def test_allocation_order_is_validated_naming_the_problem():
    assert ledger.parse_allocation_order(" Principal, interest,fee ,penalty ") == (
        Part.PRINCIPAL, Part.INTEREST, Part.FEE, Part.PENALTY,
    )  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        ledger.parse_allocation_order("penalty,interest,interest,capital")
    text = caught.value.message
    assert "unknown part 'capital'" in text
    assert "interest named twice" in text
    assert "fee missing" in text
    assert "principal missing" in text


def _overdue_lines() -> tuple[Line, ...]:
    a = Line(1, date(2026, 2, 1), 20_000, 10_000, 200, fee_fen=50, penalty_fen=30)
    b = Line(2, date(2026, 3, 1), 10_000, 10_000, 100, fee_fen=50, penalty_fen=10)
    return (b, a)  # given out of order: the oldest is paid first all the same


def test_allocation_oldest_line_first_in_the_configured_order():
    lines = _overdue_lines()
    out = ledger.allocate(lines, 10_300, date(2026, 3, 5))
    assert [(x.period_no, x.amounts) for x in out] == [
        (1, Amounts(10_000, 200, 50, 30)),
        (2, Amounts(0, 0, 10, 10)),  # penalty 10 first, then fee 10 of 50
    ]
    principal_first = ledger.parse_allocation_order("principal,interest,fee,penalty")
    out = ledger.allocate(lines, 10_100, date(2026, 3, 5), principal_first)
    assert [(x.period_no, x.amounts) for x in out] == [
        (1, Amounts(10_000, 100, 0, 0)),
    ]


def test_overpayment_and_nothing_due_are_refused_with_the_amounts():
    lines = _overdue_lines()
    due = ledger.amount_due(lines, date(2026, 3, 5)).total_fen
    assert due == 10_280 + 10_160
    with pytest.raises(ValidationError, match=r"¥204\.40 due on 2026-03-05.*prepayment"):
        ledger.allocate(lines, due + 1, date(2026, 3, 5))
    with pytest.raises(ConflictError, match=r"next instalment, ¥102\.80, falls due on 2026-02-01"):
        ledger.allocate(lines, 100, date(2026, 1, 20))
    with pytest.raises(ValidationError, match="more than zero"):
        ledger.allocate(lines, 0, date(2026, 3, 5))


# --- prepayment ------------------------------------------------------------------------------


def _paid(lines: tuple[Line, ...], n: int) -> tuple[Line, ...]:
    return tuple(
        ledger.apply_amounts(x, x.owed(), x.due_on) if i < n else x for i, x in enumerate(lines)
    )


def test_equal_instalment_both_options_agree_with_numpy_financial():
    lines = _paid(lines_of(36_000_000, "0.0435", 36, "equal_instalment"), 6)
    day = date(2026, 8, 10)  # 10 days after the 6th due date (31 Jul)
    options = ledger_prepay.prepayment_options(
        terms("0.0435", "equal_instalment", 36), lines, on=day, principal_fen=10_000_000
    )
    r = 0.0435 / 12
    balance = sum(x.principal_fen for x in lines[6:]) - 10_000_000
    lower = options[PrepayOption.LOWER_INSTALMENT]
    assert isinstance(lower, ledger_prepay.Prepayment)
    assert lower.accrued_interest_fen == round(10_000_000 * 0.0435 * 10 / 360) == 12_083
    assert lower.periods_after == 30
    assert lower.new_instalment_fen == round(float(npf.pmt(r, 30, -balance)))
    shorter = options[PrepayOption.SHORTEN_TERM]
    assert isinstance(shorter, ledger_prepay.Prepayment)
    instalment = round(float(npf.pmt(r, 36, -36_000_000)))
    n = math.ceil(float(npf.nper(r, -instalment, balance)))
    assert shorter.periods_after == n == 20
    assert shorter.new_instalment_fen == round(float(npf.pmt(r, n, -balance))) <= instalment
    for plan in (lower, shorter):
        assert sum(x.principal_fen for x in plan.new_lines) == balance
        assert [x.due_on for x in plan.new_lines] == [
            x.due_on for x in lines[6 : 6 + plan.periods_after]
        ]
        for x in plan.new_lines[:-1]:  # interest = round(opening x r) every period
            assert x.interest_fen == math.floor(x.opening_principal_fen * r + 0.5)
    assert shorter.interest_saved_fen > lower.interest_saved_fen > 0


def test_nper_matches_numpy_financial():
    for r, pay, pv in ((0.005, 103_280, 900_000), (0.0001, 1_000, 12_345), (0.01, 5_000, 100_000)):
        assert ledger_prepay.nper(r, pay, pv) == pytest.approx(float(npf.nper(r, -pay, pv)))
    assert ledger_prepay.nper(0.0, 1_000, 12_345) == 12.345
    assert ledger_prepay.nper(0.01, 100, 100_000) == math.inf


def test_equal_principal_keeps_the_monthly_principal_or_the_term():
    lines = _paid(lines_of(1_200_000, "0.06", 12, "equal_principal"), 2)
    t = terms("0.06", "equal_principal", 12)
    day = date(2026, 4, 30)  # the 3rd due date is 30 Apr: that period is due, so pay it first
    with pytest.raises(ConflictError, match=r"period 3.*repayment before prepaying"):
        ledger_prepay.prepayment(
            t, lines, on=day, principal_fen=150_000, option=PrepayOption.SHORTEN_TERM
        )
    day = date(2026, 4, 20)
    short = ledger_prepay.prepayment(
        t, lines, on=day, principal_fen=250_000, option=PrepayOption.SHORTEN_TERM
    )
    assert [x.principal_fen for x in short.new_lines] == [93_750] * 8  # ceil(750,000 / 100,000)
    lower = ledger_prepay.prepayment(
        t, lines, on=day, principal_fen=250_000, option=PrepayOption.LOWER_INSTALMENT
    )
    assert [x.principal_fen for x in lower.new_lines] == [75_000] * 10
    assert lower.new_lines[0].interest_fen == round(750_000 * 0.005)
    assert lower.accrued_interest_fen == round(250_000 * 0.06 * 20 / 360)  # from 31 Mar


def test_interest_only_and_bullet_lower_the_interest_only():
    io = lines_of(1_000_000, "0.05", 6, "interest_only")
    t = terms("0.05", "interest_only", 6)
    options = ledger_prepay.prepayment_options(t, io, on=date(2026, 2, 10), principal_fen=400_000)
    assert "interest_only" in str(options[PrepayOption.SHORTEN_TERM])
    plan = options[PrepayOption.LOWER_INSTALMENT]
    assert isinstance(plan, ledger_prepay.Prepayment)
    assert [x.interest_fen for x in plan.new_lines] == [round(600_000 * 0.05 / 12)] * 6
    assert [x.principal_fen for x in plan.new_lines] == [0] * 5 + [600_000]
    with pytest.raises(ValidationError, match="not available for interest_only"):
        ledger_prepay.prepayment(
            t, io, on=date(2026, 2, 10), principal_fen=1, option=PrepayOption.SHORTEN_TERM
        )
    bullet = lines_of(1_000_000, "0.05", 12, "bullet", fee="0.001")
    plan = ledger_prepay.prepayment(
        terms("0.05", "bullet", 12),
        bullet,
        on=date(2026, 7, 31),
        principal_fen=400_000,
        option=PrepayOption.LOWER_INSTALMENT,
    )
    (only,) = plan.new_lines
    assert (only.principal_fen, only.interest_fen, only.fee_fen) == (600_000, 30_000, 12_000)
    assert plan.accrued_interest_fen == round(400_000 * 0.05 * 181 / 360)  # 31 Jan -> 31 Jul


def test_full_prepayment_pays_every_remaining_principal():
    lines = _paid(lines_of(600_000, "0.06", 6, "equal_instalment"), 1)
    plan = ledger_prepay.prepayment(
        terms("0.06", "equal_instalment", 6),
        lines,
        on=date(2026, 3, 10),
        principal_fen=None,
        option=None,
    )
    assert plan.full
    assert plan.new_lines == ()
    assert sum(a.amounts.principal_fen for a in plan.allocations) == plan.principal_fen
    assert plan.principal_fen == sum(x.principal_fen for x in lines[1:])
    assert [a.amounts.interest_fen for a in plan.allocations] == [plan.accrued_interest_fen] + [
        0
    ] * 4
    with pytest.raises(ValidationError, match="less than the outstanding"):
        ledger_prepay.prepayment(
            terms("0.06", "equal_instalment", 6),
            lines,
            on=date(2026, 3, 10),
            principal_fen=plan.principal_fen,
            option=PrepayOption.LOWER_INSTALMENT,
        )


# --- property: the ledger balances -----------------------------------------------------------


@dataclass
class Book:
    """A loan driven only through the ledger functions, with an undo stack for reversals."""

    principal: int
    terms: Terms
    lines: tuple[Line, ...]
    outstanding: int
    written_off: int = 0
    repaid: list[int] = field(default_factory=list)  # principal of every row, reversals negative
    # principal, the lines to restore, and the allocations a reversal takes back (repayments)
    stack: list[tuple[int, tuple[Line, ...], tuple[ledger.LineAllocation, ...]]] = field(
        default_factory=list
    )
    closed: bool = False

    def check(self) -> None:
        assert ledger.ledger_difference(self.principal, sum(self.repaid), self.outstanding,
                                        self.written_off) == 0  # fmt: skip
        if not self.closed:
            assert self.outstanding == ledger.unpaid_principal(self.lines)


def _bare(lines: Sequence[Line]) -> tuple[Line, ...]:
    return tuple(replace(x, penalty_fen=0, penalty_accrued_on=None) for x in lines)


def _step(book: Book, kind: int, day: date, fraction: float, option: PrepayOption) -> None:
    lines = ledger.accrue_all(book.lines, annual_rate=book.terms.annual_rate,
                              uplift=Decimal("0.5"), to_day=day)  # fmt: skip
    before, paid = book.lines, ()
    if kind == 0:
        due = ledger.amount_due(lines, day).total_fen
        paid = ledger.allocate(lines, max(1, int(due * fraction)), day)
        new = list(lines)
        for a in paid:
            new[a.index] = ledger.apply_amounts(new[a.index], a.amounts, day)
        principal = sum(a.amounts.principal_fen for a in paid)
        book.lines, before = tuple(new), lines
    elif kind == 1:
        full = fraction > 0.9
        left = ledger.unpaid_principal(lines)
        plan = ledger_prepay.prepayment(
            book.terms,
            lines,
            on=day,
            principal_fen=None if full else max(1, int(left * fraction)),
            option=None if full else option,
        )
        ordered = sorted(lines, key=lambda x: x.period_no)
        kept = ordered[: plan.first_remaining]
        new_lines = tuple(
            Line(
                x.period_no,
                x.due_on,
                x.opening_principal_fen,
                x.principal_fen,
                x.interest_fen,
                x.fee_fen,
            )
            for x in plan.new_lines
        )
        paid_off = tuple(
            replace(x, paid=replace(x.paid, principal_fen=x.principal_fen), settled_on=day)
            for x in ordered[plan.first_remaining :]
        )
        book.lines = tuple(kept) + (paid_off if plan.full else new_lines)
        book.closed = plan.full
        principal = plan.principal_fen
    elif kind == 2:
        if book.stack and not book.written_off:
            principal, restore, taken = book.stack.pop()
            if taken:  # a repayment: taken back line by line, exactly
                back = list(book.lines)
                for a in taken:
                    back[a.index] = ledger.undo_amounts(back[a.index], a.amounts)
                assert _bare(back) == _bare(restore)  # accrued penalty stays accrued
            book.lines = restore
            book.repaid.append(-principal)
            book.outstanding += principal
            book.closed = False
        return
    else:
        book.written_off, book.outstanding, book.closed = book.outstanding, 0, True
        return
    book.stack.append((principal, before, paid))
    book.repaid.append(principal)
    book.outstanding -= principal


@settings(max_examples=60, deadline=None)
@given(
    method=st.sampled_from(finance.METHODS),
    principal=st.integers(10_000, 50_000_000),
    rate=st.sampled_from(["0", "0.0325", "0.0435", "0.18"]),
    term=st.integers(2, 36),
    steps=st.lists(
        st.tuples(
            st.sampled_from([0, 0, 0, 1, 2, 2, 3]),
            st.integers(1, 45),
            st.floats(0.05, 1.0),
            st.sampled_from(list(PrepayOption)),
        ),
        max_size=25,
    ),
)
def test_ledger_balances_under_random_sequences(method, principal, rate, term, steps):
    t = terms(rate, method, term)
    book = Book(principal, t, lines_of(principal, rate, term, method), principal)
    day = D0
    for kind, gap, fraction, option in steps:
        day += timedelta(days=gap)
        if book.written_off or (book.closed and kind != 2):
            continue
        with contextlib.suppress(ConflictError, ValidationError):  # refused: nothing changed
            _step(book, kind, day, fraction, option)
        book.check()
    while book.stack and not book.written_off:  # every posting undone: back to the start
        _step(book, 2, day, 1.0, PrepayOption.LOWER_INSTALMENT)
    if not book.written_off:
        assert _bare(book.lines) == lines_of(principal, rate, term, method)
        assert book.outstanding == principal
