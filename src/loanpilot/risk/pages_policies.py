"""Console pages of the credit policy: its versions, one version (a draft can be activated), and
the editor that drafts a new version from a form prefilled with the active one.

The form carries every field of the policy body (``risk.policy_store``): the hard rules, the score
cut-offs, the spread and income months of each grade, and per product code the occupations it lends
to (a comma list; empty: any) and the collateral it requires. The minimum income is entered in yuan;
ratios and spreads as fractions (``0.60`` is 60 %). Every problem of the draft, the contradictions
``risk.rules.policy_problems`` finds included, is shown beside its field and nothing is created.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep
from loanpilot.customers.models import Occupation
from loanpilot.kit.errors import ConflictError, FieldProblem, ValidationError
from loanpilot.products.models import CollateralKind
from loanpilot.products.service import list_products
from loanpilot.risk import policy_store, views
from loanpilot.risk.models import CreditPolicy, PolicyStatus
from loanpilot.team.repository import staff_names
from loanpilot.web.auth import clock, require
from loanpilot.web.i18n import Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)

HARD_INTS = ("min_age", "max_age", "max_age_at_maturity")
HARD_FLAGS = ("decline_current_delinquency", "decline_blacklisted")
INCOME_FIELD = "hard.min_monthly_income_yuan"
#: The largest limit a grade may have, in months of income (the API's bound too).
MAX_INCOME_MONTHS = 600
_OCC = "hard.occupations."
_COLL = "hard.collateral."
_SPREAD = "pricing.spread_by_grade."
_MONTHS = "pricing.income_months_by_grade."

#: English problem texts of ``policy_store`` / ``rules.policy_problems`` -> message key.
_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"^must be a whole number; got (?P<value>.*)$", "risk.problem.whole_number"),
        (r"^must be a whole number >= 0; got (?P<value>.*)$", "risk.problem.whole_number"),
        (r"^must be a (?:decimal|finite) number; got (?P<value>.*)$", "risk.problem.decimal"),
        (r"^must be true or false; got .*$", "risk.problem.flag"),
        (r"^must be positive and at most max_age$", "risk.problem.min_age"),
        (r"^must be at least max_age at application$", "risk.problem.max_age_at_maturity"),
        (r"^must not be negative$", "risk.problem.negative"),
        (r"^must be above 0 and at most 1 \(100 %\)$", "risk.problem.max_dti"),
        (
            r"^decline_below \((?P<decline>-?\d+)\) is above approve_from \((?P<approve>-?\d+)\)"
            r": the bands overlap$",
            "risk.problem.cutoffs",
        ),
        (r"^an empty list would refuse everyone$", "risk.problem.empty_list"),
        (r"^must be a list of occupations; got .*$", "risk.problem.not_a_list"),
        (r"^must be between 0 and 0\.24$", "risk.problem.spread"),
        (r"^must list at least one grade$", "risk.problem.no_grade"),
        (
            r"^spread_by_grade and income_months_by_grade must list the same grades",
            "risk.problem.grades",
        ),
        (r"^must be 1 to 64 characters$", "risk.problem.version_length"),
        (r"^unknown occupations (?P<names>.*)$", "risk.problem.occupations"),
        (r"^unknown collateral kind (?P<kind>.*)$", "risk.problem.collateral"),
        (r"^no champion model named (?P<name>.*)$", "risk.problem.no_champion"),
        (r"^must be at most (?P<max>\d+)$", "risk.problem.at_most"),
        (r"^(?P<version>.+) already exists; choose a new version$", "risk.problem.version_taken"),
    )
)


def localised(problems: list[FieldProblem], lang: Lang) -> list[dict[str, Any]]:
    """Problems for the editor: each in ``lang`` where the text is known, and the income problem
    on the yuan field the form shows."""
    out = []
    for problem in problems:
        item = problem.public()
        if item["field"] == "hard.min_monthly_income_fen":
            item["field"] = INCOME_FIELD
        for pattern, key in _PROBLEMS:
            found = pattern.match(problem.message)
            if found:
                item["message"] = translate(key, lang, **found.groupdict())
                break
        out.append(item)
    return out


# --- the body as a form, and back ----------------------------------------------------------------


def _yuan_text(fen: Any) -> str:
    try:
        value = Decimal(str(fen)) / 100
    except InvalidOperation:
        return str(fen)
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:.2f}"


def form_of(body: dict[str, Any]) -> dict[str, str]:
    """The editor's fields filled from a policy body."""
    hard, cut, pricing = body.get("hard", {}), body.get("cutoffs", {}), body.get("pricing", {})
    form = {f"hard.{k}": str(hard.get(k, "")) for k in HARD_INTS}
    form |= {f"hard.{k}": "1" if hard.get(k) else "" for k in HARD_FLAGS}
    form[INCOME_FIELD] = _yuan_text(hard.get("min_monthly_income_fen", 0))
    form["hard.max_dti"] = str(hard.get("max_dti", ""))
    form |= {_OCC + c: ", ".join(v) for c, v in (hard.get("occupations") or {}).items()}
    form |= {_COLL + c: str(v) for c, v in (hard.get("collateral") or {}).items()}
    form["cutoffs.approve_from"] = str(cut.get("approve_from", ""))
    form["cutoffs.decline_below"] = str(cut.get("decline_below", ""))
    form |= {_SPREAD + g: str(v) for g, v in (pricing.get("spread_by_grade") or {}).items()}
    form |= {_MONTHS + g: str(v) for g, v in (pricing.get("income_months_by_grade") or {}).items()}
    form["model"] = str(body.get("model") or policy_store.APPLICATION_MODEL)
    return form


