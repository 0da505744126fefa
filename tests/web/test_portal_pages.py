"""The applicant portal over real HTTP on the demo bank (SQLite and PostgreSQL): the catalogue with
each rate beside its APR, a product's page, the calculator against numpy-financial, applying
(once per idempotency key, even when two requests race), validation, progress, escaping, CSRF and
the submission rate limit."""

from __future__ import annotations

import html as htmllib
import itertools
import re
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import httpx
import numpy_financial as npf
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from loanpilot.app import create_app
from loanpilot.audit.models import AuditLog
from loanpilot.customers.models import Channel, Consent, ConsentKind, Customer
from loanpilot.kit.crypto import FieldCipher
from loanpilot.kit.ids import make_resident_id
from loanpilot.lending.models import Application, ApplicationStatus
from loanpilot.products.models import LoanProduct, ProductStatus, ProductSubtype
from loanpilot.products.service import get_product_by_code, quote
from loanpilot.risk.models import Decision
from loanpilot.web.render import format_rate

if TYPE_CHECKING:
    from tests.conftest import DemoSite

ON_SAMPLE = "CL-GEN"  # 综合消费贷: equal instalment and interest only, no fee
FEE_PRODUCT = "CL-TRV"  # 旅游消费贷: a monthly fee, so its APR is well above its rate
_seq = itertools.count(1)

DECIDED = {ApplicationStatus.APPROVED, ApplicationStatus.REFERRED, ApplicationStatus.DECLINED}


def new_id() -> str:
    """A valid resident ID no other test uses (web tests: region 330106)."""
    n = next(_seq)
    return make_resident_id("330106", date(1970, 1, 1) + timedelta(days=97 * n), n % 1000, True)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name} on the page"
    return htmllib.unescape(match.group(1))


def counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(Application)) or 0,
            s.scalar(select(func.count()).select_from(Customer)) or 0,
            s.scalar(select(func.count()).select_from(Consent)) or 0,
        )


def open_form(client: httpx.Client, code: str = ON_SAMPLE) -> tuple[str, str]:
    """The CSRF token and the idempotency key of a freshly rendered application form."""
    page = client.get(f"/apply/{code}")
    assert page.status_code == 200
    return hidden(page.text, "csrf_token"), hidden(page.text, "idempotency_key")


