"""Request and response shapes of the collections API: the queue, a case, a contact, a note and
the ladder. Money is integer fen plus an exact yuan string; the debtor's and guarantors' names
and phone numbers are masked (the customer 360 reveals a phone number, audited)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from loanpilot.app import yuan
from loanpilot.risk import collection_rules as rules
from loanpilot.risk.collection_rules import Rung
from loanpilot.risk.collections import Contact
from loanpilot.risk.collections_views import CaseView, Queue, QueueRow
from loanpilot.risk.models import CollectionAction
from loanpilot.risk.models_post import CollectionPromise, LadderStep
from loanpilot.risk.rules import dpd_bucket

#: Largest amount a form or request may carry (10 billion yuan in fen): bounds the input only.
MAX_FEN = 10**12


class CaseRead(BaseModel):
    """One open case in the queue."""

    id: int
    case_no: str
    loan_no: str
    debtor: str = Field(description="masked name")
    branch: str
    collector: str | None
    rung: str | None = Field(description="ladder rung: sms, phone, visit, legal …")
    stage: str
    dpd: int
    bucket: str
    overdue_fen: int
    overdue_yuan: str
    pd: float | None = Field(description="latest behavioural PD, when scored")
    priority: float = Field(description="0–100, higher first")
    opened_on: date
    next_action_on: date | None

    @classmethod
    def of(cls, r: QueueRow) -> CaseRead:
        return cls(
            id=r.case.id,
            case_no=r.case.case_no,
            loan_no=r.loan.loan_no,
            debtor=r.debtor,
            branch=r.branch,
            collector=r.collector,
            rung=r.rung,
            stage=r.case.stage.value,
            dpd=r.loan.dpd,
            bucket=r.bucket,
            overdue_fen=r.overdue_fen,
            overdue_yuan=yuan(r.overdue_fen),
            pd=r.pd,
            priority=r.priority,
            opened_on=r.case.opened_on,
            next_action_on=r.case.next_action_on,
        )


class QueueRead(BaseModel):
    items: list[CaseRead] = Field(description="by priority, highest first")
    total: int
    by_rung: dict[str, int] = Field(description="open cases per rung (every filter but rung)")

    @classmethod
    def of(cls, q: Queue) -> QueueRead:
        return cls(items=[CaseRead.of(r) for r in q.rows], total=q.total, by_rung=q.by_rung)


class ActionRead(BaseModel):
    id: int
    at: datetime
    kind: str
    party: str
    result: str
    staff: str | None
    promise_amount_fen: int | None
    promise_date: date | None
    note: str | None

    @classmethod
    def of(cls, a: CollectionAction, staff: str | None = None) -> ActionRead:
        return cls(
            id=a.id,
            at=a.at,
            kind=a.kind,
            party=a.party,
            result=a.result,
            staff=staff,
            promise_amount_fen=a.promise_amount_fen,
            promise_date=a.promise_date,
            note=a.note,
        )


class PromiseRead(BaseModel):
    id: int
    amount_fen: int
    amount_yuan: str
    due_on: date
    status: str = Field(description="open, kept or broken")
    paid_fen: int
    resolved_on: date | None

    @classmethod
    def of(cls, p: CollectionPromise) -> PromiseRead:
        return cls(
            id=p.id,
            amount_fen=p.amount_fen,
            amount_yuan=yuan(p.amount_fen),
            due_on=p.due_on,
            status=p.status.value,
            paid_fen=p.paid_fen,
            resolved_on=p.resolved_on,
        )


class GuarantorRead(BaseModel):
    id: int
    name: str = Field(description="masked")
    relation: str
    phone: str | None = Field(description="masked")
    guaranteed_fen: int


class GuarantorPhoneRead(BaseModel):
    """A guarantor's phone number in clear (the reveal is in the audit log as ``pii.reveal``)."""

    guarantor_id: int
    field: str = "phone"
    value: str | None


