"""The campaigns API over real HTTP on the demo bank: the demo's campaigns read with their budget
(NULL budget: the sum of the lines) and burn; a marketing manager creates a campaign, replaces its
goals, records spend until the 80 % and 100 % alerts fire (once each) and acknowledges them; a bad
plan gets 422 with every problem; an audience without consent is refused with the counts; a closed
campaign refuses spend (409); customer managers, branch heads and auditors may read, not change."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from loanpilot.campaigns.models import BudgetLine, Campaign, CampaignStatus
from loanpilot.campaigns.schemas import CODE_PATTERN
from loanpilot.customers.models import Customer
from loanpilot.customers.models_segments import (
    CustomerSegment,
    RunStatus,
    Segment,
    SegmentKind,
    SegmentRun,
)

if TYPE_CHECKING:
    from tests.conftest import DemoSite

API = "/api/v1/campaigns"


def plan(**over: object) -> dict[str, object]:
    return {
        "name": "测试活动", "theme": "青春梦想贷", "channel": "sms",
        "starts_on": "2026-11-01", "ends_on": "2026-12-31", "control_share": "0.1",
        "goals": [{"metric": "applications", "target": 50}],
        "places": [{"kind": "industrial_park", "name": "滨江园区", "starts_at": "2026-11-20T10:00",
                    "ends_at": "2026-11-20T16:00"}],
        "windows": [{"label": "周末", "starts_on": "2026-11-01", "ends_on": "2026-12-31", "weekdays": "67",
                     "start_hour": 10, "end_hour": 18}],
        "budget_lines": [{"category": "promotion", "planned_fen": 10_000}],
    } | over  # fmt: skip


def test_the_demo_campaigns_read(demo_site: DemoSite) -> None:
    with demo_site.client(headers=demo_site.bearer("marketing")) as client:
        listed = client.get(API)
        assert listed.status_code == 200
        items = listed.json()["items"]
        assert len(items) >= 30
        one = client.get(f"{API}/{items[-1]['id']}").json()
    with Session(demo_site.bank.engine) as s:
        planned = s.scalar(
            select(func.sum(BudgetLine.planned_fen)).where(BudgetLine.campaign_id == one["id"])
        )
        stored = s.scalar(select(Campaign.budget_fen).where(Campaign.id == one["id"]))
    # a campaign without a budget of its own is measured against the sum of its lines
    assert one["budget"]["budget_set"] is (stored is not None)
    assert one["budget"]["budget_fen"] == (planned if stored is None else stored)
    assert planned == sum(x["planned_fen"] for x in one["budget_lines"])
    assert one["goals"]
    assert one["places"]
    assert one["audience_counts"]["targets"] > 0
    assert one["budget"]["spent_fen"] == sum(x["spent_fen"] for x in one["budget_lines"])


def test_plan_spend_and_alerts(demo_site: DemoSite) -> None:
    with demo_site.client(headers=demo_site.bearer("marketing")) as client:
        bad = client.post(API, json=plan(ends_on="2026-10-01", budget_fen=5_000,
                                          goals=[{"metric": "clicks", "target": -1}]))  # fmt: skip
        assert bad.status_code == 422
        codes = {f["field"]: f["code"] for f in bad.json()["fields"]}
        assert codes == {"ends_on": "dates_reversed", "goals[0].metric": "unknown_metric",
                         "goals[0].target": "target_positive", "budget_fen": "budget_exceeded"}  # fmt: skip
        made = client.post(API, json=plan())
        assert made.status_code == 201, made.text
        c = made.json()
        assert c["status"] == "planned"
        assert c["budget"]["budget_fen"] == 10_000
        goals = client.put(f"{API}/{c['id']}/goals", json=[{"metric": "approvals", "target": 20},
                                                             {"metric": "satisfaction", "target": 4.5}])  # fmt: skip
        assert [g["metric"] for g in goals.json()] == ["approvals", "satisfaction"]
        assert client.put(f"{API}/{c['id']}/windows", json=[{"label": "x", "starts_on": "2027-01-01",
                                                             "ends_on": "2027-01-02"}]).status_code == 422  # fmt: skip
        line = c["budget_lines"][0]["id"]
        spent = client.post(f"{API}/{c['id']}/expenses", json={"budget_line_id": line, "spent_on": "2026-11-02",
                                                                "amount_fen": 8_500})  # fmt: skip
        assert spent.status_code == 201
        assert [a["threshold_pct"] for a in spent.json()["alerts"]] == [80]
        again = client.post(f"{API}/{c['id']}/expenses", json={"budget_line_id": line, "spent_on": "2026-11-02",
                                                                "amount_fen": 2_000}).json()  # fmt: skip
        assert [a["threshold_pct"] for a in again["alerts"]] == [100]
        assert again["budget"]["level"] == "over"
        assert again["budget"]["burn"] == 1.05
        alerts = client.get(f"{API}/{c['id']}/alerts").json()
        assert [a["threshold_pct"] for a in alerts] == [80, 100]
        ack = client.post(f"{API}/{c['id']}/alerts/{alerts[0]['id']}/acknowledge")
        assert ack.status_code == 200
        assert ack.json()["acknowledged_at"]
        assert (
            client.post(f"{API}/{c['id']}/alerts/{alerts[0]['id']}/acknowledge").status_code == 409
        )
        # no audience yet: it cannot be approved; cancelling closes it, and spend is refused
        assert (
            client.post(f"{API}/{c['id']}/status", json={"status": "approved"}).status_code == 422
        )
        assert client.post(f"{API}/{c['id']}/status", json={"status": "cancelled"}).json()[
            "closed_at"
        ]
        closed = client.post(f"{API}/{c['id']}/expenses", json={"budget_line_id": line, "spent_on": "2026-11-02",
                                                                 "amount_fen": 1})  # fmt: skip
        assert closed.status_code == 409
        assert closed.json()["error"] == "campaign.closed"
        assert client.patch(f"{API}/{c['id']}", json={"name": "x"}).status_code == 409


def test_an_audience_without_consent_is_refused(demo_site: DemoSite) -> None:
    """A segmentation run of our own (not current, so no other test sees it) whose segment holds
    only customers without marketing consent."""
    with Session(demo_site.bank.engine) as s, s.begin():
        now = datetime.now(UTC)
        run = SegmentRun(kind=SegmentKind.RULES, version=9_000 + int(now.timestamp()) % 100_000,
                         as_of=date(2026, 11, 29), status=RunStatus.DONE, is_current=False,
                         started_at=now, customers=3)  # fmt: skip
        s.add(run)
        s.flush()
        ids = s.scalars(select(Customer.id).where(Customer.marketing_consent.is_(False))
                        .order_by(Customer.id).limit(3)).all()  # fmt: skip
        s.add(Segment(run_id=run.id, code="NO_CONSENT", name_zh="无授权", name_en="No consent",
                      description_zh="", description_en="", size=len(ids)))  # fmt: skip
        s.add_all(
            [CustomerSegment(run_id=run.id, customer_id=i, segment_code="NO_CONSENT") for i in ids]
        )
        run_id = run.id
    try:
        with demo_site.client(headers=demo_site.bearer("marketing")) as client:
            refused = client.post(
                API, json=plan(segment_run_id=run_id, segment_codes=["NO_CONSENT"])
            )
        assert refused.status_code == 422
        [problem] = refused.json()["fields"]
        assert problem["field"] == "segment_codes"
        assert problem["code"] == "audience_no_consent"
        assert "3 without marketing consent" in problem["message"]
    finally:  # the shared bank gets its segmentation runs back (the segments pages list them)
        with Session(demo_site.bank.engine) as s, s.begin():
            for table in (CustomerSegment, Segment):
                s.execute(delete(table).where(table.run_id == run_id))
            s.execute(delete(SegmentRun).where(SegmentRun.id == run_id))


def test_who_may_change(demo_site: DemoSite) -> None:
    with Session(demo_site.bank.engine) as s:
        done = s.scalar(
            select(Campaign.id).where(Campaign.status == CampaignStatus.COMPLETED).limit(1)
        )
        line = s.scalar(select(BudgetLine.id).where(BudgetLine.campaign_id == done).limit(1))
    for user in ("manager", "branch", "auditor"):
        with demo_site.client(headers=demo_site.bearer(user)) as client:
            assert client.get(f"{API}/{done}").status_code == 200, user
            assert client.post(API, json=plan()).status_code == 403, user
            assert client.post(f"{API}/{done}/expenses", json={"budget_line_id": line, "spent_on": "2026-11-02",
                                                                "amount_fen": 1}).status_code == 403  # fmt: skip
    with demo_site.client(headers=demo_site.bearer("approver")) as client:
        assert client.get(API).status_code == 403  # no marketing:read
    with demo_site.client(headers=demo_site.bearer("marketing")) as client:
        closed = client.post(f"{API}/{done}/expenses", json={"budget_line_id": line, "spent_on": "2026-11-02",
                                                             "amount_fen": 1})  # fmt: skip
        assert closed.status_code == 409


def test_a_campaign_code_is_what_utm_campaign_can_carry_and_an_arm_fits_its_column(
    demo_site: DemoSite,
) -> None:
    """Codes are URL-safe ASCII (``[A-Za-z0-9._-]{1,32}``: a lead's utm_campaign tag must match
    them); the demo's own codes pass. An arm label is at most 16 characters (its column)."""
    stamp = f"{datetime.now(UTC):%H%M%S%f}"
    arm = {"product_id": 1, "channel": "sms", "headline_zh": "限时优惠"}
    with demo_site.client(headers=demo_site.bearer("marketing")) as client:
        for bad in ("CMP 2026", "春季活动", 'CMP"1', "CMP/AB01", "x" * 33, ""):
            refused = client.post(API, json=plan(code=bad))
            assert refused.status_code == 422, bad
            assert [f["field"] for f in refused.json()["fields"]] == ["body.code"], bad
        for good in (f"CMP2026{stamp}", f"CMP{stamp}AB01", f"spring-2027.v_{stamp}"):
            made = client.post(API, json=plan(code=good))
            assert made.status_code == 201, made.text
            assert made.json()["code"] == good
        c = made.json()["id"]
        long = client.put(f"{API}/{c}/arms", json=[arm | {"arm": "A" * 17}])
        assert long.status_code == 422
        assert long.json()["fields"][0]["field"].endswith("arm")
        ok = client.put(f"{API}/{c}/arms", json=[arm | {"arm": "B" * 16}])
        assert ok.status_code == 200, ok.text
        assert [a["arm"] for a in ok.json()] == ["B" * 16]
    with Session(demo_site.bank.engine) as s:
        demo_codes = s.scalars(select(Campaign.code).limit(500)).all()
    assert demo_codes
    assert all(re.fullmatch(CODE_PATTERN, code) for code in demo_codes)
