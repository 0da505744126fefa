"""The campaign planning page (issue 6): the optimiser's constraints (budget, channel capacities,
segment minimums, product caps) with defaults, the plan it found (selected, cost, expected
incremental profit, method, gap to the LP bound, by channel / product / segment, the binding
constraints) or why none exists (beside the constraint that cannot be met), applying it with a
hold-out share, and the exported lists (the caller's customers who may be contacted now; masked,
clear only for ``lists:unmask``; audited).

Viewing needs ``marketing:read``; solving, applying and exporting ``campaigns:write``. Every
problem is shown in the page's language (``planning.problem.*``, ``planning.infeasible.*``,
``planning.conflict.*``); the request's session commits.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import SessionDep
from loanpilot.campaigns import exports, planning
from loanpilot.campaigns import planning_rules as rules
from loanpilot.campaigns import repository_planning as repo
from loanpilot.campaigns.api_planning import refuse_unmasked
from loanpilot.campaigns.models import CampaignPlan
from loanpilot.customers.api import crypto_of
from loanpilot.customers.repository import scope_clause
from loanpilot.kit.errors import ConflictError, FieldProblem, ValidationError
from loanpilot.web.auth import client_address, clock, require
from loanpilot.web.i18n import MESSAGES, Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=4000)]
FIELDS = ("budget_yuan", "channel_capacity", "segment_min", "product_cap",
          "branch_hours_per_contact", "method")  # fmt: skip
#: Form fields as the rules name them.
_FIELD_OF = {"budget": "budget_yuan"}


def problem_text(p: FieldProblem, lang: Lang) -> str:
    if isinstance(p, rules.Problem) and p.code:
        key = f"planning.problem.{p.code}"
        if key in MESSAGES:
            return translate(key, lang, **dict(p.params))
    return p.message


def localised(problems: list[FieldProblem], lang: Lang) -> list[dict[str, str]]:
    return [
        {"field": _FIELD_OF.get(p.field, p.field), "message": problem_text(p, lang)}
        for p in problems
    ]


def conflict_text(exc: ConflictError, lang: Lang) -> str:
    key = f"planning.conflict.{exc.code}"
    return translate(key, lang) if key in MESSAGES else exc.message


def explanation(
    plan: CampaignPlan | None, ctx: planning.PlanContext, lang: Lang
) -> dict[str, str] | None:
    """Why ``plan`` is infeasible, in ``lang``, with its field (segments and products by name)."""
    if plan is None or not plan.summary.get("infeasible"):
        return None
    why = plan.summary["infeasible"]
    params = dict(why.get("params") or {})
    kind = (why.get("constraint") or {}).get("kind")
    if "name" in params and kind == "segment_min":
        params["name"] = ctx.segment_names(lang).get(params["name"], params["name"])
    elif "name" in params and kind == "product_cap":
        named = {p.code: p.name_zh if lang == "zh" else p.name_en for p in ctx.products.values()}
        params["name"] = named.get(params["name"], params["name"])
    elif "name" in params and kind == "channel_capacity":
        pair = exports.CHANNEL_NAMES.get(params["name"])
        params["name"] = pair[0 if lang == "zh" else 1] if pair else params["name"]
    key = f"planning.infeasible.{why.get('code')}"
    text = translate(key, lang, **params) if key in MESSAGES else plan.infeasible_reason or ""
    return {
        "field": str(why.get("field") or "budget_yuan").replace("budget", "budget_yuan"),
        "text": text,
    }


def _defaults(ctx: planning.PlanContext) -> dict[str, str]:
    campaign = ctx.campaign
    budget = campaign.budget_fen if campaign and campaign.budget_fen else 10_000_000
    return {"budget_yuan": f"{budget / 100:.2f}".removesuffix(".00"), "channel_capacity": "",
            "segment_min": "", "product_cap": "", "method": "auto",
            "branch_hours_per_contact": str(rules.DEFAULT_BRANCH_HOURS_PER_CONTACT)}  # fmt: skip


def _form_of(plan: CampaignPlan) -> dict[str, str]:
    c = rules.PlanConstraints.from_json(plan.constraints)
    return {"budget_yuan": f"{c.budget_fen / 100:.2f}".removesuffix(".00"),
            "channel_capacity": rules.pairs_text(c.channel_capacity),
            "segment_min": rules.pairs_text(c.segment_min),
            "product_cap": rules.pairs_text(c.product_cap),
            "branch_hours_per_contact": str(c.branch_hours_per_contact),
            "method": "auto"}  # fmt: skip


def _page(
    request: Request, session: Session, principal: Principal, campaign_id: int, *,
    plan_id: int | None = None, form: dict[str, str] | None = None,
    fields: list[dict[str, str]] | None = None, error: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    lang = request_lang(request)
    ctx = planning.context(session, campaign_id)
    assert ctx.campaign is not None
    plans = repo.plans_of(session, campaign_id)
    plan = (
        next((p for p in plans if p.id == plan_id), None)
        if plan_id
        else (plans[0] if plans else None)
    )
    if plan_id and plan is None:
        plan = planning.get_plan(session, campaign_id, plan_id)
    why = explanation(plan, ctx, lang)
    summary = plan.summary if plan else {}
    product_names = {
        p.code: p.name_zh if lang == "zh" else p.name_en for p in ctx.products.values()
    }
    return render(request, "console/campaigns/plan.html", {
        "campaign": ctx.campaign, "ctx": ctx, "plans": plans, "plan": plan, "summary": summary,
        "form": form or (_form_of(plan) if plan else _defaults(ctx)), "fields": fields or [],
        "why": why, "error": error, "closed": planning.is_closed(ctx.campaign),
        "can_write": principal.can(Permission.CAMPAIGNS_WRITE),
        "can_unmask": principal.can(Permission.LISTS_UNMASK),
        "segment_names": ctx.segment_names(lang), "product_names": product_names,
        "channel_names": {k: v[0 if lang == "zh" else 1] for k, v in exports.CHANNEL_NAMES.items()},
        "groups": repo.group_counts(session, campaign_id),
        "holdout": f"{float(ctx.campaign.control_share):g}",
        "audiences": exports.AUDIENCES,
    }, status_code=status_code)  # fmt: skip


@router.get("/console/campaigns/{campaign_id:int}/plan")
def plan_page(
    campaign_id: int,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Permission.MARKETING_READ)],
    plan_id: Annotated[int | None, Query(alias="plan", ge=1, le=2**53)] = None,
) -> Response:
    """The campaign's plan: constraints, the latest (or ``?plan=``) result, apply and export."""
    return _page(request, session, principal, campaign_id, plan_id=plan_id)


