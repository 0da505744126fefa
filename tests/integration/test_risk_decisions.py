"""Credit decisions on the demo bank (both backends): an application is scored by the champion,
decided by the active policy, priced and limited, and stored with its reasons, model and policy
versions; referrals are reviewed by hand; the model registry and the policy store keep one champion
and one active policy, and record every change.

``site_bank`` is shared with the web tests, which commit (they promote models and activate policy
versions). So every test here works in one transaction that is rolled back at the end, installs
its own policy version first (``t5-risk``, the default body) and reads the champion it finds
instead of assuming the demo's.
"""

from __future__ import annotations

import copy
import json
import math
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loanpilot.analytics import finance
from loanpilot.analytics.scorecard import Scorecard
from loanpilot.analytics.scorecard_artefact import content_sha256, data_sha256, to_artefact
from loanpilot.audit.models import AuditLog
from loanpilot.customers.models import Channel, Customer
from loanpilot.customers.rules import age_on
from loanpilot.db.session import make_session_factory
from loanpilot.kit.errors import ConflictError, DomainError, ValidationError
from loanpilot.lending import authority
from loanpilot.lending.models import Application, ApplicationStatus
from loanpilot.products.models import LoanProduct, RateBasis, RepaymentMethod
from loanpilot.products.service import base_rate_on
from loanpilot.risk import policy_store, registry, service
from loanpilot.risk import review as reviews
from loanpilot.risk.features import FEATURE_LABELS
from loanpilot.risk.models import (
    CreditModel,
    CreditModelEvent,
    CreditPolicy,
    Decision,
    ModelStatus,
    PolicyStatus,
)
from loanpilot.risk.reasons import TEMPLATES
from loanpilot.risk.rules import DecisionOutcome
from loanpilot.team.models import Staff

if TYPE_CHECKING:
    from tests.conftest import DemoBank

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
POLICY = "t5-risk"
EI = RepaymentMethod.EQUAL_INSTALMENT
CJK = re.compile(r"[\u4e00-\u9fff]")
Want = Callable[[service.Assessment], bool]


@pytest.fixture
def session(site_bank: DemoBank) -> Iterator[Session]:
    """A session on the shared demo bank whose work is rolled back, with policy ``t5-risk``
    (the default body) active in it."""
    s = make_session_factory(site_bank.engine)()
    try:
        draft = policy_store.create_draft(
            s, version=POLICY, body=policy_store.DEFAULT_BODY, note="risk decision tests",
            by_id=None, actor_label="test", now=NOW,
        )  # fmt: skip
        policy_store.activate(s, draft.id, by_id=None, actor_label="test", now=NOW)
        yield s
    finally:
        s.rollback()
        s.close()


def product(session: Session, code: str) -> LoanProduct:
    return session.scalars(select(LoanProduct).where(LoanProduct.code == code)).one()


def apply(
    session: Session,
    customer_id: int,
    code: str,
    amount_yuan: int,
    term_months: int,
    method: RepaymentMethod = EI,
    *,
    submitted: bool = True,
) -> Application:
    """A submitted, undecided application (as the portal leaves it before the decision)."""
    app = Application(
        application_no=f"T5{uuid.uuid4().hex[:16].upper()}",
        customer_id=customer_id,
        product_id=product(session, code).id,
        channel=Channel.BRANCH,
        amount_fen=amount_yuan * 100,
        term_months=term_months,
        repayment_method=method,
        status=ApplicationStatus.SUBMITTED,
        submitted_at=NOW if submitted else None,
    )
    session.add(app)
    session.flush()
    return app


def find(
    session: Session,
    code: str,
    amount_yuan: int,
    term_months: int,
    want: Want,
) -> tuple[Application, service.Assessment]:
    """The first demo customer whose application assesses as ``want`` asks (assessing writes
    nothing; the other applications tried are deleted again)."""
    ids = session.scalars(select(Customer.id).order_by(Customer.id).limit(400)).all()
    for customer_id in ids:
        app = apply(session, customer_id, code, amount_yuan, term_months)
        assessment = service.assess_application(session, app.id, today=TODAY)
        if want(assessment):
            return app, assessment
        session.delete(app)
        session.flush()
    pytest.fail(f"no demo customer gives the wanted assessment for {code}")


def codes(assessment: service.Assessment) -> list[str]:
    return [r.code for r in assessment.reasons]


def decisions(session: Session, app: Application) -> list[Decision]:
    session.expire_all()  # read what was stored, not the objects in memory
    return list(
        session.scalars(
            select(Decision).where(Decision.application_id == app.id).order_by(Decision.id)
        )
    )


