"""The application workflow as staff work it: the stage moves after the decision (accept the
offer, sign, disburse), starting a review, withdrawal, and sending an approval above the maker's
authority to a checker.

Every move goes through ``lending.events.transition`` (the pure state machine of
``lending.workflow`` decides what is allowed; an illegal move is refused with the stage, the action
and what is allowed now), sets the application's timestamp column and is audited. The credit
decision itself (approve, decline, refer, and the checker's confirmation) is recorded by
``risk.service`` / ``risk.review``, which use the authorities and requests of
``lending.authority``. The stage durations the service SLAs measure, the timeline and the detail
view of one application are ``lending.sla``.

Disbursement turns the approved offer into loans: one loan, or for a 组合贷 two sub-loans (the
commercial part first, the provident-fund part pointing to it, as the demo bank does), each at its
part's rate and APR with its version-1 schedule (``analytics.finance``, to the fen), status
repaying. Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission
from loanpilot.analytics.finance import BatchSchedule, due_dates, schedule_batch
from loanpilot.customers.models import Customer
from loanpilot.kit.errors import ConflictError, NotFoundError, ValidationError
from loanpilot.lending import authority
from loanpilot.lending import repository_lifecycle as repo
from loanpilot.lending.events import transition
from loanpilot.lending.models import (
    Application,
    ApplicationStatus,
    ApprovalRequest,
    ApprovalRequestStatus,
    Loan,
    LoanStatus,
    ScheduleLine,
)
from loanpilot.lending.workflow import Action, Stage, allowed_actions, next_stage
from loanpilot.products.models import LoanProduct, RateBasis
from loanpilot.risk.models import FiveClass
from loanpilot.risk.service import latest_decision
from loanpilot.risk.service_offer import current_offer

#: What staff may do from the console or the API, and the permission each needs (any of them).
ACTION_PERMISSIONS: Mapping[Action, tuple[Permission, ...]] = {
    Action.START_REVIEW: (Permission.APPLICATIONS_REVIEW,),
    Action.APPROVE: (Permission.APPLICATIONS_REVIEW,),
    Action.DECLINE: (Permission.APPLICATIONS_REVIEW,),
    Action.WITHDRAW: (Permission.LOANS_SERVICE, Permission.APPLICATIONS_REVIEW),
    Action.ACCEPT_OFFER: (Permission.LOANS_SERVICE,),
    Action.SIGN: (Permission.LOANS_SERVICE,),
    Action.DISBURSE: (Permission.LOANS_SERVICE,),
}
#: The timestamp column each move sets (decisions set ``decided_at`` in risk.service).
_STAMP = {
    Action.SUBMIT: "submitted_at",
    Action.START_REVIEW: "review_started_at",
    Action.ACCEPT_OFFER: "offer_accepted_at",
    Action.SIGN: "signed_at",
    Action.DISBURSE: "disbursed_at",
    Action.WITHDRAW: "withdrawn_at",
}


# --- moves ---------------------------------------------------------------------------------------


def get_application(session: Session, application_id: int) -> Application:
    app = session.get(Application, application_id)
    if app is None:
        raise NotFoundError("application.not_found", f"No application with id {application_id}")
    return app


def staff_actions(app: Application, *, pending: bool) -> tuple[Action, ...]:
    """The moves staff may make now: the state machine's, less those only the system makes (the
    automatic decision of a submitted application, refer, and the loan's own moves)."""
    stage = Stage(app.status.value)
    out = []
    for action in allowed_actions(stage):
        if action not in ACTION_PERMISSIONS:
            continue
        if stage is Stage.SUBMITTED and action in (Action.APPROVE, Action.DECLINE):
            continue  # the automatic decision; staff start a review first
        if pending and action in (Action.APPROVE, Action.DECLINE):
            continue  # one approval waits for its checker
        out.append(action)
    return tuple(out)


def move(
    session: Session,
    app: Application,
    action: Action,
    *,
    now: datetime,
    by_id: int | None,
    actor_label: str,
    note: str | None = None,
    client_address: str | None = None,
) -> Stage:
    """One move of ``app`` through the workflow: event, audit, status and timestamp."""
    stage = transition(
        session, entity="application", entity_id=app.id, entity_label=app.application_no,
        stage=app.status.value, action=action, now=now, actor_id=by_id, actor_label=actor_label,
        note=note, client_address=client_address,
    )  # fmt: skip
    app.status = ApplicationStatus(stage.value)
    column = _STAMP.get(action)
    if column is not None and (action is not Action.START_REVIEW or app.review_started_at is None):
        setattr(app, column, now)
    session.flush()
    return stage


