"""The portal's JSON API over real HTTP on the demo bank: the calculator against numpy-financial
and products.service.quote, applications once per Idempotency-Key (201, then 200 with the same
application), validation listing every problem, progress, and the submission rate limit."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import httpx
import numpy_financial as npf
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from loanpilot.app import create_app
from loanpilot.customers.models import Consent, Customer
from loanpilot.kit.ids import make_resident_id
from loanpilot.lending.models import Application
from loanpilot.products.service import get_product_by_code, quote

if TYPE_CHECKING:
    from tests.conftest import DemoSite

PRODUCT = "BL-CRD"  # equal instalment, interest only and bullet
_seq = itertools.count(1)


def new_id() -> str:
    """A valid resident ID no other test uses (API tests: region 330108)."""
    n = next(_seq)
    return make_resident_id("330108", date(1971, 3, 1) + timedelta(days=89 * n), n % 1000, False)


def body(id_number: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "product": PRODUCT,
        "name": "接口申请人",
        "id_number": id_number,
        "phone": "13900139000",
        "amount_yuan": "200000",
        "term_months": 12,
        "method": "equal_instalment",
        "purpose": "经营周转",
        "monthly_income_yuan": "30000",
        "occupation": "self_employed",
        "consent_data_processing": True,
        "consent_marketing": True,
    }
    data.update(overrides)
    return data


def counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(Application)) or 0,
            s.scalar(select(func.count()).select_from(Customer)) or 0,
            s.scalar(select(func.count()).select_from(Consent)) or 0,
        )


def half_up(x: float) -> int:
    return int(Decimal(repr(float(x))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_calculator_quotes_every_method_like_products_quote(demo_site: DemoSite) -> None:
    with demo_site.client() as client:
        answer = client.get(
            "/api/v1/portal/calculator",
            params={"product": PRODUCT, "amount_fen": 30_000_000, "term_months": 36},
        )
    assert answer.status_code == 200, answer.text
    data = answer.json()
    by_method = {m["method"]: m for m in data["methods"]}
    assert list(by_method) == ["equal_instalment", "equal_principal", "interest_only", "bullet"]
    with Session(demo_site.bank.engine) as s:
        product = get_product_by_code(s, PRODUCT)
        quotes = {
            m: quote(s, product, amount_fen=30_000_000, term_months=36, method=m, on=date.today())
            for m in product.repayment_methods
        }
    for method, entry in by_method.items():
        assert entry["offered"] is (method in quotes)
        if method not in quotes:
            assert entry["schedule"] == []
            continue
        q = quotes[method]
        assert Decimal(entry["apr"]) == q.apr
        assert Decimal(entry["annual_rate"]) == q.annual_rate
        assert entry["first_payment_fen"] == q.first_payment_fen
        assert entry["total_interest_fen"] == q.total_interest_fen
        assert entry["total_fee_fen"] == q.total_fee_fen
        assert [r["payment_fen"] for r in entry["schedule"]] == q.schedule.payment_fen.tolist()
    ei = quotes["equal_instalment"]
    instalment = half_up(-npf.pmt(float(ei.annual_rate) / 12, 36, 30_000_000))
    payments = [r["payment_fen"] for r in by_method["equal_instalment"]["schedule"]]
    assert payments[:-1] == [instalment] * 35
    assert abs(payments[-1] - instalment) <= 36
    assert sum(r["principal_fen"] for r in by_method["equal_instalment"]["schedule"]) == 30_000_000
    assert len(by_method["bullet"]["schedule"]) == 1


def test_calculator_rejects_amounts_outside_the_product(demo_site: DemoSite) -> None:
    with demo_site.client() as client:
        answer = client.get(
            "/api/v1/portal/calculator",
            params={"product": PRODUCT, "amount_fen": 1, "term_months": 9999},
        )
        unknown = client.get(
            "/api/v1/portal/calculator",
            params={"product": "NOPE", "amount_fen": 100, "term_months": 12},
        )
    assert answer.status_code == 422
    assert {f["field"] for f in answer.json()["fields"]} == {"amount", "term_months"}
    assert unknown.status_code == 404


def test_submit_once_per_idempotency_key(demo_site: DemoSite) -> None:
    engine = demo_site.bank.engine
    id_number = new_id()
    before = counts(engine)
    headers = {"Idempotency-Key": "api-test-key-0001-" + id_number[-6:]}
    with demo_site.client() as client:
        first = client.post("/api/v1/portal/applications", json=body(id_number), headers=headers)
        after_first = counts(engine)
        again = client.post("/api/v1/portal/applications", json=body(id_number), headers=headers)
        other = client.post("/api/v1/portal/applications", json=body(new_id()), headers=headers)
    assert first.status_code == 201, first.text
    assert again.status_code == 200
    assert again.json()["application_no"] == first.json()["application_no"]
    assert again.json()["query_code"] == first.json()["query_code"]
    assert (first.json()["replayed"], again.json()["replayed"]) == (False, True)
    assert after_first == (before[0] + 1, before[1] + 1, before[2] + 2)
    assert counts(engine) == after_first
    assert other.status_code == 409  # the key belongs to someone else's application
    assert id_number not in first.text


def test_every_problem_is_listed_and_nothing_written(demo_site: DemoSite) -> None:
    engine = demo_site.bank.engine
    good = new_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    before = counts(engine)
    with demo_site.client() as client:
        answer = client.post(
            "/api/v1/portal/applications",
            json=body(bad, amount_yuan="1", consent_data_processing=False),
            headers={"Idempotency-Key": "api-test-invalid-0001"},
        )
        missing_key = client.post("/api/v1/portal/applications", json=body(good))
    assert answer.status_code == 422
    problems = answer.json()["fields"]
    assert {p["field"] for p in problems} == {"id_number", "amount_yuan", "consent_data"}
    assert bad not in answer.text
    assert missing_key.status_code == 422
    assert counts(engine) == before


def test_progress_by_number_last_four_and_code(demo_site: DemoSite) -> None:
    id_number = new_id()
    with demo_site.client() as client:
        made = client.post(
            "/api/v1/portal/applications",
            json=body(id_number),
            headers={"Idempotency-Key": "api-test-progress-" + id_number[-6:]},
        ).json()
        query = {
            "application_no": made["application_no"],
            "id_last_four": id_number[-4:],
            "query_code": made["query_code"],
        }
        ok = client.post("/api/v1/portal/applications/progress", json=query)
        wrong = client.post(
            "/api/v1/portal/applications/progress",
            json={**query, "query_code": f"{(int(made['query_code']) + 7) % 10**6:06d}"},
        )
    assert ok.status_code == 200
    data = ok.json()
    assert data["status"] in {"approved", "referred", "declined"}  # decided at submission
    assert data["decision"]["outcome"] in {"approve", "refer", "decline"}
    assert [s["stage"] for s in data["stages"]] == [
        "submitted",
        "under_review",
        "decided",
        "disbursed",
    ]
    assert data["stages"][0]["at"] is not None
    assert data["stages"][2]["at"] is not None  # decided
    assert wrong.status_code == 404
    assert wrong.json()["error"] == "application.not_found"
    assert wrong.json()["fields"] == []


def test_the_api_rate_limits_the_third_quick_submission(
    demo_site: DemoSite, serve: Callable[[FastAPI], AbstractContextManager[str]]
) -> None:
    settings = demo_site.bank.settings.model_copy(update={"rate_limit_submit_per_minute": 2})
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        query = {"application_no": "WA1", "id_last_four": "1234", "query_code": "000000"}
        answers = [
            client.post("/api/v1/portal/applications/progress", json=query) for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert answers[2].json()["error"] == "request.rate_limited"
    assert "Too many requests" in answers[2].json()["detail"]
