"""Tickets and improvement actions on a small hand-built bank (SQLite and PostgreSQL).

Branches ZJ1 and SH1, a customer manager E001 (ZJ1) and a service agent E002 (SH1), customer c1
(ZJ1, looked after by E001), product CONS (consumer). ``service_slas``: complaint_resolution 48 h
and complaint_first_response 6 h for every product type, inquiry_response 12 h for consumer loans.

Action known answer: raised 2026-11-15 on ``complaints_repayment`` by month. October had 6
repayment complaints (and 2 of other topics) → baseline 6 × 30 / 31 = 5.8065 per 30 days; target
3. Done on 2026-11-20 → measured over December: 2 repayment complaints → 2 × 30 / 31 = 1.9355 ≤ 3
→ verified, change −3.8710 (−66.67 %). A second action (target 1) is measured 1.9355 > 1: not met,
stays done.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests import post_loan_site as site

from loanpilot.audit.models import AuditLog
from loanpilot.evaluation import actions, feedback
from loanpilot.evaluation import repository_feedback as repo
from loanpilot.evaluation.models import FeedbackTicket, TicketChannel, TicketStatus, TicketType
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import ConflictError, PermissionDeniedError, ValidationError
from loanpilot.products.models import ProductType
from loanpilot.service.models import ServiceSla, SlaStage
from loanpilot.team.models import Role, Staff

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
ACTOR = feedback.Actor(None, "test")


def local(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def seed(session: Session) -> dict[str, int]:
    zj, sh = site.branch("ZJ1", "杭州分行"), site.branch("SH1", "上海分行", city="上海市")
    cons = site.consumer_product("CONS")
    session.add_all([zj, sh, cons])
    session.flush()
    e1 = Staff(employee_no="E001", name="王经理", gender="M", role=Role.CUSTOMER_MANAGER,
               branch_id=zj.id, hired_on=date(2020, 1, 1))  # fmt: skip
    e2 = Staff(employee_no="E002", name="李客服", gender="F", role=Role.SERVICE_AGENT,
               branch_id=sh.id, hired_on=date(2020, 1, 1))  # fmt: skip
    session.add_all([e1, e2])
    session.flush()
    c1 = site.customer("C1", b"h" * 32, home_branch_id=zj.id, manager_id=e1.id)
    session.add(c1)
    for stage, hours, ptype in ((SlaStage.COMPLAINT_RESOLUTION, "48", None),
                                (SlaStage.COMPLAINT_FIRST_RESPONSE, "6", None),
                                (SlaStage.INQUIRY_RESPONSE, "12", ProductType.CONSUMER)):  # fmt: skip
        session.add(ServiceSla(stage=stage, product_type=ptype, target_hours=Decimal(hours),
                               valid_from=date(2025, 1, 1)))  # fmt: skip
    session.flush()
    return {"zj": zj.id, "sh": sh.id, "e1": e1.id, "e2": e2.id, "c1": c1.id, "cons": cons.id}


def complaint(session: Session, topic: str, when: datetime, n: int) -> None:
    for i in range(n):
        session.add(FeedbackTicket(
            ticket_no=f"K{topic[:3]}{when:%m%d}{i}", channel=TicketChannel.PHONE,
            type=TicketType.COMPLAINT, topic=topic, subject="x", body="x", received_at=when,
            status=TicketStatus.CLOSED,
        ))  # fmt: skip
    session.flush()


def test_register_takes_the_configured_sla_and_writes_history(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        ids = seed(session)
        t = feedback.register(session, feedback.TicketDraft(
            channel="branch", type="complaint", subject="扣款失败", body="还款日扣款失败被算逾期",
            priority="normal", customer_id=ids["c1"], topic="repayment",
        ), ACTOR, NOW)  # fmt: skip
        assert t.ticket_no == f"FB20261102{t.id:06d}"
        assert (t.sla_due_at, t.first_response_due_at) == (
            NOW + timedelta(hours=48),
            NOW + timedelta(hours=6),
        )
        assert (t.branch_id, t.topic, t.topic_source.value if t.topic_source else None) == (
            ids["zj"],
            "repayment",
            "staff",
        )
        q = feedback.register(session, feedback.TicketDraft(
            channel="phone", type="inquiry", subject="咨询", body="利率多少", product_id=ids["cons"],
        ), ACTOR, NOW)  # fmt: skip
        assert q.sla_due_at == NOW + timedelta(hours=12)
        assert q.topic is None  # no topic model yet: unclassified
        s = feedback.register(session, feedback.TicketDraft(
            channel="email", type="suggestion", subject="建议", body="增加还款提醒", priority="low",
        ), ACTOR, NOW)  # fmt: skip
        assert s.sla_due_at == NOW + timedelta(hours=240)
        with pytest.raises(ValidationError) as caught:
            feedback.register(session, feedback.TicketDraft(channel="fax", type="praise", subject=" ",
                                                            body="", topic="weather"), ACTOR, NOW)  # fmt: skip
        assert {p.field for p in caught.value.problems} == {
            "channel",
            "type",
            "subject",
            "body",
            "topic",
        }
        feedback.change_status(session, t.id, "in_progress", ACTOR, NOW)
        with pytest.raises(ConflictError, match="without a resolution"):
            feedback.change_status(session, t.id, "closed", ACTOR, NOW)
        with pytest.raises(ConflictError, match="'in_progress' cannot move to 'reopened'"):
            feedback.change_status(session, t.id, "reopened", ACTOR, NOW)
        feedback.change_status(
            session, t.id, "resolved", ACTOR, NOW + timedelta(hours=3), resolution="已撤销逾期记录"
        )
        feedback.confirm(session, t.id, False, ACTOR, NOW + timedelta(hours=4))
        assert t.status is TicketStatus.REOPENED
        feedback.change_status(
            session, t.id, "resolved", ACTOR, NOW + timedelta(hours=5), resolution="已退还罚息"
        )
        assert feedback.close_unanswered(session, NOW + timedelta(days=6)) == 0
        assert feedback.close_unanswered(session, NOW + timedelta(days=8)) == 1
        assert t.status is TicketStatus.CLOSED
        kinds = [(e.kind, e.to_value) for e in repo.events(session, ticket_id=t.id)]
        assert kinds == [("created", "branch"), ("topic", "repayment"), ("status", "in_progress"),
                         ("status", "resolved"), ("confirmation", "reopened"), ("status", "resolved"),
                         ("status", "closed")]  # fmt: skip
        audited = session.scalars(
            select(AuditLog.action).where(AuditLog.entity_id == str(t.id))
        ).all()
        assert audited.count("feedback.ticket.status") == 4
        feedback.correct_topic(session, t.id, "credit_report", ACTOR, NOW)
        assert repo.labelled_texts(session)[-1][2] == "credit_report"
        session.rollback()


def test_scope_and_assignment(session_factory: sessionmaker[Session]) -> None:
    from loanpilot.access.rules import Principal, ScopeKind

    with session_factory() as session:
        ids = seed(session)
        t = feedback.register(session, feedback.TicketDraft(
            channel="phone", type="complaint", subject="x", body="y", customer_id=ids["c1"]), ACTOR, NOW)  # fmt: skip
        other = feedback.register(session, feedback.TicketDraft(channel="phone", type="inquiry",
                                                                subject="x", body="y"), ACTOR, NOW)  # fmt: skip

        def who(staff: int, scope: ScopeKind, branches: set[int]) -> Principal:
            return Principal(account_id=1, staff_id=staff, username="u", name="n", role=Role.CUSTOMER_MANAGER,
                             branch_id=next(iter(branches)), branch_ids=frozenset(branches),
                             permissions=frozenset(), scope=scope, via="session")  # fmt: skip

        manager = who(ids["e1"], ScopeKind.OWN, {ids["zj"]})
        head_sh = who(ids["e2"], ScopeKind.BRANCH, {ids["sh"]})
        seen = {r.ticket.id for r in repo.tickets(session, repo.TicketFilters(), manager, NOW)}
        assert seen == {t.id}
        assert repo.tickets(session, repo.TicketFilters(), head_sh, NOW) == []
        with pytest.raises(ValidationError, match="in your scope"):
            feedback.assign(session, t.id, ids["e2"], ACTOR, NOW, viewer=manager)
        feedback.assign(session, other.id, ids["e2"], ACTOR, NOW)
        assert {
            r.ticket.id for r in repo.tickets(session, repo.TicketFilters(), head_sh, NOW)
        } == set()
        with pytest.raises(PermissionDeniedError):
            feedback.register(session, feedback.TicketDraft(channel="phone", type="complaint", subject="x",
                                                            body="y", customer_id=ids["c1"]), ACTOR, NOW,
                              viewer=head_sh)  # fmt: skip
        overdue = repo.tickets(
            session, repo.TicketFilters(overdue=True), None, NOW + timedelta(hours=49)
        )
        assert {r.ticket.id for r in overdue} == {t.id, other.id}
        session.rollback()


def test_action_verification_known_answer(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        ids = seed(session)
        complaint(session, "repayment", local(date(2026, 10, 5)), 6)
        complaint(session, "privacy", local(date(2026, 10, 6)), 2)
        complaint(session, "repayment", local(date(2026, 12, 3)), 2)
        today, now = date(2026, 11, 15), local(date(2026, 11, 15))
        form = actions.ActionForm(
            title="修复批量扣款异常", owner_id=ids["e1"], deadline=date(2026, 12, 31), source_kind="kpi",
            source_ref="complaints_repayment", metric_code="complaints_repayment", target_value="3",
        )  # fmt: skip
        with pytest.raises(ValidationError) as caught:
            actions.create(
                session,
                actions.ActionForm(**{**form.__dict__, "owner_id": None}),
                ACTOR,
                today,
                now,
            )
        assert [p.field for p in caught.value.problems] == ["owner_id"]
        with pytest.raises(ValidationError, match="lower is better"):
            actions.create(
                session,
                actions.ActionForm(**{**form.__dict__, "target_value": "7"}),
                ACTOR,
                today,
                now,
            )
        a = actions.create(session, form, ACTOR, today, now)
        b = actions.create(
            session, actions.ActionForm(**{**form.__dict__, "target_value": "1"}), ACTOR, today, now
        )
        assert (a.baseline_period, a.baseline_value, a.higher_is_better) == (
            "2026-10",
            Decimal("5.8065"),
            False,
        )
        with pytest.raises(ConflictError, match="'proposed' cannot move to 'done'"):
            actions.move(session, a.id, "done", ACTOR, today, now)
        with pytest.raises(ConflictError, match="verify"):
            actions.move(session, a.id, "verified", ACTOR, today, now)
        for x in (a, b):
            actions.move(session, x.id, "in_progress", ACTOR, today, now)
            actions.move(session, x.id, "done", ACTOR, date(2026, 11, 20), now)
        assert (a.done_on, a.after_period) == (date(2026, 11, 20), "2026-12")
        with pytest.raises(ConflictError, match="ends on 2027-01-01"):
            actions.verify(session, a.id, ACTOR, date(2026, 12, 15), now)
        a2, verdict = actions.verify(session, a.id, ACTOR, date(2027, 1, 2), now)
        assert (verdict.after, verdict.met, verdict.change, verdict.change_pct) == (
            Decimal("1.9355"),
            True,
            Decimal("-3.8710"),
            Decimal("-0.6667"),
        )
        assert (a2.status.value, a2.verified_on) == ("verified", date(2027, 1, 2))
        b2, verdict_b = actions.verify(session, b.id, ACTOR, date(2027, 1, 2), now)
        assert (verdict_b.met, b2.status.value, b2.after_value) == (
            False,
            "done",
            Decimal("1.9355"),
        )
        notes = [e.note for e in repo.events(session, action_id=a.id) if e.kind == "measured"]
        assert notes
        assert "feedback.complaints period=2026-12 topic=repayment" in notes[0]
        session.rollback()
