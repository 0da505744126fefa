"""The servicing API: loans, schedules, repayments, prepayments, reversals and write-offs.

Reading needs loans:read, posting loans:service, writing off loans:write_off; every loan is
within the caller's customer scope (customer managers: their own customers; branch heads: their
branch), a reach beyond it refused (403 scope.forbidden) and audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for
from loanpilot.db.paging import page_request
from loanpilot.kit.errors import FieldProblem, PermissionDeniedError, ValidationError
from loanpilot.lending import repository_servicing as repo
from loanpilot.lending import servicing, servicing_prepay, servicing_reversal, servicing_views
from loanpilot.lending.ledger_prepay import PrepayOption
from loanpilot.lending.models import LoanStatus
from loanpilot.lending.schemas_servicing import (
    LineRead,
    LoanDetailRead,
    LoanItemRead,
    LoanPageRead,
    PrepaymentCreate,
    PrepaymentPlanRead,
    PrepaymentPreviewRead,
    RepaymentCreate,
    RepaymentRead,
    ReversalCreate,
    WriteOffCreate,
)
from loanpilot.lending.servicing_errors import invalid
from loanpilot.risk.models import FiveClass
from loanpilot.web.auth import client_address, clock, deny_scope, require

T = TypeVar("T")

router = APIRouter(
    prefix="/api/v1",
    tags=["servicing"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}},
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorRead},
    409: {"model": ErrorRead},
    422: {"model": ErrorRead},
}


def policy_of(request: Request) -> servicing.Policy:
    return servicing.Policy.from_settings(request.app.state.settings)


def actor_of(request: Request, principal: Principal) -> servicing.Actor:
    return servicing.Actor(
        principal.staff_id, f"user:{principal.username}", client_address(request)
    )


def scoped(request: Request, principal: Principal, loan_id: int, work: Callable[[], T]) -> T:
    """Run ``work``; a refusal for scope is audited (``access.denied``) before it is raised."""
    try:
        return work()
    except PermissionDeniedError as exc:
        if exc.code == "scope.forbidden":
            deny_scope(request, principal, "loan", str(loan_id))
        raise


def parse_filters(
    status: str | None, five_class: str | None, bucket: str | None, branch_id: int | None,
    product_id: int | None, q: str | None,
) -> repo.LoanFilters:  # fmt: skip
    """Filters from query text; one ValidationError naming every bad one."""
    problems = []
    choices = {
        "status": (status, [s.value for s in LoanStatus]),
        "five_class": (five_class, [c.value for c in FiveClass]),
        "bucket": (bucket, list(repo.BUCKET_DAYS)),
    }
    for name, (value, allowed) in choices.items():
        if value and value not in allowed:
            problems.append(FieldProblem(name, f"must be one of {', '.join(allowed)}"))
    if problems:
        raise ValidationError("loans.invalid_query", "The loan filters are not valid", problems)
    return repo.LoanFilters(
        status=status or None, five_class=five_class or None, bucket=bucket or None,
        branch_id=branch_id, product_id=product_id, q=(q or "").strip().upper() or None,
    )  # fmt: skip


@router.get("/loans", response_model=LoanPageRead, responses={422: {"model": ErrorRead}})
def list_loans(
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
    status: Annotated[str | None, Query(description="repaying, settled, written_off…")] = None,
    five_class: Annotated[str | None, Query(description="normal … loss")] = None,
    bucket: Annotated[str | None, Query(description="DPD bucket M0 … M7+")] = None,
    branch_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    product_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    q: Annotated[str | None, Query(max_length=24, description="Loan number prefix")] = None,
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 25,
    sort: Annotated[str | None, Query(description="loan_no, disbursed_on, principal, …")] = None,
) -> LoanPageRead:
    """Loans the caller may see, filtered, sorted and paged (names masked)."""
    filters = parse_filters(status, five_class, bucket, branch_id, product_id, q)
    paging = page_request(page, size, sort, repo.SORT_KEYS, repo.DEFAULT_SORT)
    found = repo.list_loans(session, principal, filters, paging)
    return LoanPageRead(
        items=[LoanItemRead.of(r[0], r[1], r[2], r[3]) for r in found.rows],
        total=found.total, page=found.number, pages=found.pages, size=found.size,
    )  # fmt: skip


@router.get("/loans/{loan_id}", response_model=LoanDetailRead, responses=_ERRORS)
def read_loan(
    loan_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
) -> LoanDetailRead:
    """The loan, its current schedule (penalty accrued to today) and its repayments."""
    view = scoped(
        request, principal, loan_id,
        lambda: servicing_views.loan_view(
            session, principal, loan_id, today=today_for(request), policy=policy_of(request)
        ),
    )  # fmt: skip
    loan = view.loan
    return LoanDetailRead(
        loan=LoanItemRead.of(loan, view.customer_name, view.product.code, view.branch_name),
        stage=view.stage.value, schedule_version=loan.schedule_version,
        maturity_on=loan.maturity_on,
        written_off_fen=loan.written_off_fen, settled_on=loan.settled_on,
        due_today_fen=view.due_today.total_fen, schedule=[LineRead.of(x) for x in view.lines],
        repayments=[RepaymentRead.of(r) for r in view.repayments],
    )  # fmt: skip


def _posted(posted: servicing.Posted) -> JSONResponse:
    body = RepaymentRead.of(posted.repayment, replayed=posted.replayed)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if posted.replayed else 201)


@router.post(
    "/loans/{loan_id}/repayments",
    response_model=RepaymentRead,
    status_code=201,
    responses={200: {"model": RepaymentRead, "description": "A replay"}, **_ERRORS},
)
def post_repayment(
    loan_id: EntityId,
    body: RepaymentCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_SERVICE)],
) -> JSONResponse:
    """Post a repayment (201), allocated to the due lines; the same ``txn_ref`` again returns
    the first posting (200). More than is due is refused with the amount due."""
    scoped(
        request,
        principal,
        loan_id,
        lambda: servicing_views.scoped_loan(session, principal, loan_id),
    )
    posted = servicing.post_repayment(
        session, loan_id, amount_fen=body.amount_fen, paid_on=body.paid_on,
        txn_ref=body.txn_ref, today=today_for(request), now=clock(request),
        policy=policy_of(request), actor=actor_of(request, principal), channel=body.channel,
    )  # fmt: skip
    return _posted(posted)


@router.post(
    "/loans/{loan_id}/prepayments",
    response_model=RepaymentRead,
    status_code=201,
    responses={200: {"model": PrepaymentPreviewRead, "description": "preview"}, **_ERRORS},
)
def post_prepayment(
    loan_id: EntityId,
    body: PrepaymentCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_SERVICE)],
) -> JSONResponse:
    """Prepay in part (``principal_fen`` and ``option``) or in full (no ``principal_fen``).
    ``preview``: nothing is posted; the answer holds the full payoff and both options."""
    scoped(
        request,
        principal,
        loan_id,
        lambda: servicing_views.scoped_loan(session, principal, loan_id),
    )
    if body.preview:
        payoff, options = servicing_prepay.preview_prepayment(
            session, loan_id, principal_fen=body.principal_fen, paid_on=body.paid_on,
            policy=policy_of(request),
        )  # fmt: skip
        preview = PrepaymentPreviewRead(
            payoff=PrepaymentPlanRead.of(None, payoff),
            options=[PrepaymentPlanRead.of(o.value, plan) for o, plan in options.items()],
        )
        return JSONResponse(preview.model_dump(mode="json"))
    if not body.txn_ref:
        raise invalid("prepayment.txn_ref", "txn_ref", "A prepayment needs a txn_ref")
    posted = servicing_prepay.prepay(
        session, loan_id, principal_fen=body.principal_fen,
        option=PrepayOption(body.option) if body.option else None, paid_on=body.paid_on,
        txn_ref=body.txn_ref, today=today_for(request), now=clock(request),
        policy=policy_of(request), actor=actor_of(request, principal), channel=body.channel,
    )  # fmt: skip
    return _posted(posted)


@router.post(
    "/repayments/{repayment_id}/reversal",
    response_model=RepaymentRead,
    status_code=201,
    responses=_ERRORS,
)
def reverse_repayment(
    repayment_id: EntityId,
    body: ReversalCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_SERVICE)],
) -> RepaymentRead:
    """Reverse the latest standing payment of its loan; the reversal row (amounts negated)."""
    original = repo.repayment(session, repayment_id)
    if original is not None:
        loan_id = original.loan_id
        scoped(
            request,
            principal,
            loan_id,
            lambda: servicing_views.scoped_loan(session, principal, loan_id),
        )
    reversal = servicing_reversal.reverse_repayment(
        session, repayment_id, reason=body.reason, today=today_for(request), now=clock(request),
        actor=actor_of(request, principal),
    )  # fmt: skip
    return RepaymentRead.of(reversal)


@router.post("/loans/{loan_id}/write-off", response_model=LoanItemRead, responses=_ERRORS)
def write_off(
    loan_id: EntityId,
    body: WriteOffCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_WRITE_OFF)],
) -> LoanItemRead:
    """Write a repaying loan off (核销): its outstanding principal moves to written off."""
    customer_name = scoped(
        request, principal, loan_id,
        lambda: servicing_views.in_scope(session, principal, servicing.get_loan(session, loan_id)).name,
    )  # fmt: skip
    loan = servicing.write_off(
        session, loan_id, reason=body.reason, now=clock(request),
        actor=actor_of(request, principal),
    )  # fmt: skip
    product = repo.product(session, loan.product_id)
    return LoanItemRead.of(
        loan, customer_name, product.code if product else "",
        repo.branch_name(session, loan.branch_id) or "",
    )  # fmt: skip
