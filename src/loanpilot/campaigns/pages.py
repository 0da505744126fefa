"""The campaign pages (营销活动, issue 6): the list with each campaign's budget burn (coloured from
80 % and 100 %) and alert badges, the plan form (goals, places, windows with "suggest windows for
this audience", arms, audience segments of the current segmentation runs, budget lines; every
problem beside its field, what was typed kept), and a campaign's overview with its audience, budget
lines planned vs spent, the expense form, the alerts to acknowledge and the status buttons.

Viewing needs ``marketing:read``; changing ``campaigns:write``. Problems are shown in the page's
language by their code (``campaigns.problem.<code>``); handlers are thin: the services change state
and audit, the request's session commits."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.campaigns import pages_forms as pf
from loanpilot.campaigns import repository as repo
from loanpilot.campaigns import rules, service, service_budget, window_rules
from loanpilot.campaigns.models import Campaign, CampaignStatus
from loanpilot.campaigns.schemas import ExpenseWrite
from loanpilot.kit.errors import ConflictError, FieldProblem, ValidationError
from loanpilot.team.repository import staff_names
from loanpilot.web.auth import client_address, clock, require
from loanpilot.web.i18n import MESSAGES, Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Permission.MARKETING_READ)]
Writer = Annotated[Principal, require(Permission.CAMPAIGNS_WRITE)]
Text = Annotated[str, Form(max_length=400)]


def _actor(request: Request, principal: Principal) -> service.Actor:
    return service.Actor(principal.staff_id, f"user:{principal.username}", client_address(request))


def problem_text(p: FieldProblem, lang: Lang) -> str:
    if isinstance(p, rules.Problem) and p.code and f"campaigns.problem.{p.code}" in MESSAGES:
        return translate(f"campaigns.problem.{p.code}", lang, **dict(p.params))
    return p.message


def localised(problems: Iterable[FieldProblem], lang: Lang) -> list[dict[str, Any]]:
    return [{"field": p.field, "message": problem_text(p, lang)} for p in problems]


def conflict_text(code: str, lang: Lang) -> str:
    key = f"campaigns.conflict.{code}"
    return translate(key if key in MESSAGES else "campaigns.conflict.other", lang)


# --- the list -------------------------------------------------------------------------------------


@router.get("/console/campaigns")
def campaigns_page(
    request: Request, session: SessionDep, principal: Reader,
    status: Annotated[str, Query(max_length=16)] = "",
) -> Response:  # fmt: skip
    """Every campaign, latest start first, with its budget burn and alert badges."""
    chosen = CampaignStatus(status) if status in CampaignStatus._value2member_map_ else None
    rows = repo.campaigns(session, chosen)
    budgets = {
        r.campaign.id: service_budget.make_budget(
            r.campaign.budget_fen, [r.planned_fen], r.spent_fen
        )
        for r in rows
    }
    return render(request, "console/campaigns/list.html", {
        "rows": rows, "budgets": budgets, "statuses": rules.STATUSES, "chosen": status,
        "can_write": principal.can(Permission.CAMPAIGNS_WRITE),
    })  # fmt: skip


# --- the plan form --------------------------------------------------------------------------------


def _choices(session: Session) -> dict[str, Any]:
    segments = repo.current_segments(session)
    return {
        "products": repo.products(session), "branches": repo.branches(session),
        "segments": segments, "channels": rules.CHANNELS, "metrics": rules.GOAL_METRICS,
        "kinds": rules.PLACE_KINDS, "categories": rules.BUDGET_CATEGORIES,
        "audiences": window_rules.AUDIENCES,
    }  # fmt: skip


def _form_page(
    request: Request, session: Session, campaign: Campaign | None, form: dict[str, Any],
    fields: list[dict[str, Any]] | None = None, notice: str | None = None, status_code: int = 200,
    extra_rows: int = 1,
) -> Response:  # fmt: skip
    rows = {part: pf.row_count(form, part, extra=extra_rows) for part in pf.ROWS}
    return render(request, "console/campaigns/form.html", {
        "campaign": campaign, "form": form, "fields": fields or [], "rows": rows, "notice": notice,
        **_choices(session),
    }, status_code=status_code)  # fmt: skip


@router.get("/console/campaigns/new")
def new_campaign_page(request: Request, session: SessionDep, _principal: Writer) -> Response:
    today = today_for(request)
    form = dict.fromkeys(pf.SCALARS, "") | {"channel": "sms", "control_share": "10",
                                          "starts_on": today.isoformat(), "segments": [],
                                          "suggest_for": []}  # fmt: skip
    return _form_page(request, session, None, form)


@router.get("/console/campaigns/{campaign_id:int}/edit")
def edit_campaign_page(
    campaign_id: EntityId, request: Request, session: SessionDep, _principal: Writer
) -> Response:
    c = service.get_campaign(session, campaign_id)
    if rules.is_closed(c.status.value):
        return RedirectResponse(f"/console/campaigns/{c.id}", status_code=303)
    return _form_page(
        request, session, c, pf.form_of_plan(service.current_plan(session, c), c.code)
    )


async def _submit(
    request: Request, session: Session, principal: Principal, campaign_id: int | None
) -> Response:
    submitted = await request.form()
    lists = {
        k: [v for v in submitted.getlist(k) if isinstance(v, str)]
        for k in ("segments", "suggest_for")
    }
    form = pf.form_of({k: v for k, v in submitted.items() if isinstance(v, str)}, lists)
    campaign = service.get_campaign(session, campaign_id) if campaign_id else None
    lang = request_lang(request)
    action = str(submitted.get("action", "save"))
    if action == "more":
        return _form_page(request, session, campaign, form, extra_rows=3)
    parsed = pf.parse(form)
    if action == "suggest":
        v = parsed.values
        drafts = [] if any(p.field in ("starts_on", "ends_on") for p in parsed.problems) else (
            service_budget.suggest_windows(session, v["segment_run_id"], v["segment_codes"],
                                           v["starts_on"], v["ends_on"], form["suggest_for"]))  # fmt: skip
        labels = {k: translate(f"campaigns.window.{k}", lang) for k in window_rules.LABELS}
        added = pf.add_windows(form, drafts, labels)
        notice = translate("campaigns.form.suggested", lang, count=added) if added else translate(
            "campaigns.form.suggested_none", lang)  # fmt: skip
        return _form_page(request, session, campaign, form, notice=notice)
    body, invalid = pf.to_create(parsed) if campaign_id is None else pf.to_update(parsed)
    try:
        if body is None:
            raise ValidationError(
                "campaign.invalid", "The campaign is not valid", parsed.problems + invalid
            )
        kwargs: dict[str, Any] = {"actor": _actor(request, principal), "now": clock(request),
                                  "invalid": parsed.problems}  # fmt: skip
        if campaign_id is None:
            saved = service.create_campaign(session, body, **kwargs)  # type: ignore[arg-type]
        else:
            saved = service.update_campaign(session, campaign_id, body, **kwargs)  # type: ignore[arg-type]
    except ValidationError as exc:
        session.rollback()
        campaign = service.get_campaign(session, campaign_id) if campaign_id else None
        fields = localised(parsed.rename(exc.problems), lang)
        return _form_page(request, session, campaign, form, fields, status_code=422)
    except ConflictError as exc:
        session.rollback()
        campaign = service.get_campaign(session, campaign_id) if campaign_id else None
        fields = [{"field": "form", "message": conflict_text(exc.code, lang)}]
        return _form_page(request, session, campaign, form, fields, status_code=409)
    return RedirectResponse(f"/console/campaigns/{saved.id}", status_code=303)


@router.post("/console/campaigns/new")
async def create_campaign(request: Request, session: SessionDep, principal: Writer) -> Response:
    """Save a new campaign, or show the form again with every problem (422, nothing saved)."""
    return await _submit(request, session, principal, None)


@router.post("/console/campaigns/{campaign_id:int}/edit")
async def update_campaign(
    campaign_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> Response:
    return await _submit(request, session, principal, campaign_id)


def _number(value: Decimal) -> str:
    """``1234.5000`` → ``1,234.5``."""
    text = f"{Decimal(value).normalize():,f}"
    return text[:-2] if text.endswith(".0") else text


# --- one campaign ---------------------------------------------------------------------------------


def _detail(
    request: Request, session: Session, principal: Principal, c: Campaign, *,
    fields: list[dict[str, Any]] | None = None, error: str | None = None,
    expense: dict[str, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    lines = repo.budget_lines(session, c.id)
    spent = repo.spent_by_line(session, c.id)
    budget = service_budget.make_budget(
        c.budget_fen, [x.planned_fen for x in lines], sum(spent.values())
    )
    counts, codes, targets = service_budget.audience_of(session, c)
    run_id = c.segment_run_id or next(
        (s.segment_run_id for s in repo.segments(session, c.id)), None
    )
    alerts = repo.alerts(session, c.id)
    arms = repo.arms(session, c.id)
    products = {p.id: p for p in repo.products(session)}
    ids = [c.owner_id or 0] + [a.acknowledged_by_id or 0 for a in alerts]
    goals = repo.goals(session, c.id)
    return render(request, "console/campaigns/detail.html", {
        "c": c, "goals": goals, "goal_values": {g.id: _number(g.target) for g in goals}, "places": repo.places(session, c.id),
        "windows": repo.windows(session, c.id), "arms": arms, "products": products,
        "segments": repo.segments_of(session, run_id, codes) if run_id else [],
        "counts": counts, "targets": targets, "codes": codes,
        "lines": lines, "spent": spent, "budget": budget,
        "line_burn": {x.id: rules.burn(spent.get(x.id, 0), x.planned_fen) for x in lines},
        "expenses": repo.expenses(session, c.id, limit=20), "alerts": alerts,
        "names": staff_names(session, [i for i in ids if i]),
        "next_statuses": rules.TRANSITIONS.get(c.status.value, ()),
        "closed": rules.is_closed(c.status.value),
        "can_write": principal.can(Permission.CAMPAIGNS_WRITE),
        "fields": fields or [], "error": error, "today": today_for(request),
        "expense": expense or {"spent_on": today_for(request).isoformat()},
    }, status_code=status_code)  # fmt: skip


@router.get("/console/campaigns/{campaign_id:int}")
def campaign_page(
    campaign_id: EntityId, request: Request, session: SessionDep, principal: Reader
) -> Response:
    """A campaign's overview: plan, audience, budget burn, spend, alerts and status."""
    return _detail(request, session, principal, service.get_campaign(session, campaign_id))


