"""Servicing on a real database (SQLite and PostgreSQL): repayments with penalty, prepayments
both ways, reversals, write-offs, idempotent references, and the ledger check (empty after every
posting, and a seeded break found). Loans are built directly: Loan + ScheduleLine rows from
``analytics.finance``."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy_financial as npf
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests import post_loan_site as site

from loanpilot.analytics import finance
from loanpilot.audit.models import AuditLog
from loanpilot.customers.models import Channel, Customer
from loanpilot.db.session import transaction
from loanpilot.kit.errors import ConflictError, DomainError, ValidationError
from loanpilot.lending import servicing, servicing_prepay, servicing_reversal
from loanpilot.lending.events import current_stage, transition
from loanpilot.lending.ledger_prepay import PrepayOption
from loanpilot.lending.models import (
    Loan,
    LoanStatus,
    Repayment,
    RepaymentAllocation,
    ScheduleLine,
    WorkflowEvent,
)
from loanpilot.lending.workflow import Action, Stage
from loanpilot.products.models import LoanProduct, RateBasis, RepaymentMethod
from loanpilot.team.models import Branch

NOW = datetime(2027, 6, 1, 4, 0, tzinfo=UTC)
TODAY = date(2027, 6, 1)
POLICY = servicing.Policy()
RATE = Decimal("0.06")


def build_loan(
    session: Session,
    no: str,
    *,
    principal: int = 1_200_000,
    rate: Decimal = RATE,
    term: int = 12,
    method: str = "equal_instalment",
    disbursed: date = date(2026, 1, 15),
    fee_rate: Decimal = Decimal(0),
) -> Loan:
    """A repaying loan with its version-1 schedule (flushed)."""
    branch = session.scalar(select(Branch).where(Branch.code == "SV01"))
    if branch is None:
        branch = site.branch("SV01", "测试支行")
        product = site.consumer_product(
            "SV-CONSUMER", min_amount_fen=100, max_amount_fen=10**10, min_term_months=1,
            max_term_months=360, min_spread=Decimal("0.01"), max_spread=Decimal("0.2"),
            repayment_methods=[m.value for m in RepaymentMethod],
        )  # fmt: skip
        session.add_all([branch, product])
        session.flush()
        session.add(
            site.customer("SV00001", b"s" * 16, home_branch_id=branch.id, marketing_consent=True)
        )
        session.flush()
    product_id = session.scalar(select(LoanProduct.id).where(LoanProduct.code == "SV-CONSUMER"))
    customer_id = session.scalar(select(Customer.id).where(Customer.customer_no == "SV00001"))
    s = finance.schedule(principal, rate, term, method, fee_rate)
    dues = [finance.add_months(disbursed, int(m)) for m in s.month]
    loan = Loan(
        loan_no=no, customer_id=customer_id, product_id=product_id, branch_id=branch.id,
        channel=Channel.BRANCH, principal_fen=principal, rate_basis=RateBasis.FIXED,
        base_rate=Decimal(0), spread=rate, annual_rate=rate, monthly_fee_rate=fee_rate,
        apr=finance.apr(s), term_months=term, repayment_method=RepaymentMethod(method),
        disbursed_on=disbursed, first_due_on=dues[0], maturity_on=dues[-1],
        status=LoanStatus.REPAYING, outstanding_principal_fen=principal, written_off_fen=0,
    )  # fmt: skip
    session.add(loan)
    session.flush()
    session.add_all(
        ScheduleLine(
            loan_id=loan.id,
            version=1,
            period_no=int(s.period[i]),
            due_on=dues[i],
            opening_principal_fen=int(s.opening_principal_fen[i]),
            principal_fen=int(s.principal_fen[i]),
            interest_fen=int(s.interest_fen[i]),
            fee_fen=int(s.fee_fen[i]),
        )
        for i in range(len(s.period))
    )
    session.flush()
    return loan


def current_lines(session: Session, loan: Loan) -> list[ScheduleLine]:
    return list(
        session.scalars(
            select(ScheduleLine)
            .where(ScheduleLine.loan_id == loan.id, ScheduleLine.version == loan.schedule_version)
            .order_by(ScheduleLine.period_no)
        )
    )


def post(session: Session, loan: Loan, amount: int, day: date, ref: str) -> Repayment:
    return servicing.post_repayment(
        session, loan.id, amount_fen=amount, paid_on=day, txn_ref=ref, today=TODAY, now=NOW,
        policy=POLICY,
    ).repayment  # fmt: skip


def test_on_time_payment_settles_the_line_and_balances(session_factory: sessionmaker[Session]):
    with transaction(session_factory) as s:
        loan = build_loan(s, "SV-A")
        first = current_lines(s, loan)[0]
        due = first.principal_fen + first.interest_fen
        rep = post(s, loan, due, first.due_on, "T-A1")
        assert (rep.principal_fen, rep.interest_fen, rep.penalty_fen) == (
            first.principal_fen, first.interest_fen, 0,
        )  # fmt: skip
        assert first.settled_on == first.due_on
        assert loan.outstanding_principal_fen == 1_200_000 - first.principal_fen
        alloc = s.scalars(
            select(RepaymentAllocation).where(RepaymentAllocation.repayment_id == rep.id)
        ).all()
        assert [(a.schedule_line_id, a.principal_fen) for a in alloc] == [
            (first.id, first.principal_fen)
        ]
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "repayment.post")).one()
        assert audit.entity_id == "SV-A"
        assert audit.detail["amount_fen"] == due
        assert "张三" not in str(audit.detail)
        assert servicing.ledger_breaks(s) == []


def test_late_payment_pays_hand_computed_penalty_first(session_factory: sessionmaker[Session]):
    with transaction(session_factory) as s:
        loan = build_loan(s, "SV-B")
        first = current_lines(s, loan)[0]
        base = first.principal_fen + first.interest_fen
        late = first.due_on + timedelta(days=10)
        # penalty = base x 6% x (1 + 0.5) x days / 360, half up: 103,280 x 0.09 x 10 / 360 = 258.2
        assert base == 103_280
        rep = post(s, loan, 300, late, "T-B1")
        assert (rep.penalty_fen, rep.fee_fen, rep.interest_fen, rep.principal_fen) == (
            258,
            0,
            42,
            0,
        )
        assert first.penalty_fen == 258
        assert first.penalty_accrued_on == late
        assert first.settled_on is None
        # five more days on what is left overdue: 103,238 x 0.09 x 5 / 360 = 129.05
        later = late + timedelta(days=5)
        rest, more = base - 42, 129
        assert servicing.amount_due(s, loan.id, later, POLICY).total_fen == rest + more
        rep2 = post(s, loan, rest + more, later, "T-B2")
        assert rep2.penalty_fen == more
        assert first.settled_on == later
        assert servicing.ledger_breaks(s) == []


def test_refusals_change_nothing(session_factory: sessionmaker[Session]):
    with transaction(session_factory) as s:
        loan = build_loan(s, "SV-C")
        loan_id = loan.id
        first = current_lines(s, loan)[0]
        post(s, loan, 5_000, first.due_on, "T-C1")

    def overpay() -> None:
        with transaction(session_factory) as s:
            post(s, s.get(Loan, loan_id), 1_000_000, first.due_on, "T-C2")

    def pay_then_pay_again() -> None:
        with transaction(session_factory) as s:
            loan = s.get(Loan, loan_id)
            post(s, loan, 98_280, first.due_on, "T-C3")  # pays the rest of period 1
            post(s, loan, 100, date(2026, 2, 20), "T-C4")

    with pytest.raises(ValidationError, match=r"more than the ¥982\.80 due.*prepayment"):
        overpay()
    with pytest.raises(
        ConflictError, match=r"Nothing is due on 2026-02-20.*falls due on 2026-03-15"
    ):
        pay_then_pay_again()
    with pytest.raises(ConflictError, match="already used"), transaction(session_factory) as s:
        post(s, s.get(Loan, loan_id), 4_000, first.due_on, "T-C1")
    with transaction(session_factory) as s:
        loan = s.get(Loan, loan_id)
        assert s.scalar(select(func.count(Repayment.id))) == 1
        assert loan.outstanding_principal_fen == 1_200_000
        # the same reference and amount again: the first posting, replayed
        again = servicing.post_repayment(
            s, loan_id, amount_fen=5_000, paid_on=first.due_on, txn_ref="T-C1", today=TODAY,
            now=NOW, policy=POLICY,
        )  # fmt: skip
        assert again.replayed
        assert again.repayment.txn_ref == "T-C1"
        with pytest.raises(ValidationError, match="date order"):
            post(s, loan, 100, first.due_on - timedelta(days=1), "T-C5")
    # the same reference on another loan tells nothing of the first posting (its loan may be
    # out of the caller's scope)
    with transaction(session_factory) as s:
        other_id = build_loan(s, "SV-A2").id
    with pytest.raises(ConflictError) as caught, transaction(session_factory) as s:
        post(s, s.get(Loan, other_id), 5_000, first.due_on, "T-C1")
    assert caught.value.code == "repayment.txn_ref_used"
    assert "already used; use a new reference" in str(caught.value)
    assert "50.00" not in str(caught.value)
    assert str(first.due_on) not in str(caught.value)


def _pay_periods(s: Session, loan: Loan, n: int, tag: str) -> None:
    for i, line in enumerate(current_lines(s, loan)[:n]):
        post(
            s, loan, line.principal_fen + line.interest_fen + line.fee_fen, line.due_on, f"{tag}{i}"
        )


@pytest.mark.parametrize("option", list(PrepayOption))
def test_partial_prepayment_recalculates_and_reverses(session_factory, option):
    with transaction(session_factory) as s:
        loan = build_loan(s, "SV-D")
        _pay_periods(s, loan, 3, "T-D")
        before = [(x.period_no, x.principal_fen, x.settled_on) for x in current_lines(s, loan)]
        day = date(2026, 5, 1)  # 16 days after the 3rd due date (2026-04-15)
        outstanding = loan.outstanding_principal_fen
        rep = servicing_prepay.prepay(
            s, loan.id, principal_fen=300_000, option=option, paid_on=day, txn_ref="T-DP",
            today=TODAY, now=NOW, policy=POLICY,
        ).repayment  # fmt: skip
        assert rep.interest_fen == round(300_000 * 0.06 * 16 / 360) == 800
        assert rep.amount_fen == 300_800
        assert rep.is_prepayment
        assert loan.schedule_version == 2
        lines = current_lines(s, loan)
        new = lines[3:]
        balance = outstanding - 300_000
        r = 0.06 / 12
        if option is PrepayOption.LOWER_INSTALMENT:
            assert len(new) == 9
            assert new[0].principal_fen + new[0].interest_fen == round(npf.pmt(r, 9, -balance))
        else:
            old_instalment = round(npf.pmt(r, 12, -1_200_000))  # 103,280: the instalment in force
            n = int(-(-npf.nper(r, -old_instalment, balance) // 1))
            assert len(new) == n < 9
            assert new[0].principal_fen + new[0].interest_fen == round(npf.pmt(r, n, -balance))
            assert loan.maturity_on == new[-1].due_on
        assert sum(x.principal_fen for x in new) == balance
        assert [x.settled_on for x in lines[:3]] == [b[2] for b in before[:3]]
        assert servicing.ledger_breaks(s) == []
        servicing_reversal.reverse_repayment(s, rep.id, reason="wrong loan", today=TODAY, now=NOW)
        assert loan.schedule_version == 1
        assert loan.outstanding_principal_fen == outstanding
        assert [
            (x.period_no, x.principal_fen, x.settled_on) for x in current_lines(s, loan)
        ] == before
        assert s.scalar(select(func.count()).where(ScheduleLine.version == 2)) == 0
        assert loan.maturity_on == date(2027, 1, 15)
        assert servicing.ledger_breaks(s) == []


def test_full_prepayment_settles_and_its_reversal_reopens(session_factory):
    with transaction(session_factory) as s:
        loan = build_loan(s, "SV-E", method="equal_principal")
        _pay_periods(s, loan, 2, "T-E")
        payoff, _ = servicing_prepay.preview_prepayment(
            s, loan.id, principal_fen=None, paid_on=date(2026, 3, 25), policy=POLICY
        )
        assert payoff.principal_fen == 1_000_000
        rep = servicing_prepay.prepay(
            s, loan.id, principal_fen=None, option=None, paid_on=date(2026, 3, 25),
            txn_ref="T-EP", today=TODAY, now=NOW, policy=POLICY,
        ).repayment  # fmt: skip
        assert rep.interest_fen == round(1_000_000 * 0.06 * 10 / 360)
        assert loan.status is LoanStatus.SETTLED
        assert loan.settled_on == date(2026, 3, 25)
        assert loan.outstanding_principal_fen == 0
        event = s.scalars(select(WorkflowEvent).where(WorkflowEvent.entity_id == loan.id)).one()
        assert (event.action, event.to_stage) == ("settle", "settled")
        assert servicing.ledger_breaks(s) == []
        with pytest.raises(ConflictError, match="settled"):
            post(s, loan, 100, date(2026, 4, 15), "T-E9")
        with pytest.raises(ConflictError, match="reverse T-EP"):
            servicing_reversal.reverse_repayment(s, rep.id - 1, reason="x", today=TODAY, now=NOW)
        servicing_reversal.reverse_repayment(s, rep.id, reason="bounced", today=TODAY, now=NOW)
        assert loan.status is LoanStatus.REPAYING
        assert loan.settled_on is None
        assert all(x.settled_on is None for x in current_lines(s, loan)[2:])
        assert s.scalars(select(AuditLog.action).where(AuditLog.action == "loan.reopen")).all()
        events = s.scalars(
            select(WorkflowEvent)
            .where(WorkflowEvent.entity_id == loan.id)
            .order_by(WorkflowEvent.id)
        ).all()
        assert [(e.action, e.from_stage, e.to_stage) for e in events] == [
            ("settle", "repaying", "settled"), ("reopen", "settled", "repaying"),
        ]  # fmt: skip
        assert current_stage(s, "loan", loan.id, loan.status.value) is Stage.REPAYING
        assert servicing.ledger_breaks(s) == []


def _to_collections(s: Session, loan: Loan) -> None:
    transition(
        s, entity="loan", entity_id=loan.id, entity_label=loan.loan_no, stage=Stage.REPAYING,
        action=Action.TRANSFER_TO_COLLECTIONS, now=NOW,
    )  # fmt: skip


def test_a_loan_in_collections_settles_and_is_written_off_from_there(session_factory):
    """The status column says repaying while the loan is in collections; the transitions start
    from the recorded stage (in_collections), not from the status column."""
    with transaction(session_factory) as s:
        loan = build_loan(s, "SV-H")
        _pay_periods(s, loan, 2, "T-H")
        _to_collections(s, loan)
        assert loan.status is LoanStatus.REPAYING
        rep = servicing_prepay.prepay(
            s, loan.id, principal_fen=None, option=None, paid_on=date(2026, 3, 20),
            txn_ref="T-HP", today=TODAY, now=NOW, policy=POLICY,
        ).repayment  # fmt: skip
        assert loan.status is LoanStatus.SETTLED
        servicing_reversal.reverse_repayment(s, rep.id, reason="bounced", today=TODAY, now=NOW)
        other = build_loan(s, "SV-I")
        _to_collections(s, other)
        servicing.write_off(s, other.id, reason="uncollectable", now=NOW)
        assert other.status is LoanStatus.WRITTEN_OFF
        moves = s.execute(
            select(WorkflowEvent.entity_id, WorkflowEvent.action, WorkflowEvent.from_stage)
            .where(WorkflowEvent.entity_id.in_([loan.id, other.id]))
            .order_by(WorkflowEvent.id)
        ).all()  # fmt: skip
        assert [tuple(m) for m in moves] == [
            (loan.id, "transfer_to_collections", "repaying"),
            (loan.id, "settle", "in_collections"),
            (loan.id, "reopen", "settled"),
            (other.id, "transfer_to_collections", "repaying"),
            (other.id, "write_off", "in_collections"),
        ]
        assert servicing.ledger_breaks(s) == []


def test_write_off_and_a_seeded_break(session_factory):
    with transaction(session_factory) as s:
        loan = build_loan(s, "SV-F")
        _pay_periods(s, loan, 1, "T-F")
        left = loan.outstanding_principal_fen
        servicing.write_off(s, loan.id, reason="uncollectable", now=NOW)
        assert (loan.status, loan.written_off_fen, loan.outstanding_principal_fen) == (
            LoanStatus.WRITTEN_OFF, left, 0,
        )  # fmt: skip
        with pytest.raises(ConflictError, match="written_off"):
            servicing.write_off(s, loan.id, reason="again", now=NOW)
        assert servicing.ledger_breaks(s) == []
        other = build_loan(s, "SV-G")
        other.outstanding_principal_fen -= 123
        s.flush()
        breaks = servicing.ledger_breaks(s)
        assert [(b.loan_no, b.check, b.difference_fen) for b in breaks] == [
            ("SV-G", "balance", 123), ("SV-G", "schedule", -123),
        ]  # fmt: skip


EXPECTED_REFUSALS = {
    "repayment.nothing_due", "repayment.loan_closed", "prepayment.loan_closed", "prepayment.arrears",
    "prepayment.nothing_ahead", "prepayment.option", "write_off.loan_closed", "reversal.refused",
}  # fmt: skip


@pytest.mark.parametrize("method", finance.METHODS)
def test_random_sequences_balance(session_factory, method):
    """Random repayments, prepayments, reversals and a write-off on one loan: the ledger balances
    after every step, and a refused step changes nothing."""
    rng = random.Random(1 + finance.METHODS.index(method))
    with transaction(session_factory) as s:
        loan = build_loan(s, f"SV-R{finance.METHODS.index(method)}", method=method,
                          term=12 if method == "bullet" else 24,
                          principal=2_400_000)  # fmt: skip
        day, n, done, refused = loan.disbursed_on, 0, [], []
        for _ in range(40):
            day += timedelta(days=rng.randint(3, 25))
            if day > TODAY:
                break
            n += 1
            move = rng.random() if n > 25 else rng.random() * 0.95  # a write-off ends it
            saved = s.begin_nested()
            try:
                if move < 0.5:
                    due = servicing.amount_due(s, loan.id, day, POLICY).total_fen
                    post(s, loan, max(1, int(due * rng.choice([0.3, 1.0, 1.0]))), day, f"R{n}")
                elif move < 0.7:
                    servicing_prepay.prepay(
                        s, loan.id, principal_fen=rng.choice([None, 50_000, 300_000, 300_000]),
                        option=rng.choice(list(PrepayOption)), paid_on=day, txn_ref=f"R{n}",
                        today=TODAY, now=NOW, policy=POLICY,
                    )  # fmt: skip
                elif move < 0.95:
                    latest = s.scalars(
                        select(Repayment).where(Repayment.loan_id == loan.id,
                                                Repayment.reversed_at.is_(None),
                                                Repayment.reversal_of_id.is_(None))
                        .order_by(Repayment.paid_on.desc(), Repayment.id.desc())
                    ).first()  # fmt: skip
                    if latest is None:
                        continue
                    servicing_reversal.reverse_repayment(
                        s, latest.id, reason="r", today=TODAY, now=NOW
                    )
                else:
                    servicing.write_off(s, loan.id, reason="w", now=NOW)
                saved.commit()
                done.append(move)
            except DomainError as exc:
                refused.append(exc.code)
                saved.rollback()
            s.expire_all()
            assert servicing.ledger_breaks(s) == [], f"step {n}"
        assert len(done) >= 4, done
        assert set(refused) <= EXPECTED_REFUSALS


def test_a_kept_later_version_is_not_the_current_one(session_factory):
    """After a prepayment whose new version kept a reversed payment is itself reversed, version 2
    stays as history and version 1 is current again: the file import posts to version 1."""
    from loanpilot.imports import repository as imports_repo

    with transaction(session_factory) as s:
        loan = build_loan(s, "SV-J")
        _pay_periods(s, loan, 2, "T-J")
        prepaid = servicing_prepay.prepay(
            s, loan.id, principal_fen=200_000, option=PrepayOption.LOWER_INSTALMENT,
            paid_on=date(2026, 3, 20), txn_ref="T-JP", today=TODAY, now=NOW, policy=POLICY,
        ).repayment  # fmt: skip
        third = current_lines(s, loan)[2]
        paid = post(s, loan, third.principal_fen + third.interest_fen, third.due_on, "T-J3")
        servicing_reversal.reverse_repayment(s, paid.id, reason="x", today=TODAY, now=NOW)
        servicing_reversal.reverse_repayment(s, prepaid.id, reason="x", today=TODAY, now=NOW)
        assert loan.schedule_version == 1
        assert (
            s.scalar(select(func.max(ScheduleLine.version)).where(ScheduleLine.loan_id == loan.id))
            == 2
        )
        rows = imports_repo.schedule_lines(s.connection(), [loan.id])
        current = {x.id for x in current_lines(s, loan)}
        assert {r.id for r in rows} == current
        assert len(rows) == 12
        assert servicing.ledger_breaks(s) == []
