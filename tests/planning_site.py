"""What the campaign-planning tests share: a next-best-offer run and a segmentation written
straight into a demo bank (known values from a seeded generator, so the tests do not depend on
the offer and segment batches), and a fresh campaign to plan with its arms.

The offers include customers without marketing consent and opted-out ones on purpose: planning
must leave them out whatever the offer batch did."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from loanpilot.access.models import RolePermission
from loanpilot.app import create_app
from loanpilot.campaigns.models import Campaign, CampaignOffer, CampaignStatus, CampaignWindow
from loanpilot.config import Settings
from loanpilot.customers.models import Channel, Customer
from loanpilot.customers.models_segments import (
    CustomerSegment,
    RunStatus,
    Segment,
    SegmentKind,
    SegmentRun,
)
from loanpilot.db.session import make_engine
from loanpilot.products.models import LoanProduct
from loanpilot.products.models_offers import Offer, OfferRun
from loanpilot.team.models import Role

if TYPE_CHECKING:
    from tests.conftest import DemoBank

#: Contact cost per channel (fen) in the made-up offers.
COSTS = {"sms": 50, "call_center": 800, "branch": 3_000}
SEGMENTS = {"young": (0, 30), "middle": (30, 50), "senior": (50, 200)}
PRODUCTS = ("CL-GEN", "CL-TRV")


@dataclass(frozen=True)
class OfferData:
    offer_run_id: int
    segment_run_id: int
    customers: int  # customers with offers
    blocked: int  # of them, without consent or opted out


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def build_offers(session: Session, *, customers: int = 400, seed: int = 0) -> OfferData:
    """A finished offer run over the first ``customers`` customers (by id; two products × three
    channels each, values from ``seed``) and a current rule segmentation by age. Flushes."""
    now = datetime.now(UTC)
    rng = np.random.default_rng(seed)
    rows = session.execute(
        select(Customer.id, Customer.birth_date, Customer.marketing_consent, Customer.opted_out_at)
        .order_by(Customer.id)
        .limit(customers)
    ).all()
    as_of = now.date()
    version = (
        session.scalar(select(SegmentRun.version).order_by(SegmentRun.version.desc())) or 0
    ) + 1
    for run in session.scalars(select(SegmentRun).where(SegmentRun.is_current.is_(True))):
        run.is_current = False
    segment_run = SegmentRun(
        kind=SegmentKind.RULES, version=version, as_of=as_of, status=RunStatus.DONE,
        is_current=True, started_at=now, finished_at=now, params={}, customers=len(rows),
    )  # fmt: skip
    session.add(segment_run)
    session.flush()
    codes = {}
    for cid, born, *_ in rows:
        age = _age(born, as_of)
        codes[cid] = next(c for c, (lo, hi) in SEGMENTS.items() if lo <= age < hi)
    for code in SEGMENTS:
        session.add(Segment(
            run_id=segment_run.id, code=code, name_zh={"young": "青年", "middle": "中年", "senior": "老年"}[code],
            name_en=code.title(), description_zh="", description_en="",
            size=sum(1 for c in codes.values() if c == code), profile={},
        ))  # fmt: skip
    session.add_all(
        CustomerSegment(run_id=segment_run.id, customer_id=cid, segment_code=code)
        for cid, code in codes.items()
    )
    offer_run = OfferRun(
        as_of=as_of, status=RunStatus.DONE, started_at=now, finished_at=now, params={},
        segment_run_id=segment_run.id, customers_total=len(rows), customers_done=len(rows),
    )  # fmt: skip
    session.add(offer_run)
    session.flush()
    products = {
        p.code: p.id
        for p in session.scalars(select(LoanProduct).where(LoanProduct.code.in_(PRODUCTS)))
    }
    offers = []
    blocked = 0
    for cid, _born, consent, opted in rows:
        blocked += int(not consent or opted is not None)
        rank = 0
        for code in PRODUCTS:
            for channel, cost in COSTS.items():
                rank += 1
                uplift = float(rng.uniform(0.0, 0.08))
                value = int(rng.integers(2_000, 400_000))
                offers.append({
                    "run_id": offer_run.id, "customer_id": cid, "product_id": products[code],
                    "channel": Channel(channel), "rank": rank, "p_take": 0.1, "p_approve": 0.8,
                    "uplift": uplift, "pd": 0.02, "amount_fen": 5_000_000, "value_fen": value,
                    "contact_cost_fen": cost,
                    "expected_profit_fen": int(uplift * value) - cost, "reasons": [],
                })  # fmt: skip
    session.execute(Offer.__table__.insert(), offers)
    offer_run.offers_count = len(offers)
    session.flush()
    return OfferData(offer_run.id, segment_run.id, len(rows), blocked)


def new_campaign(
    session: Session, *, arms: tuple[tuple[str, str], ...] = (("CL-GEN", "sms"), ("CL-GEN", "call_center"), ("CL-TRV", "branch")),
    control_share: str = "0.2", status: CampaignStatus = CampaignStatus.PLANNED,
) -> Campaign:  # fmt: skip
    """A planned campaign with ``arms`` (product code × channel), a weekend window; flushes."""
    products = {p.code: p for p in session.scalars(select(LoanProduct))}
    today = datetime.now(UTC).date()
    campaign = Campaign(
        code=f"T{uuid.uuid4().hex[:10].upper()}", name="测试活动", theme="青春梦想贷",
        status=status, channel=Channel(arms[0][1]), product_id=products[arms[0][0]].id,
        audience={}, starts_on=today, ends_on=today + timedelta(days=30),
        control_share=Decimal(control_share), budget_fen=5_000_000,
    )  # fmt: skip
    session.add(campaign)
    session.flush()
    for i, (code, channel) in enumerate(arms):
        session.add(CampaignOffer(
            campaign_id=campaign.id, arm=chr(ord("A") + i), product_id=products[code].id,
            channel=Channel(channel), headline_zh=f"{products[code].name_zh}限时优惠",
            headline_en=f"{products[code].name_en}: limited offer",
        ))  # fmt: skip
    session.add(CampaignWindow(
        campaign_id=campaign.id, label="周末（上班族）", starts_on=today,
        ends_on=today + timedelta(days=30), weekdays="67", start_hour=10, end_hour=18,
    ))  # fmt: skip
    session.flush()
    return campaign


# --- a copy of the demo bank with offers, served on its own --------------------------------------

_CSRF_INPUT = 'name="csrf_token" value="'


def form_csrf(html: str) -> str:
    start = html.index(_CSRF_INPUT) + len(_CSRF_INPUT)
    return html[start : html.index('"', start)]


@dataclass
class PlanningSite:
    """A copy of the SQLite demo bank with an offer run and segments (``data``), a planned
    campaign (``campaign_id``), served on a loopback port. Customer managers also hold
    ``campaigns:write`` here, so a writer with ``pii:view`` but without ``lists:unmask``, whose
    scope is the customers they look after, exists."""

    url: str
    engine: Engine
    settings: Settings
    data: OfferData
    campaign_id: int

    def login(self, username: str) -> httpx.Client:
        from loanpilot.demo.accounts import DEMO_PASSWORD

        client = httpx.Client(base_url=self.url, timeout=60)
        page = client.get("/console/login")
        response = client.post("/console/login", data={
            "username": username, "password": DEMO_PASSWORD, "csrf_token": form_csrf(page.text),
        })  # fmt: skip
        assert response.status_code == 303, f"login of {username} failed: {response.status_code}"
        client.headers["X-CSRF-Token"] = form_csrf(client.get("/console/account").text)
        return client

    def bearer(self, username: str) -> dict[str, str]:
        from loanpilot.demo.accounts import DEMO_PASSWORD

        response = httpx.post(f"{self.url}/api/v1/auth/token", timeout=30, json={
            "username": username, "password": DEMO_PASSWORD, "name": "planning tests",
        })  # fmt: skip
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}


@contextmanager
def _serving(app: FastAPI) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    try:
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped before it started"
            assert time.monotonic() < deadline, "uvicorn did not start within 15 s"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def copy_demo_bank(demo_bank: DemoBank, var_dir: Path) -> tuple[str, Settings]:
    """The SQLite demo bank copied into ``var_dir`` (pytest.skip on PostgreSQL)."""
    if not demo_bank.url.startswith("sqlite"):
        pytest.skip("planning tests write to a copy of the SQLite demo bank")
    source = make_url(demo_bank.url).database
    assert source
    target = var_dir / "planning.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target.as_posix()}"
    limits = {"rate_limit_portal_per_minute": 100_000, "rate_limit_submit_per_minute": 100_000,
              "rate_limit_login_per_minute": 100_000}  # fmt: skip
    return url, demo_bank.settings.model_copy(update={"database_url": url, **limits})


@contextmanager
def planning_site(demo_bank: DemoBank, var_dir: Path) -> Iterator[PlanningSite]:
    url, app_settings = copy_demo_bank(demo_bank, var_dir)
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        data = build_offers(s, customers=400)
        campaign_id = new_campaign(s).id
        s.add(RolePermission(role=Role.CUSTOMER_MANAGER, permission="campaigns:write"))
    try:
        with _serving(create_app(app_settings)) as base_url:
            yield PlanningSite(base_url, engine, app_settings, data, campaign_id)
    finally:
        engine.dispose()
