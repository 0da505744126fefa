"""Maker-checker in a real browser: user ``approver`` approves an application above their
authority (¥800,000 against ¥500,000) on the console; it waits. User ``risk`` confirms it from the
approvals page in another browser context. The application is approved and both people are in its
timeline; the maker was never offered a check of their own approval."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from loanpilot.customers.models import Channel, Customer
from loanpilot.kit.clock import business_today
from loanpilot.lending.models import (
    Application,
    ApplicationStatus,
    ApprovalRequest,
    ApprovalRequestStatus,
)
from loanpilot.products.models import LoanProduct, RepaymentMethod
from loanpilot.risk import service


def big_referral(engine: Engine) -> tuple[int, str]:
    """An HL-COM mortgage of ¥800,000 referred for its appraisal (committed): id and number."""
    now = datetime.now(UTC)
    with Session(engine) as s, s.begin():
        product = s.scalars(select(LoanProduct).where(LoanProduct.code == "HL-COM")).one()
        ids = s.scalars(
            select(Customer.id)
            .where(Customer.is_blacklisted.is_(False))
            .order_by(Customer.monthly_income_fen.desc(), Customer.id)
            .limit(300)
        ).all()
        for customer_id in ids:
            savepoint = s.begin_nested()
            app = Application(
                application_no=f"T5B{uuid.uuid4().hex[:16].upper()}", customer_id=customer_id,
                product_id=product.id, channel=Channel.BRANCH, amount_fen=80_000_000,
                term_months=240, repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
                status=ApplicationStatus.SUBMITTED, submitted_at=now,
                stated_monthly_income_fen=15_000_000,
            )  # fmt: skip
            s.add(app)
            s.flush()
            assessment = service.assess_application(s, app.id, today=business_today())
            if [r.code for r in assessment.reasons] == ["collateral.appraisal"]:
                service.record_assessment(s, assessment, now=now)
                savepoint.commit()
                return app.id, app.application_no
            savepoint.rollback()
    raise AssertionError("no demo customer was referred for HL-COM")


def test_an_approval_above_authority_waits_for_a_second_user(
    browser: Browser, page: Page, site, login: Callable[..., None]
) -> None:
    app_id, number = big_referral(site.bank.engine)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # the maker: approver, authority ¥500,000
    login(page, site.url, "approver")
    page.goto(f"{site.url}/console/lending/applications/{app_id}")
    expect(page.locator("h1 [data-stage]")).to_have_attribute("data-stage", "referred")
    page.fill("#f-note", "评估价值充足，超权限提交复核")
    page.fill("#f-collateral", "3000000")
    with page.expect_navigation():
        page.click('button[data-action="approve"]')
    expect(page).to_have_url(re.compile(rf"/console/lending/applications/{app_id}\?sent=checker$"))
    expect(page.locator("[data-sent=checker]")).to_be_visible()
    expect(page.locator("[data-pending]")).to_be_visible()
    expect(page.locator("h1 [data-stage]")).to_have_attribute("data-stage", "under_review")
    assert page.locator('button[data-action="approve"]').count() == 0  # it waits
    # the maker sees the request but cannot check it
    page.goto(f"{site.url}/console/lending/approvals")
    mine = page.locator(f'tr[data-application="{number}"]')
    expect(mine.locator("[data-own]")).to_be_visible()
    assert mine.locator('button[data-check="confirm"]').count() == 0
    with Session(site.bank.engine) as s:
        request = s.scalars(
            select(ApprovalRequest).where(ApprovalRequest.application_id == app_id)
        ).one()
        assert request.status is ApprovalRequestStatus.PENDING
        assert request.amount_fen == 80_000_000

    # the checker: risk, authority ¥3,000,000, in another browser context
    other = browser.new_context(locale="zh-CN", base_url=site.url)
    try:
        checker = other.new_page()
        checker.on("pageerror", lambda exc: errors.append(str(exc)))
        login(checker, site.url, "risk")
        checker.goto(f"{site.url}/console/lending/approvals")
        row = checker.locator(f'tr[data-application="{number}"]')
        expect(row.locator("[data-maker]")).to_have_attribute("data-maker", "approver")
        row.locator("textarea").fill("同意，评估报告已核")
        with checker.expect_navigation():
            row.locator('button[data-check="confirm"]').click()
        expect(checker).to_have_url(re.compile(rf"/console/lending/applications/{app_id}$"))
        expect(checker.locator("h1 [data-stage]")).to_have_attribute("data-stage", "approved")
        expect(checker.locator('[data-offer="1"]')).to_be_visible()
        timeline = checker.locator("table.timeline")
        expect(
            timeline.locator('tr[data-kind="approval.request"][data-actor="approver"]')
        ).to_have_count(1)
        expect(
            timeline.locator('tr[data-kind="approval.confirmed"][data-actor="risk"]')
        ).to_have_count(1)
        expect(timeline.locator('tr[data-kind="approve"][data-actor="risk"]')).to_have_count(1)
    finally:
        other.close()

    # the maker's page shows the same outcome
    page.goto(f"{site.url}/console/lending/applications/{app_id}")
    expect(page.locator("h1 [data-stage]")).to_have_attribute("data-stage", "approved")
    with Session(site.bank.engine) as s:
        app = s.get(Application, app_id)
        assert app is not None
        assert app.status is ApplicationStatus.APPROVED
        request = s.scalars(
            select(ApprovalRequest).where(ApprovalRequest.application_id == app_id)
        ).one()
        assert request.status is ApprovalRequestStatus.CONFIRMED
        assert request.checker_id != request.maker_id
    assert errors == []
