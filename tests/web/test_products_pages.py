"""The console's products pages over real HTTP on the demo bank: the catalogue by product line
with the APR as prominent as any rate, a product with its sample schedule (a 组合贷 with its
parts), and the edit form (every problem next to its field, nothing saved; escaped output;
audited changes), in Chinese and English."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy_financial as npf
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanpilot.audit.models import AuditLog
from loanpilot.products.models import LoanProduct
from loanpilot.products.rules import EDITABLE

COLUMNS = EDITABLE  # the columns an edit may change


def row_of(engine: Any, code: str) -> dict[str, Any]:
    with Session(engine) as session:
        product = session.scalars(select(LoanProduct).where(LoanProduct.code == code)).one()
        values = {c: getattr(product, c) for c in COLUMNS}
        values["status"] = product.status.value
        values["id"] = product.id
        return values


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def product_row(page: str, code: str) -> str:
    match = re.search(rf'<tr data-product="{code}"[^>]*>(.*?)</tr>', page, re.DOTALL)
    assert match, f"no row for {code}"
    return match.group(1)


def half_up(x: float) -> int:
    return int(Decimal(repr(float(x))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def form_of(product: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The edit form as the page fills it, with ``changes``."""

    def percent(v: Decimal) -> str:
        return f"{(Decimal(v) * 100).normalize():f}"

    data: dict[str, Any] = {
        "name_zh": product["name_zh"],
        "name_en": product["name_en"],
        "status": product["status"],
        "min_amount_fen": str(product["min_amount_fen"] // 100),
        "max_amount_fen": str(product["max_amount_fen"] // 100),
        "min_term_months": str(product["min_term_months"]),
        "max_term_months": str(product["max_term_months"]),
        "min_spread": percent(product["min_spread"]),
        "max_spread": percent(product["max_spread"]),
        "monthly_fee_rate": percent(product["monthly_fee_rate"]),
        "upfront_fee_rate": percent(product["upfront_fee_rate"]),
        "repayment_methods": list(product["repayment_methods"]),
        "description_zh": product["description_zh"] or "",
        "description_en": product["description_en"] or "",
    }
    data.update(changes)
    return data


@pytest.fixture
def restore(demo_site: Any) -> Iterator[list[str]]:
    """Codes of products a test edits: put back as they were afterwards (the site is shared)."""
    saved: dict[str, dict[str, Any]] = {}

    class Track(list[str]):
        def append(self, code: str) -> None:
            saved.setdefault(code, row_of(demo_site.bank.engine, code))
            super().append(code)

    yield Track()
    with Session(demo_site.bank.engine) as session, session.begin():
        for values in saved.values():
            product = session.get(LoanProduct, values["id"])
            assert product is not None
            for column in COLUMNS:
                setattr(product, column, values[column])


# --- the catalogue -------------------------------------------------------------------------------


def test_catalogue_in_chinese_and_english(demo_site: Any) -> None:
    with Session(demo_site.bank.engine) as session:
        total = session.scalar(select(func.count()).select_from(LoanProduct))
    client = demo_site.login("service")
    zh = client.get("/console/products")
    en = client.get("/console/products", params={"lang": "en"})
    assert zh.status_code == en.status_code == 200
    assert zh.text.count("<tr data-product=") == total == 14
    # grouped by product line, housing first
    lines = re.findall(r'<tr class="line-head" data-line="(\w+)"', zh.text)
    assert lines == ["housing", "consumer", "business", "private_banking"]
    assert "住房贷款" in zh.text
    assert "助学进修贷" in zh.text
    assert "年化利率（APR）" in zh.text
    assert "Education loan" in en.text
    assert "Housing" in en.text
    assert ">APR<" in en.text
    edu = text_of(product_row(zh.text, "CL-EDU"))
    assert "0.50 – 30.00" in edu  # ¥5,000 .. ¥300,000 in 万元 (the unit is in the header)
    assert "6 – 60" in edu
    assert "3.60% – 6.00%" in edu  # fixed: the rate itself
    assert "等额本息" in edu
    assert "先息后本" in edu
    assert "最低年龄：18 岁" in edu
    # the APR has the same class (size, weight) as the rate, in every row
    assert zh.text.count('class="rate-figure" data-figure="apr"') == total
    assert zh.text.count('class="rate-figure" data-figure="rate"') == total


def test_catalogue_filters_by_product_line(demo_site: Any) -> None:
    client = demo_site.login("auditor")
    page = client.get("/console/products", params={"type": "business"})
    assert page.status_code == 200
    codes = re.findall(r'<tr data-product="([\w-]+)"', page.text)
    assert sorted(codes) == ["BL-CRD", "BL-OPR", "BL-SEC"]


# --- a product -----------------------------------------------------------------------------------


def test_detail_shows_a_sample_schedule_agreeing_with_numpy_financial(demo_site: Any) -> None:
    pid = row_of(demo_site.bank.engine, "CL-GEN")["id"]
    client = demo_site.login("manager")
    page = client.get(f"/console/products/{pid}", params={"amount": "100000", "term": "24"})
    assert page.status_code == 200, page.text[:500]
    r = 0.032 / 12
    instalment = half_up(-npf.pmt(r, 24, 10_000_000))
    rows = re.findall(r'<tr data-period="(\d+)">(.*?)</tr>', page.text, re.DOTALL)
    assert len(rows) == 24
    first = text_of(rows[0][1]).split()
    # period, principal, interest, fee, payment, balance
    interest = half_up(-npf.ipmt(r, 1, 24, 10_000_000))
    assert first[2] == f"¥{Decimal(interest) / 100:,.2f}"
    assert first[4] == f"¥{Decimal(instalment) / 100:,.2f}"
    assert 'data-figure="quote-apr">3.20%' in page.text
    assert 'data-figure="quote-rate">3.20%' in page.text
    total = re.search(r'<tr data-total="1">(.*?)</tr>', page.text, re.DOTALL)
    assert total
    assert "¥100,000.00" in text_of(total.group(1))
    # the default sample: mid amount, 12 months
    default = client.get(f"/console/products/{pid}")
    assert len(re.findall(r'<tr data-period="', default.text)) == 12
    assert 'value="250000"' in default.text


def test_detail_of_a_bad_quote_says_why(demo_site: Any) -> None:
    pid = row_of(demo_site.bank.engine, "CL-EDU")["id"]
    client = demo_site.login("manager")
    page = client.get(f"/console/products/{pid}", params={"amount": "1", "term": "400"})
    assert page.status_code == 422
    assert 'data-period="' not in page.text
    assert "must be between 5,000 and 300,000 yuan" in page.text
    unreadable = client.get(f"/console/products/{pid}", params={"amount": "lots"})
    assert unreadable.status_code == 422


def test_combination_loan_shows_its_parts(demo_site: Any) -> None:
    pid = row_of(demo_site.bank.engine, "HL-COMBO")["id"]
    client = demo_site.login("admin")
    zh = client.get(f"/console/products/{pid}")
    en = client.get(f"/console/products/{pid}", params={"lang": "en"})
    assert zh.status_code == en.status_code == 200
    assert 'data-part="HL-COM"' in zh.text
    assert 'data-part="HL-PF"' in zh.text
    assert "组合贷的组成部分" in zh.text
    assert "Parts of this combination loan" in en.text
    assert 'data-period="' not in zh.text


# --- editing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["auditor", "service"])
def test_read_only_roles_may_not_open_or_post_the_form(demo_site: Any, user: str) -> None:
    product = row_of(demo_site.bank.engine, "CL-MED")
    client = demo_site.login(user)
    assert client.get(f"/console/products/{product['id']}/edit").status_code == 403
    response = client.post(
        f"/console/products/{product['id']}/edit", data=form_of(product, name_en="Hacked")
    )
    assert response.status_code == 403
    assert row_of(demo_site.bank.engine, "CL-MED") == product
    detail = client.get(f"/console/products/{product['id']}")
    assert "/edit" not in detail.text  # no edit link for those who may not edit


def test_form_shows_every_problem_and_saves_nothing(demo_site: Any, restore: list[str]) -> None:
    restore.append("CL-AUTO")
    product = row_of(demo_site.bank.engine, "CL-AUTO")
    with Session(demo_site.bank.engine) as session:
        audits = session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "product.update")
        )
    client = demo_site.login("marketing")
    form = client.get(f"/console/products/{product['id']}/edit")
    assert form.status_code == 200
    assert 'name="min_spread" type="text" value="3.2"' in form.text  # percent, as entered
    assert 'name="min_amount_fen" type="text" value="30000"' in form.text  # yuan
    response = client.post(
        f"/console/products/{product['id']}/edit",
        data=form_of(
            product,
            name_zh="",
            min_amount_fen="2000000",  # above the maximum of ¥1,000,000
            min_term_months="0",
            max_term_months="abc",
            min_spread="12",  # +12 % is above +10 %
            monthly_fee_rate="-1",
            repayment_methods=[],
        ),
    )
    assert response.status_code == 422
    problems = {
        "name_zh",
        "min_amount_fen",
        "min_term_months",
        "max_term_months",
        "min_spread",
        "monthly_fee_rate",
        "repayment_methods",
    }
    invalid = set(re.findall(r'name="(\w+)"[^>]*aria-invalid="true"', response.text))
    assert invalid == problems - {"repayment_methods"}
    errors = response.text.count('<p class="field-error"')
    # min_spread has two: out of range, and above the maximum spread
    assert errors == len(problems) + 1
    assert f'data-problems="{errors}"' in response.text
    for field in problems - {"repayment_methods"}:
        assert re.search(
            rf'name="{field}"[^>]*aria-invalid="true">\s*<p class="field-error"', response.text
        ), field
    assert "请至少选择一种" in response.text  # the rule's message, in the page's language
    assert "必须在 -1% 至 +10% 之间" in response.text
    assert 'value="abc"' in response.text  # what was typed is shown again
    assert row_of(demo_site.bank.engine, "CL-AUTO") == product
    with Session(demo_site.bank.engine) as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "product.update")
            )
            == audits
        )


