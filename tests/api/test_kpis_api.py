"""The KPI API on the demo site: values by period and dimension within the caller's scope,
definitions, targets (validated, audited, ``kpi:write`` only)."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import DemoSite

from loanpilot.evaluation.kpi_rules import KPI_CODES


def test_values_by_dimension_and_scope(demo_site: DemoSite) -> None:
    with demo_site.client() as client:
        admin = client.get(
            "/api/v1/kpis", params={"period": "2026Q3"}, headers=demo_site.bearer("admin")
        )
        assert admin.status_code == 200, admin.text
        body = admin.json()
        assert body["scope"] == "all"
        assert body["period"] == "2026Q3"
        whole = {v["code"]: v for v in body["values"]}
        assert set(whole) == set(KPI_CODES)
        rate = whole["approval_rate"]
        assert Decimal(rate["value"]) == Decimal(rate["numerator"]) / Decimal(rate["denominator"])
        assert whole["disbursed_fen"]["source"] == "kpi:disbursed_fen period=2026Q3 by=all"
        by_branch = client.get(
            "/api/v1/kpis",
            params={"period": "2026Q3", "by": "branch", "code": "disbursed_fen"},
            headers=demo_site.bearer("admin"),
        ).json()["values"]
        assert by_branch
        assert {v["code"] for v in by_branch} == {"disbursed_fen"}
        assert sum(int(v["value"]) for v in by_branch) == int(whole["disbursed_fen"]["value"])
        own = client.get(
            "/api/v1/kpis",
            params={"period": "2026Q3", "code": "disbursed_fen,applications"},
            headers=demo_site.bearer("manager"),
        ).json()
        assert own["scope"] == "own"
        mine = {v["code"]: v for v in own["values"]}
        assert int(mine["applications"]["value"]) < int(whole["applications"]["value"])
        bad = client.get(
            "/api/v1/kpis",
            params={"period": "2026Q9", "by": "planet"},
            headers=demo_site.bearer("admin"),
        )
        assert bad.status_code == 422
        unknown = client.get(
            "/api/v1/kpis", params={"period": "2026Q3", "code": "profit"},
            headers=demo_site.bearer("admin"),
        )  # fmt: skip
        assert unknown.status_code == 422
        assert "profit" in unknown.text
        defs = client.get("/api/v1/kpis/definitions", headers=demo_site.bearer("manager")).json()
        assert [d["code"] for d in defs] == list(KPI_CODES)
        assert all(d["formula_zh"] and d["formula_en"] for d in defs)


def test_targets_set_list_and_refused(demo_site: DemoSite) -> None:
    with demo_site.client() as client:
        put = client.put(
            "/api/v1/kpi-targets",
            json={"code": "npl_ratio", "period": "2027Q1", "value": "1.5%"},
            headers=demo_site.bearer("marketing"),
        )
        assert put.status_code == 200, put.text
        assert Decimal(put.json()["target"]) == Decimal("0.015")
        listed = client.get(
            "/api/v1/kpi-targets", params={"period": "2027Q1"}, headers=demo_site.bearer("manager")
        ).json()
        assert any(t["code"] == "npl_ratio" and t["shown"] == "1.50%" for t in listed)
        bad = client.put(
            "/api/v1/kpi-targets",
            json={"code": "approval_rate", "period": "2027Q1", "value": "101", "dimension": "x"},
            headers=demo_site.bearer("marketing"),
        )
        assert bad.status_code == 422
        fields = {p["field"] for p in bad.json()["fields"]}
        assert {"value", "dimension"} <= fields
        denied = client.put(
            "/api/v1/kpi-targets",
            json={"code": "npl_ratio", "period": "2027Q1", "value": "2"},
            headers=demo_site.bearer("manager"),
        )
        assert denied.status_code == 403
