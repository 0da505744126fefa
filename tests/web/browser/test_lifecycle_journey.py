"""One application from the portal to settlement, every step in a real browser.

An applicant applies on the portal for a ¥600,000 car loan (CL-AUTO, secured by the vehicle): a
score that would approve refers a secured loan for the collateral's appraisal, so the portal
answers "referred". On the console, user ``approver`` (authority ¥500,000) starts the review and
approves it with the appraised value; above their authority it waits for a checker, and user
``risk`` confirms it on the approvals page (maker-checker). User ``service`` records the offer
accepted, the contract signed and the disbursement, opens the loan from the application and
pays it off in full (prepayment preview, payoff column). The application's and the loan's
timelines name who did each step; the database ends with the application disbursed, the loan
settled with nothing outstanding and its ledger balanced.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.kit.ids import make_resident_id
from loanpilot.lending.models import (
    Application,
    ApplicationStatus,
    ApprovalRequest,
    ApprovalRequestStatus,
    Loan,
    LoanStatus,
    Repayment,
    ScheduleLine,
    WorkflowEvent,
)
from loanpilot.lending.servicing import ledger_breaks
from loanpilot.risk.models import Decision

AMOUNT_YUAN = 600_000  # above the approver's authority (¥500,000), within the risk officer's
VEHICLE_YUAN = 900_000  # the appraised collateral: loan-to-value 0.67 against the product's 0.8


def apply_on_portal(page: Page, base_url: str) -> str:
    """The applicant's part: the application form, answered at once; the application number."""
    page.goto(f"{base_url}/apply/CL-AUTO")
    page.fill("#f-name", "全程测试")
    page.fill("#f-id_number", make_resident_id("330106", date(1984, 4, 4), 517, True))
    page.fill("#f-phone", "13900139055")
    page.fill("#f-amount_yuan", str(AMOUNT_YUAN))
    page.fill("#f-term_months", "60")
    page.select_option("#f-method", "equal_instalment")
    page.fill("#f-monthly_income_yuan", "100000")
    page.select_option("#f-occupation", "company_employee")
    # A branch to book the loan at: with "let the bank choose" a new applicant's application
    # has none, and nothing assigns one before the disbursement, which refuses it.
    page.select_option("#f-branch", index=1)
    page.check("#f-consent-data")
    with page.expect_navigation():
        page.click("#apply-form [type=submit]")
    expect(page.locator("section.decision")).to_have_attribute("data-outcome", "refer")
    return page.locator('[data-figure="application_no"]').inner_text().strip()


