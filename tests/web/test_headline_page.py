"""The headline page over real HTTP (Uvicorn on a loopback port, httpx), in Chinese and English,
on SQLite and PostgreSQL; its number formats; and ``loanpilot serve``.

The dataset is the brief's: a branch, a product, 3 customers (2 consenting to marketing), 2 repaying
loans (¥80,000.00 normal + ¥20,000.00 substandard = ¥100,000.00, NPL ratio 20.00 %), 3 applications
this month and 2 last month; ¥90,000.00 disbursed this month. Approved this month: 3, counted from
the decisions table: A1 and A2 (submitted this month) and A5, submitted last month, approved this
month and then withdrawn by the applicant (declined offer), which still counts as an approval.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import typer
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from loanpilot.app import create_app
from loanpilot.config import Settings
from loanpilot.customers.models import Channel, Customer, Gender, Occupation
from loanpilot.db.session import transaction
from loanpilot.kit.clock import SHANGHAI, business_today
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
from loanpilot.web.cli import register
from loanpilot.web.i18n import (
    MESSAGES,
    format_percent,
    format_yuan,
    format_yuan_exact,
    resolve_lang,
    translate,
)

# --- dataset and server ----------------------------------------------------------------------------


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def seed_small_bank(session: Session, today: date) -> None:
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
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
        repayment_methods=["equal_instalment"],
        collateral_required=CollateralKind.NONE,
        launched_on=date(2020, 1, 1),
    )
    session.add_all([branch, product])
    session.flush()
    customers = [
        Customer(
            customer_no=f"C{i:05d}",
            name=f"客户{i}",
            id_number_enc=b"x" * 16,
            id_number_hash=bytes([i]) * 16,
            birth_date=date(1990, 1, i),
            gender=Gender.FEMALE,
            occupation=Occupation.CIVIL_SERVANT,
            monthly_income_fen=1_200_000,
            province="浙江省",
            city="杭州市",
            source_channel=Channel.ONLINE,
            marketing_consent=i != 3,
            since=date(2021, 1, 1),
        )
        for i in (1, 2, 3)
    ]
    session.add_all(customers)
    session.flush()
    for no, customer, principal, outstanding, disbursed_on, five_class in [
        ("L1", customers[0], 9_000_000, 8_000_000, this_month, "normal"),
        ("L2", customers[1], 3_000_000, 2_000_000, date(today.year - 2, 3, 1), "substandard"),
    ]:
        session.add(
            Loan(
                loan_no=no,
                customer_id=customer.id,
                product_id=product.id,
                branch_id=branch.id,
                channel=Channel.ONLINE,
                principal_fen=principal,
                rate_basis=RateBasis.FIXED,
                base_rate=Decimal(0),
                spread=Decimal("0.05"),
                annual_rate=Decimal("0.05"),
                apr=Decimal("0.05"),
                term_months=24,
                repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
                disbursed_on=disbursed_on,
                first_due_on=disbursed_on + timedelta(days=30),
                maturity_on=disbursed_on + timedelta(days=730),
                status=LoanStatus.REPAYING,
                outstanding_principal_fen=outstanding,
                five_class=five_class,
            )
        )
    applications: dict[str, Application] = {}
    for no, customer, status, submitted, decided in [
        ("A1", customers[0], ApplicationStatus.DISBURSED, _at(this_month, 0), _at(this_month, 9)),
        ("A2", customers[1], ApplicationStatus.APPROVED, _at(this_month, 10), _at(this_month, 11)),
        ("A3", customers[2], ApplicationStatus.SUBMITTED, _at(this_month, 12), None),
        ("A4", customers[2], ApplicationStatus.DECLINED, _at(last_month, 12), _at(last_month, 13)),
        # Approved this month, then withdrawn (the applicant declined the offer).
        ("A5", customers[0], ApplicationStatus.WITHDRAWN, _at(last_month, 14), _at(this_month, 8)),
    ]:
        applications[no] = Application(
            application_no=no,
            customer_id=customer.id,
            product_id=product.id,
            channel=Channel.ONLINE,
            amount_fen=5_000_000,
            term_months=24,
            repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
            status=status,
            submitted_at=submitted,
            decided_at=decided,
        )
    session.add_all(applications.values())
    session.flush()
    for no, outcome, decided in [
        ("A1", DecisionOutcome.APPROVE, _at(this_month, 9)),
        ("A2", DecisionOutcome.APPROVE, _at(this_month, 11)),
        ("A4", DecisionOutcome.DECLINE, _at(last_month, 13)),
        ("A5", DecisionOutcome.APPROVE, _at(this_month, 8)),
    ]:
        session.add(
            Decision(
                application_id=applications[no].id,
                outcome=outcome,
                reasons=[],
                model_version="scorecard-test",
                policy_version="policy-test",
                decided_at=decided,
            )
        )
    session.flush()


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


def card_value(html: str, figure: str) -> str:
    match = re.search(
        rf'data-figure="{figure}">.*?<p class="card-value"[^>]*>(.*?)</p>', html, re.DOTALL
    )
    assert match, f"no {figure} card on the page"
    return match.group(1).strip()


def table_row(html: str, attribute: str) -> str:
    match = re.search(rf"<tr[^>]*{attribute}[^>]*>(.*?)</tr>", html, re.DOTALL)
    assert match, f"no row with {attribute}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


# --- the page --------------------------------------------------------------------------------------


def test_page_shows_the_figures_in_chinese_then_english(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    today = business_today(settings.tz)
    this_month = f"{today.year:04d}-{today.month:02d}"
    with transaction(session_factory) as session:
        seed_small_bank(session, today)

    with serving(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        zh = client.get("/")
        en = client.get("/", params={"lang": "en"})
        remembered = client.get("/")
        back = client.get("/", params={"lang": "zh"})
        css = client.get("/static/loanpilot.css")

    # Chinese by default.
    assert zh.status_code == 200
    assert zh.headers["content-type"].startswith("text/html")
    page = zh.text
    assert '<html lang="zh-CN">' in page
    assert "经营概览" in page
    assert f"数据截至 {today.isoformat()}" in page
    assert card_value(page, "customers") == "3"
    assert "其中 2 位同意营销" in page
    assert card_value(page, "active-loans") == "2"
    assert card_value(page, "balance") == "¥100,000.00"
    assert card_value(page, "npl-ratio") == "20.00%"
    assert "不良余额 ¥20,000.00" in page
    assert card_value(page, "applications") == "3"
    assert "批准 3 笔 · 放款 ¥90,000.00" in page
    assert table_row(page, 'data-five-class="substandard"') == "次级 不良 ¥20,000.00 20.00%"
    assert table_row(page, 'data-five-class="normal"') == "正常 ¥80,000.00 80.00%"
    assert table_row(page, f'data-month="{this_month}"') == f"{this_month} 3 ¥90,000.00"
    assert page.count("<tr data-month=") == 12
    assert 'href="?lang=en"' in page
    assert "lp_lang" not in zh.headers.get("set-cookie", "")
    assert "loanpilot demo build" not in page

    # English on request, remembered in a cookie.
    assert en.status_code == 200
    page = en.text
    assert '<html lang="en">' in page
    assert "Headline figures" in page
    assert f"As of {today.isoformat()}" in page
    assert "Customers" in page
    assert "2 consent to marketing" in page
    assert "NPL ratio" in page
    assert card_value(page, "npl-ratio") == "20.00%"
    assert card_value(page, "balance") == "¥100,000.00"
    assert card_value(page, "applications") == "3"
    assert "3 approved · ¥90,000.00 disbursed" in page
    assert table_row(page, 'data-five-class="substandard"') == "Substandard NPL ¥20,000.00 20.00%"
    assert 'href="?lang=zh"' in page
    assert "lp_lang=en" in en.headers["set-cookie"]
    assert '<html lang="en">' in remembered.text
    assert '<html lang="zh-CN">' in back.text
    assert "lp_lang=zh" in back.headers["set-cookie"]

    # No CDN: every stylesheet and script is served by us.
    assert not re.search(r'(?:src|href)="(?:https?:)?//', zh.text)
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert '"PingFang SC"' in css.text
    assert '"Microsoft YaHei"' in css.text


def test_empty_database_says_how_to_build_the_demo(
    settings: Settings, migrated_engine: Engine
) -> None:
    with serving(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        zh = client.get("/")
        en = client.get("/?lang=en")

    assert zh.status_code == 200
    assert "还没有业务数据" in zh.text
    assert "loanpilot demo build" in zh.text
    assert "card-value" not in zh.text  # no zeros pretending to be data
    assert en.status_code == 200
    assert "No business data yet" in en.text
    assert "loanpilot demo build" in en.text


def test_unmigrated_database_says_to_upgrade(settings: Settings) -> None:
    with serving(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        page = client.get("/")
        health = client.get("/healthz")

    assert page.status_code == 503
    assert "数据库尚未初始化" in page.text
    assert "loanpilot db upgrade" in page.text
    assert "card-value" not in page.text
    assert health.json() == {"status": "ok", "database": "ok"}


# --- languages and number formats ------------------------------------------------------------------


def test_every_message_has_both_languages() -> None:
    for key, entry in MESSAGES.items():
        assert set(entry) == {"zh", "en"}, key
        assert all(text.strip() for text in entry.values()), key


def test_translate_and_language_choice() -> None:
    assert translate("card.customers") == "客户数"
    assert translate("card.customers", "en") == "Customers"
    assert translate("page.as_of", "en", date="2026-03-15") == "As of 2026-03-15"
    with pytest.raises(KeyError):
        translate("no.such.key")
    assert resolve_lang(None, None) == "zh"
    assert resolve_lang("en", None) == "en"
    assert resolve_lang("EN-us", "zh") == "en"
    assert resolve_lang(None, "en") == "en"
    assert resolve_lang("fr", "en") == "en"
    assert resolve_lang("fr", None) == "zh"


@pytest.mark.parametrize(
    ("fen", "zh", "en"),
    [
        (0, "¥0.00", "¥0.00"),
        (5, "¥0.05", "¥0.05"),
        (1_234_567, "¥12,345.67", "¥12,345.67"),
        (99_999_999, "¥999,999.99", "¥999,999.99"),
        (100_000_000, "¥100.00万", "¥1.00 million"),
        (1_234_567_890, "¥1,234.57万", "¥12.35 million"),
        (12_345_678_900, "¥1.23亿", "¥123.46 million"),
        (250_000_000_000, "¥25.00亿", "¥2.50 billion"),
        (-1_234_567, "-¥12,345.67", "-¥12,345.67"),
    ],
)
def test_format_yuan(fen: int, zh: str, en: str) -> None:
    assert format_yuan(fen, "zh") == zh
    assert format_yuan(fen, "en") == en


def test_format_exact_yuan_and_percent() -> None:
    assert format_yuan_exact(12_345_678_900) == "¥123,456,789.00"
    assert format_percent(Decimal("0.2")) == "20.00%"
    assert format_percent(Decimal(1) / Decimal(3)) == "33.33%"
    assert format_percent(Decimal("0.000049")) == "0.00%"
    assert format_percent(Decimal("0.00005")) == "0.01%"
    assert format_percent(None) == "—"


# --- loanpilot serve -------------------------------------------------------------------------------


def _serve_app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        """A fresh CLI holding only the web commands."""

    return app


def test_serve_command_options() -> None:
    result = CliRunner().invoke(_serve_app(), ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for option in ("--host", "--port", "--reload"):
        assert option in result.output
    assert "127.0.0.1" in result.output
    assert "8000" in result.output


def test_serve_runs_the_app_on_the_configured_port(tmp_path: Path) -> None:
    # The command loads settings through loanpilot.cli, which needs every area's CLI in place.
    pytest.importorskip("loanpilot.cli", reason="loanpilot.cli cannot be imported yet")
    from loanpilot.db.migrate import upgrade

    database_url = f"sqlite:///{(tmp_path / 'serve.db').as_posix()}"
    upgrade(database_url)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    script = (
        "import typer\n"
        "from loanpilot.web.cli import register\n"
        "app = typer.Typer()\n"
        "register(app)\n"
        "@app.callback()\n"
        "def root() -> None: pass\n"
        "app()\n"
    )
    env = {
        **os.environ,
        "LOANPILOT_ENVIRONMENT": "test",
        "LOANPILOT_VAR_DIR": str(tmp_path / "var"),
        "LOANPILOT_DATABASE_URL": database_url,
        "LOANPILOT_HOST": "127.0.0.1",
        "LOANPILOT_PORT": str(port),  # no --port: the default comes from the settings
    }
    process = subprocess.Popen(
        [sys.executable, "-c", script, "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = clock.monotonic() + 30
        health = None
        while clock.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                clock.sleep(0.1)
        assert health is not None, "loanpilot serve did not answer"
        assert health.json() == {"status": "ok", "database": "ok"}
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200
        assert "loanpilot demo build" in page.text
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert f"http://127.0.0.1:{port}/" in output.decode()
