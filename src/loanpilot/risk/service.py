"""Credit decisions on applications: score with the champion card, decide by the active policy,
price and limit by grade, and offer with the APR and the schedule, or decline with reasons.

``decide_application`` is the one entry point for the portal, the console and the batch rerun
(``loanpilot risk decide-pending``). It reads the applicant (customer record, the latest bureau
report and card behaviour), builds the features with ``risk.features.application_features`` (the
same function the development sample used), scores one row with the compiled kernel, calls the
pure ``risk.rules.decide``, and for an approval the pure ``products.pricing.price`` and ``limit``.
The decision row keeps the score, PD, grade, reasons (code, parameters, Chinese and English), the
features read, ``model@version`` and the policy version.

Secured products and combination loans are referred: a secured limit needs the appraised value of
the collateral (loan-to-value), which the reviewer enters; a 组合贷 is set part by part.

Manual review (``review_application``) decides a referred application by hand, with a note; an
approval is priced by the grade of the automatic decision and, for a secured loan, the appraised
value. Services flush; the caller commits.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from loanpilot.analytics.finance import (
    EQUAL_INSTALMENT,
    EQUAL_PRINCIPAL,
    Schedule,
    add_months,
    apr,
    schedule,
)
from loanpilot.analytics.scorecard import Scorecard
from loanpilot.audit.service import record
from loanpilot.customers.models import BureauReport, Customer
from loanpilot.customers.rules import age_on
from loanpilot.customers.service import bureau_and_financials
from loanpilot.kit.clock import to_business_date
from loanpilot.kit.errors import ConflictError, DomainError, NotFoundError, ValidationError
from loanpilot.lending.events import transition
from loanpilot.lending.models import Application, ApplicationStatus
from loanpilot.lending.workflow import Action
from loanpilot.products.models import CollateralKind, LoanProduct, ProductSubtype, RateBasis
from loanpilot.products.pricing import limit, price
from loanpilot.products.service import Quote, base_rate_on, quote
from loanpilot.risk import combination, policy_store, registry, repository
from loanpilot.risk.features import RATIO_FEATURES, application_features
from loanpilot.risk.models import Decision
from loanpilot.risk.reasons import reason_record
from loanpilot.risk.rules import DecisionOutcome, Facts, HardRules, Reason, decide

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
class Offer:
    """An approved amount priced and scheduled (``quote``), with the limit and what bound it."""

    quote: Quote
    limit_fen: int
    limit_binding: str
    parts: tuple[Quote, ...] = ()  # a 组合贷's provident-fund and commercial parts

    @property
    def amount_fen(self) -> int:
        return self.quote.amount_fen

    @property
    def term_months(self) -> int:
        return self.quote.term_months

    @property
    def method(self) -> str:
        return self.quote.method.value

    @property
    def base_rate(self) -> Decimal:
        return self.quote.base_rate

    @property
    def spread(self) -> Decimal:
        return self.quote.spread

    @property
    def annual_rate(self) -> Decimal:
        return self.quote.annual_rate

    @property
    def apr(self) -> Decimal:
        return self.quote.apr

    @property
    def upfront_fee_fen(self) -> int:
        return self.quote.upfront_fee_fen

    @property
    def schedule(self) -> Schedule:
        return self.quote.schedule

    @property
    def first_payment_fen(self) -> int:
        return self.quote.first_payment_fen

    @property
    def total_interest_fen(self) -> int:
        return self.quote.total_interest_fen

    @property
    def total_payment_fen(self) -> int:
        return self.quote.total_payment_fen


@dataclass(frozen=True)
class DecisionView:
    decision: Decision
    offer: Offer | None


@dataclass(frozen=True)
class Scored:
    score: int
    pd: float
    grade: str
    reasons: tuple[Reason, ...]


def _shown(value: Any, name: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"  # no record: reasons.py shows it in the reader's language
    if isinstance(value, float):
        if name in RATIO_FEATURES:
            return f"{value * 100:.0f}%"
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return str(value)


def score_features(card: Scorecard, features: Any, top: int = 3) -> Scored:
    """Score one row of features: integer score (rounded half up), PD, grade and top reasons."""
    absent = [n for n in card.variables_ if n not in features.columns]
    if absent:
        raise ValidationError(
            "model.features",
            f"The champion card reads {absent}, which are not application features; "
            "promote a card fitted on application features",
        )
    row = features[list(card.variables_)]
    one = {k: (None if pd.isna(v) else v) for k, v in row.iloc[0].items()}
    result = card.card_.score(one)  # one applicant: the kernel's plain-Python path
    raw = float(result.score[0])
    reasons = card.card_.reasons(result, top=top)
    out: list[Reason] = []
    for name, lost in zip(reasons.variables[0], reasons.lost[0], strict=True):
        if not name:
            continue
        value = one[str(name)]
        out.append(
            Reason(
                "score.factor",
                {"variable": str(name), "bin": _shown(value, str(name)), "lost": f"{lost:.1f}"},
            )
        )
    return Scored(
        score=math.floor(raw + 0.5),
        pd=float(result.pd[0]),
        grade=str(card.grades_.of(np.array([raw]))[0]),
        reasons=tuple(out),
    )


def _features(
    session: Session,
    app: Application,
    customer: Customer,
    product: LoanProduct,
    instalment: int,
    today: date,
) -> tuple[Any, BureauReport | None]:
    bureau, fin = bureau_and_financials(session, customer.id, today)

    def b(name: str) -> Any:
        return getattr(bureau, name) if bureau is not None else None

    raw = {
        "age": [age_on(customer.birth_date, today)],
        "monthly_income_fen": [app.stated_monthly_income_fen or customer.monthly_income_fen],
        "occupation": [customer.occupation.value],
        "education": [customer.education.value if customer.education else None],
        "marital_status": [customer.marital_status.value if customer.marital_status else None],
        "owns_home": [customer.owns_home],
        "has_provident_fund": [customer.has_provident_fund],
        "bureau_score": [b("bureau_score")],
        "credit_history_months": [b("credit_history_months")],
        "open_accounts": [b("open_accounts")],
        "total_debt_fen": [b("total_debt_fen")],
        "monthly_debt_payment_fen": [b("monthly_debt_payment_fen")],
        "delinquent_accounts": [b("delinquent_accounts")],
        "max_dpd_24m": [b("max_dpd_24m")],
        "inquiries_6m": [b("inquiries_6m")],
        "card_utilisation": [float(fin.card_utilisation) if fin is not None else None],
        "card_late_payments_12m": [fin.card_late_payments_12m if fin is not None else None],
        "product_type": [product.product_type.value],
        "amount_fen": [app.amount_fen],
        "term_months": [app.term_months],
        "new_instalment_fen": [instalment],
    }
    return application_features(raw), bureau


def _instalment_for_dti(
    session: Session, app: Application, product: LoanProduct, today: date
) -> int:
    """The monthly payment the debt-to-income rule counts: the largest payment of an equal
    instalment or equal principal schedule; for interest-only and bullet loans, whose last payment
    is the whole principal, the equal-instalment payment of the same loan (what the development
    sample counts, and the burden a bank underwrites for a loan repaid at maturity)."""
    if product.subtype is ProductSubtype.COMBINATION:  # counted at the dearer, commercial rate
        pair = combination.split_parts(session, product)
        if pair is None:
            return 0
        commercial = pair[1]
        rate = base_rate_on(session, commercial.rate_basis, today, app.term_months)
        flows = schedule(
            app.amount_fen, rate + commercial.min_spread, app.term_months, EQUAL_INSTALMENT
        )
        return int(flows.payment_fen.max())
    regular = app.repayment_method.value in (EQUAL_INSTALMENT, EQUAL_PRINCIPAL)
    q = quote(
        session, product, amount_fen=app.amount_fen, term_months=app.term_months,
        method=app.repayment_method, on=today,
    )  # fmt: skip
    if regular:
        return int(q.schedule.payment_fen.max())
    equivalent = schedule(app.amount_fen, q.annual_rate, app.term_months, EQUAL_INSTALMENT)
    return int(equivalent.payment_fen.max())


def is_secured(product: LoanProduct, stored: policy_store.StoredPolicy) -> bool:
    """A loan needs collateral (and an appraisal before its limit is set) when its product
    requires it or the policy's per-product collateral rule does."""
    return (
        product.collateral_required is not CollateralKind.NONE
        or product.code in stored.policy.hard.collateral
    )


