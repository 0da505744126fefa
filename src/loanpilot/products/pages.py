"""Console pages of products: the catalogue, a product with its sample schedule, and the edit form."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import SessionDep, today_for
from loanpilot.kit.errors import FieldProblem, NotFoundError, ValidationError
from loanpilot.products import rules, service
from loanpilot.products.models import (
    LoanProduct,
    ProductStatus,
    ProductSubtype,
    ProductType,
    RepaymentMethod,
)
from loanpilot.web.auth import client_address, clock, require
from loanpilot.web.i18n import MESSAGES, Lang, format_yuan, translate
from loanpilot.web.render import format_rate, render, request_lang

#: A product id in the path (bounded: larger numbers are no id).
ProductId = Annotated[int, Path(ge=1, le=2**53)]

router = APIRouter(include_in_schema=False)

_HUNDRED = Decimal(100)


#: English problem text of ``products.rules`` → the message key of its translation.
_PROBLEM_KEYS: dict[str, str] = {
    entry["en"]: key for key, entry in MESSAGES.items() if key.startswith("products.problem.")
}


def localised(problems: list[FieldProblem], lang: Lang) -> list[dict[str, Any]]:
    """Problems for a page: each rule's message in ``lang`` (others as given)."""
    shown = []
    for problem in problems:
        item = problem.public()
        key = _PROBLEM_KEYS.get(problem.message)
        if key is not None:
            item["message"] = translate(key, lang)
        shown.append(item)
    return shown


def _enum_or_none(enum: Any, value: str | None) -> Any:
    if value and value in enum._value2member_map_:
        return enum(value)
    return None


@router.get("/console/products")
def catalogue(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.PRODUCTS_READ)],
    product_type: Annotated[str | None, Query(alias="type", max_length=32)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    sort: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """The catalogue by product line, with today's rate range and APR range."""
    on = today_for(request)
    chosen_type = _enum_or_none(ProductType, product_type)
    chosen_status = _enum_or_none(ProductStatus, status)
    result = service.catalogue_page(
        session,
        on,
        page=page,
        size=100,
        sort=sort,
        product_type=chosen_type,
        status=chosen_status,
    )
    return render(
        request,
        "console/products/list.html",
        {
            "page": result,
            "on": on,
            "types": [t.value for t in ProductType],
            "statuses": [s.value for s in ProductStatus],
            "chosen_type": chosen_type.value if chosen_type else "",
            "chosen_status": chosen_status.value if chosen_status else "",
            "eligibility": {
                e.product.id: eligibility_lines(e.product.eligibility, request_lang(request))
                for e in result.rows
            },
        },
    )


def _detail(
    request: Request,
    session: Session,
    product: LoanProduct,
    *,
    amount: str | None,
    term: int | None,
    method: str | None,
) -> Response:
    on = today_for(request)
    price = service.price_of(session, product, on)
    parts = service.components_of(session, product)
    quote = None
    problems: list[dict[str, Any]] = []
    if product.subtype is not ProductSubtype.COMBINATION:
        amount_fen: int | None = None
        if amount:
            try:
                amount_fen = rules.parse_yuan(amount)
            except ValueError as exc:
                problems.append(FieldProblem("amount", str(exc)).public())
        if not problems:
            try:
                quote = service.sample_quote(
                    session, product, on=on, amount_fen=amount_fen, term_months=term, method=method
                )
            except ValidationError as exc:
                problems = [p.public() for p in exc.problems]
            except NotFoundError as exc:  # no basis rate in force yet
                problems = [FieldProblem("rate", exc.message).public()]
    parts_priced = [(part, service.price_of(session, part, on)) for part in parts]
    sample_amount, sample_term, sample_method = service.sample_loan(product)
    return render(
        request,
        "console/products/detail.html",
        {
            "product": product,
            "price": price,
            "on": on,
            "quote": quote,
            "fields": problems,
            "parts": parts_priced,
            "form_amount": amount or f"{Decimal(sample_amount) / _HUNDRED:f}",
            "form_term": term or sample_term,
            "form_method": method or (sample_method.value if sample_method else ""),
            "eligibility": eligibility_lines(product.eligibility, request_lang(request)),
        },
        status_code=422 if problems else 200,
    )


@router.get("/console/products/{product_id}")
def detail(
    product_id: ProductId,
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.PRODUCTS_READ)],
    amount: Annotated[str | None, Query(max_length=20)] = None,
    term: Annotated[int | None, Query(ge=1, le=600)] = None,
    method: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """Every field of a product, its eligibility, and a sample schedule (组合贷: its parts)."""
    product = service.get_product(session, product_id)
    return _detail(request, session, product, amount=amount, term=term, method=method)


# --- editing -------------------------------------------------------------------------------------


