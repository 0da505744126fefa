"""The admin console pages over real HTTP: the permission matrix shows exactly the stored matrix,
the route table what each route requires, the staff list and audit log count what SQL counts, and
the CSV export (auditor only) holds the filtered rows and is itself audited."""

from __future__ import annotations

import csv
import io
import re
from contextlib import closing

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanpilot.access.models import StaffAccount
from loanpilot.access.rules import Permission
from loanpilot.access.service import permission_matrix
from loanpilot.audit.models import AuditLog
from loanpilot.audit.service import EXPORT_COLUMNS
from loanpilot.team.models import Branch, Role, Staff
from loanpilot.web.i18n import MESSAGES


def _count(site, query) -> int:  # type: ignore[no-untyped-def]
    with Session(site.bank.engine) as session:
        return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _total(html: str, table_id: str) -> int:
    match = re.search(rf'id="{table_id}" data-total="(\d+)"', html)
    assert match, f"no {table_id} on the page"
    return int(match.group(1))


def test_permission_matrix_page_shows_exactly_the_stored_matrix(demo_site) -> None:  # type: ignore[no-untyped-def]
    with closing(demo_site.login("admin")) as client:
        response = client.get("/console/permissions")
    assert response.status_code == 200
    html = response.text
    cells = re.findall(
        r'<td class="cell[^"]*" data-role="([a-z_]+)" data-permission="([a-z_:]+)" '
        r'data-held="([01])"',
        html,
    )
    assert len(cells) == len(Role) * len(Permission)
    shown = {(role, perm) for role, perm, held in cells if held == "1"}
    with Session(demo_site.bank.engine) as session:
        matrix = permission_matrix(session)
    expected = {(role.value, p.value) for role, held in matrix.items() for p in held}
    assert shown == expected
    assert ("auditor", "audit:export") in shown
    assert ("administrator", "audit:export") not in shown
    # Every permission is described in Chinese (the default language).
    for permission in Permission:
        assert MESSAGES[f"admin.perm.{permission.value}"]["zh"] in html


def test_route_table_lists_what_each_route_requires(demo_site) -> None:  # type: ignore[no-untyped-def]
    with closing(demo_site.login("auditor")) as client:
        html = client.get("/console/permissions", params={"lang": "en"}).text
    rows = {
        (method, path): requires
        for method, path, requires in re.findall(
            r'<tr data-method="([A-Z]+)" data-path="([^"]+)" data-requires="([^"]+)">', html
        )
    }
    assert rows[("GET", "/api/v1/permissions")] == "permissions:read"
    assert rows[("GET", "/console/audit/export.csv")] == "audit:export"
    assert rows[("GET", "/console/staff")] == "staff:read"
    assert rows[("GET", "/console/account")] == "staff"
    assert rows[("POST", "/console/login")] == "public"
    assert "Any signed-in staff" in html
    assert "Role-permission matrix" in html


def test_service_agent_gets_403_on_admin_pages(demo_site) -> None:  # type: ignore[no-untyped-def]
    with closing(demo_site.login("service")) as client:
        for path in (
            "/console/staff",
            "/console/org-units",
            "/console/permissions",
            "/console/audit",
        ):
            response = client.get(path)
            assert response.status_code == 403, path
            assert MESSAGES["error.forbidden"]["zh"] in response.text


def test_staff_page_counts_match_sql_and_translate_roles(demo_site) -> None:  # type: ignore[no-untyped-def]
    with closing(demo_site.login("admin")) as client:
        page = client.get("/console/staff", params={"role": "risk_officer", "lang": "en"})
        everyone = client.get("/console/staff", params={"role": "", "branch": "", "q": ""})
    assert page.status_code == 200
    assert _total(page.text, "staff-table") == _count(
        demo_site, select(Staff.id).where(Staff.role == Role.RISK_OFFICER)
    )
    assert set(
        re.findall(r'<tr data-staff-id="\d+" data-branch-id="\d+" data-role="([a-z_]+)"', page.text)
    ) == {"risk_officer"}
    assert "Risk officer" in page.text
    assert _total(everyone.text, "staff-table") == _count(demo_site, select(Staff.id))
    with closing(demo_site.login("auditor")) as client:
        chinese = client.get("/console/staff", params={"role": "risk_officer", "lang": "zh"})
    assert "风险官" in chinese.text


