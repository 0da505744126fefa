"""The segments console page over real HTTP: cards, charts' data, run history, band editor with
field-level errors, the rebuild button, languages and permissions."""

from __future__ import annotations

import json
import re
from contextlib import closing

from tests.conftest import DemoSite


def _island(html: str) -> dict[str, object]:
    match = re.search(
        r'<script type="application/json" id="segments-data">(.*?)</script>', html, re.S
    )
    assert match
    return json.loads(match.group(1))


def test_rebuild_then_see_cards_history_and_charts(demo_site: DemoSite) -> None:
    with closing(demo_site.login("marketing")) as browser:
        rebuilt = browser.post("/console/segments/build", data={"kind": "clusters", "k": "auto"})
        assert rebuilt.status_code == 303
        page = browser.get(rebuilt.headers["location"])
        assert page.status_code == 200
        html = page.text
        assert "客群细分" in html
        assert 'data-kind="clusters"' in html
        assert html.count('class="segment-card"') >= 4
        assert 'data-chart="size"' in html
        assert 'data-chart="channel"' in html
        data = _island(html)["data"]
        assert isinstance(data, dict)
        assert len(data["segments"]) >= 4
        assert 'action="/console/segments/build"' in html
        assert 'data-is-current="1"' in html
        english = browser.get("/console/segments?lang=en").text
        assert "Segments" in english
        assert "Run history" in english
        assert "Rebuild" in english
        bad = browser.post("/console/segments/build", data={"kind": "clusters", "k": "99"})
        assert bad.status_code == 422
        assert "data-error" in bad.text


def test_band_editor_shows_every_problem_beside_its_field(demo_site: DemoSite) -> None:
    with closing(demo_site.login("marketing")) as browser:
        form = {
            "age.0.code": "young", "age.0.lower": "", "age.0.upper": "30", "age.0.label_zh": "青年", "age.0.label_en": "Young",
            "age.1.code": "middle", "age.1.lower": "35", "age.1.upper": "55", "age.1.label_zh": "", "age.1.label_en": "Mid",
            "age.2.code": "senior", "age.2.lower": "55", "age.2.upper": "", "age.2.label_zh": "老年", "age.2.label_en": "Senior",
            "income.0.code": "low", "income.0.lower": "", "income.0.upper": "5000", "income.0.label_zh": "低", "income.0.label_en": "Low",
            "income.1.code": "high", "income.1.lower": "5000", "income.1.upper": "", "income.1.label_zh": "高", "income.1.label_en": "High",
        }  # fmt: skip
        refused = browser.post("/console/segments/bands", data=form)
        assert refused.status_code == 422
        assert 'data-problems="2"' in refused.text
        assert 'data-field="age.0.upper"' in refused.text
        assert 'data-field="age.1.label_zh"' in refused.text
        assert "与下一档之间有空档" in refused.text
        assert (
            'name="age.0.upper" id="f-age-0-upper" value="30"' in refused.text
        )  # the input is kept
        assert browser.get("/api/v1/segments/bands").json()["age"][0]["upper"] != "30"


def test_readers_see_no_forms_and_others_are_refused(demo_site: DemoSite) -> None:
    with closing(demo_site.login("auditor")) as browser:
        page = browser.get("/console/segments")
        assert page.status_code == 200
        assert 'action="/console/segments/build"' not in page.text
        assert 'value="young" aria-label' in page.text
        assert "disabled" in page.text
        assert browser.post("/console/segments/build", data={"kind": "rules"}).status_code == 403
    with closing(demo_site.login("collector")) as browser:
        assert browser.get("/console/segments").status_code == 403
