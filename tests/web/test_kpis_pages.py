"""The KPI console page (/console/kpis) on the demo site: the table with targets and the previous
period, the six-period trend, the scope of each role, the formulas, English, and setting targets
(problems shown beside the fields, what was typed kept)."""

from __future__ import annotations

import json
import re

from tests.conftest import DemoSite

from loanpilot.evaluation.kpi_rules import KPI_CODES


def _island(html: str) -> dict:  # type: ignore[type-arg]
    match = re.search(r'<script type="application/json" id="kpis-data">(.*?)</script>', html, re.S)
    assert match, "no chart data on the page"
    return json.loads(match.group(1))


def test_page_for_three_scopes_and_languages(demo_site: DemoSite) -> None:
    for user, scope in (
        ("admin", "范围：全行"),
        ("branch", "本机构及下辖机构"),
        ("manager", "本人管户"),
    ):
        client = demo_site.login(user)
        try:
            page = client.get("/console/kpis", params={"period": "2026Q3"})
        finally:
            client.close()
        assert page.status_code == 200, user
        assert scope in page.text
        for code in KPI_CODES:
            assert f'data-code="{code}"' in page.text
        data = _island(page.text)
        assert data["periods"] == ["2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
        assert [k["code"] for k in data["kpis"]] == list(KPI_CODES)
        assert 'href="/console/kpis/definitions#approval_rate"' in page.text
        assert ("设定目标" in page.text) is (user == "admin")  # kpi:write
    client = demo_site.login("admin")
    try:
        english = client.get(
            "/console/kpis", params={"period": "2026-10", "by": "branch", "lang": "en"}
        )
        assert english.status_code == 200
        assert "Approval rate" in english.text
        assert "Previous period" in english.text
        assert 'data-dimension="branch"' in english.text
        defs = client.get("/console/kpis/definitions", params={"lang": "zh"})
        assert defs.status_code == 200
        for code in KPI_CODES:
            assert f'id="{code}"' in defs.text
        assert "推荐者" in defs.text
        bad = client.get("/console/kpis", params={"period": "2026Q7", "by": "galaxy"})
        assert bad.status_code == 422
        assert 'data-field="period"' in bad.text
        assert 'data-field="by"' in bad.text
        js = client.get("/static/js/kpis.js")
        assert js.status_code == 200
        assert "kpis-data" in js.text
    finally:
        client.close()


def test_targets_from_the_page(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    try:
        saved = client.post(
            "/console/kpis/targets",
            data={"code": "disbursed_fen", "period": "2027-01", "dimension": "all", "key": "",
                  "value": "12345678.9"},
        )  # fmt: skip
        assert saved.status_code == 303
        assert saved.headers["location"] == "/console/kpis?period=2027-01&by=all"
        page = client.get("/console/kpis", params={"period": "2027-01"})
        row = re.search(r'<tr data-code="disbursed_fen".*?</tr>', page.text, re.S)
        assert row
        assert "¥12,345,678.90" in row.group(0)
        refused = client.post(
            "/console/kpis/targets",
            data={"code": "retention", "period": "2027-01", "dimension": "branch", "key": "",
                  "value": "abc"},
        )  # fmt: skip
        assert refused.status_code == 422
        assert 'data-field="target.value"' in refused.text
        assert 'data-field="target.key"' in refused.text
        assert 'name="value" value="abc"' in refused.text
    finally:
        client.close()
    manager = demo_site.login("manager")
    try:
        denied = manager.post(
            "/console/kpis/targets",
            data={"code": "nps", "period": "2027-01", "value": "50"},
        )
        assert denied.status_code == 403
    finally:
        manager.close()