def staff_page(browser: Browser, base_url: str, login: Callable[..., None], user: str) -> Page:
    """A console page in a browser context of its own, logged in as ``user``."""
    context: BrowserContext = browser.new_context(locale="zh-CN", base_url=base_url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    login(page, base_url, user)
    return page


def act(page: Page, action: str, stage: str) -> None:
    """Press one workflow button on the application page; the page shows the new stage."""
    with page.expect_navigation():
        page.click(f'button[data-action="{action}"]')
    refused = page.locator('[data-error="action"]')
    assert refused.count() == 0, f"{action} refused: {refused.inner_text()}"
    expect(page.locator("h1 [data-stage]")).to_have_attribute("data-stage", stage)


def test_an_application_goes_from_the_portal_to_settlement(
    browser: Browser, page: Page, site, login: Callable[..., None]
) -> None:
    errors: list[str] = []
    number = apply_on_portal(page, site.url)
    with Session(site.bank.engine) as s:
        app = s.scalars(select(Application).where(Application.application_no == number)).one()
        app_id = app.id
        assert app.status is ApplicationStatus.REFERRED
        decision = s.scalars(select(Decision).where(Decision.application_id == app_id)).one()
        assert [r["code"] for r in decision.reasons] == ["collateral.appraisal"]
    staff: list[Page] = []
    try:
        # the maker: approver finds it in the pipeline, starts the review and approves
        maker = staff_page(browser, site.url, login, "approver")
        staff.append(maker)
        maker.on("pageerror", lambda exc: errors.append(str(exc)))
        maker.goto(f"{site.url}/console/lending?number={number}")
        row = maker.locator(f'tr[data-application="{number}"]')
        expect(row.locator("[data-stage]")).to_have_attribute("data-stage", "referred")
        with maker.expect_navigation():
            row.locator("a").first.click()
        expect(maker).to_have_url(re.compile(rf"/console/lending/applications/{app_id}$"))
        act(maker, "start_review", "under_review")
        maker.fill("#f-note", "车辆评估已完成，超权限提交复核")
        maker.fill("#f-collateral", str(VEHICLE_YUAN))
        with maker.expect_navigation():
            maker.click('button[data-action="approve"]')
        expect(maker).to_have_url(re.compile(rf"/applications/{app_id}\?sent=checker$"))
        expect(maker.locator("h1 [data-stage]")).to_have_attribute("data-stage", "under_review")

        # the checker: risk confirms on the approvals page
        checker = staff_page(browser, site.url, login, "risk")
        staff.append(checker)
        checker.on("pageerror", lambda exc: errors.append(str(exc)))
        checker.goto(f"{site.url}/console/lending/approvals")
        pending = checker.locator(f'tr[data-application="{number}"]')
        expect(pending.locator("[data-maker]")).to_have_attribute("data-maker", "approver")
        pending.locator("textarea").fill("同意，评估报告已核")
        with checker.expect_navigation():
            pending.locator('button[data-check="confirm"]').click()
        expect(checker).to_have_url(re.compile(rf"/console/lending/applications/{app_id}$"))
        expect(checker.locator("h1 [data-stage]")).to_have_attribute("data-stage", "approved")
        offer_text = checker.locator('[data-figure="offer-amount"]').inner_text()

        # service: the offer accepted, the contract signed, the money paid out
        clerk = staff_page(browser, site.url, login, "service")
        staff.append(clerk)
        clerk.on("pageerror", lambda exc: errors.append(str(exc)))
        clerk.goto(f"{site.url}/console/lending/applications/{app_id}")
        expect(clerk.locator('[data-figure="offer-amount"]')).to_have_text(offer_text)
        assert clerk.locator('button[data-action="approve"]').count() == 0  # not theirs
        act(clerk, "accept_offer", "offer_accepted")
        act(clerk, "sign", "contract_signed")
        act(clerk, "disburse", "disbursed")
        loan_link = clerk.locator("ul.loans li[data-loan] a")
        expect(loan_link).to_have_count(1)
        loan_no = clerk.locator("ul.loans li[data-loan]").get_attribute("data-loan")
        with clerk.expect_navigation():
            loan_link.click()
        expect(clerk).to_have_url(re.compile(r"/console/loans/\d+$"))
        loan_id = int(clerk.url.rsplit("/", 1)[1])
        expect(clerk.locator("[data-status]").first).to_have_attribute("data-status", "repaying")
        expect(clerk.locator('[data-figure="principal"]')).to_have_text(offer_text)

        # the payoff: preview on today, then the full column's button
        with clerk.expect_navigation():
            clerk.click('button[data-action="preview"]')
        payoff = clerk.locator('.prepay-option[data-option="payoff"]')
        expect(payoff.locator('[data-figure="principal"]')).to_have_text(offer_text)
        with clerk.expect_navigation():
            payoff.locator('button[data-action="prepay-payoff"]').click()
        expect(clerk.locator('[data-done="prepaid"]')).to_be_visible()
        expect(clerk.locator(".loan-status")).to_have_attribute("data-status", "settled")
        expect(clerk.locator('[data-figure="outstanding"]')).to_have_text("¥0.00")
        expect(clerk.locator('[data-figure="stage"]')).to_have_attribute("data-stage", "settled")
        assert clerk.locator('form[data-form="prepay-preview"]').count() == 0  # closed

        # the loan's timeline: paid out and settled, both by service (named, as on the application)
        loan_steps = clerk.locator("#timeline table.timeline tbody tr")
        shown = loan_steps.evaluate_all(
            "rows => rows.map(r => [r.dataset.action, r.dataset.actor])"
        )
        assert shown == [["start_repaying", "service"], ["settle", "service"]], shown
        for i in range(2):
            expect(loan_steps.nth(i).locator("code")).to_have_text("service")

        # the application's timeline: every step with who did it
        with clerk.expect_navigation():
            clerk.locator(f'a[href$="/console/lending/applications/{app_id}"]').first.click()
        steps = clerk.locator("table.timeline tbody tr")
        shown = steps.evaluate_all("rows => rows.map(r => [r.dataset.kind, r.dataset.actor])")
        assert shown == [
            ["submit", "portal"],
            ["refer", "portal"],
            ["start_review", "approver"],
            ["approval.request", "approver"],
            ["approval.confirmed", "risk"],
            ["approve", "risk"],
            ["accept_offer", "service"],
            ["sign", "service"],
            ["disburse", "service"],
        ], shown
        expect(clerk.locator("ul.loans li[data-loan] a")).to_have_count(1)
    finally:
        for staff_page_ in staff:
            staff_page_.context.close()

    with Session(site.bank.engine) as s:
        app = s.get(Application, app_id)
        assert app is not None
        assert app.status is ApplicationStatus.DISBURSED
        assert app.disbursed_at is not None
        request = s.scalars(
            select(ApprovalRequest).where(ApprovalRequest.application_id == app_id)
        ).one()
        assert request.status is ApprovalRequestStatus.CONFIRMED
        assert request.checker_id != request.maker_id
        loan = s.scalars(select(Loan).where(Loan.application_id == app_id)).one()
        assert loan.id == loan_id
        assert loan.loan_no == loan_no
        assert loan.status is LoanStatus.SETTLED
        assert loan.outstanding_principal_fen == 0
        paid = s.scalars(select(Repayment).where(Repayment.loan_id == loan_id)).all()
        assert len(paid) == 1
        assert loan.settled_on == paid[0].paid_on
        assert loan.disbursed_on <= paid[0].paid_on
        assert paid[0].is_prepayment
        assert paid[0].principal_fen == loan.principal_fen
        open_lines = s.scalars(
            select(ScheduleLine).where(
                ScheduleLine.loan_id == loan_id, ScheduleLine.settled_on.is_(None)
            )
        ).all()
        assert open_lines == []
        moves = s.scalars(
            select(WorkflowEvent.action)
            .where(WorkflowEvent.entity == "loan", WorkflowEvent.entity_id == loan_id)
            .order_by(WorkflowEvent.id)
        ).all()
        assert list(moves) == ["start_repaying", "settle"]
        assert [b for b in ledger_breaks(s) if b.loan_id == loan_id] == []
    assert errors == []