def start_review(
    session: Session, application_id: int, *, now: datetime, by_id: int, actor_label: str
) -> Application:
    app = get_application(session, application_id)
    move(session, app, Action.START_REVIEW, now=now, by_id=by_id, actor_label=actor_label)
    return app


def request_approval(
    session: Session,
    app: Application,
    *,
    maker_id: int,
    maker_label: str,
    amount_fen: int,
    term_months: int,
    annual_rate: Decimal,
    note: str,
    now: datetime,
    collateral_value_fen: int | None = None,
) -> ApprovalRequest:
    """An approval above the maker's authority: a pending request (``authority.open_request``); a
    referred application moves under review (it stays there until a checker confirms)."""
    authority.refuse_if_pending(session, app)
    if app.status is ApplicationStatus.REFERRED:
        move(session, app, Action.START_REVIEW, now=now, by_id=maker_id, actor_label=maker_label,
             note="approval above the maker's authority: waiting for a checker")  # fmt: skip
    return authority.open_request(
        session, app, maker_id=maker_id, maker_label=maker_label, amount_fen=amount_fen,
        term_months=term_months, annual_rate=annual_rate, note=note, now=now,
        collateral_value_fen=collateral_value_fen,
    )  # fmt: skip


def withdraw(
    session: Session,
    application_id: int,
    *,
    reason: str,
    now: datetime,
    by_id: int,
    actor_label: str,
) -> Application:
    """The applicant withdraws (recorded by staff, with the reason); a pending approval is
    cancelled."""
    app = get_application(session, application_id)
    if not reason.strip():
        raise ValidationError("workflow.reason", "A withdrawal needs the reason")
    next_stage(app.status.value, Action.WITHDRAW)  # refused before anything is written
    pending = repo.pending_request(session, app.id)
    if pending is not None:
        authority.close_request(session, pending, app, status=ApprovalRequestStatus.CANCELLED,
                                checker_id=None, checker_label=actor_label, note="withdrawn",
                                now=now)  # fmt: skip
    move(session, app, Action.WITHDRAW, now=now, by_id=by_id, actor_label=actor_label,
         note=reason.strip())  # fmt: skip
    return app


def accept_offer(
    session: Session,
    application_id: int,
    *,
    now: datetime,
    today: date,
    by_id: int,
    actor_label: str,
) -> Application:
    """The applicant accepts the approved offer (it must still be rebuildable)."""
    app = get_application(session, application_id)
    next_stage(app.status.value, Action.ACCEPT_OFFER)
    if current_offer(session, app.id, today) is None:
        raise ConflictError(
            "application.no_offer", f"Application {app.application_no} has no approved offer"
        )
    move(session, app, Action.ACCEPT_OFFER, now=now, by_id=by_id, actor_label=actor_label)
    return app


def sign_contract(
    session: Session, application_id: int, *, now: datetime, by_id: int, actor_label: str
) -> Application:
    app = get_application(session, application_id)
    move(session, app, Action.SIGN, now=now, by_id=by_id, actor_label=actor_label)
    return app


@dataclass(frozen=True)
class _Part:
    amount_fen: int
    rate_basis: RateBasis
    base_rate: Decimal
    spread: Decimal
    annual_rate: Decimal
    apr: Decimal
    monthly_fee_rate: Decimal


def _parts(session: Session, app: Application, product: LoanProduct, today: date) -> list[_Part]:
    """The loans the approved offer becomes: commercial part first (the parent), then the
    provident-fund part; or the one loan."""
    offer = current_offer(session, app.id, today)
    if offer is None:
        raise ConflictError(
            "application.no_offer", f"Application {app.application_no} has no approved offer"
        )
    if not offer.parts:
        q = offer.quote
        return [_Part(q.amount_fen, product.rate_basis, q.base_rate, q.spread, q.annual_rate,
                      q.apr, q.monthly_fee_rate)]  # fmt: skip
    out = []
    for q in offer.parts:
        part = session.get(LoanProduct, q.product_id)
        basis = part.rate_basis if part is not None else RateBasis.PROVIDENT_FUND
        out.append(_Part(q.amount_fen, basis, q.base_rate, q.spread, q.annual_rate, q.apr,
                         q.monthly_fee_rate))  # fmt: skip
    out.sort(key=lambda p: p.rate_basis is RateBasis.PROVIDENT_FUND)
    return out