def _percent_text(value: Decimal) -> str:
    text = f"{(Decimal(value) * _HUNDRED).normalize():f}"
    return "0" if text in ("-0", "0") else text


def _yuan_text(fen: int) -> str:
    whole, cents = divmod(fen, 100)
    return f"{whole}" if cents == 0 else f"{whole}.{cents:02d}"


def _form_of(product: LoanProduct) -> dict[str, str]:
    return {
        "name_zh": product.name_zh,
        "name_en": product.name_en,
        "status": product.status.value,
        "min_amount_fen": _yuan_text(product.min_amount_fen),
        "max_amount_fen": _yuan_text(product.max_amount_fen),
        "min_term_months": str(product.min_term_months),
        "max_term_months": str(product.max_term_months),
        "min_spread": _percent_text(product.min_spread),
        "max_spread": _percent_text(product.max_spread),
        "monthly_fee_rate": _percent_text(product.monthly_fee_rate),
        "upfront_fee_rate": _percent_text(product.upfront_fee_rate),
        "description_zh": product.description_zh or "",
        "description_en": product.description_en or "",
    }


def _edit_page(
    request: Request,
    product: LoanProduct,
    form: dict[str, str],
    methods: list[str],
    problems: list[dict[str, Any]],
    status: int = 200,
) -> Response:
    return render(
        request,
        "console/products/edit.html",
        {
            "product": product,
            "form": form,
            "checked": methods,
            "fields": problems,
            "statuses": [s.value for s in ProductStatus],
            "methods": [m.value for m in RepaymentMethod],
        },
        status_code=status,
    )


@router.get("/console/products/{product_id}/edit")
def edit_form(
    product_id: ProductId,
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.PRODUCTS_WRITE)],
) -> Response:
    product = service.get_product(session, product_id)
    return _edit_page(request, product, _form_of(product), list(product.repayment_methods), [])


@router.post("/console/products/{product_id}/edit")
async def edit(
    product_id: ProductId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.PRODUCTS_WRITE)],
) -> Response:
    """Save the form, or show it again with every problem next to its field (422, nothing saved)."""
    submitted = await request.form()
    form = {
        key: value
        for key in rules.EDITABLE
        if key != "repayment_methods" and isinstance(value := submitted.get(key, ""), str)
    }
    methods = [m for m in submitted.getlist("repayment_methods") if isinstance(m, str)]
    updates, invalid = rules.parse_form(form, methods)

    def save() -> Response | None:  # database work off the event loop
        try:
            service.update_product(
                session,
                product_id,
                updates,
                invalid=invalid,
                actor_staff_id=principal.staff_id,
                actor_label=f"user:{principal.username}",
                client_address=client_address(request),
                at=clock(request),
            )
        except ValidationError as exc:
            product = service.get_product(session, product_id)
            shown = localised(exc.problems, request_lang(request))
            return _edit_page(request, product, form, methods, shown, status=422)
        return None

    refused = await run_in_threadpool(save)
    if refused is not None:
        return refused
    return RedirectResponse(f"/console/products/{product_id}", status_code=303)


# --- eligibility, in words -----------------------------------------------------------------------

_AGE_KEYS = ("min_age", "max_age", "max_age_at_maturity")


def eligibility_lines(eligibility: dict[str, Any] | None, lang: Lang) -> list[str]:
    """The eligibility conditions of a product as sentences in ``lang`` (unknown keys as-is)."""
    lines: list[str] = []
    for key, value in sorted((eligibility or {}).items()):
        if key in _AGE_KEYS:
            lines.append(translate(f"products.elig.{key}", lang, value=value))
        elif key == "requires_provident_fund" and value is True:
            lines.append(translate("products.elig.requires_provident_fund", lang))
        elif key == "max_dti":
            lines.append(
                translate("products.elig.max_dti", lang, value=format_rate(Decimal(str(value)), 0))
            )
        elif key == "min_financial_assets_yuan" and isinstance(value, int | float):
            lines.append(
                translate(
                    "products.elig.min_financial_assets_yuan",
                    lang,
                    value=format_yuan(int(value) * 100, lang),
                )
            )
        elif key == "occupations" and isinstance(value, list):
            names = [
                translate(f"products.occupation.{o}", lang)
                if f"products.occupation.{o}" in MESSAGES
                else str(o)
                for o in value
            ]
            lines.append(
                translate(
                    "products.elig.occupations",
                    lang,
                    value=("、" if lang == "zh" else ", ").join(names),
                )
            )
        else:
            shown = (
                value
                if isinstance(value, str | int | float | bool)
                else json.dumps(value, ensure_ascii=False)
            )
            lines.append(translate("products.elig.other", lang, name=key, value=shown))
    return lines
