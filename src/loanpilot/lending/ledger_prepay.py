"""Pure prepayment rules of one loan: what a prepayment charges, and the schedule after it.

The rest of servicing (penalty interest, allocating a payment, the ledger check) is
``lending.ledger``'s; this module builds on its ``Line``, ``Terms`` and ``Amounts``. Pure like it
(house rule 2): no session, clock or randomness.

Prepayment (提前还款)
    Allowed once nothing is overdue or due (arrears are paid as a repayment first). The customer
    repays principal ``X`` plus the interest on ``X`` accrued from the last due date (the
    disbursement date before the first one) to the prepayment day, actual/360::

        accrued = round_half_up(X × annual_rate × days / 360)

    A full prepayment repays every remaining line's principal and settles the loan; the rest of
    the scheduled interest and fees is not charged. A partial one writes a new schedule from the
    next period on the remaining principal ``B`` (same due dates, same per-period fee, the new
    period's interest a full period's on ``B``), computed by ``analytics.finance.schedule`` and so
    agreeing with numpy-financial to the fen:

    * ``lower_instalment`` keeps the number of remaining periods ``m``: ``schedule(B, m)``.
    * ``shorten_term`` keeps the instalment: equal instalment (等额本息) takes the fewest periods
      whose instalment does not exceed the current one, ``m' = ceil(nper(r, -A, B))``, then
      ``schedule(B, m')`` (instalment ``round(pmt(r, m', -B)) <= A``); equal principal (等额本金)
      keeps the monthly principal ``p``: ``m' = ceil(B / p)``, then ``schedule(B, m')``.
      Interest-only (先息后本) and bullet (一次性还本付息) loans repay their principal at maturity:
      a prepayment only lowers their interest, so they offer ``lower_instalment`` alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from loanpilot.analytics import finance
from loanpilot.kit.money import format_yuan
from loanpilot.lending.ledger import Amounts, Line, LineAllocation, Terms, day_interest
from loanpilot.lending.servicing_errors import invalid, refused


class PrepayOption(StrEnum):
    SHORTEN_TERM = "shorten_term"  # keep the instalment, fewer periods (缩短期限)
    LOWER_INSTALMENT = "lower_instalment"  # keep the term, lower payment (减少月供)


@dataclass(frozen=True)
class NewLine:
    """A line of the recalculated schedule."""

    period_no: int
    due_on: date
    opening_principal_fen: int
    principal_fen: int
    interest_fen: int
    fee_fen: int

    @property
    def payment_fen(self) -> int:
        return self.principal_fen + self.interest_fen + self.fee_fen


@dataclass(frozen=True)
class Prepayment:
    """A prepayment worked out: what is paid now, and the schedule after it."""

    full: bool
    option: PrepayOption | None  # None for a full prepayment
    paid_on: date
    principal_fen: int  # prepaid principal
    accrued_interest_fen: int
    interest_from: date
    remaining_before_fen: int
    first_remaining: int  # position (in period order) of the first line not yet due
    old_instalment_fen: int
    periods_before: int
    new_lines: tuple[NewLine, ...]
    interest_before_fen: int  # scheduled interest of the remaining periods
    allocations: tuple[LineAllocation, ...]

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.accrued_interest_fen

    @property
    def periods_after(self) -> int:
        return len(self.new_lines)

    @property
    def new_instalment_fen(self) -> int:
        return self.new_lines[0].payment_fen if self.new_lines else 0

    @property
    def interest_saved_fen(self) -> int:
        after = sum(x.interest_fen for x in self.new_lines) + self.accrued_interest_fen
        return self.interest_before_fen - after


def nper(monthly_rate: float, payment_fen: int, principal_fen: int) -> float:
    """Periods of ``payment_fen`` that repay ``principal_fen`` at ``monthly_rate`` (numpy-financial
    ``nper(r, -payment, principal)``); infinite when the payment does not cover the interest."""
    if payment_fen <= 0:
        return math.inf
    if monthly_rate == 0.0:
        return principal_fen / payment_fen
    rest = 1.0 - principal_fen * monthly_rate / payment_fen
    return math.inf if rest <= 0.0 else -math.log(rest) / math.log1p(monthly_rate)


def shorten_unavailable(method: str) -> str | None:
    """Why ``shorten_term`` is not offered for ``method`` (None: it is)."""
    if method in (finance.INTEREST_ONLY, finance.BULLET):
        return (
            f"shorten_term is not available for {method} loans: their principal is due at "
            "maturity, so a prepayment lowers the interest only (choose lower_instalment)"
        )
    return None


def _arrears_check(ordered: Sequence[Line], on: date) -> int:
    """The number of lines due on or before ``on`` (all must be paid); refuses arrears."""
    due = [x for x in ordered if x.due_on <= on]
    owed = [x for x in due if x.owed().total_fen > 0]
    if owed:
        total = format_yuan(sum(x.owed().total_fen for x in owed))
        periods = ", ".join(str(x.period_no) for x in owed)
        raise refused(
            "prepayment.arrears",
            f"{total} is due on or before {on.isoformat()} (period {periods}); "
            "post it as a repayment before prepaying",
            total=total,
            on=on.isoformat(),
            periods=periods,
        )
    if len(due) == len(ordered):
        raise refused(
            "prepayment.nothing_ahead",
            f"No instalment falls due after {on.isoformat()}: there is nothing to prepay",
            on=on.isoformat(),
        )
    return len(due)


def _new_schedule(
    terms: Terms, remaining: Sequence[Line], balance: int, option: PrepayOption
) -> tuple[NewLine, ...]:
    m = len(remaining)
    method = terms.method
    if option is PrepayOption.SHORTEN_TERM:
        reason = shorten_unavailable(method)
        if reason:
            raise invalid(
                "prepayment.option", "option", reason, variant="shorten_unavailable", method=method
            )
        first = remaining[0]
        if method == finance.EQUAL_INSTALMENT:
            instalment = first.principal_fen + first.interest_fen
            n = nper(float(terms.annual_rate) / 12.0, instalment, balance)
        else:  # equal principal: keep the monthly principal
            n = balance / first.principal_fen if first.principal_fen > 0 else math.inf
        m = min(m, max(1, math.ceil(n - 1e-9))) if math.isfinite(n) else m
    if method == finance.BULLET:
        s = finance.schedule(balance, terms.annual_rate, terms.term_months, method)
    else:
        s = finance.schedule(balance, terms.annual_rate, m, method)
    return tuple(
        NewLine(
            period_no=remaining[i].period_no,
            due_on=remaining[i].due_on,
            opening_principal_fen=int(s.opening_principal_fen[i]),
            principal_fen=int(s.principal_fen[i]),
            interest_fen=int(s.interest_fen[i]),
            fee_fen=remaining[i].fee_fen,
        )
        for i in range(len(s.period))
    )


def prepayment(
    terms: Terms,
    lines: Sequence[Line],
    *,
    on: date,
    principal_fen: int | None,
    option: PrepayOption | None,
) -> Prepayment:
    """Work out a prepayment made ``on``: full when ``principal_fen`` is None, else partial with
    the customer's ``option`` (module docstring)."""
    if on < terms.disbursed_on:
        raise invalid(
            "prepayment.date",
            "paid_on",
            f"The prepayment date {on.isoformat()} is before the disbursement "
            f"({terms.disbursed_on.isoformat()})",
            on=on.isoformat(),
            disbursed_on=terms.disbursed_on.isoformat(),
        )
    ordered = sorted(lines, key=lambda x: x.period_no)
    k = _arrears_check(ordered, on)
    remaining = ordered[k:]
    before = sum(x.owed().principal_fen for x in remaining)
    full = principal_fen is None
    amount = before if principal_fen is None else principal_fen
    if not full and option is None:
        raise invalid(
            "prepayment.option",
            "option",
            "Choose shorten_term or lower_instalment for a partial prepayment",
            variant="choose",
        )
    if not full and not 0 < amount < before:
        raise invalid(
            "prepayment.amount",
            "amount",
            f"The prepaid principal must be more than zero and less than the outstanding "
            f"{format_yuan(before)}; got {format_yuan(amount)} (to repay it all, prepay in full)",
            outstanding=format_yuan(before),
            got=format_yuan(amount),
        )
    interest_from = ordered[k - 1].due_on if k else terms.disbursed_on
    accrued = day_interest(amount, terms.annual_rate, (on - interest_from).days)
    first = remaining[0]
    if full:
        new_lines: tuple[NewLine, ...] = ()
        allocations = tuple(
            LineAllocation(
                k + j,
                x.period_no,
                x.line_id,
                Amounts(x.owed().principal_fen, accrued if j == 0 else 0),
            )
            for j, x in enumerate(remaining)
            if x.owed().principal_fen or j == 0
        )
    else:
        assert option is not None  # checked above
        new_lines = _new_schedule(terms, remaining, before - amount, option)
        allocations = (LineAllocation(k, first.period_no, first.line_id, Amounts(amount, accrued)),)
    return Prepayment(
        full=full,
        option=None if full else option,
        paid_on=on,
        principal_fen=amount,
        accrued_interest_fen=accrued,
        interest_from=interest_from,
        remaining_before_fen=before,
        first_remaining=k,
        old_instalment_fen=first.principal_fen + first.interest_fen + first.fee_fen,
        periods_before=len(remaining),
        new_lines=new_lines,
        interest_before_fen=sum(x.interest_fen for x in remaining),
        allocations=allocations,
    )


def prepayment_options(
    terms: Terms, lines: Sequence[Line], *, on: date, principal_fen: int
) -> dict[PrepayOption, Prepayment | str]:
    """Both options of a partial prepayment side by side (a string: why one is not offered)."""
    out: dict[PrepayOption, Prepayment | str] = {}
    for option in PrepayOption:
        reason = shorten_unavailable(terms.method) if option is PrepayOption.SHORTEN_TERM else None
        out[option] = reason or prepayment(
            terms, lines, on=on, principal_fen=principal_fen, option=option
        )
    return out
