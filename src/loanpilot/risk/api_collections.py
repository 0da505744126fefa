"""The collections API: the queue, a case, logging a contact (within the compliance rules) or a
note, and the ladder. Every route needs collections:work.

A contact refused by the compliance rules answers 409 ``collections.contact_refused`` with every
rule broken in ``fields``; the refusal's audit row is committed (nothing else is written)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from loanpilot.access.rules import Permission, Principal, check_customer_scope
from loanpilot.app import EntityId, ErrorRead, SessionDep, error_response, today_for
from loanpilot.customers.api import crypto_of
from loanpilot.kit.errors import FieldProblem, ValidationError
from loanpilot.risk import collections as service
from loanpilot.risk.rules import BUCKETS
from loanpilot.risk.schemas_collections import (
    ActionRead,
    CaseDetailRead,
    ContactCreate,
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


def policy_of(request: Request) -> service.ContactPolicy:
    return service.ContactPolicy.from_settings(request.app.state.settings)


def phone_masker(request: Request) -> Callable[[bytes | None], str | None]:
    """Stored phone cipher → its masked form (the customer 360's masking rule)."""
    crypto = crypto_of(request)

    def masked(blob: bytes | None) -> str | None:
        if blob is None:
            return None
        return crypto.masking.phone(crypto.cipher.decrypt(blob, field="phone"))

    return masked


def actor(principal: Principal) -> str:
    return f"user:{principal.username}"


def queue_filter(
    principal: Principal, view: str, rung: str | None, bucket: str | None, branch_id: int | None
) -> service.QueueFilter:
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
    return service.QueueFilter(
        assigned_to_id=principal.staff_id if view == "mine" else None,
        rung=rung or None,
        bucket=bucket or None,
        branch_id=branch_id,
    )


def case_detail(
    request: Request, session: SessionDep, principal: Principal, case_id: int
) -> service.CaseView:
    """A case in the caller's customer scope (a reach outside it is audited and refused)."""
    view = service.case_view(
        session, case_id, now=clock(request), policy=policy_of(request),
        mask_phone=phone_masker(request),
    )  # fmt: skip
    if not principal.sees_customer(view.customer_branch_id, view.customer_manager_id):
        deny_scope(request, principal, "collection_case", view.case.case_no)
        check_customer_scope(principal, view.customer_branch_id, view.customer_manager_id)
    return view


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
    q = service.queue(session, today_for(request), filters, visible=principal.sees_customer)
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
    case_detail(request, session, principal, case_id)
    try:
        action = service.log_contact(
            session, case_id, body.to_contact(), by_id=principal.staff_id,
            actor_label=actor(principal), now=clock(request), policy=policy_of(request),
            client_address=client_address(request),
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
    case_detail(request, session, principal, case_id)
    note = service.add_note(
        session, case_id, body.note, by_id=principal.staff_id, actor_label=actor(principal),
        now=clock(request),
    )  # fmt: skip
    return ActionRead.of(note, principal.name)


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
