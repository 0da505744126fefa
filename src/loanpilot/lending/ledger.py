"""Pure servicing rules of one loan: penalty interest, allocating a payment, the ledger check.

No session, clock or randomness here (house rule 2): the service passes the loan's schedule lines
(frozen ``Line``), the day and the settings in, and writes back what these functions return.

Penalty interest (罚息)
    A line is overdue from the day after its due date while principal or interest of it is
    unpaid. Penalty accrues on that overdue base (unpaid principal + unpaid interest; never on
    fees or on penalty itself) at the contract rate × (1 + uplift), actual/360::

        penalty = round_half_up(base × annual_rate × (1 + uplift) × days / 360)   (fen)

    with ``days`` counted from ``penalty_accrued_on`` (or the due date, the first time) to the
    given day. ``accrue_penalty`` adds that to the line's ``penalty_fen`` and moves
    ``penalty_accrued_on`` to the day; the service accrues every due line to the payment day
    before it allocates, so each stretch of days accrues on the base in force during it.

Allocation
    A payment pays the lines due on or before the payment day, oldest first; within a line the
    parts in the configured order (``Settings.allocation_order``, default penalty, fee,
    interest, principal). It may not exceed what is due: paying ahead of schedule is a
    prepayment. A line is settled on the day nothing of it is left to pay.

Prepayment (提前还款) and the schedule recalculated after it: ``lending.ledger_prepay``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from loanpilot.kit.money import format_yuan
from loanpilot.lending.servicing_errors import invalid, refused

DAY_BASIS = 360


class Part(StrEnum):
    PENALTY = "penalty"
    FEE = "fee"
    INTEREST = "interest"
    PRINCIPAL = "principal"


DEFAULT_ORDER: tuple[Part, ...] = (Part.PENALTY, Part.FEE, Part.INTEREST, Part.PRINCIPAL)


@dataclass(frozen=True)
class Amounts:
    """Money split into the four parts of a payment."""

    principal_fen: int = 0
    interest_fen: int = 0
    fee_fen: int = 0
    penalty_fen: int = 0

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.interest_fen + self.fee_fen + self.penalty_fen

    def of(self, part: Part) -> int:
        value: int = getattr(self, f"{part.value}_fen")
        return value

    def plus(self, other: Amounts) -> Amounts:
        return Amounts(
            self.principal_fen + other.principal_fen,
            self.interest_fen + other.interest_fen,
            self.fee_fen + other.fee_fen,
            self.penalty_fen + other.penalty_fen,
        )

    def negated(self) -> Amounts:
        return Amounts(-self.principal_fen, -self.interest_fen, -self.fee_fen, -self.penalty_fen)


@dataclass(frozen=True)
class Line:
    """One schedule line as the rules see it (``line_id`` ties it back to its row)."""

    period_no: int
    due_on: date
    opening_principal_fen: int
    principal_fen: int
    interest_fen: int
    fee_fen: int = 0
    paid: Amounts = field(default_factory=Amounts)
    penalty_fen: int = 0  # accrued to penalty_accrued_on
    penalty_accrued_on: date | None = None
    settled_on: date | None = None
    line_id: int | None = None

    def owed(self) -> Amounts:
        """What is still to pay of this line (penalty: as accrued so far)."""
        return Amounts(
            max(0, self.principal_fen - self.paid.principal_fen),
            max(0, self.interest_fen - self.paid.interest_fen),
            max(0, self.fee_fen - self.paid.fee_fen),
            max(0, self.penalty_fen - self.paid.penalty_fen),
        )

    @property
    def overdue_base_fen(self) -> int:
        owed = self.owed()
        return owed.principal_fen + owed.interest_fen


@dataclass(frozen=True)
class Terms:
    """What the rules need of the loan itself."""

    annual_rate: Decimal
    method: str  # analytics.finance.METHODS
    disbursed_on: date
    term_months: int


def round_fen(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def day_interest(base_fen: int, annual_rate: Decimal, days: int) -> int:
    """Simple interest on ``base_fen`` for ``days`` days, actual/360, rounded half up."""
    if days <= 0 or base_fen <= 0:
        return 0
    return round_fen(Decimal(base_fen) * annual_rate * days / DAY_BASIS)


# --- penalty interest ----------------------------------------------------------------------


def accrue_penalty(line: Line, *, annual_rate: Decimal, uplift: Decimal, to_day: date) -> Line:
    """``line`` with penalty accrued to ``to_day`` (formula in the module docstring); the same
    line when nothing is overdue or it is already accrued that far."""
    if annual_rate < 0 or uplift < 0:
        raise ValueError(f"annual_rate and uplift must be >= 0; got {annual_rate}, {uplift}")
    start = line.penalty_accrued_on or line.due_on
    base = line.overdue_base_fen
    if to_day <= start or base <= 0:
        return line
    added = day_interest(base, annual_rate * (1 + uplift), (to_day - start).days)
    return replace(line, penalty_fen=line.penalty_fen + added, penalty_accrued_on=to_day)


def accrue_all(
    lines: Sequence[Line], *, annual_rate: Decimal, uplift: Decimal, to_day: date
) -> tuple[Line, ...]:
    return tuple(
        accrue_penalty(x, annual_rate=annual_rate, uplift=uplift, to_day=to_day) for x in lines
    )


# --- allocation ------------------------------------------------------------------------------


def parse_allocation_order(text: str) -> tuple[Part, ...]:
    """``"penalty,fee,interest,principal"`` → the parts in that order; every one exactly once."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    known = {p.value for p in Part}
    problems = [f"unknown part {n!r}" for n in names if n not in known]
    problems += [f"{n} named twice" for n in sorted({n for n in names if names.count(n) > 1})]
    problems += [f"{p} missing" for p in (p.value for p in Part) if p not in names]
    if problems:
        found = "; ".join(problems)
        raise invalid(
            "settings.allocation_order",
            "allocation_order",
            f"allocation_order must name penalty, fee, interest and principal once each, "
            f"comma-separated; got {text!r}: {found}",
            text=text,
            problems=found,
        )
    return tuple(Part(n) for n in names)


