"""The applicant portal at ``/``: products by line, a product's page, the loan calculator, the
application form and progress tracking. Public pages: no staff login; forms carry the anonymous
CSRF token (double-submit cookie) and are rate-limited per address by ``web.security``."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse

from loanpilot.app import SessionDep, today_for
from loanpilot.channels import attribution
from loanpilot.channels import portal_service as portal
from loanpilot.config import Environment, Settings
from loanpilot.customers.models import Occupation
from loanpilot.kit.errors import DomainError, FieldProblem, NotFoundError, ValidationError
from loanpilot.kit.money import yuan_to_fen
from loanpilot.lending.rules import ApplicationForm, ApplicationInvalidError
from loanpilot.lending.service import branch_choices, find_progress, submit_application
from loanpilot.products.models import LoanProduct
from loanpilot.web.auth import (
    anon_csrf,
    client_address,
    clock,
    set_anon_csrf_cookie,
    verify_anon_csrf,
)
from loanpilot.web.i18n import translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=200)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _landing(request: Request, response: HTMLResponse) -> HTMLResponse:
    """Keep the visit's UTM tags in the short-lived cookie when the URL carries any
    (``channels.attribution``)."""
    tags, fresh = _tags(request)
    if fresh:
        production = _settings(request).environment is Environment.PRODUCTION
        attribution.remember(response, tags, secure=production)
    return response


def _tags(request: Request) -> tuple[attribution.UtmTags, bool]:
    return attribution.landing_tags(
        request.query_params, request.cookies.get(attribution.UTM_COOKIE)
    )


def _problems(request: Request, exc: DomainError) -> list[dict[str, Any]]:
    """Field problems in the visitor's language (codes of the application rules translated)."""
    lang = request_lang(request)
    if isinstance(exc, ApplicationInvalidError):
        return [
            {
                "field": issue.field,
                "message": translate(f"portal.problem.{issue.code}", lang, **issue.params),
            }
            for issue in exc.issues
        ]
    return [p.public() for p in exc.problems]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep) -> HTMLResponse:
    """Active products by line, each with its "from" rate and APR side by side."""
    lines = portal.catalogue(session, today_for(request))
    return _landing(request, render(request, "portal/home.html", {"lines": lines}))


@router.get("/products/{code}", response_class=HTMLResponse)
def product_page(request: Request, session: SessionDep, code: str) -> HTMLResponse:
    product = portal.active_product(session, code)
    card = portal.card(session, product, today_for(request))
    return _landing(
        request, render(request, "portal/product.html", {"card": card, "product": product})
    )


@router.get("/calculator", response_class=HTMLResponse)
def calculator_page(
    request: Request,
    session: SessionDep,
    product: Annotated[str | None, Query(max_length=32)] = None,
    amount_yuan: Annotated[str | None, Query(max_length=24)] = None,
    term_months: Annotated[str | None, Query(max_length=6)] = None,
    method: Annotated[str | None, Query(max_length=24)] = None,
) -> HTMLResponse:
    """Every repayment method compared; a plain GET form (works without JavaScript)."""
    today = today_for(request)
    products = portal.calculable_products(session)
    chosen: LoanProduct | None = None
    if product:
        chosen = portal.active_product(session, product)
    elif products:
        chosen = products[0]
    values = {"product": chosen.code if chosen else "", "amount_yuan": amount_yuan or "",
              "term_months": term_months or "", "method": method or ""}  # fmt: skip
    calc = None
    fields: list[dict[str, Any]] = []
    status = 200
    if chosen is not None:
        example = portal.example_for(chosen)
        problems: list[FieldProblem] = []
        amount = example.amount_fen
        if amount_yuan:
            try:
                amount = yuan_to_fen(amount_yuan.replace(",", "").strip())
            except ValidationError:
                problems.append(FieldProblem("amount_yuan", "not_number"))
        term = example.term_months
        if term_months:
            if term_months.strip().isascii() and term_months.strip().isdigit():
                term = int(term_months)
            else:
                problems.append(FieldProblem("term_months", "not_number"))
        values["amount_yuan"] = values["amount_yuan"] or f"{amount / 100:.2f}"
        values["term_months"] = values["term_months"] or str(term)
        try:
            if problems:
                raise ValidationError("calculator.invalid", "", problems)
            calc = portal.calculate(
                session, chosen, amount_fen=amount, term_months=term, method=method, on=today
            )
            values["method"] = calc.selected.value
        except ValidationError as exc:
            status = 422
            fields = _calculator_problems(request, chosen, exc)
    return render(
        request,
        "portal/calculator.html",
        {"products": products, "chosen": chosen, "calc": calc, "values": values, "fields": fields},
        status_code=status,
    )


def _calculator_problems(
    request: Request, product: LoanProduct, exc: ValidationError
) -> list[dict[str, Any]]:
    """Quote problems in the visitor's language, under the calculator's field names."""
    lang = request_lang(request)
    bounds = {
        "amount": ("portal.problem.amount_range", "amount_yuan", {
            "min": f"{product.min_amount_fen // 100:,}", "max": f"{product.max_amount_fen // 100:,}"
        }),
        "term_months": ("portal.problem.term_range", "term_months", {
            "min": str(product.min_term_months), "max": str(product.max_term_months)
        }),
    }  # fmt: skip
    out: list[dict[str, Any]] = []
    for p in exc.problems:
        if p.message == "not_number":
            out.append({"field": p.field, "message": translate("portal.problem.number", lang)})
        elif p.field in bounds:
            key, name, params = bounds[p.field]
            out.append({"field": name, "message": translate(key, lang, **params)})
        else:
            out.append({"field": p.field, "message": p.message})
    return out


