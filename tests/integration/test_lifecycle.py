"""The application workflow on the demo bank (both backends): submission to disbursement through
the state machine, illegal moves refused, maker-checker approvals above the maker's authority,
disbursement into loans whose schedules sum to the principal and agree with numpy-financial, a
组合贷 as two sub-loans, authority as data, and the SLA spans.

Every test works in one transaction on the shared ``site_bank`` that is rolled back at the end
(as tests/integration/test_risk_decisions.py does), with its own active policy version.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import numpy_financial as npf
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from loanpilot.audit.models import AuditLog
from loanpilot.customers.models import Channel, Customer
from loanpilot.db.session import make_session_factory
from loanpilot.kit.crypto import FieldCipher
from loanpilot.kit.errors import ConflictError, ValidationError
from loanpilot.kit.ids import make_resident_id
from loanpilot.lending import authority, events, lifecycle, sla
from loanpilot.lending.models import (
    Application,
    ApplicationStatus,
    ApprovalAuthority,
    ApprovalRequest,
    ApprovalRequestStatus,
    Loan,
    LoanStatus,
    ScheduleLine,
)
from loanpilot.lending.rules import ApplicationForm
from loanpilot.lending.service import submit_application
from loanpilot.lending.workflow import Action
from loanpilot.products.models import LoanProduct, RateBasis, RepaymentMethod
from loanpilot.risk import policy_store, service
from loanpilot.risk import review as reviews
from loanpilot.risk.rules import DecisionOutcome
from loanpilot.team.models import Staff, StaffStatus

if TYPE_CHECKING:
    from tests.conftest import DemoBank

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
EI = RepaymentMethod.EQUAL_INSTALMENT


@pytest.fixture
def session(site_bank: DemoBank) -> Iterator[Session]:
    """A session on the shared demo bank whose work is rolled back, with its own policy."""
    s = make_session_factory(site_bank.engine)()
    try:
        draft = policy_store.create_draft(
            s, version="t5-life", body=policy_store.DEFAULT_BODY, note="lifecycle tests",
            by_id=None, actor_label="test", now=NOW,
        )  # fmt: skip
        policy_store.activate(s, draft.id, by_id=None, actor_label="test", now=NOW)
        yield s
    finally:
        s.rollback()
        s.close()


def staff(session: Session, role: str, nth: int = 0) -> Staff:
    return session.scalars(
        select(Staff)
        .where(Staff.role == role, Staff.status == StaffStatus.ACTIVE)
        .order_by(Staff.id)
        .offset(nth)
        .limit(1)
    ).one()


def product(session: Session, code: str) -> LoanProduct:
    return session.scalars(select(LoanProduct).where(LoanProduct.code == code)).one()


def submitted(
    session: Session, customer_id: int, code: str, amount_yuan: int, term: int, income: int | None
) -> Application:
    """A draft application submitted through the workflow (SUBMIT)."""
    app = Application(
        application_no=f"T5L{uuid.uuid4().hex[:16].upper()}",
        customer_id=customer_id,
        product_id=product(session, code).id,
        channel=Channel.BRANCH,
        amount_fen=amount_yuan * 100,
        term_months=term,
        repayment_method=EI,
        status=ApplicationStatus.DRAFT,
        stated_monthly_income_fen=income,
    )
    session.add(app)
    session.flush()
    lifecycle.move(session, app, Action.SUBMIT, now=NOW, by_id=None, actor_label="test")
    return app


def decided(
    session: Session,
    code: str,
    amount_yuan: int,
    term: int,
    want: Callable[[service.Assessment], bool],
    income: int | None = None,
) -> Application:
    """The first demo customer's application (by income, highest first) whose automatic decision
    ``want`` accepts, decided; the others tried are undone."""
    ids = session.scalars(
        select(Customer.id)
        .where(Customer.is_blacklisted.is_(False))
        .order_by(Customer.monthly_income_fen.desc(), Customer.id)
        .limit(300)
    ).all()
    for customer_id in ids:
        savepoint = session.begin_nested()
        app = submitted(session, customer_id, code, amount_yuan, term, income)
        assessment = service.assess_application(session, app.id, today=TODAY)
        if want(assessment):
            service.record_assessment(session, assessment, now=NOW)
            savepoint.commit()
            return app
        savepoint.rollback()
    pytest.fail(f"no demo customer gives the wanted decision for {code}")


def approved_in_full(a: service.Assessment) -> bool:
    return a.outcome is DecisionOutcome.APPROVE and not a.reasons


def appraisal(a: service.Assessment) -> bool:
    return [r.code for r in a.reasons] == ["collateral.appraisal"]


def history(session: Session, app: Application) -> list[tuple[str, str | None, str]]:
    return [
        (e.action, e.from_stage, e.to_stage) for e in events.history(session, "application", app.id)
    ]


def label(s: Staff) -> str:
    return f"user:{s.employee_no}"


def check_schedule(session: Session, loan: Loan) -> list[ScheduleLine]:
    lines = list(
        session.scalars(
            select(ScheduleLine)
            .where(ScheduleLine.loan_id == loan.id)
            .order_by(ScheduleLine.period_no)
        )
    )
    assert len(lines) == loan.term_months
    assert sum(x.principal_fen for x in lines) == loan.principal_fen  # to the fen
    assert all(x.version == 1 for x in lines)
    assert lines[0].due_on == loan.first_due_on
    assert lines[-1].due_on == loan.maturity_on
    # equal instalment: the payment agrees with numpy-financial at the contract rate
    want = -npf.pmt(float(loan.annual_rate) / 12, loan.term_months, loan.principal_fen)
    fee = lines[0].fee_fen
    for x in lines[:-1]:
        assert abs(x.principal_fen + x.interest_fen - want) <= 0.5 + 1e-9
        assert x.fee_fen == fee
    openings = np.array([x.opening_principal_fen for x in lines])
    assert openings[0] == loan.principal_fen
    np.testing.assert_array_equal(
        openings[1:], openings[:-1] - np.array([x.principal_fen for x in lines[:-1]])
    )
    return lines


# --- submission to disbursement -------------------------------------------------------------------


def test_an_application_goes_from_submission_to_disbursement(session: Session) -> None:
    app = decided(session, "CL-GEN", 50_000, 24, approved_in_full)
    servicer = staff(session, "service_agent")
    assert app.status is ApplicationStatus.APPROVED
    later = NOW + timedelta(hours=3)
    lifecycle.accept_offer(session, app.id, now=later, today=TODAY, by_id=servicer.id,
                           actor_label=label(servicer))  # fmt: skip
    lifecycle.sign_contract(session, app.id, now=later + timedelta(hours=1), by_id=servicer.id,
                            actor_label=label(servicer))  # fmt: skip
    (loan,) = lifecycle.disburse(
        session, app.id, now=later + timedelta(hours=2), today=TODAY, by_id=servicer.id,
        actor_label=label(servicer),
    )  # fmt: skip
    session.expire_all()
    app = session.get(Application, app.id)
    assert app is not None
    assert app.status is ApplicationStatus.DISBURSED
    assert app.submitted_at == app.decided_at == NOW
    assert app.offer_accepted_at == later
    assert app.signed_at == later + timedelta(hours=1)
    assert app.disbursed_at == later + timedelta(hours=2)
    assert history(session, app) == [
        ("submit", "draft", "submitted"),
        ("approve", "submitted", "approved"),
        ("accept_offer", "approved", "offer_accepted"),
        ("sign", "offer_accepted", "contract_signed"),
        ("disburse", "contract_signed", "disbursed"),
    ]
    (loan_event,) = events.history(session, "loan", loan.id)
    assert (loan_event.action, loan_event.from_stage, loan_event.to_stage) == (
        "start_repaying", "disbursed", "repaying",
    )  # fmt: skip
    decision = service.latest_decision(session, app.id)
    assert decision is not None
    assert loan.status is LoanStatus.REPAYING
    assert loan.application_id == app.id
    assert loan.parent_loan_id is None
    assert loan.principal_fen == loan.outstanding_principal_fen == decision.approved_amount_fen
    assert loan.annual_rate == decision.approved_rate
    assert loan.apr == decision.approved_apr
    assert loan.term_months == decision.approved_term_months == 24
    assert loan.disbursed_on == TODAY
    assert loan.first_due_on == date(2026, 12, 29)
    assert loan.loan_no.startswith("LN261129")
    check_schedule(session, loan)
    audit = session.scalars(
        select(AuditLog.action).where(AuditLog.entity_id == app.application_no)
    ).all()
    for action in ("application.submit", "application.approve", "application.accept_offer",
                   "application.sign", "application.disburse"):  # fmt: skip
        assert action in audit
    spans = {
        s.name: s for s in sla.sla_spans(app, events.history(session, "application", app.id), later)
    }
    assert spans["to_decision"].duration == timedelta(0)
    assert spans["to_contract"].duration == timedelta(hours=4)
    assert spans["to_disbursement"].duration == timedelta(hours=1)
    assert spans["end_to_end"].duration == timedelta(hours=5)
    assert not spans["end_to_end"].breached


def test_the_portal_submission_records_the_submit_transition(
    session: Session, site_bank: DemoBank
) -> None:
    settings = site_bank.settings
    cipher = FieldCipher(settings.data_key_bytes(), settings.data_key_id)
    form = ApplicationForm(
        name="测试申请人", id_number=make_resident_id("330106", date(1990, 1, 2), 123, True),
        phone="13800138000", amount_yuan="50000", term_months="24", method="equal_instalment",
        purpose="装修", monthly_income_yuan="20000", occupation="company_employee",
        consent_data=True,
    )  # fmt: skip
    done = submit_application(
        session, cipher, product(session, "CL-GEN"), form, uuid.uuid4().hex, now=NOW, today=TODAY
    )
    app = done.application
    assert app.status is ApplicationStatus.SUBMITTED
    assert app.submitted_at == NOW
    ((action, before, after),) = history(session, app)
    assert (action, before, after) == ("submit", "draft", "submitted")
    (event,) = events.history(session, "application", app.id)
    assert event.actor_label == "portal"


def test_illegal_moves_are_refused_with_the_stage_and_what_is_allowed(session: Session) -> None:
    app = decided(session, "CL-GEN", 50_000, 24, approved_in_full)
    servicer = staff(session, "service_agent")
    before = history(session, app)
    with pytest.raises(ConflictError) as caught:
        lifecycle.sign_contract(session, app.id, now=NOW, by_id=servicer.id, actor_label="x")
    assert caught.value.code == "workflow.illegal"
    assert (
        caught.value.message == "Cannot sign in stage approved; allowed now: accept_offer, withdraw"
    )
    with pytest.raises(ConflictError) as caught:
        lifecycle.disburse(
            session, app.id, now=NOW, today=TODAY, by_id=servicer.id, actor_label="x"
        )
    assert "Cannot disburse in stage approved" in caught.value.message
    with pytest.raises(ConflictError):
        lifecycle.start_review(session, app.id, now=NOW, by_id=servicer.id, actor_label="x")
    assert history(session, app) == before  # nothing written
    assert session.scalars(select(Loan).where(Loan.application_id == app.id)).all() == []
    with pytest.raises(ValidationError):
        lifecycle.withdraw(session, app.id, reason=" ", now=NOW, by_id=servicer.id, actor_label="x")
    lifecycle.withdraw(
        session, app.id, reason="利率不合适", now=NOW, by_id=servicer.id, actor_label="x"
    )
    assert app.status is ApplicationStatus.WITHDRAWN
    assert app.withdrawn_at == NOW
    with pytest.raises(ConflictError) as caught:
        lifecycle.accept_offer(
            session, app.id, now=NOW, today=TODAY, by_id=servicer.id, actor_label="x"
        )
    assert caught.value.message.endswith("allowed now: nothing (final stage)")
    assert lifecycle.staff_actions(app, pending=False) == ()


# --- maker-checker ----------------------------------------------------------------------------------


def big_referral(session: Session) -> Application:
    """An HL-COM mortgage of ¥800,000 referred for the appraisal (stated income ¥150,000/month,
    so income and debt do not bind)."""
    return decided(session, "HL-COM", 800_000, 240, appraisal, income=15_000_000)


def test_an_approval_above_the_makers_authority_waits_for_a_checker(session: Session) -> None:
    app = big_referral(session)
    maker, other_approver = staff(session, "approver"), staff(session, "approver", 1)
    checker = staff(session, "risk_officer")
    outcome = reviews.decide_by_hand(
        session, app.id, approve=True, note="评估价值充足", now=NOW, today=TODAY, by_id=maker.id,
        maker_role="approver", actor_label=label(maker), collateral_value_fen=300_000_000,
    )  # fmt: skip
    assert outcome.view is None
    pending = outcome.pending
    assert pending is not None
    assert outcome.offer is not None
    assert pending.amount_fen == outcome.offer.amount_fen == 80_000_000 > 50_000_000
    assert pending.status is ApprovalRequestStatus.PENDING
    assert app.status is ApplicationStatus.UNDER_REVIEW  # referred -> under review, not approved
    assert service.latest_decision(session, app.id).outcome is DecisionOutcome.REFER  # type: ignore[union-attr]
    assert lifecycle.staff_actions(app, pending=True) == (Action.WITHDRAW,)
    # nobody decides it again while it waits
    with pytest.raises(ConflictError) as caught:
        reviews.decide_by_hand(
            session, app.id, approve=False, note="x", now=NOW, today=TODAY, by_id=checker.id,
            maker_role="risk_officer", actor_label=label(checker),
        )  # fmt: skip
    assert caught.value.code == "approval.pending"

    def confirm(who: Staff, role: str) -> service.DecisionView:
        return reviews.confirm_approval(
            session, pending.id, note="同意", now=NOW + timedelta(hours=1), today=TODAY,
            checker_id=who.id, checker_role=role, actor_label=label(who),
        )  # fmt: skip

    with pytest.raises(ConflictError) as caught:
        confirm(maker, "approver")
    assert caught.value.code == "approval.same_person"
    with pytest.raises(ConflictError) as caught:
        confirm(other_approver, "approver")
    assert caught.value.code == "approval.checker_not_authorised"
    assert app.status is ApplicationStatus.UNDER_REVIEW
    view = confirm(checker, "risk_officer")
    assert app.status is ApplicationStatus.APPROVED
    assert view.decision.outcome is DecisionOutcome.APPROVE
    assert view.decision.approved_amount_fen == 80_000_000
    assert view.decision.decided_by_id == maker.id  # the maker's decision ...
    session.refresh(pending)
    assert pending.status is ApprovalRequestStatus.CONFIRMED
    assert (pending.checker_id, pending.checker_note) == (checker.id, "同意")
    last = events.history(session, "application", app.id)[-1]
    assert (last.action, last.actor_id) == (
        "approve",
        checker.id,
    )  # ... made effective by the checker
    with pytest.raises(ConflictError) as caught:
        confirm(checker, "risk_officer")
    assert caught.value.code == "approval.not_pending"


def test_a_rejected_approval_returns_to_review_and_within_authority_stands_alone(
    session: Session,
) -> None:
    app = big_referral(session)
    maker, checker = staff(session, "approver"), staff(session, "risk_officer")
    first = reviews.decide_by_hand(
        session, app.id, approve=True, note="ok", now=NOW, today=TODAY, by_id=maker.id,
        maker_role="approver", actor_label=label(maker), collateral_value_fen=300_000_000,
    )  # fmt: skip
    assert first.pending is not None
    with pytest.raises(ValidationError):
        reviews.reject_approval(session, first.pending.id, note=" ", now=NOW, checker_id=checker.id,
                                checker_role="risk_officer", actor_label="x")  # fmt: skip
    reviews.reject_approval(session, first.pending.id, note="收入证明不足", now=NOW,
                            checker_id=checker.id, checker_role="risk_officer", actor_label="x")  # fmt: skip
    assert first.pending.status is ApprovalRequestStatus.REJECTED
    assert app.status is ApplicationStatus.UNDER_REVIEW
    # the maker lends less, within their own authority: it stands at once
    second = reviews.decide_by_hand(
        session, app.id, approve=True, note="降额", now=NOW, today=TODAY, by_id=maker.id,
        maker_role="approver", actor_label=label(maker), collateral_value_fen=300_000_000,
        amount_fen=40_000_000,
    )  # fmt: skip
    assert second.pending is None
    assert second.view is not None
    assert second.view.decision.approved_amount_fen == 40_000_000
    assert app.status is ApplicationStatus.APPROVED
    requests = session.scalars(
        select(ApprovalRequest).where(ApprovalRequest.application_id == app.id)
    ).all()
    assert [r.status for r in requests] == [ApprovalRequestStatus.REJECTED]


def test_a_role_without_authority_for_the_type_cannot_approve_and_withdrawal_cancels(
    session: Session,
) -> None:
    app = big_referral(session)
    maker = staff(session, "approver")
    admin = staff(session, "administrator")
    authority.set_authority(session, role="approver", max_amount_fen=50_000_000,
                            product_types=["consumer"], now=NOW, by_id=admin.id, actor_label="admin")  # fmt: skip
    with pytest.raises(ConflictError) as caught:
        reviews.decide_by_hand(
            session, app.id, approve=True, note="ok", now=NOW, today=TODAY, by_id=maker.id,
            maker_role="approver", actor_label="x", collateral_value_fen=300_000_000,
        )  # fmt: skip
    assert caught.value.code == "approval.not_authorised"
    authority.set_authority(session, role="approver", max_amount_fen=50_000_000,
                            product_types=[], now=NOW, by_id=admin.id, actor_label="admin")  # fmt: skip
    out = reviews.decide_by_hand(
        session, app.id, approve=True, note="ok", now=NOW, today=TODAY, by_id=maker.id,
        maker_role="approver", actor_label="x", collateral_value_fen=300_000_000,
    )  # fmt: skip
    assert out.pending is not None
    lifecycle.withdraw(session, app.id, reason="客户撤回", now=NOW, by_id=maker.id, actor_label="x")
    assert out.pending.status is ApprovalRequestStatus.CANCELLED
    assert app.status is ApplicationStatus.WITHDRAWN


def test_the_checker_confirms_a_secured_loan_at_the_makers_appraisal(session: Session) -> None:
    """The maker's appraised collateral value travels with the request (in its audit row), so the
    confirmation limits the loan by loan-to-value as the maker did; a request that does not
    record it (made before requests did) is refused."""
    app = big_referral(session)
    maker, checker = staff(session, "approver"), staff(session, "risk_officer")
    # ¥1,000,000 of collateral at HL-COM's 70 % loan-to-value: ¥700,000, above ¥500,000
    out = reviews.decide_by_hand(
        session, app.id, approve=True, note="评估价值一百万", now=NOW, today=TODAY, by_id=maker.id,
        maker_role="approver", actor_label=label(maker), collateral_value_fen=100_000_000,
    )  # fmt: skip
    assert out.pending is not None
    assert out.offer is not None
    assert (out.offer.limit_binding, out.offer.limit_fen) == ("loan_to_value", 70_000_000)
    assert out.pending.amount_fen == 70_000_000
    assert out.pending.collateral_value_fen == 100_000_000

    def confirm(request_id: int) -> service.DecisionView:
        return reviews.confirm_approval(
            session, request_id, now=NOW + timedelta(hours=1), today=TODAY,
            checker_id=checker.id, checker_role="risk_officer", actor_label=label(checker),
        )  # fmt: skip

    row = confirm(out.pending.id).decision
    assert (row.approved_amount_fen, row.limit_fen, row.limit_binding) == (
        70_000_000, 70_000_000, "loan_to_value",
    )  # fmt: skip
    assert row.decided_by_id == maker.id
    # a request without the maker's appraisal on record cannot be confirmed
    other = big_referral(session)
    old = ApprovalRequest(
        application_id=other.id, maker_id=maker.id, made_at=NOW, amount_fen=70_000_000,
        term_months=240, annual_rate=row.approved_rate, note="旧申请",
        status=ApprovalRequestStatus.PENDING,
    )  # fmt: skip
    session.add(old)
    session.flush()
    assert old.collateral_value_fen is None
    with pytest.raises(ConflictError) as caught:
        confirm(old.id)
    assert caught.value.code == "approval.no_appraisal"
    assert old.status is ApprovalRequestStatus.PENDING


def test_authority_is_data_with_defaults_and_every_change_audited(session: Session) -> None:
    # the shared demo bank may hold authorities another test stored (this session rolls back)
    session.execute(delete(ApprovalAuthority))
    assert authority.authority_map(session) == dict(authority.DEFAULT_AUTHORITIES)
    assert authority.ensure_default_authorities(session, NOW) == 3
    assert authority.ensure_default_authorities(session, NOW) == 0
    rows = {r.role: r.max_amount_fen for r in authority.authorities(session)}
    assert rows == {"approver": 50_000_000, "branch_head": 100_000_000, "risk_officer": 300_000_000}
    with pytest.raises(ValidationError) as caught:
        authority.set_authority(session, role="pilot", max_amount_fen=-1, product_types=["boats"],
                                now=NOW, by_id=None, actor_label="t")  # fmt: skip
    assert {p.field for p in caught.value.problems} == {"role", "max_amount", "product_types"}
    authority.set_authority(session, role="approver", max_amount_fen=80_000_000,
                            product_types=["housing"], now=NOW, by_id=None, actor_label="t")  # fmt: skip
    assert authority.authority_map(session)["approver"].max_amount_fen == 80_000_000
    entry = session.scalars(
        select(AuditLog)
        .where(AuditLog.action == "approval_authority.set")
        .order_by(AuditLog.id.desc())
    ).first()
    assert entry is not None
    assert entry.detail == {"before": [50_000_000, []], "after": [80_000_000, ["housing"]]}


# --- a combination loan ------------------------------------------------------------------------------


def test_a_combination_loan_is_disbursed_as_two_sub_loans(session: Session) -> None:
    app = decided(session, "HL-COMBO", 1_500_000, 300, appraisal, income=15_000_000)
    officer = staff(session, "risk_officer")
    out = reviews.decide_by_hand(
        session, app.id, approve=True, note="评估报告已收", now=NOW, today=TODAY, by_id=officer.id,
        maker_role="risk_officer", actor_label=label(officer), collateral_value_fen=500_000_000,
    )  # fmt: skip
    assert out.view is not None
    offer = out.view.offer
    assert offer is not None
    fund, commercial = offer.parts
    for step in (lifecycle.accept_offer, lifecycle.sign_contract, lifecycle.disburse):
        kwargs = {"now": NOW, "by_id": officer.id, "actor_label": "t"}
        if step is not lifecycle.sign_contract:
            kwargs["today"] = TODAY
        step(session, app.id, **kwargs)  # type: ignore[operator]
    parent, child = session.scalars(
        select(Loan).where(Loan.application_id == app.id).order_by(Loan.id)
    ).all()
    assert child.parent_loan_id == parent.id
    assert parent.parent_loan_id is None
    assert parent.rate_basis is not RateBasis.PROVIDENT_FUND
    assert child.rate_basis is RateBasis.PROVIDENT_FUND
    assert (parent.principal_fen, child.principal_fen) == (commercial.amount_fen, fund.amount_fen)
    assert parent.principal_fen + child.principal_fen == offer.amount_fen
    assert (parent.annual_rate, child.annual_rate) == (commercial.annual_rate, fund.annual_rate)
    assert (parent.apr, child.apr) == (commercial.apr, fund.apr)
    assert child.annual_rate < parent.annual_rate
    for loan in (parent, child):
        check_schedule(session, loan)
        assert loan.product_id == app.product_id
    assert app.status is ApplicationStatus.DISBURSED
    assert Decimal(0) < child.apr < parent.apr


def test_a_loan_the_bank_was_left_to_place_is_booked_where_it_is_disbursed(
    session: Session,
) -> None:
    # The portal's "由银行分配": neither the application nor the (new) customer has a branch.
    app = decided(session, "CL-GEN", 50_000, 24, approved_in_full)
    customer = session.get(Customer, app.customer_id)
    assert customer is not None
    app.branch_id = None
    customer.home_branch_id = None
    servicer = staff(session, "service_agent")
    for step in (lifecycle.accept_offer, lifecycle.sign_contract):
        kwargs = {"today": TODAY} if step is lifecycle.accept_offer else {}
        step(session, app.id, now=NOW, by_id=servicer.id, actor_label=label(servicer), **kwargs)
    (loan,) = lifecycle.disburse(
        session, app.id, now=NOW, today=TODAY, by_id=servicer.id, actor_label=label(servicer)
    )
    assert loan.branch_id == servicer.branch_id
    assert app.branch_id == servicer.branch_id  # recorded on the application too