def _refused(
    request: Request, session: Session, principal: Principal, campaign_id: int,
    exc: ValidationError | ConflictError, expense: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    session.rollback()
    lang = request_lang(request)
    c = service.get_campaign(session, campaign_id)
    if isinstance(exc, ConflictError):
        return _detail(request, session, principal, c, error=conflict_text(exc.code, lang),
                       expense=expense, status_code=409)  # fmt: skip
    fields = localised(exc.problems, lang)
    message = (
        "；".join(f["message"] for f in fields)
        if lang == "zh"
        else "; ".join(f["message"] for f in fields)
    )
    return _detail(request, session, principal, c, fields=fields, expense=expense, status_code=422,
                   error=translate("campaigns.detail.error", lang, problems=message))  # fmt: skip


@router.post("/console/campaigns/{campaign_id:int}/status")
def change_status(
    campaign_id: EntityId, request: Request, session: SessionDep, principal: Writer,
    status: Annotated[str, Form(max_length=16)] = "",
) -> Response:  # fmt: skip
    try:
        service.change_status(session, campaign_id, status, actor=_actor(request, principal),
                              now=clock(request))  # fmt: skip
    except (ValidationError, ConflictError) as exc:
        return _refused(request, session, principal, campaign_id, exc)
    return RedirectResponse(f"/console/campaigns/{campaign_id}", status_code=303)


@router.post("/console/campaigns/{campaign_id:int}/expenses")
def record_expense(
    campaign_id: EntityId, request: Request, session: SessionDep, principal: Writer,
    budget_line_id: Annotated[str, Form(max_length=20)] = "",
    spent_on: Annotated[str, Form(max_length=20)] = "", amount: Annotated[str, Form(max_length=30)] = "",
    vendor: Text = "", note: Text = "",
) -> Response:  # fmt: skip
    """Book spend against a budget line (an alert at 80 % / 100 % of the budget)."""
    typed = {"budget_line_id": budget_line_id, "spent_on": spent_on, "amount": amount,
             "vendor": vendor, "note": note}  # fmt: skip
    r = pf.FormReader(
        {"amount_fen": amount, "spent_on": spent_on, "budget_line_id": budget_line_id}, []
    )
    fen, day, line = r.fen("amount_fen"), r.day("spent_on"), r.integer("budget_line_id")
    r.required("amount_fen", fen)
    r.required("spent_on", day)
    r.required("budget_line_id", line if line and 0 < line < 2**53 else None)
    try:
        if r.problems or fen is None or day is None or line is None:
            raise ValidationError("expense.invalid", "The expense is not valid", r.problems)
        body = ExpenseWrite(budget_line_id=line, spent_on=day, amount_fen=max(-(10**15), min(fen, 10**15)),
                            vendor=vendor[:200] or None, note=note[:400] or None)  # fmt: skip
        service_budget.record_expense(session, campaign_id, body, actor=_actor(request, principal),
                                      now=clock(request), today=today_for(request))  # fmt: skip
    except (ValidationError, ConflictError) as exc:
        return _refused(request, session, principal, campaign_id, exc, typed)
    return RedirectResponse(f"/console/campaigns/{campaign_id}#budget", status_code=303)


@router.post("/console/campaigns/{campaign_id:int}/alerts/{alert_id:int}/acknowledge")
def acknowledge_alert(
    campaign_id: EntityId, alert_id: EntityId, request: Request, session: SessionDep,
    principal: Writer,
) -> Response:  # fmt: skip
    try:
        service_budget.acknowledge_alert(session, campaign_id, alert_id,
                                         actor=_actor(request, principal), now=clock(request))  # fmt: skip
    except ConflictError as exc:
        return _refused(request, session, principal, campaign_id, exc)
    return RedirectResponse(f"/console/campaigns/{campaign_id}#alerts", status_code=303)
