"""Console customer pages over real HTTP on the demo bank: the directory (totals checked against
SQL, sorting, masked numbers, escaped search text), the customer 360 with its reveal buttons, the
htmx reveal fragment and its audit row, and the refusals (scope, permission, CSRF)."""

from __future__ import annotations

import re
from contextlib import closing
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from loanpilot.access.models import StaffAccount
from loanpilot.audit.models import AuditLog
from loanpilot.customers.models import Customer
from loanpilot.kit.crypto import FieldCipher
from loanpilot.lending.models import Loan

PAGE = "/console/customers"
HTMX = {"HX-Request": "true"}


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


def page_total(html: str) -> int:
    match = re.search(r'data-total="(\d+)"', html)
    assert match, "no total on the page"
    return int(match.group(1))


def row_ids(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'<tr data-customer-id="(\d+)"', html)]


def clear_values(demo_site: Any, customer_id: int) -> tuple[str, str | None]:
    settings = demo_site.bank.settings
    cipher = FieldCipher(settings.data_key_bytes(), settings.data_key_id)
    with Session(demo_site.bank.engine) as session:
        row = session.execute(
            select(Customer.id_number_enc, Customer.phone_enc).where(Customer.id == customer_id)
        ).one()
    return (
        cipher.decrypt(row.id_number_enc, field="id_number"),
        cipher.decrypt(row.phone_enc, field="phone") if row.phone_enc else None,
    )


def audit_rows(engine: Engine, action: str, entity_id: str) -> list[AuditLog]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditLog)
                .where(AuditLog.action == action, AuditLog.entity_id == entity_id)
                .order_by(AuditLog.id)
            ).all()
        )


def managed_customer_with_loans(engine: Engine, staff_id: int) -> int:
    with Session(engine) as session:
        customer_id = session.scalar(
            select(Customer.id)
            .join(Loan, Loan.customer_id == Customer.id)
            .where(Customer.manager_id == staff_id, Customer.phone_enc.is_not(None))
            .order_by(Customer.id)
            .limit(1)
        )
    assert customer_id is not None
    return customer_id


def test_directory_totals_match_sql_and_numbers_are_masked(demo_site) -> None:
    engine = demo_site.bank.engine
    with closing(demo_site.login("risk")) as client:
        page = client.get(PAGE)
        assert page.status_code == 200
        assert page_total(page.text) == sql_count(engine) >= 1_500
        ids = row_ids(page.text)
        assert len(ids) == 25
        for customer_id in ids[:10]:
            id_number, phone = clear_values(demo_site, customer_id)
            assert id_number not in page.text
            assert id_number[:3] + "*" * 11 + id_number[-4:] in page.text
            assert phone is None or phone not in page.text
        retired = client.get(PAGE, params={"occupation": "retired", "income": "low"})
        assert page_total(retired.text) == sql_count(
            engine, Customer.occupation == "retired", Customer.monthly_income_fen < 500_000
        )
        # Sorted by income, highest first: the first row is the highest income of the bank.
        by_income = client.get(PAGE, params={"sort": "-income"})
        incomes = [int(v) for v in re.findall(r'data-income="(\d+)"', by_income.text)]
        assert incomes == sorted(incomes, reverse=True)
        with Session(engine) as session:
            assert incomes[0] == session.scalar(select(func.max(Customer.monthly_income_fen)))
        assert 'aria-sort="descending"' in by_income.text
        # The next page link keeps the filters and the sort.
        assert "sort=-income" in by_income.text
        assert "page=2" in by_income.text


def test_directory_in_english(demo_site) -> None:
    with closing(demo_site.login("marketing")) as client:
        page = client.get(PAGE, params={"lang": "en"})
        assert page.status_code == 200
        assert "<h1>Customers</h1>" in page.text
        assert "Customer no." in page.text
        chinese = client.get(PAGE, params={"lang": "zh"})
        assert "客户号" in chinese.text


def test_script_in_the_search_text_is_escaped(demo_site) -> None:
    attack = "<script>alert(1)</script>"
    with closing(demo_site.login("risk")) as client:
        page = client.get(PAGE, params={"q": attack})
        assert page.status_code == 200
        assert attack not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert page_total(page.text) == 0
        quoted = client.get(PAGE, params={"q": '"><img src=x onerror=alert(1)>'})
        assert "<img src=x" not in quoted.text


def test_invalid_filters_get_a_422_page_naming_each_field(demo_site) -> None:
    with closing(demo_site.login("risk")) as client:
        page = client.get(PAGE, params={"segment": "teen", "sort": "salary", "page": "x"})
        assert page.status_code == 422
        for field in ("segment", "sort", "page"):
            assert f"<code>{field}</code>" in page.text


