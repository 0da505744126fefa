"""Console pages of servicing: the loans (filtered by status, five-class, DPD bucket, branch,
product and number; names masked; paged) and one loan (summary with rate and APR side by side,
its workflow stage and timeline, the current schedule with what is paid and the penalty accrued
to today, the payments with a reversal form on the one that may be reversed, and the forms to post
a repayment, to preview and post a prepayment (both options side by side) and to write off).

Viewing needs ``loans:read``; posting, prepaying and reversing ``loans:service``; writing off
``loans:write_off``; every loan within the caller's customer scope (a reach beyond it is refused
with 403 and audited). Refusals are shown in the page's language by their stable code
(``servicing.error.*``, see ``lending.servicing_errors``). Handlers are thin: the services change
state and audit; the request's session commits.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.db.paging import page_request
from loanpilot.kit.errors import ConflictError, DomainError, NotFoundError, ValidationError
from loanpilot.kit.masking import mask_name
from loanpilot.lending import repository_servicing as repo
from loanpilot.lending import servicing, servicing_prepay, servicing_reversal, servicing_views
from loanpilot.lending.api_servicing import actor_of, policy_of, scoped
from loanpilot.lending.events import current_stage
from loanpilot.lending.ledger_prepay import PrepayOption
from loanpilot.lending.models import Loan, LoanStatus
from loanpilot.lending.servicing_errors import invalid, message_key, message_params, missing
from loanpilot.products.rules import parse_yuan
from loanpilot.risk.models import FiveClass
from loanpilot.risk.rules import BUCKETS, dpd_bucket
from loanpilot.web.auth import clock, require
from loanpilot.web.i18n import MESSAGES, Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=200)]
Short = Annotated[str, Form(max_length=40)]
DONE = ("posted", "replayed", "prepaid", "reversed", "written_off")
#: Error params shown as a label of the page's language instead of their code.
_LABELS = {"status": "servicing.status.", "method": "products.method."}


def error_text(exc: DomainError, lang: Lang) -> str:
    """A refusal in ``lang``: by its code (and variant) when translated, else its message."""
    key = message_key(exc)
    if key not in MESSAGES:
        return exc.message
    params = message_params(exc)
    for name, prefix in _LABELS.items():
        if name in params and f"{prefix}{params[name]}" in MESSAGES:
            params[name] = translate(f"{prefix}{params[name]}", lang)
    return translate(key, lang, **params)


def new_ref(today: date) -> str:
    """A fresh transaction reference for a form (sending the form twice posts once)."""
    return f"C{today:%y%m%d}{uuid.uuid4().hex[:10].upper()}"


def _yuan(text: str, field: str) -> int:
    try:
        return parse_yuan(text)
    except ValueError:
        raise invalid("form.amount", field, f"{field} must be an amount in yuan") from None


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise invalid("form.date", field, f"{field} must be a date YYYY-MM-DD") from None


# --- the list ----------------------------------------------------------------------------------


def _choice(value: str, allowed: list[str]) -> str | None:
    return value if value in allowed else None


_DAYS_PAST_DUE = re.compile(r"(\d+) days past due")


def note_text(note: str | None, lang: Lang) -> str:
    """A timeline note in ``lang``: the notes the daily close writes when it moves a loan into
    or out of collections are translated; a person's note is shown as written."""
    if not note:
        return ""
    found = _DAYS_PAST_DUE.fullmatch(note)
    if found:
        return translate("servicing.timeline.note.days_past_due", lang, days=found.group(1))
    if note == "no longer past due":
        return translate("servicing.timeline.note.no_longer_past_due", lang)
    return note


def _stage(session: Session, loan: Loan) -> str:
    """The workflow stage a repaying loan is in (``in_collections`` while the status column says
    repaying); other loans' stage is their status."""
    if loan.status is not LoanStatus.REPAYING:
        return loan.status.value
    return current_stage(session, "loan", loan.id, loan.status.value).value


