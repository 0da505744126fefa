"""Whole journeys in a real browser: the dashboard's charts, an audited reveal, an application on
the portal tracked to its status, and the portal in English."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.audit.models import AuditLog
from loanpilot.customers.models import Customer
from loanpilot.kit.ids import make_resident_id
from loanpilot.lending.models import Application

#: ECharts draws after the page loads; give it the browser fixtures' default wait.
TIMEOUT_MS = 15_000
CHARTS = ("monthly-applications", "monthly-disbursed", "branch-amounts", "branch-npl")


def test_the_dashboard_draws_its_four_charts(page: Page, site, login: Callable[..., None]) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, site.url, "marketing")
    expect(page).to_have_url(re.compile(r"/console/$"))
    for name in CHARTS:
        chart = page.locator(f'.chart[data-chart="{name}"]')
        expect(chart).to_have_attribute("data-rendered", "1", timeout=TIMEOUT_MS)
        assert chart.locator("canvas").count() >= 1, f"{name} has no canvas"
    # A filter reloads the page with the charts drawn again for one branch.
    branch = page.locator('select[name="branch_id"] option').nth(1).get_attribute("value")
    assert branch
    page.select_option('select[name="branch_id"]', branch)
    with page.expect_navigation():
        page.locator("form.filters button[type=submit], form.filters [type=submit]").first.click()
    assert f"branch_id={branch}" in page.url
    expect(page.locator('.chart[data-chart="monthly-applications"]')).to_have_attribute(
        "data-rendered", "1"
    )
    assert errors == []


def test_a_reveal_shows_the_id_and_the_auditor_finds_it_in_the_log(
    browser: Browser, page: Page, site, login: Callable[..., None]
) -> None:
    login(page, site.url, "manager")
    page.goto(f"{site.url}/console/customers")
    page.locator("table.data tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/console/customers/\d+$"))
    customer_id = int(page.url.rsplit("/", 1)[1])
    masked = page.locator('.masked[data-field="id_number"]').inner_text()
    assert "*" in masked
    page.click('button[data-reveal="id_number"]')
    revealed = page.locator(".revealed").first
    expect(revealed).to_be_visible()
    shown = revealed.inner_text().strip()
    assert re.fullmatch(r"\d{17}[\dX]", shown)
    assert shown[:3] == masked[:3]
    assert shown[-4:] == masked[-4:]
    with Session(site.bank.engine) as session:
        entry = session.scalar(
            select(AuditLog)
            .where(AuditLog.action == "pii.reveal", AuditLog.entity_id == str(customer_id))
            .order_by(AuditLog.id.desc())
        )
        assert entry is not None
        assert entry.detail == {"field": "id_number"}
        assert shown not in str(entry.detail)

    auditor = browser.new_context(locale="zh-CN", base_url=site.url)
    try:
        audit_page = auditor.new_page()
        login(audit_page, site.url, "auditor")
        audit_page.goto(f"{site.url}/console/audit?action=pii.reveal&entity_id={customer_id}")
        row = audit_page.locator(f'tr[data-audit-id="{entry.id}"]')
        expect(row).to_be_visible()
        expect(row).to_have_attribute("data-action", "pii.reveal")
        assert shown not in audit_page.content()
    finally:
        auditor.close()


def test_an_applicant_applies_and_tracks_the_application(page: Page, site) -> None:
    id_number = make_resident_id("330106", date(1988, 6, 6), 731, True)
    page.goto(f"{site.url}/apply/CL-GEN")
    page.fill("#f-name", "浏览器测试")
    page.fill("#f-id_number", id_number)
    page.fill("#f-phone", "13900139000")
    page.fill("#f-amount_yuan", "50000")
    page.fill("#f-term_months", "12")
    page.select_option("#f-method", "equal_instalment")
    page.fill("#f-monthly_income_yuan", "15000")
    page.select_option("#f-occupation", "company_employee")
    page.check("#f-consent-data")
    assert not page.is_checked("#f-consent-marketing")
    with page.expect_navigation():
        page.click("#apply-form [type=submit]")
    # decided at once: an offer with its APR and schedule, a referral or the reasons
    decision = page.locator("section.decision")
    outcome = decision.get_attribute("data-outcome")
    assert outcome in {"approve", "refer", "decline"}
    if outcome == "approve":
        expect(decision.locator('[data-rate="apr"]')).to_be_visible()
        decision.locator("details.schedule summary").click()
        expect(decision.locator("table.schedule-table tbody tr").first).to_be_visible()
    number = page.locator('[data-figure="application_no"]').inner_text().strip()
    code = page.locator('[data-figure="query_code"]').inner_text().strip()
    assert re.fullmatch(r"\d{6}", code)
    with Session(site.bank.engine) as session:
        application = session.scalar(
            select(Application).where(Application.application_no == number)
        )
        assert application is not None
        customer = session.get(Customer, application.customer_id)
        assert customer is not None
        assert customer.marketing_consent is False
    page.goto(f"{site.url}/progress")
    page.fill("#q-number", number)
    page.fill("#q-last4", id_number[-4:])
    page.fill("#q-code", code)
    with page.expect_navigation():
        page.locator("form [type=submit]").last.click()
    result = page.locator(".progress-result")
    expect(result).to_have_attribute(
        "data-status", {"approve": "approved", "refer": "referred", "decline": "declined"}[outcome]
    )
    expect(page.locator("section.decision")).to_have_attribute("data-outcome", outcome)
    expect(result.locator('[data-figure="application_no"]')).to_have_text(number)


def test_the_portal_switches_to_english_and_shows_apr_beside_the_rate(page: Page, site) -> None:
    page.goto(f"{site.url}/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.click(".lang-switch")
    page.wait_for_url(re.compile(r"lang=en"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert "APR" in page.content()
    page.goto(f"{site.url}/calculator")
    assert page.locator("html").get_attribute("lang") == "en"  # remembered


@pytest.mark.parametrize("viewport", [{"width": 375, "height": 812}])
def test_portal_pages_fit_a_375px_phone_screen(page: Page, site) -> None:
    """No sideways scrolling, one column of products, touch targets at least 44 px high."""
    for path in ("/", "/products/CL-TRV", "/apply/CL-GEN", "/calculator", "/progress"):
        page.goto(site.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} scrolls sideways ({width}px)"
    page.goto(site.url + "/")
    lefts = page.eval_on_selector_all(
        ".product-card", "els => els.map(e => e.getBoundingClientRect().left)"
    )
    assert len(lefts) > 1
    assert len(set(lefts)) == 1  # one column
    page.goto(site.url + "/apply/CL-GEN")
    button = page.locator("#apply-form button[type=submit]").bounding_box()
    assert button is not None
    assert button["height"] >= 44
    assert button["width"] > 300
    field = page.locator("#f-name").bounding_box()
    assert field is not None
    assert field["height"] >= 44
