"""The headline page over real HTTP (Uvicorn on a loopback port, httpx), in Chinese and English,
on SQLite and PostgreSQL; its number formats; and ``loanpilot serve``.

The dataset is the ``known_bank`` fixture of ``tests/conftest.py``, the one the headline API tests
check: 3 customers (2 consenting to marketing), 3 active loans (one of them a 组合贷 in two parts;
a written-off loan is not counted): ¥80,000.00 normal + ¥20,000.00 substandard = ¥100,000.00, NPL
ratio 20.00 %. 4 applications this month (one at 00:30 on the 1st, Shanghai time, still last month
in UTC) and 2 last month; ¥35,000.00 disbursed this month and ¥50,000.00 last month. Approved this
month: 4, counted from the decisions table, among them one approved twice (counted once), one
submitted last month and approved at 00:10 on the 1st, and one approved and then withdrawn by the
applicant (declined offer), which still counts as an approval.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time as clock
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from loanpilot.app import create_app
from loanpilot.config import Settings
from loanpilot.db.session import transaction
from loanpilot.kit.clock import business_today
from loanpilot.web.cli import register
from loanpilot.web.i18n import (
    MESSAGES,
    format_percent,
    format_yuan,
    format_yuan_exact,
    resolve_lang,
    translate,
)

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


# --- the page --------------------------------------------------------------------------------------


def test_page_shows_the_figures_in_chinese_then_english(
    settings: Settings, session_factory: sessionmaker[Session], known_bank, serve
) -> None:
    today = business_today(settings.tz)
    this_month = known_bank.month_label(today)
    last_month = known_bank.month_label(today.replace(day=1) - timedelta(days=1))
    with transaction(session_factory) as session:
        known_bank.seed(session, today)

    with serve(create_app(settings)) as url, httpx.Client(base_url=url) as client:
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
    assert card_value(page, "active-loans") == "3"
    assert card_value(page, "balance") == "¥100,000.00"
    assert card_value(page, "npl-ratio") == "20.00%"
    assert "不良余额 ¥20,000.00" in page
    assert card_value(page, "applications") == "4"
    assert "批准 4 笔 · 放款 ¥35,000.00" in page
    assert table_row(page, 'data-five-class="substandard"') == "次级 不良 ¥20,000.00 20.00%"
    assert table_row(page, 'data-five-class="normal"') == "正常 ¥80,000.00 80.00%"
    assert table_row(page, f'data-month="{this_month}"') == f"{this_month} 4 ¥35,000.00"
    assert table_row(page, f'data-month="{last_month}"') == f"{last_month} 2 ¥50,000.00"
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
    assert card_value(page, "customers") == "3"
    assert "2 consent to marketing" in page
    assert card_value(page, "active-loans") == "3"
    assert "NPL ratio" in page
    assert card_value(page, "npl-ratio") == "20.00%"
    assert card_value(page, "balance") == "¥100,000.00"
    assert card_value(page, "applications") == "4"
    assert "4 approved · ¥35,000.00 disbursed" in page
    assert table_row(page, 'data-five-class="substandard"') == "Substandard NPL ¥20,000.00 20.00%"
    assert table_row(page, 'data-five-class="normal"') == "Normal ¥80,000.00 80.00%"
    assert table_row(page, f'data-month="{this_month}"') == f"{this_month} 4 ¥35,000.00"
    assert table_row(page, f'data-month="{last_month}"') == f"{last_month} 2 ¥50,000.00"
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
    settings: Settings, migrated_engine: Engine, serve
) -> None:
    with serve(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        zh = client.get("/")
        en = client.get("/?lang=en")

    assert zh.status_code == 200
    assert "还没有业务数据" in zh.text
    assert "loanpilot demo build" in zh.text
    assert "card-value" not in zh.text  # no zeros pretending to be data
    assert en.status_code == 200
    assert "No business data yet" in en.text
    assert "loanpilot demo build" in en.text


def test_unmigrated_database_says_to_upgrade(settings: Settings, serve) -> None:
    with serve(create_app(settings)) as url, httpx.Client(base_url=url) as client:
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