@router.get("/console/loans")
def loans_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
    status: Annotated[str, Query(max_length=24)] = "",
    five_class: Annotated[str, Query(max_length=24)] = "",
    bucket: Annotated[str, Query(max_length=8)] = "",
    branch_id: Annotated[str, Query(max_length=20)] = "",
    product_id: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=24)] = "",
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
    sort: Annotated[str, Query(max_length=24)] = "",
) -> Response:
    """Loans the caller may see, filtered, sorted and paged; each links to its page."""
    filters = repo.LoanFilters(
        status=_choice(status, [s.value for s in LoanStatus]),
        five_class=_choice(five_class, [c.value for c in FiveClass]),
        bucket=_choice(bucket, list(BUCKETS)),
        branch_id=int(branch_id) if branch_id.isdigit() else None,
        product_id=int(product_id) if product_id.isdigit() else None,
        q=q.strip().upper() or None,
    )
    key = sort if sort.lstrip("-") in repo.SORT_KEYS else repo.DEFAULT_SORT
    found = repo.list_loans(
        session, principal, filters, page_request(page, None, key, repo.SORT_KEYS, "")
    )
    lang = request_lang(request)
    rows = [
        {"loan": r[0], "customer": mask_name(r[1]), "product": r[4] if lang == "zh" else r[5],
         "product_code": r[2], "branch": r[3], "bucket": dpd_bucket(r[0].dpd),
         "stage": _stage(session, r[0])}
        for r in found.rows
    ]  # fmt: skip
    return render(request, "console/lending/loans.html", {
        "page": found, "rows": rows, "statuses": [s.value for s in LoanStatus],
        "classes": [c.value for c in FiveClass], "buckets": BUCKETS,
        "branches": repo.branches(session), "products": repo.products(session),
        "chosen": {"status": status, "five_class": five_class, "bucket": bucket,
                   "branch_id": branch_id, "product_id": product_id, "q": q},
    })  # fmt: skip


# --- one loan ----------------------------------------------------------------------------------


def _preview(
    session: Session, loan: Loan, amount: str, on: str, today: date, request: Request
) -> dict[str, Any]:
    """The prepayment preview asked by the query (``prepay_amount``, ``prepay_on``)."""
    out: dict[str, Any] = {"amount": amount, "on": on or today.isoformat()}
    try:
        principal_fen = _yuan(amount, "prepay_amount") if amount.strip() else None
        payoff, options = servicing_prepay.preview_prepayment(
            session, loan.id, principal_fen=principal_fen,
            paid_on=_day(out["on"], "prepay_on"), policy=policy_of(request),
        )  # fmt: skip
    except (ValidationError, ConflictError) as exc:
        return out | {"error": error_text(exc, request_lang(request)), "code": exc.code}
    lang = request_lang(request)
    shown: dict[str, Any] = {}
    for option, plan in options.items():
        if isinstance(plan, str):
            shown[option.value] = translate(
                "servicing.error.prepayment.option.shorten_unavailable", lang,
                method=translate(f"products.method.{loan.repayment_method.value}", lang),
            )  # fmt: skip
        else:
            shown[option.value] = plan
    return out | {"payoff": payoff, "options": shown, "principal_fen": principal_fen}


def loan_page(
    request: Request, session: Session, principal: Principal, loan_id: int, *,
    error: dict[str, str] | None = None, form: dict[str, str] | None = None,
    status_code: int = 200, prepay_amount: str = "", prepay_on: str | None = None,
) -> Response:  # fmt: skip
    today = today_for(request)
    view = scoped(
        request, principal, loan_id,
        lambda: servicing_views.loan_view(
            session, principal, loan_id, today=today, policy=policy_of(request)
        ),
    )  # fmt: skip
    can_service = principal.can(Permission.LOANS_SERVICE)
    is_open = view.loan.status is LoanStatus.REPAYING
    preview = None
    if can_service and is_open and prepay_on is not None:
        preview = _preview(session, view.loan, prepay_amount, prepay_on, today, request)
    done = request.query_params.get("done", "")
    ref = request.query_params.get("ref", "")[:40]
    return render(request, "console/lending/loan.html", {
        "v": view, "loan": view.loan, "customer": mask_name(view.customer_name),
        "bucket": dpd_bucket(view.loan.dpd), "today": today,
        "can_service": can_service and is_open,
        "can_reverse": can_service,
        "can_write_off": principal.can(Permission.LOANS_WRITE_OFF) and is_open,
        "preview": preview, "error": error, "form": form or {},
        "new_ref": new_ref(today), "channels": servicing.CHANNELS,
        "done": done if done in DONE else "", "ref": ref,
        "note_text": lambda note: note_text(note, request_lang(request)),
    }, status_code=status_code)  # fmt: skip


@router.get("/console/loans/{loan_id}")
def loan_detail(
    loan_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_READ)],
    prepay_amount: Annotated[str, Query(max_length=24)] = "",
    prepay_on: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """One loan; ``prepay_amount``/``prepay_on`` ask for the prepayment preview."""
    return loan_page(
        request, session, principal, loan_id, prepay_amount=prepay_amount, prepay_on=prepay_on
    )