def test_branch_head_staff_page_holds_only_their_branches(demo_site) -> None:  # type: ignore[no-untyped-def]
    with Session(demo_site.bank.engine) as session:
        head = session.scalar(
            select(Staff)
            .join(StaffAccount, StaffAccount.staff_id == Staff.id)
            .where(StaffAccount.username == "branch")
        )
        assert head is not None
        pairs = session.execute(select(Branch.id, Branch.parent_id)).all()
    allowed, frontier = {head.branch_id}, [head.branch_id]
    while frontier:
        parent = frontier.pop()
        for child, of in pairs:
            if of == parent and child not in allowed:
                allowed.add(child)
                frontier.append(child)
    with closing(demo_site.login("branch")) as client:
        html = client.get("/console/staff", params={"size": 200}).text
        org = client.get("/console/org-units").text
    shown = {int(b) for b in re.findall(r'data-branch-id="(\d+)"', html)}
    assert shown
    assert shown <= allowed
    assert _total(html, "staff-table") == _count(
        demo_site, select(Staff.id).where(Staff.branch_id.in_(allowed))
    )
    # The branch filter offers only their branches.
    options = {int(v) for v in re.findall(r'<option value="(\d+)"', html)}
    assert options == allowed
    assert {int(b) for b in re.findall(r'data-branch-id="(\d+)"', org)} == allowed


def test_org_units_page_nests_head_office_branches_and_units(demo_site) -> None:  # type: ignore[no-untyped-def]
    with closing(demo_site.login("admin")) as client:
        html = client.get("/console/org-units").text
    assert len(re.findall(r'class="org-branch level-head_office"', html)) == 1
    assert len(re.findall(r"data-branch-id=", html)) == _count(demo_site, select(Branch.id))
    assert "data-org-unit-id=" in html
    assert "总行" in html
    assert "支行" in html


def test_audit_page_search_by_action_matches_sql(demo_site) -> None:  # type: ignore[no-untyped-def]
    for user in ("risk", "marketing"):
        demo_site.login(user).close()
    with closing(demo_site.login("admin")) as client:
        html = client.get("/console/audit", params={"action": "login", "size": 200}).text
    expected = _count(demo_site, select(AuditLog.id).where(AuditLog.action.like("login%")))
    assert _total(html, "audit-table") == expected
    actions = re.findall(r'<tr data-audit-id="\d+" data-action="([^"]+)"', html)
    assert actions
    assert set(actions) == {"login"}
    # The administrator may read the log but has no export link (audit:export is the auditor's).
    assert 'id="audit-export"' not in html


def test_what_an_attacker_typed_as_a_user_name_is_never_stored(demo_site) -> None:  # type: ignore[no-untyped-def]
    with demo_site.client() as anonymous:
        anonymous.post(
            "/api/v1/auth/token",
            json={"username": "<script>alert(1)</script>", "password": "Wrong-123456"},
        )
    with closing(demo_site.login("auditor")) as client:
        html = client.get("/console/audit", params={"action": "login", "outcome": "failed"}).text
    # An unknown user name may be a password or a phone number typed in the wrong box: the log
    # keeps "user:?" instead, so neither the raw nor the escaped text is anywhere.
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" not in html
    assert "user:?" in html


def test_csv_export_by_the_auditor_is_complete_and_audited(demo_site) -> None:  # type: ignore[no-untyped-def]
    demo_site.login("approver").close()
    with closing(demo_site.login("auditor")) as client:
        page = client.get("/console/audit", params={"action": "login"}).text
        assert 'id="audit-export"' in page
        expected = _count(demo_site, select(AuditLog.id).where(AuditLog.action.like("login%")))
        before = _count(demo_site, select(AuditLog.id).where(AuditLog.action == "audit.export"))
        response = client.get("/console/audit/export.csv", params={"action": "login"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == 1 + expected
    assert {row[EXPORT_COLUMNS.index("action")] for row in rows[1:]} == {"login"}
    # Newest first: by time, then by id (other tests move the app's clock, so ids alone may not be).
    order = [(row[EXPORT_COLUMNS.index("at_utc")], int(row[0])) for row in rows[1:]]
    assert order == sorted(order, reverse=True), "newest first"
    assert response.headers["x-export-rows"] == str(expected)

    with Session(demo_site.bank.engine) as session:
        exports = session.scalars(
            select(AuditLog).where(AuditLog.action == "audit.export").order_by(AuditLog.id.desc())
        ).all()
        auditor_staff = session.scalar(
            select(StaffAccount.staff_id).where(StaffAccount.username == "auditor")
        )
    assert len(exports) == before + 1
    last = exports[0]
    assert last.actor_staff_id == auditor_staff
    assert last.detail["rows"] == expected
    assert last.detail["filters"] == {"action": "login"}
    assert last.detail["truncated"] is False


def test_administrator_may_not_export_the_audit_log(demo_site) -> None:  # type: ignore[no-untyped-def]
    before = _count(demo_site, select(AuditLog.id).where(AuditLog.action == "audit.export"))
    with closing(demo_site.login("admin")) as client:
        response = client.get("/console/audit/export.csv")
    assert response.status_code == 403
    assert _count(demo_site, select(AuditLog.id).where(AuditLog.action == "audit.export")) == before
    denied = _count(
        demo_site,
        select(AuditLog.id).where(
            AuditLog.action == "access.denied",
            AuditLog.entity_id == "GET /console/audit/export.csv",
        ),
    )
    assert denied >= 1
