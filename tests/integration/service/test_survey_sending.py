"""Surveys sent after milestones (idempotent per day and trigger), answers captured once with their
attribution, and satisfaction / NPS from the KPI suite, on a small hand-built bank."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests import post_loan_site as site

from loanpilot.evaluation.models import (
    FeedbackEvent,
    FeedbackTicket,
    TicketChannel,
    TicketStatus,
    TicketType,
)
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import ConflictError, ValidationError
from loanpilot.kit.periods import Period
from loanpilot.lending.models import LoanStatus
from loanpilot.service import kpi_source, sending, surveys_close
from loanpilot.service.models import (
    QuestionKind,
    ServiceChannel,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    SurveyTrigger,
)
from loanpilot.team.models import PortfolioAssignment, Role, Staff

D = date(2026, 11, 20)
NOW = datetime.combine(D + timedelta(days=1), time(2, 0), tzinfo=SHANGHAI)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


class Bank:
    """One branch, one consumer product, a manager, customers and their loans and tickets."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.branch = site.branch("B1", "一分行")
        self.product = site.consumer_product("P1", name_zh="薪享贷")
        session.add_all([self.branch, self.product])
        session.flush()
        self.manager = Staff(employee_no="E1", name="王经理", gender="F",
                             role=Role.CUSTOMER_MANAGER, branch_id=self.branch.id,
                             hired_on=date(2020, 1, 1))  # fmt: skip
        session.add(self.manager)
        session.flush()
        self.n = 0

    def customer(self) -> int:
        self.n += 1
        c = site.customer(f"C{self.n:03d}", bytes([self.n]) * 16, name=f"客户{self.n}",
                          home_branch_id=self.branch.id)  # fmt: skip
        self.session.add(c)
        self.session.flush()
        return c.id

    def loan(self, customer_id: int, disbursed_on: date, **values: object) -> int:
        self.n += 1
        loan = site.loan(
            f"L{self.n:04d}", principal_fen=1_000_000, term_months=12, customer_id=customer_id,
            product_id=self.product.id, branch_id=self.branch.id, disbursed_on=disbursed_on,
            first_due_on=disbursed_on + timedelta(days=30),
            maturity_on=disbursed_on + timedelta(days=365), **values,
        )  # fmt: skip
        self.session.add(loan)
        self.session.flush()
        return loan.id

    def ticket(self, customer_id: int, kind: TicketType, closed_on: date) -> int:
        self.n += 1
        t = FeedbackTicket(
            ticket_no=f"T{self.n:04d}", customer_id=customer_id, channel=TicketChannel.PHONE,
            type=kind, subject="利率", body="利率太高", received_at=at(closed_on, 9) - timedelta(days=2),
            status=TicketStatus.CLOSED, resolution="已解释", resolved_at=at(closed_on, 10),
            branch_id=self.branch.id, product_id=self.product.id,
        )  # fmt: skip
        self.session.add(t)
        self.session.flush()
        return t.id

    def survey(self, code: str, trigger: SurveyTrigger, status: SurveyStatus = SurveyStatus.ACTIVE,
               channel: ServiceChannel = ServiceChannel.SMS) -> Survey:  # fmt: skip
        s = Survey(code=code, title=code, kind=SurveyKind.CSAT, trigger=trigger, status=status,
                   channel=channel)  # fmt: skip
        self.session.add(s)
        self.session.flush()
        self.session.add_all([
            SurveyQuestion(survey_id=s.id, position=1, kind=QuestionKind.CSAT_1_5, text_zh="满意度",
                           text_en="CSAT", choices=[], required=True),
            SurveyQuestion(survey_id=s.id, position=2, kind=QuestionKind.NPS_0_10, text_zh="推荐",
                           text_en="NPS", choices=[], required=True),
            SurveyQuestion(survey_id=s.id, position=3, kind=QuestionKind.FREE_TEXT, text_zh="意见",
                           text_en="Comment", choices=[], required=False),
        ])  # fmt: skip
        self.session.flush()
        return s


def _questions(session: Session, survey_id: int) -> list[int]:
    return list(
        session.scalars(
            select(SurveyQuestion.id)
            .where(SurveyQuestion.survey_id == survey_id)
            .order_by(SurveyQuestion.position)
        )
    )


