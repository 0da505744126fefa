"""The next-best-offer API over real HTTP on the demo site: runs, a customer's offers (scoped),
and starting a build (segments:write)."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.offers_site import build_once

from loanpilot.access.models import StaffAccount
from loanpilot.customers.models import Customer
from loanpilot.products.models_offers import Offer


def _offered_customer(engine, run_id: int) -> Customer:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        cid = session.scalar(select(Offer.customer_id).where(Offer.run_id == run_id).limit(1))
        customer = session.get(Customer, cid)
        assert customer is not None
        session.expunge(customer)
        return customer


def test_runs_and_a_customers_offers(demo_site) -> None:  # type: ignore[no-untyped-def]
    built = build_once(demo_site.bank.engine, demo_site.bank.settings)
    customer = _offered_customer(demo_site.bank.engine, built.run_id)
    with demo_site.client() as client:
        runs = client.get("/api/v1/offers/runs", headers=demo_site.bearer("marketing"))
        assert runs.status_code == 200
        assert built.run_id in [r["id"] for r in runs.json()["items"]]
        one = client.get(f"/api/v1/offers/runs/{built.run_id}", headers=demo_site.bearer("marketing"))  # fmt: skip
        body = one.json()
        assert body["status"] == "done"
        assert body["params"]["approval"] == "scorecard"
        assert set(body["summary"]["suppressed"]) == {
            "blacklisted", "no_consent", "opted_out", "cooloff", "contact_cap",
        }  # fmt: skip
        got = client.get(
            f"/api/v1/customers/{customer.customer_no}/offers",
            headers=demo_site.bearer("marketing"),
        )
        assert got.status_code == 200
        items = got.json()["items"]
        assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
        first = items[0]
        assert 0 < first["p_take"] < 1
        assert 0 <= first["p_approve"] <= 1
        assert first["expected_profit_fen"] > 0
        assert all({"code", "params", "zh", "en"} <= set(r) for r in first["reasons"])
        missing = client.get("/api/v1/offers/runs/999999", headers=demo_site.bearer("marketing"))
        assert missing.status_code == 404
        nobody = client.get("/api/v1/customers/NOPE/offers", headers=demo_site.bearer("marketing"))
        assert nobody.status_code == 404


def test_a_customer_outside_the_callers_scope_is_refused(demo_site) -> None:  # type: ignore[no-untyped-def]
    built = build_once(demo_site.bank.engine, demo_site.bank.settings)
    with Session(demo_site.bank.engine) as session:
        staff = session.scalar(
            select(StaffAccount.staff_id).where(StaffAccount.username == "manager")
        )
        other = session.scalars(
            select(Customer.customer_no).where(
                Customer.id.in_(select(Offer.customer_id).where(Offer.run_id == built.run_id)),
                (Customer.manager_id != staff) | Customer.manager_id.is_(None),
            )
        ).first()
    with demo_site.client() as client:
        response = client.get(f"/api/v1/customers/{other}/offers", headers=demo_site.bearer("manager"))  # fmt: skip
        assert response.status_code == 403
        assert response.json()["error"] == "scope.forbidden"


def test_building_needs_segments_write_and_runs_in_the_background(demo_site) -> None:  # type: ignore[no-untyped-def]
    build_once(demo_site.bank.engine, demo_site.bank.settings)
    with demo_site.client() as client:
        refused = client.post("/api/v1/offers/runs", json={}, headers=demo_site.bearer("manager"))
        assert refused.status_code == 403
        bad = client.post("/api/v1/offers/runs", json={"chunk": 5}, headers=demo_site.bearer("marketing"))  # fmt: skip
        assert bad.status_code == 422
        empty = client.post("/api/v1/offers/runs", json={}, headers=demo_site.bearer("marketing"))
        assert empty.status_code == 422  # as_of is required: an empty body starts nothing
        assert "as_of" in empty.text
        started = client.post(
            "/api/v1/offers/runs", json={"as_of": "2026-11-27", "chunk": 100},
            headers=demo_site.bearer("marketing"),
        )  # fmt: skip
        assert started.status_code == 202, started.text
        run_id = started.json()["run_id"]
        again = client.post(
            "/api/v1/offers/runs", json={"as_of": "2026-11-28"}, headers=demo_site.bearer("marketing")
        )  # fmt: skip
        assert again.status_code == 409, again.text  # never two builds at once
        assert again.json()["error"] == "offers.running"
        assert f"Offer run {run_id} (as of 2026-11-27)" in again.json()["detail"]
        follow = started.json()["follow"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run = client.get(follow, headers=demo_site.bearer("marketing")).json()
            if run["status"] != "running":
                break
            time.sleep(0.3)
        assert run["status"] == "done", run
        assert run["customers_done"] == run["customers_total"]