def test_form_saves_escapes_and_audits(demo_site: Any, restore: list[str]) -> None:
    restore.append("CL-TRV")
    product = row_of(demo_site.bank.engine, "CL-TRV")
    client = demo_site.login("risk")
    response = client.post(
        f"/console/products/{product['id']}/edit",
        data=form_of(
            product,
            name_en="<script>x</script>",
            min_spread="3.55",
            monthly_fee_rate="0.12",
            repayment_methods=["equal_instalment", "equal_principal"],
        ),
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/products/{product['id']}"
    after = row_of(demo_site.bank.engine, "CL-TRV")
    assert after["name_en"] == "<script>x</script>"
    assert after["min_spread"] == Decimal("0.0355")
    assert after["monthly_fee_rate"] == Decimal("0.0012")
    assert after["repayment_methods"] == ["equal_instalment", "equal_principal"]
    for page in (
        client.get(f"/console/products/{product['id']}", params={"lang": "en"}),
        client.get("/console/products", params={"lang": "en"}),
        client.get(f"/console/products/{product['id']}/edit"),
    ):
        assert "<script>x</script>" not in page.text
        assert "&lt;script&gt;x&lt;/script&gt;" in page.text
    with Session(demo_site.bank.engine) as session:
        audit = session.scalars(
            select(AuditLog)
            .where(AuditLog.action == "product.update", AuditLog.entity_id == str(product["id"]))
            .order_by(AuditLog.id.desc())
            .limit(1)
        ).one()
    assert audit.entity == "product"
    assert audit.actor_label == "user:risk"
    assert audit.detail["changed"] == [
        "name_en",
        "min_spread",
        "monthly_fee_rate",
        "repayment_methods",
    ]
    assert audit.detail["old"]["min_spread"] == "0.036"
    assert audit.detail["new"]["monthly_fee_rate"] == "0.0012"


def test_form_needs_the_csrf_token(demo_site: Any) -> None:
    product = row_of(demo_site.bank.engine, "CL-MED")
    client = demo_site.login("marketing")
    del client.headers["X-CSRF-Token"]
    response = client.post(
        f"/console/products/{product['id']}/edit", data=form_of(product, name_en="No token")
    )
    assert response.status_code == 403
    assert row_of(demo_site.bank.engine, "CL-MED") == product


def test_every_rule_message_has_a_translation() -> None:
    from dataclasses import replace

    from loanpilot.products import pages, rules, service

    good = rules.ProductValues(
        name_zh="贷",
        name_en="Loan",
        status="active",
        min_amount_fen=100,
        max_amount_fen=200,
        min_term_months=1,
        max_term_months=2,
        min_spread=Decimal(0),
        max_spread=Decimal("0.01"),
        monthly_fee_rate=Decimal(0),
        upfront_fee_rate=Decimal(0),
        repayment_methods=("bullet",),
        description_zh=None,
        description_en=None,
    )
    variants = [
        {"name_zh": "", "name_en": "x" * 101, "status": "x", "min_amount_fen": 0},
        {"min_amount_fen": 300, "min_term_months": 3, "min_spread": Decimal("0.02")},
        {"max_term_months": 0, "max_spread": Decimal("0.2"), "monthly_fee_rate": Decimal(-1)},
        {"min_spread": Decimal("0.000000001"), "monthly_fee_rate": Decimal("0.03")},
        {"upfront_fee_rate": Decimal("0.2"), "repayment_methods": ()},
        {"repayment_methods": ("x",), "description_en": "x" * 2001},
        {"repayment_methods": ("bullet", "bullet"), "name_en": "a\x00b"},
    ]
    messages = set()
    for changes in variants:
        values = replace(good, **changes)
        for problem in rules.edit_problems(
            values, statuses=service.STATUSES, methods=service.METHODS
        ):
            messages.add(problem.message)
    _updates, unreadable = rules.parse_form(
        {
            "min_amount_fen": "x",
            "max_amount_fen": "1.001",
            "min_spread": "y",
            "min_term_months": "z",
        },
        [],
    )
    messages |= {p.message for p in unreadable}
    assert len(messages) == 23
    assert messages <= set(pages._PROBLEM_KEYS)
    assert set(pages._PROBLEM_KEYS) == messages  # and no translation of a message never given