class CaseDetailRead(BaseModel):
    """A case: its loan, overdue amounts by part, the debtor and guarantors (masked), contacts,
    notes, promises, and today's contacts against the daily cap."""

    case: CaseRead
    customer_id: int
    phone: str | None = Field(description="the debtor's phone, masked")
    outstanding_principal_fen: int
    overdue_principal_fen: int
    overdue_interest_fen: int
    overdue_fee_fen: int
    overdue_penalty_fen: int
    recovered_fen: int
    closed_on: date | None
    outcome: str | None
    allowed_kinds: list[str] = Field(description="contact kinds the case's rung allows")
    guarantors: list[GuarantorRead]
    contacts: list[ActionRead]
    notes: list[ActionRead]
    promises: list[PromiseRead]
    contacts_today: int
    daily_cap: int
    contact_hours: str

    @classmethod
    def of(cls, v: CaseView, *, daily_cap: int, contact_hours: str) -> CaseDetailRead:
        row = QueueRow(
            case=v.case, loan=v.loan, debtor=v.debtor, branch=v.branch, collector=v.collector,
            rung=v.rung.step if v.rung else v.case.ladder_step, bucket=dpd_bucket(v.loan.dpd),
            overdue_fen=v.overdue.total_fen, pd=v.pd, priority=v.priority,
        )  # fmt: skip
        return cls(
            case=CaseRead.of(row),
            customer_id=v.customer_id,
            phone=v.phone,
            outstanding_principal_fen=v.loan.outstanding_principal_fen,
            overdue_principal_fen=v.overdue.principal_fen,
            overdue_interest_fen=v.overdue.interest_fen,
            overdue_fee_fen=v.overdue.fee_fen,
            overdue_penalty_fen=v.overdue.penalty_fen,
            recovered_fen=v.case.recovered_fen,
            closed_on=v.case.closed_on,
            outcome=v.case.outcome,
            allowed_kinds=[k for k in rules.CONTACT_KINDS if v.rung and k in v.rung.contact_kinds],
            guarantors=[GuarantorRead(**g.__dict__) for g in v.guarantors],
            contacts=[ActionRead.of(a, s) for a, s in v.contacts],
            notes=[ActionRead.of(a, s) for a, s in v.notes],
            promises=[PromiseRead.of(p) for p in v.promises],
            contacts_today=v.contacts_today,
            daily_cap=daily_cap,
            contact_hours=contact_hours,
        )


class ContactCreate(BaseModel):
    """A contact made on a case. Refused (409 ``collections.contact_refused``, every rule
    broken listed in ``fields``) outside the contact hours, beyond the daily cap per debtor, for
    anyone but the debtor or a guarantor of the loan, or for a kind the rung does not allow."""

    kind: Annotated[str, Field(max_length=16, description=", ".join(rules.CONTACT_KINDS))]
    party: Annotated[str, Field(max_length=16, description=", ".join(rules.PARTIES))] = "debtor"
    result: Annotated[str, Field(max_length=24, description=", ".join(rules.RESULTS))]
    guarantor_id: Annotated[int | None, Field(ge=1, le=2**53)] = None
    promise_amount_fen: Annotated[int | None, Field(ge=1, le=MAX_FEN)] = None
    promise_date: date | None = None
    note: Annotated[str | None, Field(max_length=200)] = None

    def to_contact(self) -> Contact:
        return Contact(
            kind=self.kind,
            party=self.party,
            result=self.result,
            guarantor_id=self.guarantor_id,
            promise_amount_fen=self.promise_amount_fen,
            promise_date=self.promise_date,
            note=self.note,
        )


class NoteCreate(BaseModel):
    note: Annotated[str, Field(min_length=1, max_length=200)]


class RungRead(BaseModel):
    step: str
    position: int
    min_dpd: int
    min_overdue_fen: int
    min_broken_promises: int
    contact_kinds: list[str]
    enabled: bool

    @classmethod
    def of(cls, r: LadderStep | Rung) -> RungRead:
        return cls(
            step=r.step,
            position=r.position,
            min_dpd=r.min_dpd,
            min_overdue_fen=r.min_overdue_fen,
            min_broken_promises=r.min_broken_promises,
            contact_kinds=[k for k in rules.CONTACT_KINDS if k in r.contact_kinds],
            enabled=r.enabled,
        )


class RungWrite(BaseModel):
    """One rung's entry rule: every floor must hold (0 broken promises: no requirement)."""

    step: Annotated[str, Field(min_length=1, max_length=16)]
    position: Annotated[int, Field(ge=1, le=100)]
    min_dpd: Annotated[int, Field(ge=1, le=100_000)]
    min_overdue_fen: Annotated[int, Field(ge=0, le=MAX_FEN)] = 0
    min_broken_promises: Annotated[int, Field(ge=0, le=1000)] = 0
    contact_kinds: list[Annotated[str, Field(max_length=16)]]
    enabled: bool = True

    def to_rung(self) -> Rung:
        return Rung(
            self.step,
            self.position,
            self.min_dpd,
            self.min_overdue_fen,
            self.min_broken_promises,
            frozenset(self.contact_kinds),
            self.enabled,
        )


class LadderRead(BaseModel):
    rungs: list[RungRead]


class LadderWrite(BaseModel):
    rungs: Annotated[list[RungWrite], Field(min_length=1, max_length=20)]
