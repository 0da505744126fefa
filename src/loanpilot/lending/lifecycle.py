"""The application workflow as staff work it: approval authority (as data), maker-checker
requests, the stage moves after the decision (accept the offer, sign, disburse) and withdrawal,
and the stage durations the service SLAs measure.

Every move goes through ``lending.events.transition`` (the pure state machine of
``lending.workflow`` decides what is allowed; an illegal move is refused with the stage, the action
and what is allowed now), sets the application's timestamp column and is audited. The credit
decision itself (approve, decline, refer, and the checker's confirmation) is recorded by
``risk.service`` / ``risk.review``, which use the authorities and requests kept here.

Authority defaults, used while ``approval_authorities`` is empty and written by
``ensure_default_authorities``: an approver alone up to ¥500,000, a branch head ¥1,000,000, a risk
officer ¥3,000,000, every product type. An approval above the maker's amount needs a checker
whose own authority covers it.

Disbursement turns the approved offer into loans: one loan, or for a 组合贷 two sub-loans (the
commercial part first, the provident-fund part pointing to it, as the demo bank does), each at its
part's rate and APR with its version-1 schedule (``analytics.finance``, to the fen), status
repaying. Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission
from loanpilot.analytics.finance import BatchSchedule, due_dates, schedule_batch
from loanpilot.audit.service import record
from loanpilot.customers.models import Customer
from loanpilot.kit.errors import ConflictError, FieldProblem, NotFoundError, ValidationError
from loanpilot.lending import repository_lifecycle as repo
from loanpilot.lending.events import history, transition
from loanpilot.lending.models import (
    Application,
    ApplicationStatus,
    ApprovalAuthority,
    ApprovalRequest,
    ApprovalRequestStatus,
    Loan,
    LoanStatus,
    ScheduleLine,
    WorkflowEvent,
)
from loanpilot.lending.workflow import (
    SLA_SPANS,
    Action,
    Authority,
    Stage,
    allowed_actions,
    next_stage,
    stage_durations,
)
from loanpilot.products.models import LoanProduct, ProductType, RateBasis
from loanpilot.risk import service as risk
from loanpilot.risk.models import Decision, FiveClass
from loanpilot.team.models import Role

YUAN = 100
#: Authority while the table is empty (role -> what it may approve alone); see the docstring.
DEFAULT_AUTHORITIES: Mapping[str, Authority] = {
    Role.APPROVER.value: Authority(500_000 * YUAN),
    Role.BRANCH_HEAD.value: Authority(1_000_000 * YUAN),
    Role.RISK_OFFICER.value: Authority(3_000_000 * YUAN),
}
#: The largest authority one may set (¥10 bn): bounds the input, not policy.
MAX_AUTHORITY_FEN = 10**12
#: Service-level targets of the spans in ``workflow.SLA_SPANS``: submission to approval two days,
#: approval to the signed contract seven, signature to disbursement two, end to end ten.
SLA_TARGETS: Mapping[str, timedelta] = {
    "to_decision": timedelta(days=2),
    "to_contract": timedelta(days=7),
    "to_disbursement": timedelta(days=2),
    "end_to_end": timedelta(days=10),
}
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
#: How far along the way to disbursement each stage is (a span is running until its end).
_RANK = {
    Stage.DRAFT: 0,
    Stage.SUBMITTED: 1,
    Stage.UNDER_REVIEW: 2,
    Stage.REFERRED: 2,
    Stage.APPROVED: 3,
    Stage.OFFER_ACCEPTED: 4,
    Stage.CONTRACT_SIGNED: 5,
    Stage.DISBURSED: 6,
}
_AFTER_APPROVAL = frozenset(
    {Stage.APPROVED, Stage.OFFER_ACCEPTED, Stage.CONTRACT_SIGNED, Stage.DISBURSED}
)


# --- authorities ---------------------------------------------------------------------------------


def authorities(session: Session) -> list[ApprovalAuthority]:
    """The stored authorities, smallest amount first."""
    return repo.authority_rows(session)


def authority_map(session: Session) -> dict[str, Authority]:
    """Role -> authority: the stored table, or ``DEFAULT_AUTHORITIES`` while it is empty."""
    rows = repo.authority_rows(session)
    if not rows:
        return dict(DEFAULT_AUTHORITIES)
    return {r.role: Authority(r.max_amount_fen, frozenset(r.product_types or ())) for r in rows}


def ensure_default_authorities(session: Session, now: datetime) -> int:
    """Write ``DEFAULT_AUTHORITIES`` when the table is empty; how many rows were written."""
    if repo.authority_rows(session):
        return 0
    for role, authority in DEFAULT_AUTHORITIES.items():
        repo.add(
            session,
            ApprovalAuthority(
                role=role,
                max_amount_fen=authority.max_amount_fen,
                product_types=sorted(authority.product_types),
                updated_at=now,
            ),
        )
    record(
        session,
        action="approval_authority.defaults",
        entity="approval_authority",
        detail={r: a.max_amount_fen for r, a in DEFAULT_AUTHORITIES.items()},
        at=now,
    )
    return len(DEFAULT_AUTHORITIES)


def set_authority(
    session: Session,
    *,
    role: str,
    max_amount_fen: int,
    product_types: list[str],
    now: datetime,
    by_id: int | None,
    actor_label: str,
) -> ApprovalAuthority:
    """Create or change one role's authority (every problem reported at once; audited with the
    values before and after). The defaults are written first if the table is still empty."""
    problems: list[FieldProblem] = []
    if role not in Role._value2member_map_:
        problems.append(FieldProblem("role", f"Unknown role {role!r}"))
    if not 0 <= max_amount_fen <= MAX_AUTHORITY_FEN:
        problems.append(
            FieldProblem("max_amount", f"must be between 0 and {MAX_AUTHORITY_FEN // YUAN} yuan")
        )
    unknown = sorted(set(product_types) - set(ProductType._value2member_map_))
    if unknown:
        problems.append(FieldProblem("product_types", f"Unknown product types {unknown}"))
    if problems:
        raise ValidationError("authority.invalid", "The approval authority is not valid", problems)
    ensure_default_authorities(session, now)
    row = repo.authority_row(session, role)
    before = None if row is None else [row.max_amount_fen, list(row.product_types or [])]
    if row is None:
        row = ApprovalAuthority(role=role, max_amount_fen=0, product_types=[], updated_at=now)
    row.max_amount_fen = max_amount_fen
    row.product_types = sorted(set(product_types))
    row.updated_at, row.updated_by_id = now, by_id
    repo.add(session, row)
    record(
        session,
        action="approval_authority.set",
        actor_label=actor_label,
        actor_staff_id=by_id,
        entity="approval_authority",
        entity_id=role,
        detail={"before": before, "after": [max_amount_fen, row.product_types]},
        at=now,
    )
    return row


# --- maker-checker requests ---------------------------------------------------------------------


def pending_request(session: Session, application_id: int) -> ApprovalRequest | None:
    return repo.pending_request(session, application_id)


def get_request(session: Session, request_id: int) -> ApprovalRequest:
    row = repo.approval_request(session, request_id)
    if row is None:
        raise NotFoundError("approval.not_found", f"No approval request with id {request_id}")
    return row


def refuse_if_pending(session: Session, app: Application) -> None:
    if repo.pending_request(session, app.id) is not None:
        raise ConflictError(
            "approval.pending",
            f"An approval of application {app.application_no} is waiting for a checker; "
            "confirm or reject it first",
        )


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
) -> ApprovalRequest:
    """An approval above the maker's authority: a pending request; a referred application moves
    under review (it stays there until a checker confirms)."""
    refuse_if_pending(session, app)
    if app.status is ApplicationStatus.REFERRED:
        move(session, app, Action.START_REVIEW, now=now, by_id=maker_id, actor_label=maker_label,
             note="approval above the maker's authority: waiting for a checker")  # fmt: skip
    row = ApprovalRequest(
        application_id=app.id, maker_id=maker_id, made_at=now, amount_fen=amount_fen,
        term_months=term_months, annual_rate=annual_rate, note=note,
        status=ApprovalRequestStatus.PENDING,
    )  # fmt: skip
    repo.add(session, row)
    record(
        session, action="approval.request", actor_label=maker_label, actor_staff_id=maker_id,
        entity="application", entity_id=app.application_no,
        detail={"request": row.id, "amount_fen": amount_fen, "term_months": term_months,
                "annual_rate": str(annual_rate)},
        at=now,
    )  # fmt: skip
    return row


def close_request(
    session: Session,
    row: ApprovalRequest,
    app: Application,
    *,
    status: ApprovalRequestStatus,
    checker_id: int | None,
    checker_label: str,
    note: str | None,
    now: datetime,
) -> None:
    """Mark a pending request confirmed, rejected or cancelled (audited)."""
    if row.status is not ApprovalRequestStatus.PENDING:
        raise ConflictError(
            "approval.not_pending", f"Approval request {row.id} is already {row.status.value}"
        )
    row.status, row.checker_id, row.checked_at, row.checker_note = status, checker_id, now, note
    session.flush()
    record(
        session, action=f"approval.{status.value}", actor_label=checker_label,
        actor_staff_id=checker_id, entity="application", entity_id=app.application_no,
        detail={"request": row.id, "maker": row.maker_id}, at=now,
    )  # fmt: skip


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
        close_request(session, pending, app, status=ApprovalRequestStatus.CANCELLED,
                      checker_id=None, checker_label=actor_label, note="withdrawn", now=now)  # fmt: skip
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
    if risk.current_offer(session, app.id, today) is None:
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
    offer = risk.current_offer(session, app.id, today)
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
    branch_id = app.branch_id or (customer.home_branch_id if customer else None)
    if product is None or branch_id is None:
        raise ConflictError(
            "application.incomplete",
            f"Application {app.application_no} lacks its product or a branch to book the loan at",
        )
    dec = risk.latest_decision(session, app.id)
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


# --- stage durations and SLAs ------------------------------------------------------------------


@dataclass(frozen=True)
class SlaSpan:
    """One SLA span of an application: measured (``end`` reached) or still running."""

    name: str
    start: datetime
    end: datetime | None
    duration: timedelta
    target: timedelta

    @property
    def breached(self) -> bool:
        return self.duration > self.target


def reached_stages(app: Application, events: list[WorkflowEvent]) -> dict[Stage, datetime]:
    """When the application first reached each stage: its workflow events, else (applications
    older than the workflow) its timestamp columns."""
    out: dict[Stage, datetime] = {}
    for e in events:
        out.setdefault(Stage(e.to_stage), e.at)
    fallback = {
        Stage.SUBMITTED: app.submitted_at,
        Stage.APPROVED: app.decided_at if Stage(app.status.value) in _AFTER_APPROVAL else None,
        Stage.CONTRACT_SIGNED: app.signed_at,
        Stage.DISBURSED: app.disbursed_at,
    }
    for stage, at in fallback.items():
        if at is not None:
            out.setdefault(stage, at)
    return out


def sla_spans(app: Application, events: list[WorkflowEvent], now: datetime) -> list[SlaSpan]:
    """Every SLA span the application has entered: finished ones measured, and the ones still
    running (the application is still on its way) measured up to ``now``."""
    reached = reached_stages(app, events)
    done = stage_durations(reached)
    open_app = Stage(app.status.value) not in (Stage.DECLINED, Stage.WITHDRAWN)
    out = []
    for name, start, end in SLA_SPANS:
        began = reached.get(start)
        if began is None:
            continue
        if name in done:
            out.append(SlaSpan(name, began, reached[end], done[name], SLA_TARGETS[name]))
        elif open_app and _RANK.get(Stage(app.status.value), 0) < _RANK[end]:
            out.append(SlaSpan(name, began, None, max(now - began, timedelta(0)),
                               SLA_TARGETS[name]))  # fmt: skip
    return out


def sla_limits(now: datetime) -> dict[ApplicationStatus, datetime]:
    """For the pipeline's breach list: the instant before which entering each open stage's span
    means its target is already missed."""
    return {
        ApplicationStatus.SUBMITTED: now - SLA_TARGETS["to_decision"],
        ApplicationStatus.APPROVED: now - SLA_TARGETS["to_contract"],
        ApplicationStatus.CONTRACT_SIGNED: now - SLA_TARGETS["to_disbursement"],
    }


# --- what a page or the API shows of one application --------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One step in an application's history: a workflow move or a maker-checker step, with the
    time since the previous step."""

    at: datetime
    kind: str  # a workflow action, or approval.request / approval.confirmed / ...rejected / ...
    from_stage: str | None
    to_stage: str | None
    actor_id: int | None
    actor_label: str
    note: str | None
    since_previous: timedelta | None
    amount_fen: int | None = None


