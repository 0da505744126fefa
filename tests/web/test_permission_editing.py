"""The administrator changes the permission matrix: on the console and through the API, audited,
effective at once, and never so far as to lock the matrix away or give the auditor a write."""

from __future__ import annotations

from contextlib import closing

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission
from loanpilot.access.service import permission_matrix
from loanpilot.audit.models import AuditLog
from loanpilot.team.models import Role

PRODUCT = 1


def _holds(demo_site, role: Role, permission: Permission) -> bool:  # type: ignore[no-untyped-def]
    with Session(demo_site.bank.engine) as session:
        return permission in permission_matrix(session)[role]


def _patch_product(demo_site, user: str):  # type: ignore[no-untyped-def]
    with demo_site.client() as client:
        return client.patch(f"/api/v1/products/{PRODUCT}", json={}, headers=demo_site.bearer(user))


def test_the_administrator_withdraws_and_grants_a_cell_on_the_console(demo_site) -> None:  # type: ignore[no-untyped-def]
    assert _holds(demo_site, Role.MARKETING_MANAGER, Permission.PRODUCTS_WRITE)
    assert _patch_product(demo_site, "marketing").status_code != 403
    with closing(demo_site.login("admin")) as admin:
        page = admin.get("/console/permissions")
        assert 'class="cell-toggle"' in page.text
        withdrawn = admin.post(
            "/console/permissions",
            data={"role": "marketing_manager", "permission": "products:write", "granted": "false"},
        )
        assert withdrawn.status_code == 303
        assert withdrawn.headers["location"].startswith("/console/permissions")
        assert not _holds(demo_site, Role.MARKETING_MANAGER, Permission.PRODUCTS_WRITE)
        refused = _patch_product(demo_site, "marketing")
        assert refused.status_code == 403
        assert refused.json()["error"] == "auth.forbidden"
        granted = admin.post(
            "/console/permissions",
            data={"role": "marketing_manager", "permission": "products:write", "granted": "true"},
        )
        assert granted.status_code == 303
    assert _holds(demo_site, Role.MARKETING_MANAGER, Permission.PRODUCTS_WRITE)
    assert _patch_product(demo_site, "marketing").status_code != 403
    with Session(demo_site.bank.engine) as session:
        actions = session.scalars(
            select(AuditLog.action)
            .where(AuditLog.entity_id == "marketing_manager:products:write")
            .order_by(AuditLog.id)
        ).all()
    assert actions[-2:] == ["permission.withdraw", "permission.grant"]


def test_no_lock_out_and_no_write_for_the_auditor(demo_site) -> None:  # type: ignore[no-untyped-def]
    headers = demo_site.bearer("admin")
    with demo_site.client() as client:
        lock_out = client.put(
            "/api/v1/permissions/administrator/permissions:write",
            json={"granted": False},
            headers=headers,
        )
        assert lock_out.status_code == 422
        assert lock_out.json()["fields"][0]["field"] == "granted"
        auditor_write = client.put(
            "/api/v1/permissions/auditor/products:write", json={"granted": True}, headers=headers
        )
        assert auditor_write.status_code == 422
        unknown = client.put(
            "/api/v1/permissions/auditor/no:such", json={"granted": True}, headers=headers
        )
        assert unknown.status_code == 422
        not_admin = client.put(
            "/api/v1/permissions/service_agent/products:read",
            json={"granted": False},
            headers=demo_site.bearer("auditor"),
        )
        assert not_admin.status_code == 403
    assert _holds(demo_site, Role.ADMINISTRATOR, Permission.PERMISSIONS_WRITE)
    assert not _holds(demo_site, Role.AUDITOR, Permission.PRODUCTS_WRITE)
    assert _holds(demo_site, Role.SERVICE_AGENT, Permission.PRODUCTS_READ)


def test_the_api_changes_a_cell_and_answers_the_matrix(demo_site) -> None:  # type: ignore[no-untyped-def]
    headers = demo_site.bearer("admin")
    with demo_site.client() as client:
        grant = client.put(
            "/api/v1/permissions/service_agent/staff:read", json={"granted": True}, headers=headers
        )
        assert grant.status_code == 200
        assert "staff:read" in grant.json()["roles"]["service_agent"]
        assert client.get("/api/v1/staff", headers=demo_site.bearer("service")).status_code == 200
        back = client.put(
            "/api/v1/permissions/service_agent/staff:read", json={"granted": False}, headers=headers
        )
        assert back.status_code == 200
        assert "staff:read" not in back.json()["roles"]["service_agent"]
        assert client.get("/api/v1/staff", headers=demo_site.bearer("service")).status_code == 403