def champion(session: Session) -> CreditModel:
    row = registry.champion(session, policy_store.APPLICATION_MODEL)
    assert row is not None, "the demo bank has an application champion"
    return row


def staff_id(session: Session) -> int:
    return session.scalars(select(Staff.id).order_by(Staff.id).limit(1)).one()


def by_hand(session: Session, application_id: int, **kwargs: object) -> service.DecisionView:
    """A manual decision (``risk.review.decide_by_hand``) by a risk officer whose approval
    authority, set in this rolled-back session, covers every amount here: it stands at once."""
    authority.set_authority(
        session, role="risk_officer", max_amount_fen=authority.MAX_AUTHORITY_FEN,
        product_types=[], now=NOW, by_id=None, actor_label="test",
    )  # fmt: skip
    args: dict[str, object] = {
        "now": NOW, "today": TODAY, "by_id": staff_id(session), "maker_role": "risk_officer",
        "actor_label": "reviewer",
    } | kwargs  # fmt: skip
    outcome = reviews.decide_by_hand(session, application_id, **args)  # type: ignore[arg-type]
    assert outcome.pending is None
    assert outcome.view is not None
    return outcome.view


def audit(session: Session, action: str, entity_id: str) -> list[AuditLog]:
    return list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.action == action, AuditLog.entity_id == entity_id)
            .order_by(AuditLog.id)
        )
    )


def approved_in_full(a: service.Assessment) -> bool:
    return a.outcome is DecisionOutcome.APPROVE and not a.reasons


# --- automatic decisions ---------------------------------------------------------------------


def test_an_approval_is_stored_with_score_model_policy_features_and_a_priced_offer(
    session: Session,
) -> None:
    # 畅游旅游贷 has a monthly fee, so its APR is above its nominal rate.
    app, assessment = find(session, "CL-TRV", 30_000, 12, approved_in_full)
    view = service.decide_application(session, app.id, now=NOW, today=TODAY)
    (row,) = decisions(session, app)
    champ = champion(session)
    card = registry.load_scorecard(champ.artefact)
    prod = product(session, "CL-TRV")
    customer = session.get(Customer, app.customer_id)
    assert customer is not None

    assert row.outcome is DecisionOutcome.APPROVE
    assert row.model_version == champ.label
    assert row.model_version.startswith("application@")
    assert row.policy_version == POLICY
    assert row.reasons == []
    assert row.decided_at == NOW
    assert row.decided_by_id is None
    assert session.get(Application, app.id).status is ApplicationStatus.APPROVED  # type: ignore[union-attr]
    # the decision is the assessment, written
    assert assessment.scored is not None
    assert row.score == assessment.scored.score
    assert row.grade == assessment.scored.grade

    # the features are stored as JSON and score to the stored score and grade
    assert row.features is not None
    assert set(row.features) == set(FEATURE_LABELS)
    json.dumps(row.features)
    assert row.features["age"] == age_on(customer.birth_date, TODAY)
    assert row.features["amount_to_income"] == round(
        app.amount_fen / (12 * customer.monthly_income_fen), 6
    )
    frame = pd.DataFrame([row.features])
    raw = float(card.score(frame)[0])
    assert row.score == math.floor(raw + 0.5)
    assert row.grade == str(card.grades_.of(np.array([raw]))[0])
    assert row.pd == Decimal(f"{card.card_.pd_of(np.array([raw]))[0]:.8f}")
    assert row.pd is not None
    assert Decimal(0) < row.pd < Decimal(1)

    # the offer: everything asked for, within the limit, priced inside the product's band
    offer = view.offer
    assert offer is not None
    assert row.approved_amount_fen == offer.amount_fen == app.amount_fen
    assert offer.amount_fen <= row.limit_fen  # type: ignore[operator]
    assert row.limit_fen == offer.limit_fen
    assert row.limit_binding == offer.limit_binding
    assert row.approved_term_months == 12
    grid = policy_store.check_body(POLICY, policy_store.DEFAULT_BODY).grid
    spread = min(
        max(prod.min_spread + grid.spread_by_grade[row.grade], prod.min_spread), prod.max_spread
    )
    assert offer.spread == spread
    assert prod.min_spread <= offer.spread <= prod.max_spread
    assert row.approved_rate == offer.base_rate + spread == offer.annual_rate
    # the APR is the IRR of the schedule over interest and fees, and recomputes independently
    assert (
        row.approved_apr
        == offer.apr
        == finance.apr(offer.schedule, offer.amount_fen, offer.upfront_fee_fen)
    )
    again = finance.schedule(
        offer.amount_fen, row.approved_rate, 12, EI.value, prod.monthly_fee_rate
    )
    assert row.approved_apr == finance.apr(again, offer.amount_fen, offer.upfront_fee_fen)
    assert prod.monthly_fee_rate > 0
    assert row.approved_apr is not None
    assert row.approved_rate is not None
    assert row.approved_apr > row.approved_rate
    assert int(offer.schedule.principal_fen.sum()) == offer.amount_fen

    # the applicant's offer is rebuilt from the decision unchanged
    current = service.current_offer(session, app.id, TODAY)
    assert current is not None
    assert (current.amount_fen, current.annual_rate, current.apr) == (
        row.approved_amount_fen,
        row.approved_rate,
        row.approved_apr,
    )

    (entry,) = audit(session, "application.decide", app.application_no)
    assert entry.detail["outcome"] == "approve"
    assert entry.detail["model"] == champ.label
    assert entry.detail["policy"] == POLICY
    assert entry.detail["amount_fen"] == app.amount_fen


