"""The segments API over real HTTP on the demo site: build, runs, segments, bands, permissions."""

from __future__ import annotations

from tests.conftest import DEMO_AS_OF, DemoSite


def test_build_read_and_permissions(demo_site: DemoSite) -> None:
    marketing, manager = demo_site.bearer("marketing"), demo_site.bearer("manager")
    with demo_site.client() as http:
        assert (
            http.get("/api/v1/segments/runs", headers=demo_site.bearer("collector")).status_code
            == 403
        )
        refused = http.post("/api/v1/segments/build", json={"kind": "rules"}, headers=manager)
        assert refused.status_code == 403
        bad = http.post(
            "/api/v1/segments/build",
            json={"kind": "rules", "as_of": "2999-01-01"},
            headers=marketing,
        )
        assert bad.status_code == 422
        assert bad.json()["fields"][0]["field"] == "as_of"
        built = http.post("/api/v1/segments/build", headers=marketing,
                          json={"kind": "all", "k": 4, "as_of": DEMO_AS_OF})  # fmt: skip
        assert built.status_code == 201, built.text
        rules, clusters = built.json()["runs"]
        assert (rules["kind"], clusters["kind"], clusters["params"]["k"]) == (
            "rules",
            "clusters",
            4,
        )
        assert "model" not in clusters["params"]

        runs = http.get(
            "/api/v1/segments/runs", params={"kind": "clusters"}, headers=manager
        ).json()["items"]
        assert runs[0]["id"] == clusters["id"]
        assert runs[0]["is_current"]
        detail = http.get(f"/api/v1/segments/runs/{clusters['id']}", headers=manager).json()
        assert len(detail["segments"]) == 4
        first = detail["segments"][0]
        assert first["code"] == "c01"
        assert first["name_zh"]
        assert first["description_en"]
        assert {"income", "holdings", "channel", "response", "approval", "needs"} <= set(
            first["profile"]
        )
        assert sum(s["size"] for s in detail["segments"]) == detail["customers"]
        one = http.get(f"/api/v1/segments/runs/{clusters['id']}/segments/c01", headers=manager)
        assert one.json()["size"] == first["size"]
        current = http.get(
            "/api/v1/segments/runs/current", params={"kind": "rules"}, headers=manager
        )
        assert current.json()["id"] == rules["id"]
        assert http.get("/api/v1/segments/runs/999999", headers=manager).status_code == 404
        missing = http.get(f"/api/v1/segments/runs/{rules['id']}/segments/nope", headers=manager)
        assert missing.status_code == 404


def test_bands_get_and_put_list_every_problem(demo_site: DemoSite) -> None:
    marketing = demo_site.bearer("marketing")
    with demo_site.client() as http:
        bands = http.get("/api/v1/segments/bands", headers=demo_site.bearer("auditor")).json()
        assert [b["code"] for b in bands["age"]] == ["young", "middle", "senior"]
        assert (
            http.put(
                "/api/v1/segments/bands", json=bands, headers=demo_site.bearer("manager")
            ).status_code
            == 403
        )
        broken = {"age": [dict(b) for b in bands["age"]]}
        broken["age"][0]["upper"] = "30"  # a gap up to 35
        broken["age"][2]["label_zh"] = ""
        refused = http.put("/api/v1/segments/bands", json=broken, headers=marketing)
        assert refused.status_code == 422
        fields = {(f["field"], f.get("code")) for f in refused.json()["fields"]}
        assert fields == {("age.0.upper", "gap"), ("age.2.label_zh", "required")}
        assert (
            http.get("/api/v1/segments/bands", headers=marketing).json() == bands
        )  # nothing changed
        edited = {"income": [dict(b) for b in bands["income"]]}
        edited["income"][0]["upper"] = edited["income"][1]["lower"] = "6000"
        saved = http.put("/api/v1/segments/bands", json=edited, headers=marketing)
        assert saved.status_code == 200, saved.text
        assert float(saved.json()["income"][0]["upper"]) == 6000
        restored = http.put("/api/v1/segments/bands", json=bands, headers=marketing)  # as it was
        assert restored.json() == bands
