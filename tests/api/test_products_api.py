"""The products API over real HTTP on the demo bank: the catalogue with today's rates and APR, a
quote whose schedule agrees with numpy-financial to the fen, and audited edits that report every
invalid field at once and change nothing when refused."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import numpy_financial as npf
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanpilot.audit.models import AuditLog
from loanpilot.kit.clock import business_today
from loanpilot.products.models import LoanProduct, LprRate, LprTerm
from loanpilot.products.rules import EDITABLE

EDITABLE_COLUMNS = EDITABLE  # the columns an edit may change


def half_up(x: float) -> int:
    return int(Decimal(repr(float(x))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def row_of(engine: Any, code: str) -> dict[str, Any]:
    with Session(engine) as session:
        product = session.scalars(select(LoanProduct).where(LoanProduct.code == code)).one()
        values = {c: getattr(product, c) for c in EDITABLE_COLUMNS}
        values["status"] = product.status.value
        values["id"] = product.id
        return values


def product_id(demo_site: Any, code: str) -> int:
    return int(row_of(demo_site.bank.engine, code)["id"])


def lpr_on(engine: Any, term: LprTerm, on: Any) -> Decimal:
    with Session(engine) as session:
        return Decimal(
            session.scalars(
                select(LprRate.rate)
                .where(LprRate.term == term, LprRate.effective_on <= on)
                .order_by(LprRate.effective_on.desc())
                .limit(1)
            ).one()
        )


def audit_rows(engine: Any, entity_id: int) -> list[AuditLog]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditLog)
                .where(AuditLog.action == "product.update", AuditLog.entity_id == str(entity_id))
                .order_by(AuditLog.id)
            )
        )


@pytest.fixture
def restore(demo_site: Any) -> Iterator[list[str]]:
    """Codes of products a test edits: put back as they were afterwards (the site is shared)."""

    saved: dict[str, dict[str, Any]] = {}

    class Track(list[str]):
        def append(self, code: str) -> None:
            saved.setdefault(code, row_of(demo_site.bank.engine, code))
            super().append(code)

    tracked = Track()
    yield tracked
    with Session(demo_site.bank.engine) as session, session.begin():
        for _code, values in saved.items():
            product = session.get(LoanProduct, values["id"])
            assert product is not None
            for column in EDITABLE_COLUMNS:
                setattr(product, column, values[column])


# --- reading -------------------------------------------------------------------------------------


def test_catalogue_lists_every_product_with_todays_rates(demo_site: Any) -> None:
    engine = demo_site.bank.engine
    with Session(engine) as session:
        total = session.scalar(select(func.count()).select_from(LoanProduct))
        housing = session.scalar(
            select(func.count())
            .select_from(LoanProduct)
            .where(LoanProduct.product_type == "housing")
        )
    with demo_site.client(headers=demo_site.bearer("service")) as client:
        everything = client.get("/api/v1/products")
        only_housing = client.get("/api/v1/products", params={"product_type": "housing"})
    assert everything.status_code == 200, everything.text
    body = everything.json()
    assert body["total"] == total == len(body["items"]) == 14
    assert only_housing.json()["total"] == housing == 4
    assert {i["product_type"] for i in only_housing.json()["items"]} == {"housing"}
    today = business_today(demo_site.bank.settings.tz)
    lpr1 = lpr_on(engine, LprTerm.ONE_YEAR, today)
    by_code = {i["code"]: i for i in body["items"]}
    edu = by_code["CL-EDU"]  # fixed rate: the spread is the rate itself
    assert Decimal(edu["price"]["min_rate"]) == Decimal(edu["min_spread"]) == Decimal("0.036")
    assert Decimal(edu["price"]["max_rate"]) == Decimal("0.06")
    assert edu["min_amount_fen"] == 500_000
    assert edu["min_amount_yuan"] == "5000.00"
    crd = by_code["BL-CRD"]  # 1-year LPR + 1.00 % .. 5.00 %
    assert Decimal(crd["price"]["base_rate"]) == lpr1
    assert Decimal(crd["price"]["min_rate"]) == lpr1 + Decimal("0.01")
    assert Decimal(crd["price"]["max_rate"]) == lpr1 + Decimal("0.05")
    # no fees: the APR of a 12-month equal instalment loan is its nominal rate (to rounding)
    assert abs(Decimal(crd["price"]["min_apr"]) - (lpr1 + Decimal("0.01"))) < Decimal("0.00001")


def test_read_product_gives_todays_rate_and_apr(demo_site: Any) -> None:
    engine = demo_site.bank.engine
    pid = product_id(demo_site, "HL-COM")
    with demo_site.client(headers=demo_site.bearer("auditor")) as client:
        response = client.get(f"/api/v1/products/{pid}")
        missing = client.get("/api/v1/products/999999")
    assert response.status_code == 200, response.text
    body = response.json()
    today = business_today(demo_site.bank.settings.tz)
    lpr5 = lpr_on(engine, LprTerm.OVER_FIVE_YEARS, today)
    assert body["code"] == "HL-COM"
    assert Decimal(body["price"]["base_rate"]) == lpr5
    assert Decimal(body["price"]["min_rate"]) == lpr5 - Decimal("0.003")
    assert body["price"]["sample_term_months"] == 60  # 12 months is below its shortest term
    assert body["price"]["min_apr"] is not None
    assert body["eligibility"]["min_age"] == 18
    assert missing.status_code == 404
    assert missing.json()["error"] == "product.not_found"


def test_anonymous_callers_are_refused(demo_site: Any) -> None:
    with demo_site.client() as client:
        assert client.get("/api/v1/products").status_code == 401
        assert client.patch("/api/v1/products/1", json={"name_en": "x"}).status_code == 401


# --- quotes --------------------------------------------------------------------------------------


def test_quote_schedule_agrees_with_numpy_financial(demo_site: Any) -> None:
    pid = product_id(demo_site, "CL-GEN")  # fixed 3.20 % .. 8.00 %
    with demo_site.client(headers=demo_site.bearer("risk")) as client:
        response = client.get(
            f"/api/v1/products/{pid}/quote",
            params={"amount_fen": 10_000_000, "term_months": 24, "method": "equal_instalment"},
        )
        default = client.get(f"/api/v1/products/{pid}/quote")
    assert response.status_code == 200, response.text
    q = response.json()
    assert Decimal(q["annual_rate"]) == Decimal("0.032")
    r = 0.032 / 12
    instalment = half_up(-npf.pmt(r, 24, 10_000_000))
    rows = q["schedule"]
    assert len(rows) == 24
    assert [row["payment_fen"] for row in rows[:-1]] == [instalment] * 23
    for k, row in enumerate(rows, start=1):
        assert (
            row["interest_fen"] == half_up(-npf.ipmt(r, k, 24, 10_000_000))
            or abs(row["interest_fen"] - (-npf.ipmt(r, k, 24, 10_000_000))) <= 1
        )  # the schedule runs on rounded balances; ipmt on exact ones
        assert row["interest_fen"] == half_up(row["opening_principal_fen"] * r)
    assert rows[0]["interest_fen"] == half_up(-npf.ipmt(r, 1, 24, 10_000_000))
    assert sum(row["principal_fen"] for row in rows) == 10_000_000
    assert q["total_interest_fen"] == sum(row["interest_fen"] for row in rows)
    assert q["total_payment_fen"] == 10_000_000 + q["total_interest_fen"]
    assert (
        q["total_payment_yuan"]
        == f"{q['total_payment_fen'] // 100}.{q['total_payment_fen'] % 100:02d}"
    )
    irr = float(npf.irr(np.r_[-10_000_000.0, [row["payment_fen"] for row in rows]])) * 12
    assert abs(float(q["apr"]) - irr) < 1e-6
    # the representative loan: the mid amount (¥25.25万 → ¥25万), 12 months, first method
    d = default.json()
    assert (d["amount_fen"], d["term_months"], d["method"]) == (25_000_000, 12, "equal_instalment")


def test_quote_of_a_fee_product_shows_the_fee_in_the_apr(demo_site: Any) -> None:
    pid = product_id(demo_site, "CL-TRV")  # fixed 3.60 %, monthly fee 0.15 %
    with demo_site.client(headers=demo_site.bearer("marketing")) as client:
        q = client.get(
            f"/api/v1/products/{pid}/quote", params={"amount_fen": 1_200_000, "term_months": 12}
        ).json()
    assert all(row["fee_fen"] == 1_800 for row in q["schedule"])  # 0.15 % of ¥12,000
    assert q["total_fee_fen"] == 21_600
    flows = [row["payment_fen"] for row in q["schedule"]]
    irr = float(npf.irr(np.r_[-1_200_000.0, flows])) * 12
    assert abs(float(q["apr"]) - irr) < 1e-6
    assert Decimal(q["apr"]) > Decimal(q["annual_rate"]) + Decimal("0.03")


def test_quote_problems_are_reported_together(demo_site: Any) -> None:
    edu = product_id(demo_site, "CL-EDU")
    combo = product_id(demo_site, "HL-COMBO")
    with demo_site.client(headers=demo_site.bearer("risk")) as client:
        bad = client.get(
            f"/api/v1/products/{edu}/quote",
            params={"amount_fen": 100, "term_months": 400, "method": "bullet"},
        )
        parts = client.get(f"/api/v1/products/{combo}/quote")
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["fields"]} == {"amount", "term_months", "method"}
    assert parts.status_code == 422
    assert parts.json()["fields"][0]["field"] == "product"


# --- editing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["auditor", "service", "manager", "approver"])
def test_roles_without_products_write_may_not_edit(demo_site: Any, user: str) -> None:
    pid = product_id(demo_site, "CL-MED")
    before = row_of(demo_site.bank.engine, "CL-MED")
    with demo_site.client(headers=demo_site.bearer(user)) as client:
        response = client.patch(f"/api/v1/products/{pid}", json={"name_en": "Hacked"})
    assert response.status_code == 403
    assert response.json()["error"] == "auth.forbidden"
    assert row_of(demo_site.bank.engine, "CL-MED") == before


def test_invalid_edit_lists_every_field_and_changes_nothing(
    demo_site: Any, restore: list[str]
) -> None:
    restore.append("CL-AUTO")
    pid = product_id(demo_site, "CL-AUTO")
    before = row_of(demo_site.bank.engine, "CL-AUTO")
    audits = len(audit_rows(demo_site.bank.engine, pid))
    with demo_site.client(headers=demo_site.bearer("marketing")) as client:
        response = client.patch(
            f"/api/v1/products/{pid}",
            json={
                "name_zh": "",
                "name_en": "y" * 101,
                "status": "launched",
                "min_amount_fen": -1,
                "max_term_months": 361,
                "min_spread": "0.2",
                "max_spread": "-0.02",
                "monthly_fee_rate": "-0.001",
                "repayment_methods": [],
            },
        )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "product.invalid"
    assert {f["field"] for f in body["fields"]} == {
        "name_zh",
        "name_en",
        "status",
        "min_amount_fen",
        "max_term_months",
        "min_spread",
        "max_spread",
        "monthly_fee_rate",
        "repayment_methods",
    }
    assert row_of(demo_site.bank.engine, "CL-AUTO") == before
    assert len(audit_rows(demo_site.bank.engine, pid)) == audits


@pytest.mark.parametrize("user", ["marketing", "risk"])
def test_edit_by_marketing_or_risk_is_saved_and_audited(
    demo_site: Any, restore: list[str], user: str
) -> None:
    restore.append("CL-RENO")
    pid = product_id(demo_site, "CL-RENO")
    before = row_of(demo_site.bank.engine, "CL-RENO")
    with demo_site.client(headers=demo_site.bearer(user)) as client:
        response = client.patch(
            f"/api/v1/products/{pid}",
            json={
                "max_spread": "0.0700",
                "min_term_months": 6,
                "repayment_methods": ["equal_instalment"],
                "name_zh": before["name_zh"],  # unchanged: not in the audit
            },
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert Decimal(body["max_spread"]) == Decimal("0.07")
    assert body["min_term_months"] == 6
    after = row_of(demo_site.bank.engine, "CL-RENO")
    assert after["max_spread"] == Decimal("0.07")
    assert after["repayment_methods"] == ["equal_instalment"]
    assert after["name_zh"] == before["name_zh"]
    audit = audit_rows(demo_site.bank.engine, pid)[-1]
    assert audit.entity == "product"
    assert audit.actor_label == f"user:{user}"
    assert audit.actor_staff_id is not None
    assert audit.detail["changed"] == ["min_term_months", "max_spread", "repayment_methods"]
    assert audit.detail["old"] == {
        "min_term_months": 12,
        "max_spread": "0.068",
        "repayment_methods": ["equal_instalment", "equal_principal"],
    }
    assert audit.detail["new"]["max_spread"] == "0.07"


def test_unknown_field_is_refused(demo_site: Any) -> None:
    pid = product_id(demo_site, "CL-RENO")
    with demo_site.client(headers=demo_site.bearer("marketing")) as client:
        response = client.patch(f"/api/v1/products/{pid}", json={"code": "NEW"})
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"].endswith("code")