def test_deciding_twice_is_a_conflict(session: Session) -> None:
    app, _ = find(session, "CL-TRV", 30_000, 12, approved_in_full)
    service.decide_application(session, app.id, now=NOW, today=TODAY)
    with pytest.raises(ConflictError) as caught:
        service.decide_application(session, app.id, now=NOW, today=TODAY)
    assert caught.value.code == "application.decided"
    assert app.application_no in caught.value.message
    assessment = service.Assessment(
        app.id, DecisionOutcome.DECLINE, (), None, "x", "y", None, None
    )  # written late, after another decision
    with pytest.raises(ConflictError):
        service.record_assessment(session, assessment, now=NOW)
    assert len(decisions(session, app)) == 1


def test_a_reduced_amount_is_lent_up_to_the_limit_and_says_why(session: Session) -> None:
    def reduced(a: service.Assessment) -> bool:
        return a.offer is not None and codes(a) == ["limit.reduced"]

    app, _ = find(session, "CL-GEN", 300_000, 60, reduced)
    view = service.decide_application(session, app.id, now=NOW, today=TODAY)
    (row,) = decisions(session, app)
    assert row.outcome is DecisionOutcome.APPROVE
    assert view.offer is not None
    assert row.limit_fen is not None
    assert row.approved_amount_fen == row.limit_fen // 100 * 100  # whole yuan
    assert row.approved_amount_fen < app.amount_fen
    (reason,) = row.reasons
    assert reason["params"] == {"limit_fen": str(row.limit_fen), "binding": row.limit_binding}
    yuan = f"{Decimal(row.limit_fen) / 100:,.0f}"
    assert reason["zh"].startswith(f"可贷额度为{yuan}元")
    assert reason["en"].startswith(f"We can lend {yuan} yuan")
    assert row.approved_apr == finance.apr(view.offer.schedule, view.offer.amount_fen, 0)


def test_a_declined_application_keeps_its_score_and_every_reason_in_both_languages(
    session: Session,
) -> None:
    def by_rule(a: service.Assessment) -> bool:
        return a.outcome is DecisionOutcome.DECLINE and len(a.reasons) >= 2

    app, _ = find(session, "CL-GEN", 100_000, 36, by_rule)
    view = service.decide_application(session, app.id, now=NOW, today=TODAY)
    (row,) = decisions(session, app)
    assert view.offer is None
    assert row.outcome is DecisionOutcome.DECLINE
    assert session.get(Application, app.id).status is ApplicationStatus.DECLINED  # type: ignore[union-attr]
    assert row.score is not None  # scored, then declined by the hard rules
    assert row.model_version == champion(session).label
    assert (row.approved_amount_fen, row.approved_rate, row.approved_apr) == (None, None, None)
    assert len(row.reasons) >= 2
    for reason in row.reasons:
        assert set(reason) == {"code", "params", "zh", "en"}
        assert reason["code"].startswith("rule.")
        assert reason["code"] in TEMPLATES
        assert CJK.search(reason["zh"]), reason
        assert not CJK.search(reason["en"]), reason
        assert "{" not in reason["zh"] + reason["en"]


