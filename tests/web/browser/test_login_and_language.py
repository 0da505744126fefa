"""Log in, fail to log in, switch language and log out, in real headless Chromium.

The pages are driven through their real forms and links (no HTTP shortcuts): the CSRF token,
the session cookie and the remembered language all travel as a browser carries them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.conftest import DemoSite


@pytest.mark.parametrize(("username", "role"), [("admin", "administrator"), ("auditor", "auditor")])
def test_staff_log_in_through_the_form_and_land_on_the_console(
    page: Page, site: DemoSite, login: Callable[..., None], username: str, role: str
) -> None:
    login(page, site.url, username)

    assert page.url == f"{site.url}/console/"
    whoami = page.locator(f".whoami[data-role={role}]")
    expect(whoami).to_have_count(1)
    expect(whoami).to_be_visible()
    session = [c for c in page.context.cookies() if c["name"] == "lp_session"]
    assert len(session) == 1
    assert session[0]["httpOnly"] is True
    assert session[0]["sameSite"] == "Lax"


def test_a_wrong_password_shows_the_error_and_stays_on_the_login_page(
    page: Page, site: DemoSite, login: Callable[..., None]
) -> None:
    login(page, site.url, "admin", password="Wrong-password-1")

    assert page.url.startswith(f"{site.url}/console/login")
    expect(page.locator("[role=alert]")).to_contain_text("用户名或密码错误")
    expect(page.locator("#username")).to_have_value("admin")
    expect(page.locator(".whoami")).to_have_count(0)
    assert not any(c["name"] == "lp_session" for c in page.context.cookies())


def test_the_language_switch_on_the_login_page_is_remembered(page: Page, site: DemoSite) -> None:
    page.goto(f"{site.url}/console/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("员工登录")

    page.click(".lang-switch")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Staff login")
    expect(page.locator("label[for=username]")).to_have_text("User name")
    # Remembered: the next page, with no ?lang=, is still in English.
    page.goto(f"{site.url}/console/login?next=/console/account")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Staff login")
    # And back to Chinese.
    page.click(".lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("员工登录")


def test_the_language_switch_on_the_account_page(
    page: Page, site: DemoSite, login: Callable[..., None]
) -> None:
    login(page, site.url, "admin")
    page.goto(f"{site.url}/console/account")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    logout_zh = page.locator("form[action$='/console/logout'] button")
    expect(logout_zh).to_have_text("退出登录")

    page.click(".lang-switch")

    assert re.search(r"/console/account\?(.*&)?lang=en", page.url)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("form[action$='/console/logout'] button")).to_have_text("Log out")
    # Remembered on the next page, and the role's name is translated in the header.
    page.goto(f"{site.url}/console/account")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".whoami[data-role=administrator]")).to_contain_text("Administrator")


def test_logout_returns_to_the_login_page_and_ends_the_session(
    page: Page, site: DemoSite, login: Callable[..., None]
) -> None:
    login(page, site.url, "auditor")
    page.goto(f"{site.url}/console/account")
    expect(page.locator(".whoami[data-role=auditor]")).to_have_count(1)

    with page.expect_navigation():
        page.click("form[action$='/console/logout'] button[type=submit]")

    assert page.url == f"{site.url}/console/login?reason=logged_out"
    expect(page.locator("[role=alert]")).to_contain_text("您已安全退出")
    expect(page.locator(".whoami")).to_have_count(0)

    page.goto(f"{site.url}/console/account")
    assert page.url.startswith(f"{site.url}/console/login?")
    assert "next=%2Fconsole%2Faccount" in page.url
    expect(page.locator("#username")).to_be_visible()
