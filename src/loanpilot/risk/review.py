"""Manual review of referred applications: the queue, oldest first, and the decision a credit
officer makes by hand, with a note (an approval is priced by the grade of the automatic decision
and, for a secured loan, limited by the appraised collateral value). Services flush; the caller
commits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.customers.service import bureau_and_financials
from loanpilot.kit.errors import ConflictError, FieldProblem, ValidationError
from loanpilot.lending.models import Application, ApplicationStatus
from loanpilot.risk import policy_store, repository
from loanpilot.risk.models import Decision
from loanpilot.risk.reasons import reason_record
from loanpilot.risk.rules import DecisionOutcome, Reason
from loanpilot.risk.service import (
    MANUAL_MODEL,
    DecisionView,
    _load,
    _store,
    is_secured,
    latest_decision,
    make_offer,
)

#: Referred by the policy, or taken into review by a person (applications migrated from the
#: bank's previous system while under review, say).
REVIEWABLE = frozenset({ApplicationStatus.REFERRED, ApplicationStatus.UNDER_REVIEW})


def review_queue(
    session: Session, *, limit_rows: int = 200
) -> list[tuple[Application, Decision | None]]:
    """Applications waiting for a person, longest waiting first, each with its latest decision
    (two queries, whatever the queue's length)."""
    apps = repository.applications_in(session, REVIEWABLE, limit_rows)
    latest = repository.latest_decisions(session, [a.id for a in apps])
    return [(a, latest.get(a.id)) for a in apps]


def review_application(
    session: Session,
    application_id: int,
    *,
    approve: bool,
    note: str,
    now: datetime,
    today: date,
    by_id: int,
    actor_label: str,
    collateral_value_fen: int | None = None,
    amount_fen: int | None = None,
) -> DecisionView:
    """Decide a referred application by hand (see the module docstring)."""
    app, customer, product = _load(session, application_id)
    if app.status not in REVIEWABLE:
        raise ConflictError(
            "application.not_referred",
            f"Application {app.application_no} is {app.status.value}; only one referred or under review is decided here",
        )
    note = note.strip()
    if not note:
        raise ValidationError("review.note", "A manual decision needs a note saying why")
    previous = latest_decision(session, application_id)
    stored = policy_store.active_policy(session)
    policy_version = stored.policy.version if stored is not None else "none"
    code = "manual.approve" if approve else "manual.decline"
    if not approve:
        row = _store(
            session, app, DecisionOutcome.DECLINE, [Reason(code)], scored=None,
            model_label=MANUAL_MODEL, policy_version=policy_version, offer=None, features=None,
            now=now, by_id=by_id, actor_label=actor_label, note=note,
        )  # fmt: skip
        return DecisionView(row, None)
    if stored is None:
        raise ConflictError(
            "policy.missing", "No credit policy is active; activate one to price the offer"
        )
    # the automatic decision's grade; without one, the grid's last (worst) grade
    grade = (previous.grade if previous is not None else None) or list(stored.grid.spread_by_grade)[
        -1
    ]
    if amount_fen is not None and amount_fen > app.amount_fen:
        raise ValidationError(
            "review.amount", "A manual approval may lend less than was applied for, never more"
        )
    if is_secured(product, stored) and collateral_value_fen is None:
        raise ValidationError(
            "review.collateral", "A secured loan needs the appraised collateral value"
        )
    bureau, _ = bureau_and_financials(session, customer.id, today)
    made = make_offer(
        session, app, customer, product, grade=grade, stored=stored,
        monthly_debt_fen=bureau.monthly_debt_payment_fen if bureau is not None else 0,
        today=today, collateral_value_fen=collateral_value_fen, amount_fen=amount_fen,
    )  # fmt: skip
    if isinstance(made, Reason):
        text = reason_record(made)
        raise ConflictError(
            "review.no_offer",
            f"No offer is possible: {text['en']}",
            [FieldProblem("reason", text["zh"])],
        )
    row = _store(
        session, app, DecisionOutcome.APPROVE, [Reason(code)], scored=None,
        model_label=MANUAL_MODEL, policy_version=policy_version, offer=made, features=None,
        now=now, by_id=by_id, actor_label=actor_label, note=note, grade=grade,
    )  # fmt: skip
    return DecisionView(row, made)
