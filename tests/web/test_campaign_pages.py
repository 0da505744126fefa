"""The campaign pages over real HTTP on the demo bank: the list with budget burn bars and the
status filter (Chinese and English); a campaign's overview with its links to the plan, export and
results pages; the plan form keeps what was typed and shows every problem beside the row it was
typed in; "suggest windows" adds windows for the audience; a marketing manager creates and edits a
campaign, records spend until the alerts fire, acknowledges one and cancels the campaign, which
then refuses spend; branch heads and auditors read but cannot change."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.campaigns.models import BudgetAlert, BudgetLine, Campaign, CampaignStatus

if TYPE_CHECKING:
    from tests.conftest import DemoSite

FORM = {
    "name": "页面测试活动", "theme": "开学季", "channel": "branch", "starts_on": "2026-08-20",
    "ends_on": "2026-09-30", "control_share": "10", "budget_fen": "", "action": "save",
    "goals[0].metric": "applications", "goals[0].target": "80",
    "places[0].kind": "university", "places[0].name": "浙江工业大学",
    "places[0].starts_at": "2026-09-02T10:00", "places[0].ends_at": "2026-09-02T17:00",
    "budget.promotion": "1000", "budget.venue": "500",
}  # fmt: skip


def test_the_list_and_a_demo_campaign(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    page = client.get("/console/campaigns")
    assert page.status_code == 200
    assert "营销活动" in page.text
    assert 'data-burn="' in page.text
    en = client.get("/console/campaigns?lang=en&status=completed")
    assert en.status_code == 200
    assert "Budget burn" in en.text
    statuses = set(re.findall(r'<tr data-campaign="[^"]+" data-status="(\w+)"', en.text))
    assert statuses == {"completed"}
    with Session(demo_site.bank.engine) as s:
        first = s.scalars(select(Campaign).order_by(Campaign.id)).first()
        assert first is not None
    detail = client.get(f"/console/campaigns/{first.id}")
    assert detail.status_code == 200
    for link in ("plan", "export.csv", "results"):
        assert f"/console/campaigns/{first.id}/{link}" in detail.text
    assert 'data-line="promotion"' in detail.text
    branch = demo_site.login("branch")
    seen = branch.get(f"/console/campaigns/{first.id}?lang=en")
    assert seen.status_code == 200
    assert "Record an expense" not in seen.text
    assert "data-to=" not in seen.text
    assert branch.get("/console/campaigns/new").status_code == 403


def test_the_form_keeps_what_was_typed(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    assert client.get("/console/campaigns/new").status_code == 200
    typed = FORM | {"ends_on": "2026-08-01", "goals[0].target": "", "goals[1].metric": "approvals",
                    "goals[1].target": "abc", "goals[2].metric": "responses",
                    "goals[2].target": "0", "windows[2].label": "周末", "windows[2].starts_on": "2026-08-20",
                    "windows[2].ends_on": "2026-08-22", "windows[2].weekdays": "68"}  # fmt: skip
    refused = client.post("/console/campaigns/new", data=typed)
    assert refused.status_code == 422
    text = refused.text
    assert 'value="页面测试活动"' in text
    assert 'value="abc"' in text
    for name in ("ends_on", "goals[1].target", "goals[2].target", "windows[2].weekdays"):
        assert f'data-field="{name}"' in text, name
    en = client.post("/console/campaigns/new?lang=en", data=typed)
    assert "the campaign ends before it starts" in en.text


def test_suggested_windows(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    page = client.post(
        "/console/campaigns/new",
        data=FORM | {"action": "suggest", "suggest_for": ["students", "office_workers"]},
    )
    assert page.status_code == 200
    assert 'data-notice="suggested"' in page.text
    assert 'value="开学季（学生）"' in page.text
    assert 'value="2026-09-21"' in page.text
    assert 'value="周末（上班族）"' in page.text
    assert 'value="67"' in page.text


def test_plan_spend_and_close(demo_site: DemoSite) -> None:
    client = demo_site.login("marketing")
    made = client.post("/console/campaigns/new", data=FORM)
    assert made.status_code == 303, made.text
    path = made.headers["location"]
    cid = int(path.rsplit("/", 1)[1])
    edit = client.get(f"{path}/edit")
    assert edit.status_code == 200
    assert 'value="浙江工业大学"' in edit.text
    changed = client.post(
        f"{path}/edit", data=FORM | {"name": "页面测试活动（改）", "budget_fen": "2000"}
    )
    assert changed.status_code == 303
    with Session(demo_site.bank.engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None
        assert c.name == "页面测试活动（改）"
        assert c.budget_fen == 200_000
        lines = {
            x.category.value: x.id
            for x in s.scalars(select(BudgetLine).where(BudgetLine.campaign_id == cid))
        }
    spent = client.post(f"{path}/expenses", data={"budget_line_id": lines["promotion"], "spent_on": "2026-08-25",
                                                  "amount": "1700", "vendor": "之江印务"})  # fmt: skip
    assert spent.status_code == 303
    bad = client.post(
        f"{path}/expenses",
        data={"budget_line_id": lines["venue"], "spent_on": "2099-01-01", "amount": "x"},
    )
    assert bad.status_code == 422
    assert 'data-field="amount_fen"' in bad.text
    assert 'value="x"' in bad.text
    page = client.get(path)
    assert 'data-alert="80"' in page.text
    assert 'data-level="warn"' in page.text
    with Session(demo_site.bank.engine) as s:
        alert = s.scalars(select(BudgetAlert).where(BudgetAlert.campaign_id == cid)).one()
    assert (
        demo_site.login("auditor").post(f"{path}/alerts/{alert.id}/acknowledge").status_code == 403
    )
    assert client.post(f"{path}/alerts/{alert.id}/acknowledge").status_code == 303
    assert client.post(f"{path}/alerts/{alert.id}/acknowledge").status_code == 409
    approve = client.post(f"{path}/status", data={"status": "approved"})
    assert approve.status_code == 422
    assert 'data-error="refused"' in approve.text
    assert client.post(f"{path}/status", data={"status": "cancelled"}).status_code == 303
    closed = client.post(
        f"{path}/expenses",
        data={"budget_line_id": lines["venue"], "spent_on": "2026-08-25", "amount": "1"},
    )
    assert closed.status_code == 409
    with Session(demo_site.bank.engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None
        assert c.status is CampaignStatus.CANCELLED
    assert client.get(f"{path}/edit").status_code == 303  # a closed campaign is not edited
