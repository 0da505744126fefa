"""A collector's day in a real browser: user ``collector`` opens the queue (their own cases,
highest priority first), opens the first case, records a phone call with a promise to pay inside
the contact hours, then tries to call the debtor's relative and is refused with the rule named.

The application's clock (``app.state.now``) is fixed at 10:00 Shanghai time on a day after the
demo's as-of date that no other test contacts debtors on, so the daily cap starts at zero; it is
put back afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.risk import collections_close
from loanpilot.risk.models import CollectionAction
from loanpilot.risk.models_post import CollectionPromise, PromiseStatus

AS_OF = date(2026, 11, 29)  # the demo bank's as-of date (tests/conftest.py)
DAY = date(2026, 12, 3)
PROMISED = DAY + timedelta(days=2)
#: 10:00 in Shanghai on DAY: inside the contact hours 08:00–21:00.
TEN_AM = datetime(DAY.year, DAY.month, DAY.day, 2, 0, tzinfo=UTC)


@pytest.fixture
def at_ten(site) -> Iterator[None]:
    """The collections step of the close run for the demo's day; the site's clock at 10:00."""
    with Session(site.bank.engine) as s, s.begin():
        collections_close.after_close(s, AS_OF, datetime(2026, 11, 29, 15, 30, tzinfo=UTC))
    original = site.app.state.now
    site.app.state.now = lambda: TEN_AM
    site.app.state.principal_cache.forget()
    yield
    site.app.state.now = original
    site.app.state.principal_cache.forget()


def test_a_collector_records_a_promise_and_is_refused_a_third_party(
    page: Page,
    site,
    at_ten: None,
    login: Callable[..., None],
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, site.url, "collector")
    page.goto(f"{site.url}/console/collections")
    expect(page.locator('.coll-views a[data-view="mine"]')).to_have_attribute(
        "aria-current", "page"
    )
    first = page.locator("table.coll-queue tbody tr").first
    expect(first).to_be_visible()
    case_no = first.get_attribute("data-case")
    assert case_no
    with page.expect_navigation():
        first.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/console/collections/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("h1")).to_contain_text(case_no)
    compliance = page.locator("p.compliance")
    expect(compliance).to_have_attribute("data-contacts-today", "0")
    expect(compliance.locator("[data-in-hours]")).to_have_attribute("data-in-hours", "1")

    # a phone call to the debtor, who promises to pay in two days
    page.select_option("#f-kind", "phone")
    page.select_option("#f-party", "debtor")
    page.select_option("#f-result", "promise_to_pay")
    page.fill("#f-amount", "300")
    page.fill("#f-date", PROMISED.isoformat())
    page.fill("#f-note", "浏览器测试：答应后天还款")
    with page.expect_navigation():
        page.click("form.contact-form button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/console/collections/cases/{case_id}#contacts$"))
    expect(page.locator("p.compliance")).to_have_attribute("data-contacts-today", "1")
    logged = page.locator('table.contacts tbody tr[data-kind="phone"]').first
    expect(logged).to_contain_text("浏览器测试：答应后天还款")
    expect(logged).to_contain_text("承诺还款")
    with Session(site.bank.engine) as s:
        action = s.scalars(
            select(CollectionAction)
            .where(CollectionAction.case_id == case_id)
            .order_by(CollectionAction.id.desc())
        ).first()
        assert action is not None
        assert (action.kind, action.party, action.result) == ("phone", "debtor", "promise_to_pay")
        promise = s.scalars(
            select(CollectionPromise).where(CollectionPromise.action_id == action.id)
        ).one()
        assert (promise.amount_fen, promise.due_on, promise.status) == (
            30_000,
            PROMISED,
            PromiseStatus.OPEN,
        )
        contacts = len(s.scalars(select(CollectionAction.id)).all())
    expect(page.locator(f'table.promises tr[data-promise="{promise.id}"]')).to_have_attribute(
        "data-status", "open"
    )

    # the debtor's relative is a third party: refused, the rule named, nothing recorded
    page.select_option("#f-kind", "phone")
    page.select_option("#f-party", "relative")
    page.select_option("#f-result", "no_answer")
    page.fill("#f-amount", "")
    page.fill("#f-date", "")
    with page.expect_navigation():
        page.click("form.contact-form button[type=submit]")
    refusal = page.locator('.refusal[data-error="contact_refused"]')
    expect(refusal).to_be_visible()
    expect(refusal.locator('[data-violation="third_party"]')).to_contain_text(
        "不得就债务联系第三方"
    )
    expect(page.locator("#f-party")).to_have_value("relative")  # the form is kept
    expect(page.locator("p.compliance")).to_have_attribute("data-contacts-today", "1")
    with Session(site.bank.engine) as s:
        assert len(s.scalars(select(CollectionAction.id)).all()) == contacts
    assert errors == []
