"""What staff see of an application's way through the workflow: the stage durations the service
SLAs measure, the timeline (workflow moves and maker-checker steps with the time between them),
and the detail view a page or the API shows of one application.

The spans are those of ``lending.workflow.SLA_SPANS``; their targets are ``SLA_TARGETS``. When a
stage was reached is read from the application's workflow events, else (applications older than
the workflow) from its timestamp columns. Reads only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from loanpilot.customers.models import Customer
from loanpilot.kit.errors import NotFoundError
from loanpilot.lending import repository_lifecycle as repo
from loanpilot.lending.events import history
from loanpilot.lending.lifecycle import get_application, staff_actions
from loanpilot.lending.models import (
    Application,
    ApplicationStatus,
    ApprovalRequest,
    ApprovalRequestStatus,
    Loan,
    WorkflowEvent,
)
from loanpilot.lending.workflow import SLA_SPANS, Action, Stage, stage_durations
from loanpilot.products.models import LoanProduct
from loanpilot.risk.models import Decision
from loanpilot.risk.service import latest_decision
from loanpilot.risk.service_offer import Offer, current_offer

#: Service-level targets of the spans in ``workflow.SLA_SPANS``: submission to approval two days,
#: approval to the signed contract seven, signature to disbursement two, end to end ten.
SLA_TARGETS: Mapping[str, timedelta] = {
    "to_decision": timedelta(days=2),
    "to_contract": timedelta(days=7),
    "to_disbursement": timedelta(days=2),
    "end_to_end": timedelta(days=10),
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
    offer: Offer | None
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
        decision=latest_decision(session, app.id),
        offer=current_offer(session, app.id, today) if approved else None,
        timeline=entries, requests=requests, pending=pending, spans=sla_spans(app, events, now),
        actions=staff_actions(app, pending=pending is not None),
        loans=repo.loans_of(session, app.id), staff=staff,
    )  # fmt: skip
