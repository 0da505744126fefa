"""The feedback console pages and the portal's feedback form over real HTTP on the demo bank: the
ticket list (filters, masked names, charts' data), a ticket worked through its buttons (a refused
move shown in the page's language), the new-ticket form keeping what was typed, the topic-model
page, the actions pages; the public form with its CSRF token, giving the sender a ticket number."""

from __future__ import annotations

import json
import re
from contextlib import closing
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import form_csrf

from loanpilot.evaluation.models import FeedbackTicket, TicketChannel

if TYPE_CHECKING:
    from tests.conftest import DemoSite


def test_the_ticket_list_filters_masks_and_charts(demo_site: DemoSite) -> None:
    with closing(demo_site.login("service")) as c:
        page = c.get("/console/feedback")
        assert page.status_code == 200
        assert "客户反馈" in page.text
        data = json.loads(
            re.search(r'id="feedback-chart-data">(.*?)</script>', page.text, re.S).group(1)
        )  # type: ignore[union-attr]
        assert sum(data["topics"]["values"]) >= int(
            re.search(r'data-count="(\d+)"', page.text).group(1)
        )  # type: ignore[union-attr]
        assert data["months"]["categories"]
        masked = re.findall(r'<td data-masked="1">([^<]*)</td>', page.text)
        assert masked
        assert all(name == "—" or "*" in name for name in masked)
        complaints = c.get("/console/feedback?type=complaint&status=unresolved")
        assert complaints.status_code == 200
        en = c.get("/console/feedback?overdue=1&lang=en")
        assert "Customer feedback" in en.text
        assert all(
            s in ("open", "in_progress", "reopened")
            for s in re.findall(r'<tr data-ticket="[^"]+" data-status="([a-z_]+)"', en.text)
        )


def test_a_ticket_worked_in_the_console(demo_site: DemoSite) -> None:
    with closing(demo_site.login("service")) as c:
        form = c.get("/console/feedback/new")
        assert form.status_code == 200
        bad = c.post("/console/feedback/new", data={"channel": "branch", "type": "complaint", "priority": "normal",
                                                    "subject": "", "body": "柜台让我等了一个小时"})  # fmt: skip
        assert bad.status_code == 422
        assert "必填" in bad.text
        assert "柜台让我等了一个小时" in bad.text  # what was typed is kept
        made = c.post("/console/feedback/new", data={"channel": "branch", "type": "complaint", "priority": "normal",
                                                     "subject": "排队太久", "body": "柜台让我等了一个小时", "topic": "staff_attitude"})  # fmt: skip
        assert made.status_code == 303
        url = made.headers["location"]
        page = c.get(url)
        assert page.status_code == 200
        assert 'data-topic="staff_attitude"' in page.text
        refused = c.post(f"{url}/status", data={"status": "closed"})
        assert refused.status_code == 409
        assert "没有处理结果" in refused.text
        assert (
            c.post(
                f"{url}/status", data={"status": "resolved", "resolution": "已增开窗口"}
            ).status_code
            == 303
        )
        assert c.post(f"{url}/confirm", data={"satisfied": "yes"}).status_code == 303
        closed = c.get(url + "?lang=en")
        assert 'data-status="closed"' in closed.text
        assert "Customer satisfied" in closed.text
    with closing(demo_site.login("auditor")) as c:
        assert c.get(url).status_code == 200
        assert c.post(f"{url}/status", data={"status": "reopened"}).status_code == 403
    with closing(demo_site.login("collector")) as c:
        assert c.get("/console/feedback").status_code == 403


def test_topic_model_and_action_pages(demo_site: DemoSite) -> None:
    with closing(demo_site.login("marketing")) as c:
        topics = c.get("/console/feedback/topics")
        assert topics.status_code == 200
        if 'data-model="topics@' not in topics.text:
            assert c.post("/console/feedback/topics/fit").status_code == 303
            topics = c.get("/console/feedback/topics")
        assert 'data-figure="accuracy"' in topics.text
        assert "混淆矩阵" in topics.text
        listed = c.get("/console/feedback/actions")
        assert listed.status_code == 200
        first = re.search(r'href="/console/feedback/actions/(\d+)"', listed.text)
        assert first is not None
        one = c.get(f"/console/feedback/actions/{first.group(1)}")
        assert one.status_code == 200
        assert 'data-figure="baseline"' in one.text
        new = c.get("/console/feedback/actions/new?lang=en")
        assert new.status_code == 200
        refused = c.post("/console/feedback/actions/new", data={
            "title": "x", "owner_id": "", "deadline": "2099-01-01", "source_kind": "kpi", "source_ref": "nps",
            "metric_code": "complaints", "target_value": "0"})  # fmt: skip
        assert refused.status_code == 422
        assert "an improvement action needs an owner" in refused.text  # the page stays in English


def test_the_portal_form_gives_a_ticket_number(demo_site: DemoSite) -> None:
    with demo_site.client() as c:
        page = c.get("/feedback")
        assert page.status_code == 200
        token = form_csrf(page.text)
        missing = c.post("/feedback", data={"type": "suggestion", "subject": "x", "body": "y"})
        assert missing.status_code == 403
        bad = c.post(
            "/feedback", data={"csrf_token": token, "type": "suggestion", "subject": "", "body": ""}
        )
        assert bad.status_code == 422
        sent = c.post("/feedback", data={"csrf_token": token, "type": "suggestion", "subject": "建议增加还款提醒",
                                         "body": "希望还款日前三天短信提醒一下。"})  # fmt: skip
        assert sent.status_code == 200, sent.text
        number = re.search(r'data-ticket-no="(FB\d+)"', sent.text)
        assert number is not None
    with Session(demo_site.bank.engine) as s:
        t = s.scalar(select(FeedbackTicket).where(FeedbackTicket.ticket_no == number.group(1)))
        assert t is not None
        assert (t.channel, t.type.value, t.customer_id) == (
            TicketChannel.ONLINE,
            "suggestion",
            None,
        )
        assert t.sla_due_at is not None


def test_phone_and_id_typed_into_a_ticket_are_masked_on_screen(demo_site: DemoSite) -> None:
    """A customer's phone or ID number in a complaint's text (JR/T 0171 C2) is shown masked."""
    with demo_site.client() as c:
        made = c.post(
            "/api/v1/feedback/tickets",
            json={
                "channel": "phone", "type": "complaint", "subject": "回电13812345678",
                "body": "我的身份证11010519491231002X，请打13912345678联系我。",
            },
            headers=demo_site.bearer("service"),
        )  # fmt: skip
        assert made.status_code == 201, made.text
        ticket_id = made.json()["id"]
    client = demo_site.login("service")
    page = client.get(f"/console/feedback/tickets/{ticket_id}")
    assert page.status_code == 200
    for raw in ("13812345678", "13912345678", "11010519491231002X"):
        assert raw not in page.text
    assert "138****5678" in page.text
    assert "139****5678" in page.text
    assert "110***********002X" in page.text
    listed = client.get("/console/feedback?status=open")
    assert "13812345678" not in listed.text
    client.close()
