"""The market API on the demo site: enter, update, refuse an overlap and delete a market size;
import with rejected rows listed; share by every cut; competitors, their products and positioning;
writing needs market:write, reading marketing:read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from loanpilot.market.models import MarketSize

if TYPE_CHECKING:
    from tests.conftest import DemoSite

REGION = "接口测试省"
BODY = {"product_line": "business", "region": REGION, "period": "2026Q1",
        "total_balance_yuan": "1000.5", "source": "测试"}  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def _remove_test_rows(demo_site: DemoSite) -> Iterator[None]:
    """The made-up region's market rows are removed afterwards: the KPI suite counts every
    market row, and other tests read the shared demo site's shares."""
    yield
    with Session(demo_site.bank.engine) as s, s.begin():
        s.execute(delete(MarketSize).where(MarketSize.region == REGION))


def test_sizes_enter_update_overlap_delete(demo_site: DemoSite) -> None:
    headers = demo_site.bearer("marketing")
    with demo_site.client(headers=headers) as api:
        created = api.post("/api/v1/market/sizes", json=BODY)
        assert created.status_code == 201, created.text
        assert created.json()["size"]["total_balance_fen"] == 100_050
        updated = api.post("/api/v1/market/sizes", json=BODY | {"total_balance_yuan": "2000"})
        assert updated.status_code == 200
        assert updated.json()["created"] is False
        overlap = api.post("/api/v1/market/sizes", json=BODY | {"period": "2026"})
        assert overlap.status_code == 409
        assert overlap.json()["error"] == "market.overlap"
        invalid = api.post("/api/v1/market/sizes", json=BODY | {"product_line": "x", "period": "y"})
        assert invalid.status_code == 422
        assert {f["field"] for f in invalid.json()["fields"]} == {"product_line", "period"}
        listed = api.get("/api/v1/market/sizes", params={"region": REGION, "period": "2026"})
        assert [s["total_balance_yuan"] for s in listed.json()] == ["2000.00"]
        size_id = listed.json()[0]["id"]
        assert api.delete(f"/api/v1/market/sizes/{size_id}").status_code == 204
        assert api.delete(f"/api/v1/market/sizes/{size_id}").status_code == 404


def test_import_lists_rejected_rows(demo_site: DemoSite) -> None:
    text = ("product_line,region,period,total_balance_yuan,source\n"
            f"housing,{REGION},2026Q2,5,测试\nhousing,{REGION},2026Q2,6,测试\n"
            f"housing,{REGION},2026,x,测试\n")  # fmt: skip
    with demo_site.client(headers=demo_site.bearer("marketing")) as api:
        report = api.post(
            "/api/v1/market/sizes/import", files={"file": ("s.csv", text, "text/csv")}
        )
        assert report.status_code == 200, report.text
        body = report.json()
        assert (body["created"], body["rejected_rows"]) == (1, 2)
        assert {(p["row"], p["field"], p["code"]) for p in body["rejected"]} == {
            (3, "period", "duplicate"), (4, "total_balance_yuan", "amount")}  # fmt: skip
        bad = api.post(
            "/api/v1/market/sizes/import", files={"file": ("s.pdf", b"%PDF", "application/pdf")}
        )
        assert bad.status_code == 400


def test_reads(demo_site: DemoSite) -> None:
    with demo_site.client(headers=demo_site.bearer("manager")) as api:
        share = api.get("/api/v1/market/share", params={"period": "2026Q3", "by": "region"})
        assert share.status_code == 200
        assert {s["key"] for s in share.json()} >= {"浙江", "上海", "江苏"}
        assert all(s["source"] == "kpi:market_share period=2026Q3 by=region" for s in share.json())
        matrix = api.get("/api/v1/market/share", params={"by": "line_region", "periods": 2})
        assert len({s["period"] for s in matrix.json()}) == 2
        assert api.get("/api/v1/market/share", params={"period": "2026Q9"}).status_code == 422
        assert len(api.get("/api/v1/market/competitors").json()) >= 8
        products = api.get("/api/v1/market/competitor-products", params={"subtype": "auto"}).json()
        assert products
        assert {p["subtype"] for p in products} == {"auto"}
        positioning = api.get("/api/v1/market/positioning").json()
        assert any(p["code"] == "HL-COM" and p["competitors"] for p in positioning["products"])
        assert api.post("/api/v1/market/sizes", json=BODY).status_code == 403
    with demo_site.client(headers=demo_site.bearer("approver")) as api:
        assert api.get("/api/v1/market/sizes").status_code == 403
    assert httpx.get(f"{demo_site.url}/api/v1/market/sizes", timeout=30).status_code == 401
