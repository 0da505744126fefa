"""Headline figures: the service on a known dataset, and ``/api/v1/headline`` over real HTTP.

Both run on SQLite and PostgreSQL (the ``database_url`` fixture). The dataset is small and every
figure is worked out by hand below; the month bounds are Asia/Shanghai business months, and one
application is placed where a UTC-date grouping would put it in the wrong month.
"""

from __future__ import annotations

import socket
import threading
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.app import SessionDep, create_app
from loanpilot.config import Settings, get_settings
from loanpilot.customers.models import Channel, Customer, Gender, Occupation
from loanpilot.db.session import transaction
from loanpilot.evaluation.service import MonthFigures, add_months, headline_figures
from loanpilot.kit.clock import SHANGHAI, business_today
from loanpilot.kit.errors import FieldProblem, ValidationError
from loanpilot.lending.models import Application, ApplicationStatus, Loan, LoanStatus
from loanpilot.products.models import (
    CollateralKind,
    LoanProduct,
    ProductSubtype,
    ProductType,
    RateBasis,
    RepaymentMethod,
)
from loanpilot.risk.models import Decision, DecisionOutcome
from loanpilot.team.models import Branch, BranchLevel

# --- the known dataset -----------------------------------------------------------------------------
#
# customers: 3, of whom 2 consent to marketing
# loans (outstanding principal, fen):
#   L1  repaying  normal       3,000,000  disbursed 3,500,000 on the 1st of this month
#   L2  repaying  substandard  2,000,000  disbursed two years ago            -> NPL
#   L3  written off, loss        500,000  (not repaying: not counted)
#   L4  repaying 组合贷 commercial part 3,000,000 + L4b provident-fund part 2,000,000 (parent L4), disbursed last month
# active loans 3 (L1, L2, L4); balance 10,000,000 (L1 + L2 + L4 + L4b); NPL 2,000,000
# -> ratio 0.2. Applications: 4 submitted this month (one at 00:30 on the 1st, Shanghai time, which
# is still the previous day in UTC), 2 last month, 1 draft never submitted.
# Approved this month: 4 applications with an "approve" decision made this month (table decisions):
#   A1  approved twice (re-approved after its terms changed): counted once
#   A2  referred to manual review, then approved
#   A5  submitted last month, approved at 00:10 on the 1st (Shanghai; the previous day in UTC)
#   A7  approved, then withdrawn (the applicant declined the offer): an approval all the same
# Not counted: A3 (declined), A6 (approved last month), A4 (a draft, no decision).