def effective_hard_rules(hard: HardRules, product: LoanProduct) -> HardRules:
    """The policy's hard rules tightened by the product's own eligibility (ages, DTI,
    occupations, provident fund)."""
    elig = product.eligibility or {}
    out = hard
    if "min_age" in elig:
        out = replace(out, min_age=max(out.min_age, int(elig["min_age"])))
    if "max_age" in elig:
        out = replace(out, max_age=min(out.max_age, int(elig["max_age"])))
    if "max_age_at_maturity" in elig:
        out = replace(
            out, max_age_at_maturity=min(out.max_age_at_maturity, int(elig["max_age_at_maturity"]))
        )
    if "max_dti" in elig:
        out = replace(out, max_dti=min(out.max_dti, Decimal(str(elig["max_dti"]))))
    if elig.get("occupations"):
        own = frozenset(map(str, elig["occupations"]))
        both = out.occupations.get(product.code)
        merged = own if both is None else own & both  # both lists hold: the tighter one
        out = replace(out, occupations={**out.occupations, product.code: merged})
    if elig.get("requires_provident_fund"):
        out = replace(out, provident_fund_required=out.provident_fund_required | {product.code})
    return out


def _load(session: Session, application_id: int) -> tuple[Application, Customer, LoanProduct]:
    app = session.get(Application, application_id)
    if app is None:
        raise NotFoundError("application.not_found", f"No application with id {application_id}")
    customer = session.get(Customer, app.customer_id)
    product = session.get(LoanProduct, app.product_id)
    if customer is None or product is None:
        raise NotFoundError(
            "application.incomplete",
            f"Application {app.application_no} lacks its customer or product",
        )
    return app, customer, product


