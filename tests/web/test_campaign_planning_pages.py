"""The campaign planning page over real HTTP (a copy of the demo bank with offers): the form with
its defaults, solving, every problem beside its field, an infeasible plan's explanation beside the
constraint (Chinese and English), applying with a hold-out share, the exports, and who may do
what."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.planning_site import PlanningSite, new_campaign, planning_site

from loanpilot.campaigns.models import Campaign, CampaignPlan, CampaignTarget

if TYPE_CHECKING:
    from tests.conftest import DemoBank


@pytest.fixture(scope="module")
def site(demo_bank: DemoBank, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlanningSite]:
    with planning_site(demo_bank, tmp_path_factory.mktemp("planning-web")) as served:
        yield served


def _fresh_campaign(site: PlanningSite) -> int:
    with Session(site.engine) as s, s.begin():
        return new_campaign(s).id


def test_plan_solve_and_apply_from_the_console(site: PlanningSite) -> None:
    campaign_id = _fresh_campaign(site)
    with Session(site.engine) as s:
        code = s.get(Campaign, campaign_id).code
    client = site.login("marketing")
    page = client.get(f"/console/campaigns/{campaign_id}/plan")
    assert page.status_code == 200
    assert "活动规划" in page.text
    assert 'name="budget_yuan" type="text" value="50000"' in page.text  # the campaign's budget
    assert f'data-offer-run="{site.data.offer_run_id}"' in page.text
    assert 'data-arm="A"' in page.text
    assert 'data-action="solve"' in page.text

    solved = client.post(f"/console/campaigns/{campaign_id}/plan", data={
        "budget_yuan": "150", "channel_capacity": "call_center=10", "segment_min": "senior=5",
        "product_cap": "", "branch_hours_per_contact": "0.5", "method": "auto",
    }, follow_redirects=False)  # fmt: skip
    assert solved.status_code == 303
    plan_id = int(re.search(r"plan=(\d+)", solved.headers["location"]).group(1))
    result = client.get(solved.headers["location"])
    assert f'data-plan="{plan_id}" data-status="solved"' in result.text
    with Session(site.engine) as s:
        plan = s.get(CampaignPlan, plan_id)
        assert f'data-selected="{plan.selected}"' in result.text
        assert f'data-objective="{plan.objective_fen}"' in result.text
    assert 'data-breakdown="segment"' in result.text
    assert 'data-binding="budget"' in result.text
    assert 'value="call_center=10"' not in result.text  # the textarea holds it
    assert "call_center=10</textarea>" in result.text
    english = client.get(f"/console/campaigns/{campaign_id}/plan?plan={plan_id}&lang=en")
    assert "Gap to the LP bound" in english.text
    assert "Expected incremental profit" in english.text

    applied = client.post(f"/console/campaigns/{campaign_id}/plan/{plan_id}/apply",
                          data={"holdout": "0.3"}, follow_redirects=False)  # fmt: skip
    assert applied.status_code == 303
    page = client.get(applied.headers["location"])
    assert 'data-applied="1"' in page.text
    assert f'data-applied-plan="{plan_id}"' in page.text
    with Session(site.engine) as s:
        groups = dict(s.execute(
            select(CampaignTarget.group, func.count()).where(CampaignTarget.campaign_id == campaign_id)
            .group_by(CampaignTarget.group)
        ).all())  # fmt: skip
    total = sum(groups.values())
    assert total == plan.selected
    control = next(v for k, v in groups.items() if k.value == "control")
    assert abs(control - 0.3 * total) <= 1
    assert f'data-control="{control}"' in page.text

    again = client.post(
        f"/console/campaigns/{campaign_id}/plan/{plan_id}/apply?lang=zh", data={"holdout": "0.3"}
    )
    assert again.status_code == 409
    assert "该规划已经应用过" in again.text

    export = client.get(f"/console/campaigns/{campaign_id}/export.csv?for=call_center")
    assert export.status_code == 200
    lines = export.content.decode("utf-8").splitlines()
    assert lines[0].lstrip("\ufeff").startswith("客户号,姓名,手机号")
    assert all(re.search(r",1\d\d\*\*\*\*\d{4},", line) for line in lines[1:])
    book = client.get(f"/console/campaigns/{campaign_id}/export.xlsx?for=branch")
    assert book.status_code == 200
    openpyxl.load_workbook(io.BytesIO(book.content))
    assert 'data-unmasked="1"' in page.text  # marketing holds lists:unmask
    clear = client.get(f"/console/campaigns/{campaign_id}/export.csv?unmasked=true")
    assert clear.status_code == 200
    assert clear.headers["content-disposition"] == (
        f'attachment; filename="{code}-call_center-unmasked.csv"; '
        f"filename*=UTF-8''{code}-call_center-unmasked.csv"
    )
    assert not any("****" in line for line in clear.content.decode("utf-8").splitlines()[1:])


def test_problems_and_infeasible_plans_are_shown_beside_their_fields(site: PlanningSite) -> None:
    campaign_id = _fresh_campaign(site)
    client = site.login("marketing")
    with Session(site.engine) as s:
        before = s.scalar(select(func.count()).select_from(CampaignPlan))
    bad = client.post(f"/console/campaigns/{campaign_id}/plan", data={
        "budget_yuan": "abc", "channel_capacity": "fax=1", "segment_min": "nobody=2",
        "product_cap": "CL-GEN=x", "branch_hours_per_contact": "0.5", "method": "auto",
    })  # fmt: skip
    assert bad.status_code == 422
    assert 'data-problems="4"' in bad.text
    for field in ("budget_yuan", "channel_capacity", "segment_min", "product_cap"):
        assert f'data-field="{field}"' in bad.text
    assert "「fax」不是渠道" in bad.text
    assert "fax</textarea>" not in bad.text
    assert "fax=1</textarea>" in bad.text  # what was typed is kept
    with Session(site.engine) as s:
        assert s.scalar(select(func.count()).select_from(CampaignPlan)) == before

    infeasible = client.post(f"/console/campaigns/{campaign_id}/plan", data={
        "budget_yuan": "100", "segment_min": "senior=100000", "method": "auto",
    }, follow_redirects=True)  # fmt: skip
    assert infeasible.status_code == 200  # followed the redirect to the stored plan
    assert 'data-status="infeasible"' in infeasible.text
    assert 'data-infeasible-field="segment_min"' in infeasible.text
    assert "客群「老年」的最低覆盖无法满足：要求 100000 人" in infeasible.text
    english = client.get(str(infeasible.url) + "&lang=en")
    assert (
        "Minimum coverage of segment Senior cannot be met: 100000 customers asked" in english.text
    )
    assert 'data-action="apply"' not in infeasible.text


def test_who_may_see_plan_and_export(site: PlanningSite) -> None:
    campaign_id = _fresh_campaign(site)
    auditor = site.login("auditor")
    page = auditor.get(f"/console/campaigns/{campaign_id}/plan")
    assert page.status_code == 200
    assert 'data-action="solve"' not in page.text
    assert "求解和应用需要活动管理权限" in page.text
    assert (
        auditor.post(
            f"/console/campaigns/{campaign_id}/plan", data={"budget_yuan": "1"}
        ).status_code
        == 403
    )
    assert auditor.get(f"/console/campaigns/{campaign_id}/export.csv").status_code == 403
    assert site.login("collector").get(f"/console/campaigns/{campaign_id}/plan").status_code == 403
    manager = site.login("manager")  # campaigns:write granted on this copy; pii:view, which
    page = manager.get(f"/console/campaigns/{campaign_id}/plan")  # does not unmask a list
    assert 'data-unmasked="1"' not in page.text
    assert (
        manager.get(f"/console/campaigns/{campaign_id}/export.csv?unmasked=true").status_code == 403
    )
    assert manager.get(f"/console/campaigns/{campaign_id}/export.csv").status_code == 200
    assert manager.get("/console/campaigns/999999/plan").status_code == 404
