"""The campaign planning API over real HTTP on a copy of the demo bank with offers: solve, read,
apply (and the refusals), who may do what, and the exported lists — masked for a marketing
manager, clear for a holder of lists:unmask with an audit row, refused (and audited) otherwise
(pii:view is not enough); only the caller's customers who may still be contacted; a download
name any browser reads."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.planning_site import PlanningSite, new_campaign, planning_site

from loanpilot.access.models import StaffAccount
from loanpilot.audit.models import AuditLog
from loanpilot.campaigns.models import CampaignTarget, TargetGroup
from loanpilot.customers.models import Customer
from loanpilot.kit.crypto import FieldCipher

if TYPE_CHECKING:
    from tests.conftest import DemoBank


@pytest.fixture(scope="module")
def site(demo_bank: DemoBank, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlanningSite]:
    with planning_site(demo_bank, tmp_path_factory.mktemp("planning-api")) as served:
        yield served


def _audit(site: PlanningSite, action: str) -> list[AuditLog]:
    with Session(site.engine) as s:
        return list(
            s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        )


def test_solve_read_apply_and_refusals(site: PlanningSite) -> None:
    marketing = site.bearer("marketing")
    base = f"{site.url}/api/v1/campaigns/{site.campaign_id}"
    body = {"budget_yuan": "200", "channel_capacity": {"call_center": 10, "branch": 4},
            "segment_min": {"senior": 10}, "product_cap": {"CL-TRV": 50}}  # fmt: skip
    made = httpx.post(f"{base}/plans", json=body, headers=marketing, timeout=60)
    assert made.status_code == 201, made.text
    plan = made.json()
    assert plan["status"] == "solved"
    assert plan["cost_fen"] <= 20_000
    assert plan["constraints"]["channel_capacity"] == {"branch": 4.0, "call_center": 10.0}
    assert "selection" not in plan["summary"]
    assert {r["key"] for r in plan["summary"]["by_segment"]} >= {"senior"}

    read = httpx.get(f"{base}/plans/{plan['id']}", headers=site.bearer("auditor"), timeout=30)
    assert read.status_code == 200
    assert read.json()["objective_fen"] == plan["objective_fen"]
    assert httpx.get(f"{site.url}/api/v1/campaigns/999999/plans/{plan['id']}",
                     headers=marketing, timeout=30).status_code == 404  # fmt: skip
    denied = httpx.post(f"{base}/plans", json=body, headers=site.bearer("auditor"), timeout=30)
    assert denied.status_code == 403

    bad = httpx.post(f"{base}/plans", headers=marketing, timeout=30,
                     json={"budget_yuan": "-1", "channel_capacity": {"fax": 1}})  # fmt: skip
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["fields"]} == {"budget", "channel_capacity"}
    assert {f["code"] for f in bad.json()["fields"]} == {"positive", "unknown_channel"}

    infeasible = httpx.post(f"{base}/plans", headers=marketing, timeout=60,
                            json={"budget_yuan": "100", "segment_min": {"senior": 100000}})  # fmt: skip
    assert infeasible.status_code == 201
    assert infeasible.json()["status"] == "infeasible"
    assert infeasible.json()["infeasible"]["field"] == "segment_min"
    assert "segment senior" in infeasible.json()["infeasible_reason"]
    refused = httpx.post(f"{base}/plans/{infeasible.json()['id']}/apply", json={},
                         headers=marketing, timeout=30)  # fmt: skip
    assert refused.status_code == 409
    assert refused.json()["error"] == "plan.infeasible"

    bad_share = httpx.post(f"{base}/plans/{plan['id']}/apply", json={"holdout_share": 1.5},
                           headers=marketing, timeout=30)  # fmt: skip
    assert bad_share.status_code == 422
    applied = httpx.post(f"{base}/plans/{plan['id']}/apply", json={"holdout_share": 0.25, "seed": 3},
                         headers=marketing, timeout=60)  # fmt: skip
    assert applied.status_code == 200, applied.text
    result = applied.json()
    assert result["targets"] == plan["selected"]
    assert abs(result["control"] - 0.25 * result["targets"]) <= 1
    again = httpx.post(f"{base}/plans/{plan['id']}/apply", json={}, headers=marketing, timeout=30)
    assert again.status_code == 409


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_exports_are_masked_unless_permitted_and_audited(site: PlanningSite) -> None:
    base = f"{site.url}/api/v1/campaigns/{site.campaign_id}"
    marketing = site.bearer("marketing")
    with Session(site.engine) as s:
        if not s.scalars(
            select(CampaignTarget).where(CampaignTarget.campaign_id == site.campaign_id)
        ).first():
            plan = httpx.post(
                f"{base}/plans", json={"budget_yuan": "200"}, headers=marketing, timeout=60
            ).json()
            assert httpx.post(f"{base}/plans/{plan['id']}/apply", json={}, headers=marketing,
                              timeout=60).status_code == 200  # fmt: skip
        treated = s.scalars(
            select(CampaignTarget).where(CampaignTarget.campaign_id == site.campaign_id,
                                         CampaignTarget.group == TargetGroup.TREATMENT)
        ).all()  # fmt: skip
        people = {c.customer_no: c for c in s.scalars(select(Customer).where(
            Customer.id.in_([t.customer_id for t in treated])))}  # fmt: skip
        remote = sum(t.channel.value != "branch" for t in treated)
        at_branch = len(treated) - remote
    cipher = FieldCipher(site.settings.data_key_bytes(), site.settings.data_key_id)

    masked = httpx.get(f"{base}/targets/export", params={"format": "csv", "for": "call_center"},
                       headers=marketing, timeout=60)  # fmt: skip
    assert masked.status_code == 200
    assert masked.headers["content-type"].startswith("text/csv")
    assert "attachment" in masked.headers["content-disposition"]
    rows = _csv_rows(masked.content)
    assert len(rows) == remote > 0
    assert list(rows[0]) == [
        "客户号",
        "姓名",
        "手机号",
        "产品",
        "渠道",
        "推荐话术",
        "联系时段",
        "客群",
    ]
    for row in rows:
        person = people[row["客户号"]]
        assert row["姓名"] != person.name
        assert row["姓名"][0] == person.name[0]
        assert "*" in row["手机号"]
        clear = cipher.decrypt(person.phone_enc, field="phone")
        assert row["手机号"] == clear[:3] + "****" + clear[-4:]
        assert row["联系时段"].startswith("周末（上班族）")
        assert row["推荐话术"].endswith("限时优惠")
    assert _audit(site, "campaign.targets.export")[-1].detail == {
        "list": "call_center", "format": "csv", "rows": remote, "excluded": 0, "masked": True,
    }  # fmt: skip

    # pii:view is not enough for a clear list: it takes lists:unmask (the marketing manager's)
    manager = site.bearer("manager")  # pii:view, and campaigns:write on this copy
    refused = httpx.get(f"{base}/targets/export", params={"unmasked": "true"}, headers=manager,
                        timeout=30)  # fmt: skip
    assert refused.status_code == 403
    assert "lists:unmask" in refused.text
    assert _audit(site, "access.denied")[-1].detail == {
        "code": "auth.forbidden",
        "reason": "lists:unmask",
    }

    clear_rows = httpx.get(f"{base}/targets/export", params={"unmasked": "true", "lang": "en"},
                           headers=marketing, timeout=60)  # fmt: skip
    assert clear_rows.status_code == 200
    rows = _csv_rows(clear_rows.content)
    assert len(rows) == remote
    assert list(rows[0])[:3] == ["Customer no", "Name", "Phone"]
    for row in rows:
        person = people[row["Customer no"]]
        assert row["Name"] == person.name
        assert row["Phone"] == cipher.decrypt(person.phone_enc, field="phone")
    entry = _audit(site, "pii.export")[-1]
    assert entry.actor_label == "user:marketing"
    assert entry.detail == {
        "list": "call_center",
        "format": "csv",
        "rows": len(rows),
        "excluded": 0,
        "masked": False,
    }
    assert not any(row["Phone"] in str(entry.detail) for row in rows)

    # a customer manager's list holds only the customers they look after
    with Session(site.engine) as s:
        staff_id = s.scalar(select(StaffAccount.staff_id).where(StaffAccount.username == "manager"))
    own = httpx.get(f"{base}/targets/export", headers=manager, timeout=60)
    assert own.status_code == 200
    mine = {no for no, c in people.items() if c.manager_id == staff_id}
    listed = {row["客户号"] for row in _csv_rows(own.content)}
    assert listed <= mine
    assert listed == {row["客户号"] for row in _csv_rows(masked.content)} & mine
    assert len(listed) < remote

    book = httpx.get(f"{base}/targets/export", params={"format": "xlsx", "for": "branch"},
                     headers=marketing, timeout=60)  # fmt: skip
    assert book.status_code == 200
    sheets = openpyxl.load_workbook(io.BytesIO(book.content)).worksheets
    assert sum(ws.max_row - 1 for ws in sheets) == at_branch
    if at_branch:
        assert all(ws.cell(1, 1).value == "网点代码" for ws in sheets)
        codes = {ws.cell(r, 1).value for ws in sheets for r in range(2, ws.max_row + 1)}
        assert all(
            len({ws.cell(r, 1).value for r in range(2, ws.max_row + 1)}) == 1 for ws in sheets
        )
        assert len(codes) == len(sheets)

    wrong = httpx.get(
        f"{base}/targets/export", params={"format": "pdf"}, headers=marketing, timeout=30
    )
    assert wrong.status_code == 422
    outsider = httpx.get(f"{base}/targets/export", headers=site.bearer("auditor"), timeout=30)
    assert outsider.status_code == 403


def test_a_list_drops_whoever_opted_out_since_and_names_its_file_safely(site: PlanningSite) -> None:
    """A customer on the applied list opts out: the next export leaves them out (and counts
    them); a campaign code with Chinese and a quote still gives a well-formed download name."""
    base = f"{site.url}/api/v1/campaigns/{site.campaign_id}"
    marketing = site.bearer("marketing")
    params = {"format": "csv", "for": "call_center", "lang": "en"}
    before = _csv_rows(httpx.get(f"{base}/targets/export", params=params, headers=marketing,
                                 timeout=60).content)  # fmt: skip
    assert before
    with Session(site.engine) as s, s.begin():
        person = s.scalars(
            select(Customer).where(Customer.customer_no == before[0]["Customer no"])
        ).one()
        person.opted_out_at = datetime.now(UTC)
    after = httpx.get(f"{base}/targets/export", params=params, headers=marketing, timeout=60)
    numbers = [row["Customer no"] for row in _csv_rows(after.content)]
    assert numbers == [row["Customer no"] for row in before[1:]]
    assert _audit(site, "campaign.targets.export")[-1].detail["excluded"] >= 1

    with Session(site.engine) as s, s.begin():
        odd = new_campaign(s)
        odd.code = '春季"A'
        odd_id = odd.id
    named = httpx.get(f"{site.url}/api/v1/campaigns/{odd_id}/targets/export", headers=marketing,
                      timeout=60)  # fmt: skip
    assert named.status_code == 200
    assert named.headers["content-disposition"] == (
        'attachment; filename="A-call_center.csv"; '
        "filename*=UTF-8''%E6%98%A5%E5%AD%A3%22A-call_center.csv"
    )