APPLICATIONS_THIS_MONTH = 4
APPLICATIONS_LAST_MONTH = 2
APPROVED_THIS_MONTH = 4
BALANCE_FEN = 10_000_000
NPL_FEN = 2_000_000
DISBURSED_THIS_MONTH_FEN = 3_500_000
DISBURSED_LAST_MONTH_FEN = 5_000_000


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant given in Shanghai wall-clock time."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def seed_known_bank(session: Session, today: date) -> None:
    this_month = today.replace(day=1)
    last_month_end = this_month - timedelta(days=1)
    last_month_10th = last_month_end.replace(day=10)

    branch = Branch(
        code="B001", name="演示分行", level=BranchLevel.BRANCH, province="浙江省", city="杭州市"
    )
    product = LoanProduct(
        code="P-CONSUMER",
        name_zh="综合消费贷",
        name_en="Consumer loan",
        product_type=ProductType.CONSUMER,
        subtype=ProductSubtype.GENERAL_CONSUMER,
        min_amount_fen=1_000_000,
        max_amount_fen=50_000_000,
        min_term_months=6,
        max_term_months=60,
        rate_basis=RateBasis.FIXED,
        min_spread=Decimal("0.04"),
        max_spread=Decimal("0.12"),
        repayment_methods=[RepaymentMethod.EQUAL_INSTALMENT.value],
        collateral_required=CollateralKind.NONE,
        launched_on=date(2020, 1, 1),
    )
    session.add_all([branch, product])
    session.flush()

    customers = [
        Customer(
            customer_no=f"C{i:05d}",
            name=name,
            id_number_enc=b"x" * 16,
            id_number_hash=bytes([i]) * 16,
            birth_date=date(1988, 5, i),
            gender=Gender.MALE if i % 2 else Gender.FEMALE,
            occupation=Occupation.COMPANY_EMPLOYEE,
            monthly_income_fen=1_500_000,
            province="浙江省",
            city="杭州市",
            home_branch_id=branch.id,
            source_channel=Channel.BRANCH,
            marketing_consent=consent,
            since=date(2020, 1, 1),
        )
        for i, (name, consent) in enumerate([("张三", True), ("李四", True), ("王五", False)], 1)
    ]
    session.add_all(customers)
    session.flush()
    c1, c2, c3 = customers

    def loan(
        no: str,
        customer: Customer,
        principal: int,
        outstanding: int,
        disbursed_on: date,
        *,
        status: LoanStatus = LoanStatus.REPAYING,
        five_class: str = "normal",
        parent: Loan | None = None,
    ) -> Loan:
        return Loan(
            loan_no=no,
            parent_loan_id=parent.id if parent else None,
            customer_id=customer.id,
            product_id=product.id,
            branch_id=branch.id,
            channel=Channel.BRANCH,
            principal_fen=principal,
            rate_basis=RateBasis.FIXED,
            base_rate=Decimal(0),
            spread=Decimal("0.06"),
            annual_rate=Decimal("0.06"),
            apr=Decimal("0.06"),
            term_months=36,
            repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
            disbursed_on=disbursed_on,
            first_due_on=disbursed_on + timedelta(days=30),
            maturity_on=disbursed_on + timedelta(days=3 * 365),
            status=status,
            outstanding_principal_fen=outstanding,
            five_class=five_class,
        )

    parent = loan("L4", c3, 3_000_000, 3_000_000, last_month_10th)
    session.add_all(
        [
            loan("L1", c1, DISBURSED_THIS_MONTH_FEN, 3_000_000, this_month),
            loan(
                "L2", c2, 3_000_000, NPL_FEN, date(today.year - 2, 1, 15), five_class="substandard"
            ),
            loan(
                "L3",
                c2,
                1_000_000,
                500_000,
                date(today.year - 3, 6, 1),
                status=LoanStatus.WRITTEN_OFF,
                five_class="loss",
            ),
            parent,
        ]
    )
    session.flush()
    session.add_all(
        [
            loan("L4b", c3, 2_000_000, 2_000_000, last_month_10th, parent=parent),
        ]
    )

    def application(
        no: str,
        customer: Customer,
        status: ApplicationStatus,
        submitted_at: datetime | None,
        decided_at: datetime | None = None,
    ) -> Application:
        return Application(
            application_no=no,
            customer_id=customer.id,
            product_id=product.id,
            channel=Channel.MOBILE,
            branch_id=branch.id,
            amount_fen=3_000_000,
            term_months=36,
            repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
            status=status,
            submitted_at=submitted_at,
            decided_at=decided_at,
        )

    applications = [
        # This month (the first one is 16:30 UTC on the last day of last month).
        application(
            "A1", c1, ApplicationStatus.DISBURSED, _at(this_month, 0, 30), _at(this_month, 9)
        ),
        application("A2", c2, ApplicationStatus.APPROVED, _at(this_month, 10), _at(this_month, 11)),
        application("A3", c3, ApplicationStatus.DECLINED, _at(this_month, 12), _at(this_month, 13)),
        application("A4", c3, ApplicationStatus.DRAFT, None),
        # Approved, then the applicant declined the offer: its status no longer says "approved".
        application(
            "A7", c1, ApplicationStatus.WITHDRAWN, _at(this_month, 14), _at(this_month, 15)
        ),
        # Last month; A5 is decided on the 1st of this month, so it is approved this month.
        application(
            "A5",
            c2,
            ApplicationStatus.APPROVED,
            _at(last_month_end, 23, 30),
            _at(this_month, 0, 10),
        ),
        application(
            "A6",
            c3,
            ApplicationStatus.DISBURSED,
            _at(last_month_10th, 10),
            _at(last_month_10th, 11),
        ),
    ]
    session.add_all(applications)
    session.flush()
    by_no = {a.application_no: a for a in applications}

    def decision(no: str, outcome: DecisionOutcome, decided_at: datetime) -> Decision:
        return Decision(
            application_id=by_no[no].id,
            outcome=outcome,
            reasons=[],
            model_version="scorecard-test",
            policy_version="policy-test",
            decided_at=decided_at,
        )

    session.add_all(
        [
            decision("A1", DecisionOutcome.APPROVE, _at(this_month, 9)),
            decision("A1", DecisionOutcome.APPROVE, _at(this_month, 9, 30)),  # re-approved
            decision("A2", DecisionOutcome.REFER, _at(this_month, 10, 30)),
            decision("A2", DecisionOutcome.APPROVE, _at(this_month, 11)),
            decision("A3", DecisionOutcome.DECLINE, _at(this_month, 13)),
            decision("A7", DecisionOutcome.APPROVE, _at(this_month, 15)),
            decision("A5", DecisionOutcome.APPROVE, _at(this_month, 0, 10)),
            decision("A6", DecisionOutcome.APPROVE, _at(last_month_10th, 11)),
        ]
    )
    session.flush()


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def expected_monthly(today: date) -> list[MonthFigures]:
    this_month = today.replace(day=1)
    series = []
    for back in range(11, -1, -1):
        start = add_months(this_month, -back)
        applications, disbursed = {
            0: (APPLICATIONS_THIS_MONTH, DISBURSED_THIS_MONTH_FEN),
            1: (APPLICATIONS_LAST_MONTH, DISBURSED_LAST_MONTH_FEN),
        }.get(back, (0, 0))
        series.append(MonthFigures(month_label(start), applications, disbursed))
    return series


