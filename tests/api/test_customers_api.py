"""Customers API over real HTTP on the 1,500-customer demo bank (SQLite and PostgreSQL).

Every figure is checked against SQL run on the same database: totals for each filter, the order of
each sort, pages, the scope of a customer manager (their customers) and of a branch head (their
branch and the branches below it). ID and phone numbers are masked in every answer; the clear value
comes only from the audited reveal, and the audit row names the field, never the value.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from loanpilot.access.models import StaffAccount
from loanpilot.audit.models import AuditLog
from loanpilot.customers.models import Customer
from loanpilot.customers.rules import birth_cutoff
from loanpilot.kit.clock import business_today
from loanpilot.kit.crypto import FieldCipher
from loanpilot.team.models import Branch

API = "/api/v1/customers"


# --- helpers -----------------------------------------------------------------------------------------


def sql_count(engine: Engine, *conditions: Any) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Customer).where(*conditions)) or 0


def staff_id_of(engine: Engine, username: str) -> int:
    with Session(engine) as session:
        staff_id = session.scalar(
            select(StaffAccount.staff_id).where(StaffAccount.username == username)
        )
    assert staff_id is not None
    return staff_id


def branch_tree(engine: Engine, root: int) -> set[int]:
    """``root`` and every branch below it (worked out here, independently of the app)."""
    with Session(engine) as session:
        parents = {
            row.id: row.parent_id for row in session.execute(select(Branch.id, Branch.parent_id))
        }
    tree = {root}
    grew = True
    while grew:
        below = {child for child, parent in parents.items() if parent in tree} - tree
        grew = bool(below)
        tree |= below
    return tree


def branch_of(engine: Engine, username: str) -> int:
    from loanpilot.team.models import Staff

    with Session(engine) as session:
        branch = session.scalar(
            select(Staff.branch_id).where(Staff.id == staff_id_of(engine, username))
        )
    assert branch is not None
    return branch


def cipher_of(demo_site: Any) -> FieldCipher:
    settings = demo_site.bank.settings
    return FieldCipher(settings.data_key_bytes(), settings.data_key_id)


def clear_ids(demo_site: Any, customer_ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """The clear ID and phone numbers of customers, decrypted from the database."""
    cipher = cipher_of(demo_site)
    with Session(demo_site.bank.engine) as session:
        rows = session.execute(
            select(Customer.id, Customer.id_number_enc, Customer.phone_enc).where(
                Customer.id.in_(customer_ids)
            )
        ).all()
    return {
        row.id: (
            cipher.decrypt(row.id_number_enc, field="id_number"),
            cipher.decrypt(row.phone_enc, field="phone") if row.phone_enc else None,
        )
        for row in rows
    }


def audit_rows(engine: Engine, action: str, entity_id: str | None = None) -> list[AuditLog]:
    with Session(engine) as session:
        query = select(AuditLog).where(AuditLog.action == action)
        if entity_id is not None:
            query = query.where(AuditLog.entity_id == entity_id)
        return list(session.scalars(query.order_by(AuditLog.id)).all())


def today(demo_site: Any) -> date:
    return business_today(demo_site.bank.settings.tz)


def get_list(demo_site: Any, user: str, **params: Any) -> dict[str, Any]:
    with demo_site.client() as client:
        response = client.get(API, params=params, headers=demo_site.bearer(user))
    assert response.status_code == 200, response.text
    return response.json()


def out_of_scope_customer(engine: Engine, staff_id: int) -> int:
    with Session(engine) as session:
        other = session.scalar(
            select(Customer.id)
            .where((Customer.manager_id != staff_id) | Customer.manager_id.is_(None))
            .order_by(Customer.id)
            .limit(1)
        )
    assert other is not None
    return other


def own_customer(engine: Engine, staff_id: int) -> int:
    with Session(engine) as session:
        own = session.scalar(
            select(Customer.id)
            .where(Customer.manager_id == staff_id, Customer.phone_enc.is_not(None))
            .order_by(Customer.id)
            .limit(1)
        )
    assert own is not None
    return own


# --- totals, filters, sorting, pages ---------------------------------------------------------------


def test_totals_equal_sql_counts_for_each_filter(demo_site) -> None:
    engine = demo_site.bank.engine
    day = today(demo_site)
    young_edge, senior_edge = birth_cutoff(day, 35), birth_cutoff(day, 55)
    with Session(engine) as session:
        busiest_branch = session.scalar(
            select(Customer.home_branch_id)
            .where(Customer.home_branch_id.is_not(None))
            .group_by(Customer.home_branch_id)
            .order_by(func.count().desc())
            .limit(1)
        )
    cases: list[tuple[dict[str, Any], int]] = [
        ({}, sql_count(engine)),
        ({"segment": "young"}, sql_count(engine, Customer.birth_date > young_edge)),
        (
            {"segment": "middle"},
            sql_count(engine, Customer.birth_date > senior_edge, Customer.birth_date <= young_edge),
        ),
        ({"segment": "senior"}, sql_count(engine, Customer.birth_date <= senior_edge)),
        ({"income": "low"}, sql_count(engine, Customer.monthly_income_fen < 500_000)),
        (
            {"income": "middle"},
            sql_count(
                engine,
                Customer.monthly_income_fen >= 500_000,
                Customer.monthly_income_fen <= 2_000_000,
            ),
        ),
        ({"income": "high"}, sql_count(engine, Customer.monthly_income_fen > 2_000_000)),
        ({"occupation": "retired"}, sql_count(engine, Customer.occupation == "retired")),
        (
            {"branch_id": busiest_branch},
            sql_count(engine, Customer.home_branch_id == busiest_branch),
        ),
        (
            {"segment": "young", "income": "middle", "occupation": "company_employee"},
            sql_count(
                engine,
                Customer.birth_date > young_edge,
                Customer.monthly_income_fen >= 500_000,
                Customer.monthly_income_fen <= 2_000_000,
                Customer.occupation == "company_employee",
            ),
        ),
    ]
    # Web tests elsewhere add applicants to this shared bank: the demo's 1,500 and any added since.
    everyone = cases[0][1]
    assert everyone >= 1_500
    for params, expected in cases:
        body = get_list(demo_site, "risk", size=5, **params)
        assert body["total"] == expected, params
        assert body["pages"] == max(1, math.ceil(expected / 5))
    # The bands partition the customers.
    assert sum(expected for params, expected in cases[1:4]) == everyone
    assert sum(expected for params, expected in cases[4:7]) == everyone
    # And each row shown belongs to its filter.
    for item in get_list(demo_site, "risk", size=50, segment="senior", income="high")["items"]:
        assert item["segment"] == "senior"
        assert item["age"] >= 55
        assert item["income_band"] == "high"
        assert item["monthly_income_fen"] > 2_000_000


@pytest.mark.parametrize(
    ("sort", "column", "descending"),
    [
        ("income", "monthly_income_fen", False),
        ("-income", "monthly_income_fen", True),
        ("birth_date", "birth_date", False),
        ("-birth_date", "birth_date", True),
        ("-customer_no", "customer_no", True),
    ],
)
def test_sorting_orders_the_rows(demo_site, sort: str, column: str, descending: bool) -> None:
    body = get_list(demo_site, "risk", size=100, sort=sort)
    assert body["sort"] == sort
    values = [item[column] for item in body["items"]]
    assert len(values) == 100
    assert values == sorted(values, reverse=descending)
    # The first page starts at the extreme value of the whole table.
    order = getattr(Customer, column)
    with Session(demo_site.bank.engine) as session:
        extreme = session.scalar(select(func.max(order) if descending else func.min(order)))
    assert str(values[0]) == str(extreme)


def test_sorting_ties_are_broken_by_id_so_pages_are_stable(demo_site) -> None:
    first = get_list(demo_site, "risk", size=200, sort="income", page=1)["items"]
    second = get_list(demo_site, "risk", size=200, sort="income", page=2)["items"]
    seen = [item["id"] for item in first + second]
    assert len(seen) == len(set(seen)) == 400
    pairs = [(item["monthly_income_fen"], item["id"]) for item in first + second]
    assert pairs == sorted(pairs)


def test_pages_follow_the_sql_order(demo_site) -> None:
    with Session(demo_site.bank.engine) as session:
        expected = list(
            session.scalars(
                select(Customer.customer_no).order_by(Customer.customer_no).offset(20).limit(10)
            )
        )
        total = session.scalar(select(func.count()).select_from(Customer)) or 0
    pages = math.ceil(total / 10)
    body = get_list(demo_site, "risk", size=10, page=3)
    assert [item["customer_no"] for item in body["items"]] == expected
    assert (body["page"], body["pages"], body["size"], body["total"]) == (3, pages, 10, total)
    # A page past the end gives the last page.
    last = get_list(demo_site, "risk", size=10, page=999)
    assert last["page"] == pages
    assert len(last["items"]) == total - (pages - 1) * 10


def test_invalid_parameters_are_all_reported_at_once(demo_site) -> None:
    with demo_site.client() as client:
        response = client.get(
            API,
            params={
                "page": "0",
                "size": "1000",
                "sort": "id_number",
                "segment": "teen",
                "income": "rich",
                "occupation": "astronaut",
                "branch_id": "abc",
                "q": "x" * 51,
            },
            headers=demo_site.bearer("risk"),
        )
        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "customers.invalid_query"
        fields = {problem["field"] for problem in body["fields"]}
        assert fields == {
            "page",
            "size",
            "sort",
            "segment",
            "income",
            "occupation",
            "branch_id",
            "q",
        }
        bad_number = client.get(API, params={"page": "two"}, headers=demo_site.bearer("risk"))
        assert bad_number.status_code == 422
        assert [p["field"] for p in bad_number.json()["fields"]] == ["page"]


# --- scope -----------------------------------------------------------------------------------------


def test_customer_manager_sees_exactly_their_own_customers(demo_site) -> None:
    engine = demo_site.bank.engine
    staff_id = staff_id_of(engine, "manager")
    expected = sql_count(engine, Customer.manager_id == staff_id)
    assert 0 < expected < 1_500
    body = get_list(demo_site, "manager", size=200)
    assert body["total"] == expected
    ids = [item["id"] for item in body["items"]]
    with Session(engine) as session:
        managers = set(
            session.scalars(select(Customer.manager_id).where(Customer.id.in_(ids))).all()
        )
    assert managers == {staff_id}
    # Filters narrow within the scope, never beyond it.
    retired = get_list(demo_site, "manager", occupation="retired")["total"]
    assert retired == sql_count(
        engine, Customer.manager_id == staff_id, Customer.occupation == "retired"
    )


def test_branch_head_sees_only_the_customers_of_their_branches(demo_site) -> None:
    engine = demo_site.bank.engine
    branches = branch_tree(engine, branch_of(engine, "branch"))
    expected = sql_count(engine, Customer.home_branch_id.in_(branches))
    assert 0 < expected < 1_500
    body = get_list(demo_site, "branch", size=200)
    assert body["total"] == expected
    assert {item["home_branch_id"] for item in body["items"]} <= branches
    # Asking for another branch gives nothing, not that branch's customers.
    with Session(engine) as session:
        elsewhere = session.scalar(
            select(Customer.home_branch_id).where(Customer.home_branch_id.not_in(branches)).limit(1)
        )
    assert elsewhere is not None
    assert get_list(demo_site, "branch", branch_id=elsewhere)["total"] == 0


def test_another_customers_360_is_forbidden_and_audited(demo_site) -> None:
    engine = demo_site.bank.engine
    other = out_of_scope_customer(engine, staff_id_of(engine, "manager"))
    route = f"GET {API}/{other}"
    before = len(audit_rows(engine, "access.denied", route))
    with demo_site.client() as client:
        response = client.get(f"{API}/{other}", headers=demo_site.bearer("manager"))
        assert response.status_code == 403
        assert response.json()["error"] == "scope.forbidden"
        reveal = client.post(f"{API}/{other}/reveal/id_number", headers=demo_site.bearer("manager"))
        assert reveal.status_code == 403
        assert reveal.json()["error"] == "scope.forbidden"
    denied = audit_rows(engine, "access.denied", route)
    assert len(denied) == before + 1
    assert denied[-1].detail["code"] == "scope.forbidden"
    assert denied[-1].actor_staff_id == staff_id_of(engine, "manager")
    assert denied[-1].outcome == "denied"
    # The refused reveal wrote no pii.reveal row.
    assert audit_rows(engine, "pii.reveal", str(other)) == []


def test_unknown_customer_is_404(demo_site) -> None:
    with demo_site.client() as client:
        response = client.get(f"{API}/987654321", headers=demo_site.bearer("risk"))
    assert response.status_code == 404
    assert response.json()["error"] == "customer.not_found"


# --- personal data ---------------------------------------------------------------------------------


def test_list_and_360_never_carry_a_clear_id_or_phone(demo_site) -> None:
    body = get_list(demo_site, "risk", size=50)
    ids = [item["id"] for item in body["items"]]
    clear = clear_ids(demo_site, ids)
    text = json.dumps(body, ensure_ascii=False)
    for item in body["items"]:
        id_number, phone = clear[item["id"]]
        assert id_number not in text
        assert item["id_number_masked"] == id_number[:3] + "*" * 11 + id_number[-4:]
        if phone:
            assert phone not in text
            assert item["phone_masked"] == phone[:3] + "****" + phone[-4:]
    with demo_site.client() as client:
        view = client.get(f"{API}/{ids[0]}", headers=demo_site.bearer("risk"))
    assert view.status_code == 200
    id_number, phone = clear[ids[0]]
    assert id_number not in view.text
    assert phone is None or phone not in view.text
    assert view.json()["profile"]["id_number_masked"] == body["items"][0]["id_number_masked"]


def test_360_holds_the_customers_loans_applications_and_history(demo_site) -> None:
    from loanpilot.campaigns.models import CampaignTarget
    from loanpilot.lending.models import Application, Loan

    engine = demo_site.bank.engine
    with Session(engine) as session:
        customer_id = session.scalar(
            select(Loan.customer_id)
            .join(CampaignTarget, CampaignTarget.customer_id == Loan.customer_id)
            .order_by(Loan.customer_id)
            .limit(1)
        )
        assert customer_id is not None
        loan_nos = set(
            session.scalars(select(Loan.loan_no).where(Loan.customer_id == customer_id)).all()
        )
        application_nos = set(
            session.scalars(
                select(Application.application_no).where(Application.customer_id == customer_id)
            ).all()
        )
        campaigns = session.scalar(
            select(func.count())
            .select_from(CampaignTarget)
            .where(CampaignTarget.customer_id == customer_id)
        )
    with demo_site.client() as client:
        view = client.get(f"{API}/{customer_id}", headers=demo_site.bearer("risk")).json()
    assert {loan["loan_no"] for loan in view["loans"]} == loan_nos
    assert {app["application_no"] for app in view["applications"]} == application_nos
    assert len(view["campaigns"]) == campaigns
    loan = view["loans"][0]
    assert (
        loan["principal_yuan"]
        == f"{loan['principal_fen'] // 100}.{loan['principal_fen'] % 100:02d}"
    )
    assert {c["kind"] for c in view["consents"]} == {
        "data_processing",
        "marketing",
        "credit_inquiry",
    }


def test_manager_reveals_their_customers_id_and_the_reveal_is_audited(demo_site) -> None:
    engine = demo_site.bank.engine
    staff_id = staff_id_of(engine, "manager")
    customer_id = own_customer(engine, staff_id)
    id_number, phone = clear_ids(demo_site, [customer_id])[customer_id]
    before = len(audit_rows(engine, "pii.reveal", str(customer_id)))
    with demo_site.client() as client:
        response = client.post(
            f"{API}/{customer_id}/reveal/id_number", headers=demo_site.bearer("manager")
        )
        assert response.status_code == 200
        assert response.json() == {"field": "id_number", "value": id_number}
        response = client.post(
            f"{API}/{customer_id}/reveal/phone", headers=demo_site.bearer("manager")
        )
        assert response.json() == {"field": "phone", "value": phone}
    rows = audit_rows(engine, "pii.reveal", str(customer_id))
    assert len(rows) == before + 2
    id_row, phone_row = rows[-2:]
    assert id_row.detail == {"field": "id_number"}
    assert phone_row.detail == {"field": "phone"}
    for row in (id_row, phone_row):
        assert row.entity == "customer"
        assert row.actor_staff_id == staff_id
        assert row.actor_label == "user:manager"
        assert row.client_address == "127.0.0.1"
        assert row.outcome == "ok"
        stored = json.dumps(row.detail, ensure_ascii=False)
        assert id_number not in stored
        assert phone is None or phone not in stored


def test_a_role_without_pii_view_cannot_reveal(demo_site) -> None:
    engine = demo_site.bank.engine
    customer_id = own_customer(engine, staff_id_of(engine, "manager"))
    before = len(audit_rows(engine, "access.denied"))
    with demo_site.client() as client:
        response = client.post(
            f"{API}/{customer_id}/reveal/id_number", headers=demo_site.bearer("marketing")
        )
        assert response.status_code == 403
        assert response.json()["error"] == "auth.forbidden"
        unknown_field = client.post(
            f"{API}/{customer_id}/reveal/name", headers=demo_site.bearer("risk")
        )
        assert unknown_field.status_code == 422
    denied = audit_rows(engine, "access.denied")
    assert len(denied) == before + 1
    assert denied[-1].detail["reason"] == "pii:view"
    assert all(
        row.actor_label != "user:marketing"
        for row in audit_rows(engine, "pii.reveal", str(customer_id))
    )


def test_search_finds_by_exact_id_phone_name_and_number_prefix(demo_site) -> None:
    engine = demo_site.bank.engine
    with Session(engine) as session:
        target = session.execute(
            select(Customer.id, Customer.customer_no, Customer.name)
            .where(Customer.phone_enc.is_not(None))
            .order_by(Customer.id.desc())
            .limit(1)
        ).one()
    id_number, phone = clear_ids(demo_site, [target.id])[target.id]
    by_id = get_list(demo_site, "risk", q=id_number)
    assert by_id["total"] == 1
    assert by_id["items"][0]["id"] == target.id
    assert id_number not in json.dumps(by_id)
    # The blind index is case-folded: a lower-case check letter X finds the same customer.
    assert get_list(demo_site, "risk", q=id_number.lower())["items"][0]["id"] == target.id
    assert phone is not None
    by_phone = get_list(demo_site, "risk", q=phone)
    assert target.id in {item["id"] for item in by_phone["items"]}
    assert by_phone["total"] == sql_count(
        engine, Customer.phone_hash == cipher_of(demo_site).blind_index(phone, field="phone")
    )
    by_name = get_list(demo_site, "risk", q=target.name, size=200)
    assert by_name["total"] == sql_count(engine, Customer.name == target.name)
    assert target.id in {item["id"] for item in by_name["items"]}
    prefix = target.customer_no[:-1]
    by_prefix = get_list(demo_site, "risk", q=prefix, size=200)
    assert by_prefix["total"] == sql_count(engine, Customer.customer_no.startswith(prefix))
    assert all(item["customer_no"].startswith(prefix) for item in by_prefix["items"])
    # Part of an ID number finds nothing (only an exact number matches its blind index).
    assert get_list(demo_site, "risk", q=id_number[:10])["total"] == 0
    # A customer manager does not find someone else's customer by ID number.
    staff_id = staff_id_of(engine, "manager")
    with Session(engine) as session:
        manager = session.scalar(select(Customer.manager_id).where(Customer.id == target.id))
    if manager != staff_id:
        assert get_list(demo_site, "manager", q=id_number)["total"] == 0