@dataclass(frozen=True)
class ApplicationDetail:
    app: Application
    product: LoanProduct
    customer_name: str  # in clear: the surface masks it
    decision: Decision | None
    offer: risk.Offer | None
    timeline: list[TimelineEntry]
    requests: list[ApprovalRequest]
    pending: ApprovalRequest | None
    spans: list[SlaSpan]
    actions: tuple[Action, ...]
    loans: list[Loan]
    staff: dict[int, tuple[str, str]]  # staff id -> (name, user name)


def timeline(events: list[WorkflowEvent], requests: list[ApprovalRequest]) -> list[TimelineEntry]:
    """Workflow moves and maker-checker steps in time order."""
    raw: list[tuple[datetime, int, TimelineEntry]] = []
    for e in events:
        entry = TimelineEntry(e.at, e.action, e.from_stage, e.to_stage, e.actor_id, e.actor_label,
                              e.note, None)  # fmt: skip
        raw.append((e.at, 0, entry))
    for r in requests:
        made = TimelineEntry(r.made_at, "approval.request", None, None, r.maker_id, "", r.note,
                             None, r.amount_fen)  # fmt: skip
        raw.append((r.made_at, 1, made))
        if r.checked_at is not None:
            checked = TimelineEntry(r.checked_at, f"approval.{r.status.value}", None, None,
                                    r.checker_id, "", r.checker_note, None, r.amount_fen)  # fmt: skip
            raw.append((r.checked_at, -1, checked))  # before the move it causes
    raw.sort(key=lambda t: (t[0], t[1]))
    out: list[TimelineEntry] = []
    for at, _, entry in raw:
        gap = at - out[-1].at if out else None
        out.append(replace(entry, since_previous=gap))
    return out


def application_detail(
    session: Session, application_id: int, *, now: datetime, today: date
) -> ApplicationDetail:
    app = get_application(session, application_id)
    product = session.get(LoanProduct, app.product_id)
    customer = session.get(Customer, app.customer_id)
    if product is None:
        raise NotFoundError(
            "application.incomplete", f"Application {app.application_no} lacks its product"
        )
    events = history(session, "application", app.id)
    requests = repo.requests_of(session, app.id)
    pending = next((r for r in requests if r.status is ApprovalRequestStatus.PENDING), None)
    entries = timeline(events, requests)
    staff = repo.staff_labels(session, [e.actor_id for e in entries if e.actor_id is not None])
    approved = Stage(app.status.value) in _AFTER_APPROVAL
    return ApplicationDetail(
        app=app, product=product, customer_name=customer.name if customer else "",
        decision=risk.latest_decision(session, app.id),
        offer=risk.current_offer(session, app.id, today) if approved else None,
        timeline=entries, requests=requests, pending=pending, spans=sla_spans(app, events, now),
        actions=staff_actions(app, pending=pending is not None),
        loans=repo.loans_of(session, app.id), staff=staff,
    )  # fmt: skip