def form_data(csrf: str, key: str, id_number: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf,
        "idempotency_key": key,
        "name": "测试申请人",
        "id_number": id_number,
        "phone": "13800138000",
        "amount_yuan": "120000",
        "term_months": "24",
        "method": "equal_instalment",
        "purpose": "装修",
        "monthly_income_yuan": "20000",
        "occupation": "company_employee",
        "branch_id": "",
        "consent_data": "yes",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def figure(page: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', page)
    assert match, f"no {name} on the page"
    return match.group(1).strip()


def half_up(x: float) -> int:
    return int(Decimal(repr(float(x))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- catalogue and product pages -------------------------------------------------------------------


def test_home_lists_every_active_product_by_line_with_rate_and_apr_side_by_side(
    demo_site: DemoSite,
) -> None:
    with demo_site.client() as client:
        page = client.get("/")
    assert page.status_code == 200
    text = page.text
    for line, label in (
        ("housing", "住房贷款"),
        ("consumer", "消费贷款"),
        ("business", "经营贷款"),
        ("private_banking", "私人银行贷款"),
    ):
        assert f'data-line="{line}"' in text
        assert label in text
    with Session(demo_site.bank.engine) as s:
        active = list(
            s.scalars(select(LoanProduct).where(LoanProduct.status == ProductStatus.ACTIVE))
        )
    shown = re.findall(r'<article class="product-card" data-code="([^"]+)"', text)
    assert sorted(shown) == sorted(p.code for p in active)
    # every rate has its APR beside it, with the same class (same size and weight)
    rates = re.findall(
        r'<p class="rate" data-rate="from">.*?<span class="(rate-value)">.*?</p>\s*'
        r'<p class="rate" data-rate="apr">.*?<span class="(rate-value)" data-apr=',
        text,
        re.DOTALL,
    )
    priced = sum(2 if p.subtype is ProductSubtype.COMBINATION else 1 for p in active)
    assert len(rates) == priced
    assert text.count('data-rate="from"') == text.count('data-rate="apr"') == priced
    # each card links to its product page and to apply
    for p in active:
        assert f'href="/products/{p.code}"' in text
        assert f'href="/apply/{p.code}"' in text
    assert "Rate from" in client_en(demo_site, "/")


def client_en(demo_site: DemoSite, path: str) -> str:
    with demo_site.client() as client:
        return client.get(path, params={"lang": "en"}).text


def test_the_product_page_shows_the_apr_of_products_quote(demo_site: DemoSite) -> None:
    with demo_site.client() as client:
        page = client.get(f"/products/{FEE_PRODUCT}")
    assert page.status_code == 200
    text = page.text
    amount = int(re.search(r'data-amount-fen="(\d+)"', text).group(1))  # type: ignore[union-attr]
    term = int(re.search(r'data-term="(\d+)"', text).group(1))  # type: ignore[union-attr]
    method = re.search(r'data-method="([a-z_]+)"', text).group(1)  # type: ignore[union-attr]
    shown_apr = re.search(r'data-apr="([0-9.]+)">([^<]+)<', text)
    assert shown_apr
    with Session(demo_site.bank.engine) as s:
        product = get_product_by_code(s, FEE_PRODUCT)
        q = quote(s, product, amount_fen=amount, term_months=term, method=method, on=date.today())
        methods = list(product.repayment_methods)
    assert Decimal(shown_apr.group(1)) == q.apr
    assert shown_apr.group(2) == format_rate(q.apr)
    assert q.apr > q.annual_rate  # the fee shows in the APR
    assert format_rate(q.annual_rate) in text
    for m in methods:
        assert f'data-method="{m}"' in text
    assert f'href="/apply/{FEE_PRODUCT}"' in text
    assert f'href="/calculator?product={FEE_PRODUCT}"' in text
    assert "申请条件" in text


def test_an_unknown_or_inactive_product_is_not_found(demo_site: DemoSite) -> None:
    with demo_site.client() as client:
        assert client.get("/products/NOPE").status_code == 404
        assert client.get("/apply/NOPE").status_code == 404


# --- calculator ------------------------------------------------------------------------------------


def test_the_calculator_schedule_equals_numpy_financial_to_the_fen(demo_site: DemoSite) -> None:
    with demo_site.client() as client:
        page = client.get(
            "/calculator",
            params={"product": ON_SAMPLE, "amount_yuan": "150000", "term_months": "24"},
        )
    assert page.status_code == 200
    text = page.text
    block = re.search(
        r'<details class="panel schedule" data-method="equal_instalment".*?</details>',
        text,
        re.DOTALL,
    )
    assert block
    payments = [int(x) for x in re.findall(r'data-payment-fen="(\d+)"', block.group(0))]
    with Session(demo_site.bank.engine) as s:
        product = get_product_by_code(s, ON_SAMPLE)
        q = quote(
            s,
            product,
            amount_fen=15_000_000,
            term_months=24,
            method="equal_instalment",
            on=date.today(),
        )
    r = float(q.annual_rate) / 12
    instalment = half_up(-npf.pmt(r, 24, 15_000_000))
    assert len(payments) == 24
    assert payments[:-1] == [instalment] * 23
    assert abs(payments[-1] - instalment) <= 24
    principal = [int(x) for x in re.findall(r'data-principal-fen="(\d+)"', block.group(0))]
    assert sum(principal) == 15_000_000
    # all four methods are compared; those the product lacks are marked
    offered = set(product.repayment_methods)
    for m in ("equal_instalment", "equal_principal", "interest_only", "bullet"):
        flag = "true" if m in offered else "false"
        assert f'data-method="{m}" data-offered="{flag}"' in text
    card = re.search(
        r'data-method="equal_instalment" data-offered="true">.*?</article>', text, re.DOTALL
    )
    assert card
    assert f'data-figure="first_payment" data-fen="{instalment}"' in card.group(0)
    assert f'data-figure="total_interest" data-fen="{q.total_interest_fen}"' in card.group(0)
    assert f'data-figure="total_fees" data-fen="{q.total_fee_fen}"' in card.group(0)
    assert f'data-apr="{q.apr}"' in card.group(0)


def test_the_calculator_works_without_parameters_and_reports_bad_input(
    demo_site: DemoSite,
) -> None:
    with demo_site.client() as client:
        assert client.get("/calculator").status_code == 200
        bad = client.get(
            "/calculator", params={"product": ON_SAMPLE, "amount_yuan": "abc", "term_months": "x"}
        )
        out_of_range = client.get(
            "/calculator", params={"product": ON_SAMPLE, "amount_yuan": "1", "term_months": "999"}
        )
    assert bad.status_code == 422
    assert bad.text.count('class="field-error"') == 2
    assert out_of_range.status_code == 422
    assert out_of_range.text.count('class="field-error"') == 2
    assert "本产品金额须在" in out_of_range.text


# --- applying ---------------------------------------------------------------------------------------


def test_a_submission_writes_one_application_one_customer_and_two_consents(
    demo_site: DemoSite,
) -> None:
    engine = demo_site.bank.engine
    id_number = new_id()
    before = counts(engine)
    with demo_site.client() as client:
        csrf, key = open_form(client)
        page = client.post(f"/apply/{ON_SAMPLE}", data=form_data(csrf, key, id_number))
    assert page.status_code == 200, page.text
    number = figure(page.text, "application_no")
    code = figure(page.text, "query_code")
    assert re.fullmatch(r"WA\d{16}", number)
    assert re.fullmatch(r"\d{6}", code)
    assert id_number not in page.text
    assert counts(engine) == (before[0] + 1, before[1] + 1, before[2] + 2)
    cipher = FieldCipher(
        demo_site.bank.settings.data_key_bytes(), demo_site.bank.settings.data_key_id
    )
    with Session(engine) as s:
        app = s.scalar(select(Application).where(Application.application_no == number))
        assert app is not None
        # decided at once by the champion card and the active policy
        assert app.status in DECIDED
        assert app.decided_at is not None
        decision = s.scalar(select(Decision).where(Decision.application_id == app.id))
        assert decision is not None
        assert decision.model_version.startswith("application@demo-")
        assert decision.policy_version == "2026.1"
        assert decision.score is not None
        assert f'data-outcome="{decision.outcome.value}"' in page.text
        assert app.channel is Channel.ONLINE
        assert app.idempotency_key == key
        assert app.amount_fen == 12_000_000
        assert app.submitted_at is not None
        assert app.query_code_hash == cipher.blind_index(code, field="query_code")
        customer = s.get(Customer, app.customer_id)
        assert customer is not None
        assert customer.id_number_hash == cipher.blind_index(id_number, field="id_number")
        assert cipher.decrypt(customer.id_number_enc, field="id_number") == id_number
        assert customer.phone_enc is not None
        assert cipher.decrypt(customer.phone_enc, field="phone") == "13800138000"
        assert customer.source_channel is Channel.ONLINE
        assert customer.marketing_consent is False
        consents = {
            c.kind: c.granted
            for c in s.scalars(select(Consent).where(Consent.customer_id == customer.id))
        }
        assert consents == {ConsentKind.DATA_PROCESSING: True, ConsentKind.MARKETING: False}
        (audit,) = s.scalars(  # one audit row per submission: the workflow's SUBMIT
            select(AuditLog).where(
                AuditLog.action == "application.submit", AuditLog.entity_id == number
            )
        ).all()
        assert audit.actor_label == "portal"
        assert audit.entity == "application"
        assert audit.detail["from"] == "draft"
        assert audit.detail["to"] == "submitted"
        assert audit.detail["new_customer"] is True
        assert audit.detail["identity_matched"] is True
        assert audit.detail["marketing_consent"] is False
        assert audit.client_address
        assert id_number not in str(audit.detail)
        assert "13800138000" not in str(audit.detail)


def test_an_existing_customer_is_found_by_id_and_marketing_consent_recorded(
    demo_site: DemoSite,
) -> None:
    engine = demo_site.bank.engine
    id_number = new_id()
    with demo_site.client() as client:
        csrf, key = open_form(client)
        first = client.post(f"/apply/{ON_SAMPLE}", data=form_data(csrf, key, id_number))
        assert first.status_code == 200
        before = counts(engine)
        _csrf, key2 = open_form(client)
        second = client.post(
            f"/apply/{ON_SAMPLE}",
            data=form_data(csrf, key2, id_number, consent_marketing="yes"),
        )
    assert second.status_code == 200
    assert figure(second.text, "application_no") != figure(first.text, "application_no")
    assert counts(engine) == (before[0] + 1, before[1], before[2] + 2)
    with Session(engine) as s:
        number = figure(second.text, "application_no")
        app = s.scalar(select(Application).where(Application.application_no == number))
        assert app is not None
        customer = s.get(Customer, app.customer_id)
        assert customer is not None
        assert customer.marketing_consent is True


def test_someone_else_with_the_id_number_changes_nothing_of_the_customer(
    demo_site: DemoSite,
) -> None:
    """Knowing an ID number is not enough: without the customer's name and mobile number on
    file, the application is attached for review but the record and consents stay as they are."""
    engine = demo_site.bank.engine
    id_number = new_id()
    with demo_site.client() as client:
        csrf, key = open_form(client)
        first = client.post(
            f"/apply/{ON_SAMPLE}", data=form_data(csrf, key, id_number, consent_marketing="yes")
        )
        assert first.status_code == 200
        before = counts(engine)
        _csrf, key2 = open_form(client)
        other = client.post(
            f"/apply/{ON_SAMPLE}",
            data=form_data(csrf, key2, id_number, name="冒名者", phone="13911112222"),
        )
    assert other.status_code == 200
    assert counts(engine) == (before[0] + 1, before[1], before[2])  # no consent rows
    with Session(engine) as s:
        number = figure(other.text, "application_no")
        app = s.scalar(select(Application).where(Application.application_no == number))
        assert app is not None
        customer = s.get(Customer, app.customer_id)
        assert customer is not None
        assert customer.name == "测试申请人"
        assert customer.marketing_consent is True
        assert customer.opted_out_at is None
        (audit,) = s.scalars(
            select(AuditLog).where(
                AuditLog.action == "application.submit", AuditLog.entity_id == number
            )
        ).all()
        assert audit.detail["identity_matched"] is False
        assert audit.detail["new_customer"] is False


def test_the_same_idempotency_key_returns_the_same_application(demo_site: DemoSite) -> None:
    engine = demo_site.bank.engine
    id_number = new_id()
    with demo_site.client() as client:
        csrf, key = open_form(client)
        data = form_data(csrf, key, id_number)
        first = client.post(f"/apply/{ON_SAMPLE}", data=data)
        after_first = counts(engine)
        again = client.post(f"/apply/{ON_SAMPLE}", data=data)
    assert first.status_code == again.status_code == 200
    assert figure(again.text, "application_no") == figure(first.text, "application_no")
    assert figure(again.text, "query_code") == figure(first.text, "query_code")
    assert 'data-replayed="true"' in again.text
    assert counts(engine) == after_first


def test_two_racing_submissions_with_one_key_make_one_application(demo_site: DemoSite) -> None:
    engine = demo_site.bank.engine
    id_number = new_id()
    with demo_site.client() as client:
        csrf, key = open_form(client)
        cookies = dict(client.cookies)
    data = form_data(csrf, key, id_number)
    before = counts(engine)
    barrier = threading.Barrier(2)
    results: list[httpx.Response] = []

    def send() -> None:
        with demo_site.client(cookies=cookies) as c:
            barrier.wait()
            results.append(c.post(f"/apply/{ON_SAMPLE}", data=data))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [r.status_code for r in results] == [200, 200], [r.text[:300] for r in results]
    numbers = {figure(r.text, "application_no") for r in results}
    assert len(numbers) == 1
    assert counts(engine) == (before[0] + 1, before[1] + 1, before[2] + 2)


def test_all_problems_are_shown_at_once_and_nothing_is_written(demo_site: DemoSite) -> None:
    engine = demo_site.bank.engine
    good = new_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")  # wrong check digit
    before = counts(engine)
    with demo_site.client() as client:
        csrf, key = open_form(client)
        data = form_data(csrf, key, bad, amount_yuan="99999999", name="李四")
        del data["consent_data"]
        page = client.post(f"/apply/{ON_SAMPLE}", data=data)
    assert page.status_code == 422
    text = page.text
    errors = re.findall(r'<input id="f-([a-z_]+)"[^>]*>\s*(?:<p class="hint">[^<]*</p>\s*)?'
                        r'<p class="field-error"', text)  # fmt: skip
    assert set(errors) == {"id_number", "amount_yuan"}
    assert "校验位" in text
    assert "个人信息处理" in text
    assert text.count('class="field-error"') == 3
    assert re.search(r'name="consent_data"[^>]*>.*?</label>\s*<p class="field-error"', text, re.S)
    # values kept, except the ID number
    assert 'value="李四"' in text
    assert 'value="99999999"' in text
    assert bad not in text
    assert hidden(text, "idempotency_key") == key
    assert counts(engine) == before


def test_script_in_the_purpose_is_escaped(demo_site: DemoSite) -> None:
    attack = '<script>alert("x")</script>'
    with demo_site.client() as client:
        csrf, key = open_form(client)
        page = client.post(
            f"/apply/{ON_SAMPLE}", data=form_data(csrf, key, new_id(), purpose=attack)
        )
        assert page.status_code == 200
        assert attack not in page.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
        invalid = client.post(
            f"/apply/{ON_SAMPLE}",
            data=form_data(csrf, "k" * 20, "bad", purpose=attack),
        )
        assert invalid.status_code == 422
        assert attack not in invalid.text


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(demo_site: DemoSite) -> None:
    engine = demo_site.bank.engine
    before = counts(engine)
    with demo_site.client() as client:
        _csrf, key = open_form(client)
        no_token = form_data("", key, new_id())
        del no_token["csrf_token"]
        assert client.post(f"/apply/{ON_SAMPLE}", data=no_token).status_code == 403
        wrong = form_data("x" * 43, key, new_id())
        assert client.post(f"/apply/{ON_SAMPLE}", data=wrong).status_code == 403
    with demo_site.client() as stranger:  # a token without the cookie it belongs to
        page = stranger.post(f"/apply/{ON_SAMPLE}", data=form_data("y" * 43, key, new_id()))
        assert page.status_code == 403
    assert counts(engine) == before


# --- progress --------------------------------------------------------------------------------------


def test_progress_needs_number_last_four_and_code(demo_site: DemoSite) -> None:
    id_number = new_id()
    with demo_site.client() as client:
        csrf, key = open_form(client)
        done = client.post(f"/apply/{ON_SAMPLE}", data=form_data(csrf, key, id_number))
        number, code = figure(done.text, "application_no"), figure(done.text, "query_code")
        form = client.get("/progress")
        csrf = hidden(form.text, "csrf_token")

        def ask(no: str, last4: str, qc: str) -> httpx.Response:
            return client.post(
                "/progress",
                data={"csrf_token": csrf, "application_no": no, "id_last_four": last4,
                      "query_code": qc},
            )  # fmt: skip

        ok = ask(number, id_number[-4:].lower(), code)
        assert ok.status_code == 200
        status = re.search(r'class="panel progress-result" data-status="([a-z_]+)"', ok.text)
        assert status
        assert status.group(1) in {s.value for s in DECIDED}
        assert "data-outcome=" in ok.text  # the decision is shown with the progress
        submitted = re.search(r'data-stage="submitted">.*?class="stage-at">([^<]+)<', ok.text)
        assert submitted
        assert "年" in submitted.group(1)
        assert 'data-stage="disbursed"' in ok.text
        assert "尚未开始" in ok.text
        wrong_code = f"{(int(code) + 1) % 1_000_000:06d}"
        misses = [
            ask(number, id_number[-4:], wrong_code),
            ask(number, "0000" if id_number[-4:] != "0000" else "1111", code),
            ask("WA2000010100000000", id_number[-4:], code),
        ]
    assert [m.status_code for m in misses] == [404, 404, 404]
    bodies = {re.search(r'role="alert"[^>]*>([^<]+)<', m.text).group(1) for m in misses}  # type: ignore[union-attr]
    assert bodies == {"未找到符合这些信息的申请，请核对后重试。"}
    en = httpx.Client(base_url=demo_site.url, cookies=dict(client.cookies), timeout=30)
    with en:
        page = en.post(
            "/progress?lang=en",
            data={"csrf_token": csrf, "application_no": number,
                  "id_last_four": id_number[-4:], "query_code": code},
        )  # fmt: skip
    assert page.status_code == 200
    assert "Application number" in page.text
    assert any(
        word in page.text
        for word in ("Approved in principle", "Under manual review", "We cannot approve")
    )


# --- rate limit and phone screens ------------------------------------------------------------------


def test_the_third_quick_submission_is_rate_limited(
    demo_site: DemoSite, serve: Callable[[FastAPI], AbstractContextManager[str]]
) -> None:
    settings = demo_site.bank.settings.model_copy(
        update={"rate_limit_submit_per_minute": 2, "rate_limit_portal_per_minute": 1000}
    )
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        csrf = hidden(client.get("/progress").text, "csrf_token")
        data = {"csrf_token": csrf, "application_no": "WA1", "id_last_four": "1234",
                "query_code": "000000"}  # fmt: skip
        answers = [client.post("/progress", data=data) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    limited = answers[2]
    assert int(limited.headers["Retry-After"]) >= 1
    # a page answer for a browser, in both languages
    assert limited.headers["content-type"].startswith("text/html")
    assert 'data-error="request.rate_limited"' in limited.text
    assert "请求过于频繁" in limited.text
    assert "Too many requests" in limited.text


def test_the_portal_css_targets_phone_screens(demo_site: DemoSite) -> None:
    with demo_site.client() as client:
        page = client.get("/")
        css = client.get("/static/css/portal.css")
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page.text
    assert "css/portal.css" in page.text
    assert css.status_code == 200
    assert "min-height: 44px" in css.text
    assert "grid-template-columns: 1fr;" in css.text  # one column by default (phones)


@pytest.mark.parametrize("path", ["/", f"/apply/{ON_SAMPLE}", "/calculator", "/progress"])
def test_portal_pages_hold_no_inline_script(demo_site: DemoSite, path: str) -> None:
    with demo_site.client() as client:
        text = client.get(path).text
    for tag in re.findall(r"<script[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag
    assert "onclick" not in text