def test_manager_sees_own_customers_and_reveals_with_htmx(demo_site) -> None:
    engine = demo_site.bank.engine
    staff_id = staff_id_of(engine, "manager")
    customer_id = managed_customer_with_loans(engine, staff_id)
    id_number, phone = clear_values(demo_site, customer_id)
    with closing(demo_site.login("manager")) as client:
        listing = client.get(PAGE, params={"size": 200})
        assert page_total(listing.text) == sql_count(engine, Customer.manager_id == staff_id)
        view = client.get(f"{PAGE}/{customer_id}")
        assert view.status_code == 200
        assert id_number not in view.text
        assert phone not in view.text
        assert 'data-reveal="id_number"' in view.text
        assert 'data-reveal="phone"' in view.text
        assert f'hx-post="/console/customers/{customer_id}/reveal/id_number"' in view.text
        with Session(engine) as session:
            loan_no = session.scalar(select(Loan.loan_no).where(Loan.customer_id == customer_id))
        assert f'data-loan-no="{loan_no}"' in view.text
        before = len(audit_rows(engine, "pii.reveal", str(customer_id)))
        fragment = client.post(f"{PAGE}/{customer_id}/reveal/id_number", headers=HTMX)
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        match = re.search(
            r'<span class="revealed" data-field="id_number">([^<]*)</span>', fragment.text
        )
        assert match
        assert match.group(1) == id_number
        phone_fragment = client.post(f"{PAGE}/{customer_id}/reveal/phone", headers=HTMX)
        assert f'data-field="phone">{phone}</span>' in phone_fragment.text
        # Without htmx the form post shows the whole 360 again with the value revealed.
        page = client.post(f"{PAGE}/{customer_id}/reveal/id_number")
        assert page.status_code == 200
        assert "<html" in page.text
        assert f'data-field="id_number">{id_number}</span>' in page.text
    rows = audit_rows(engine, "pii.reveal", str(customer_id))
    assert len(rows) == before + 3
    assert [row.detail for row in rows[-3:]] == [
        {"field": "id_number"},
        {"field": "phone"},
        {"field": "id_number"},
    ]
    assert all(row.actor_staff_id == staff_id for row in rows[-3:])


def test_reveal_needs_the_csrf_token(demo_site) -> None:
    engine = demo_site.bank.engine
    customer_id = managed_customer_with_loans(engine, staff_id_of(engine, "manager"))
    before = len(audit_rows(engine, "pii.reveal", str(customer_id)))
    with closing(demo_site.login("manager")) as client:
        del client.headers["X-CSRF-Token"]
        response = client.post(f"{PAGE}/{customer_id}/reveal/id_number", headers=HTMX)
        assert response.status_code == 403
        assert 'data-error="csrf.invalid"' in response.text
    assert len(audit_rows(engine, "pii.reveal", str(customer_id))) == before


def test_marketing_sees_masked_numbers_without_reveal_buttons(demo_site) -> None:
    engine = demo_site.bank.engine
    customer_id = managed_customer_with_loans(engine, staff_id_of(engine, "manager"))
    id_number, _phone = clear_values(demo_site, customer_id)
    with closing(demo_site.login("marketing")) as client:
        view = client.get(f"{PAGE}/{customer_id}")
        assert view.status_code == 200
        assert id_number not in view.text
        assert id_number[-4:] in view.text  # the masked form
        assert "data-reveal=" not in view.text
        refused = client.post(f"{PAGE}/{customer_id}/reveal/id_number", headers=HTMX)
        assert refused.status_code == 403
        assert id_number not in refused.text


def test_branch_head_cannot_open_a_customer_of_another_branch(demo_site) -> None:
    from loanpilot.team.models import Branch, Staff

    engine = demo_site.bank.engine
    with Session(engine) as session:
        home = session.scalar(
            select(Staff.branch_id).where(Staff.id == staff_id_of(engine, "branch"))
        )
        parents = {
            row.id: row.parent_id for row in session.execute(select(Branch.id, Branch.parent_id))
        }
        mine = {home}
        while True:
            below = {b for b, parent in parents.items() if parent in mine} - mine
            if not below:
                break
            mine |= below
        outsider = session.scalar(
            select(Customer.id).where(Customer.home_branch_id.not_in(mine)).limit(1)
        )
        insider = session.scalar(
            select(Customer.id).where(Customer.home_branch_id.in_(mine)).limit(1)
        )
    assert outsider is not None
    assert insider is not None
    route = f"GET {PAGE}/{outsider}"
    before = len(audit_rows(engine, "access.denied", route))
    with closing(demo_site.login("branch")) as client:
        assert client.get(f"{PAGE}/{insider}").status_code == 200
        refused = client.get(f"{PAGE}/{outsider}")
        assert refused.status_code == 403
        assert 'data-error="scope.forbidden"' in refused.text
        assert client.get(f"{PAGE}/999999999").status_code == 404
        listing = client.get(PAGE, params={"size": 200})
        assert page_total(listing.text) == sql_count(engine, Customer.home_branch_id.in_(mine))
    denied = audit_rows(engine, "access.denied", route)
    assert len(denied) == before + 1
    assert denied[-1].detail["code"] == "scope.forbidden"


def test_a_role_without_customers_read_gets_403(demo_site) -> None:
    with closing(demo_site.login("admin")) as client:
        assert client.get(PAGE).status_code == 403


def test_a_search_for_an_id_never_puts_the_id_in_an_address(demo_site) -> None:
    engine = demo_site.bank.engine
    with Session(engine) as session:
        customer_id = session.scalar(select(Customer.id).order_by(Customer.id).limit(1))
    assert customer_id is not None
    id_number, _phone = clear_values(demo_site, customer_id)
    with closing(demo_site.login("risk")) as client:
        found = client.post(
            "/console/customers/search",
            data={"q": id_number, "income": "", "sort": "-income"},
            follow_redirects=False,
        )
        assert found.status_code == 303
        location = found.headers["location"]
        assert id_number not in location
        assert id_number[-4:] not in location
        assert "qs=" in location
        assert "sort=-income" in location
        page = client.get(location)
        assert page.status_code == 200
        assert row_ids(page.text) == [customer_id]
        # The next page's links keep the sealed search, never the ID.
        assert id_number not in re.sub(r'value="[^"]*"', "", page.text)
        forged = client.get(
            "/console/customers", params={"qs": location.split("qs=")[1][:-3] + "abc"}
        )
        assert forged.status_code == 422
        assert "qs" in forged.text
        no_csrf = client.post(
            "/console/customers/search", data={"q": id_number}, headers={"X-CSRF-Token": ""}
        )
        assert no_csrf.status_code == 403
