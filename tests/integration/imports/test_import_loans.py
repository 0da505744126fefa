"""Importing loans: schedules and APR on insert, the main rejects, idempotency, balances."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import select

from loanpilot.analytics.finance import schedule
from loanpilot.lending.models import Loan, ScheduleLine
from loanpilot.products.models import LprRate

HEADER = [
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


@pytest.fixture
def with_customers(env):
    rows = [env.customer_row(i) for i in range(1, 4)]
    report = env.run("customers", env.customers_csv("customers.csv", rows))
    assert report.inserted == 3
    return env


def loan_row(env, seq: int, **overrides: str) -> list[str]:
    values = {
        "借据号": f"JJ{seq:06d}",
        "证件号码": env.person_id(seq),
        "产品代码": "XF01",
        "所属网点": "BR0101",
        "贷款金额": "120000",
        "年利率": "4.35%",
        "期限": "12",
        "还款方式": "等额本息",
        "放款日期": "2026-01-15",
    }
    values.update(overrides)
    return [values[h] for h in HEADER]


def reject(report, row: int, column: str) -> str:
    matches = [p.message for p in report.problems if p.row == row and p.field == column]
    assert matches, report.problems
    return matches[0]


def test_loans_import_with_schedules_and_apr(with_customers) -> None:
    env = with_customers
    rows = [
        loan_row(env, 1),
        loan_row(env, 2, 还款方式="等额本金", 期限="24个月", 贷款金额="50,000.00"),
    ]
    report = env.run("loans", env.csv("loans.csv", HEADER, rows))
    assert (report.rows_read, report.inserted, report.rejected) == (2, 2, 0)
    assert report.written == {"loans": 2, "repayment_schedules": 36}
    with env.engine.connect() as conn:
        loans = conn.execute(select(Loan.__table__).order_by(Loan.__table__.c.id)).all()
        lines = conn.execute(
            select(ScheduleLine.__table__).order_by(ScheduleLine.__table__.c.id)
        ).all()
    first = loans[0]
    assert first.loan_no == "JJ000001"
    assert first.principal_fen == 12_000_000
    assert first.outstanding_principal_fen == 12_000_000
    assert first.annual_rate == Decimal("0.0435")
    assert first.rate_basis == "fixed"
    assert first.spread == Decimal("0.0435")
    assert first.status == "repaying"
    assert first.disbursed_on == date(2026, 1, 15)
    assert first.first_due_on == date(2026, 2, 15)
    assert first.maturity_on == date(2027, 1, 15)
    assert abs(float(first.apr) - 0.0435) < 1e-4  # no fee: APR equals the nominal rate
    expected = schedule(12_000_000, Decimal("0.0435"), 12, "equal_instalment")
    mine = [line for line in lines if line.loan_id == first.id]
    assert [line.principal_fen for line in mine] == expected.principal_fen.tolist()
    assert [line.interest_fen for line in mine] == expected.interest_fen.tolist()
    assert sum(line.principal_fen for line in lines if line.loan_id == loans[1].id) == 5_000_000
    assert loans[1].term_months == 24
    assert loans[1].repayment_method == "equal_principal"


def test_customer_found_by_customer_number(with_customers) -> None:
    env = with_customers
    header = [h if h != "证件号码" else "客户号" for h in HEADER]
    row = loan_row(env, 1)
    row[1] = "C0000000002"
    report = env.run("loans", env.csv("by-no.csv", header, [row]))
    assert report.inserted == 1
    assert env.rows("select customer_id from loans")[0][0] == 2


def test_main_rejects(with_customers) -> None:
    env = with_customers
    rows = [
        loan_row(env, 1),
        loan_row(env, 9),  # customer not imported
        loan_row(env, 2, 产品代码="NOPE"),
        loan_row(env, 3, 年利率="36%"),
        loan_row(env, 1, 借据号="JJ000004", 年利率="4.35"),
        loan_row(env, 1, 借据号="JJ000005", 期限="120"),
        loan_row(env, 1, 借据号="JJ000006", 还款方式="气球贷"),
        loan_row(env, 1, 借据号="JJ000007", 放款日期="2027-01-01"),
        loan_row(env, 1),  # duplicate loan number
        loan_row(env, 2, 借据号="JJ000008", 贷款金额="0"),
        loan_row(env, 2, 借据号="JJ000009", 所属网点="BR9999"),
    ]
    report = env.run("loans", env.csv("bad-loans.csv", HEADER, rows))
    assert (report.inserted, report.rejected) == (1, 10)
    assert reject(report, 3, "证件号码").startswith("no customer with this ID number")
    assert reject(report, 4, "产品代码") == "is not a product code in the database"
    assert "legal cap" in reject(report, 5, "年利率")
    assert "percentage" in reject(report, 6, "年利率")
    assert reject(report, 7, "期限") == "must be between 6 and 60 months for product XF01"
    assert "is not a repayment method" in reject(report, 8, "还款方式")
    assert reject(report, 9, "放款日期") == "is in the future"
    assert reject(report, 10, "借据号") == "duplicate of row 2"
    assert reject(report, 11, "贷款金额") == "must be more than 0"
    assert reject(report, 12, "所属网点") == "is not a branch code in the database"
    text = (env.dir / "bad-loans.rejects.csv").read_text(encoding="utf-8-sig")
    assert env.person_id(9) not in text


def test_importing_loans_twice_changes_nothing(with_customers) -> None:
    env = with_customers
    path = env.csv("loans.csv", HEADER, [loan_row(env, 1), loan_row(env, 2)])
    env.run("loans", path)
    before = env.counts()
    again = env.run("loans", path)
    assert (again.inserted, again.unchanged, again.rejected) == (0, 2, 0)
    assert env.counts() == before


def test_outstanding_below_principal_marks_instalments_repaid(with_customers) -> None:
    env = with_customers
    header = [*HEADER, "贷款余额"]
    full = schedule(12_000_000, Decimal("0.0435"), 12, "equal_instalment")
    paid = int(full.principal_fen[:3].sum()) + 100  # three instalments and one yuan of the fourth
    remaining = (12_000_000 - paid) / 100
    row = [*loan_row(env, 1), f"{remaining:.2f}"]
    report = env.run("loans", env.csv("partly.csv", header, [row]))
    assert report.inserted == 1
    assert env.rows("select outstanding_principal_fen from loans")[0][0] == 12_000_000 - paid
    with env.engine.connect() as conn:
        lines = conn.execute(
            select(ScheduleLine.__table__).order_by(ScheduleLine.__table__.c.period_no)
        ).all()
    assert [line.settled_on is not None for line in lines[:4]] == [True, True, True, False]
    assert lines[0].paid_interest_fen == lines[0].interest_fen
    assert lines[3].paid_principal_fen == 100
    assert lines[3].paid_interest_fen == 0


def test_lpr_priced_loan_stores_base_rate_and_spread(with_customers) -> None:
    env = with_customers
    from sqlalchemy.orm import Session

    with Session(env.engine) as session, session.begin():
        session.add(LprRate(effective_on=date(2025, 5, 20), term="5y", rate=Decimal("0.035")))
    row = loan_row(env, 1, 产品代码="ZF01", 期限="360", 年利率="3.85%")
    report = env.run("loans", env.csv("mortgage.csv", HEADER, [row]))
    assert report.inserted == 1
    with env.engine.connect() as conn:
        loan = conn.execute(select(Loan.__table__)).one()
    assert loan.rate_basis == "lpr_5y"
    assert loan.base_rate == Decimal("0.035")
    assert loan.spread == Decimal("0.0035")
    assert env.count("repayment_schedules") == 360
    assert np.isclose(float(loan.apr), 0.0385, atol=1e-4)