def make_offer(
    session: Session,
    app: Application,
    customer: Customer,
    product: LoanProduct,
    *,
    grade: str,
    stored: policy_store.StoredPolicy,
    monthly_debt_fen: int,
    today: date,
    collateral_value_fen: int | None = None,
    amount_fen: int | None = None,
) -> Offer | Reason:
    """The offer for ``grade``: rate by the grid inside the product's band, limit by the smallest
    constraint, amount = the smaller of what was asked and the limit; or why there is none."""
    if grade not in stored.grid.spread_by_grade:
        return Reason("grade.not_lent", {"grade": grade})
    if product.subtype is ProductSubtype.COMBINATION:
        made = combination.offer_parts(
            session, app, product, grade=grade, stored=stored,
            hard=effective_hard_rules(stored.policy.hard, product),
            monthly_income_fen=app.stated_monthly_income_fen or customer.monthly_income_fen,
            monthly_debt_fen=monthly_debt_fen, today=today,
            collateral_value_fen=collateral_value_fen, amount_fen=amount_fen,
        )  # fmt: skip
        if isinstance(made, Reason):
            return made
        quotes, limit_fen, binding = made
        whole = combination.combined_quote(product, quotes)
        return Offer(whole, limit_fen, binding, tuple(quotes))
    base = base_rate_on(session, product.rate_basis, today, app.term_months)
    fund = product.rate_basis is RateBasis.PROVIDENT_FUND
    p = price(
        base_rate=base, min_spread=product.min_spread, max_spread=product.max_spread,
        grade=grade, grid=stored.grid, provident_fund=fund,
    )  # fmt: skip
    spread = min(max(p.spread, product.min_spread), product.max_spread)
    hard = effective_hard_rules(stored.policy.hard, product)
    lim = limit(
        product_max_fen=product.max_amount_fen,
        grade=grade,
        grid=stored.grid,
        monthly_income_fen=app.stated_monthly_income_fen or customer.monthly_income_fen,
        monthly_debt_payment_fen=monthly_debt_fen,
        max_dti=hard.max_dti,
        annual_rate=base + spread,
        term_months=app.term_months,
        max_ltv=product.max_ltv if collateral_value_fen is not None else None,
        collateral_value_fen=collateral_value_fen,
    )
    wanted = app.amount_fen if amount_fen is None else min(amount_fen, app.amount_fen)
    amount = min(wanted, lim.amount_fen) // 100 * 100  # whole yuan
    if amount < product.min_amount_fen:
        return Reason("limit.below_minimum", {"limit_fen": str(lim.amount_fen)})
    q = quote(
        session, product, amount_fen=amount, term_months=app.term_months,
        method=app.repayment_method, on=today, spread=spread,
    )  # fmt: skip
    return Offer(q, lim.amount_fen, lim.binding)


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
        offer_parts=None if offer is None or not offer.parts else _parts(session, offer),
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


