"""The admin API over real HTTP: the staff list and org chart (scoped for branch heads) and the
audit-log search, every count checked against SQL on the demo bank (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanpilot.access.models import StaffAccount
from loanpilot.audit.models import AuditLog
from loanpilot.audit.service import record
from loanpilot.team.models import Branch, Role, Staff, StaffStatus


def _count(site, query) -> int:  # type: ignore[no-untyped-def]
    with Session(site.bank.engine) as session:
        return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _staff_of(site, username: str) -> Staff:  # type: ignore[no-untyped-def]
    with Session(site.bank.engine) as session:
        staff = session.scalar(
            select(Staff)
            .join(StaffAccount, StaffAccount.staff_id == Staff.id)
            .where(StaffAccount.username == username)
        )
        assert staff is not None
        session.expunge(staff)
        return staff


def _branch_and_below(site, root: int) -> set[int]:  # type: ignore[no-untyped-def]
    with Session(site.bank.engine) as session:
        pairs = session.execute(select(Branch.id, Branch.parent_id)).all()
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for child, of in pairs:
            if of == parent and child not in found:
                found.add(child)
                frontier.append(child)
    return found


# --- staff -------------------------------------------------------------------------------------------


def test_staff_list_counts_match_sql_for_each_filter(demo_site) -> None:  # type: ignore[no-untyped-def]
    headers = demo_site.bearer("admin")
    with demo_site.client(headers=headers) as client:
        everyone = client.get("/api/v1/staff").json()
        assert everyone["total"] == _count(demo_site, select(Staff.id))
        assert len(everyone["items"]) == 25

        managers = client.get(
            "/api/v1/staff", params={"role": "customer_manager", "status": "active", "size": 200}
        ).json()
        expected = _count(
            demo_site,
            select(Staff.id).where(
                Staff.role == Role.CUSTOMER_MANAGER, Staff.status == StaffStatus.ACTIVE
            ),
        )
        assert managers["total"] == expected > 0
        assert {item["role"] for item in managers["items"]} == {"customer_manager"}
        assert {item["status"] for item in managers["items"]} == {"active"}

        branch_id = everyone["items"][0]["branch_id"]
        in_branch = client.get("/api/v1/staff", params={"branch": branch_id, "size": 200}).json()
        assert in_branch["total"] == _count(
            demo_site, select(Staff.id).where(Staff.branch_id == branch_id)
        )
        assert {item["branch_id"] for item in in_branch["items"]} == {branch_id}

        auditor = _staff_of(demo_site, "auditor")
        found = client.get("/api/v1/staff", params={"q": auditor.employee_no}).json()
        assert [item["id"] for item in found["items"]] == [auditor.id]
        assert found["items"][0]["has_account"] is True

        # Blank filters (a form left empty) mean "any".
        blank = client.get("/api/v1/staff", params={"role": "", "status": "", "q": ""}).json()
        assert blank["total"] == everyone["total"]


def test_staff_list_sorts_on_the_server(demo_site) -> None:  # type: ignore[no-untyped-def]
    with demo_site.client(headers=demo_site.bearer("admin")) as client:
        newest = client.get("/api/v1/staff", params={"sort": "-hired_on", "size": 50}).json()
    dates = [item["hired_on"] for item in newest["items"]]
    assert dates == sorted(dates, reverse=True)
    with Session(demo_site.bank.engine) as session:
        latest = session.scalar(select(func.max(Staff.hired_on)))
    assert latest is not None
    assert dates[0] == latest.isoformat()
    assert newest["sort"] == "-hired_on"


def test_staff_list_rejects_bad_filters_with_every_field(demo_site) -> None:  # type: ignore[no-untyped-def]
    with demo_site.client(headers=demo_site.bearer("admin")) as client:
        response = client.get("/api/v1/staff", params={"role": "king", "status": "gone", "size": 0})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "request.invalid"
    fields = {problem["field"] for problem in body["fields"]}
    assert {"query.role", "query.status", "query.size"} <= fields


def test_branch_head_sees_only_staff_of_their_branches(demo_site) -> None:  # type: ignore[no-untyped-def]
    head = _staff_of(demo_site, "branch")
    allowed = _branch_and_below(demo_site, head.branch_id)
    with demo_site.client(headers=demo_site.bearer("branch")) as client:
        listed = client.get("/api/v1/staff", params={"size": 200}).json()
        assert listed["total"] == _count(
            demo_site, select(Staff.id).where(Staff.branch_id.in_(allowed))
        )
        assert {item["branch_id"] for item in listed["items"]} <= allowed
        assert head.id in {item["id"] for item in listed["items"]}
        # Asking for another branch finds nobody rather than leaking it.
        with Session(demo_site.bank.engine) as session:
            other = session.scalar(select(Branch.id).where(Branch.id.not_in(allowed)).limit(1))
        outside = client.get("/api/v1/staff", params={"branch": other}).json()
        assert outside["total"] == 0

        tree = client.get("/api/v1/org-units").json()

    def ids(nodes: list[dict]) -> set[int]:  # type: ignore[type-arg]
        return {n["id"] for n in nodes} | {i for n in nodes for i in ids(n["children"])}

    assert ids(tree) == allowed


def test_org_chart_nests_branches_and_counts_active_staff(demo_site) -> None:  # type: ignore[no-untyped-def]
    with demo_site.client(headers=demo_site.bearer("admin")) as client:
        tree = client.get("/api/v1/org-units").json()
    assert len(tree) == 1
    head_office = tree[0]
    assert head_office["level"] == "head_office"
    assert head_office["children"], "the head office has branches"
    assert {c["level"] for c in head_office["children"]} == {"branch"}
    assert {g["level"] for c in head_office["children"] for g in c["children"]} == {"sub_branch"}

    def walk(nodes: list[dict]):  # type: ignore[no-untyped-def,type-arg]
        for node in nodes:
            yield node
            yield from walk(node["children"])

    branches = list(walk(tree))
    assert len(branches) == _count(demo_site, select(Branch.id))
    assert sum(b["headcount"] for b in branches) == _count(
        demo_site, select(Staff.id).where(Staff.status == StaffStatus.ACTIVE)
    )
    units = [u for b in branches for u in walk(b["org_units"])]
    assert units, "the demo bank has org units"
    assert all(u["headcount"] >= 0 for u in units)


def test_service_agent_may_not_read_staff(demo_site) -> None:  # type: ignore[no-untyped-def]
    with demo_site.client(headers=demo_site.bearer("service")) as client:
        for path in ("/api/v1/staff", "/api/v1/org-units", "/api/v1/audit"):
            response = client.get(path)
            assert response.status_code == 403, path
            assert response.json()["error"] == "auth.forbidden"


# --- audit log ---------------------------------------------------------------------------------------


def test_audit_search_by_action_prefix_matches_sql(demo_site) -> None:  # type: ignore[no-untyped-def]
    for user in ("risk", "approver", "marketing"):
        demo_site.login(user).close()
    with demo_site.client() as anonymous:  # a wrong password: a failed login row
        anonymous.post("/api/v1/auth/token", json={"username": "risk", "password": "Wrong-123456"})
    with demo_site.client(headers=demo_site.bearer("auditor")) as client:
        logins = client.get("/api/v1/audit", params={"action": "login", "size": 200}).json()
        failed = client.get(
            "/api/v1/audit", params={"action": "login", "outcome": "failed", "size": 200}
        ).json()
    expected = _count(demo_site, select(AuditLog.id).where(AuditLog.action.like("login%")))
    assert logins["total"] == expected >= 4
    assert {item["action"] for item in logins["items"]} == {"login"}
    assert failed["total"] == _count(
        demo_site,
        select(AuditLog.id).where(AuditLog.action.like("login%"), AuditLog.outcome == "failed"),
    )
    assert failed["total"] >= 1
    assert {item["outcome"] for item in failed["items"]} == {"failed"}
    stamps = [item["at"] for item in logins["items"]]
    assert stamps == sorted(stamps, reverse=True), "newest first"


def test_audit_search_by_actor_name_or_staff_id(demo_site) -> None:  # type: ignore[no-untyped-def]
    demo_site.login("approver").close()
    approver = _staff_of(demo_site, "approver")
    with demo_site.client(headers=demo_site.bearer("auditor")) as client:
        by_name = client.get("/api/v1/audit", params={"actor": "approver", "size": 200}).json()
        by_id = client.get("/api/v1/audit", params={"actor": str(approver.id), "size": 200}).json()
    assert by_id["total"] == _count(
        demo_site, select(AuditLog.id).where(AuditLog.actor_staff_id == approver.id)
    )
    assert by_name["total"] >= by_id["total"] >= 1
    assert all(
        item["actor_staff_id"] == approver.id or item["actor_label"] == "user:approver"
        for item in by_name["items"]
    )
    assert {item["actor_name"] for item in by_id["items"]} == {approver.name}


def test_audit_date_filters_use_shanghai_business_days(demo_site) -> None:  # type: ignore[no-untyped-def]
    tag = f"test.bounds.{uuid.uuid4().hex[:8]}"
    instants = {
        "jan1_last": datetime(2020, 1, 1, 15, 59, 59, tzinfo=UTC),  # 23:59:59 on 1 Jan, Shanghai
        "jan2_first": datetime(2020, 1, 1, 16, 0, 0, tzinfo=UTC),  # 00:00:00 on 2 Jan
        "jan2_last": datetime(2020, 1, 2, 15, 59, 59, tzinfo=UTC),  # 23:59:59 on 2 Jan
        "jan3_first": datetime(2020, 1, 2, 16, 0, 0, tzinfo=UTC),  # 00:00:00 on 3 Jan
    }
    with Session(demo_site.bank.engine) as session:
        for name, at in instants.items():
            record(session, action=tag, entity="test", entity_id=name, at=at)
        session.commit()

    def found(**params: str) -> list[str]:
        with demo_site.client(headers=demo_site.bearer("auditor")) as client:
            response = client.get("/api/v1/audit", params={"action": tag, **params})
        assert response.status_code == 200, response.text
        return sorted(item["entity_id"] for item in response.json()["items"])

    assert found(from_date="2020-01-02", to_date="2020-01-02") == ["jan2_first", "jan2_last"]
    assert found(to_date="2020-01-01") == ["jan1_last"]
    assert found(from_date="2020-01-03") == ["jan3_first"]
    assert found(from_date="2020-01-01", to_date="2020-01-03") == sorted(instants)
    assert found(entity_id="jan2_last") == ["jan2_last"]

    with demo_site.client(headers=demo_site.bearer("auditor")) as client:
        backwards = client.get(
            "/api/v1/audit", params={"from_date": "2020-01-03", "to_date": "2020-01-01"}
        )
        bad = client.get("/api/v1/audit", params={"outcome": "maybe", "from_date": "yesterday"})
    assert backwards.status_code == 422
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json()["fields"]} >= {"query.outcome", "query.from_date"}


@pytest.mark.parametrize("value", ["100%", "a_b", "login\\"])
def test_audit_action_prefix_treats_wildcards_literally(demo_site, value: str) -> None:  # type: ignore[no-untyped-def]
    with demo_site.client(headers=demo_site.bearer("auditor")) as client:
        response = client.get("/api/v1/audit", params={"action": value})
    assert response.status_code == 200
    assert response.json()["total"] == 0
