"""An early-warning alert worked in a real browser: user ``risk`` opens the alerts page, opens an
alert, records the contingency action taken and closes the alert; the alert page and the list
show it closed, with the action in its record (and in the database)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from loanpilot.kit.clock import business_today
from loanpilot.risk import warnings
from loanpilot.risk.models import AlertStatus, RiskAlert

ACTION = "约谈支行负责人，收紧该网点新增审批"


def open_alert(engine: Engine) -> tuple[int, str]:
    """A new open alert on a branch's overdue rate (committed): its id and number."""
    today = business_today()
    with Session(engine) as s, s.begin():
        alert = warnings.raise_alert(
            s, rule_code="branch_m1plus_rate_high", severity="high", dimension="branch",
            key=f"BT{uuid.uuid4().hex[:8].upper()}", metric="m1plus_balance_rate",
            value=Decimal("0.0712"), threshold=Decimal("0.05"), as_of=today,
            now=datetime.now(UTC), owner_id=None, due_days=14,
            detail={"period": today.isoformat(), "kind": "level",
                    "series": [["2026-09-30", 0.041], ["2026-10-31", 0.0712]],
                    "explain_zh": "机构逾期率为 7.12%，高于阈值 5.00%",
                    "explain_en": "The branch's overdue rate is 7.12%, above the threshold 5.00%"},
        )  # fmt: skip
        return alert.id, alert.alert_no


def test_the_risk_officer_acts_on_an_alert_and_closes_it(
    page: Page, site, login: Callable[..., None]
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    alert_id, alert_no = open_alert(site.bank.engine)
    login(page, site.url, "risk")
    page.goto(f"{site.url}/console/alerts")
    row = page.locator(f'tr[data-alert="{alert_no}"]')
    expect(row).to_have_attribute("data-status", "open")
    with page.expect_navigation():
        row.locator("a").first.click()
    expect(page).to_have_url(re.compile(rf"/console/alerts/{alert_id}$"))
    expect(page.locator("h1 .alert-status")).to_have_attribute("data-status", "open")
    expect(page.locator(".explain")).to_contain_text("7.12%")
    expect(page.locator('.chart[data-chart="alert-series"]')).to_have_attribute(
        "data-rendered", "1"
    )

    page.fill("#f-text", ACTION)
    with page.expect_navigation():
        page.click('button[data-action="action"]')
    expect(page.locator("h1 .alert-status")).to_have_attribute("data-status", "actioned")
    expect(page.locator('.alert-actions li[data-kind="action"]')).to_contain_text(ACTION)

    with page.expect_navigation():
        page.click('button[data-action="close"]')
    expect(page.locator("h1 .alert-status")).to_have_attribute("data-status", "closed")
    expect(page.locator("h1 .alert-status")).to_have_text("已关闭")
    expect(page.locator('.alert-actions li[data-kind="close"]')).to_have_count(1)
    expect(page.locator('button[data-action="close"]')).to_have_count(0)  # nothing left to do

    page.goto(f"{site.url}/console/alerts?status=closed")
    expect(page.locator(f'tr[data-alert="{alert_no}"]')).to_have_attribute("data-status", "closed")
    with Session(site.bank.engine) as s:
        alert = s.get(RiskAlert, alert_id)
        assert alert is not None
        assert alert.status is AlertStatus.CLOSED
        assert [a["kind"] for a in alert.actions] == ["action", "close"]
        assert alert.actions[0]["text"] == ACTION
    assert errors == []