def _fen(text: str) -> int | str:
    """Yuan text to fen; the text itself when it is no amount (the policy check says why)."""
    try:
        value = Decimal(text.replace(",", "").strip()) * 100
        if not value.is_finite() or value != value.to_integral_value() or abs(value) > 10**13:
            return text  # beyond 100 billion yuan: no amount (the API's bound too)
    except ArithmeticError:  # InvalidOperation, Overflow ("1e999999")
        return text
    return int(value)


def _whole(text: str) -> int | str:
    try:
        return int(text.strip())
    except ValueError:
        return text


def body_of(form: dict[str, str]) -> dict[str, Any]:
    """The policy body a submitted form describes (``policy_store.parse_body`` checks it)."""
    occupations = {
        key[len(_OCC) :]: [o.strip() for o in value.replace("，", ",").split(",") if o.strip()]
        for key, value in form.items()
        if key.startswith(_OCC) and value.strip()
    }
    collateral = {
        key[len(_COLL) :]: value.strip()
        for key, value in form.items()
        if key.startswith(_COLL) and value.strip()
    }
    return {
        "hard": {
            **{k: form.get(f"hard.{k}", "") for k in HARD_INTS},
            "min_monthly_income_fen": _fen(form.get(INCOME_FIELD, "")),
            "max_dti": form.get("hard.max_dti", ""),
            **{k: bool(form.get(f"hard.{k}")) for k in HARD_FLAGS},
            "occupations": occupations,
            "collateral": collateral,
        },
        "cutoffs": {
            "approve_from": form.get("cutoffs.approve_from", ""),
            "decline_below": form.get("cutoffs.decline_below", ""),
        },
        "pricing": {
            "spread_by_grade": {
                key[len(_SPREAD) :]: value for key, value in form.items() if key.startswith(_SPREAD)
            },
            "income_months_by_grade": {
                key[len(_MONTHS) :]: _whole(value)
                for key, value in form.items()
                if key.startswith(_MONTHS)
            },
        },
        "model": form.get("model", "").strip() or policy_store.APPLICATION_MODEL,
    }


def value_problems(body: dict[str, Any]) -> list[FieldProblem]:
    """Occupations and collateral kinds the bank does not know (each would silently match no
    applicant), and a limit of more than ``MAX_INCOME_MONTHS`` months of income."""
    known_occ = {o.value for o in Occupation}
    known_coll = {k.value for k in CollateralKind}
    problems = [
        FieldProblem(_OCC + code, f"unknown occupations {sorted(set(names) - known_occ)}")
        for code, names in body["hard"]["occupations"].items()
        if set(names) - known_occ
    ]
    problems += [
        FieldProblem(_COLL + code, f"unknown collateral kind {kind!r}")
        for code, kind in body["hard"]["collateral"].items()
        if kind not in known_coll
    ]
    problems += [
        FieldProblem(_MONTHS + grade, f"must be at most {MAX_INCOME_MONTHS}")
        for grade, months in body["pricing"]["income_months_by_grade"].items()
        if isinstance(months, int) and months > MAX_INCOME_MONTHS
    ]
    return problems


def _grades(form: dict[str, str]) -> list[str]:
    seen: dict[str, None] = {}
    for key in form:
        for prefix in (_SPREAD, _MONTHS):
            if key.startswith(prefix):
                seen.setdefault(key[len(prefix) :])
    return list(seen)


def _suggested_version(session: Session) -> str:
    active = policy_store.active_row(session)
    found = re.fullmatch(r"(\d{4})\.(\d+)", active.version) if active else None
    if not found:
        return ""
    taken = {row.version for row in policy_store.policies(session)}
    n = int(found.group(2)) + 1
    while f"{found.group(1)}.{n}" in taken:
        n += 1
    return f"{found.group(1)}.{n}"


# --- pages ---------------------------------------------------------------------------------------


