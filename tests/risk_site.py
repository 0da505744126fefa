"""What the risk tests over HTTP share on the demo site: the champion and active policy (and
fixtures that put them back after a test changed the shared site), a challenger registered as a
copy of the champion, and an application referred to manual review."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from loanpilot.analytics.scorecard_artefact import content_sha256
from loanpilot.customers.models import Channel, Customer
from loanpilot.kit.clock import business_today
from loanpilot.lending.models import Application, ApplicationStatus
from loanpilot.products.models import LoanProduct, RepaymentMethod
from loanpilot.risk import registry
from loanpilot.risk.models import CreditModel, CreditPolicy, ModelStatus, PolicyStatus
from loanpilot.risk.rules import DecisionOutcome
from loanpilot.risk.service import decide_application

if TYPE_CHECKING:
    from tests.conftest import DemoSite

SECURED = "CL-AUTO"  # 汽车消费贷: a vehicle secures it, so an approval by score is referred


def champion(engine: Engine) -> CreditModel:
    with Session(engine) as s:
        row = registry.champion(s, "application")
        assert row is not None
        s.expunge(row)
        return row


def active_policy(engine: Engine) -> CreditPolicy:
    with Session(engine) as s:
        row = s.scalars(
            select(CreditPolicy).where(CreditPolicy.status == PolicyStatus.ACTIVE)
        ).one()
        s.expunge(row)
        return row


def register_copy(engine: Engine, version: str) -> int:
    """A challenger whose artefact is the champion's under a new version (hash recomputed)."""
    art = copy.deepcopy(champion(engine).artefact)
    art["model"]["version"] = version
    art["content_sha256"] = content_sha256(art)
    with Session(engine) as s, s.begin():
        row = registry.register(s, art, by_id=None, actor_label="test", now=datetime.now(UTC))
        return row.id


@pytest.fixture
def keep_champion(demo_site: DemoSite) -> Iterator[int]:
    """The champion's id; afterwards it is champion again and any other model of its name that a
    test promoted is retired (the site is shared)."""
    engine = demo_site.bank.engine
    original = champion(engine).id
    yield original
    with Session(engine) as s, s.begin():
        for row in s.scalars(select(CreditModel).where(CreditModel.name == "application")):
            if row.id != original and row.status is ModelStatus.CHAMPION:
                row.status = ModelStatus.RETIRED
        s.flush()
        kept = s.get(CreditModel, original)
        assert kept is not None
        kept.status = ModelStatus.CHAMPION


@pytest.fixture
def keep_policy(demo_site: DemoSite) -> Iterator[CreditPolicy]:
    """The active policy; afterwards it is the active one again."""
    engine = demo_site.bank.engine
    original = active_policy(engine)
    yield original
    with Session(engine) as s, s.begin():
        for row in s.scalars(
            select(CreditPolicy).where(CreditPolicy.status == PolicyStatus.ACTIVE)
        ):
            if row.id != original.id:
                row.status = PolicyStatus.RETIRED
        s.flush()
        kept = s.get(CreditPolicy, original.id)
        assert kept is not None
        kept.status = PolicyStatus.ACTIVE


def referred_application(engine: Engine, product_code: str = SECURED) -> int:
    """A new application for the product, decided by the service and referred to manual review
    (customers with the highest incomes are tried in turn; the others' attempts are undone)."""
    now = datetime.now(UTC)
    today = business_today()
    with Session(engine) as s, s.begin():
        product = s.scalars(select(LoanProduct).where(LoanProduct.code == product_code)).one()
        customers = s.scalars(
            select(Customer)
            .where(Customer.is_blacklisted.is_(False))
            .order_by(Customer.monthly_income_fen.desc(), Customer.id)
            .limit(40)
        ).all()
        for customer in customers:
            savepoint = s.begin_nested()
            app = Application(
                application_no=f"T{uuid.uuid4().hex[:15].upper()}",
                customer_id=customer.id,
                product_id=product.id,
                channel=Channel.BRANCH,
                amount_fen=10_000_000,
                term_months=36,
                repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
                status=ApplicationStatus.SUBMITTED,
                submitted_at=now,
            )
            s.add(app)
            s.flush()
            view = decide_application(s, app.id, now=now, today=today, actor_label="test")
            if view.decision.outcome is DecisionOutcome.REFER:
                savepoint.commit()
                return app.id
            savepoint.rollback()
    raise AssertionError("no demo customer was referred")
