"""Importing repayments: allocation with and without a split, balances, rejects, idempotency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from loanpilot.analytics.finance import schedule
from loanpilot.lending.models import Loan, ScheduleLine

LOAN_HEADER = [
    "借据号",
    "证件号码",
    "产品代码",
    "所属网点",
    "贷款金额",
    "年利率",
    "期限",
    "还款方式",
    "放款日期",
]
PLAIN = ["交易流水号", "借据号", "还款日期", "还款金额"]
SPLIT = [*PLAIN, "本金", "利息", "罚息"]
EXPECTED = schedule(12_000_000, Decimal("0.0435"), 12, "equal_instalment")


@pytest.fixture
def loaned(env):
    """Two customers with one 12-month ¥120,000 loan each, disbursed 2026-01-15."""
    env.run("customers", env.customers_csv("customers.csv", [env.customer_row(i) for i in (1, 2)]))
    rows = [
        [
            f"JJ{i:06d}",
            env.person_id(i),
            "XF01",
            "BR0101",
            "120000",
            "4.35%",
            "12",
            "等额本息",
            "2026-01-15",
        ]
        for i in (1, 2)
    ]
    assert env.run("loans", env.csv("loans.csv", LOAN_HEADER, rows)).inserted == 2
    return env


def yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


def lines_of(env, loan_id: int):
    table = ScheduleLine.__table__
    with env.engine.connect() as conn:
        return conn.execute(
            select(table).where(table.c.loan_id == loan_id).order_by(table.c.period_no)
        ).all()


def loan(env, loan_id: int):
    with env.engine.connect() as conn:
        return conn.execute(select(Loan.__table__).where(Loan.__table__.c.id == loan_id)).one()


def reject(report, row: int, column: str) -> str:
    matches = [p.message for p in report.problems if p.row == row and p.field == column]
    assert matches, report.problems
    return matches[0]


def test_repayments_without_split_pay_the_oldest_instalments(loaned) -> None:
    env = loaned
    first = int(EXPECTED.payment_fen[0])
    second = int(EXPECTED.payment_fen[1])
    rows = [
        ["T0001", "JJ000001", "2026-02-15", yuan(first)],
        ["T0002", "JJ000001", "2026-03-14", yuan(second + 500)],  # ¥5 towards instalment 3
    ]
    report = env.run("repayments", env.csv("pay.csv", PLAIN, rows))
    assert (report.inserted, report.rejected) == (2, 0)
    assert report.updated == {"repayment_schedules": 3, "loans": 1}
    lines = lines_of(env, 1)
    assert lines[0].settled_on == date(2026, 2, 15)
    assert lines[1].settled_on == date(2026, 3, 14)
    assert lines[2].settled_on is None
    assert lines[2].paid_interest_fen == 500  # interest before principal
    assert lines[2].paid_principal_fen == 0
    repaid = int(EXPECTED.principal_fen[:2].sum())
    assert loan(env, 1).outstanding_principal_fen == 12_000_000 - repaid
    assert loan(env, 2).outstanding_principal_fen == 12_000_000
    stored = env.rows("select principal_fen, interest_fen, amount_fen from repayments order by id")
    assert stored[0] == (int(EXPECTED.principal_fen[0]), int(EXPECTED.interest_fen[0]), first)


def test_repayments_with_split_and_a_full_payoff_settle_the_loan(loaned) -> None:
    env = loaned
    rows = [
        ["T1", "JJ000002", "2026-02-15", "10300.00", "10000.00", "300.00", ""],
        ["T2", "JJ000002", "2026-03-01", "110050.00", "110000.00", "", "50.00"],
    ]
    report = env.run("repayments", env.csv("split.csv", SPLIT, rows))
    assert (report.inserted, report.rejected) == (2, 0)
    settled = loan(env, 2)
    assert settled.outstanding_principal_fen == 0
    assert settled.status == "settled"
    assert settled.settled_on == date(2026, 3, 1)
    assert env.rows("select penalty_fen from repayments where txn_ref = 'T2'")[0][0] == 5_000
    assert all(line.paid_principal_fen == line.principal_fen for line in lines_of(env, 2))


def test_main_rejects(loaned) -> None:
    env = loaned
    rows = [
        ["R1", "JJ999999", "2026-02-15", "100", "100", "", ""],
        ["R2", "JJ000001", "2026-01-01", "100", "100", "", ""],
        ["R3", "JJ000001", "2027-01-01", "100", "100", "", ""],
        ["R4", "JJ000001", "2026-02-15", "100", "60", "30", ""],
        ["R5", "JJ000001", "2026-02-15", "-5", "", "", ""],
        ["R6", "JJ000001", "2026-02-15", "130000", "130000", "", ""],
        ["R7", "JJ000001", "2026-02-15", "100", "100", "", ""],
        ["R7", "JJ000001", "2026-02-16", "100", "100", "", ""],
    ]
    report = env.run("repayments", env.csv("bad.csv", SPLIT, rows))
    assert (report.inserted, report.rejected) == (1, 7)
    assert reject(report, 2, "借据号").startswith("no loan with this number")
    assert reject(report, 3, "还款日期") == "is before the loan was disbursed on 2026-01-15"
    assert reject(report, 4, "还款日期") == "is in the future"
    assert reject(report, 5, "还款金额") == (
        "principal + interest + fee + penalty = 90.00, not the amount 100.00"
    )
    assert reject(report, 6, "还款金额") == "must be more than 0"
    assert reject(report, 7, "本金") == (
        "would repay more principal than the loan's outstanding principal"
    )
    assert reject(report, 9, "交易流水号") == "duplicate of row 8"
    assert loan(env, 1).outstanding_principal_fen == 12_000_000 - 10_000


def test_amount_above_everything_owed_is_rejected_without_split(loaned) -> None:
    env = loaned
    total = int(EXPECTED.payment_fen.sum())
    rows = [
        ["X1", "JJ000001", "2026-02-15", yuan(total + 1)],
        ["X2", "JJ000001", "2026-02-16", yuan(total)],
    ]
    report = env.run("repayments", env.csv("over.csv", PLAIN, rows))
    assert (report.inserted, report.rejected) == (1, 1)
    assert reject(report, 2, "还款金额") == "is more than the loan still owes on its schedule"
    assert loan(env, 1).status == "settled"


def test_importing_repayments_twice_changes_nothing(loaned) -> None:
    env = loaned
    path = env.csv(
        "twice.csv",
        PLAIN,
        [["A1", "JJ000001", "2026-02-15", "1000"], ["A2", "JJ000002", "2026-02-15", "2000"]],
    )
    env.run("repayments", path)
    before = (
        env.counts(),
        loan(env, 1).outstanding_principal_fen,
        [tuple(r) for r in lines_of(env, 1)],
    )
    again = env.run("repayments", path)
    assert (again.inserted, again.unchanged, again.rejected) == (0, 2, 0)
    after = (
        env.counts(),
        loan(env, 1).outstanding_principal_fen,
        [tuple(r) for r in lines_of(env, 1)],
    )
    assert after == before


def test_repayments_of_one_loan_apply_in_date_order(loaned) -> None:
    env = loaned
    first = int(EXPECTED.payment_fen[0])
    rows = [
        ["D2", "JJ000001", "2026-03-15", yuan(int(EXPECTED.payment_fen[1]))],
        ["D1", "JJ000001", "2026-02-15", yuan(first)],
    ]
    env.run("repayments", env.csv("order.csv", PLAIN, rows))
    lines = lines_of(env, 1)
    assert (lines[0].settled_on, lines[1].settled_on) == (date(2026, 2, 15), date(2026, 3, 15))
