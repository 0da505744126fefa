"""The KPI suite on a small hand-built bank whose KPIs are worked out by hand (below), on SQLite
and PostgreSQL; snapshots and targets.

The period is 2026Q3 ([2026-07-01, 2026-10-01), Asia/Shanghai); "today" is 2026-11-15 (2026Q4
runs). Two branches ZJ1 (浙江) and SH1 (上海), products CONS (consumer) and HOME (housing), two
managers E001 and E002, four customers c1..c4.

Applications submitted in Q3: A1 (c1, E001, branch channel), A2 (c2, E001, referral channel),
A3 (c3, E002, mobile, its lead names a referring customer; submitted 23:30 on 30 Sep Shanghai,
i.e. 15:30 UTC) → 3; by manager E001 2, E002 1. Referral rate 2/3 (E001 1/2, E002 1/1).
Decisions in Q3: A1 approve, A2 decline, A3 refer (then approved on 1 Oct: Q4), A4 (submitted in
Q2) approve at 00:10 on 1 Jul Shanghai → approved 2 of 3 decided (E001 1/2, E002 1/1).
Loans: L6 c1 ¥4,000 2025-06-01 settled 2026-07-05; L0 c2 ¥5,000 2025-03-01 settled 2026-08-15;
L5 c3 ¥30,000 2026-01-10; L1 c1 ¥10,000 2026-07-10; L4 c4 ¥20,000 2026-07-20 (substandard).
Disbursed in Q3 ¥30,000 (E001 ¥10,000, E002 ¥20,000). New customers: c4 only (1, E002).
Retention: held a loan on 1 Jul: c1 (L6), c2 (L0), c3 (L5); c1 borrowed again, c3 still holds,
c2 settled → 2/3; managers on 1 Jul (portfolio): c1, c2 → E001 (1/2), c3 → E002 (1/1).
Close snapshot of 30 Sep: L1 9,500.00 normal; L4 19,500.00 substandard, 500.00 overdue; L5
28,500.00 normal, 200.00 overdue → NPL 19,500/57,500, overdue 700/57,500. Market 2026Q3: consumer
浙江 ¥100,000, housing 上海 ¥200,000, housing 浙江 ¥50,000 → share (9,500 + 48,000) / 350,000.
Surveys in Q3: c1 (E001) CSAT 5 NPS 10; c2 (E001) CSAT 3 NPS 6; c3 (E002) CSAT 4 NPS 9 → CSAT
12/3 = 4, NPS (2 − 1)/3; E001 CSAT 4, NPS 0/2; E002 CSAT 4, NPS 1/1. c4's answers are in Q4.
Q4 (live, today): balance 9,000 + 19,000 + 28,000 = 56,000, NPL 19,000; overdue: L4's line due
1 Nov with ¥500 of principal unpaid.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests import post_loan_site as site

from loanpilot.channels.models import Lead
from loanpilot.customers.models import Channel, Customer
from loanpilot.evaluation import kpi_rules, kpis, kpis_service
from loanpilot.evaluation.kpis_service import Actor
from loanpilot.evaluation.repository import Slice
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import ValidationError
from loanpilot.kit.periods import parse_period
from loanpilot.lending.models import Application, ApplicationStatus, LoanStatus, ScheduleLine
from loanpilot.market.models import MarketSize
from loanpilot.products.models import ProductSubtype, ProductType, RepaymentMethod
from loanpilot.risk.models import Decision, DelinquencySnapshot, DpdBucket
from loanpilot.risk.rules import DecisionOutcome
from loanpilot.service.models import (
    QuestionKind,
    ServiceChannel,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    SurveyQuestion,
    SurveyResponse,
    SurveyTrigger,
)
from loanpilot.team.models import PortfolioAssignment, Role, Staff

TODAY = date(2026, 11, 15)
Q3 = parse_period("2026Q3")
Q4 = parse_period("2026Q4")
D = Decimal


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def seed(session: Session) -> None:
    b1 = site.branch("ZJ1", "杭州分行")
    b1.province = "浙江"
    b2 = site.branch("SH1", "上海分行", city="上海市")
    b2.province = "上海"
    cons = site.consumer_product("CONS", name_zh="消费贷")
    home = site.consumer_product(
        "HOME", name_zh="住房贷", product_type=ProductType.HOUSING,
        subtype=ProductSubtype.COMMERCIAL_MORTGAGE,
    )  # fmt: skip
    session.add_all([b1, b2, cons, home])
    session.flush()
    m1 = Staff(employee_no="E001", name="王经理", gender="M", role=Role.CUSTOMER_MANAGER,
               branch_id=b1.id, hired_on=date(2020, 1, 1))  # fmt: skip
    m2 = Staff(employee_no="E002", name="李经理", gender="F", role=Role.CUSTOMER_MANAGER,
               branch_id=b2.id, hired_on=date(2020, 1, 1))  # fmt: skip
    session.add_all([m1, m2])
    session.flush()
    home_of = [b1, b1, b2, b2]
    cs: list[Customer] = [
        site.customer(f"C{i}", bytes([i]) * 16, home_branch_id=home_of[i - 1].id)
        for i in range(1, 5)
    ]
    session.add_all(cs)
    session.flush()
    c1, c2, c3, c4 = cs
    session.add_all([
        PortfolioAssignment(customer_id=c1.id, staff_id=m1.id, start_on=date(2020, 1, 1)),
        PortfolioAssignment(customer_id=c2.id, staff_id=m1.id, start_on=date(2020, 1, 1)),
        PortfolioAssignment(customer_id=c3.id, staff_id=m2.id, start_on=date(2020, 1, 1),
                            end_on=date(2026, 8, 1)),
        PortfolioAssignment(customer_id=c3.id, staff_id=m1.id, start_on=date(2026, 8, 1)),
        PortfolioAssignment(customer_id=c4.id, staff_id=m2.id, start_on=date(2026, 7, 1)),
    ])  # fmt: skip

    def loan(no, c, product, branch, manager, principal, outstanding, on, **kw):  # type: ignore[no-untyped-def]
        return site.loan(
            no, principal_fen=principal, term_months=36, customer_id=c.id, product_id=product.id,
            branch_id=branch.id, manager_id=manager.id, disbursed_on=on,
            first_due_on=date(on.year + 1, 1, 1), maturity_on=date(on.year + 4, 1, 1),
            outstanding_principal_fen=outstanding, **kw,
        )  # fmt: skip

    loans = {
        "L6": loan("L6", c1, cons, b1, m1, 400_000, 0, date(2025, 6, 1),
                   status=LoanStatus.SETTLED, settled_on=date(2026, 7, 5)),
        "L0": loan("L0", c2, cons, b1, m1, 500_000, 0, date(2025, 3, 1),
                   status=LoanStatus.SETTLED, settled_on=date(2026, 8, 15)),
        "L5": loan("L5", c3, home, b2, m2, 3_000_000, 2_800_000, date(2026, 1, 10)),
        "L1": loan("L1", c1, cons, b1, m1, 1_000_000, 900_000, date(2026, 7, 10)),
        "L4": loan("L4", c4, home, b2, m2, 2_000_000, 1_900_000, date(2026, 7, 20),
                   five_class="substandard"),
    }  # fmt: skip
    session.add_all(loans.values())
    session.flush()

    def line(
        loan_no: str, due: date, principal: int, paid: int, settled: date | None
    ) -> ScheduleLine:
        return ScheduleLine(
            loan_id=loans[loan_no].id, version=1, period_no=due.month, due_on=due,
            opening_principal_fen=0, principal_fen=principal, interest_fen=0,
            paid_principal_fen=paid, settled_on=settled,
        )  # fmt: skip

    session.add_all([
        line("L4", date(2026, 11, 1), 60_000, 10_000, None),
        line("L4", date(2026, 12, 1), 60_000, 0, None),
        line("L1", date(2026, 10, 10), 50_000, 50_000, date(2026, 10, 10)),
    ])  # fmt: skip

    def snap(
        loan_no: str, day: date, outstanding: int, overdue: int, five: str
    ) -> DelinquencySnapshot:
        return DelinquencySnapshot(
            loan_id=loans[loan_no].id, as_of=day, dpd=0, bucket=DpdBucket.M0,
            outstanding_principal_fen=outstanding, overdue_principal_fen=overdue,
            overdue_interest_fen=0, five_class=five,
        )  # fmt: skip

    sep30, aug31 = date(2026, 9, 30), date(2026, 8, 31)
    session.add_all([
        snap("L1", sep30, 950_000, 0, "normal"),
        snap("L4", sep30, 1_950_000, 50_000, "substandard"),
        snap("L5", sep30, 2_850_000, 20_000, "normal"),
        snap("L5", aug31, 2_900_000, 0, "normal"),  # not the period's last close
    ])  # fmt: skip
    session.add_all([
        MarketSize(product_line="consumer", region="浙江", period="2026Q3",
                   total_balance_fen=10_000_000, source="test"),
        MarketSize(product_line="housing", region="上海", period="2026Q3",
                   total_balance_fen=20_000_000, source="test"),
        MarketSize(product_line="housing", region="浙江", period="2026Q3",
                   total_balance_fen=5_000_000, source="test"),
    ])  # fmt: skip
    lead = Lead(lead_no="LD1", name="推荐", source_channel=Channel.MOBILE,
                referrer_customer_id=c1.id, received_at=at(date(2026, 9, 1), 9))  # fmt: skip
    session.add(lead)
    session.flush()

    def app(no, c, product, branch, manager, channel, submitted, **kw):  # type: ignore[no-untyped-def]
        return Application(
            application_no=no, customer_id=c.id, product_id=product.id, channel=channel,
            branch_id=branch.id, manager_id=manager.id, amount_fen=1_000_000, term_months=36,
            repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
            status=ApplicationStatus.SUBMITTED, submitted_at=submitted, **kw,
        )  # fmt: skip

    apps = {
        "A1": app("A1", c1, cons, b1, m1, Channel.BRANCH, at(date(2026, 7, 5), 10)),
        "A2": app("A2", c2, cons, b1, m1, Channel.REFERRAL, at(date(2026, 8, 1), 10)),
        "A3": app("A3", c3, home, b2, m2, Channel.MOBILE, at(date(2026, 9, 30), 23, 30),
                  lead_id=lead.id),
        "A4": app("A4", c4, home, b2, m2, Channel.MOBILE, at(date(2026, 6, 30), 23, 59)),
    }  # fmt: skip
    session.add_all(apps.values())
    session.flush()

    def decide(no: str, outcome: DecisionOutcome, when: datetime) -> Decision:
        return Decision(application_id=apps[no].id, outcome=outcome, reasons=[],
                        model_version="m", policy_version="p", decided_at=when)  # fmt: skip

    session.add_all([
        decide("A1", DecisionOutcome.APPROVE, at(date(2026, 7, 6), 9)),
        decide("A2", DecisionOutcome.DECLINE, at(date(2026, 8, 2), 9)),
        decide("A3", DecisionOutcome.REFER, at(date(2026, 9, 30), 23, 45)),
        decide("A3", DecisionOutcome.APPROVE, at(date(2026, 10, 1), 9)),
        decide("A4", DecisionOutcome.APPROVE, at(date(2026, 7, 1), 0, 10)),
    ])  # fmt: skip
    survey = Survey(code="S1", title="满意度", kind=SurveyKind.CSAT,
                    trigger=SurveyTrigger.DISBURSED, channel=ServiceChannel.SMS)  # fmt: skip
    session.add(survey)
    session.flush()
    csat = SurveyQuestion(survey_id=survey.id, position=1, kind=QuestionKind.CSAT_1_5,
                          text_zh="满意度", text_en="CSAT")  # fmt: skip
    nps = SurveyQuestion(survey_id=survey.id, position=2, kind=QuestionKind.NPS_0_10,
                         text_zh="推荐", text_en="NPS")  # fmt: skip
    session.add_all([csat, nps])
    session.flush()
    answers = [
        (c1, m1, b1, cons, date(2026, 7, 15), 5, 10),
        (c2, m1, b1, cons, date(2026, 8, 20), 3, 6),
        (c3, m2, b2, home, date(2026, 9, 10), 4, 9),
        (c4, m2, b2, home, date(2026, 10, 2), 1, 0),
    ]
    for i, (c, m, b, p, day, score, recommend) in enumerate(answers):
        inv = SurveyInvitation(survey_id=survey.id, customer_id=c.id, sent_at=at(day, 8),
                               channel=ServiceChannel.SMS, token=f"tok{i}")  # fmt: skip
        session.add(inv)
        session.flush()
        resp = SurveyResponse(invitation_id=inv.id, survey_id=survey.id, customer_id=c.id,
                              submitted_at=at(day, 12), channel=ServiceChannel.SMS,
                              branch_id=b.id, staff_id=m.id, product_id=p.id)  # fmt: skip
        session.add(resp)
        session.flush()
        session.add_all([
            SurveyAnswer(response_id=resp.id, question_id=csat.id, score=score),
            SurveyAnswer(response_id=resp.id, question_id=nps.id, score=recommend),
        ])  # fmt: skip
    session.flush()


@pytest.fixture
def bank(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_factory() as session:
        seed(session)
        session.commit()
    return session_factory


def values(session: Session, period=Q3, dimension="all", **kw):  # type: ignore[no-untyped-def]
    found = kpis.compute(session, period, dimension=dimension, today=TODAY, **kw)
    return {(v.code, v.key): v for v in found}


def check_whole_bank_known_answers(bank: sessionmaker[Session]) -> None:
    with bank() as session:
        got = values(session)
    assert got["applications", "all"].value == 3
    assert (got["approval_rate", "all"].numerator, got["approval_rate", "all"].denominator) == (
        2,
        3,
    )
    assert got["disbursed_fen", "all"].value == 3_000_000
    assert got["new_customers", "all"].value == 1
    assert got["satisfaction", "all"].value == D(4)
    assert got["nps", "all"].value == D(1) / D(3)
    assert (got["retention", "all"].numerator, got["retention", "all"].denominator) == (2, 3)
    assert (got["referral_rate", "all"].numerator, got["referral_rate", "all"].denominator) == (
        2,
        3,
    )
    npl = got["npl_ratio", "all"]
    assert (npl.numerator, npl.denominator) == (1_950_000, 5_750_000)
    over = got["overdue_rate", "all"]
    assert (over.numerator, over.denominator) == (70_000, 5_750_000)
    share = got["market_share", "all"]
    assert (share.numerator, share.denominator) == (5_750_000, 35_000_000)
    assert got["campaign_roi", "all"].value is None  # no campaign ended
    assert set(kpi_rules.KPI_CODES) == {code for code, _ in got}


def check_by_manager_known_answers(bank: sessionmaker[Session]) -> None:
    with bank() as session:
        got = values(session, dimension="manager")
    assert got["applications", "E001"].value == 2
    assert got["applications", "E002"].value == 1
    assert got["applications", "E001"].label == "王经理"
    assert got["disbursed_fen", "E001"].value == 1_000_000
    assert got["disbursed_fen", "E002"].value == 2_000_000
    assert got["new_customers", "E002"].value == 1
    assert ("new_customers", "E001") not in got
    a1, a2 = got["approval_rate", "E001"], got["approval_rate", "E002"]
    assert (a1.numerator, a1.denominator, a2.numerator, a2.denominator) == (1, 2, 1, 1)
    assert got["satisfaction", "E001"].value == 4
    assert got["satisfaction", "E002"].value == 4
    assert got["nps", "E001"].value == 0
    assert got["nps", "E002"].value == 1
    r1, r2 = got["retention", "E001"], got["retention", "E002"]
    assert (r1.numerator, r1.denominator, r2.numerator, r2.denominator) == (1, 2, 1, 1)
    o1, o2 = got["overdue_rate", "E001"], got["overdue_rate", "E002"]
    assert (o1.numerator, o1.denominator) == (0, 950_000)
    assert (o2.numerator, o2.denominator) == (70_000, 4_800_000)
    assert not any(code == "market_share" for code, _ in got)  # not measured by manager


def check_market_share_by_region_branch_and_line(bank: sessionmaker[Session]) -> None:
    with bank() as session:
        region = values(session, dimension="region")
        branch = values(session, dimension="branch")
        line = values(session, dimension="product_line")
        month = values(session, parse_period("2026-09"))  # no 2026-09 row: the quarter's
    assert region["market_share", "上海"].value == D("0.24")
    assert (region["market_share", "浙江"].numerator, region["market_share", "浙江"].denominator) == (
        950_000, 15_000_000,
    )  # fmt: skip
    assert branch["market_share", "SH1"].value == D("0.24")
    assert branch["market_share", "ZJ1"].denominator == 15_000_000
    assert line["market_share", "housing"].value == D(4_800_000) / D(25_000_000)
    assert month["market_share", "all"].value == D(5_750_000) / D(35_000_000)


def check_running_period_reads_the_live_book_like_the_headline(bank: sessionmaker[Session]) -> None:
    from loanpilot.evaluation.service import headline_figures

    with bank() as session:
        got = values(session, Q4)
        head = headline_figures(session, TODAY)
        q2 = values(session, parse_period("2026Q2"))
    npl = got["npl_ratio", "all"]
    assert (npl.numerator, npl.denominator) == (1_900_000, 5_600_000)
    assert npl.value == head.npl_ratio
    assert got["overdue_rate", "all"].numerator == 50_000
    assert got["market_share", "all"].value is None  # no market row for 2026Q4
    assert got["satisfaction", "all"].value == 1
    assert got["nps", "all"].value == -1
    assert (got["approval_rate", "all"].numerator, got["approval_rate", "all"].denominator) == (
        1,
        1,
    )
    assert q2["npl_ratio", "all"].value is None  # no close snapshot in 2026Q2


def check_slices_add_up_to_the_whole_bank(bank: sessionmaker[Session]) -> None:
    with bank() as session:
        whole = values(session)
        for dimension in kpi_rules.DIMENSIONS[1:]:
            cut = kpis.compute(session, Q3, dimension=dimension, today=TODAY)
            for code in kpi_rules.KPI_CODES:
                rows = [v for v in cut if v.code == code]
                if not kpi_rules.applies(code, dimension) or (code, dimension) == (
                    "market_share", "branch",
                ):  # fmt: skip
                    continue
                total = whole[code, "all"]
                if kpi_rules.DEFINITIONS[code].ratio:
                    assert sum(v.numerator for v in rows) == (total.numerator or 0), (
                        code,
                        dimension,
                    )
                    assert sum(v.denominator for v in rows) == (total.denominator or 0), (
                        code, dimension,
                    )  # fmt: skip
                else:
                    assert sum(v.value for v in rows) == total.value, (code, dimension)


def check_scope_slices(bank: sessionmaker[Session]) -> None:
    with bank() as session:
        m1 = session.query(Staff).filter_by(employee_no="E001").one()
        own = values(session, where=Slice(manager_id=m1.id))
        by_manager = values(session, dimension="manager")
    for code in ("applications", "disbursed_fen", "approval_rate", "satisfaction", "overdue_rate"):
        assert own[code, "all"].value == by_manager[code, "E001"].value, code


def check_unknown_code_and_dimension_are_refused(bank: sessionmaker[Session]) -> None:
    with bank() as session, pytest.raises(ValidationError) as caught:
        kpis.compute(session, Q3, codes=["applications", "profit"])
    assert "profit" in str(caught.value)
    with bank() as session, pytest.raises(ValidationError):
        kpis.compute(session, Q3, dimension="city")


def test_known_answers(bank: sessionmaker[Session]) -> None:
    """The figures worked out above, one dataset for every read-only check (a fresh migrated
    database costs seconds)."""
    check_whole_bank_known_answers(bank)
    check_by_manager_known_answers(bank)
    check_market_share_by_region_branch_and_line(bank)
    check_running_period_reads_the_live_book_like_the_headline(bank)
    check_slices_add_up_to_the_whole_bank(bank)
    check_scope_slices(bank)
    check_unknown_code_and_dimension_are_refused(bank)


def test_snapshots_replace_the_period_and_match_compute(bank: sessionmaker[Session]) -> None:
    from datetime import UTC

    now = datetime(2026, 11, 15, 8, tzinfo=UTC)
    with bank() as session:
        n = kpis_service.write_snapshots(session, Q3, ["all", "manager"], now=now, today=TODAY)
        session.commit()
        again = kpis_service.write_snapshots(session, Q3, ["all", "manager"], now=now, today=TODAY)
        session.commit()
        assert n == again
        stored = kpis_service.read_snapshots(session, Q3, "manager")
        live = kpis.compute(session, Q3, dimension="manager", today=TODAY)
    assert len(stored) == len(live)
    by_key = {(v.code, v.key): v for v in stored}
    for v in live:
        s = by_key[v.code, v.key]
        assert (s.numerator, s.denominator) == (v.numerator, v.denominator)
        if v.value is not None:
            assert abs(s.value - v.value) < D("1e-8")


def test_targets_are_validated_set_and_audited(bank: sessionmaker[Session]) -> None:
    from sqlalchemy import select

    from loanpilot.audit.models import AuditLog

    actor = Actor(None, "test")
    now = datetime(2026, 11, 15, 8, tzinfo=SHANGHAI)
    with bank() as session:
        t = kpis_service.set_target(session, code="approval_rate", period="2026q3", value="70%",
                                    actor=actor, now=now)  # fmt: skip
        assert (t.period, t.target) == ("2026Q3", D("0.7"))
        t = kpis_service.set_target(session, code="approval_rate", period="2026Q3", value="75",
                                    actor=actor, now=now)  # fmt: skip
        kpis_service.set_target(session, code="disbursed_fen", period="2026Q3", value="25000.5",
                                dimension="manager", key="E001", actor=actor, now=now)  # fmt: skip
        session.commit()
        targets = kpis_service.list_targets(session, period="2026Q3")
        assert [(x.code, x.target) for x in targets] == [
            ("approval_rate", D("0.75")), ("disbursed_fen", D(2_500_050)),
        ]  # fmt: skip
        audits = session.execute(
            select(AuditLog).where(AuditLog.action == "kpi.target.set")
        ).scalars()
        assert len(list(audits)) == 3
        rows = kpis_service.table(session, Q3, "all", Slice(), today=TODAY)
        row = next(r for r in rows if r.value.code == "approval_rate")
        assert row.target == D("0.75")
        assert row.attainment == (D(2) / D(3)) / D("0.75")
        with pytest.raises(ValidationError) as caught:
            kpis_service.set_target(session, code="npl_ratio", period="2026Q5", value="120",
                                    dimension="all", key="ZJ1", actor=actor, now=now)  # fmt: skip
    fields = sorted(p.field for p in caught.value.problems)
    assert fields == ["key", "period", "value"]
