"""Console pages of the work plan on the demo site: generate from the form (htmx: spinner, then a
redirect to the list), bad input shown beside its field, view and download, and who may do what."""

from __future__ import annotations

import re

import pytest
from tests.conftest import DemoSite

from loanpilot.kit.clock import business_today

PERIOD = "2026Q4"
pytestmark = pytest.mark.skipif(
    business_today().isoformat() < "2026-10-01", reason="2026Q4 has not started"
)


def test_generate_view_and_download(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    page = client.get("/console/plan")
    assert page.status_code == 200
    assert 'data-action="generate"' in page.text
    assert 'hx-indicator="#plan-spinner"' in page.text
    made = client.post(
        "/console/plan", data={"period": PERIOD, "lang": "en"}, headers={"HX-Request": "true"}
    )
    assert made.status_code == 204, made.text
    target = made.headers["HX-Redirect"]
    plan_id = int(re.findall(r"made=(\d+)", target)[0])
    listed = client.get(target)
    assert f'data-made="{plan_id}"' in listed.text
    assert f'data-plan="{plan_id}"' in listed.text
    view = client.get(f"/console/plan/{plan_id}/view")
    assert view.status_code == 200
    assert "default-src 'none'" in view.headers["content-security-policy"]
    assert "Personal-Loan Marketing Work Plan" in view.text
    download = client.get(f"/console/plan/{plan_id}/download.html")
    assert "attachment" in download.headers["content-disposition"]
    assert f"-{plan_id}.html" in download.headers["content-disposition"]
    bad = client.post("/console/plan", data={"period": "2026Q9", "lang": "zh"})
    assert bad.status_code == 422
    assert 'data-field="period"' in bad.text
    assert "2026Q9" in bad.text
    htmx_bad = client.post(
        "/console/plan", data={"period": PERIOD, "lang": "de"}, headers={"HX-Request": "true"}
    )
    assert htmx_bad.status_code == 200
    assert 'data-field="lang"' in htmx_bad.text
    assert "Marketing work plans" in client.get("/console/plan?lang=en").text
    assert client.get("/console/plan/99999999/view").status_code == 404
    client.close()
    client = demo_site.login("manager")  # a customer manager may not read the bank's plans
    assert client.get("/console/plan?lang=zh").status_code == 403
    assert client.get(f"/console/plan/{plan_id}/view").status_code == 403
    client.close()
    client = demo_site.login("branch")  # a branch head reads plans, cannot generate
    page = client.get("/console/plan?lang=zh")
    assert page.status_code == 200
    assert 'data-action="generate"' not in page.text
    assert f'data-plan="{plan_id}"' in page.text
    assert client.post("/console/plan", data={"period": PERIOD}).status_code == 403
    client.close()