def test_a_score_in_the_refer_band_is_referred_with_the_scorecard_reasons(
    session: Session,
) -> None:
    def refer_band(a: service.Assessment) -> bool:
        return codes(a)[:1] == ["score.refer_band"]

    app, _ = find(session, "CL-GEN", 100_000, 36, refer_band)
    service.decide_application(session, app.id, now=NOW, today=TODAY)
    (row,) = decisions(session, app)
    stored = session.get(Application, app.id)
    assert stored is not None
    assert row.outcome is DecisionOutcome.REFER
    assert stored.status is ApplicationStatus.REFERRED
    assert stored.review_started_at == NOW
    band, *factors = row.reasons
    assert band["params"] == {"score": str(row.score), "approve_from": "560"}
    assert band["en"] == f"Credit score {row.score}: referred for manual review"
    card = registry.load_scorecard(champion(session).artefact)
    assert 1 <= len(factors) <= 3
    for factor in factors:
        assert factor["code"] == "score.factor"
        assert factor["params"]["variable"] in card.variables_
        assert float(factor["params"]["lost"]) > 0
        assert "lowered the score" in factor["en"]
        assert "拉低了评分" in factor["zh"]
    lost = [float(f["params"]["lost"]) for f in factors]
    assert lost == sorted(lost, reverse=True)
    queue = reviews.review_queue(session, limit_rows=100_000)
    assert [d.id for a, d in queue if a.id == app.id and d is not None] == [row.id]


def test_a_provident_fund_loan_is_declined_without_provident_fund(session: Session) -> None:
    def no_fund(a: service.Assessment) -> bool:
        return a.features is not None and a.features["provident_fund"] == "no"

    app, _ = find(session, "HL-PF", 500_000, 240, no_fund)
    service.decide_application(session, app.id, now=NOW, today=TODAY)
    (row,) = decisions(session, app)
    assert row.outcome is DecisionOutcome.DECLINE
    assert "rule.provident_fund_required" in [r["code"] for r in row.reasons]


def test_a_combination_loan_is_approved_as_a_fund_part_and_a_commercial_part(
    session: Session,
) -> None:
    """组合贷: referred for the appraisal like any mortgage, then approved at review as a
    provident-fund part (the fund's rate, up to its product maximum) and a commercial part."""

    def passes(a: service.Assessment) -> bool:
        return codes(a) == ["collateral.appraisal"]

    app, _ = find(session, "HL-COMBO", 1_500_000, 300, passes)
    service.decide_application(session, app.id, now=NOW, today=TODAY)
    app.stated_monthly_income_fen = 15_000_000  # ¥150,000 a month: the limit is not the binder
    view = by_hand(
        session, app.id, approve=True, note="评估报告已收", collateral_value_fen=500_000_000
    )
    offer = view.offer
    assert offer is not None
    fund, commercial = offer.parts
    assert session.get(LoanProduct, fund.product_id).code == "HL-PF"  # type: ignore[union-attr]
    assert session.get(LoanProduct, commercial.product_id).code == "HL-COM"  # type: ignore[union-attr]
    assert fund.amount_fen + commercial.amount_fen == offer.amount_fen
    assert fund.amount_fen == product(session, "HL-PF").max_amount_fen  # the fund part first
    assert fund.annual_rate == base_rate_on(session, RateBasis.PROVIDENT_FUND, TODAY, 300)
    assert commercial.annual_rate > fund.annual_rate
    # the whole loan: flows added period by period, APR by IRR over them
    whole = offer.schedule
    np.testing.assert_array_equal(
        whole.payment_fen, fund.schedule.payment_fen + commercial.schedule.payment_fen
    )
    assert int(whole.principal_fen.sum()) == offer.amount_fen
    assert offer.apr == finance.apr(whole, offer.amount_fen, offer.quote.upfront_fee_fen)
    assert fund.annual_rate < offer.annual_rate < commercial.annual_rate
    row = decisions(session, app)[-1]
    assert [p["product_code"] for p in row.offer_parts or []] == ["HL-PF", "HL-COM"]
    assert row.approved_amount_fen == offer.amount_fen
    again = service.current_offer(session, app.id, TODAY)  # what the applicant is shown
    assert again is not None
    assert [q.amount_fen for q in again.parts] == [fund.amount_fen, commercial.amount_fen]
    assert again.apr == offer.apr


# --- secured loans and manual review ---------------------------------------------------------


def secured_referral(session: Session) -> tuple[Application, Decision]:
    """An HL-COM mortgage of ¥600,000 that passes by score and is referred for the appraisal,
    from an applicant earning at least ¥15,000 a month."""

    def referred(a: service.Assessment) -> bool:
        return (
            codes(a) == ["collateral.appraisal"]
            and a.features is not None
            and a.features["monthly_income_yuan"] >= 15_000
        )

    app, _ = find(session, "HL-COM", 600_000, 240, referred)
    service.decide_application(session, app.id, now=NOW, today=TODAY)
    (row,) = decisions(session, app)
    return app, row