def _act(
    request: Request, session: Session, principal: Principal, loan_id: int, section: str,
    form: dict[str, str], work: Callable[[], tuple[str, str]],
) -> Response:  # fmt: skip
    """Run a posting: redirect to the loan page with ``done`` and the reference; a refusal
    re-renders the page with the reason beside the form (nothing changed)."""
    scoped(
        request, principal, loan_id,
        lambda: servicing_views.scoped_loan(session, principal, loan_id),
    )  # fmt: skip
    try:
        done, ref = work()
    except (ValidationError, ConflictError, NotFoundError) as exc:
        session.rollback()
        error = {"section": section, "code": exc.code,
                 "text": error_text(exc, request_lang(request))}  # fmt: skip
        code = 422 if isinstance(exc, ValidationError) else 409
        code = 404 if isinstance(exc, NotFoundError) else code
        return loan_page(request, session, principal, loan_id, error=error, form=form,
                         status_code=code)  # fmt: skip
    query = f"done={done}" + (f"&ref={ref}" if ref else "")
    return RedirectResponse(f"/console/loans/{loan_id}?{query}", status_code=303)


@router.post("/console/loans/{loan_id}/repayments")
def post_repayment(
    loan_id: EntityId, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_SERVICE)],
    amount: Short = "", paid_on: Short = "", txn_ref: Short = "", channel: Short = "branch",
) -> Response:  # fmt: skip
    """Post a repayment (allocated to the due lines, penalty first by default)."""
    form = {"amount": amount, "paid_on": paid_on, "txn_ref": txn_ref, "channel": channel}

    def work() -> tuple[str, str]:
        posted = servicing.post_repayment(
            session, loan_id, amount_fen=_yuan(amount, "amount"), paid_on=_day(paid_on, "paid_on"),
            txn_ref=txn_ref, today=today_for(request), now=clock(request),
            policy=policy_of(request), actor=actor_of(request, principal), channel=channel,
        )  # fmt: skip
        return ("replayed" if posted.replayed else "posted"), posted.repayment.txn_ref

    return _act(request, session, principal, loan_id, "repayment", form, work)


@router.post("/console/loans/{loan_id}/prepayments")
def post_prepayment(
    loan_id: EntityId, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_SERVICE)],
    principal_yuan: Short = "", option: Short = "", paid_on: Short = "", txn_ref: Short = "",
) -> Response:  # fmt: skip
    """Prepay: in part with the option chosen (``principal_yuan`` and ``option``), or in full."""
    form = {"principal_yuan": principal_yuan, "option": option, "paid_on": paid_on,
            "txn_ref": txn_ref}  # fmt: skip

    def work() -> tuple[str, str]:
        full = not principal_yuan.strip()
        if not full and option not in PrepayOption._value2member_map_:
            raise invalid("form.option", "option", "choose shorten_term or lower_instalment")
        posted = servicing_prepay.prepay(
            session, loan_id,
            principal_fen=None if full else _yuan(principal_yuan, "principal_yuan"),
            option=None if full else PrepayOption(option), paid_on=_day(paid_on, "paid_on"),
            txn_ref=txn_ref, today=today_for(request), now=clock(request),
            policy=policy_of(request), actor=actor_of(request, principal),
        )  # fmt: skip
        return ("replayed" if posted.replayed else "prepaid"), posted.repayment.txn_ref

    return _act(request, session, principal, loan_id, "prepayment", form, work)


@router.post("/console/loans/{loan_id}/repayments/{repayment_id}/reverse")
def reverse_repayment(
    loan_id: EntityId, repayment_id: EntityId, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_SERVICE)], reason: Text = "",
) -> Response:  # fmt: skip
    """Reverse the latest standing payment of the loan (its reason kept on the reversal)."""

    def work() -> tuple[str, str]:
        original = repo.repayment(session, repayment_id)
        if original is None or original.loan_id != loan_id:
            raise missing(
                "repayment.not_found", f"No repayment {repayment_id} on loan {loan_id}",
                repayment_id=repayment_id,
            )  # fmt: skip
        reversal = servicing_reversal.reverse_repayment(
            session, repayment_id, reason=reason, today=today_for(request), now=clock(request),
            actor=actor_of(request, principal),
        )  # fmt: skip
        return "reversed", reversal.txn_ref

    return _act(request, session, principal, loan_id, "reversal", {"reason": reason}, work)


@router.post("/console/loans/{loan_id}/write-off")
def write_off(
    loan_id: EntityId, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.LOANS_WRITE_OFF)], reason: Text = "",
) -> Response:  # fmt: skip
    """Write the loan off (核销)."""

    def work() -> tuple[str, str]:
        servicing.write_off(
            session, loan_id, reason=reason, now=clock(request), actor=actor_of(request, principal)
        )
        return "written_off", ""

    return _act(request, session, principal, loan_id, "write_off", {"reason": reason}, work)
