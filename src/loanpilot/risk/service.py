"""Credit decisions on applications: score with the champion card, decide by the active policy,
price and limit by grade, and offer with the APR and the schedule, or decline with reasons.

``decide_application`` is the one entry point for the portal, the console and the batch rerun
(``loanpilot risk decide-pending``). It reads the applicant (customer record, the latest bureau
report and card behaviour), builds the features with ``risk.features.application_features`` (the
same function the development sample used), scores one row with the compiled kernel, calls the
pure ``risk.rules.decide``, and for an approval prices and limits the offer
(``risk.service_offer.make_offer``: the pure ``products.pricing.price`` and ``limit``).
The decision row keeps the score, PD, grade, reasons (code, parameters, Chinese and English), the
features read, ``model@version`` and the policy version.

Secured products and combination loans are referred: a secured limit needs the appraised value of
the collateral (loan-to-value), which the reviewer enters; a 组合贷 is set part by part.

Manual review (``risk.review.decide_by_hand``) decides a referred application by hand, with a
note, within the reviewer's approval authority (above it, maker-checker: a second approver
confirms); an approval is priced by the grade of the automatic decision and, for a secured loan,
the appraised value.

Scoring one applicant is ``risk.service_score``; offers and limits (``Offer``, ``make_offer``,
``current_offer``, …) are ``risk.service_offer``; the names callers use are importable from here
too. Services flush; the caller commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from loanpilot.analytics.finance import add_months
from loanpilot.audit.service import record
from loanpilot.customers.rules import age_on
from loanpilot.kit.errors import ConflictError, DomainError
from loanpilot.lending.events import transition
from loanpilot.lending.models import Application, ApplicationStatus
from loanpilot.lending.workflow import Action
from loanpilot.risk import policy_store, registry, repository
from loanpilot.risk.models import Decision
from loanpilot.risk.reasons import reason_record
from loanpilot.risk.rules import DecisionOutcome, Facts, Reason, decide
from loanpilot.risk.service_offer import (
    Offer,
    current_offer,
    effective_hard_rules,
    instalment_for_dti,
    is_secured,
    load_application,
    make_offer,
    offer_parts_record,
)
from loanpilot.risk.service_score import (
    Scored,
    applicant_features,
    features_record,
    score_features,
)

__all__ = [  # this module's names, and those of service_offer / service_score callers use here
    "DECIDABLE",
    "MANUAL_MODEL",
    "Assessment",
    "DecisionView",
    "Offer",
    "Scored",
    "assess_application",
    "current_offer",
    "decide_application",
    "decide_pending",
    "effective_hard_rules",
    "is_secured",
    "latest_decision",
    "make_offer",
    "record_assessment",
    "score_features",
]

_log = logging.getLogger(__name__)
MANUAL_MODEL = "manual"
#: The workflow action (``lending.workflow``) each outcome records.
_ACTION = {
    DecisionOutcome.APPROVE: Action.APPROVE,
    DecisionOutcome.REFER: Action.REFER,
    DecisionOutcome.DECLINE: Action.DECLINE,
}
DECIDABLE = frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW})


@dataclass(frozen=True)
class DecisionView:
    decision: Decision
    offer: Offer | None


def _store(
    session: Session,
    app: Application,
    outcome: DecisionOutcome,
    reasons: list[Reason],
    *,
    scored: Scored | None,
    model_label: str,
    policy_version: str,
    offer: Offer | None,
    features: dict[str, Any] | None,
    now: datetime,
    by_id: int | None,
    actor_label: str,
    note: str | None = None,
    grade: str | None = None,
    checked_by: tuple[int, str] | None = None,
) -> Decision:
    """Write the decision and move the application by the workflow (``lending.events``): an
    outcome its stage does not allow is refused before anything is written. ``checked_by`` (staff
    id, label) is the checker who confirmed an approval above the maker's authority: the
    transition is theirs, the decision stays the maker's (``by_id``)."""
    event_id, event_label = checked_by if checked_by is not None else (by_id, actor_label)
    stage = transition(
        session,
        entity="application",
        entity_id=app.id,
        entity_label=app.application_no,
        stage=app.status.value,
        action=_ACTION[outcome],
        now=now,
        actor_id=event_id,
        actor_label=event_label,
        note=note,
    )
    row = Decision(
        application_id=app.id,
        outcome=outcome,
        score=None if scored is None else scored.score,
        pd=None if scored is None else Decimal(f"{scored.pd:.8f}"),
        grade=grade if scored is None else scored.grade,
        reasons=[reason_record(r) for r in reasons],
        model_version=model_label,
        policy_version=policy_version,
        approved_amount_fen=None if offer is None else offer.amount_fen,
        approved_rate=None if offer is None else offer.annual_rate,
        approved_term_months=None if offer is None else offer.term_months,
        approved_apr=None if offer is None else offer.apr,
        offer_parts=None
        if offer is None or not offer.parts
        else offer_parts_record(session, offer),
        limit_fen=None if offer is None else offer.limit_fen,
        limit_binding=None if offer is None else offer.limit_binding,
        features=features,
        decided_at=now,
        decided_by_id=by_id,
        note=note,
    )
    session.add(row)
    app.status = ApplicationStatus(stage.value)
    app.decided_at = now
    if outcome is DecisionOutcome.REFER and app.review_started_at is None:
        app.review_started_at = now
    session.flush()
    record(
        session,
        action="application.decide",
        actor_label=actor_label,
        actor_staff_id=by_id,
        entity="application",
        entity_id=app.application_no,
        detail={
            "outcome": outcome.value,
            "score": row.score,
            "grade": row.grade,
            "model": model_label,
            "policy": policy_version,
            "reasons": [r.code for r in reasons],
            "amount_fen": row.approved_amount_fen,
        },
        at=now,
    )
    return row