def test_a_secured_loan_that_passes_is_referred_for_the_collateral_appraisal(
    session: Session,
) -> None:
    app, row = secured_referral(session)
    assert row.outcome is DecisionOutcome.REFER
    assert row.score is not None
    assert row.score >= 560
    assert row.reasons == [
        {
            "code": "collateral.appraisal",
            "params": {},
            "zh": "抵押物需经评估后确定额度，转人工审批",
            "en": "The collateral must be appraised before the limit is set: manual review",
        }
    ]
    assert row.approved_amount_fen is None
    assert session.get(Application, app.id).status is ApplicationStatus.REFERRED  # type: ignore[union-attr]
    assert app.id in [a.id for a, _ in reviews.review_queue(session, limit_rows=100_000)]


def test_a_reviewer_approves_a_secured_loan_limited_by_loan_to_value(session: Session) -> None:
    app, first = secured_referral(session)
    reviewer = staff_id(session)

    def review(**kwargs: object) -> service.DecisionView:
        args: dict[str, object] = {"approve": True, "note": "评估报告已收", "by_id": reviewer}
        return by_hand(session, app.id, **(args | kwargs))

    with pytest.raises(ValidationError) as caught:
        review(note="   ")
    assert caught.value.code == "review.note"
    with pytest.raises(ValidationError) as caught:
        review()
    assert caught.value.code == "review.collateral"
    with pytest.raises(ValidationError) as caught:  # never more than was applied for
        review(collateral_value_fen=10**12, amount_fen=app.amount_fen + 100)
    assert caught.value.code == "review.amount"

    # ¥150,000 of collateral at HL-COM's 70 % loan-to-value: ¥105,000, below every other limit
    view = review(collateral_value_fen=15_000_000)
    first_row, row = decisions(session, app)
    assert first_row.id == first.id
    prod = product(session, "HL-COM")
    assert prod.max_ltv == Decimal("0.7")
    assert row.outcome is DecisionOutcome.APPROVE
    assert row.limit_binding == "loan_to_value"
    assert row.limit_fen == 10_500_000
    assert row.approved_amount_fen == 10_500_000 < app.amount_fen
    assert row.model_version == service.MANUAL_MODEL
    assert row.policy_version == POLICY
    assert row.grade == first.grade  # priced by the automatic decision's grade
    audit = session.scalars(
        select(AuditLog)
        .where(AuditLog.action == "application.decide", AuditLog.entity_id == app.application_no)
        .order_by(AuditLog.id.desc())
    ).first()
    assert audit is not None
    assert audit.detail["grade"] == first.grade
    assert row.decided_by_id == reviewer
    assert row.note == "评估报告已收"
    assert row.reasons == [
        {
            "code": "manual.approve",
            "params": {},  # the officer's note stays in Decision.note, never shown to the applicant
            "zh": "经信贷人员人工复核通过",
            "en": "Approved by a credit officer at review",
        }
    ]
    offer = view.offer
    assert offer is not None
    assert prod.min_spread <= offer.spread <= prod.max_spread
    assert row.approved_rate == offer.base_rate + offer.spread
    assert row.approved_apr == finance.apr(offer.schedule, offer.amount_fen, offer.upfront_fee_fen)
    assert session.get(Application, app.id).status is ApplicationStatus.APPROVED  # type: ignore[union-attr]
    assert service.latest_decision(session, app.id).id == row.id  # type: ignore[union-attr]
    current = service.current_offer(session, app.id, TODAY)
    assert current is not None
    assert (current.amount_fen, current.annual_rate) == (10_500_000, row.approved_rate)

    with pytest.raises(ConflictError) as conflict:
        review(collateral_value_fen=15_000_000)
    assert conflict.value.code == "application.not_referred"


def test_a_reviewer_declines_only_with_a_note(session: Session) -> None:
    app, _ = secured_referral(session)
    reviewer = staff_id(session)
    for blank in ("", "  \n"):
        with pytest.raises(ValidationError) as caught:
            by_hand(session, app.id, approve=False, note=blank, by_id=reviewer)
        assert caught.value.code == "review.note"
    view = by_hand(session, app.id, approve=False, note=" 房产存在查封 ", by_id=reviewer)
    assert view.offer is None
    _, row = decisions(session, app)
    assert row.outcome is DecisionOutcome.DECLINE
    assert row.note == "房产存在查封"
    assert row.reasons[0]["zh"] == "经信贷人员人工复核，本次申请未获批准"
    assert "房产" not in str(row.reasons)  # the note is for staff only
    assert session.get(Application, app.id).status is ApplicationStatus.DECLINED  # type: ignore[union-attr]
    assert app.id not in [a.id for a, _ in reviews.review_queue(session, limit_rows=100_000)]
    (entry,) = [
        e for e in audit(session, "application.decide", app.application_no) if e.actor_staff_id
    ]
    assert entry.detail["outcome"] == "decline"
    assert entry.actor_label == "reviewer"


