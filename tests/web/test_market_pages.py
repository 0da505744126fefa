"""The market pages over real HTTP on the demo bank: sizes with filters (Chinese and English),
share by line × region with its trend, competitors and positioning; the entry form keeps what was
typed and shows each problem beside its field, refuses an overlapping period (409) and updates the
same period; an import lists every rejected row with its row and column. A customer manager reads
but cannot change; an approver cannot read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from loanpilot.market.models import MarketSize

if TYPE_CHECKING:
    from tests.conftest import DemoSite

REGION = "网页测试省"
FORM = {"product_line": "consumer", "region": REGION, "period": "2026Q2",
        "total_balance_yuan": "1234567.80", "new_lending_yuan": "", "source": "测试", "note": ""}  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def _remove_test_rows(demo_site: DemoSite) -> Iterator[None]:
    """The made-up region's market rows are removed afterwards: the KPI suite counts every
    market row, and other tests read the shared demo site's shares."""
    yield
    with Session(demo_site.bank.engine) as s, s.begin():
        s.execute(delete(MarketSize).where(MarketSize.region == REGION))


def test_pages_read_in_both_languages(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    sizes = client.get("/console/market?period=2026Q3&line=housing")
    assert sizes.status_code == 200
    assert "市场分析" in sizes.text
    assert set(re.findall(r'data-line="(\w+)" data-region', sizes.text)) == {"housing"}
    assert set(re.findall(r'data-period="([^"]+)"', sizes.text)) == {"2026Q3"}
    assert 'action="/console/market/sizes/import"' in sizes.text
    en = client.get("/console/market?lang=en")
    assert "Market analysis" in en.text
    share = client.get("/console/market/share?period=2026Q3&periods=4")
    assert share.status_code == 200
    assert 'data-table="matrix"' in share.text
    assert 'id="market-data"' in share.text
    assert "kpi:market_share period=2026Q3" in share.text
    assert re.search(r'data-figure="share-all" data-value="0\.0\d+', share.text)
    assert client.get("/console/market/share?period=2026Q9").status_code == 200
    comp = client.get("/console/market/competitors?subtype=general_consumer")
    assert comp.status_code == 200
    assert set(re.findall(r'data-subtype="(\w+)"', comp.text)) == {"general_consumer"}
    history = client.get("/console/market/competitors?history=true&subtype=general_consumer")
    assert history.text.count("<tr data-product=") > comp.text.count("<tr data-product=")
    positioning = client.get("/console/market/positioning?lang=en")
    assert positioning.status_code == 200
    assert 'data-product="CL-GEN"' in positioning.text
    assert re.search(r'data-position="(cheaper|at_market|dearer)"', positioning.text)
    assert "Rate positioning" in positioning.text


def test_entry_form_problems_overlap_and_update(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    bad = client.post(
        "/console/market/sizes", data=FORM | {"period": "2026Q7", "total_balance_yuan": "1.234"}
    )
    assert bad.status_code == 422
    assert 'data-field="period"' in bad.text
    assert 'data-field="total_balance_yuan"' in bad.text
    assert 'value="1.234"' in bad.text  # what was typed is kept
    created = client.post("/console/market/sizes", data=FORM)
    assert created.status_code == 303
    assert created.headers["location"].endswith("saved=created")
    again = client.post("/console/market/sizes", data=FORM | {"total_balance_yuan": "2000000"})
    assert again.headers["location"].endswith("saved=updated")
    assert "已更新" in client.get(again.headers["location"]).text
    overlap = client.post("/console/market/sizes", data=FORM | {"period": "2026-05"})
    assert overlap.status_code == 409
    assert 'data-error="overlap"' in overlap.text
    assert "2026Q2" in overlap.text
    listed = client.get(f"/console/market?region={REGION}")
    assert re.findall(r'data-balance="(\d+)"', listed.text) == ["200000000"]


def test_import_result_lists_rejected_rows(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    text = ("product_line,region,period,total_balance_yuan,new_lending_yuan,source,note\n"
            f"housing,{REGION},2026Q1,500,,测试,\n"
            f"housing,{REGION},2026-02,500,,测试,\n"
            f"nope,{REGION},2026Q1,500,,测试,\n")  # fmt: skip
    result = client.post("/console/market/sizes/import",
                         files={"file": ("m.csv", text.encode("gbk"), "text/csv")})  # fmt: skip
    assert result.status_code == 200
    assert (
        'data-figure="created"><h2 class="card-label">新增</h2><p class="card-value">1<'
        in result.text
    )
    assert set(re.findall(r'<tr data-row="(\d+)" data-field="(\w+)"', result.text)) == {
        ("3", "period"), ("4", "product_line")}  # fmt: skip
    none = client.post("/console/market/sizes/import", data={"x": "1"})
    assert none.status_code == 422
    broken = client.post("/console/market/competitors/import",
                         files={"file": ("c.csv", b"competitor\nx\n", "text/csv")})  # fmt: skip
    assert broken.status_code == 400
    assert 'data-error="import"' in broken.text


def test_roles(demo_site: DemoSite) -> None:
    manager = demo_site.login("manager")
    page = manager.get("/console/market")
    assert page.status_code == 200
    assert "/console/market/sizes/import" not in page.text
    assert manager.post("/console/market/sizes", data=FORM).status_code == 403
    assert demo_site.login("approver").get("/console/market/share").status_code == 403
