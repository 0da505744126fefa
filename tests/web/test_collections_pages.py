"""Collections pages and API on the demo site: the collector's queue shows the demo bank's cases,
a contact within the contact hours is recorded, a contact of a third party or outside the hours
is refused with the rule named, and a role without collections:work is refused. A branch head
granted collections:work sees and works only its branches' cases; a guarantor's phone is
revealed on the case page (audited) and refused without pii:view.

Times are the application's clock (``app.state.now``), set by each test and put back after it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from tests.conftest import DemoSite

from loanpilot.access.models import StaffAccount
from loanpilot.access.rules import Permission
from loanpilot.access.service import set_permission
from loanpilot.audit.models import AuditLog
from loanpilot.customers.models import Customer
from loanpilot.kit.crypto import FieldCipher
from loanpilot.lending.models import Guarantor, Loan
from loanpilot.risk import collections_close
from loanpilot.risk.models import CollectionAction, CollectionCase
from loanpilot.team.models import Branch, Role, Staff
from loanpilot.web.i18n import MESSAGES

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
        collections_close.after_close(s, AS_OF, datetime(2026, 11, 29, 17, 30, tzinfo=UTC))
    return demo_site


@pytest.fixture
def set_clock(demo_site: DemoSite) -> Iterator[Callable[[datetime], None]]:
    """``set_clock(instant)`` fixes the site's clock; the real clock is put back afterwards."""
    original = demo_site.app.state.now

    def fix(instant: datetime) -> None:
        demo_site.app.state.now = lambda: instant

    yield fix
    demo_site.app.state.now = original


def _case_for_phone(site: DemoSite) -> dict[str, Any]:
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
    allowed = re.search(r'data-allowed-kinds="([^"]*)">([^<]*)<', page.text)
    assert allowed, "the kinds the rung allows"
    kinds = allowed.group(1).split()
    assert "phone" in kinds
    assert '<option value="phone"' in page.text  # the form's kinds are codes still
    assert allowed.group(2) == "本阶段允许：" + "、".join(
        MESSAGES[f"coll.kind.{k}"]["zh"] for k in kinds
    )
    english = client.get(f"/console/collections/cases/{case['id']}?lang=en").text
    allowed = re.search(r'data-allowed-kinds="[^"]*">([^<]*)<', english)
    assert allowed
    assert allowed.group(1) == "Allowed on this rung: " + ", ".join(
        MESSAGES[f"coll.kind.{k}"]["en"] for k in kinds
    )
    client.get(f"/console/collections/cases/{case['id']}?lang=zh")
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


# --- data scope and the guarantor's phone ------------------------------------------------------


@contextmanager
def _matrix(site: DemoSite, role: Role, permission: Permission, granted: bool) -> Iterator[None]:
    """One cell of the stored permission matrix set (through ``access.service``) for the body,
    and put back afterwards; the site's cached principals are dropped each time, as a matrix
    edit on the permissions page would be seen within the cache's few seconds."""

    def put(value: bool) -> bool:
        with Session(site.bank.engine) as s, s.begin():
            admin = s.scalars(select(StaffAccount).where(StaffAccount.username == "admin")).one()
            changed = set_permission(
                s, role=role, permission=permission, granted=value,
                actor_staff_id=admin.staff_id, actor_label="user:admin", client_address=None,
                now=datetime.now(UTC),
            )  # fmt: skip
        site.app.state.principal_cache.forget()
        return changed

    changed = put(granted)
    try:
        yield
    finally:
        if changed:
            put(not granted)