def test_a_submitted_application_cannot_be_reviewed(session: Session) -> None:
    app = apply(session, 1, "CL-GEN", 50_000, 24)
    with pytest.raises(ConflictError):
        by_hand(session, app.id, approve=True, note="x")


# --- rerun, missing policy, tampered model -----------------------------------------------------


def test_decide_pending_decides_every_submitted_application_left_undecided(
    session: Session,
) -> None:
    mine = [apply(session, cid, "CL-GEN", 50_000, 24) for cid in (1, 2, 3)]
    draft = apply(session, 4, "CL-GEN", 50_000, 24, submitted=False)  # never submitted
    pending = session.scalar(
        select(func.count())
        .select_from(Application)
        .where(
            Application.status == ApplicationStatus.SUBMITTED,
            Application.submitted_at.is_not(None),
        )
    )
    assert pending is not None
    assert pending >= 3
    assert service.decide_pending(session, now=NOW, today=TODAY) == pending
    for app in mine:
        (row,) = decisions(session, app)
        assert row.policy_version == POLICY
        assert session.get(Application, app.id).status is not ApplicationStatus.SUBMITTED  # type: ignore[union-attr]
    assert decisions(session, draft) == []
    assert service.decide_pending(session, now=NOW, today=TODAY) == 0  # safe to rerun


def test_without_an_active_policy_the_application_is_referred(session: Session) -> None:
    active = policy_store.active_row(session)
    assert active is not None
    active.status = PolicyStatus.RETIRED
    session.flush()
    app = apply(session, 2, "CL-GEN", 50_000, 24)
    view = service.decide_application(session, app.id, now=NOW, today=TODAY)
    (row,) = decisions(session, app)
    assert view.offer is None
    assert row.outcome is DecisionOutcome.REFER
    assert [r["code"] for r in row.reasons] == ["policy.missing"]
    assert row.reasons[0]["en"] == "No credit policy in force: manual review"
    assert (row.model_version, row.policy_version) == ("none", "none")
    assert (row.score, row.grade, row.features) == (None, None, None)
    assert session.get(Application, app.id).status is ApplicationStatus.REFERRED  # type: ignore[union-attr]
    with pytest.raises(ConflictError) as caught:  # nothing to price an approval with
        by_hand(session, app.id, approve=True, note="ok")
    assert caught.value.code == "policy.missing"


def tampered(artefact: dict[str, object]) -> dict[str, object]:
    out = copy.deepcopy(artefact)
    card = out["card"]
    assert isinstance(card, dict)
    card["variables"][0]["points"][0] += 1.0
    return out


def test_a_tampered_champion_artefact_is_refused(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "_CACHE", {})  # loaded cards are cached per content hash
    champ = champion(session)
    champ.artefact = tampered(champ.artefact)
    session.flush()
    app = apply(session, 2, "CL-GEN", 50_000, 24)
    with pytest.raises(ValidationError) as caught:
        service.decide_application(session, app.id, now=NOW, today=TODAY)
    assert caught.value.code == "model.artefact"
    assert "does not match its hash" in caught.value.message
    assert decisions(session, app) == []
    assert session.get(Application, app.id).status is ApplicationStatus.SUBMITTED  # type: ignore[union-attr]
    assert registry._CACHE == {}


def test_a_champion_the_application_features_cannot_feed_is_refused_clearly(
    session: Session,
) -> None:
    rng = np.random.default_rng(5)
    months = rng.integers(6, 72, 3000)
    bad = (rng.random(3000) < 1 / (1 + np.exp(-(months - 50) / 8))).astype(np.int64)
    x = pd.DataFrame({"duration_in_month": months})
    card = Scorecard().fit(x, bad)
    art = to_artefact(
        card, name=policy_store.APPLICATION_MODEL, version="t5-foreign",
        trained_at="2026-11-29T00:00:00+00:00", data_hash=data_sha256(x, bad),
    )  # fmt: skip
    row = registry.register(session, art, by_id=None, actor_label="test", now=NOW)
    try:
        registry.promote(session, row.id, by_id=None, actor_label="test", now=NOW)
    except DomainError:
        return  # refused at promotion: fine
    app = apply(session, 2, "CL-GEN", 50_000, 24)
    with pytest.raises(DomainError):
        service.decide_application(session, app.id, now=NOW, today=TODAY)


