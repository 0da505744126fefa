"""Collections: the queue, the ladder, contacts within the compliance rules, promises and recoveries.

The daily close's step is in ``risk.collections_close``.

:func:`log_contact` enforces the contact-compliance rules of ``risk.collection_rules``: a refused
contact is not recorded as an action; it is audited as denied (the caller commits that audit row)
and raised as :class:`ContactRefusedError`, whose message names every rule broken.

A case is worked only by those who see its debtor (``viewer``; the data scope is part of the
repository's queries): :func:`check_case_scope` raises ``scope.forbidden`` otherwise. What the
queue and a case show is in ``risk.collections_views``.

Services flush; the entry point commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal
from loanpilot.audit.service import record
from loanpilot.config import Settings
from loanpilot.kit.clock import SHANGHAI
from loanpilot.kit.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from loanpilot.lending.models import Guarantor, Loan
from loanpilot.risk import collection_rules as rules
from loanpilot.risk import repository_collections as repo
from loanpilot.risk.collection_rules import ContactHours, Rung, Violation
from loanpilot.risk.models import CollectionAction, CollectionCase
from loanpilot.risk.models_post import CollectionPromise, LadderStep, PromiseStatus


@dataclass(frozen=True)
class ContactPolicy:
    """The compliance settings: contact hours (local), the daily cap per debtor, the timezone."""

    hours: ContactHours
    daily_cap: int
    tz: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> ContactPolicy:
        return cls(
            rules.parse_contact_hours(settings.contact_hours),
            settings.contact_daily_cap,
            settings.tz,
        )


DEFAULT_POLICY = ContactPolicy(rules.parse_contact_hours("08:00-21:00"), 3, SHANGHAI)


class ContactRefusedError(ConflictError):
    """A contact refused by the compliance rules; ``violations`` has each rule's zh/en message."""

    def __init__(self, violations: tuple[Violation, ...]) -> None:
        super().__init__(
            "collections.contact_refused",
            "Contact refused: " + "; ".join(v.en for v in violations),
            [FieldProblem(v.rule, v.en) for v in violations],
        )
        self.violations = violations


def check_case_scope(session: Session, case_id: int, viewer: Principal | None) -> None:
    """NotFoundError for an unknown case; ``scope.forbidden`` when ``viewer`` (None: the system)
    does not see the case's debtor."""
    repo.case(session, case_id)
    if not repo.case_in_scope(session, case_id, viewer):
        raise PermissionDeniedError(
            "scope.forbidden", "This collection case's debtor is outside your branch or customers"
        )


# --- the ladder ---------------------------------------------------------------------------------


def as_rung(row: LadderStep) -> Rung:
    return Rung(
        row.step,
        row.position,
        row.min_dpd,
        row.min_overdue_fen,
        row.min_broken_promises,
        frozenset(row.contact_kinds),
        row.enabled,
    )


def rungs(session: Session) -> list[Rung]:
    """The ladder in force: the stored rungs, or the default ladder while none is stored."""
    rows = repo.ladder(session)
    return [as_rung(r) for r in rows] if rows else list(rules.DEFAULT_LADDER)


def ensure_default_ladder(session: Session, now: datetime) -> list[LadderStep]:
    """The stored ladder; seeded from ``collection_rules.DEFAULT_LADDER`` when empty."""
    rows = repo.ladder(session)
    if rows:
        return rows
    for r in rules.DEFAULT_LADDER:
        session.add(
            LadderStep(
                step=r.step,
                position=r.position,
                min_dpd=r.min_dpd,
                min_overdue_fen=r.min_overdue_fen,
                min_broken_promises=r.min_broken_promises,
                contact_kinds=sorted(r.contact_kinds, key=rules.CONTACT_KINDS.index),
                enabled=r.enabled,
                updated_at=now,
            )
        )
    session.flush()
    return repo.ladder(session)


