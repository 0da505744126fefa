"""The appraisal API on the served demo bank: plans (weights rule, versions), runs, ratings and the
permission matrix (a customer manager sees only their own score, a branch head only their
branch's; only managers rate, only the marketing manager and administrator run)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from tests.conftest import DemoSite

API = "/api/v1/appraisal"


def _current_plan(client: httpx.Client, headers: dict[str, str], role: str, period: str) -> dict[str, Any]:  # fmt: skip
    found = client.get(f"{API}/plans", params={"role": role, "period": period}, headers=headers)
    assert found.status_code == 200, found.text
    plan = next(p for p in found.json() if p["status"] != "superseded")
    full = client.get(f"{API}/plans/{plan['id']}", headers=headers)
    assert full.status_code == 200
    return dict(full.json())


def _writes(plan: dict[str, Any], weights: list[int] | None = None) -> list[dict[str, Any]]:
    out = []
    for i, ind in enumerate(plan["indicators"]):
        curve = ind["curve"]
        out.append({
            "code": ind["code"], "name": ind["name"], "kind": ind["kind"],
            "weight_pct": str(weights[i] if weights else ind["weight_pct"]),
            "target": ind["target"], "higher_is_better": ind["higher_is_better"],
            "curve": curve["type"], "floor": curve["floor"], "cap": curve["cap"],
            "scale_min": curve.get("scale_min"), "scale_max": curve.get("scale_max"),
        })  # fmt: skip
    return out


def test_plans_weights_rule_and_versions(demo_site: DemoSite) -> None:
    marketing = demo_site.bearer("marketing")
    with demo_site.client() as client:
        plan = _current_plan(client, marketing, "sales_consultant", "2026Q3")
        assert Decimal(plan["weights_total_pct"]) == 100
        bad = _writes(plan, [30, 15, 10, 15, 5, 10, 5, 5, 0])
        refused = client.post(f"{API}/plans", headers=marketing, json={
            "name": "坏方案", "role": "sales_consultant", "period": "2027Q2", "indicators": bad})  # fmt: skip
        assert refused.status_code == 422
        fields = {f["field"]: f["message"] for f in refused.json()["fields"]}
        assert "the weights add up to 95 %, not 100 %" in fields["weights"]
        assert "innovation 0 %" in fields["weights"]
        assert "indicators[8].weight" in fields
        listed = client.get(f"{API}/plans", params={"period": "2027Q2"}, headers=marketing)
        assert listed.json() == []  # nothing half-saved

        assert plan["runs"] >= 1  # the demo's history: editing makes a new version
        edited = client.put(f"{API}/plans/{plan['id']}", headers=marketing, json={
            "name": plan["name"] + "（修订）",
            "indicators": _writes(plan, [25, 20, 10, 15, 5, 10, 5, 5, 5])})  # fmt: skip
        assert edited.status_code == 200, edited.text
        new = edited.json()
        assert new["id"] != plan["id"]
        assert new["previous_id"] == plan["id"]
        assert new["version"] == plan["version"] + 1
        assert new["runs"] == 0
        old = client.get(f"{API}/plans/{plan['id']}", headers=marketing).json()
        assert old["status"] == "superseded"
        again = client.put(f"{API}/plans/{plan['id']}", headers=marketing,
                           json={"name": "x", "indicators": _writes(plan)})  # fmt: skip
        assert again.status_code == 409
        old_run = client.get(f"{API}/runs", params={"plan_id": plan["id"]}, headers=marketing)
        run = old_run.json()[0]
        result = client.get(f"{API}/runs/{run['id']}", headers=marketing).json()
        first = result["scores"][0]
        explained = client.get(f"{API}/runs/{run['id']}/scores/{first['staff_id']}",
                               headers=marketing).json()  # fmt: skip
        assert explained["run"]["plan_version"] == plan["version"]
        assert [x["weight_pct"] for x in explained["lines"]][:2] == ["30.00", "15.00"]


def test_run_scope_and_ratings(demo_site: DemoSite) -> None:
    marketing, branch = demo_site.bearer("marketing"), demo_site.bearer("branch")
    manager = demo_site.bearer("manager")
    with demo_site.client() as client:
        plan = _current_plan(client, marketing, "customer_manager", "2026Q3")
        assert client.post(f"{API}/plans/{plan['id']}/runs", headers=manager).status_code == 403
        made = client.post(f"{API}/plans/{plan['id']}/runs", headers=marketing,
                           json={"group_rule": "branch"})  # fmt: skip
        assert made.status_code == 201, made.text
        run = made.json()
        assert run["group_rule"] == "branch"
        assert run["period"] == "2026Q3"

        everyone = client.get(f"{API}/runs/{run['id']}", headers=marketing).json()["scores"]
        assert len(everyone) > 10
        ranks_ok = all(s["rank"] <= s["group_size"] for s in everyone)
        assert ranks_ok
        assert sum(everyone[0]["group"] == s["group"] for s in everyone) > 1
        mine = client.get(f"{API}/runs/{run['id']}", headers=branch).json()["scores"]
        assert 0 < len(mine) < len(everyone)
        mine_ids = {s["staff_id"] for s in mine}
        outside = next(s for s in everyone if s["staff_id"] not in mine_ids)
        denied = client.get(f"{API}/runs/{run['id']}/scores/{outside['staff_id']}", headers=branch)
        assert denied.status_code == 403

        me = client.get(f"{API}/me", headers=manager).json()
        own = client.get(f"{API}/runs/{run['id']}", headers=manager).json()["scores"]
        assert [s["staff_id"] for s in own] == [me["staff_id"]]
        assert me["items"]
        assert me["items"][0]["score"]["staff_id"] == me["staff_id"]
        other = next(s for s in everyone if s["staff_id"] != me["staff_id"])
        peek = client.get(f"{API}/runs/{run['id']}/scores/{other['staff_id']}", headers=manager)
        assert peek.status_code == 403

        explained = client.get(f"{API}/runs/{run['id']}/scores/{own[0]['staff_id']}",
                               headers=manager, params={"lang": "en"}).json()  # fmt: skip
        lines = explained["lines"]
        assert len(lines) == 9
        assert sum(Decimal(x["weighted"]) for x in lines) == Decimal(explained["score"]["total"])
        assert lines[0]["source"].startswith("kpi:disbursed_fen period=2026Q3 by=manager")
        assert all(x["missing"] == (x["actual"] is None) for x in lines)
        assert "weight 30%" in lines[0]["explanation"]

        # ratings: managers only, within their branch, on the scale
        target = mine[0]["staff_id"]
        rating = {"staff_id": target, "indicator_code": "teamwork", "rating": "85"}
        assert client.put(f"{API}/plans/{plan['id']}/ratings", headers=manager,
                          json={"ratings": [rating]}).status_code == 403  # fmt: skip
        off = client.put(f"{API}/plans/{plan['id']}/ratings", headers=branch,
                         json={"ratings": [{**rating, "rating": "150"}]})  # fmt: skip
        assert off.status_code == 422
        assert off.json()["fields"][0] == {
            "field": "ratings[0].rating", "message": "the rating 150 is outside the scale 0 to 100",
            "row": None, "source": None, "code": "rating_range",
        }  # fmt: skip
        out = client.put(f"{API}/plans/{plan['id']}/ratings", headers=branch,
                         json={"ratings": [{**rating, "staff_id": outside["staff_id"]}]})  # fmt: skip
        assert out.status_code == 422
        ok = client.put(f"{API}/plans/{plan['id']}/ratings", headers=branch,
                        json={"ratings": [rating]})  # fmt: skip
        assert ok.status_code == 200, ok.text
        rerun = client.post(f"{API}/plans/{plan['id']}/runs", headers=marketing).json()
        line = next(x for x in client.get(f"{API}/runs/{rerun['id']}/scores/{target}",
                                          headers=marketing).json()["lines"]
                    if x["code"] == "teamwork")  # fmt: skip
        assert (line["actual"], line["score"], line["missing"]) == ("85.0000", "85.00", False)
        assert line["rated_by"]


def test_roles_that_see_every_customer_see_only_their_own_appraisal(demo_site: DemoSite) -> None:
    """Seeing every *customer* (risk officer, approver, collector, service agent) is not seeing
    every colleague's appraisal: they get their own score only, and 403 on anyone else's."""
    marketing = demo_site.bearer("marketing")
    with demo_site.client() as client:
        runs = client.get(f"{API}/runs", params={"period": "2026Q3"}, headers=marketing).json()
        run = next(r for r in runs if r["role"] == "customer_manager")
        everyone = client.get(f"{API}/runs/{run['id']}", headers=marketing).json()["scores"]
        assert len(everyone) > 10
        auditor = client.get(f"{API}/runs/{run['id']}", headers=demo_site.bearer("auditor"))
        assert len(auditor.json()["scores"]) == len(everyone)
        for user in ("approver", "risk", "collector", "service"):
            headers = demo_site.bearer(user)
            seen = client.get(f"{API}/runs/{run['id']}", headers=headers)
            assert seen.status_code == 200, seen.text
            assert seen.json()["scores"] == [], user  # none of them is a customer manager
            peek = client.get(f"{API}/runs/{run['id']}/scores/{everyone[0]['staff_id']}",
                              headers=headers)  # fmt: skip
            assert peek.status_code == 403, (user, peek.text)
