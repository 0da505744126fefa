"""The servicing API over real HTTP on the demo bank: listing within scope, a loan with its
schedule, posting (idempotent, over-payment refused), prepayment preview, reversal (demo payments
refused), write-off permission, and the ledger still balancing afterwards."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session
from tests.conftest import DemoSite

from loanpilot.kit.clock import business_today
from loanpilot.lending.models import Loan, LoanStatus, Repayment, ScheduleLine
from loanpilot.lending.servicing import ledger_breaks
from loanpilot.products.models import RepaymentMethod


def _ref() -> str:
    return f"API-{uuid.uuid4().hex[:12]}"


def _loan(site: DemoSite, headers: dict[str, str], **filters: str) -> dict:
    with site.client() as c:
        page = c.get("/api/v1/loans", params={"status": "repaying", **filters}, headers=headers)
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert items, filters
    return items[0]


def test_list_filters_and_masks(demo_site: DemoSite):
    headers = demo_site.bearer("risk")
    with demo_site.client() as c:
        page = c.get("/api/v1/loans", params={"bucket": "M1", "size": 5}, headers=headers).json()
        assert page["total"] > 0
        assert all(1 <= x["dpd"] <= 30 for x in page["items"])
        assert all("*" in x["customer_name"] for x in page["items"])
        bad = c.get("/api/v1/loans", params={"bucket": "M9", "status": "x"}, headers=headers)
        assert bad.status_code == 422
        assert {f["field"] for f in bad.json()["fields"]} == {"bucket", "status"}


def test_manager_sees_own_customers_only(demo_site: DemoSite):
    everyone = demo_site.bearer("risk")
    mine = demo_site.bearer("manager")
    with demo_site.client() as c:
        total = c.get("/api/v1/loans", headers=everyone).json()["total"]
        own = c.get("/api/v1/loans", params={"size": 200}, headers=mine).json()
        assert own["total"] < total
        own_ids = {x["id"] for x in own["items"]}
        other = next(
            x["id"]
            for x in c.get("/api/v1/loans", params={"size": 200}, headers=everyone).json()["items"]
            if x["id"] not in own_ids
        )
        refused = c.get(f"/api/v1/loans/{other}", headers=mine)
        assert refused.status_code == 403
        assert refused.json()["error"] == "scope.forbidden"


def test_post_replay_overpay_and_reverse(demo_site: DemoSite):
    headers = demo_site.bearer("risk")
    loan = _loan(demo_site, headers, bucket="M1")
    today = business_today().isoformat()
    with demo_site.client() as c:
        detail = c.get(f"/api/v1/loans/{loan['id']}", headers=headers).json()
        due = detail["due_today_fen"]
        assert due > 0
        over = c.post(f"/api/v1/loans/{loan['id']}/repayments", headers=headers,
                      json={"amount_fen": due + 1, "paid_on": today, "txn_ref": _ref()})  # fmt: skip
        assert over.status_code == 422
        assert "prepayment" in over.json()["detail"]
        ref = _ref()
        body = {"amount_fen": due, "paid_on": today, "txn_ref": ref}
        first = c.post(f"/api/v1/loans/{loan['id']}/repayments", headers=headers, json=body)
        assert first.status_code == 201, first.text
        assert first.json()["amount_fen"] == due
        assert first.json()["penalty_fen"] > 0
        again = c.post(f"/api/v1/loans/{loan['id']}/repayments", headers=headers, json=body)
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        other = c.post(f"/api/v1/loans/{loan['id']}/repayments", headers=headers,
                       json={**body, "amount_fen": due - 1})  # fmt: skip
        assert other.status_code == 409
        after = c.get(f"/api/v1/loans/{loan['id']}", headers=headers).json()
        assert after["due_today_fen"] == 0
        demo_payment = next(r for r in after["repayments"] if r["txn_ref"].startswith("RP"))
        refused = c.post(f"/api/v1/repayments/{demo_payment['id']}/reversal", headers=headers,
                         json={"reason": "test"})  # fmt: skip
        assert refused.status_code == 409
        assert first.json()["txn_ref"] in refused.json()["detail"]
        back = c.post(f"/api/v1/repayments/{first.json()['id']}/reversal", headers=headers,
                      json={"reason": "posted twice"})  # fmt: skip
        assert back.status_code == 201
        assert back.json()["amount_fen"] == -due
        assert c.get(f"/api/v1/loans/{loan['id']}", headers=headers).json()["due_today_fen"] == due


def test_prepayment_preview_offers_both_options(demo_site: DemoSite):
    """On a current demo loan (nothing due on or before today, instalments ahead) the preview
    answers with the full payoff and both options; nothing is posted."""
    headers = demo_site.bearer("risk")
    today = business_today()
    line = ScheduleLine
    current = and_(line.loan_id == Loan.id, line.version == Loan.schedule_version)
    with Session(demo_site.bank.engine) as s:
        ahead = select(func.count(line.id)).where(current, line.due_on > today).scalar_subquery()
        loan_id = s.scalar(
            select(Loan.id)
            .where(
                Loan.status == LoanStatus.REPAYING,
                Loan.repayment_method == RepaymentMethod.EQUAL_PRINCIPAL,
                ~exists().where(current, line.due_on <= today, line.settled_on.is_(None)),
                ahead >= 4,
            )
            .order_by(Loan.id)
            .limit(1)
        )
        assert loan_id is not None
        count = s.scalar(select(func.count(Repayment.id)))
    with demo_site.client() as c:
        detail = c.get(f"/api/v1/loans/{loan_id}", headers=headers).json()
        outstanding = detail["loan"]["outstanding_fen"]
        assert detail["due_today_fen"] == 0
        preview = c.post(
            f"/api/v1/loans/{loan_id}/prepayments", headers=headers,
            json={"principal_fen": outstanding // 3, "paid_on": today.isoformat(),
                  "preview": True},
        )  # fmt: skip
    assert preview.status_code == 200, preview.text
    data = preview.json()
    assert data["payoff"]["principal_fen"] == outstanding
    assert data["payoff"]["total_fen"] == outstanding + data["payoff"]["accrued_interest_fen"]
    short, lower = data["options"]
    assert (short["option"], lower["option"]) == ("shorten_term", "lower_instalment")
    assert short["available"]
    assert lower["available"]
    assert short["principal_fen"] == lower["principal_fen"] == outstanding // 3
    assert short["periods_after"] < short["periods_before"] == lower["periods_after"]
    assert lower["new_instalment_fen"] < lower["old_instalment_fen"]
    assert sum(x["principal_fen"] for x in lower["schedule"]) == outstanding - outstanding // 3
    with Session(demo_site.bank.engine) as s:
        assert s.scalar(select(func.count(Repayment.id))) == count  # a preview posts nothing


def test_write_off_needs_the_permission(demo_site: DemoSite):
    loan = _loan(demo_site, demo_site.bearer("risk"), bucket="M7+")
    with demo_site.client() as c:
        refused = c.post(f"/api/v1/loans/{loan['id']}/write-off",
                         headers=demo_site.bearer("service"), json={"reason": "x"})  # fmt: skip
        assert refused.status_code == 403
        done = c.post(f"/api/v1/loans/{loan['id']}/write-off", headers=demo_site.bearer("risk"),
                      json={"reason": "uncollectable after legal action"})  # fmt: skip
        assert done.status_code == 200
        assert done.json()["status"] == "written_off"
        again = c.post(f"/api/v1/loans/{loan['id']}/write-off", headers=demo_site.bearer("risk"),
                       json={"reason": "again"})  # fmt: skip
        assert again.status_code == 409
    with Session(demo_site.bank.engine) as s:
        row = s.get(Loan, loan["id"])
        assert row is not None
        assert row.status is LoanStatus.WRITTEN_OFF
        assert ledger_breaks(s) == []


@pytest.mark.parametrize("user", ["auditor", "marketing"])
def test_read_only_roles_cannot_post(demo_site: DemoSite, user: str):
    loan = _loan(demo_site, demo_site.bearer("risk"))
    with demo_site.client() as c:
        refused = c.post(f"/api/v1/loans/{loan['id']}/repayments", headers=demo_site.bearer(user),
                         json={"amount_fen": 100, "paid_on": date.today().isoformat(),
                               "txn_ref": _ref()})  # fmt: skip
    assert refused.status_code == 403


def test_demo_bank_ledger_balances(demo_bank):
    with Session(demo_bank.engine) as s:
        assert ledger_breaks(s) == []
        assert s.scalar(select(Repayment.id).limit(1)) is not None
        # a late line's penalty: accrued to the day it was paid, and all of it paid
        line = ScheduleLine
        late = select(func.count(line.id)).where(line.paid_penalty_fen > 0)
        assert s.scalar(late) > 0
        inconsistent = late.where(
            (line.penalty_fen != line.paid_penalty_fen)
            | (line.penalty_accrued_on != line.settled_on)
            | line.penalty_accrued_on.is_(None)
        )
        assert s.scalar(inconsistent) == 0