def test_an_interest_only_loan_is_not_declined_for_its_final_principal(
    session: Session,
) -> None:
    _, approved = find(session, "CL-GEN", 100_000, 24, approved_in_full)
    assert approved.features is not None
    customer_id = session.scalars(
        select(Application.customer_id).where(Application.id == approved.application_id)
    ).one()
    app = apply(session, customer_id, "CL-GEN", 100_000, 24, RepaymentMethod.INTEREST_ONLY)
    assessment = service.assess_application(session, app.id, today=TODAY)
    assert "rule.dti_above_max" not in codes(assessment)


# --- the model registry ------------------------------------------------------------------------


def new_version(artefact: dict[str, object], version: str) -> dict[str, object]:
    """The artefact refitted under a new version: same card, new name@version, new hash."""
    out = copy.deepcopy(artefact)
    model = out["model"]
    assert isinstance(model, dict)
    model["version"] = version
    out["content_sha256"] = content_sha256(out)
    return out


def test_promoting_a_new_version_retires_the_old_champion_and_records_both(
    session: Session,
) -> None:
    old = champion(session)
    new = registry.register(
        session, new_version(old.artefact, "t5-2"), by_id=None, actor_label="test", now=NOW,
        note="refit",
    )  # fmt: skip
    assert new.status is ModelStatus.CHALLENGER
    assert new.label == "application@t5-2"
    assert [e.action for e in registry.events(session, new.id)] == ["registered"]
    before = session.scalar(select(func.count()).select_from(CreditModelEvent))

    registry.promote(session, new.id, by_id=None, actor_label="test", now=NOW, note="better")
    session.expire_all()
    assert session.get(CreditModel, new.id).status is ModelStatus.CHAMPION  # type: ignore[union-attr]
    assert session.get(CreditModel, old.id).status is ModelStatus.RETIRED  # type: ignore[union-attr]
    assert registry.champion(session, "application").id == new.id  # type: ignore[union-attr]
    assert session.scalar(select(func.count()).select_from(CreditModelEvent)) == before + 2  # type: ignore[operator]
    retired = registry.events(session, old.id)[-1]
    assert (retired.action, retired.from_status, retired.to_status) == (
        "retired",
        "champion",
        "retired",
    )
    assert retired.note == f"replaced by {new.label}"
    promoted = registry.events(session, new.id)
    assert [(e.action, e.from_status, e.to_status) for e in promoted] == [
        ("registered", None, "challenger"),
        ("promoted", "challenger", "champion"),
    ]
    assert promoted[-1].note == "better"
    assert [a.detail for a in audit(session, "model.promoted", new.label)] == [
        {"from": "challenger", "to": "champion"}
    ]
    assert len(audit(session, "model.retired", old.label)) >= 1
    assert len(audit(session, "model.registered", new.label)) == 1

    # the next decision uses the new champion
    app = apply(session, 2, "CL-GEN", 50_000, 24)
    service.decide_application(session, app.id, now=NOW, today=TODAY)
    assert decisions(session, app)[0].model_version == "application@t5-2"

    # a retired model cannot come back, nor be retired again
    with pytest.raises(ConflictError) as caught:
        registry.promote(session, old.id, by_id=None, actor_label="test", now=NOW)
    assert caught.value.code == "model.not_challenger"
    with pytest.raises(ConflictError):
        registry.retire(session, old.id, by_id=None, actor_label="test", now=NOW)
    with pytest.raises(ConflictError):  # the champion is replaced, never just retired
        registry.retire(session, new.id, by_id=None, actor_label="test", now=NOW)


def test_a_challenger_can_be_retired(session: Session) -> None:
    row = registry.register(
        session, new_version(champion(session).artefact, "t5-c"), by_id=None,
        actor_label="test", now=NOW,
    )  # fmt: skip
    registry.retire(session, row.id, by_id=None, actor_label="test", now=NOW, note="worse")
    assert row.status is ModelStatus.RETIRED
    assert [e.action for e in registry.events(session, row.id)] == ["registered", "retired"]


def test_the_same_name_and_version_cannot_be_registered_twice(session: Session) -> None:
    champ = champion(session)
    with pytest.raises(ConflictError) as caught:
        registry.register(session, champ.artefact, by_id=None, actor_label="test", now=NOW)
    assert caught.value.code == "model.exists"
    assert champ.label in caught.value.message
    art = new_version(champ.artefact, "t5-dup")
    registry.register(session, art, by_id=None, actor_label="test", now=NOW)
    with pytest.raises(ConflictError):
        registry.register(session, art, by_id=None, actor_label="test", now=NOW)