def _parts(session: Session, offer: Offer) -> list[dict[str, Any]]:
    products = {q.product_id: session.get(LoanProduct, q.product_id) for q in offer.parts}
    return combination.parts_record(offer.parts, {k: v for k, v in products.items() if v})


def _json_features(features: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in features.iloc[0].items():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out[str(k)] = None
        elif isinstance(v, np.generic):
            out[str(k)] = v.item()
        else:
            out[str(k)] = v
    return out


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
    app, customer, product = _load(session, application_id)
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
    instalment = _instalment_for_dti(session, app, product, today)
    features, bureau = _features(session, app, customer, product, instalment, today)
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
        _json_features(features),
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
    app, _, _ = _load(session, assessment.application_id)
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


def current_offer(session: Session, application_id: int, today: date) -> Offer | None:
    """The offer of an approved application, rebuilt from its decision: the approved amount, term
    and contract rate, the product's fees, and the APR recomputed from that schedule (no product
    validation, so a later edit of the product's band cannot break an offer already made)."""
    app, _, product = _load(session, application_id)
    dec = latest_decision(session, application_id)
    if dec is None or dec.outcome is not DecisionOutcome.APPROVE or dec.approved_amount_fen is None:
        return None
    if dec.approved_rate is None:
        return None
    on = to_business_date(dec.decided_at) if dec.decided_at else today
    term = dec.approved_term_months or app.term_months
    method = app.repayment_method
    if dec.offer_parts:
        parts = combination.rebuilt_parts(session, dec.offer_parts, term, method)
        if parts:
            whole = combination.combined_quote(product, parts)
            return Offer(
                whole, dec.limit_fen or whole.amount_fen, dec.limit_binding or "", tuple(parts)
            )
    try:
        base = base_rate_on(session, product.rate_basis, on, term)
    except DomainError:
        base = Decimal(0)
    flows = schedule(
        dec.approved_amount_fen, dec.approved_rate, term, method.value, product.monthly_fee_rate
    )
    upfront = int(
        (Decimal(dec.approved_amount_fen) * product.upfront_fee_rate).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    q = Quote(
        product_id=product.id, amount_fen=dec.approved_amount_fen, term_months=term, method=method,
        base_rate=base, spread=dec.approved_rate - base, annual_rate=dec.approved_rate,
        monthly_fee_rate=product.monthly_fee_rate, upfront_fee_fen=upfront,
        apr=apr(flows, dec.approved_amount_fen, upfront), schedule=flows,
    )  # fmt: skip
    return Offer(q, dec.limit_fen or q.amount_fen, dec.limit_binding or "")


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
