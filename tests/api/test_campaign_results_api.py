"""The campaign results API over real HTTP on the demo site: results by id or code, A/B tests,
attribution (one campaign and across campaigns), 404 for an unknown campaign, 403 without
``marketing:read``; and the portal keeping UTM tags from the landing URL to the application's
lead, attributed to the campaign whose code is ``utm_campaign``."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.campaigns.models import Campaign
from loanpilot.channels.attribution import UTM_COOKIE
from loanpilot.channels.models import Lead
from loanpilot.kit.ids import make_resident_id
from loanpilot.lending.models import Application

if TYPE_CHECKING:
    from tests.conftest import DemoSite

_seq = itertools.count(1)


def _new_id() -> str:
    """A resident ID no other test uses (region 330108)."""
    n = next(_seq)
    return make_resident_id("330108", date(1975, 1, 1) + timedelta(days=89 * n), n % 1000, True)


def test_results_by_id_and_code(demo_site: DemoSite) -> None:
    headers = demo_site.bearer("marketing")
    with demo_site.client() as client:
        by_id = client.get("/api/v1/campaigns/1/results", headers=headers)
        assert by_id.status_code == 200, by_id.text
        body = by_id.json()
        code = body["campaign"]["code"]
        assert [s["stage"] for s in body["lifts"]] == [
            "responded",
            "applied",
            "approved",
            "disbursed",
        ]
        for s in body["lifts"]:
            assert s["lift"]["low"] <= s["lift"]["estimate"] <= s["lift"]["high"]
        assert body["control"]["contacted"] == 0
        by_code = client.get(f"/api/v1/campaigns/{code}/results", headers=headers)
        assert by_code.json()["treatment"] == body["treatment"]
        wider = client.get("/api/v1/campaigns/1/results?confidence=0.99", headers=headers).json()
        assert wider["lifts"][0]["lift"]["low"] <= body["lifts"][0]["lift"]["low"]
        ab = client.get("/api/v1/campaigns/1/ab-test", headers=headers)
        assert ab.status_code == 200
        assert ab.json()["campaign_id"] == 1
        attr = client.get("/api/v1/campaigns/1/attribution", headers=headers).json()
        assert attr["leads"] == body["attribution"]["leads"]
        across = client.get("/api/v1/campaigns/leads/attribution", headers=headers)
        assert across.status_code == 200
        assert across.json()["leads"] >= attr["leads"]


def test_unknown_campaign_and_refusals(demo_site: DemoSite) -> None:
    with demo_site.client() as client:
        missing = client.get(
            "/api/v1/campaigns/NOPE/results", headers=demo_site.bearer("marketing")
        )
        assert missing.status_code == 404
        assert missing.json()["error"] == "campaign.not_found"
        bad = client.get(
            "/api/v1/campaigns/1/results?confidence=2", headers=demo_site.bearer("marketing")
        )
        assert bad.status_code == 422
        refused = client.get("/api/v1/campaigns/1/results", headers=demo_site.bearer("collector"))
        assert refused.status_code == 403
        assert client.get("/api/v1/campaigns/1/results").status_code == 401


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name}"
    return match.group(1)


def test_the_portal_keeps_utm_tags_and_attributes_the_lead(demo_site: DemoSite) -> None:
    with Session(demo_site.bank.engine) as s:
        code = s.scalars(select(Campaign.code).order_by(Campaign.id.desc())).first()
    with demo_site.client() as client:
        landing = client.get(
            f"/?utm_source=baidu&utm_medium=cpc&utm_campaign={code}&utm_term=<bad>"
        )
        assert landing.status_code == 200
        assert UTM_COOKIE in client.cookies
        page = client.get("/apply/CL-GEN")  # no tags in this URL: the cookie's are used
        assert _hidden(page.text, "utm_campaign") == code
        assert 'name="utm_term"' not in page.text  # an invalid tag is dropped
        data = {
            "csrf_token": _hidden(page.text, "csrf_token"),
            "idempotency_key": _hidden(page.text, "idempotency_key"),
            "name": "归因测试", "id_number": _new_id(), "phone": "13900139000",
            "amount_yuan": "50000", "term_months": "12", "method": "equal_instalment",
            "purpose": "消费", "monthly_income_yuan": "15000", "occupation": "company_employee",
            "branch_id": "", "consent_data": "yes",
            "utm_source": "baidu", "utm_medium": "cpc", "utm_campaign": code,
        }  # fmt: skip
        done = client.post("/apply/CL-GEN", data=data)
        assert done.status_code == 200, done.text[:500]
    with Session(demo_site.bank.engine) as s:
        app = s.scalars(
            select(Application).where(Application.idempotency_key == data["idempotency_key"])
        ).one()
        lead = s.get(Lead, app.lead_id)
        campaign = s.scalars(select(Campaign).where(Campaign.code == code)).one()
        assert lead is not None
        assert lead.utm_campaign == code
        assert lead.utm_source == "baidu"
        assert lead.campaign_id == campaign.id == app.campaign_id
        assert lead.source_channel == "online"
        assert lead.status == "converted"


def test_an_unknown_code_is_kept_as_a_tag_without_a_campaign(demo_site: DemoSite) -> None:
    key = "utm-api-test-key-0001"
    body = {
        "product": "CL-GEN", "name": "归因接口", "id_number": _new_id(), "phone": "13700137000",
        "amount_yuan": "30000", "term_months": 12, "method": "equal_instalment",
        "purpose": "消费", "monthly_income_yuan": "12000", "occupation": "company_employee",
        "consent_data_processing": True,
    }  # fmt: skip
    with demo_site.client() as client:
        done = client.post(
            "/api/v1/portal/applications?utm_source=partner-site&utm_campaign=UNKNOWN-CODE",
            json=body,
            headers={"Idempotency-Key": key},
        )
        assert done.status_code == 201, done.text
    with Session(demo_site.bank.engine) as s:
        app = s.scalars(select(Application).where(Application.idempotency_key == key)).one()
        lead = s.get(Lead, app.lead_id)
        assert lead is not None
        assert lead.utm_campaign == "UNKNOWN-CODE"
        assert lead.campaign_id is None
        assert app.campaign_id is None
