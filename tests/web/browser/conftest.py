"""Browser fixtures: Debian's headless Chromium driven by Playwright for Python.

Playwright's own browser download does not work here; ``make test`` installs Debian's
``chromium`` (``scripts/browser.sh``) and the tests launch it by ``executable_path``. One browser
per session; each test gets a fresh context (cookies, storage) in Chinese, the console's default.
Browser tests run against the SQLite demo site only: the PostgreSQL run adds time, not coverage.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from loanpilot.demo.accounts import DEMO_PASSWORD

if TYPE_CHECKING:
    from tests.conftest import DemoSite

CHROMIUM = Path(os.environ.get("LOANPILOT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Playwright's default wait is 30 s; a page of the demo site answers in well under a second.
TIMEOUT_MS = 15_000


_HERE = Path(__file__).parent
_SQLITE_ONLY = pytest.mark.skip(reason="browser tests run on the SQLite demo site only")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the PostgreSQL run of the browser tests before its demo site is set up."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if (
            callspec is not None
            and "postgres" in (callspec.params.get("site_bank"), callspec.params.get("demo_bank"))
            and _HERE in Path(item.path).parents
        ):
            item.add_marker(_SQLITE_ONLY)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/browser.sh", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    """The window size; override (or parametrize indirectly) for a phone-sized screen."""
    return {"width": 1280, "height": 900}


@pytest.fixture
def site(demo_site: DemoSite) -> DemoSite:
    """The demo site, SQLite only (browser tests skip the PostgreSQL run)."""
    if demo_site.bank.url.startswith("postgresql"):
        pytest.skip("browser tests run on the SQLite demo site only")
    return demo_site


@pytest.fixture
def page(browser: Browser, site: DemoSite, viewport: dict[str, int]) -> Iterator[Page]:
    """A page in a new browser context (own cookies), zh-CN locale, on the demo site."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=site.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def login(page: Page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the real form on /console/login and wait for the next page."""
    page.goto(f"{base_url}/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form[action$='/console/login'] button[type=submit]")


@pytest.fixture(name="login")
def login_fixture() -> Callable[..., None]:
    """``login(page, base_url, username)`` (conftest helpers are not importable by test modules)."""
    return login