@router.post("/console/campaigns/{campaign_id:int}/plan")
def solve(
    campaign_id: int, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.CAMPAIGNS_WRITE)],
    budget_yuan: Text = "", channel_capacity: Text = "", segment_min: Text = "",
    product_cap: Text = "", branch_hours_per_contact: Text = "", method: Text = "auto",
) -> Response:  # fmt: skip
    """Solve a plan; malformed constraints are shown beside their fields (422, nothing saved)."""
    form = {"budget_yuan": budget_yuan, "channel_capacity": channel_capacity,
            "segment_min": segment_min, "product_cap": product_cap,
            "branch_hours_per_contact": branch_hours_per_contact, "method": method}  # fmt: skip
    lang = request_lang(request)
    try:
        plan = planning.solve_plan(
            session, campaign_id=campaign_id, raw=form, now=clock(request),
            staff_id=principal.staff_id, method=method or "auto",
        )  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _page(request, session, principal, campaign_id, form=form,
                     fields=localised(exc.problems, lang), status_code=422)  # fmt: skip
    except ConflictError as exc:
        session.rollback()
        return _page(request, session, principal, campaign_id, form=form,
                     error=conflict_text(exc, lang), status_code=409)  # fmt: skip
    return RedirectResponse(
        f"{request.scope.get('root_path', '')}/console/campaigns/{campaign_id}/plan?plan={plan.id}",
        status_code=303,
    )


@router.post("/console/campaigns/{campaign_id:int}/plan/{plan_id:int}/apply")
def apply(
    campaign_id: int, plan_id: int, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.CAMPAIGNS_WRITE)],
    holdout: Annotated[str, Form(max_length=20)] = "",
    replace: Annotated[str, Form(max_length=8)] = "",
) -> Response:  # fmt: skip
    """Write the plan's list into the campaign's targets with the hold-out share asked."""
    lang = request_lang(request)
    try:
        share = rules.holdout_share_of(holdout) if holdout.strip() else None
        planning.apply_plan(
            session, campaign_id, plan_id, now=clock(request), holdout_share=share,
            replace=replace in ("1", "on", "true"), staff_id=principal.staff_id,
            actor_label=f"user:{principal.username}",
        )  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _page(request, session, principal, campaign_id, plan_id=plan_id,
                     fields=localised(exc.problems, lang), status_code=422)  # fmt: skip
    except ConflictError as exc:
        session.rollback()
        return _page(request, session, principal, campaign_id, plan_id=plan_id,
                     error=conflict_text(exc, lang), status_code=409)  # fmt: skip
    return RedirectResponse(
        f"{request.scope.get('root_path', '')}/console/campaigns/{campaign_id}/plan"
        f"?plan={plan_id}&applied=1",
        status_code=303,
    )


def _export(
    request: Request, session: Session, principal: Principal, campaign_id: int,
    fmt: str, audience: str, unmasked: bool,
) -> Response:  # fmt: skip
    chosen_for, chosen_fmt = exports.parse_request(audience, fmt)
    refuse_unmasked(request, principal, unmasked)
    file = exports.export_targets(
        session, campaign_id, audience=chosen_for, fmt=chosen_fmt, crypto=crypto_of(request),
        lang=request_lang(request), now=clock(request), scope=scope_clause(principal),
        unmasked=unmasked, may_unmask=principal.can(Permission.LISTS_UNMASK),
        staff_id=principal.staff_id, actor_label=f"user:{principal.username}",
        client_address=client_address(request),
    )  # fmt: skip
    return Response(file.content, media_type=file.media_type, headers={
        "Content-Disposition": exports.content_disposition(file.filename),
        "Cache-Control": "no-store", "X-Rows": str(file.rows),
    })  # fmt: skip


ForList = Annotated[str, Query(alias="for", max_length=16)]
Unmasked = Annotated[bool, Query()]


@router.get("/console/campaigns/{campaign_id:int}/export.csv")
def export_csv(
    campaign_id: int, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.CAMPAIGNS_WRITE)],
    audience: ForList = "call_center", unmasked: Unmasked = False,
) -> Response:  # fmt: skip
    """The campaign's list for the call centre or the branches as CSV (masked by default)."""
    return _export(request, session, principal, campaign_id, "csv", audience, unmasked)


@router.get("/console/campaigns/{campaign_id:int}/export.xlsx")
def export_xlsx(
    campaign_id: int, request: Request, session: SessionDep,
    principal: Annotated[Principal, require(Permission.CAMPAIGNS_WRITE)],
    audience: ForList = "call_center", unmasked: Unmasked = False,
) -> Response:  # fmt: skip
    """The same list as an Excel workbook (the branch list: one sheet per branch)."""
    return _export(request, session, principal, campaign_id, "xlsx", audience, unmasked)