def _open_cases_by_scope(site: DemoSite, username: str) -> tuple[set[int], set[int]]:
    """Open cases whose debtor's home branch is in (and outside) ``username``'s branch and the
    branches below it."""
    with Session(site.bank.engine) as s:
        account = s.scalars(select(StaffAccount).where(StaffAccount.username == username)).one()
        staff = s.get(Staff, account.staff_id)
        assert staff is not None
        children: dict[int | None, set[int]] = {}
        for branch_id, parent_id in s.execute(select(Branch.id, Branch.parent_id)):
            children.setdefault(parent_id, set()).add(branch_id)
        subtree, stack = {staff.branch_id}, [staff.branch_id]
        while stack:
            for child in children.get(stack.pop(), set()) - subtree:
                subtree.add(child)
                stack.append(child)
        rows = s.execute(
            select(CollectionCase.id, Customer.home_branch_id)
            .join(Loan, Loan.id == CollectionCase.loan_id)
            .join(Customer, Customer.id == Loan.customer_id)
            .where(CollectionCase.closed_on.is_(None))
        ).all()
    inside = {case_id for case_id, home in rows if home in subtree}
    return inside, {case_id for case_id, _ in rows} - inside


def _count(site: DemoSite, model: type[Any], *where: Any) -> int:
    with Session(site.bank.engine) as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_a_branch_head_with_collections_work_sees_only_its_branches_cases(
    placed: DemoSite, set_clock: Callable[[datetime], None]
) -> None:
    set_clock(local(10, 0))
    with _matrix(placed, Role.BRANCH_HEAD, Permission.COLLECTIONS_WORK, True):
        inside, outside = _open_cases_by_scope(placed, "branch")
        assert inside  # the demo's cases fall on both sides
        assert outside
        api = placed.client(headers=placed.bearer("branch"))
        listed = api.get("/api/v1/collections/cases?view=all").json()
        assert {i["id"] for i in listed["items"]} == inside
        assert listed["total"] == sum(listed["by_rung"].values()) == len(inside)
        client = placed.login("branch")
        page = client.get("/console/collections")  # not a collector: starts on every case
        assert page.status_code == 200
        assert page.text.count("data-case=") == len(inside)
        mine = next(iter(inside))
        assert api.get(f"/api/v1/collections/cases/{mine}").status_code == 200
        assert client.get(f"/console/collections/cases/{mine}").status_code == 200
        other = min(outside)
        denied_before = _count(placed, AuditLog, AuditLog.action == "access.denied")
        actions_before = _count(placed, CollectionAction)
        answer = api.get(f"/api/v1/collections/cases/{other}")
        assert answer.status_code == 403
        assert answer.json()["error"] == "scope.forbidden"
        assert client.get(f"/console/collections/cases/{other}").status_code == 403
        contact = {"kind": "sms", "party": "debtor", "result": "delivered"}
        assert client.post(
            f"/console/collections/cases/{other}/contacts", data=contact
        ).status_code == 403  # fmt: skip
        posted = api.post(f"/api/v1/collections/cases/{other}/contacts", json=contact)
        assert posted.status_code == 403
        note = api.post(f"/api/v1/collections/cases/{other}/notes", json={"note": "越权"})
        assert note.status_code == 403
        assert _count(placed, CollectionAction) == actions_before  # nothing written
        assert _count(placed, AuditLog, AuditLog.action == "access.denied") == denied_before + 5
    # the matrix is put back: the branch head is refused collections again
    assert placed.client(headers=placed.bearer("branch")).get(
        "/api/v1/collections/cases"
    ).status_code == 403  # fmt: skip


@pytest.fixture
def guaranteed(placed: DemoSite) -> Iterator[tuple[dict[str, Any], int, str]]:
    """An open case whose loan gets a guarantor with a phone number (encrypted with the site's
    key, as the demo and the portal store it); the guarantor is removed afterwards."""
    case = _case_for_phone(placed)
    phone = "13712345678"
    settings = placed.bank.settings
    cipher = FieldCipher(settings.data_key_bytes(), settings.data_key_id)
    with Session(placed.bank.engine) as s, s.begin():
        loan_id = s.scalars(select(Loan.id).where(Loan.loan_no == case["loan_no"])).one()
        g = Guarantor(
            loan_id=loan_id, name="测试担保人", id_number_enc=cipher.encrypt("x", "id_number"),
            id_number_hash=os.urandom(16), phone_enc=cipher.encrypt(phone, "phone"),
            relation="spouse", guaranteed_fen=1_000_000,
        )  # fmt: skip
        s.add(g)
        s.flush()
        guarantor_id = g.id
    yield case, guarantor_id, phone
    with Session(placed.bank.engine) as s, s.begin():
        s.execute(delete(Guarantor).where(Guarantor.id == guarantor_id))


