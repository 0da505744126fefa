"""The campaign results console pages over real HTTP on the demo site: one campaign's results
(funnel against goals, lift with intervals, ROI, budget, arms, attribution; chart data island),
in Chinese and English; the A/B panel only with two arms; lead attribution across campaigns (not
shadowed by ``/console/campaigns/{id}``); refusal without ``marketing:read``."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.conftest import DemoSite


def test_results_page_in_both_languages(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    page = client.get("/console/campaigns/1/results")
    assert page.status_code == 200, page.text[:400]
    text = page.text
    assert "活动效果" in text
    assert "转化漏斗" in text
    assert "95% 置信区间" in text
    for section in ("funnel", "lift", "roi", "budget", "arms", "attribution"):
        assert f'data-section="{section}"' in text
    for stage in ("responded", "applied", "approved", "disbursed"):
        assert f'<tr data-stage="{stage}" data-significant=' in text
    island = re.search(r'id="results-data">(.*?)</script>', text, re.S)
    assert island
    data = json.loads(island.group(1))
    assert data["stages"][0] == "targeted"
    assert len(data["treatment"]) == 6
    assert 'data-panel="ab"' not in text  # one arm only
    assert "<script>" not in text  # no inline code (CSP)
    en = client.get("/console/campaigns/1/results?lang=en").text
    assert "Campaign results" in en
    assert "Incremental results against the hold-out" in en
    assert client.get("/console/campaigns/999999/results").status_code == 404


def test_attribution_page_is_not_shadowed(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    page = client.get("/console/campaigns/attribution")
    assert page.status_code == 200
    assert "各活动线索归因" in page.text
    assert 'data-by="source_channel"' in page.text
    assert 'data-by="utm"' in page.text


def test_a_role_without_marketing_read_is_refused(demo_site: DemoSite) -> None:
    client = demo_site.login("collector")
    assert client.get("/console/campaigns/1/results").status_code == 403
    assert client.get("/console/campaigns/attribution").status_code == 403