def update_ladder(
    session: Session, ladder: list[Rung], *, by_id: int | None, actor_label: str, now: datetime
) -> list[LadderStep]:
    """Replace the ladder by ``ladder`` (every problem reported at once; audited)."""
    problems = rules.ladder_problems(ladder)
    if problems:
        raise ValidationError("collections.ladder_invalid", "The ladder cannot be saved", problems)
    existing = {row.step: row for row in ensure_default_ladder(session, now)}
    for row in existing.values():  # free the unique positions before renumbering
        row.position = -row.id
    session.flush()
    for rung in ladder:
        row = existing.pop(rung.step) if rung.step in existing else LadderStep(step=rung.step)
        row.position, row.min_dpd = rung.position, rung.min_dpd
        row.min_overdue_fen, row.min_broken_promises = (
            rung.min_overdue_fen,
            rung.min_broken_promises,
        )
        row.contact_kinds = [k for k in rules.CONTACT_KINDS if k in rung.contact_kinds]
        row.enabled, row.updated_at = rung.enabled, now
        session.add(row)
    for row in existing.values():
        session.delete(row)
    session.flush()
    record(
        session,
        action="collections.ladder_update",
        actor_label=actor_label,
        actor_staff_id=by_id,
        entity="collection_ladder",
        detail={
            "ladder": [
                {"step": r.step, "min_dpd": r.min_dpd, "min_overdue_fen": r.min_overdue_fen,
                 "min_broken_promises": r.min_broken_promises, "enabled": r.enabled,
                 "contact_kinds": sorted(r.contact_kinds)}
                for r in ladder
            ]
        },
        at=now,
    )  # fmt: skip
    return repo.ladder(session)


# --- contacts and notes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """A contact to log on a case."""

    kind: str
    party: str
    result: str
    guarantor_id: int | None = None
    promise_amount_fen: int | None = None
    promise_date: date | None = None
    note: str | None = None


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants of the start of ``day`` and of the next day, in ``tz``."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def contacts_today(session: Session, customer_id: int, now: datetime, tz: ZoneInfo) -> int:
    """Contacts already made to this debtor on today's business day (all cases, all channels)."""
    start, end = day_bounds(now.astimezone(tz).date(), tz)
    return repo.contacts_between(session, customer_id, start, end)


def current_rung(session: Session, case: CollectionCase, loan: Loan, as_of: date) -> Rung | None:
    """The case's rung: as placed by the last close, or (not placed yet) as the ladder puts it."""
    ladder = rungs(session)
    if case.ladder_step is not None:
        found = next((r for r in ladder if r.step == case.ladder_step and r.enabled), None)
        if found is not None:
            return found
    overdue = repo.overdue_by_loan(session, [loan.id], as_of).get(loan.id, repo.Overdue())
    return rules.rung_for(
        ladder,
        dpd=max(loan.dpd, 1),
        overdue_fen=overdue.total_fen,
        broken_promises=repo.broken_counts(session, [case.id]).get(case.id, 0),
        current=case.ladder_step,
    )


def _input_problems(contact: Contact, today: date) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if contact.kind not in rules.CONTACT_KINDS:
        problems.append(FieldProblem("kind", f"must be one of {', '.join(rules.CONTACT_KINDS)}"))
    if contact.party not in rules.PARTIES:
        problems.append(FieldProblem("party", f"must be one of {', '.join(rules.PARTIES)}"))
    if contact.result not in rules.RESULTS:
        problems.append(FieldProblem("result", f"must be one of {', '.join(rules.RESULTS)}"))
    if contact.note is not None and len(contact.note) > 200:
        problems.append(FieldProblem("note", "must be at most 200 characters"))
    if contact.result == "promise_to_pay":
        if contact.promise_amount_fen is None or contact.promise_amount_fen <= 0:
            problems.append(FieldProblem("promise_amount", "a promise to pay needs an amount > 0"))
        if contact.promise_date is None or contact.promise_date < today:
            problems.append(FieldProblem("promise_date", "a promise to pay needs a day from today"))
    elif contact.promise_amount_fen is not None or contact.promise_date is not None:
        problems.append(
            FieldProblem("result", "a promised amount or day needs the result promise_to_pay")
        )
    return problems


