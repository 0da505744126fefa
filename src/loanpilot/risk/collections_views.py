"""What the collections queue and a case show (read views), and the audited reveal of a
guarantor's phone number.

The queue and a case are read in the caller's data scope (``viewer``; the scope is part of the
repository's queries, see ``repository_collections.scope_clause``): a case whose debtor is outside
it is not listed and is refused (``scope.forbidden``) when asked for by id. Names and phone numbers
leave this module masked, except through :func:`reveal_guarantor_phone` (pii:view, audited as
``pii.reveal``; the detail names the field and the case, never the value).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.audit.service import record
from loanpilot.kit.crypto import FieldCipher
from loanpilot.kit.errors import NotFoundError, PermissionDeniedError
from loanpilot.kit.masking import mask_name
from loanpilot.lending.models import Loan
from loanpilot.risk import collection_rules as rules
from loanpilot.risk import repository_collections as repo
from loanpilot.risk.collection_rules import Rung
from loanpilot.risk.collections import (
    ContactPolicy,
    check_case_scope,
    contacts_today,
    current_rung,
    rungs,
)
from loanpilot.risk.models import CollectionAction, CollectionCase
from loanpilot.risk.models_post import CollectionPromise
from loanpilot.risk.rules import dpd_bucket

#: The field name guarantors' and customers' phone numbers are encrypted with (``kit.crypto``
#: ``FieldCipher``; see ``demo/security.py`` and ``lending/service.py``).
PHONE_FIELD = "phone"


@dataclass(frozen=True)
class QueueRow:
    case: CollectionCase
    loan: Loan
    debtor: str  # masked name
    branch: str
    collector: str | None
    rung: str | None
    bucket: str
    overdue_fen: int
    pd: float | None
    priority: float


@dataclass(frozen=True)
class Queue:
    rows: list[QueueRow]  # by priority, highest first (at most ``limit``)
    total: int  # rows matching every filter
    by_rung: dict[str, int]  # matching every filter but the rung's


@dataclass(frozen=True)
class QueueFilter:
    assigned_to_id: int | None = None  # "my cases"
    rung: str | None = None
    bucket: str | None = None
    branch_id: int | None = None


def queue(
    session: Session,
    as_of: date,
    filters: QueueFilter,
    *,
    viewer: Principal | None = None,
    limit: int = 200,
) -> Queue:
    """Open cases matching ``filters`` whose debtor is in ``viewer``'s scope (None: every case),
    by priority: DPD, overdue amount and behavioural PD."""
    cases = repo.open_cases(session, viewer)
    if filters.assigned_to_id is not None:
        cases = [c for c in cases if c.assigned_to_id == filters.assigned_to_id]
    loans = repo.loans_by_id(session, {c.loan_id for c in cases})
    if filters.branch_id is not None:
        cases = [c for c in cases if loans[c.loan_id].branch_id == filters.branch_id]
    if filters.bucket:
        cases = [c for c in cases if dpd_bucket(loans[c.loan_id].dpd) == filters.bucket]
    customers = repo.customers_by_id(session, {loans[c.loan_id].customer_id for c in cases})
    ladder = rungs(session)
    overdue = repo.overdue_by_loan(session, {c.loan_id for c in cases}, as_of)
    pds = repo.latest_pd(session, {c.loan_id for c in cases})
    broken = repo.broken_counts(session, [c.id for c in cases])
    names = repo.staff_names(session, {c.assigned_to_id for c in cases if c.assigned_to_id})
    branch_names = {b.id: b.name for b in repo.branches(session).values()}
    rows: list[QueueRow] = []
    for c in cases:
        loan = loans[c.loan_id]
        owed = overdue.get(loan.id, repo.Overdue()).total_fen
        step = c.ladder_step
        if step is None:
            placed = rules.rung_for(
                ladder, dpd=max(loan.dpd, 1), overdue_fen=owed,
                broken_promises=broken.get(c.id, 0),
            )  # fmt: skip
            step = placed.step if placed else None
        rows.append(
            QueueRow(
                case=c, loan=loan, debtor=mask_name(customers[loan.customer_id].name),
                branch=branch_names.get(loan.branch_id, "—"),
                collector=names.get(c.assigned_to_id) if c.assigned_to_id else None,
                rung=step, bucket=dpd_bucket(loan.dpd), overdue_fen=owed, pd=pds.get(loan.id),
                priority=rules.priority(loan.dpd, owed, pds.get(loan.id)),
            )
        )  # fmt: skip
    by_rung = Counter(r.rung or "" for r in rows)
    if filters.rung:
        rows = [r for r in rows if r.rung == filters.rung]
    rows.sort(key=lambda r: (-r.priority, r.case.id))
    return Queue(rows=rows[:limit], total=len(rows), by_rung=dict(by_rung))


@dataclass(frozen=True)
class GuarantorView:
    id: int
    name: str  # masked
    relation: str
    phone: str | None  # masked
    guaranteed_fen: int


@dataclass(frozen=True)
class CaseView:
    case: CollectionCase
    loan: Loan
    customer_id: int
    customer_branch_id: int | None  # the debtor's home branch and manager (the caller's scope)
    customer_manager_id: int | None
    debtor: str  # masked name
    phone: str | None  # masked
    branch: str
    collector: str | None
    overdue: repo.Overdue
    rung: Rung | None
    pd: float | None
    priority: float
    guarantors: list[GuarantorView]
    contacts: list[tuple[CollectionAction, str | None]]  # (action, staff name), newest first
    notes: list[tuple[CollectionAction, str | None]]
    promises: list[CollectionPromise]
    contacts_today: int
    local_now: datetime


def case_view(
    session: Session,
    case_id: int,
    *,
    now: datetime,
    policy: ContactPolicy,
    mask_phone: Callable[[bytes | None], str | None],
    viewer: Principal | None = None,
) -> CaseView:
    """A case with its loan, overdue amounts, the debtor (masked), guarantors (masked), the
    contact log, notes, promises and today's contacts; ``mask_phone`` turns a stored phone
    cipher into its masked form. ``scope.forbidden`` when the debtor is outside ``viewer``'s
    scope (nothing is read then)."""
    check_case_scope(session, case_id, viewer)
    case = repo.case(session, case_id)
    loan = session.get(Loan, case.loan_id)
    if loan is None:
        raise NotFoundError("loan.not_found", f"No loan with id {case.loan_id}")
    customer = repo.customers_by_id(session, [loan.customer_id])[loan.customer_id]
    today = now.astimezone(policy.tz).date()
    actions = repo.actions_of(session, case.id)
    names = repo.staff_names(
        session, {a.staff_id for a in actions if a.staff_id} | {case.assigned_to_id or 0}
    )
    pd = repo.latest_pd(session, [loan.id]).get(loan.id)
    branch = repo.branches(session).get(loan.branch_id)
    overdue = repo.overdue_by_loan(session, [loan.id], today).get(loan.id, repo.Overdue())
    guarantors = [
        GuarantorView(
            g.id, mask_name(g.name), g.relation, mask_phone(g.phone_enc), g.guaranteed_fen
        )
        for g in repo.guarantors_of(session, loan.id)
    ]
    return CaseView(
        case=case, loan=loan, customer_id=customer.id, customer_branch_id=customer.home_branch_id,
        customer_manager_id=customer.manager_id, debtor=mask_name(customer.name),
        phone=mask_phone(customer.phone_enc),
        branch=branch.name if branch else "—",
        collector=names.get(case.assigned_to_id) if case.assigned_to_id else None,
        overdue=overdue,
        rung=current_rung(session, case, loan, today) if case.closed_on is None else None,
        pd=pd, priority=rules.priority(loan.dpd, overdue.total_fen, pd), guarantors=guarantors,
        contacts=[(a, names.get(a.staff_id or 0)) for a in actions if a.kind != rules.NOTE_KIND],
        notes=[(a, names.get(a.staff_id or 0)) for a in actions if a.kind == rules.NOTE_KIND],
        promises=repo.promises_of(session, [case.id]).get(case.id, []),
        contacts_today=contacts_today(session, loan.customer_id, now, policy.tz),
        local_now=now.astimezone(policy.tz),
    )  # fmt: skip


def reveal_guarantor_phone(
    session: Session,
    case_id: int,
    guarantor_id: int,
    *,
    viewer: Principal,
    cipher: FieldCipher,
    client_address: str | None,
    at: datetime,
) -> str | None:
    """The clear phone number of a guarantor of the case's loan, audited as ``pii.reveal``
    (entity ``guarantor``; the detail names the field and the case, never the value).

    Needs pii:view and collections:work (revealing is working the case; the routes check both
    too); the case must be in ``viewer``'s scope and the guarantor must guarantee its loan
    (NotFoundError otherwise, so a guarantor of another loan cannot be reached through a case).
    """
    missing = [p.value for p in (Permission.PII_VIEW, Permission.COLLECTIONS_WORK)
               if not viewer.can(p)]  # fmt: skip
    if missing:
        raise PermissionDeniedError(
            "auth.forbidden", f"Revealing a guarantor's phone needs {' and '.join(missing)}"
        )
    check_case_scope(session, case_id, viewer)
    case = repo.case(session, case_id)
    found = repo.guarantor(session, guarantor_id)
    if found is None or found.loan_id != case.loan_id:
        raise NotFoundError(
            "collections.guarantor_not_found",
            f"No guarantor with id {guarantor_id} on the loan of case {case.case_no}",
        )
    value = None if found.phone_enc is None else cipher.decrypt(found.phone_enc, PHONE_FIELD)
    record(
        session,
        action="pii.reveal",
        actor_staff_id=viewer.staff_id,
        actor_label=f"user:{viewer.username}",
        entity="guarantor",
        entity_id=str(found.id),
        detail={"field": PHONE_FIELD, "case": case.case_no},
        client_address=client_address,
        at=at,
    )
    return value