@dataclass(frozen=True)
class Assessment:
    """What the decision will be, computed without writing anything (``assess_application``)."""

    application_id: int
    outcome: DecisionOutcome
    reasons: tuple[Reason, ...]
    scored: Scored | None
    model_label: str
    policy_version: str
    offer: Offer | None
    features: dict[str, Any] | None


def assess_application(session: Session, application_id: int, *, today: date) -> Assessment:
    """Score, decide, price and limit one submitted application, reading only (see the module
    docstring). Kept apart from the writes so a caller can run the reads first and then write in
    one short step (on SQLite a read snapshot must not be upgraded to a write)."""
    app, customer, product = load_application(session, application_id)
    if app.status not in DECIDABLE:
        raise ConflictError(
            "application.decided",
            f"Application {app.application_no} is {app.status.value}; it cannot be decided again",
        )
    stored = policy_store.active_policy(session)
    if stored is None:
        return Assessment(
            app.id, DecisionOutcome.REFER, (Reason("policy.missing"),), None, "none", "none",
            None, None,
        )  # fmt: skip
    instalment = instalment_for_dti(session, app, product, today)
    features, bureau = applicant_features(session, app, customer, product, instalment, today)
    champion = registry.champion(session, stored.model_name)
    scored: Scored | None = None
    model_label = "none"
    if champion is not None:
        scored = score_features(registry.load_scorecard(champion.artefact), features)
        model_label = champion.label
    hard = effective_hard_rules(stored.policy.hard, product)
    debt = bureau.monthly_debt_payment_fen if bureau is not None else 0
    facts = Facts(
        product_code=product.code,
        age=age_on(customer.birth_date, today),
        age_at_maturity=age_on(customer.birth_date, add_months(today, app.term_months)),
        monthly_income_fen=app.stated_monthly_income_fen or customer.monthly_income_fen,
        monthly_debt_payment_fen=debt,
        new_instalment_fen=instalment,
        bureau_current_overdue=bool(bureau.current_overdue) if bureau is not None else False,
        blacklisted=customer.is_blacklisted,
        occupation=customer.occupation.value,
        collateral_kind=None,
        has_provident_fund=customer.has_provident_fund,
    )
    secured = is_secured(product, stored)
    policy = replace(stored.policy, hard=replace(hard, collateral={}))  # appraisal handled below
    decision = decide(
        facts,
        None if scored is None else scored.score,
        policy,
        () if scored is None else scored.reasons,
    )
    outcome, reasons = decision.outcome, list(decision.reasons)
    offer: Offer | None = None
    if outcome is DecisionOutcome.APPROVE and scored is not None:
        if secured:
            outcome, reasons = DecisionOutcome.REFER, [Reason("collateral.appraisal")]
        else:
            made = make_offer(
                session, app, customer, product, grade=scored.grade, stored=stored,
                monthly_debt_fen=debt, today=today,
            )  # fmt: skip
            if isinstance(made, Reason):
                outcome, reasons = DecisionOutcome.DECLINE, [made]
            else:
                offer = made
                if made.amount_fen < app.amount_fen:
                    reasons = [
                        Reason(
                            "limit.reduced",
                            {"limit_fen": str(made.limit_fen), "binding": made.limit_binding},
                        )
                    ]
    return Assessment(
        app.id, outcome, tuple(reasons), scored, model_label, stored.policy.version, offer,
        features_record(features),
    )  # fmt: skip


def record_assessment(
    session: Session,
    assessment: Assessment,
    *,
    now: datetime,
    by_id: int | None = None,
    actor_label: str = "system",
) -> DecisionView:
    """Write an assessment as the application's decision (refused if it was decided since)."""
    app, _, _ = load_application(session, assessment.application_id)
    if app.status not in DECIDABLE:
        raise ConflictError(
            "application.decided",
            f"Application {app.application_no} is {app.status.value}; it cannot be decided again",
        )
    row = _store(
        session, app, assessment.outcome, list(assessment.reasons), scored=assessment.scored,
        model_label=assessment.model_label, policy_version=assessment.policy_version,
        offer=assessment.offer, features=assessment.features, now=now, by_id=by_id,
        actor_label=actor_label,
    )  # fmt: skip
    return DecisionView(row, assessment.offer)


def decide_application(
    session: Session,
    application_id: int,
    *,
    now: datetime,
    today: date,
    by_id: int | None = None,
    actor_label: str = "system",
) -> DecisionView:
    """``assess_application`` then ``record_assessment``."""
    assessment = assess_application(session, application_id, today=today)
    return record_assessment(session, assessment, now=now, by_id=by_id, actor_label=actor_label)


def latest_decision(session: Session, application_id: int) -> Decision | None:
    return repository.latest_decision(session, application_id)


def decide_pending(session: Session, *, now: datetime, today: date, limit_rows: int = 1000) -> int:
    """Decide submitted applications left undecided (e.g. after a crash); returns how many were
    decided. One that cannot be assessed (logged by id and error code) does not stop the rest."""
    ids = repository.pending_application_ids(session, limit_rows)
    done = 0
    for application_id in ids:
        savepoint = session.begin_nested()
        try:  # this one needs a person (or a fix); the others still get decided
            record_assessment(
                session, assess_application(session, application_id, today=today), now=now
            )
            savepoint.commit()
        except (DomainError, ValueError, ArithmeticError) as exc:
            savepoint.rollback()
            _log.warning("application id %s not decided: %s", application_id, type(exc).__name__)
            continue
        done += 1
    return done
