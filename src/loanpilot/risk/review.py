"""Manual review of referred applications: the queue, oldest first, and the decision a credit
officer makes by hand, with a note (an approval is priced by the grade of the automatic decision
and, for a secured loan, limited by the appraised collateral value). Services flush; the caller
commits.

Maker-checker (四眼原则): ``decide_by_hand`` weighs an approval against the reviewer's authority
(``lending.authority.authority_map``, per role, as data). Within it the approval stands at once;
above it the approval becomes a pending request and the application stays under review until a
different person whose own authority covers the amount confirms it (``confirm_approval``: the
offer is priced again at the maker's amount, and for a secured loan with the maker's appraised
collateral value, and must come out at the maker's terms) or rejects it (``reject_approval``: the
application is back in review). Every manual decision goes through the authority check: there is
no other way to decide by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.customers.models import Customer
from loanpilot.customers.service import bureau_and_financials
from loanpilot.kit.errors import ConflictError, FieldProblem, ValidationError
from loanpilot.lending import authority, lifecycle
from loanpilot.lending.models import (
    Application,
    ApplicationStatus,
    ApprovalRequest,
    ApprovalRequestStatus,
)
from loanpilot.lending.workflow import ApprovalNeed, approval_need, check_checker
from loanpilot.products.models import LoanProduct
from loanpilot.risk import policy_store, repository
from loanpilot.risk.models import Decision
from loanpilot.risk.reasons import reason_record
from loanpilot.risk.rules import DecisionOutcome, Reason
from loanpilot.risk.service import MANUAL_MODEL, DecisionView, _store, latest_decision
from loanpilot.risk.service_offer import Offer, is_secured, load_application, make_offer

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


@dataclass(frozen=True)
class ReviewOutcome:
    """A reviewer's decision: the decision when it stands (``view``), or the approval waiting for
    a checker (``pending``, with the offer it would make)."""

    view: DecisionView | None
    pending: ApprovalRequest | None = None
    offer: Offer | None = None


def _open_for_review(session: Session, app: Application, note: str) -> str:
    if app.status not in REVIEWABLE:
        raise ConflictError(
            "application.not_referred",
            f"Application {app.application_no} is {app.status.value}; only one referred or under review is decided here",
        )
    authority.refuse_if_pending(session, app)
    note = note.strip()
    if not note:
        raise ValidationError("review.note", "A manual decision needs a note saying why")
    return note


def _manual_offer(
    session: Session,
    app: Application,
    customer: Customer,
    product: LoanProduct,
    *,
    today: date,
    collateral_value_fen: int | None,
    amount_fen: int | None,
) -> tuple[Offer, str, str]:
    """The offer of a manual approval, its grade and the policy version (or why none)."""
    stored = policy_store.active_policy(session)
    if stored is None:
        raise ConflictError(
            "policy.missing", "No credit policy is active; activate one to price the offer"
        )
    previous = latest_decision(session, app.id)
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
    return made, grade, stored.policy.version


def _decline(
    session: Session, app: Application, note: str, *, now: datetime, by_id: int, actor_label: str
) -> DecisionView:
    stored = policy_store.active_policy(session)
    row = _store(
        session, app, DecisionOutcome.DECLINE, [Reason("manual.decline")], scored=None,
        model_label=MANUAL_MODEL,
        policy_version=stored.policy.version if stored is not None else "none", offer=None,
        features=None, now=now, by_id=by_id, actor_label=actor_label, note=note,
    )  # fmt: skip
    return DecisionView(row, None)


def _approve(
    session: Session,
    app: Application,
    made: Offer,
    grade: str,
    policy_version: str,
    note: str,
    *,
    now: datetime,
    by_id: int,
    actor_label: str,
    checked_by: tuple[int, str] | None = None,
) -> DecisionView:
    row = _store(
        session, app, DecisionOutcome.APPROVE, [Reason("manual.approve")], scored=None,
        model_label=MANUAL_MODEL, policy_version=policy_version, offer=made, features=None,
        now=now, by_id=by_id, actor_label=actor_label, note=note, grade=grade,
        checked_by=checked_by,
    )  # fmt: skip
    return DecisionView(row, made)


def decide_by_hand(
    session: Session,
    application_id: int,
    *,
    approve: bool,
    note: str,
    now: datetime,
    today: date,
    by_id: int,
    maker_role: str,
    actor_label: str,
    collateral_value_fen: int | None = None,
    amount_fen: int | None = None,
) -> ReviewOutcome:
    """Decide by hand within the reviewer's authority; above it, a pending approval request."""
    app, customer, product = load_application(session, application_id)
    note = _open_for_review(session, app, note)
    if not approve:
        view = _decline(session, app, note, now=now, by_id=by_id, actor_label=actor_label)
        return ReviewOutcome(view)
    made, grade, version = _manual_offer(
        session, app, customer, product, today=today,
        collateral_value_fen=collateral_value_fen, amount_fen=amount_fen,
    )  # fmt: skip
    need = approval_need(
        authority.authority_map(session), role=maker_role,
        product_type=product.product_type.value, amount_fen=made.amount_fen,
    )  # fmt: skip
    if need is ApprovalNeed.ALONE:
        view = _approve(
            session, app, made, grade, version, note, now=now, by_id=by_id, actor_label=actor_label
        )
        return ReviewOutcome(view, offer=made)
    pending = lifecycle.request_approval(
        session, app, maker_id=by_id, maker_label=actor_label, amount_fen=made.amount_fen,
        term_months=made.term_months, annual_rate=made.annual_rate, note=note, now=now,
        collateral_value_fen=collateral_value_fen,
    )  # fmt: skip
    return ReviewOutcome(None, pending=pending, offer=made)


