"""Display details of the campaign, results and segment pages over real HTTP on the demo bank: the
arms table scrolls inside its panel under a neutral "Headline" column; goals use the language's
colon; status buttons read "Mark as ..."; the attribution rule and the k criterion are translated;
a campaign whose targets never applied gives results without a pandas warning."""

from __future__ import annotations

import re
import warnings
from contextlib import closing
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.campaigns import results
from loanpilot.campaigns.models import (
    Campaign,
    CampaignGoal,
    CampaignOffer,
    CampaignStatus,
    CampaignTarget,
    TargetGroup,
)
from loanpilot.customers.models import Channel, Customer

if TYPE_CHECKING:
    from tests.conftest import DemoSite


def _campaign_with_goals_and_arms(site: DemoSite) -> int:
    with Session(site.bank.engine) as s:
        found = s.scalars(
            select(Campaign.id)
            .where(Campaign.id.in_(select(CampaignGoal.campaign_id)))
            .where(Campaign.id.in_(select(CampaignOffer.campaign_id)))
            .order_by(Campaign.id)
        ).first()
        assert found is not None, "the demo bank has campaigns with goals and arms"
        return found


def test_campaign_overview_in_english(demo_site: DemoSite) -> None:
    cid = _campaign_with_goals_and_arms(demo_site)
    with closing(demo_site.login("marketing")) as client:
        en = client.get(f"/console/campaigns/{cid}?lang=en").text
        zh = client.get(f"/console/campaigns/{cid}?lang=zh").text
    assert re.search(r'<div class="table-wrap"><table class="data arms">', en)
    assert "Headline (Chinese)" not in en
    assert "<th>Headline</th>" in en
    assert "<th>宣传语</th>" in zh
    goals = re.findall(r'<li data-metric="\w+">([^<]*)</li>', en)
    assert goals
    assert all(": " in g and "：" not in g for g in goals)
    assert all("：" in g for g in re.findall(r'<li data-metric="\w+">([^<]*)</li>', zh))
    assert "Make it" not in en


def test_attribution_rule_is_translated(demo_site: DemoSite) -> None:
    cid = _campaign_with_goals_and_arms(demo_site)
    with closing(demo_site.login("marketing")) as client:
        zh = client.get(f"/console/campaigns/{cid}/results?lang=zh").text
        en = client.get(f"/console/campaigns/{cid}/results?lang=en").text
        api = client.get(f"/api/v1/campaigns/{cid}/results", headers=demo_site.bearer("marketing"))
    assert "申请归因规则：优先采用名单记录的申请" in zh
    assert "天内提交的最早申请" in zh
    assert "target's application_id" not in zh
    assert "Application attribution rule: the application recorded on the target" in en
    assert api.status_code == 200
    assert api.json()["attribution_rule"].startswith("target's application_id")  # unchanged


def test_results_of_targets_without_applications_raise_no_warning(demo_site: DemoSite) -> None:
    with Session(demo_site.bank.engine) as s:
        customers = s.scalars(select(Customer.id).order_by(Customer.id).limit(4)).all()
        c = Campaign(
            code="DISPLAY-NOAPP", name="no applications", theme="test",
            status=CampaignStatus.RUNNING, channel=Channel.SMS, starts_on=date(2031, 1, 1),
            ends_on=date(2031, 1, 31), control_share=Decimal("0.5"),
        )  # fmt: skip
        s.add(c)
        s.flush()
        for i, customer_id in enumerate(customers):
            group = TargetGroup.CONTROL if i % 2 else TargetGroup.TREATMENT
            s.add(CampaignTarget(campaign_id=c.id, customer_id=customer_id, group=group,
                                 channel=Channel.SMS))  # fmt: skip
        s.flush()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                r = results.campaign_results(s, c.id)
            assert r.treatment.applied == 0
            assert r.control.applied == 0
            assert r.treatment.targeted == 2
        finally:
            s.rollback()  # the shared demo bank stays as it was


def test_segment_k_criterion_is_translated(demo_site: DemoSite) -> None:
    with closing(demo_site.login("marketing")) as client:
        built = client.post("/console/segments/build", data={"kind": "clusters", "k": "auto"})
        assert built.status_code == 303
        zh = client.get(built.headers["location"]).text
        en = client.get(built.headers["location"] + "?lang=en").text
    line = re.search(r"<p class=\"muted\" data-k=\"\d+\">([^<]*)</p>", zh)
    assert line
    assert "最小客群占比不低于 3%" in line.group(1)
    assert "silhouette" not in line.group(1)
    assert "smallest cluster at least 3 %" in en
