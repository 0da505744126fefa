"""The lending console pages on the demo site: the pipeline in both languages, an application
taken from approval to disbursement with the form buttons, illegal and forbidden actions refused on
the page, the manual-review form sending an approval above authority to a checker, and the
authorities page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.api.test_lending_api import approved, big_referral
from tests.conftest import DemoSite

from loanpilot.access.models import StaffAccount
from loanpilot.customers.models import Customer
from loanpilot.kit.masking import mask_name
from loanpilot.lending.models import Application, ApplicationStatus, Loan
from loanpilot.team.models import Staff
from loanpilot.web.i18n import MESSAGES


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pipeline_renders_counts_list_and_breaches(demo_site: DemoSite, lang: str) -> None:
    client = demo_site.login("service")
    page = client.get(f"/console/lending?lang={lang}")
    assert page.status_code == 200
    assert 'data-count="approved"' in page.text
    assert 'table class="data pipeline"' in page.text
    assert ("超时提醒" if lang == "zh" else "SLA breaches") in page.text
    only = client.get("/console/lending?stage=declined").text.split('class="data breaches"')[0]
    stages = re.findall(r'<td><span class="badge stage stage-(\w+)"', only)
    assert stages
    assert set(stages) == {"declined"}
    for path in ("/console/lending/approvals", "/console/lending/authorities"):
        assert client.get(f"{path}?lang={lang}").status_code == 200


def test_an_application_is_taken_to_disbursement_on_the_console(demo_site: DemoSite) -> None:
    engine = demo_site.bank.engine
    app_id = approved(engine)
    with Session(engine) as s:
        app = s.get(Application, app_id)
        assert app is not None
        customer = s.get(Customer, app.customer_id)
        assert customer is not None
        name = customer.name
    client = demo_site.login("service")
    url = f"/console/lending/applications/{app_id}"
    page = client.get(url).text
    assert mask_name(name) in page
    assert name not in page
    assert 'data-action="accept_offer"' in page
    assert 'data-action="approve"' not in page  # approved already; and not this role's
    wrong = client.post(f"{url}/actions/disburse")
    assert wrong.status_code == 409
    assert "当前阶段不允许此操作" in wrong.text
    for action in ("accept_offer", "sign", "disburse"):
        done = client.post(f"{url}/actions/{action}", follow_redirects=False)
        assert done.status_code == 303, done.text
    page = client.get(url).text
    assert 'data-stage="disbursed"' in page
    with Session(engine) as s:
        (loan,) = s.scalars(select(Loan).where(Loan.application_id == app_id)).all()
    assert f'href="/console/loans/{loan.id}"' in page
    for kind in ("approve", "accept_offer", "sign", "disburse"):
        assert f'data-kind="{kind}"' in page
    assert 'data-span="end_to_end"' in page
    # the automatic decision's actor reads in the page's language, staff by their name
    approve_row = page.split('data-kind="approve"')[1].split("</tr>")[0]
    assert 'data-system-actor="system">系统<' in approve_row
    sla_head = page.split('class="data sla"')[1].split("</thead>")[0]
    assert ">环节<" in sla_head
    assert "超时环节" not in sla_head
    english = client.get(f"{url}?lang=en").text
    assert 'data-system-actor="system">System<' in english
    with Session(engine) as s:
        service_name = s.scalars(
            select(Staff.name).join(StaffAccount, StaffAccount.staff_id == Staff.id)
            .where(StaffAccount.username == "service")
        ).one()  # fmt: skip
    loan_page = client.get(f"/console/loans/{loan.id}?lang=zh").text
    timeline = loan_page.split('id="timeline"')[1]
    disbursed = timeline.split('data-action="start_repaying"')[1].split("</tr>")[0]
    assert f'{service_name} <code class="muted">service</code>' in disbursed
    assert re.search(r'<tr data-action="start_repaying"[^>]*data-actor="service"', timeline)
    assert "user:service" not in loan_page


@pytest.mark.parametrize("label", ["portal", "system", "demo", "cli", "scheduler"])
def test_every_system_actor_has_a_label_in_both_languages(label: str) -> None:
    entry = MESSAGES[f"lending.actor.{label}"]
    assert entry["zh"]
    assert entry["en"]
    assert entry["zh"] != label


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_authorities_page_names_the_roles_that_can_use_an_authority(
    demo_site: DemoSite, lang: str
) -> None:
    """From the stored permission matrix: who holds applications:review, and which role has an
    authority it can never use (the branch head)."""
    page = demo_site.login("risk").get(f"/console/lending/authorities?lang={lang}").text
    reviewers = re.search(r'data-reviewers="([^"]*)"', page)
    assert reviewers
    assert {"approver", "risk_officer"} <= set(reviewers.group(1).split())
    assert "branch_head" not in reviewers.group(1).split()
    unused = re.search(r'data-unused="([^"]*)"', page)
    assert unused
    assert unused.group(1).split() == ["branch_head"]
    rows = dict(re.findall(r'<tr data-role="(\w+)">.*?data-reviews="(\w+)"', page, re.S))
    assert rows == {"approver": "yes", "branch_head": "no", "risk_officer": "yes"}
    assert "applications:review" in page
    assert 'href="/console/permissions"' in page
    assert ("额度不会被使用" if lang == "zh" else "their authority is unused") in page


def test_a_role_without_the_permission_is_refused_on_the_page(demo_site: DemoSite) -> None:
    app_id = approved(demo_site.bank.engine)
    page = demo_site.login("approver").post(f"/console/lending/applications/{app_id}/actions/sign")
    assert page.status_code == 403
    assert "您的角色无权执行此操作" in page.text
    edit = demo_site.login("auditor").post(
        "/console/lending/authorities", data={"role": "approver", "max_amount": "1"}
    )
    assert edit.status_code == 403


def test_the_review_form_sends_an_approval_above_authority_to_a_checker(
    demo_site: DemoSite,
) -> None:
    engine = demo_site.bank.engine
    app_id = big_referral(engine)
    client = demo_site.login("approver")
    sent = client.post(
        f"/console/risk/reviews/{app_id}",
        data={"decision": "approve", "collateral": "3000000", "note": "超权限"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/console/lending/applications/{app_id}?sent=checker"
    review = client.get(f"/console/risk/reviews/{app_id}").text
    assert "review-form" not in review  # closed while it waits
    with Session(engine) as s:
        assert s.get(Application, app_id).status is ApplicationStatus.UNDER_REVIEW  # type: ignore[union-attr]
    checker = demo_site.login("risk")
    approvals = checker.get("/console/lending/approvals").text
    match = re.search(r'<tr data-request="(\d+)" data-application="[^"]+">', approvals)
    assert match
    row = approvals[match.start() :].split("</tr>")[0]
    assert 'data-collateral="300000000"' in row  # the maker's appraisal, shown to the checker
    rejected = checker.post(
        f"/console/lending/approvals/{match.group(1)}", data={"decision": "reject", "note": ""}
    )
    assert rejected.status_code == 422
    assert "退回须填写复核意见" in rejected.text
    done = checker.post(
        f"/console/lending/approvals/{match.group(1)}",
        data={"decision": "reject", "note": "请补充评估报告"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    with Session(engine) as s:
        assert s.get(Application, app_id).status is ApplicationStatus.UNDER_REVIEW  # type: ignore[union-attr]
    assert (
        'data-kind="approval.rejected"'
        in checker.get(f"/console/lending/applications/{app_id}").text
    )