def _apply_context(request: Request, session: SessionDep, product: LoanProduct) -> dict[str, Any]:
    return {
        "product": product,
        "card": portal.card(session, product, today_for(request)),
        "occupations": [o.value for o in Occupation],
        "branches": branch_choices(session),
    }


@router.get("/apply/{code}", response_class=HTMLResponse)
def apply_form(request: Request, session: SessionDep, code: str) -> HTMLResponse:
    """The application form, with a fresh idempotency key."""
    product = portal.active_product(session, code)
    anon_csrf(request)
    context = _apply_context(request, session, product)
    context.update(
        values={"term_months": str(portal.example_for(product).term_months), "method": ""},
        fields=[],
        idempotency_key=secrets.token_urlsafe(24),
        utm=_tags(request)[0].as_dict(),
    )
    response = render(request, "portal/apply.html", context)
    set_anon_csrf_cookie(request, response)
    return _landing(request, response)


@router.post("/apply/{code}", response_class=HTMLResponse, dependencies=[Depends(verify_anon_csrf)])
def apply_submit(
    request: Request,
    session: SessionDep,
    code: str,
    idempotency_key: FormText = "",
    name: FormText = "",
    id_number: FormText = "",
    phone: FormText = "",
    amount_yuan: FormText = "",
    term_months: FormText = "",
    method: FormText = "",
    purpose: FormText = "",
    monthly_income_yuan: FormText = "",
    occupation: FormText = "",
    branch_id: FormText = "",
    consent_data: FormText = "",
    consent_marketing: FormText = "",
    utm_source: FormText = "",
    utm_medium: FormText = "",
    utm_campaign: FormText = "",
    utm_content: FormText = "",
    utm_term: FormText = "",
) -> HTMLResponse:
    product = portal.active_product(session, code)
    utm = attribution.parse_tags({
        "utm_source": utm_source, "utm_medium": utm_medium, "utm_campaign": utm_campaign,
        "utm_content": utm_content, "utm_term": utm_term,
    })  # fmt: skip
    if not utm.any():
        utm = attribution.decode_cookie(request.cookies.get(attribution.UTM_COOKIE))
    form = ApplicationForm(
        name=name,
        id_number=id_number,
        phone=phone,
        amount_yuan=amount_yuan,
        term_months=term_months,
        method=method,
        purpose=purpose,
        monthly_income_yuan=monthly_income_yuan,
        occupation=occupation,
        branch_id=branch_id,
        consent_data=consent_data == "yes",
        consent_marketing=consent_marketing == "yes",
    )
    try:
        done = submit_application(
            session,
            portal.field_cipher(_settings(request)),
            product,
            form,
            idempotency_key,
            now=clock(request),
            today=today_for(request),
            client_address=client_address(request),
        )
    except ValidationError as exc:
        context = _apply_context(request, session, product)
        values = {
            "name": name, "phone": phone, "amount_yuan": amount_yuan, "term_months": term_months,
            "method": method, "purpose": purpose, "monthly_income_yuan": monthly_income_yuan,
            "occupation": occupation, "branch_id": branch_id,
            "consent_data": form.consent_data, "consent_marketing": form.consent_marketing,
        }  # fmt: skip  # the ID number is never sent back
        context.update(
            values=values,
            fields=_problems(request, exc),
            idempotency_key=idempotency_key or secrets.token_urlsafe(24),
            utm=utm.as_dict(),
        )
        return render(request, "portal/apply.html", context, status_code=422)
    if not done.replayed:
        attribution.attach_lead(
            session, done.application, utm, now=clock(request), today=today_for(request)
        )
    decision = portal.decide_submitted(session, done, now=clock(request), today=today_for(request))
    return render(
        request, "portal/applied.html", {"product": product, "done": done, "decision": decision}
    )


@router.get("/progress", response_class=HTMLResponse)
def progress_form(request: Request) -> HTMLResponse:
    anon_csrf(request)
    response = render(
        request, "portal/progress.html", {"values": {}, "progress": None, "missing": False}
    )
    set_anon_csrf_cookie(request, response)
    return response


@router.post("/progress", response_class=HTMLResponse, dependencies=[Depends(verify_anon_csrf)])
def progress_query(
    request: Request,
    session: SessionDep,
    application_no: FormText = "",
    id_last_four: FormText = "",
    query_code: FormText = "",
) -> HTMLResponse:
    try:
        found = find_progress(
            session,
            portal.field_cipher(_settings(request)),
            application_no,
            id_last_four,
            query_code,
        )
    except NotFoundError:
        return render(
            request,
            "portal/progress.html",
            {"values": {"application_no": application_no}, "progress": None, "missing": True},
            status_code=404,
        )
    product = portal.product_by_id(session, found.product_id)
    decision = portal.decision_of(session, found.application_id, today_for(request))
    return render(
        request,
        "portal/progress.html",
        {
            "values": {},
            "progress": found,
            "product": product,
            "missing": False,
            "decision": decision,
        },
    )
