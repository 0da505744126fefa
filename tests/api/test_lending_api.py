"""The lending workflow API over real HTTP on the demo site: the pipeline, one application with its
history, staff actions through the state machine (illegal ones refused with what is allowed),
maker-checker approvals by two different users, disbursement into a loan, permissions and scope,
and the approval authorities."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import DemoSite

from loanpilot.customers.models import Channel, Customer
from loanpilot.kit.clock import business_today
from loanpilot.lending.models import Application, ApplicationStatus, ScheduleLine
from loanpilot.products.models import LoanProduct, RepaymentMethod
from loanpilot.risk import service
from loanpilot.risk.rules import DecisionOutcome


def decided_application(
    engine: Engine,
    code: str,
    amount_yuan: int,
    term: int,
    want: Callable[[service.Assessment], bool],
    income: int | None = None,
) -> int:
    """A submitted application decided automatically as ``want`` accepts (committed)."""
    now = datetime.now(UTC)
    with Session(engine) as s, s.begin():
        product = s.scalars(select(LoanProduct).where(LoanProduct.code == code)).one()
        ids = s.scalars(
            select(Customer.id)
            .where(Customer.is_blacklisted.is_(False))
            .order_by(Customer.monthly_income_fen.desc(), Customer.id)
            .limit(300)
        ).all()
        for customer_id in ids:
            savepoint = s.begin_nested()
            app = Application(
                application_no=f"T5A{uuid.uuid4().hex[:16].upper()}", customer_id=customer_id,
                product_id=product.id, channel=Channel.BRANCH, amount_fen=amount_yuan * 100,
                term_months=term, repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
                status=ApplicationStatus.SUBMITTED, submitted_at=now,
                stated_monthly_income_fen=income,
            )  # fmt: skip
            s.add(app)
            s.flush()
            assessment = service.assess_application(s, app.id, today=business_today())
            if want(assessment):
                service.record_assessment(s, assessment, now=now)
                savepoint.commit()
                return app.id
            savepoint.rollback()
    raise AssertionError(f"no demo customer gives the wanted decision for {code}")


def approved(engine: Engine) -> int:
    return decided_application(
        engine, "CL-GEN", 50_000, 24,
        lambda a: a.outcome is DecisionOutcome.APPROVE and not a.reasons,
    )  # fmt: skip


def big_referral(engine: Engine) -> int:
    """An HL-COM mortgage of ¥800,000 referred for its appraisal: above an approver's ¥500,000."""
    return decided_application(
        engine, "HL-COM", 800_000, 240,
        lambda a: [r.code for r in a.reasons] == ["collateral.appraisal"], income=15_000_000,
    )  # fmt: skip


def test_the_pipeline_lists_counts_and_filters(demo_site: DemoSite) -> None:
    app_id = approved(demo_site.bank.engine)
    with demo_site.client() as client:
        headers = demo_site.bearer("service")
        everything = client.get("/api/v1/applications", headers=headers)
        only = client.get("/api/v1/applications?stage=approved&size=200", headers=headers)
        bad = client.get("/api/v1/applications?stage=nope", headers=headers)
        anonymous = client.get("/api/v1/applications")
        one = client.get(f"/api/v1/applications/{app_id}", headers=headers)
    assert everything.status_code == 200
    body = everything.json()
    assert body["total"] == sum(body["counts"].values())
    assert body["counts"]["approved"] >= 1
    assert all(i["status"] == "approved" for i in only.json()["items"])
    assert bad.status_code == 422
    assert anonymous.status_code == 401
    detail = one.json()
    assert detail["status"] == "approved"
    assert "*" in detail["applicant"]
    assert [h["kind"] for h in detail["history"]] == ["approve"]
    assert detail["allowed_actions"] == ["accept_offer", "withdraw"]
    assert detail["decision"]["offer"]["apr"]


