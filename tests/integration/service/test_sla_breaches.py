"""Stage SLA breaches on hand-built applications: exactly at the target is on time, a minute over
is a breach; a product type's own target wins over the general one; a later dated target applies
from its date; spans are counted in the quarter they end; targets are validated."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests import post_loan_site as site

from loanpilot.customers.models import Channel
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import ValidationError
from loanpilot.kit.periods import parse_period
from loanpilot.lending.models import Application, ApplicationStatus
from loanpilot.products.models import ProductType, RepaymentMethod
from loanpilot.service import repository as repo
from loanpilot.service import sla
from loanpilot.service.models import ServiceSla, SlaStage
from loanpilot.service.schemas import SlaWrite
from loanpilot.service.surveys import Actor

START = date(2026, 1, 1)
ACTOR = Actor(None, "test")


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def test_breaches_known_answer(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        b1, b2 = site.branch("B1", "一分行"), site.branch("B2", "二分行")
        consumer = site.consumer_product("P1", name_zh="消费贷")
        housing = site.consumer_product("P2", name_zh="房贷", product_type=ProductType.HOUSING)
        session.add_all([b1, b2, consumer, housing])
        session.flush()
        c = site.customer("C1", b"1" * 16, home_branch_id=b1.id)
        session.add(c)
        session.add_all([
            ServiceSla(stage=SlaStage.APPLICATION_TO_DECISION, product_type=ProductType.CONSUMER,
                       target_hours=Decimal(24), valid_from=START),
            ServiceSla(stage=SlaStage.APPLICATION_TO_DECISION, product_type=ProductType.CONSUMER,
                       target_hours=Decimal(12), valid_from=date(2026, 11, 15)),
            ServiceSla(stage=SlaStage.APPLICATION_TO_DECISION, product_type=None,
                       target_hours=Decimal(72), valid_from=START),
            ServiceSla(stage=SlaStage.APPLICATION_TO_DECISION, product_type=ProductType.HOUSING,
                       target_hours=Decimal(120), valid_from=START),
            ServiceSla(stage=SlaStage.DECISION_TO_DISBURSEMENT, product_type=None,
                       target_hours=Decimal(48), valid_from=START),
            ServiceSla(stage=SlaStage.APPLICATION_TO_DISBURSEMENT, product_type=None,
                       target_hours=Decimal(100), valid_from=START),
        ])  # fmt: skip
        session.flush()

        def app(no: str, product: int, branch: int, submitted: datetime, decided: datetime,
                disbursed: datetime | None = None) -> None:  # fmt: skip
            session.add(Application(
                application_no=no, customer_id=c.id, product_id=product, channel=Channel.BRANCH,
                branch_id=branch, amount_fen=1_000_000, term_months=12,
                repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
                status=ApplicationStatus.DISBURSED if disbursed else ApplicationStatus.APPROVED,
                submitted_at=submitted, decided_at=decided, disbursed_at=disbursed,
            ))  # fmt: skip

        s1 = at(date(2026, 11, 2), 9)
        # exactly 24 h to decision (on time); decision → disbursement 48 h 1 min (breach);
        # end to end 72 h 1 min (on time against 100 h)
        app("A1", consumer.id, b1.id, s1, s1 + timedelta(hours=24),
            s1 + timedelta(hours=72, minutes=1))  # fmt: skip
        app("A2", consumer.id, b2.id, s1, s1 + timedelta(hours=24, minutes=1))  # breach
        app("A3", housing.id, b1.id, s1, s1 + timedelta(hours=100))  # housing: 120 h, on time
        s5 = at(date(2026, 11, 19), 9)
        app("A5", consumer.id, b1.id, s5, s5 + timedelta(hours=20))  # 12 h from 11-15: breach
        s4 = at(date(2026, 9, 1), 9)
        app("A4", consumer.id, b1.id, s4, s4 + timedelta(hours=200))  # ended in Q3: not counted
        session.flush()

        report = sla.measure(session, parse_period("2026Q4"))
        breaches = sorted((s.application_no, s.stage, s.hours, s.target_hours)
                          for s in report.breaches)  # fmt: skip
        assert breaches == [
            ("A1", "decision_to_disbursement", Decimal("48.02"), Decimal(48)),
            ("A2", "application_to_decision", Decimal("24.02"), Decimal(24)),
            ("A5", "application_to_decision", Decimal("20.00"), Decimal(12)),
        ]
        tallies = {t.key: (t.measured, t.breached) for t in report.by_stage}
        assert tallies == {
            "application_to_decision": (4, 2),
            "decision_to_disbursement": (1, 1),
            "application_to_disbursement": (1, 0),
        }
        by_branch = {t.label: (t.measured, t.breached, t.attainment) for t in report.by_branch}
        assert by_branch == {"一分行": (5, 2, Decimal("0.6")), "二分行": (1, 1, Decimal(0))}
        scoped = sla.measure(
            session, parse_period("2026Q4"), repo.Scope(branch_ids=frozenset({b2.id}))
        )
        assert [s.application_no for s in scoped.spans] == ["A2"]
        assert len(sla.measure(session, parse_period("2026Q3")).breaches) == 1
        check_targets_are_validated(session)


def check_targets_are_validated(session: Session) -> None:
    """Targets are validated, every problem at once; one per stage, type and date."""
    now = at(date(2026, 11, 29), 9)
    with pytest.raises(ValidationError) as bad:
        sla.set_target(session, SlaWrite(stage="lunch", product_type="boats",
                                         target_hours=Decimal(0), valid_from=START),
                       actor=ACTOR, now=now)  # fmt: skip
    assert {p.field for p in bad.value.problems} == {"stage", "product_type", "target_hours"}
    body = SlaWrite(stage="application_to_decision", product_type="consumer",
                    target_hours=Decimal("36.5"), valid_from=date(2026, 12, 1))  # fmt: skip
    row = sla.set_target(session, body, actor=ACTOR, now=now)
    assert row.target_hours == Decimal("36.5")
    with pytest.raises(ValidationError) as twice:
        sla.set_target(session, body, actor=ACTOR, now=now)
    assert [p.field for p in twice.value.problems] == ["valid_from"]
