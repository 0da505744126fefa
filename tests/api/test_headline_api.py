"""Headline figures: the service on a known dataset, and ``/api/v1/headline`` over real HTTP.

Both run on SQLite and PostgreSQL (the ``database_url`` fixture). The dataset is the ``known_bank``
fixture of ``tests/conftest.py``, where every figure is worked out by hand; the month bounds are
Asia/Shanghai business months, and one application is placed where a UTC-date grouping would put
it in the wrong month. The API needs a bearer token of a staff member holding ``dashboard:view``;
the dashboard tests (``tests/api/test_dashboard_api.py``, ``tests/web``) check the same dataset.
"""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from loanpilot.access.service import create_staff_user, issue_api_token, sync_permission_matrix
from loanpilot.app import SessionDep, create_app
from loanpilot.config import Settings, get_settings
from loanpilot.db.session import transaction
from loanpilot.evaluation.service import SchemaNotReadyError, headline_figures
from loanpilot.kit.clock import business_today
from loanpilot.kit.errors import FieldProblem, ValidationError
from loanpilot.team.models import Branch, BranchLevel, Role


def staff_token(factory: sessionmaker[Session]) -> dict[str, str]:
    """The ``Authorization`` header of a new administrator's API token."""
    now = datetime.now(UTC)
    with transaction(factory) as session:
        sync_permission_matrix(session)
        account = create_staff_user(
            session,
            username="headline",
            password="Head-line-2026!",
            name="测试员",
            role=Role.ADMINISTRATOR,
            now=now,
        )
        token, _ = issue_api_token(session, account_id=account.id, name="tests", now=now)
    return {"Authorization": f"Bearer {token}"}


# --- the service -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "today",
    [date(2026, 3, 15), date(2026, 1, 10), date(2026, 2, 28), date(2026, 12, 1)],
    ids=["mid-month", "january", "month-end", "first-of-month"],
)
def test_headline_figures_on_the_known_dataset(
    session_factory: sessionmaker[Session], known_bank, today: date
) -> None:
    with transaction(session_factory) as session:
        known_bank.seed(session, today)

    with transaction(session_factory) as session:
        figures = headline_figures(session, today)

    assert figures.as_of == today
    assert figures.customers == known_bank.customers
    assert figures.customers_with_consent == known_bank.customers_with_consent
    assert figures.active_loans == known_bank.active_loans
    assert figures.outstanding_balance_fen == known_bank.balance_fen
    assert figures.npl_balance_fen == known_bank.npl_fen
    assert figures.npl_ratio == Decimal("0.2")
    assert figures.applications_this_month == known_bank.applications_this_month
    assert figures.approved_this_month == known_bank.approved_this_month
    assert figures.disbursed_this_month_fen == known_bank.disbursed_this_month_fen
    assert figures.by_five_class == {
        "normal": known_bank.normal_fen,
        "special_mention": 0,
        "substandard": known_bank.npl_fen,
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
    assert figures.monthly == known_bank.monthly(today)
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


def test_service_does_not_commit(session_factory: sessionmaker[Session], known_bank) -> None:
    session = session_factory()
    try:
        known_bank.seed(session, date(2026, 3, 15))
        assert headline_figures(session, date(2026, 3, 15)).customers == 3
        session.rollback()
        assert headline_figures(session, date(2026, 3, 15)).customers == 0
    finally:
        session.close()


# --- over HTTP -------------------------------------------------------------------------------------


def test_headline_api_returns_the_known_figures(
    settings: Settings, session_factory: sessionmaker[Session], known_bank, serve
) -> None:
    today = business_today(settings.tz)
    with transaction(session_factory) as session:
        known_bank.seed(session, today)
    headers = staff_token(session_factory)

    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        anonymous = client.get("/api/v1/headline")
        response = client.get("/api/v1/headline", headers=headers)

    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "auth.required"
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
    assert body["applications_this_month"] == known_bank.applications_this_month
    assert body["approved_this_month"] == known_bank.approved_this_month
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
        for m in known_bank.monthly(today)
    ]


def test_healthz_and_openapi(settings: Settings, migrated_engine: Engine, serve) -> None:
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
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


def test_empty_bank_over_http(
    settings: Settings, session_factory: sessionmaker[Session], serve
) -> None:
    headers = staff_token(session_factory)  # makes the head office, but no customer
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        body = client.get("/api/v1/headline", headers=headers).json()

    assert body["customers"] == 0
    assert body["outstanding_balance_fen"] == 0
    assert body["npl_ratio"] is None
    assert len(body["monthly"]) == 12


def test_unmigrated_database_gives_the_error_shape(settings: Settings, serve) -> None:
    # Over HTTP the staff tables are missing too, so the caller cannot even be identified: the
    # answer is the one error shape; the service itself names the missing migration.
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        headline = client.get("/api/v1/headline")
        health = client.get("/healthz")
        missing = client.get("/api/v1/no-such-thing")

    assert headline.status_code == 401
    assert set(headline.json()) == {"error", "detail", "fields"}
    # The server itself is fine and the database answers: the schema is what is missing.
    assert health.json() == {"status": "ok", "database": "ok"}
    assert missing.status_code == 404
    assert missing.json() == {"error": "http.404", "detail": "Not Found", "fields": []}

    app = create_app(settings)
    try:
        with Session(app.state.engine) as session, pytest.raises(SchemaNotReadyError) as caught:
            headline_figures(session, date(2026, 3, 15))
    finally:
        app.state.engine.dispose()
    assert caught.value.code == "database.not_migrated"
    assert "loanpilot db upgrade" in caught.value.message


def test_unreachable_database_fails_the_health_check(tmp_var: Path, serve) -> None:
    # A PostgreSQL URL on a loopback port nobody listens on: the database does not answer.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    closed_port = probe.getsockname()[1]
    probe.close()
    url = f"postgresql+psycopg://nobody@127.0.0.1:{closed_port}/nothing?connect_timeout=2"
    settings = get_settings(environment="test", var_dir=tmp_var, database_url=url)

    with (
        serve(create_app(settings)) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        health = client.get("/healthz")

    assert health.status_code == 503
    assert health.json() == {"status": "error", "database": "unavailable"}


def test_instants_in_the_known_dataset_straddle_utc_midnight(known_bank) -> None:
    # Guards the dataset itself: A1 must fall on a different UTC date than its Shanghai date.
    first = date(2026, 3, 1)
    assert known_bank.at(first, 0, 30).astimezone(UTC).date() == date(2026, 2, 28)


def test_the_request_owns_the_transaction(
    settings: Settings, migrated_engine: Engine, serve
) -> None:
    """Work done in a request is committed when it succeeds and rolled back when it raises, and
    every DomainError comes back in the one error shape."""
    app = create_app(settings)

    @app.post("/api/test/branches/{code}")
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

    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        kept = client.post("/api/test/branches/KEEP")
        dropped = client.post("/api/test/branches/DROP", params={"fail": "true"})
        bad_query = client.post("/api/test/branches/X", params={"fail": "maybe"})

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
    settings: Settings, caplog: pytest.LogCaptureFixture, serve
) -> None:
    """A problem's value may be an ID or phone number (JR/T 0171 C2): the JSON error body, the
    exception's repr and str, and the server's log name the field and the reason, never the value."""
    id_number = "11010519491231002X"
    app = create_app(settings)
    raised: list[ValidationError] = []

    @app.post("/api/test/customers")
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

    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        response = client.post("/api/test/customers")

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