def log_contact(
    session: Session,
    case_id: int,
    contact: Contact,
    *,
    by_id: int | None,
    actor_label: str,
    now: datetime,
    policy: ContactPolicy = DEFAULT_POLICY,
    client_address: str | None = None,
    viewer: Principal | None = None,
) -> CollectionAction:
    """Record a contact made on a case, within the compliance rules; refused otherwise (audited
    as denied, nothing else written, :class:`ContactRefusedError` naming every rule broken).
    A case outside ``viewer``'s scope is refused (``scope.forbidden``) before anything else."""
    check_case_scope(session, case_id, viewer)
    case = repo.case(session, case_id)
    if case.closed_on is not None:
        raise ConflictError(
            "collections.case_closed", f"Case {case.case_no} was closed on {case.closed_on}"
        )
    today = now.astimezone(policy.tz).date()
    problems = _input_problems(contact, today)
    if problems:
        raise ValidationError("collections.contact_invalid", "The contact is not valid", problems)
    loan = session.get(Loan, case.loan_id)
    if loan is None:
        raise NotFoundError("loan.not_found", f"No loan with id {case.loan_id}")
    guarantor = session.get(Guarantor, contact.guarantor_id) if contact.guarantor_id else None
    rung = current_rung(session, case, loan, today)
    proposed = rules.ProposedContact(
        local_time=now.astimezone(policy.tz).time(),
        kind=contact.kind,
        party=contact.party,
        guarantor_of_loan=guarantor is not None and guarantor.loan_id == loan.id,
        contacts_today=contacts_today(session, loan.customer_id, now, policy.tz),
        rung=rung.step if rung else None,
        allowed_kinds=rung.contact_kinds if rung else frozenset(rules.CONTACT_KINDS),
    )
    violations = rules.check_contact(proposed, hours=policy.hours, daily_cap=policy.daily_cap)
    detail = {"kind": contact.kind, "party": contact.party, "rung": proposed.rung}
    if violations:
        record(
            session, action="collections.contact", actor_label=actor_label,
            actor_staff_id=by_id, entity="collection_case", entity_id=case.case_no,
            detail={**detail, "violations": [v.rule for v in violations]},
            client_address=client_address, outcome="denied", at=now,
        )  # fmt: skip
        raise ContactRefusedError(violations)
    action = CollectionAction(
        case_id=case.id,
        at=now,
        kind=contact.kind,
        staff_id=by_id,
        result=contact.result,
        promise_amount_fen=contact.promise_amount_fen,
        promise_date=contact.promise_date,
        note=contact.note or None,
        party=contact.party,
    )
    session.add(action)
    session.flush()
    if contact.result == "promise_to_pay":
        assert contact.promise_amount_fen is not None
        assert contact.promise_date is not None
        session.add(
            CollectionPromise(
                case_id=case.id, action_id=action.id, amount_fen=contact.promise_amount_fen,
                due_on=contact.promise_date, status=PromiseStatus.OPEN, paid_fen=0,
            )
        )  # fmt: skip
        case.next_action_on = contact.promise_date + timedelta(days=1)
    else:
        case.next_action_on = rules.next_action_on(
            proposed.rung, as_of=today, last_contact_on=today, open_promise_due=None
        )
    record(
        session, action="collections.contact", actor_label=actor_label, actor_staff_id=by_id,
        entity="collection_case", entity_id=case.case_no,
        detail={**detail, "result": contact.result}, client_address=client_address, at=now,
    )  # fmt: skip
    session.flush()
    return action


def add_note(
    session: Session,
    case_id: int,
    text: str,
    *,
    by_id: int | None,
    actor_label: str,
    now: datetime,
    viewer: Principal | None = None,
) -> CollectionAction:
    """A case note (not a contact: no compliance rule applies); ``scope.forbidden`` for a case
    outside ``viewer``'s scope."""
    check_case_scope(session, case_id, viewer)
    case = repo.case(session, case_id)
    body = text.strip()
    if not body or len(body) > 200:
        raise ValidationError(
            "collections.note_invalid",
            "The note is not valid",
            [FieldProblem("note", "must be 1 to 200 characters")],
        )
    note = CollectionAction(
        case_id=case.id, at=now, kind=rules.NOTE_KIND, staff_id=by_id, result="note",
        note=body, party="none",
    )  # fmt: skip
    session.add(note)
    record(
        session, action="collections.note", actor_label=actor_label, actor_staff_id=by_id,
        entity="collection_case", entity_id=case.case_no, at=now,
    )  # fmt: skip
    session.flush()
    return note