def _reveals(site: DemoSite, guarantor_id: int) -> list[AuditLog]:
    with Session(site.bank.engine) as s:
        return list(
            s.scalars(
                select(AuditLog)
                .where(AuditLog.action == "pii.reveal", AuditLog.entity == "guarantor",
                       AuditLog.entity_id == str(guarantor_id))
                .order_by(AuditLog.id)
            )
        )  # fmt: skip


def test_a_guarantors_phone_is_revealed_on_the_case_page_and_audited(
    placed: DemoSite, guaranteed: tuple[dict[str, Any], int, str]
) -> None:
    case, gid, phone = guaranteed
    before = len(_reveals(placed, gid))  # ids of removed guarantors come back on SQLite
    client = placed.login("collector")
    page = client.get(f"/console/collections/cases/{case['id']}")
    assert page.status_code == 200
    assert f'data-reveal-guarantor="{gid}"' in page.text
    assert "137****5678" in page.text
    assert phone not in page.text
    url = f"/console/collections/cases/{case['id']}/guarantors/{gid}/reveal"
    fragment = client.post(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert f'data-guarantor-phone="{gid}">{phone}</span>' in fragment.text
    assert "已记入审计日志" in fragment.text
    full = client.post(url)  # without htmx: the case page with the number shown
    assert full.status_code == 200
    assert f'data-guarantor-phone="{gid}">{phone}</span>' in full.text
    api = placed.client(headers=placed.bearer("collector")).post(
        f"/api/v1/collections/cases/{case['id']}/guarantors/{gid}/reveal"
    )
    assert api.status_code == 200
    assert api.json() == {"guarantor_id": gid, "field": "phone", "value": phone}
    entries = _reveals(placed, gid)[before:]
    assert len(entries) == 3  # every reveal, one row each
    assert {e.detail["case"] for e in entries} == {case["case_no"]}
    assert all(e.detail == {"field": "phone", "case": case["case_no"]} for e in entries)
    assert all(phone not in str(e.detail) for e in entries)
    missing = client.post(f"/console/collections/cases/{case['id']}/guarantors/1/reveal")
    assert missing.status_code == 404  # not a guarantor of this case's loan


def test_a_guarantors_phone_is_not_revealed_without_pii_view(
    placed: DemoSite, guaranteed: tuple[dict[str, Any], int, str]
) -> None:
    case, gid, phone = guaranteed
    url = f"/api/v1/collections/cases/{case['id']}/guarantors/{gid}/reveal"
    before = len(_reveals(placed, gid))  # ids of removed guarantors come back on SQLite
    with _matrix(placed, Role.COLLECTOR, Permission.PII_VIEW, False):
        client = placed.login("collector")
        page = client.get(f"/console/collections/cases/{case['id']}")
        assert page.status_code == 200  # the case is still worked, the number stays masked
        assert "137****5678" in page.text
        assert f'data-reveal-guarantor="{gid}"' not in page.text
        refused = client.post(
            f"/console/collections/cases/{case['id']}/guarantors/{gid}/reveal",
            headers={"HX-Request": "true"},
        )
        assert refused.status_code == 403
        answer = placed.client(headers=placed.bearer("collector")).post(url)
        assert answer.status_code == 403
        assert answer.json()["error"] == "auth.forbidden"
        assert phone not in refused.text + answer.text
    # a role with pii:view but without collections:work is refused as well
    assert placed.client(headers=placed.bearer("manager")).post(url).status_code == 403
    assert len(_reveals(placed, gid)) == before