def test_an_application_is_disbursed_through_the_api(demo_site: DemoSite) -> None:
    app_id = approved(demo_site.bank.engine)
    base = f"/api/v1/applications/{app_id}/actions"
    with demo_site.client() as client:
        headers = demo_site.bearer("service")
        early = client.post(f"{base}/sign", headers=headers)
        not_theirs = client.post(f"{base}/approve", headers=headers, json={"note": "x"})
        unknown = client.post(f"{base}/fly", headers=headers)
        steps = [
            client.post(f"{base}/{a}", headers=headers)
            for a in ("accept_offer", "sign", "disburse")
        ]
        again = client.post(f"{base}/disburse", headers=headers)
    assert early.status_code == 409
    assert early.json()["error"] == "workflow.illegal"
    assert (
        early.json()["detail"]
        == "Cannot sign in stage approved; allowed now: accept_offer, withdraw"
    )
    assert not_theirs.status_code == 403
    assert unknown.status_code == 422
    assert [r.status_code for r in steps] == [200, 200, 200], steps[-1].text
    done = steps[-1].json()["application"]
    assert done["status"] == "disbursed"
    assert [h["kind"] for h in done["history"]] == [
        "approve", "accept_offer", "sign", "disburse",
    ]  # fmt: skip
    (loan,) = done["loans"]
    assert loan["status"] == "repaying"
    assert loan["principal_fen"] == done["decision"]["approved_amount_fen"]
    assert again.status_code == 409
    with Session(demo_site.bank.engine) as s:
        lines = s.scalars(select(ScheduleLine).where(ScheduleLine.loan_id == loan["id"])).all()
        assert len(lines) == 24
        assert sum(x.principal_fen for x in lines) == loan["principal_fen"]


def test_maker_checker_by_two_users(demo_site: DemoSite) -> None:
    app_id = big_referral(demo_site.bank.engine)
    with demo_site.client() as client:
        maker, checker = demo_site.bearer("approver"), demo_site.bearer("risk")
        made = client.post(
            f"/api/v1/applications/{app_id}/actions/approve", headers=maker,
            json={"note": "评估价值充足", "collateral_value_yuan": "3000000"},
        )  # fmt: skip
        assert made.status_code == 200, made.text
        pending = made.json()["pending"]
        waiting = client.get("/api/v1/approvals", headers=checker).json()["items"]
        own = client.post(
            f"/api/v1/approvals/{pending['id']}", headers=maker, json={"confirm": True}
        )
        no_note = client.post(
            f"/api/v1/approvals/{pending['id']}", headers=checker, json={"confirm": False}
        )
        confirmed = client.post(
            f"/api/v1/approvals/{pending['id']}", headers=checker,
            json={"confirm": True, "note": "同意"},
        )  # fmt: skip
        after = client.get(f"/api/v1/applications/{app_id}", headers=checker).json()
    assert made.json()["application"]["status"] == "under_review"
    assert pending["amount_fen"] == 80_000_000
    assert pending["status"] == "pending"
    assert pending["id"] in [w["id"] for w in waiting]
    assert own.status_code == 409
    assert own.json()["error"] == "approval.same_person"
    assert no_note.status_code == 422
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    assert after["status"] == "approved"
    kinds = [h["kind"] for h in after["history"]]
    assert kinds[-3:] == ["approval.request", "approval.confirmed", "approve"]
    labels = {h["actor_label"] for h in after["history"]}
    assert {"user:approver", "user:risk"} <= labels


def test_scope_and_authorities(demo_site: DemoSite) -> None:
    app_id = approved(demo_site.bank.engine)  # no manager: outside a customer manager's own
    with demo_site.client() as client:
        mine = client.get(f"/api/v1/applications/{app_id}", headers=demo_site.bearer("manager"))
        listed = client.get("/api/v1/approval-authorities", headers=demo_site.bearer("service"))
        refused = client.put(
            "/api/v1/approval-authorities/approver", headers=demo_site.bearer("approver"),
            json={"max_amount_yuan": "500000"},
        )  # fmt: skip
        wrong = client.put(
            "/api/v1/approval-authorities/approver", headers=demo_site.bearer("risk"),
            json={"max_amount_yuan": "500000", "product_types": ["boats"]},
        )  # fmt: skip
        saved = client.put(
            "/api/v1/approval-authorities/approver", headers=demo_site.bearer("risk"),
            json={"max_amount_yuan": "500000", "product_types": []},
        )  # fmt: skip
    assert mine.status_code == 403
    assert mine.json()["error"] == "scope.forbidden"
    roles = {i["role"]: i["max_amount_fen"] for i in listed.json()["items"]}
    assert roles["approver"] == 50_000_000
    assert roles["risk_officer"] == 300_000_000
    # the branch head has an authority but not applications:review: it is never used
    reviews = {i["role"]: i["reviews"] for i in listed.json()["items"]}
    assert reviews == {"approver": True, "branch_head": False, "risk_officer": True}
    assert refused.status_code == 403
    assert wrong.status_code == 422
    assert wrong.json()["fields"][0]["field"] == "product_types"
    assert saved.status_code == 200
    assert saved.json() | {"stored": True} == {
        "role": "approver", "max_amount_fen": 50_000_000, "max_amount_yuan": "500000.00",
        "product_types": [], "stored": True, "reviews": True,
    }  # fmt: skip
