"""The collections API: the queue, a case, logging a contact (within the compliance rules) or a
note, the audited reveal of a guarantor's phone (pii:view), and the ladder. Every route needs
collections:work.

A caller sees the cases whose debtor is in their data scope (a collector: every case; a
branch-scoped role: its branches' debtors); a case outside it answers 403 ``scope.forbidden``
(audited). A contact refused by the compliance rules answers 409 ``collections.contact_refused``
with every rule broken in ``fields``; the refusal's audit row is committed (nothing else is
written)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, error_response, today_for
from loanpilot.customers.api import crypto_of
from loanpilot.kit.errors import FieldProblem, PermissionDeniedError, ValidationError
from loanpilot.risk import collections as service
from loanpilot.risk import collections_views as views
from loanpilot.risk.rules import BUCKETS
from loanpilot.risk.schemas_collections import (
    ActionRead,
    CaseDetailRead,
    ContactCreate,
    GuarantorPhoneRead,
    LadderRead,
    LadderWrite,
    NoteCreate,
    QueueRead,
    RungRead,
)
from loanpilot.web.auth import client_address, clock, deny_scope, require

router = APIRouter(
    prefix="/api/v1",
    tags=["collections"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}}
_CHANGED: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}, 409: {"model": ErrorRead}}
Work = Annotated[Principal, require(Permission.COLLECTIONS_WORK)]
#: A second gate: a reveal needs pii:view besides collections:work (the route's first gate).
PiiView = Annotated[Principal, require(Permission.PII_VIEW)]
T = TypeVar("T")


def policy_of(request: Request) -> service.ContactPolicy:
    return service.ContactPolicy.from_settings(request.app.state.settings)


def phone_masker(request: Request) -> Callable[[bytes | None], str | None]:
    """Stored phone cipher → its masked form (the customer 360's masking rule)."""
    crypto = crypto_of(request)

    def masked(blob: bytes | None) -> str | None:
        if blob is None:
            return None
        return crypto.masking.phone(crypto.cipher.decrypt(blob, field=views.PHONE_FIELD))

    return masked


def actor(principal: Principal) -> str:
    return f"user:{principal.username}"


def queue_filter(
    principal: Principal, view: str, rung: str | None, bucket: str | None, branch_id: int | None
) -> views.QueueFilter:
    """The queue's filters; ValidationError naming each bad one."""
    problems: list[FieldProblem] = []
    if view not in ("mine", "all"):
        problems.append(FieldProblem("view", "must be mine or all"))
    if bucket and bucket not in BUCKETS:
        problems.append(FieldProblem("bucket", f"must be one of {', '.join(BUCKETS)}"))
    if problems:
        raise ValidationError(
            "collections.filter_invalid", "The queue filters are not valid", problems
        )
    return views.QueueFilter(
        assigned_to_id=principal.staff_id if view == "mine" else None,
        rung=rung or None,
        bucket=bucket or None,
        branch_id=branch_id,
    )


def scoped(request: Request, principal: Principal, case_id: int, work: Callable[[], T]) -> T:
    """Run ``work``; a refusal for scope is audited (``access.denied``) before it is raised."""
    try:
        return work()
    except PermissionDeniedError as exc:
        if exc.code == "scope.forbidden":
            deny_scope(request, principal, "collection_case", str(case_id))
        raise


def case_detail(
    request: Request, session: SessionDep, principal: Principal, case_id: int
) -> views.CaseView:
    """A case in the caller's scope (a reach outside it is audited and refused)."""
    return scoped(
        request, principal, case_id,
        lambda: views.case_view(
            session, case_id, now=clock(request), policy=policy_of(request),
            mask_phone=phone_masker(request), viewer=principal,
        ),
    )  # fmt: skip


def guarantor_phone(
    request: Request, session: SessionDep, principal: Principal, case_id: int, guarantor_id: int
) -> str | None:
    """``views.reveal_guarantor_phone`` for this request (audited; a scope refusal too)."""
    return scoped(
        request, principal, case_id,
        lambda: views.reveal_guarantor_phone(
            session, case_id, guarantor_id, viewer=principal, cipher=crypto_of(request).cipher,
            client_address=client_address(request), at=clock(request),
        ),
    )  # fmt: skip


@router.get("/collections/cases", response_model=QueueRead)
def list_cases(
    request: Request,
    session: SessionDep,
    principal: Work,
    view: Annotated[Literal["mine", "all"], Query(description="my cases or all")] = "all",
    rung: Annotated[
        str | None, Query(max_length=16, description="sms, phone, visit, legal")
    ] = None,
    bucket: Annotated[str | None, Query(max_length=4, description="M1 … M7+")] = None,
    branch_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
) -> QueueRead:
    """Open cases by priority (DPD, overdue amount, behavioural PD), with counts per rung."""
    filters = queue_filter(principal, view, rung, bucket, branch_id)
    q = views.queue(session, today_for(request), filters, viewer=principal)
    return QueueRead.of(q)


@router.get("/collections/cases/{case_id}", response_model=CaseDetailRead, responses=_FOUND)
def read_case(
    case_id: EntityId, request: Request, session: SessionDep, principal: Work
) -> CaseDetailRead:
    """One case with its loan, overdue amounts, masked debtor and guarantors, contacts, notes,
    promises, and today's contacts against the daily cap."""
    policy = policy_of(request)
    view = case_detail(request, session, principal, case_id)
    return CaseDetailRead.of(view, daily_cap=policy.daily_cap, contact_hours=policy.hours.label())


@router.post(
    "/collections/cases/{case_id}/contacts",
    response_model=ActionRead,
    status_code=201,
    responses=_CHANGED,
)
def log_contact(
    case_id: EntityId, body: ContactCreate, request: Request, session: SessionDep, principal: Work
) -> Response | ActionRead:
    """Log a contact (kinds: sms, phone, letter, visit, legal_notice, lawsuit; parties: debtor,
    guarantor with its ``guarantor_id``, or anyone else, which is refused). A promise to pay
    (result ``promise_to_pay`` with an amount and a day) is followed up by the daily close."""
    try:
        action = scoped(
            request, principal, case_id,
            lambda: service.log_contact(
                session, case_id, body.to_contact(), by_id=principal.staff_id,
                actor_label=actor(principal), now=clock(request), policy=policy_of(request),
                client_address=client_address(request), viewer=principal,
            ),
        )  # fmt: skip
    except service.ContactRefusedError as exc:  # the denial's audit row is kept (committed)
        return refused(exc)
    return ActionRead.of(action, principal.name)


def refused(exc: service.ContactRefusedError) -> JSONResponse:
    return error_response(409, exc.code, exc.message, [p.public() for p in exc.problems])


@router.post(
    "/collections/cases/{case_id}/notes", response_model=ActionRead, status_code=201,
    responses=_FOUND,
)  # fmt: skip
def add_note(
    case_id: EntityId, body: NoteCreate, request: Request, session: SessionDep, principal: Work
) -> ActionRead:
    """Add a note to a case (not a contact)."""
    note = scoped(
        request, principal, case_id,
        lambda: service.add_note(
            session, case_id, body.note, by_id=principal.staff_id,
            actor_label=actor(principal), now=clock(request), viewer=principal,
        ),
    )  # fmt: skip
    return ActionRead.of(note, principal.name)


@router.post(
    "/collections/cases/{case_id}/guarantors/{guarantor_id}/reveal",
    response_model=GuarantorPhoneRead, responses=_FOUND,
)  # fmt: skip
def reveal_guarantor_phone(
    case_id: EntityId,
    guarantor_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Work,
    _pii: PiiView,
) -> GuarantorPhoneRead:
    """The clear phone number of a guarantor of the case's loan (needs collections:work and
    pii:view; written to the audit log as ``pii.reveal``)."""
    value = guarantor_phone(request, session, principal, case_id, guarantor_id)
    return GuarantorPhoneRead(guarantor_id=guarantor_id, value=value)


@router.get("/collections/ladder", response_model=LadderRead)
def read_ladder(session: SessionDep, _principal: Work) -> LadderRead:
    """The ladder's rungs by position, each with its entry rule and allowed contact kinds."""
    return LadderRead(rungs=[RungRead.of(r) for r in service.rungs(session)])


@router.put("/collections/ladder", response_model=LadderRead)
def write_ladder(
    body: LadderWrite, request: Request, session: SessionDep, principal: Work
) -> LadderRead:
    """Replace the ladder (every problem reported at once; audited). Rungs not listed are
    removed; a case on a removed or disabled rung is placed again by the next close."""
    rows = service.update_ladder(
        session, [r.to_rung() for r in body.rungs], by_id=principal.staff_id,
        actor_label=actor(principal), now=clock(request),
    )  # fmt: skip
    return LadderRead(rungs=[RungRead.of(r) for r in rows])
