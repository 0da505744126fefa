"""Console pages of the manual-review queue: referred applications oldest first, and one
application with its decisions, the features the model read, and the reviewer's form (approve,
optionally for less or with the appraised collateral value; or decline; a note either way).
An approval above the reviewer's authority waits for a checker (maker-checker): the reviewer is
sent to the application's workflow page, and the form is closed until the check.

The applicant is shown by masked name only (``kit.masking.mask_name``); ID and phone numbers are
never on these pages (the customer 360 reveals them, audited, to those allowed).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.kit.errors import ConflictError, FieldProblem, ValidationError
from loanpilot.kit.masking import mask_name
from loanpilot.kit.money import format_yuan as yuan_text
from loanpilot.lending import authority
from loanpilot.lending import repository as lending
from loanpilot.lending.models import Application, ApplicationStatus
from loanpilot.products.models import CollateralKind
from loanpilot.products.service import get_product
from loanpilot.risk import review as reviews
from loanpilot.risk import service, views
from loanpilot.risk.features import RATIO_FEATURES, feature_label
from loanpilot.web.auth import clock, require
from loanpilot.web.forms import optional_yuan
from loanpilot.web.i18n import MESSAGES, Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)

#: Feature -> the message prefix that names its values.
VALUE_KEYS = {
    "occupation": "customers.occupation",
    "education": "customers.education",
    "marital_status": "customers.marital",
    "product_type": "products.type",
}
#: Service error code -> (form field, message key).
_ERRORS = {
    "review.note": ("note", "risk.review.error.note"),
    "review.collateral": ("collateral", "risk.review.error.collateral"),
    "review.no_offer": ("", "risk.review.error.no_offer"),
    "application.not_referred": ("", "risk.review.error.not_referred"),
    "policy.missing": ("", "risk.review.error.policy"),
    "review.combination": ("", "risk.review.error.combination"),
    "review.amount": ("amount", "risk.review.error.amount_above"),
    "approval.pending": ("", "lending.error.approval.pending"),
    "approval.not_authorised": ("", "lending.error.approval.not_authorised"),
}


def waiting_text(hours: float | None, lang: Lang) -> str:
    """``3 天 4 小时`` / ``3 d 4 h`` (under a day: hours only)."""
    if hours is None:
        return "—"
    whole = math.floor(hours)
    days, rest = divmod(whole, 24)
    if days:
        return translate("risk.reviews.wait_days", lang, days=days, hours=rest)
    return translate("risk.reviews.wait_hours", lang, hours=rest)


def feature_value(name: str, value: Any, lang: Lang) -> str:
    """A feature's value as a reviewer reads it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return translate("risk.features.none", lang)
    if name in RATIO_FEATURES and isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    if name in ("owns_home", "provident_fund") and value in ("yes", "no"):
        return translate(f"customers.{value}", lang)
    prefix = VALUE_KEYS.get(name)
    if prefix and f"{prefix}.{value}" in MESSAGES:
        return translate(f"{prefix}.{value}", lang)
    if isinstance(value, float):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,d}"
    return str(value)


@router.get("/console/risk/reviews")
def reviews_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """Referred applications, oldest first: number, product, amount, term, score, grade, the
    reasons, and how long each has waited."""
    lang = request_lang(request)
    now = clock(request)
    rows = []
    for app, dec in reviews.review_queue(session):
        hours = views.hours_since(app.review_started_at or app.submitted_at, now)
        rows.append(
            {
                "app": app,
                "product": get_product(session, app.product_id),
                "decision": dec,
                "waiting": waiting_text(hours, lang),
                "hours": hours,
            }
        )
    return render(
        request,
        "console/risk/reviews.html",
        {"rows": rows, "can_review": principal.can(Permission.APPLICATIONS_REVIEW)},
    )


