"""The console dashboard (经营概览) at ``/console/`` over real HTTP (Uvicorn on a loopback port,
httpx), in Chinese and English, on SQLite and PostgreSQL; the number formats it uses; and
``loanpilot serve``.

The dataset is the ``known_bank`` fixture of ``tests/conftest.py`` (figures worked out in
``tests/api/test_dashboard_api.py``): over the last 12 months 6 applications, 5 approved of 6
decided (83.33 %), ¥85,000.00 disbursed (¥35,000.00 this month, ¥50,000.00 last month), a balance
of ¥100,000.00 of which ¥20,000.00 substandard (NPL ratio 20.00 %), all at branch B001.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time as clock
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import typer
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from loanpilot.access.service import create_staff_user, sync_permission_matrix
from loanpilot.app import create_app
from loanpilot.config import Settings
from loanpilot.db.session import transaction
from loanpilot.kit.clock import business_today
from loanpilot.team.models import Role
from loanpilot.web.cli import register
from loanpilot.web.i18n import (
    MESSAGES,
    format_percent,
    format_yuan,
    format_yuan_exact,
    resolve_lang,
    translate,
)

PASSWORD = "Dash-board-2026!"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# --- reading the page ------------------------------------------------------------------------------


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


def chart_island(html: str) -> dict:  # type: ignore[type-arg]
    match = re.search(
        r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.DOTALL
    )
    assert match, "no chart data on the page"
    return json.loads(match.group(1))


def add_staff(factory: sessionmaker[Session], username: str = "boss") -> None:
    with transaction(factory) as session:
        sync_permission_matrix(session)
        create_staff_user(
            session,
            username=username,
            password=PASSWORD,
            name="王经理",
            role=Role.ADMINISTRATOR,
            now=datetime.now(UTC),
        )


def log_in(client: httpx.Client, username: str = "boss") -> None:
    form = client.get("/console/login")
    token = _CSRF.search(form.text)
    assert token, "no CSRF token on the login form"
    response = client.post(
        "/console/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 303, response.text


# --- the page --------------------------------------------------------------------------------------


def test_dashboard_in_chinese_then_english(
    settings: Settings, session_factory: sessionmaker[Session], known_bank, serve
) -> None:
    today = business_today(settings.tz)
    this_month = known_bank.month_label(today)
    last_month = known_bank.month_label(today.replace(day=1) - timedelta(days=1))
    with transaction(session_factory) as session:
        known_bank.seed(session, today)
    add_staff(session_factory)

    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        anonymous = client.get("/console/")
        log_in(client)
        zh = client.get("/console/")
        en = client.get("/console/", params={"lang": "en"})
        back = client.get("/console/", params={"lang": "zh"})
        script = client.get("/static/js/dashboard.js")
        css = client.get("/static/css/dashboard.css")
        echarts = client.get("/static/vendor/echarts/echarts.min.js")

    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/console/login")

    # Chinese by default.
    assert zh.status_code == 200, zh.text
    page = zh.text
    assert '<html lang="zh-CN">' in page
    assert "<h1>经营概览</h1>" in page
    assert f"数据截至 {today.year}年{today.month}月{today.day}日" in page
    assert "范围：全行" in page
    assert card_value(page, "applications") == "6"
    assert card_value(page, "approval-rate") == "83.33%"
    assert "批准 5 笔 / 已决策 6 笔" in page
    assert card_value(page, "disbursed") == "¥85,000.00"
    assert card_value(page, "balance") == "¥100,000.00"
    assert card_value(page, "npl-ratio") == "20.00%"
    assert "不良余额 ¥20,000.00" in page
    assert page.count("<tr data-month=") == 12
    month_no = int(this_month[5:])
    this_label = f"{month_no}月" if month_no != 1 else f"{today.year}年1月"
    assert table_row(page, f'data-month="{this_month}"') == f"{this_label} 4 4 5 80.00% 3.50万元"
    assert table_row(page, f'data-month="{last_month}"').endswith("2 1 1 100.00% 5.00万元")
    assert (
        table_row(page, 'data-branch="B001"')
        == "演示分行 6 83.33% 8.50万元 10.00万元 2.00万元 20.00%"
    )
    assert (
        table_row(page, 'data-branch="total"') == "合计 6 83.33% 8.50万元 10.00万元 2.00万元 20.00%"
    )
    charts = re.findall(r'<div class="chart" data-chart="([a-z-]+)"', page)
    assert charts == ["monthly-applications", "monthly-disbursed", "branch-amounts", "branch-npl"]
    data = chart_island(page)
    assert data["applications"][-2:] == [2, 4]
    assert data["approval_rate"][-2:] == [100.0, 80.0]
    assert data["approval_rate"][0] is None
    assert data["disbursed"][-2:] == [5.0, 3.5]
    assert data["branches"] == ["演示分行"]
    assert data["branch_balance"] == [10.0]
    assert data["branch_npl_ratio"] == [20.0]
    assert data["labels"]["wan"] == "万元"
    assert len(data["months"]) == 12
    # The filter form offers the branch, the product and every channel.
    assert '<option value="mobile">手机银行</option>' in page
    assert "综合消费贷" in page
    assert f'name="from" type="month" value="{known_bank.monthly(today)[0].month}"' in page
    assert f'name="to" type="month" value="{this_month}"' in page

    # English on request.
    assert en.status_code == 200
    page = en.text
    assert '<html lang="en">' in page
    assert "<h1>Dashboard</h1>" in page
    assert "Scope: the whole bank" in page
    assert card_value(page, "approval-rate") == "83.33%"
    assert "5 approved of 6 decided" in page
    assert card_value(page, "balance") == "¥100,000.00"
    assert "NPL balance ¥20,000.00" in page
    assert "Consumer loan" in page
    assert '<option value="mobile">Mobile</option>' in page
    assert table_row(page, 'data-branch="total"').startswith("Total 6 83.33%")
    assert chart_island(page)["labels"]["approval_rate"] == "Approval rate"
    assert "lp_lang=en" in en.headers["set-cookie"]
    assert '<html lang="zh-CN">' in back.text

    # No inline script but the JSON island, no CDN; the scripts are ours and draw every chart.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", zh.text, re.DOTALL)
    for attributes, body in scripts:
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
        assert "src=" not in attributes or not body.strip()
    assert not re.search(r'(?:src|href)="(?:https?:)?//', zh.text)
    assert "onclick" not in zh.text
    assert script.status_code == 200
    assert 'setAttribute("data-rendered", "1")' in script.text
    assert "echarts.init" in script.text
    assert css.status_code == 200
    assert echarts.status_code == 200


def test_filters_on_the_page(
    settings: Settings, session_factory: sessionmaker[Session], known_bank, serve
) -> None:
    today = business_today(settings.tz)
    last_month = known_bank.month_label(today.replace(day=1) - timedelta(days=1))
    with transaction(session_factory) as session:
        known_bank.seed(session, today)
    add_staff(session_factory)

    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        log_in(client)
        mobile = client.get("/console/", params={"channel": "mobile"})
        month = client.get("/console/", params={"from": last_month, "to": last_month})
        bad = client.get(
            "/console/", params={"from": "2026-13", "channel": "fax", "product_id": "x"}
        )

    assert mobile.status_code == 200
    assert card_value(mobile.text, "applications") == "6"
    assert card_value(mobile.text, "disbursed") == "¥0.00"
    assert card_value(mobile.text, "balance") == "¥0.00"
    assert card_value(mobile.text, "npl-ratio") == "—"
    assert '<option value="mobile" selected>' in mobile.text

    assert month.status_code == 200
    assert month.text.count("<tr data-month=") == 1
    assert card_value(month.text, "applications") == "2"
    assert card_value(month.text, "approval-rate") == "100.00%"
    assert card_value(month.text, "disbursed") == "¥50,000.00"
    assert card_value(month.text, "balance") == "¥100,000.00"  # today's, whatever the period

    # Every invalid filter is listed beside the form; the default view is shown.
    assert bad.status_code == 422
    fields = re.findall(r'<li data-field="([a-z_]+)">', bad.text)
    assert fields == ["from", "product_id", "channel"]
    assert 'id="f-from" name="from" type="month" value="2026-13"' in bad.text
    assert card_value(bad.text, "applications") == "6"


def test_empty_bank_says_how_to_build_the_demo(
    settings: Settings, session_factory: sessionmaker[Session], serve
) -> None:
    add_staff(session_factory)
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        log_in(client)
        zh = client.get("/console/")
        en = client.get("/console/?lang=en")

    assert zh.status_code == 200
    assert "还没有业务数据" in zh.text
    assert "loanpilot demo build" in zh.text
    assert "card-value" not in zh.text  # no zeros pretending to be data
    assert en.status_code == 200
    assert "No business data yet" in en.text


def test_demo_bank_dashboard_for_two_roles(demo_site) -> None:
    for user, scope in (("admin", "范围：全行"), ("branch", "及下辖机构")):
        client = demo_site.login(user)
        try:
            page = client.get("/console/")
        finally:
            client.close()
        assert page.status_code == 200, user
        assert scope in page.text
        data = chart_island(page.text)
        assert len(data["months"]) == 12
        assert sum(data["applications"]) == int(
            card_value(page.text, "applications").replace(",", "")
        )
        assert data["branches"], user
        assert page.text.count('class="chart"') == 4


# --- languages and number formats ------------------------------------------------------------------


def test_every_message_has_both_languages() -> None:
    for key, entry in MESSAGES.items():
        assert set(entry) == {"zh", "en"}, key
        assert all(text.strip() for text in entry.values()), key


def test_translate_and_language_choice() -> None:
    assert translate("dashboard.card.balance") == "贷款余额"
    assert translate("dashboard.card.balance", "en") == "Outstanding balance"
    assert translate("dashboard.as_of", "en", date="29 Nov 2026") == "As of 29 Nov 2026"
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
        page = httpx.get(f"http://127.0.0.1:{port}/console/login", timeout=5)
        assert page.status_code == 200
        assert 'name="csrf_token"' in page.text
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert f"http://127.0.0.1:{port}/" in output.decode()
