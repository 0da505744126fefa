"""Console pages of the stage SLAs (targets, the breaches of a period by stage and branch, a new
dated target) and of the service-quality reviews (list by staff / branch with averages, the review
form whose score is computed). Included in ``service.pages``'s router."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import SessionDep, today_for
from loanpilot.kit.errors import FieldProblem, ValidationError
from loanpilot.kit.periods import Period, parse_period
from loanpilot.products.models import ProductType
from loanpilot.service import analysis, quality, sla
from loanpilot.service import pages_forms as pf
from loanpilot.service import repository as repo
from loanpilot.service import repository_ops as repo_ops
from loanpilot.service import survey_rules as rules
from loanpilot.service.models import QualityReviewKind, SlaStage
from loanpilot.service.pages_common import actor_of, localised
from loanpilot.service.schemas import SlaWrite
from loanpilot.web.auth import clock, require
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Permission.SERVICE_READ)]
Writer = Annotated[Principal, require(Permission.SERVICE_WRITE)]
PeriodQuery = Annotated[str, Query(max_length=10)]
_REVIEW_ITEMS = (
    ("greeting", "迎宾与礼仪", 20),
    ("product_knowledge", "产品知识", 30),
    ("apr_disclosure", "年化利率（APR）明示", 30),
    ("privacy", "个人信息保护", 20),
)


def _period(text: str, request: Request) -> tuple[Period, list[dict[str, Any]]]:
    default = Period.containing(today_for(request), "quarter")
    if not text.strip():
        return default, []
    try:
        return parse_period(text), []
    except ValidationError as exc:
        return default, localised(exc.problems, request_lang(request))


# --- SLAs --------------------------------------------------------------------------------------------


def _sla_page(
    request: Request, session: Session, principal: Principal, period_text: str,
    form: dict[str, str] | None = None, form_fields: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    p, fields = _period(period_text, request)
    report = sla.measure(session, p, analysis.scope_of(principal))
    return render(request, "console/service/slas.html", {
        "period": p, "period_text": period_text or p.label, "fields": fields + (form_fields or []),
        "report": report, "targets": repo_ops.slas(session), "stages": [s.value for s in SlaStage],
        "product_types": [t.value for t in ProductType], "measured_stages": sla.MEASURED_STAGES,
        "form": form or {"stage": "application_to_decision", "product_type": "",
                         "target_hours": "", "valid_from": today_for(request).isoformat()},
        "can_write": principal.can(Permission.SERVICE_WRITE),
    }, status_code=status_code)  # fmt: skip


@router.get("/console/service/slas")
def slas_page(
    request: Request, session: SessionDep, principal: Reader, period: PeriodQuery = ""
) -> Response:
    return _sla_page(request, session, principal, period)


@router.post("/console/service/slas")
async def add_sla(request: Request, session: SessionDep, principal: Writer) -> Response:
    raw = await request.form()
    # each field cut to what ``SlaWrite`` holds, so an overlong value is a problem shown beside
    # its field (unknown stage or product type), never a 500 from the schema
    limits = {"stage": 40, "product_type": 20, "target_hours": 40, "valid_from": 40}
    form = {k: str(raw.get(k, ""))[:n] for k, n in limits.items()}
    problems: list[FieldProblem] = []
    try:
        hours = Decimal(form["target_hours"].strip())
        if not hours.is_finite() or abs(hours) >= 10**6:
            raise InvalidOperation
    except InvalidOperation:
        problems.append(rules.problem("target_hours", "target_positive"))
        hours = Decimal(0)
    try:
        valid_from = date.fromisoformat(form["valid_from"].strip())
    except ValueError:
        problems.append(rules.problem("valid_from", "required"))
        valid_from = today_for(request)
    try:
        if problems:
            raise ValidationError("sla.invalid", "The SLA target is not valid", problems)
        body = SlaWrite(stage=form["stage"], product_type=form["product_type"] or None,
                        target_hours=hours.quantize(Decimal("0.01")), valid_from=valid_from)  # fmt: skip
        sla.set_target(session, body, actor=actor_of(request, principal), now=clock(request))
    except ValidationError as exc:
        fields = localised(exc.problems, request_lang(request))
        return _sla_page(request, session, principal, "", form, fields, status_code=422)
    return RedirectResponse("/console/service/slas", status_code=303)


# --- quality reviews ---------------------------------------------------------------------------------


@router.get("/console/service/quality")
def quality_page(
    request: Request, session: SessionDep, principal: Reader, period: PeriodQuery = "",
    staff_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    branch_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
) -> Response:  # fmt: skip
    p, fields = _period(period, request)
    rows = repo_ops.reviews(session, analysis.scope_of(principal), start=p.start, end=p.end,
                        staff_id=staff_id, branch_id=branch_id)  # fmt: skip
    averages = quality.average_scores(session, p)
    names = {
        s.id: s.name
        for s in repo_ops.staff_in(
            session, sorted({r.staff_id for r in rows} | {r.reviewer_id for r in rows})
        )
    }
    per_staff = sorted({r.staff_id for r in rows}, key=lambda s: -averages.get(s, Decimal(0)))
    return render(request, "console/service/quality.html", {
        "period": p, "period_text": period or p.label, "fields": fields, "rows": rows,
        "names": names, "branches": repo.branch_names(session), "averages": averages,
        "per_staff": per_staff, "counts": {s: sum(1 for r in rows if r.staff_id == s) for s in per_staff},
        "can_write": principal.can(Permission.SERVICE_WRITE),
    })  # fmt: skip


def _review_form(
    request: Request, session: Session, principal: Principal, form: dict[str, Any],
    fields: list[dict[str, Any]] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    branches = quality.reviewable_branches(session, principal.staff_id)
    staff = [s for s in repo_ops.branch_staff(session, branches) if s.id != principal.staff_id]
    return render(request, "console/service/quality_form.html", {
        "form": form, "fields": fields or [], "staff": staff,
        "kinds": [k.value for k in QualityReviewKind], "branches": repo.branch_names(session),
    }, status_code=status_code)  # fmt: skip


@router.get("/console/service/quality/new")
def new_review_page(request: Request, session: SessionDep, principal: Writer) -> Response:
    form: dict[str, Any] = {
        "kind": "mystery_shopper", "staff_id": "", "reviewed_on": today_for(request).isoformat(),
        "comment": "",
        "items": [{"code": c, "label": label, "max_points": str(mx), "points": "", "note": ""}
                  for c, label, mx in _REVIEW_ITEMS]
        + [dict.fromkeys(pf.ITEM_FIELDS, "")],
    }  # fmt: skip
    return _review_form(request, session, principal, form)


@router.post("/console/service/quality")
async def create_review(request: Request, session: SessionDep, principal: Writer) -> Response:
    values = pf.review_values(await request.form())
    body, problems = pf.parse_review(values)
    lang = request_lang(request)
    if body is None:
        return _review_form(request, session, principal, values, localised(problems, lang), 422)
    try:
        quality.record_review(
            session, body, reviewer_id=principal.staff_id,
            actor=actor_of(request, principal), today=today_for(request), now=clock(request),
        )  # fmt: skip
    except ValidationError as exc:
        mapped = pf.remap(list(exc.problems), pf.item_rows(values), "items")
        return _review_form(request, session, principal, values, localised(mapped, lang), 422)
    return RedirectResponse(f"/console/service/quality?staff_id={body.staff_id}", status_code=303)
