"""The feedback API over real HTTP on the demo bank: a service agent registers a ticket (the topic
classified by the model, with its probability), works it through the status machine (illegal
moves and a close without resolution refused with 409 naming the status), records the customer's
answer, corrects the topic; the topic model's metrics; improvement actions refused without owner
and raised with a measured baseline; what each role may read, change and see."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.access.models import StaffAccount
from loanpilot.customers.models import Customer
from loanpilot.evaluation.models import FeedbackTicket

if TYPE_CHECKING:
    import httpx
    from tests.conftest import DemoSite

API = "/api/v1/feedback"


def ensure_model(site: DemoSite) -> dict[str, Any]:
    """The latest topic model (fitted now if the demo bank has none yet)."""
    with site.client() as c:
        found = c.get(f"{API}/topics/model", headers=site.bearer("service"))
        if found.status_code == 404:
            found = c.post(f"{API}/topics/fit", headers=site.bearer("service"))
            assert found.status_code == 201, found.text
        return found.json()  # type: ignore[no-any-return]


def _post(
    c: httpx.Client, site: DemoSite, path: str, body: dict[str, Any], user: str = "service"
) -> httpx.Response:
    return c.post(f"{API}{path}", json=body, headers=site.bearer(user))


def test_a_ticket_from_registration_to_closing(demo_site: DemoSite) -> None:
    model = ensure_model(demo_site)
    assert model["label"].startswith("topics@")
    assert model["accuracy"] > 0.5
    with demo_site.client() as c:
        made = _post(c, demo_site, "/tickets", {
            "channel": "phone", "type": "complaint", "priority": "high", "subject": "催收电话骚扰",
            "body": "催收电话一天打十几次，还打到我单位同事那里，严重影响工作。"})  # fmt: skip
        assert made.status_code == 201, made.text
        t = made.json()
        assert t["ticket_no"].startswith("FB")
        assert (t["status"], t["topic"], t["topic_source"]) == ("open", "collection", "model")
        assert t["topic_model_version"] == model["label"]
        assert 0 < float(t["topic_probability"]) <= 1
        assert t["sla_due_at"]
        assert t["first_response_due_at"]
        assert t["allowed_moves"] == ["in_progress", "resolved"]
        tid = t["id"]
        refused = _post(c, demo_site, f"/tickets/{tid}/status", {"status": "closed"})
        assert refused.status_code == 409
        assert "without a resolution" in refused.json()["detail"]
        assert (
            _post(c, demo_site, f"/tickets/{tid}/status", {"status": "in_progress"}).status_code
            == 200
        )
        illegal = _post(c, demo_site, f"/tickets/{tid}/status", {"status": "open"})
        assert illegal.status_code == 409
        assert "'in_progress' cannot move to 'open'" in illegal.json()["detail"]
        no_text = _post(
            c, demo_site, f"/tickets/{tid}/status", {"status": "resolved", "resolution": "  "}
        )
        assert no_text.status_code == 409
        done = _post(
            c,
            demo_site,
            f"/tickets/{tid}/status",
            {"status": "resolved", "resolution": "已规范外呼频次并致歉"},
        )
        assert done.json()["status"] == "resolved"
        early = _post(c, demo_site, f"/tickets/{tid}/status", {"status": "closed"})
        assert early.status_code == 409
        assert "confirms" in early.json()["detail"]
        closed = _post(c, demo_site, f"/tickets/{tid}/confirmation", {"satisfied": True}).json()
        assert (closed["status"], closed["customer_confirmed"]) == ("closed", True)
        fixed = _post(c, demo_site, f"/tickets/{tid}/topic", {"topic": "staff_attitude"}).json()
        assert (fixed["topic"], fixed["topic_source"], fixed["topic_model_version"]) == (
            "staff_attitude",
            "staff",
            None,
        )
        kinds = [h["kind"] for h in fixed["history"]]
        assert kinds[:2] == ["created", "topic"]
        assert kinds.count("status") == 2  # in progress, resolved; the confirmation closed it
        assert kinds[-2:] == ["confirmation", "topic"]
        bad = _post(c, demo_site, f"/tickets/{tid}/topic", {"topic": "weather"})
        assert bad.status_code == 422
        classified = _post(
            c, demo_site, "/topics/classify", {"text": "提前还款要收违约金吗"}, "auditor"
        )
        assert classified.status_code == 200
        assert classified.json()["topic"] == "prepayment"


def test_bad_input_gets_every_problem(demo_site: DemoSite) -> None:
    with demo_site.client() as c:
        r = _post(c, demo_site, "/tickets", {"channel": "fax", "type": "praise", "subject": "", "body": "",
                                             "priority": "someday"})  # fmt: skip
        assert r.status_code == 422
        assert {f["field"] for f in r.json()["fields"]} == {
            "channel",
            "type",
            "priority",
            "subject",
            "body",
        }


def test_improvement_actions(demo_site: DemoSite) -> None:
    with demo_site.client() as c:
        listed = c.get(f"{API}/actions", headers=demo_site.bearer("auditor")).json()["items"]
        assert listed, "the demo bank raises improvement actions"
        assert {a["status"] for a in listed} <= {
            "proposed",
            "in_progress",
            "done",
            "verified",
            "cancelled",
        }
        metrics = c.get(f"{API}/actions/metrics", headers=demo_site.bearer("auditor")).json()
        assert {"complaints", "complaints_repayment"} <= {m["code"] for m in metrics}
        body = {"title": "规范催收外呼", "source_kind": "ticket", "source_ticket_id": listed[0].get("source_ticket_id") or 1,
                "metric_code": "complaints_collection", "target_value": "0", "deadline": "2099-12-31"}  # fmt: skip
        no_owner = _post(c, demo_site, "/actions", body, "marketing")
        assert no_owner.status_code == 422
        owner = [f for f in no_owner.json()["fields"] if f["field"] == "owner_id"]
        assert owner
        assert "owner" in owner[0]["message"]
        made = _post(
            c, demo_site, "/actions", {**body, "owner_id": 1, "target_value": "-1"}, "marketing"
        )
        if (
            made.status_code == 422
        ):  # the baseline may already be 0: lower cannot be beaten below it
            assert "baseline" in made.text
        else:
            assert made.status_code == 201, made.text
            a = made.json()
            assert a["status"] == "proposed"
            assert a["baseline_period"]
            assert a["higher_is_better"] is False
            moved = _post(
                c, demo_site, f"/actions/{a['id']}/status", {"status": "done"}, "marketing"
            )
            assert moved.status_code == 409
            assert "'proposed' cannot move to 'done'" in moved.json()["detail"]
        auditor = _post(c, demo_site, "/actions", {**body, "owner_id": 1}, "auditor")
        assert auditor.status_code == 403


def _staff_id(site: DemoSite, username: str) -> int:
    with Session(site.bank.engine) as s:
        return int(s.scalar(select(StaffAccount.staff_id).where(StaffAccount.username == username)))


def test_who_may_read_change_and_see_what(demo_site: DemoSite) -> None:
    with demo_site.client() as c:
        for user in ("collector", "approver"):
            assert c.get(f"{API}/tickets", headers=demo_site.bearer(user)).status_code == 403
        assert c.get(f"{API}/tickets", headers=demo_site.bearer("auditor")).status_code == 200
        refused = _post(
            c,
            demo_site,
            "/tickets",
            {"channel": "phone", "type": "inquiry", "subject": "x", "body": "y"},
            "auditor",
        )
        assert refused.status_code == 403
        everyone = c.get(f"{API}/tickets?limit=500", headers=demo_site.bearer("service")).json()
        mine = c.get(f"{API}/tickets?limit=500", headers=demo_site.bearer("manager")).json()
        assert 0 < mine["total"] < everyone["total"]
        manager = _staff_id(demo_site, "manager")
        with Session(demo_site.bank.engine) as s:
            for item in mine["items"]:
                t = s.get(FeedbackTicket, item["id"])
                assert t is not None
                owner = s.get(Customer, t.customer_id).manager_id if t.customer_id else None  # type: ignore[union-attr]
                assert manager in (owner, t.assigned_to_id)
        named = [i for i in everyone["items"] if i["customer_name_masked"]]
        assert named
        assert all("*" in i["customer_name_masked"] for i in named)
        overdue = c.get(f"{API}/tickets?overdue=true", headers=demo_site.bearer("service")).json()
        assert all(
            i["overdue"] and i["status"] in ("open", "in_progress", "reopened")
            for i in overdue["items"]
        )
        other = next(
            i for i in everyone["items"] if i["id"] not in {m["id"] for m in mine["items"]}
        )
        assert (
            c.get(f"{API}/tickets/{other['id']}", headers=demo_site.bearer("manager")).status_code
            == 404
        )