@dataclass(frozen=True)
class LineAllocation:
    """What one payment puts on one line (``index``: position in the lines given)."""

    index: int
    period_no: int
    line_id: int | None
    amounts: Amounts


def due_indexes(lines: Sequence[Line], on: date) -> list[int]:
    """Positions of the lines due on or before ``on`` with something left to pay, oldest first."""
    due = [i for i, x in enumerate(lines) if x.due_on <= on and x.owed().total_fen > 0]
    return sorted(due, key=lambda i: (lines[i].due_on, lines[i].period_no))


def amount_due(lines: Sequence[Line], on: date) -> Amounts:
    """Everything due on ``on`` (penalty as accrued on the lines: accrue them first)."""
    total = Amounts()
    for i in due_indexes(lines, on):
        total = total.plus(lines[i].owed())
    return total


def allocate(
    lines: Sequence[Line], amount_fen: int, on: date, order: Sequence[Part] = DEFAULT_ORDER
) -> tuple[LineAllocation, ...]:
    """Split a payment of ``amount_fen`` made ``on`` over the due lines (module docstring).

    Refused when it is not positive, when nothing is due, or when it exceeds what is due."""
    if amount_fen <= 0:
        raise invalid("repayment.amount", "amount", "The amount must be more than zero")
    due = amount_due(lines, on).total_fen
    if due == 0:
        upcoming = [x for x in lines if x.due_on > on and x.owed().total_fen > 0]
        if not upcoming:
            raise refused(
                "repayment.nothing_due",
                f"Nothing is due on {on.isoformat()}. To repay ahead of schedule, post a "
                "prepayment",
                on=on.isoformat(),
            )
        nxt = min(upcoming, key=lambda x: x.due_on)
        raise refused(
            "repayment.nothing_due",
            f"Nothing is due on {on.isoformat()}; the next instalment, "
            f"{format_yuan(nxt.owed().total_fen)}, falls due on {nxt.due_on.isoformat()}. To "
            "repay ahead of schedule, post a prepayment",
            variant="next",
            on=on.isoformat(),
            next_amount=format_yuan(nxt.owed().total_fen),
            next_on=nxt.due_on.isoformat(),
        )
    if amount_fen > due:
        raise invalid(
            "repayment.overpaid",
            "amount",
            f"The amount {format_yuan(amount_fen)} is more than the {format_yuan(due)} due on "
            f"{on.isoformat()}. Post {format_yuan(due)}, and repay the rest as a prepayment",
            amount=format_yuan(amount_fen),
            due=format_yuan(due),
            on=on.isoformat(),
        )
    left = amount_fen
    out: list[LineAllocation] = []
    for i in due_indexes(lines, on):
        owed = lines[i].owed()
        taken = dict.fromkeys(Part, 0)
        for part in order:
            taken[part] = min(left, owed.of(part))
            left -= taken[part]
        parts = Amounts(
            taken[Part.PRINCIPAL], taken[Part.INTEREST], taken[Part.FEE], taken[Part.PENALTY]
        )
        if parts.total_fen:
            out.append(LineAllocation(i, lines[i].period_no, lines[i].line_id, parts))
        if left == 0:
            break
    return tuple(out)


def apply_amounts(line: Line, amounts: Amounts, on: date) -> Line:
    """``line`` after ``amounts`` were paid on it ``on`` (settled once nothing is left)."""
    paid = line.paid.plus(amounts)
    after = replace(line, paid=paid)
    return replace(after, settled_on=on if after.owed().total_fen == 0 else None)


def undo_amounts(line: Line, amounts: Amounts) -> Line:
    """``line`` with ``amounts`` taken back off (a reversal): unsettled if anything is owed."""
    after = replace(line, paid=line.paid.plus(amounts.negated()))
    return after if after.owed().total_fen == 0 else replace(after, settled_on=None)


def unpaid_principal(lines: Sequence[Line]) -> int:
    """Principal of ``lines`` not yet repaid (the ledger check compares it with the loan's)."""
    return sum(max(0, x.principal_fen - x.paid.principal_fen) for x in lines)


def ledger_difference(
    principal_fen: int, repaid_principal_fen: int, outstanding_fen: int, written_off_fen: int
) -> int:
    """principal - (repaid + outstanding + written off): zero when the loan balances."""
    return principal_fen - (repaid_principal_fen + outstanding_fen + written_off_fen)
