"""The KPI page in a real browser: the trend chart draws (ECharts), switching the KPI redraws
it, and a KPI's name leads to its formula."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect
from tests.conftest import DemoSite


def test_trend_chart_and_formula_link(
    page: Page, site: DemoSite, login: Callable[..., None]
) -> None:
    login(page, site.url, "marketing")
    page.goto(f"{site.url}/console/kpis?period=2026Q3&by=region")
    expect(page.locator("[data-chart=trend]")).to_have_attribute("data-rendered", "1")
    expect(page.locator("[data-chart=trend] canvas")).to_have_count(1)
    page.select_option("[data-trend-select]", "nps")
    expect(page.locator("tr[data-code=market_share]").first).to_be_visible()
    page.click("tr[data-code=approval_rate] th a")
    expect(page).to_have_url(f"{site.url}/console/kpis/definitions#approval_rate")
    expect(page.locator("#approval_rate")).to_contain_text("审批通过率")