# --- the service -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "today",
    [date(2026, 3, 15), date(2026, 1, 10), date(2026, 2, 28), date(2026, 12, 1)],
    ids=["mid-month", "january", "month-end", "first-of-month"],
)
def test_headline_figures_on_the_known_dataset(
    session_factory: sessionmaker[Session], today: date
) -> None:
    with transaction(session_factory) as session:
        seed_known_bank(session, today)

    with transaction(session_factory) as session:
        figures = headline_figures(session, today)

    assert figures.as_of == today
    assert figures.customers == 3
    assert figures.customers_with_consent == 2
    assert figures.active_loans == 3
    assert figures.outstanding_balance_fen == BALANCE_FEN
    assert figures.npl_balance_fen == NPL_FEN
    assert figures.npl_ratio == Decimal("0.2")
    assert figures.applications_this_month == APPLICATIONS_THIS_MONTH
    assert figures.approved_this_month == APPROVED_THIS_MONTH
    assert figures.disbursed_this_month_fen == DISBURSED_THIS_MONTH_FEN
    assert figures.by_five_class == {
        "normal": 8_000_000,
        "special_mention": 0,
        "substandard": 2_000_000,
        "doubtful": 0,
        "loss": 0,
    }
    assert list(figures.by_five_class) == [
        "normal",
        "special_mention",
        "substandard",
        "doubtful",
        "loss",
    ]
    assert figures.monthly == expected_monthly(today)
    assert figures.has_data


def test_headline_figures_of_an_empty_bank(session_factory: sessionmaker[Session]) -> None:
    with transaction(session_factory) as session:
        figures = headline_figures(session, date(2026, 3, 15))

    assert not figures.has_data
    assert (figures.customers, figures.active_loans, figures.outstanding_balance_fen) == (0, 0, 0)
    assert figures.npl_ratio is None
    assert figures.applications_this_month == 0
    assert [m.month for m in figures.monthly] == [
        "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09",
        "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03",
    ]  # fmt: skip
    assert all(m.applications == 0 and m.disbursed_fen == 0 for m in figures.monthly)