@router.get("/console/risk/policies")
def policies_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """Every version of the credit policy, newest first, with its status."""
    rows = policy_store.policies(session)
    ids = [i for r in rows for i in (r.created_by_id, r.activated_by_id) if i]
    return render(
        request,
        "console/risk/policies.html",
        {
            "policies": rows,
            "names": staff_names(session, ids),
            "can_write": principal.can(Permission.POLICY_WRITE),
        },
    )


def _editor(
    request: Request,
    session: Session,
    form: dict[str, str],
    *,
    fields: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:
    products = list_products(session, active_only=False)
    codes = [p.code for p in products]
    extra = {
        key[len(prefix) :]
        for key in form
        for prefix in (_OCC, _COLL)
        if key.startswith(prefix) and key[len(prefix) :] not in codes
    }
    active = policy_store.active_row(session)
    return render(
        request,
        "console/risk/policy_edit.html",
        {
            "form": form,
            "fields": fields or [],
            "products": products,
            "extra_codes": sorted(extra),
            "grades": _grades(form),
            "occupations": [o.value for o in Occupation],
            "collateral_kinds": [k.value for k in CollateralKind if k is not CollateralKind.NONE],
            "active": active,
        },
        status_code=status_code,
    )


@router.get("/console/risk/policies/new")
def new_policy_form(
    request: Request,
    session: SessionDep,
    _principal: Annotated[Principal, require(Permission.POLICY_WRITE)],
) -> Response:
    """The editor, prefilled from the active version (or the default policy)."""
    active = policy_store.active_row(session)
    body = active.body if active is not None else policy_store.DEFAULT_BODY
    form = form_of(body) | {"version": _suggested_version(session), "note": ""}
    return _editor(request, session, form)


@router.post("/console/risk/policies/new")
async def create_policy(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.POLICY_WRITE)],
) -> Response:
    """Draft a new version; every problem is shown beside its field (422, nothing created)."""
    submitted = await request.form()
    form = {
        str(key): value
        for key, value in submitted.multi_items()
        if isinstance(value, str) and key != "csrf_token"
    }
    lang = request_lang(request)

    body = body_of(form)

    def save() -> Response:
        known = value_problems(body) + views.policy_model_problems(session, body)
        try:
            if known:  # report them with every other problem of the body, create nothing
                _, more = policy_store.parse_body(form.get("version", "").strip() or "?", body)
                raise ValidationError("policy.invalid", "The policy is not usable", known + more)
            row = policy_store.create_draft(
                session, version=form.get("version", ""), body=body,
                note=form.get("note"), by_id=principal.staff_id,
                actor_label=f"user:{principal.username}", now=clock(request),
            )  # fmt: skip
        except ValidationError as exc:
            session.rollback()
            return _editor(
                request, session, form, fields=localised(exc.problems, lang), status_code=422
            )
        return RedirectResponse(f"/console/risk/policies/{row.id}", status_code=303)

    return await run_in_threadpool(save)


def _policy_page(
    request: Request,
    session: Session,
    principal: Principal,
    row: CreditPolicy,
    *,
    error: str | None = None,
    error_code: str | None = None,
    status_code: int = 200,
) -> Response:
    products = {p.code: p for p in list_products(session, active_only=False)}
    ids = [i for i in (row.created_by_id, row.activated_by_id) if i]
    return render(
        request,
        "console/risk/policy.html",
        {
            "policy": row,
            "body": row.body,
            "products": products,
            "names": staff_names(session, ids),
            "can_activate": principal.can(Permission.POLICY_WRITE)
            and row.status is PolicyStatus.DRAFT,
            "error": error,
            "error_code": error_code,
        },
        status_code=status_code,
    )


@router.get("/console/risk/policies/{policy_id}")
def policy_page(
    policy_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.RISK_READ)],
) -> Response:
    """One version: every rule, cut-off and price, and for a draft the activate button."""
    return _policy_page(request, session, principal, policy_store.get_policy(session, policy_id))


@router.post("/console/risk/policies/{policy_id}/activate")
def activate_policy(
    policy_id: EntityId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.POLICY_WRITE)],
) -> Response:
    """Make a draft the active policy (the previous active version is retired, both audited)."""
    try:
        policy_store.activate(
            session, policy_id, by_id=principal.staff_id,
            actor_label=f"user:{principal.username}", now=clock(request),
        )  # fmt: skip
    except (ConflictError, ValidationError) as exc:
        session.rollback()
        status = 409 if isinstance(exc, ConflictError) else 422
        row = policy_store.get_policy(session, policy_id)
        return _policy_page(
            request, session, principal, row, error=exc.message, error_code=exc.code,
            status_code=status,
        )  # fmt: skip
    return RedirectResponse(f"/console/risk/policies/{policy_id}", status_code=303)
