"""Collections pages and API on the demo site: the collector's queue shows the demo bank's cases,
a contact within the contact hours is recorded, a contact of a third party or outside the hours
is refused with the rule named, and a role without collections:work is refused.

Times are the application's clock (``app.state.now``), set by each test and put back after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import DemoSite

from loanpilot.audit.models import AuditLog
from loanpilot.risk import collections as col
from loanpilot.risk.models import CollectionAction

AS_OF = date(2026, 11, 29)
#: A day after the demo's as-of date, so no demo contact counts against today's cap.
DAY = date(2026, 12, 2)


def local(hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` in Shanghai on ``DAY``, as a UTC instant."""
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def placed(demo_site: DemoSite) -> DemoSite:
    """The demo site after the collections step of the close (idempotent: safe to repeat)."""
    with Session(demo_site.bank.engine) as s, s.begin():
        col.after_close(s, AS_OF, datetime(2026, 11, 29, 17, 30, tzinfo=UTC))
    return demo_site


@pytest.fixture
def set_clock(demo_site: DemoSite) -> Iterator[Callable[[datetime], None]]:
    """``set_clock(instant)`` fixes the site's clock; the real clock is put back afterwards."""
    original = demo_site.app.state.now

    def fix(instant: datetime) -> None:
        demo_site.app.state.now = lambda: instant

    yield fix
    demo_site.app.state.now = original


def _case_for_phone(site: DemoSite) -> dict[str, object]:
    """An open case on a rung that allows a phone call."""
    items = (
        site.client(headers=site.bearer("collector"))
        .get("/api/v1/collections/cases?view=all")
        .json()["items"]
    )
    return next(i for i in items if i["rung"] in ("phone", "visit", "legal"))


def test_the_collector_queue_shows_the_demo_cases(placed: DemoSite) -> None:
    client = placed.login("collector")
    page = client.get("/console/collections?view=all")
    assert page.status_code == 200
    assert "催收队列" in page.text
    api = placed.client(headers=placed.bearer("collector")).get(
        "/api/v1/collections/cases?view=all"
    )
    items = api.json()["items"]
    assert items
    assert all(i["rung"] in ("sms", "phone", "visit", "legal") for i in items)
    assert [i["priority"] for i in items] == sorted((i["priority"] for i in items), reverse=True)
    for item in items:
        assert f'data-case="{item["case_no"]}"' in page.text
    assert sum(api.json()["by_rung"].values()) == api.json()["total"]
    legal = client.get("/console/collections?view=all&rung=legal&lang=en")
    assert legal.status_code == 200
    assert "Collections queue" in legal.text
    assert 'data-rung="sms"' not in legal.text
    mine = client.get("/console/collections")  # a collector starts on their own cases
    assert mine.status_code == 200
    assert 'aria-current="page" data-view="mine"' in mine.text


def test_a_contact_within_hours_is_recorded(
    placed: DemoSite, set_clock: Callable[[datetime], None]
) -> None:
    set_clock(local(10, 0))
    case = _case_for_phone(placed)
    client = placed.login("collector")
    page = client.get(f"/console/collections/cases/{case['id']}")
    assert page.status_code == 200
    assert 'data-contacts-today="0"' in page.text
    assert 'data-in-hours="1"' in page.text
    assert "****" in page.text  # the debtor's phone, masked
    answer = client.post(
        f"/console/collections/cases/{case['id']}/contacts",
        data={"kind": "phone", "party": "debtor", "result": "promise_to_pay",
              "promise_amount": "500", "promise_date": "2026-12-05", "note": "答应周五还"},
    )  # fmt: skip
    assert answer.status_code == 303
    page = client.get(f"/console/collections/cases/{case['id']}")
    assert 'data-contacts-today="1"' in page.text
    assert "答应周五还" in page.text
    assert 'data-status="open"' in page.text  # the promise, to follow up
    note = client.post(f"/console/collections/cases/{case['id']}/notes", data={"note": "备注一"})
    assert note.status_code == 303
    assert "备注一" in client.get(f"/console/collections/cases/{case['id']}").text


def test_a_third_party_contact_is_refused_with_the_rule(
    placed: DemoSite, set_clock: Callable[[datetime], None]
) -> None:
    set_clock(local(11, 0))
    case = _case_for_phone(placed)
    with Session(placed.bank.engine) as s:
        before = s.scalar(select(func.count()).select_from(CollectionAction))
    client = placed.login("collector")
    refused = client.post(
        f"/console/collections/cases/{case['id']}/contacts",
        data={"kind": "phone", "party": "relative", "result": "no_answer"},
    )
    assert refused.status_code == 409
    assert 'data-violation="third_party"' in refused.text
    assert "不得就债务联系第三方" in refused.text
    refused_en = client.post(
        f"/console/collections/cases/{case['id']}/contacts?lang=en",
        data={"kind": "phone", "party": "employer", "result": "no_answer"},
    )
    assert "no contact of third parties about the debt" in refused_en.text
    api = placed.client(headers=placed.bearer("collector")).post(
        f"/api/v1/collections/cases/{case['id']}/contacts",
        json={"kind": "phone", "party": "other", "result": "no_answer"},
    )
    assert api.status_code == 409
    assert api.json()["error"] == "collections.contact_refused"
    assert [f["field"] for f in api.json()["fields"]] == ["third_party"]
    with Session(placed.bank.engine) as s:
        assert s.scalar(select(func.count()).select_from(CollectionAction)) == before
        denied = s.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(
                AuditLog.action == "collections.contact",
                AuditLog.outcome == "denied",
                AuditLog.entity_id == case["case_no"],
            )
        )
        assert denied >= 3


def test_a_contact_outside_hours_is_refused(
    placed: DemoSite, set_clock: Callable[[datetime], None]
) -> None:
    set_clock(local(21, 0))
    case = _case_for_phone(placed)
    client = placed.login("collector")
    assert 'data-in-hours="0"' in client.get(f"/console/collections/cases/{case['id']}").text
    refused = client.post(
        f"/console/collections/cases/{case['id']}/contacts",
        data={"kind": "sms", "party": "debtor", "result": "delivered"},
    )
    assert refused.status_code == 409
    assert 'data-violation="hours"' in refused.text
    assert "08:00–21:00" in refused.text


def test_ladder_page_and_api(placed: DemoSite) -> None:
    client = placed.login("collector")
    page = client.get("/console/collections/ladder")
    assert page.status_code == 200
    for step in ("sms", "phone", "visit", "legal"):
        assert f'data-step="{step}"' in page.text
    bad = client.post(
        "/console/collections/ladder",
        data={"sms.min_dpd": "x", "phone.min_dpd": "8", "visit.min_dpd": "31",
              "legal.min_dpd": "91"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert 'data-field="ladder.sms.min_dpd"' in bad.text
    ladder = placed.client(headers=placed.bearer("collector")).get("/api/v1/collections/ladder")
    assert [r["step"] for r in ladder.json()["rungs"]] == ["sms", "phone", "visit", "legal"]


@pytest.mark.parametrize("user", ["manager", "marketing", "auditor"])
def test_roles_without_collections_work_are_refused(placed: DemoSite, user: str) -> None:
    client = placed.login(user)
    assert client.get("/console/collections").status_code == 403
    assert client.get("/console/collections/ladder").status_code == 403
    api = placed.client(headers=placed.bearer(user)).get("/api/v1/collections/cases")
    assert api.status_code == 403
