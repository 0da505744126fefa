"""The risk API over real HTTP on the demo bank: the model registry (read, promote, retire), credit
policy versions (every problem of a draft listed at once, a contradiction included; a valid draft
activated), the manual-review queue and a manual decision, and an application's decision with its
offer, APR and schedule. Bearer tokens, the one error shape, and 403 for roles without the
permission.

Tests that change the shared site put back the champion model and the active policy they found."""

from __future__ import annotations

import copy
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy_financial as npf
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.risk_site import (
    champion,
    referred_application,
    register_copy,
)

from loanpilot.lending.models import Application
from loanpilot.risk.models import CreditModel, CreditPolicy, Decision, ModelStatus, PolicyStatus

if TYPE_CHECKING:
    from tests.conftest import DemoSite


def valid_body(base: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(base)


# --- models --------------------------------------------------------------------------------------


def test_models_are_listed_without_their_artefact_unless_asked(demo_site: DemoSite) -> None:
    row = champion(demo_site.bank.engine)
    headers = demo_site.bearer("auditor")
    with demo_site.client() as client:
        listing = client.get("/api/v1/risk/models", headers=headers)
        one = client.get(f"/api/v1/risk/models/{row.id}", headers=headers)
        full = client.get(f"/api/v1/risk/models/{row.id}?artefact=true", headers=headers)
        missing = client.get("/api/v1/risk/models/99999999", headers=headers)
    assert listing.status_code == one.status_code == full.status_code == 200
    items = {m["label"]: m for m in listing.json()["items"]}
    shown = items[row.label]
    assert shown["status"] == "champion"
    assert shown["artefact"] is None
    assert shown["content_sha256"] == row.content_sha256
    assert shown["metrics"]["holdout"]["auc"] == row.metrics["holdout"]["auc"]
    assert "score_bins" not in shown["metrics"]
    assert shown["variables"] == row.artefact["selected"]
    body = one.json()
    assert body["artefact"] is None
    assert [e["action"] for e in body["events"]][:2] == ["registered", "promoted"]
    assert full.json()["artefact"] == row.artefact
    assert missing.status_code == 404
    assert missing.json()["error"] == "model.not_found"


def test_promote_and_retire_through_the_api(demo_site: DemoSite, keep_champion: int) -> None:
    engine = demo_site.bank.engine
    new = register_copy(engine, f"api-{uuid.uuid4().hex[:8]}")
    other = register_copy(engine, f"api-{uuid.uuid4().hex[:8]}")
    with demo_site.client() as client:
        refused = client.post(
            f"/api/v1/risk/models/{new}/promote", headers=demo_site.bearer("approver"), json={}
        )
        headers = demo_site.bearer("risk")
        promoted = client.post(
            f"/api/v1/risk/models/{new}/promote", headers=headers, json={"note": "better KS"}
        )
        twice = client.post(f"/api/v1/risk/models/{new}/promote", headers=headers)
        retired = client.post(f"/api/v1/risk/models/{other}/retire", headers=headers)
        old = client.get(f"/api/v1/risk/models/{keep_champion}", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == "auth.forbidden"
    assert promoted.status_code == 200, promoted.text
    body = promoted.json()
    assert body["status"] == "champion"
    assert body["events"][-1] | {"at": None} == {
        "action": "promoted",
        "from_status": "challenger",
        "to_status": "champion",
        "at": None,
        "by_id": body["events"][-1]["by_id"],
        "note": "better KS",
    }
    assert body["events"][-1]["by_id"] is not None
    assert twice.status_code == 409
    assert twice.json()["error"] == "model.not_challenger"
    assert retired.status_code == 200
    assert retired.json()["status"] == "retired"
    assert old.json()["status"] == "retired"
    assert old.json()["events"][-1]["note"] == f"replaced by {body['label']}"
    with Session(engine) as s:
        champions = s.scalar(
            select(func.count())
            .select_from(CreditModel)
            .where(CreditModel.name == "application", CreditModel.status == ModelStatus.CHAMPION)
        )
    assert champions == 1


# --- policies ------------------------------------------------------------------------------------


def test_a_contradictory_policy_lists_every_problem_and_creates_nothing(
    demo_site: DemoSite, keep_policy: CreditPolicy
) -> None:
    engine = demo_site.bank.engine
    body = valid_body(keep_policy.body)
    body["cutoffs"] = {"approve_from": 560, "decline_below": 600}
    body["hard"]["min_age"] = 70  # above max_age 60
    body["pricing"]["income_months_by_grade"].pop("E")
    body["model"] = "behaviour"  # no champion of that name: nothing would be scored
    with Session(engine) as s:
        before = s.scalar(select(func.count()).select_from(CreditPolicy))
    with demo_site.client() as client:
        response = client.post(
            "/api/v1/risk/policies",
            headers=demo_site.bearer("risk"),
            json={"version": "bad-1", "body": body, "note": "x"},
        )
        unknown = client.post(
            "/api/v1/risk/policies",
            headers=demo_site.bearer("risk"),
            json={
                "version": "bad-2",
                "body": body | {"hard": body["hard"] | {"occupations": {"CL-EDU": ["pilot"]}}},
            },
        )
    assert response.status_code == 422
    error = response.json()
    assert error["error"] == "policy.invalid"
    fields = {p["field"]: p["message"] for p in error["fields"]}
    assert set(fields) == {"cutoffs", "hard.min_age", "pricing", "model"}
    assert fields["model"] == "no champion model named 'behaviour'"
    assert "decline_below (600) is above approve_from (560)" in fields["cutoffs"]
    assert unknown.status_code == 422  # not an occupation the bank knows
    assert unknown.json()["fields"][0]["field"] == "body.body.hard.occupations.CL-EDU.0"
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(CreditPolicy)) == before


def test_a_draft_is_created_then_activated(demo_site: DemoSite, keep_policy: CreditPolicy) -> None:
    engine = demo_site.bank.engine
    body = valid_body(keep_policy.body)
    body["cutoffs"]["approve_from"] = 580
    version = f"api-{uuid.uuid4().hex[:8]}"
    with demo_site.client() as client:
        headers = demo_site.bearer("risk")
        active = client.get("/api/v1/risk/policies/active", headers=headers)
        made = client.post(
            "/api/v1/risk/policies", headers=headers, json={"version": version, "body": body}
        )
        taken = client.post(
            "/api/v1/risk/policies", headers=headers, json={"version": version, "body": body}
        )
        auditor = client.post(
            f"/api/v1/risk/policies/{made.json()['id']}/activate",
            headers=demo_site.bearer("auditor"),
        )
        done = client.post(f"/api/v1/risk/policies/{made.json()['id']}/activate", headers=headers)
        again = client.post(f"/api/v1/risk/policies/{made.json()['id']}/activate", headers=headers)
        now_active = client.get("/api/v1/risk/policies/active", headers=headers)
        listing = client.get("/api/v1/risk/policies", headers=headers)
    assert active.status_code == 200
    assert active.json()["version"] == keep_policy.version
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "draft"
    assert made.json()["body"]["cutoffs"] == {"approve_from": 580, "decline_below": 520}
    assert taken.status_code == 422
    assert taken.json()["fields"] == [
        {
            "field": "version",
            "message": f"{version!r} already exists; choose a new version",
            "row": None,
            "source": None,
        }
    ]
    assert auditor.status_code == 403
    assert done.status_code == 200
    assert done.json()["status"] == "active"
    assert again.status_code == 409
    assert again.json()["error"] == "policy.not_draft"
    assert now_active.json()["version"] == version
    statuses = {p["version"]: p["status"] for p in listing.json()["items"]}
    assert statuses[keep_policy.version] == "retired"
    with Session(engine) as s:
        actives = s.scalar(
            select(func.count())
            .select_from(CreditPolicy)
            .where(CreditPolicy.status == PolicyStatus.ACTIVE)
        )
    assert actives == 1


# --- reviews and decisions -----------------------------------------------------------------------


def test_the_queue_and_a_manual_decline(demo_site: DemoSite) -> None:
    engine = demo_site.bank.engine
    app_id = referred_application(engine)
    with Session(engine) as s:
        app = s.get(Application, app_id)
        assert app is not None
        number = app.application_no
        auto = s.scalars(select(Decision).where(Decision.application_id == app_id)).one()
        auto_reasons = [r["code"] for r in auto.reasons]
    with demo_site.client() as client:
        headers = demo_site.bearer("approver")
        queue = client.get("/api/v1/risk/reviews", headers=headers)
        before = client.get(f"/api/v1/applications/{number}/decision", headers=headers)
        no_value = client.post(
            f"/api/v1/risk/reviews/{app_id}", headers=headers, json={"approve": True, "note": "ok"}
        )
        no_note = client.post(
            f"/api/v1/risk/reviews/{app_id}", headers=headers, json={"approve": False, "note": ""}
        )
        refused = client.post(
            f"/api/v1/risk/reviews/{app_id}",
            headers=demo_site.bearer("auditor"),
            json={"approve": False, "note": "no"},
        )
        declined = client.post(
            f"/api/v1/risk/reviews/{app_id}",
            headers=headers,
            json={"approve": False, "note": "income not verified"},
        )
        twice = client.post(
            f"/api/v1/risk/reviews/{app_id}", headers=headers, json={"approve": False, "note": "x"}
        )
        after = client.get(f"/api/v1/applications/{number}/decision", headers=headers)
    assert queue.status_code == 200
    items = {i["application_no"]: i for i in queue.json()["items"]}
    item = items[number]
    assert item["score"] == auto.score
    assert item["grade"] == auto.grade
    assert [r["code"] for r in item["reasons"]] == auto_reasons
    assert item["amount_fen"] == 10_000_000
    assert item["amount_yuan"] == "100000.00"
    assert item["waiting_hours"] is not None
    assert item["waiting_hours"] >= 0
    assert before.status_code == 200
    assert before.json()["outcome"] == "refer"
    assert before.json()["offer"] is None
    assert no_value.status_code == 422
    assert no_value.json()["error"] == "review.collateral"
    assert no_note.status_code == 422
    assert no_note.json()["error"] == "request.invalid"
    assert refused.status_code == 403
    assert declined.status_code == 200, declined.text
    body = declined.json()
    assert body["outcome"] == "decline"
    assert body["application_status"] == "declined"
    assert body["model_version"] == "manual"
    assert body["note"] == "income not verified"
    assert [r["code"] for r in body["reasons"]] == ["manual.decline"]
    assert body["reasons"][0]["zh"] == "经信贷人员人工复核，本次申请未获批准"
    assert "income not verified" not in str(body["reasons"])  # the note is not a reason
    assert twice.status_code == 409
    assert twice.json()["error"] == "application.not_referred"
    assert after.json()["outcome"] == "decline"


def test_a_manual_approval_returns_the_offer_with_apr_and_schedule(demo_site: DemoSite) -> None:
    engine = demo_site.bank.engine
    app_id = referred_application(engine)
    with demo_site.client() as client:
        headers = demo_site.bearer("risk")
        approved = client.post(
            f"/api/v1/risk/reviews/{app_id}",
            headers=headers,
            json={
                "approve": True,
                "note": "appraised",
                "amount_yuan": "60000",
                "collateral_value_yuan": "150000.00",
            },
        )
        number = approved.json()["application_no"]
        read = client.get(f"/api/v1/applications/{number}/decision", headers=headers)
        unknown = client.get("/api/v1/applications/NOPE/decision", headers=headers)
        other_role = client.get(
            f"/api/v1/applications/{number}/decision", headers=demo_site.bearer("service")
        )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    offer = body["offer"]
    assert body["outcome"] == "approve"
    assert body["application_status"] == "approved"
    assert offer["amount_fen"] == body["approved_amount_fen"] <= 6_000_000
    assert offer["amount_fen"] == min(6_000_000, offer["limit_fen"]) // 100 * 100
    assert Decimal(offer["apr"]) == Decimal(body["approved_apr"])
    assert Decimal(offer["annual_rate"]) == Decimal(body["approved_rate"])
    assert Decimal(offer["annual_rate"]) == Decimal(offer["base_rate"]) + Decimal(offer["spread"])
    schedule = offer["schedule"]
    assert len(schedule) == offer["term_months"] == 36
    assert sum(p["principal_fen"] for p in schedule) == offer["amount_fen"]
    assert schedule[0]["payment_fen"] == offer["first_payment_fen"]
    # equal instalment: the payment agrees with numpy-financial at the contract rate
    rate = float(offer["annual_rate"]) / 12
    want = -npf.pmt(rate, 36, offer["amount_fen"])
    assert abs(schedule[0]["payment_fen"] - want) <= 1
    assert read.status_code == 200
    again = read.json()
    assert again["offer"]["apr"] == offer["apr"]
    assert again["offer"]["schedule"] == schedule
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "application.not_found"
    assert other_role.status_code == 403


@pytest.mark.parametrize("username", ["marketing", "manager", "service"])
def test_roles_without_risk_read_are_refused(demo_site: DemoSite, username: str) -> None:
    with demo_site.client() as client:
        for path in ("/api/v1/risk/models", "/api/v1/risk/policies", "/api/v1/risk/reviews"):
            response = client.get(path, headers=demo_site.bearer(username))
            assert response.status_code == 403, path
            assert set(response.json()) == {"error", "detail", "fields"}
