"""A repayment posted in a real browser: user ``risk`` filters the loans to the M2 bucket, opens
an overdue demo loan from the list, posts what is due today (the form offers it), and sees the
overdue schedule lines paid, nothing left due, and the payment in the loan's record (and in the
database, with penalty interest paid first)."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from loanpilot.lending.models import Loan, LoanStatus, Repayment


def overdue_loan(engine) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """A repaying demo loan 31–60 days past due whose payments are all the demo's own."""
    touched = exists().where(Repayment.loan_id == Loan.id, ~Repayment.txn_ref.startswith("RP"))
    with Session(engine) as s:
        row = s.execute(
            select(Loan.id, Loan.loan_no)
            .where(Loan.status == LoanStatus.REPAYING, Loan.dpd.between(31, 60), ~touched)
            .order_by(Loan.id.desc())
            .limit(1)
        ).one()
        return row.id, row.loan_no


def test_the_risk_officer_posts_a_repayment_on_an_overdue_loan(
    page: Page, site, login: Callable[..., None]
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    loan_id, loan_no = overdue_loan(site.bank.engine)
    login(page, site.url, "risk")
    page.goto(f"{site.url}/console/loans")
    page.select_option('select[name="bucket"]', "M2")
    page.fill('input[name="q"]', loan_no)
    with page.expect_navigation():
        page.click("form.loan-filters button[type=submit]")
    row = page.locator(f'tr[data-loan="{loan_no}"]')
    expect(row).to_have_count(1)
    with page.expect_navigation():
        row.locator("a").first.click()
    expect(page).to_have_url(re.compile(rf"/console/loans/{loan_id}$"))
    overdue = page.locator('table.schedule tr[data-state="overdue"]')
    periods = list(overdue.evaluate_all("rows => rows.map(r => r.dataset.period)"))
    assert periods
    due = int(page.locator('[data-figure="due-today"]').get_attribute("data-fen") or 0)
    assert due > 0
    assert page.input_value("#f-amount") == f"{due // 100}.{due % 100:02d}"  # offered
    ref = page.input_value("#f-ref")

    with page.expect_navigation():
        page.click('button[data-action="post"]')
    expect(page.locator('[data-done="posted"]')).to_contain_text(ref)
    expect(page.locator('[data-figure="due-today"]')).to_have_attribute("data-fen", "0")
    for period in periods:
        line = page.locator(f'table.schedule tr[data-period="{period}"]')
        expect(line).to_have_attribute("data-state", "paid")
        expect(line.locator(".line-state")).to_have_text("已还清")
    expect(page.locator(f'table.repayments tr[data-ref="{ref}"]')).to_have_attribute(
        "data-kind", "repayment"
    )
    expect(page.locator('button[data-action="reverse"]')).to_have_count(1)  # this one, now
    with Session(site.bank.engine) as s:
        posted = s.scalars(select(Repayment).where(Repayment.txn_ref == ref)).one()
        assert posted.amount_fen == due
        assert posted.penalty_fen > 0
        assert posted.loan_id == loan_id
    assert errors == []