def _checkable(
    session: Session, request_id: int, checker_id: int, checker_role: str
) -> tuple[ApprovalRequest, Application, Customer, LoanProduct]:
    row = authority.get_request(session, request_id)
    app, customer, product = load_application(session, row.application_id)
    if row.status is not ApprovalRequestStatus.PENDING:
        raise ConflictError(
            "approval.not_pending", f"Approval request {row.id} is already {row.status.value}"
        )
    check_checker(
        authority.authority_map(session), maker_id=row.maker_id, checker_id=checker_id,
        checker_role=checker_role, product_type=product.product_type.value,
        amount_fen=row.amount_fen,
    )  # fmt: skip
    return row, app, customer, product


def confirm_approval(
    session: Session,
    request_id: int,
    *,
    note: str = "",
    now: datetime,
    today: date,
    checker_id: int,
    checker_role: str,
    actor_label: str,
) -> DecisionView:
    """A checker confirms a pending approval: the decision is written (the maker's, at the maker's
    terms, limited by the maker's appraised collateral value for a secured loan) and the
    application is approved; the move is the checker's. A secured loan whose request carries no
    appraisal (made before requests recorded it) is refused: reject it and approve again."""
    row, app, customer, product = _checkable(session, request_id, checker_id, checker_role)
    collateral = row.collateral_value_fen
    try:
        made, grade, version = _manual_offer(
            session, app, customer, product, today=today, collateral_value_fen=collateral,
            amount_fen=row.amount_fen,
        )  # fmt: skip
    except ValidationError as exc:
        if exc.code != "review.collateral":
            raise
        raise ConflictError(
            "approval.no_appraisal",
            f"Approval request {row.id} of a secured loan does not record the maker's appraised "
            "collateral value; reject it and approve again",
        ) from exc
    if made.amount_fen != row.amount_fen or (
        row.annual_rate is not None and made.annual_rate != row.annual_rate
    ):
        raise ConflictError(
            "approval.terms_changed",
            f"The offer is now {made.amount_fen} fen at {made.annual_rate}, not the maker's "
            f"{row.amount_fen} fen at {row.annual_rate}; reject it and approve again",
        )
    authority.close_request(
        session, row, app, status=ApprovalRequestStatus.CONFIRMED, checker_id=checker_id,
        checker_label=actor_label, note=note.strip() or None, now=now,
    )  # fmt: skip
    return _approve(
        session, app, made, grade, version, row.note or "", now=now, by_id=row.maker_id,
        actor_label=actor_label, checked_by=(checker_id, actor_label),
    )  # fmt: skip


def reject_approval(
    session: Session,
    request_id: int,
    *,
    note: str,
    now: datetime,
    checker_id: int,
    checker_role: str,
    actor_label: str,
) -> ApprovalRequest:
    """A checker rejects a pending approval, saying why; the application stays under review."""
    if not note.strip():
        raise ValidationError("approval.note", "A rejected approval needs a note saying why")
    row, app, _, _ = _checkable(session, request_id, checker_id, checker_role)
    authority.close_request(
        session, row, app, status=ApprovalRequestStatus.REJECTED, checker_id=checker_id,
        checker_label=actor_label, note=note.strip(), now=now,
    )  # fmt: skip
    return row
