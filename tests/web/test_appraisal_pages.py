"""The appraisal console pages on the served demo bank: the plan editor (problems beside fields,
what was typed kept, nothing saved), running a plan, the ranked results with their chart, one
person's explanation, "mine", the ratings form; scope per role; Chinese by default, English on
request."""

from __future__ import annotations

import re

from tests.conftest import DemoSite

BASE = "/console/appraisal"


def _plan_row(html: str, role_zh: str, period: str) -> int:
    """The id of the first active plan of a role and period on the index page."""
    for match in re.finditer(r'<tr data-plan="(\d+)" data-status="(\w+)">(.*?)</tr>', html, re.S):
        if (
            match.group(2) != "superseded"
            and period in match.group(3)
            and role_zh in match.group(3)
        ):
            return int(match.group(1))
    raise AssertionError(f"no {period} {role_zh} plan listed")


def test_plan_editor_run_and_results(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    index = client.get(BASE)
    assert index.status_code == 200
    assert "绩效考核" in index.text
    assert "Performance appraisal" in client.get(BASE, params={"lang": "en"}).text
    client.get(BASE, params={"lang": "zh"})
    form = client.get(f"{BASE}/plans/new")
    assert form.status_code == 200
    assert 'id="weights-total"' in form.text
    assert "appraisal.js" in form.text
    data = {"name": "2027年第三季度 市场分析员考核", "role": "market_analyst", "period": "2027Q3",
            "indicators[0].code": "teamwork", "indicators[0].name": "团队协作",
            "indicators[0].kind": "qualitative", "indicators[0].weight": "60",
            "indicators[0].curve": "rating",
            "indicators[1].code": "innovation", "indicators[1].name": "创新能力",
            "indicators[1].kind": "qualitative", "indicators[1].weight": "abc",
            "indicators[1].curve": "rating", "indicators[1].scale_min": "5",
            "indicators[1].scale_max": "1"}  # fmt: skip
    refused = client.post(f"{BASE}/plans/new", data=data)
    assert refused.status_code == 422
    assert 'data-field="indicators[1].weight"' in refused.text
    assert "不是有效数字" in refused.text
    assert 'data-field="weights"' in refused.text
    assert "权重合计为 60%，不是 100%" in refused.text
    assert 'data-field="indicators[1].scale"' in refused.text
    assert 'value="2027年第三季度 市场分析员考核"' in refused.text
    assert 'value="abc"' in refused.text
    assert "2027Q3" not in client.get(BASE, params={"period": "2027Q3"}).text.split("<h2>")[1]
    data |= {"indicators[1].weight": "40", "indicators[1].scale_min": "1",
             "indicators[1].scale_max": "5"}  # fmt: skip
    saved = client.post(f"{BASE}/plans/new", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    plan_page = client.get(saved.headers["location"])
    assert plan_page.status_code == 200
    assert 'data-weights-total="100.00"' in plan_page.text

    plan_id = _plan_row(client.get(BASE).text, "客户经理", "2026Q3")
    ran = client.post(f"{BASE}/plans/{plan_id}/run", data={"group_rule": "branch"},
                      follow_redirects=False)  # fmt: skip
    assert ran.status_code == 303
    results = client.get(ran.headers["location"])
    assert results.status_code == 200
    assert 'data-chart="distribution"' in results.text
    assert 'id="appraisal-data"' in results.text
    assert 'data-group-rule="branch"' in results.text
    assert "杭州分行" in results.text
    person = re.search(rf'href="({BASE}/runs/\d+/staff/\d+)"', results.text)
    assert person is not None
    explained = client.get(person.group(1))
    assert explained.status_code == 200
    assert 'id="score-lines"' in explained.text
    assert "kpi:disbursed_fen period=2026Q3" in explained.text
    assert "× 权重 30%" in explained.text
    english = client.get(person.group(1), params={"lang": "en"})
    assert "× weight 30%" in english.text
    client.get(BASE, params={"lang": "zh"})
    edit = client.get(f"{BASE}/plans/{plan_id}/edit")
    assert 'data-new-version="1"' in edit.text


def test_scope_of_pages_by_role(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    plan_id = _plan_row(client.get(BASE).text, "高级客户经理", "2026Q3")
    run_url = client.post(f"{BASE}/plans/{plan_id}/run", data={"group_rule": "bank"},
                          follow_redirects=False).headers["location"]  # fmt: skip
    everyone = re.findall(r'<tr data-staff="(E\d+)">', client.get(run_url).text)
    cm_id = _plan_row(client.get(BASE).text, "客户经理", "2026Q3")
    cm_run = client.post(f"{BASE}/plans/{cm_id}/run", follow_redirects=False).headers["location"]
    cm_all = client.get(cm_run).text
    client = demo_site.login("manager")
    mine = client.get(f"{BASE}/me")
    assert mine.status_code == 200
    assert 'id="score-lines"' in mine.text
    rows = re.findall(r'<tr data-staff="(E\d+)">', client.get(cm_run).text)
    assert len(rows) == 1
    links = re.findall(rf'href="({BASE}/runs/\d+/staff/\d+)"', cm_all)[:6]
    codes = [client.get(u).status_code for u in links]
    assert codes.count(200) <= 1
    assert set(codes) <= {200, 403}
    assert client.get(f"{BASE}/plans/{cm_id}/ratings").status_code == 403
    assert client.get(f"{BASE}/plans/new").status_code == 403
    client = demo_site.login("branch")
    branch_rows = re.findall(r'<tr data-staff="(E\d+)">', client.get(cm_run).text)
    assert 0 < len(branch_rows) < cm_all.count("<tr data-staff=")
    assert len(everyone) > 0
    grid = client.get(f"{BASE}/plans/{cm_id}/ratings")
    assert grid.status_code == 200
    cell = re.search(r'name="(r-\d+-teamwork)"', grid.text)
    assert cell is not None
    refused = client.post(f"{BASE}/plans/{cm_id}/ratings", data={cell.group(1): "101"})
    assert refused.status_code == 422
    assert "评分 101 超出量表 0–100" in refused.text
    assert 'value="101"' in refused.text
    saved = client.post(f"{BASE}/plans/{cm_id}/ratings", data={cell.group(1): "88"})
    assert saved.status_code == 200
    assert 'data-saved="1"' in saved.text


def test_ratings_form_ignores_a_malformed_cell_name(demo_site: DemoSite) -> None:
    """A posted field ``r-5`` (no indicator part) is not a rating cell: ignored, never a 500."""
    client = demo_site.login("branch")
    cm_id = _plan_row(client.get(BASE).text, "客户经理", "2026Q3")
    answer = client.post(f"{BASE}/plans/{cm_id}/ratings", data={"r-5": "80", "r-": "1"})
    assert answer.status_code == 200
    assert 'data-saved="0"' in answer.text