def _lines(loan_id: int, sched: BatchSchedule, due: Any, rows: Any) -> list[ScheduleLine]:
    out = []
    for i in rows:
        out.append(
            ScheduleLine(
                loan_id=loan_id,
                version=1,
                period_no=int(sched.period[i]),
                due_on=due[i].item(),
                opening_principal_fen=int(sched.opening_principal_fen[i]),
                principal_fen=int(sched.principal_fen[i]),
                interest_fen=int(sched.interest_fen[i]),
                fee_fen=int(sched.fee_fen[i]),
            )
        )
    return out


def disburse(
    session: Session,
    application_id: int,
    *,
    now: datetime,
    today: date,
    by_id: int,
    actor_label: str,
) -> list[Loan]:
    """Disburse a signed contract: the loans and their schedules (see the module docstring);
    the application moves to disbursed and each loan to repaying."""
    app = get_application(session, application_id)
    next_stage(app.status.value, Action.DISBURSE)
    product = session.get(LoanProduct, app.product_id)
    customer = session.get(Customer, app.customer_id)
    # An applicant who left the branch to the bank ("由银行分配") is booked where it is disbursed.
    branch_id = (
        app.branch_id
        or (customer.home_branch_id if customer else None)
        or repo.booking_branch(session, by_id)
    )
    if app.branch_id is None and branch_id is not None:
        app.branch_id = branch_id
    if product is None or branch_id is None:
        raise ConflictError(
            "application.incomplete",
            f"Application {app.application_no} lacks its product or a branch to book the loan at",
        )
    dec = latest_decision(session, app.id)
    term = (dec.approved_term_months if dec else None) or app.term_months
    parts = _parts(session, app, product, today)
    sched = schedule_batch(
        np.array([p.amount_fen for p in parts], dtype=np.int64),
        np.array([float(p.annual_rate) for p in parts]),
        np.full(len(parts), term, dtype=np.int64),
        np.full(len(parts), app.repayment_method.value, dtype=object),
        np.array([float(p.monthly_fee_rate) for p in parts]),
    )
    li = sched.loan_index
    due = due_dates(np.full(len(li), np.datetime64(today, "D")), sched.month)
    move(session, app, Action.DISBURSE, now=now, by_id=by_id, actor_label=actor_label)
    loans: list[Loan] = []
    for k, part in enumerate(parts):
        rows = np.flatnonzero(li == k)
        loan = Loan(
            loan_no=f"LN{today:%y%m%d}{app.id:010d}{k}", application_id=app.id,
            parent_loan_id=loans[0].id if loans else None, customer_id=app.customer_id,
            product_id=app.product_id, branch_id=branch_id, manager_id=app.manager_id,
            channel=app.channel, campaign_id=app.campaign_id, principal_fen=part.amount_fen,
            rate_basis=part.rate_basis, base_rate=part.base_rate, spread=part.spread,
            annual_rate=part.annual_rate, monthly_fee_rate=part.monthly_fee_rate, apr=part.apr,
            term_months=term, repayment_method=app.repayment_method, purpose=app.purpose,
            disbursed_on=today, first_due_on=due[rows[0]].item(), maturity_on=due[rows[-1]].item(),
            status=LoanStatus.REPAYING, outstanding_principal_fen=part.amount_fen,
            written_off_fen=0, dpd=0, five_class=FiveClass.NORMAL, schedule_version=1,
        )  # fmt: skip
        repo.add(session, loan)
        session.add_all(_lines(loan.id, sched, due, rows))
        transition(
            session, entity="loan", entity_id=loan.id, entity_label=loan.loan_no,
            stage=Stage.DISBURSED, action=Action.START_REPAYING, now=now, actor_id=by_id,
            actor_label=actor_label,
        )  # fmt: skip
        loans.append(loan)
    session.flush()
    return loans