def test_a_tampered_artefact_cannot_be_registered(session: Session) -> None:
    art = tampered(new_version(champion(session).artefact, "t5-bad"))
    with pytest.raises(ValidationError) as caught:
        registry.register(session, art, by_id=None, actor_label="test", now=NOW)
    assert "does not match its hash" in caught.value.message
    assert session.scalars(select(CreditModel).where(CreditModel.version == "t5-bad")).all() == []


def test_the_database_refuses_two_champions_of_one_name(session: Session) -> None:
    row = registry.register(
        session, new_version(champion(session).artefact, "t5-two"), by_id=None,
        actor_label="test", now=NOW,
    )  # fmt: skip
    row.status = ModelStatus.CHAMPION  # by hand, past the service
    with pytest.raises(IntegrityError):
        session.flush()


# --- the policy store --------------------------------------------------------------------------


def test_activating_a_draft_retires_the_previous_active_policy(session: Session) -> None:
    previous = policy_store.active_row(session)
    assert previous is not None
    assert previous.version == POLICY
    body = copy.deepcopy(policy_store.DEFAULT_BODY)
    body["cutoffs"] = {"approve_from": 600, "decline_below": 540}
    draft = policy_store.create_draft(
        session, version="t5-next", body=body, note=" stricter ", by_id=None,
        actor_label="test", now=NOW,
    )  # fmt: skip
    assert draft.status is PolicyStatus.DRAFT
    assert draft.note == "stricter"
    assert policy_store.active_row(session).id == previous.id  # type: ignore[union-attr]

    policy_store.activate(session, draft.id, by_id=None, actor_label="test", now=NOW)
    session.expire_all()
    assert session.get(CreditPolicy, draft.id).status is PolicyStatus.ACTIVE  # type: ignore[union-attr]
    assert session.get(CreditPolicy, previous.id).status is PolicyStatus.RETIRED  # type: ignore[union-attr]
    stored = policy_store.active_policy(session)
    assert stored is not None
    assert stored.policy.version == "t5-next"
    assert stored.policy.cutoffs.approve_from == 600
    assert [a.detail for a in audit(session, "policy.activate", "t5-next")] == [{"retired": POLICY}]
    assert len(audit(session, "policy.draft", "t5-next")) == 1

    for not_draft in (draft.id, previous.id):
        with pytest.raises(ConflictError) as caught:
            policy_store.activate(session, not_draft, by_id=None, actor_label="test", now=NOW)
        assert caught.value.code == "policy.not_draft"

    app = apply(session, 2, "CL-GEN", 50_000, 24)
    service.decide_application(session, app.id, now=NOW, today=TODAY)
    assert decisions(session, app)[0].policy_version == "t5-next"


def test_a_draft_with_a_taken_version_or_a_bad_body_lists_every_problem(
    session: Session,
) -> None:
    body = copy.deepcopy(policy_store.DEFAULT_BODY)
    body["cutoffs"] = {"approve_from": 500, "decline_below": 540}
    with pytest.raises(ValidationError) as caught:
        policy_store.create_draft(
            session, version=POLICY, body=body, note=None, by_id=None, actor_label="test",
            now=NOW,
        )  # fmt: skip
    assert [p.field for p in caught.value.problems] == ["version", "cutoffs"]
    with pytest.raises(ValidationError):
        policy_store.create_draft(
            session, version=" ", body=policy_store.DEFAULT_BODY, note=None, by_id=None,
            actor_label="test", now=NOW,
        )  # fmt: skip


def test_the_database_refuses_two_active_policies(session: Session) -> None:
    draft = policy_store.create_draft(
        session, version="t5-second", body=policy_store.DEFAULT_BODY, note=None, by_id=None,
        actor_label="test", now=NOW,
    )  # fmt: skip
    draft.status = PolicyStatus.ACTIVE  # by hand, past the service
    with pytest.raises(IntegrityError):
        session.flush()


def test_one_application_that_cannot_be_assessed_does_not_block_the_others(
    session: Session,
) -> None:
    stuck = apply(session, 1, "CL-GEN", 50_000, 24)
    stuck.amount_fen = product(session, "CL-GEN").max_amount_fen + 100_000_00
    session.flush()
    fine = apply(session, 2, "CL-GEN", 50_000, 24)
    service.decide_pending(session, now=NOW, today=TODAY)
    assert len(decisions(session, fine)) == 1