def _review_page(
    request: Request,
    session: Session,
    principal: Principal,
    app: Application,
    *,
    form: dict[str, str] | None = None,
    fields: list[dict[str, Any]] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    lang = request_lang(request)
    product = get_product(session, app.product_id)
    customer = lending.customer(session, app.customer_id)
    decisions = views.decisions_of(session, app.id)
    scored = next((d for d in decisions if d.features), None)
    features = [
        {"name": k, "label": feature_label(k, lang), "value": feature_value(k, v, lang)}
        for k, v in (scored.features or {}).items()
    ] if scored is not None else []  # fmt: skip
    offer = (
        service.current_offer(session, app.id, today_for(request))
        if app.status is ApplicationStatus.APPROVED
        else None
    )
    pending = authority.pending_request(session, app.id)  # maker-checker: waiting for a checker
    if pending is not None and error is None:
        error = translate("lending.app.pending", lang, amount=yuan_text(pending.amount_fen))
    return render(
        request,
        "console/risk/review.html",
        {
            "app": app,
            "product": product,
            "customer_name": mask_name(customer.name) if customer else "—",
            "customer_id": customer.id if customer else None,
            "can_see_customer": principal.can(Permission.CUSTOMERS_READ),
            "decisions": decisions,
            "features": features,
            "offer": offer,
            "secured": product.collateral_required is not CollateralKind.NONE,
            "can_review": principal.can(Permission.APPLICATIONS_REVIEW)
            and app.status in reviews.REVIEWABLE
            and pending is None,
            "form": form or {"decision": "", "amount": "", "collateral": "", "note": ""},
            "fields": fields or [],
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/console/risk/reviews/{application_id}")
def review_page(
    application_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """An application with its decisions, the features read and (when referred) the form."""
    return _review_page(request, session, principal, views.application(session, application_id))


@router.post("/console/risk/reviews/{application_id}")
def review(
    application_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.APPLICATIONS_REVIEW)],
    decision: Annotated[str, Form(max_length=16)] = "",
    amount: Annotated[str, Form(max_length=24)] = "",
    collateral: Annotated[str, Form(max_length=24)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Decide a referred application: approve (priced at the automatic grade) or decline, with a
    note. The page then shows the decision and, for an approval, the offer with its APR."""
    app = views.application(session, application_id)
    lang = request_lang(request)
    form = {"decision": decision, "amount": amount, "collateral": collateral, "note": note}
    problems: list[FieldProblem] = []
    if decision not in ("approve", "decline"):
        problems.append(FieldProblem("decision", translate("risk.review.error.decision", lang)))
    amount_fen = optional_yuan(
        amount, "amount", problems, translate("risk.review.error.amount", lang)
    )
    collateral_fen = optional_yuan(
        collateral, "collateral", problems, translate("risk.review.error.amount", lang)
    )
    if not note.strip():
        problems.append(FieldProblem("note", translate("risk.review.error.note", lang)))
    if problems:
        return _review_page(
            request, session, principal, app, form=form,
            fields=[p.public() for p in problems], status_code=422,
        )  # fmt: skip
    try:  # maker-checker: above the reviewer's authority the approval waits for a checker
        outcome = reviews.decide_by_hand(
            session, application_id, approve=decision == "approve", note=note, now=clock(request),
            today=today_for(request), by_id=principal.staff_id, maker_role=principal.role.value,
            actor_label=f"user:{principal.username}", collateral_value_fen=collateral_fen,
            amount_fen=amount_fen,
        )  # fmt: skip
    except (ValidationError, ConflictError) as exc:
        session.rollback()
        field, key = _ERRORS.get(exc.code, ("", ""))
        message = translate(key, lang) if key else exc.message
        if exc.code == "review.no_offer":  # why, in the page's language (zh kept as a problem)
            why = exc.problems[0].message if lang == "zh" and exc.problems else exc.message
            message = f"{message} ({why})"
        status = 409 if isinstance(exc, ConflictError) else 422
        return _review_page(
            request, session, principal, views.application(session, application_id), form=form,
            fields=[{"field": field, "message": message}] if field else [],
            error=None if field else message, status_code=status,
        )  # fmt: skip
    if outcome.pending is not None:
        return RedirectResponse(
            f"/console/lending/applications/{application_id}?sent=checker", status_code=303
        )
    return RedirectResponse(f"/console/risk/reviews/{application_id}", status_code=303)