def test_service_does_not_commit(session_factory: sessionmaker[Session]) -> None:
    session = session_factory()
    try:
        seed_known_bank(session, date(2026, 3, 15))
        assert headline_figures(session, date(2026, 3, 15)).customers == 3
        session.rollback()
        assert headline_figures(session, date(2026, 3, 15)).customers == 0
    finally:
        session.close()


# --- over HTTP -------------------------------------------------------------------------------------


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with Uvicorn on a free loopback port in a background thread; yield its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = clock.monotonic() + 15
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn stopped before it started")
            if clock.monotonic() > deadline:
                raise TimeoutError("uvicorn did not start within 15 s")
            clock.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not shut down"


def test_headline_api_returns_the_known_figures(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    today = business_today(settings.tz)
    with transaction(session_factory) as session:
        seed_known_bank(session, today)

    with serving(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        response = client.get("/api/v1/headline")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["as_of"] == today.isoformat()
    assert body["customers"] == 3
    assert body["customers_with_consent"] == 2
    assert body["active_loans"] == 3
    assert body["outstanding_balance_fen"] == 10_000_000
    assert body["outstanding_balance_yuan"] == "100000.00"
    assert body["npl_balance_fen"] == 2_000_000
    assert body["npl_balance_yuan"] == "20000.00"
    assert body["npl_ratio"] == "0.20000000"
    assert body["applications_this_month"] == APPLICATIONS_THIS_MONTH
    assert body["approved_this_month"] == APPROVED_THIS_MONTH
    assert body["disbursed_this_month_fen"] == 3_500_000
    assert body["disbursed_this_month_yuan"] == "35000.00"
    assert body["by_five_class"] == [
        {"five_class": "normal", "balance_fen": 8_000_000, "balance_yuan": "80000.00"},
        {"five_class": "special_mention", "balance_fen": 0, "balance_yuan": "0.00"},
        {"five_class": "substandard", "balance_fen": 2_000_000, "balance_yuan": "20000.00"},
        {"five_class": "doubtful", "balance_fen": 0, "balance_yuan": "0.00"},
        {"five_class": "loss", "balance_fen": 0, "balance_yuan": "0.00"},
    ]
    assert body["monthly"] == [
        {
            "month": m.month,
            "applications": m.applications,
            "disbursed_fen": m.disbursed_fen,
            "disbursed_yuan": f"{m.disbursed_fen // 100}.{m.disbursed_fen % 100:02d}",
        }
        for m in expected_monthly(today)
    ]


def test_healthz_and_openapi(settings: Settings, migrated_engine: Engine) -> None:
    with serving(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        health = client.get("/healthz")
        docs = client.get("/api/docs")
        spec = client.get("/api/openapi.json")

    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok"}
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert "/api/v1/headline" in paths
    assert "/" not in paths  # the page is not part of the API


def test_empty_bank_over_http(settings: Settings, migrated_engine: Engine) -> None:
    with serving(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        body = client.get("/api/v1/headline").json()

    assert body["customers"] == 0
    assert body["outstanding_balance_fen"] == 0
    assert body["npl_ratio"] is None
    assert len(body["monthly"]) == 12


def test_unmigrated_database_gives_the_error_shape(settings: Settings) -> None:
    with serving(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        headline = client.get("/api/v1/headline")
        health = client.get("/healthz")
        missing = client.get("/api/v1/no-such-thing")

    assert headline.status_code == 503
    body = headline.json()
    assert set(body) == {"error", "detail", "fields"}
    assert body["error"] == "database.not_migrated"
    assert "loanpilot db upgrade" in body["detail"]
    assert body["fields"] == []
    # The server itself is fine and the database answers: the schema is what is missing.
    assert health.json() == {"status": "ok", "database": "ok"}
    assert missing.status_code == 404
    assert missing.json() == {"error": "http.404", "detail": "Not Found", "fields": []}


def test_unreachable_database_fails_the_health_check(tmp_var: Path) -> None:
    # A PostgreSQL URL on a loopback port nobody listens on: the database does not answer.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    closed_port = probe.getsockname()[1]
    probe.close()
    url = f"postgresql+psycopg://nobody@127.0.0.1:{closed_port}/nothing?connect_timeout=2"
    settings = get_settings(environment="test", var_dir=tmp_var, database_url=url)

    with serving(create_app(settings)) as base_url, httpx.Client(base_url=base_url) as client:
        health = client.get("/healthz")

    assert health.status_code == 503
    assert health.json() == {"status": "error", "database": "unavailable"}


def test_instants_in_the_known_dataset_straddle_utc_midnight() -> None:
    # Guards the dataset itself: A1 must fall on a different UTC date than its Shanghai date.
    first = date(2026, 3, 1)
    assert _at(first, 0, 30).astimezone(UTC).date() == date(2026, 2, 28)


def test_the_request_owns_the_transaction(settings: Settings, migrated_engine: Engine) -> None:
    """Work done in a request is committed when it succeeds and rolled back when it raises, and
    every DomainError comes back in the one error shape."""
    app = create_app(settings)

    @app.post("/test/branches/{code}")
    def add_branch(code: str, session: SessionDep, fail: bool = False) -> dict[str, str]:
        session.add(
            Branch(
                code=code,
                name="测试支行",
                level=BranchLevel.SUB_BRANCH,
                province="浙江省",
                city="宁波市",
            )
        )
        session.flush()
        if fail:
            raise ValidationError(
                "branch.invalid",
                "The branch is not valid",
                [FieldProblem("city", "not served", value="宁波市")],
            )
        return {"code": code}

    with serving(app) as url, httpx.Client(base_url=url) as client:
        kept = client.post("/test/branches/KEEP")
        dropped = client.post("/test/branches/DROP", params={"fail": "true"})
        bad_query = client.post("/test/branches/X", params={"fail": "maybe"})

    assert kept.status_code == 200
    assert dropped.status_code == 422
    assert dropped.json() == {
        "error": "branch.invalid",
        "detail": "The branch is not valid",
        "fields": [
            {
                "field": "city",
                "message": "not served",
                "row": None,
                "source": None,
            }
        ],
    }
    assert bad_query.status_code == 422
    assert bad_query.json()["error"] == "request.invalid"
    assert bad_query.json()["fields"][0]["field"] == "query.fail"
    with Session(migrated_engine) as session:
        codes = set(session.scalars(select(Branch.code)))
    assert codes == {"KEEP"}


def test_error_body_never_carries_the_value_given(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A problem's value may be an ID or phone number (JR/T 0171 C2): the JSON error body, the
    exception's repr and str, and the server's log name the field and the reason, never the value."""
    id_number = "11010519491231002X"
    app = create_app(settings)
    raised: list[ValidationError] = []

    @app.post("/test/customers")
    def add_customer() -> None:
        error = ValidationError(
            "customer.invalid",
            "The customer is not valid",
            [
                FieldProblem(
                    "id_number", "check digit should be 3, got X", 2, "c.csv", value=id_number
                )
            ],
        )
        raised.append(error)
        raise error

    with serving(app) as url, httpx.Client(base_url=url) as client:
        response = client.post("/test/customers")

    assert response.status_code == 422
    assert id_number not in response.text
    assert response.json() == {
        "error": "customer.invalid",
        "detail": "The customer is not valid",
        "fields": [
            {
                "field": "id_number",
                "message": "check digit should be 3, got X",
                "row": 2,
                "source": "c.csv",
            }
        ],
    }
    [error] = raised
    assert error.problems[0].value == id_number
    assert id_number not in repr(error)
    assert id_number not in str(error)
    assert id_number not in caplog.text