def test_each_trigger_sends_once_per_loan_or_ticket(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        bank = Bank(session)
        c1, c2, c3, c4 = (bank.customer() for _ in range(4))
        main = bank.loan(c1, D)
        bank.loan(c1, D, parent_loan_id=main)  # a combination loan's part: surveyed through main
        bank.loan(c2, D - timedelta(days=30))
        bank.loan(c3, D - timedelta(days=200), status=LoanStatus.SETTLED, settled_on=D,
                  outstanding_principal_fen=0)  # fmt: skip
        bank.loan(c4, D - timedelta(days=1))
        complaint = bank.ticket(c4, TicketType.COMPLAINT, D)
        bank.ticket(c4, TicketType.SUGGESTION, D)
        bank.ticket(c3, TicketType.COMPLAINT, D - timedelta(days=1))
        # resolved three days ago, closed today by staff (its history says so)
        late = bank.ticket(c2, TicketType.COMPLAINT, D - timedelta(days=3))
        session.add(FeedbackEvent(ticket_id=late, at=at(D, 15), kind="status", from_value="resolved",
                                  to_value="closed", actor_label="test"))  # fmt: skip
        session.flush()
        disb = bank.survey("S-DISB", SurveyTrigger.DISBURSED)
        bank.survey("S-30D", SurveyTrigger.DISBURSED_30D, channel=ServiceChannel.APP)
        bank.survey("S-SETTLE", SurveyTrigger.SETTLED)
        bank.survey("S-COMPLAINT", SurveyTrigger.COMPLAINT_CLOSED, channel=ServiceChannel.PHONE)
        bank.survey("S-DRAFT", SurveyTrigger.DISBURSED, SurveyStatus.DRAFT)
        bank.survey("S-CLOSED", SurveyTrigger.DISBURSED, SurveyStatus.CLOSED)
        bank.survey("S-MANUAL", SurveyTrigger.MANUAL)

        sent = surveys_close.after_close(session, D, NOW)
        assert sent == {
            "surveys_disbursed": 1,
            "surveys_disbursed_30d": 1,
            "surveys_settled": 1,
            "surveys_complaint_closed": 2,
        }
        again = sending.send_due(session, D, NOW + timedelta(hours=1))
        assert again == {"disbursed": 0, "disbursed_30d": 0, "settled": 0, "complaint_closed": 0}
        rows = list(session.scalars(select(SurveyInvitation).order_by(SurveyInvitation.id)))
        assert len(rows) == 5
        by_survey = {r.survey_id: r for r in rows}
        assert by_survey[disb.id].loan_id == main
        assert by_survey[disb.id].customer_id == c1
        assert {r.channel for r in rows} == {ServiceChannel.SMS, ServiceChannel.APP,
                                             ServiceChannel.PHONE}  # fmt: skip
        assert [r.ticket_id for r in rows if r.ticket_id] == [complaint, late]
        assert len({r.token for r in rows}) == 5
        assert all(len(r.token) == 32 for r in rows)
        # the day before sends the day-before milestones only (the complaint closed on D-1)
        assert sending.send_due(session, D - timedelta(days=1), NOW)["complaint_closed"] == 1
        assert sending.send_due(session, D - timedelta(days=3), NOW)["complaint_closed"] == 0


def test_answers_are_captured_once_and_attributed(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        bank = Bank(session)
        c1 = bank.customer()
        session.add(PortfolioAssignment(customer_id=c1, staff_id=bank.manager.id,
                                        start_on=date(2026, 1, 1)))  # fmt: skip
        bank.loan(c1, D)
        s = bank.survey("S-DISB", SurveyTrigger.DISBURSED)
        sending.send_due(session, D, NOW)
        inv = session.scalars(select(SurveyInvitation)).one()
        csat, nps, text = _questions(session, s.id)
        with pytest.raises(ValidationError) as bad:
            sending.submit(session, inv.token, {csat: ["6"], nps: ["9"]}, now=NOW, today=D,
                           valid_days=30)  # fmt: skip
        assert [p.field for p in bad.value.problems] == [f"q{csat}"]
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 0
        response = sending.submit(session, inv.token, {csat: ["4"], nps: ["9"], text: ["很快"]},
                                  now=NOW, today=D, valid_days=30)  # fmt: skip
        assert (response.branch_id, response.staff_id, response.product_id) == (
            bank.branch.id, bank.manager.id, bank.product.id)  # fmt: skip
        assert inv.responded_at is not None
        answers = session.scalars(select(SurveyAnswer).order_by(SurveyAnswer.question_id)).all()
        assert [(a.score, a.text) for a in answers] == [(4, None), (9, None), (None, "很快")]
        with pytest.raises(ConflictError) as twice:
            sending.submit(session, inv.token, {csat: ["5"], nps: ["10"]}, now=NOW, today=D,
                           valid_days=30)  # fmt: skip
        assert twice.value.code == "survey.answered"
        # a second loan's invitation left unanswered past the link's validity
        bank.loan(c1, D + timedelta(days=1))
        sending.send_due(session, D + timedelta(days=1), NOW)
        (late_inv,) = session.scalars(
            select(SurveyInvitation).where(SurveyInvitation.responded_at.is_(None))
        ).all()
        late = NOW.date() + timedelta(days=31)
        assert sending.open_invitation(session, late_inv.token, late, 30).state == "expired"
        assert sending.open_invitation(session, late_inv.token, late, 31).state == "open"
        with pytest.raises(ConflictError) as expired:
            sending.submit(session, late_inv.token, {csat: ["5"], nps: ["10"]},
                           now=at(late, 9), today=late, valid_days=30)  # fmt: skip
        assert expired.value.code == "survey.expired"


def test_satisfaction_and_nps_known_answer(session_factory: sessionmaker[Session]) -> None:
    """CSAT 5, 4, 3, 5, 1 → mean 3.6; NPS 10, 9, 8, 6, 9 → (3 promoters − 1 detractor) ÷ 5 = 0.4."""
    with session_factory() as session:
        bank = Bank(session)
        for _ in range(5):
            bank.loan(bank.customer(), D)
        s = bank.survey("S-DISB", SurveyTrigger.DISBURSED)
        sending.send_due(session, D, NOW)
        csat, nps, _ = _questions(session, s.id)
        invitations = session.scalars(select(SurveyInvitation).order_by(SurveyInvitation.id)).all()
        for inv, c, n in zip(invitations, (5, 4, 3, 5, 1), (10, 9, 8, 6, 9), strict=True):
            sending.submit(session, inv.token, {csat: [str(c)], nps: [str(n)]}, now=NOW,
                           today=D, valid_days=30)  # fmt: skip
        session.flush()
        month = Period.containing(NOW.date(), "month")
        (overall,) = kpi_source.figures(session, month)
        assert overall.satisfaction == Decimal("3.6")
        assert overall.nps == Decimal("0.4")
        assert (overall.satisfaction_n, overall.nps_n) == (5, 5)
        (product,) = kpi_source.figures(session, month, "product")
        assert (product.label, product.satisfaction, product.nps) == ("薪享贷", Decimal("3.6"),
                                                                      Decimal("0.4"))  # fmt: skip
        assert kpi_source.figures(session, month.previous())[0].satisfaction_n == 0
