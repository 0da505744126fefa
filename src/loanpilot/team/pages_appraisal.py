"""Console pages of the appraisal (绩效考核): plans by role and period with their runs, the plan
editor (weights total shown live, every problem beside its field, nothing half-saved), the
ratings form, a run's ranked results by group with the score distribution, one person's score
explained line by line, and ``/console/appraisal/me``.

Reading needs ``appraisal:read`` and shows scores within the caller's scope; editing plans and
running needs ``appraisal:write``; rating ``appraisal:rate``. Handlers are thin: services change
state and audit; the request's session commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.kit.errors import ConflictError, FieldProblem, ValidationError
from loanpilot.team import appraisal_explain as explain
from loanpilot.team import appraisal_forms as af
from loanpilot.team import appraisal_plans as plans
from loanpilot.team import appraisal_ratings as ratings
from loanpilot.team import appraisal_rules as rules
from loanpilot.team import appraisal_runs as runs
from loanpilot.team import repository_appraisal as repo
from loanpilot.team.api_appraisal import actor_of
from loanpilot.team.appraisal_schemas import PlanCreate, PlanUpdate, RatingWrite
from loanpilot.team.models import Role
from loanpilot.web.auth import clock, require
from loanpilot.web.i18n import MESSAGES, Lang, translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Permission.APPRAISAL_READ)]
Writer = Annotated[Principal, require(Permission.APPRAISAL_WRITE)]
Rater = Annotated[Principal, require(Permission.APPRAISAL_RATE)]
_BASE = "/console/appraisal"


def problem_text(p: FieldProblem, lang: Lang) -> str:
    if isinstance(p, rules.Problem) and p.code and f"appraisal.problem.{p.code}" in MESSAGES:
        return translate(f"appraisal.problem.{p.code}", lang, **dict(p.params))
    return p.message


def localised(problems: Iterable[FieldProblem], lang: Lang) -> list[dict[str, Any]]:
    return [{"field": p.field, "message": problem_text(p, lang)} for p in problems]


# --- the index and "mine" -------------------------------------------------------------------------


@router.get(_BASE)
def index(
    request: Request, session: SessionDep, principal: Reader,
    period: Annotated[str, Query(max_length=16)] = "",
    role: Annotated[str, Query(max_length=32)] = "",
) -> Response:  # fmt: skip
    """Plans by period and role (every version) and the latest runs."""
    chosen = Role(role) if role in Role._value2member_map_ else None
    rows = repo.plans(session, role=chosen, period=period.strip().upper() or None)
    return render(request, "console/appraisal/index.html", {
        "rows": rows, "runs": repo.runs(session, period=period.strip().upper() or None, limit=30),
        "roles": plans.APPRAISED_ROLES, "chosen_role": role, "chosen_period": period,
        "can_write": principal.can(Permission.APPRAISAL_WRITE),
        "can_rate": principal.can(Permission.APPRAISAL_RATE),
    })  # fmt: skip


@router.get(f"{_BASE}/me")
def mine(request: Request, session: SessionDep, principal: Reader) -> Response:
    """The caller's own results, newest first; the newest explained line by line."""
    found = repo.scores_of_staff(session, principal.staff_id)
    latest = None
    if found:
        latest = runs.explanation(session, found[0][1].id, principal.staff_id,
                                  runs.Scope(staff_id=principal.staff_id))  # fmt: skip
    return render(request, "console/appraisal/me.html", {"found": found, "latest": latest})


# --- plans ----------------------------------------------------------------------------------------


def _form_page(request: Request, session: Session, plan_id: int | None, form: dict[str, Any],
               fields: list[dict[str, Any]] | None = None, status_code: int = 200,
               extra: int = 2) -> Response:  # fmt: skip
    plan = plans.plan_read(session, plans.get_plan(session, plan_id)) if plan_id else None
    return render(request, "console/appraisal/plan_form.html", {
        "plan": plan, "form": form, "fields": fields or [], "rows": af.row_count(form, extra),
        "total": af.weights_total(form), "roles": plans.APPRAISED_ROLES, "kinds": rules.KINDS,
        "curves": rules.CURVES, "at": af.at,
    }, status_code=status_code)  # fmt: skip


@router.get(f"{_BASE}/plans/new")
def new_plan_page(request: Request, session: SessionDep, _principal: Writer) -> Response:
    period = (today_for(request).year, (today_for(request).month - 1) // 3 + 1)
    form = af.form_of_writes("", Role.CUSTOMER_MANAGER.value, f"{period[0]}Q{period[1]}",
                             plans.default_indicators())  # fmt: skip
    return _form_page(request, session, None, form)


@router.get(f"{_BASE}/plans/{{plan_id:int}}/edit")
def edit_plan_page(
    plan_id: EntityId, request: Request, session: SessionDep, _principal: Writer
) -> Response:
    plan = plans.get_plan(session, plan_id)
    if plan.status == "superseded":
        return RedirectResponse(f"{_BASE}/plans/{plan_id}", status_code=303)
    return _form_page(request, session, plan_id, af.form_of_plan(plans.plan_read(session, plan)))


async def _submit(request: Request, session: Session, principal: Principal,
                  plan_id: int | None) -> Response:  # fmt: skip
    submitted = await request.form()
    raw = {k: v for k, v in submitted.items() if isinstance(v, str)}
    if raw.get("action") == "more":
        return _form_page(request, session, plan_id, raw, extra=5)
    form = af.compact(raw)
    parsed = af.parse(form)
    lang = request_lang(request)
    kwargs: dict[str, Any] = {"actor": actor_of(request, principal), "now": clock(request),
                              "invalid": parsed.problems}  # fmt: skip
    try:
        if plan_id is None:
            body = PlanCreate.model_construct(name=form.get("name", ""), role=form.get("role", ""),
                                              period=form.get("period", ""),
                                              indicators=parsed.indicators)  # fmt: skip
            saved = plans.create_plan(session, body, **kwargs)
        else:
            update = PlanUpdate.model_construct(name=form.get("name", ""),
                                                indicators=parsed.indicators)  # fmt: skip
            saved = plans.update_plan(session, plan_id, update, **kwargs)
    except ValidationError as exc:
        session.rollback()
        return _form_page(request, session, plan_id, form, localised(exc.problems, lang), 422)
    except ConflictError as exc:
        session.rollback()
        return _form_page(request, session, plan_id, form,
                          [{"field": "form", "message": exc.message}], 409)  # fmt: skip
    return RedirectResponse(f"{_BASE}/plans/{saved.id}", status_code=303)


@router.post(f"{_BASE}/plans/new")
async def create_plan(request: Request, session: SessionDep, principal: Writer) -> Response:
    """Save a new plan, or show the form again with every problem (422, nothing saved)."""
    return await _submit(request, session, principal, None)


@router.post(f"{_BASE}/plans/{{plan_id:int}}/edit")
async def update_plan(
    plan_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> Response:
    return await _submit(request, session, principal, plan_id)


@router.get(f"{_BASE}/plans/{{plan_id:int}}")
def plan_page(plan_id: EntityId, request: Request, session: SessionDep,
              principal: Reader) -> Response:  # fmt: skip
    """A plan's indicators, its versions and runs, and the run button."""
    plan = plans.get_plan(session, plan_id)
    return render(request, "console/appraisal/plan.html", {
        "plan": plans.plan_read(session, plan),
        "versions": repo.versions(session, plan.role, plan.period),
        "runs": repo.runs(session, plan_id=plan_id),
        "can_write": principal.can(Permission.APPRAISAL_WRITE),
        "can_rate": principal.can(Permission.APPRAISAL_RATE),
        "group_rules": rules.GROUP_RULES, "default_group": rules.DEFAULT_GROUP_RULE,
    })  # fmt: skip


@router.post(f"{_BASE}/plans/{{plan_id:int}}/run")
async def run_plan(plan_id: EntityId, request: Request, session: SessionDep,
                   principal: Writer) -> Response:  # fmt: skip
    """Run the plan now and show the results (a rerun is a new run)."""
    submitted = await request.form()
    group = str(submitted.get("group_rule", rules.DEFAULT_GROUP_RULE))
    run = runs.run_plan(session, plan_id, group_rule=group, actor=actor_of(request, principal),
                        now=clock(request), today=today_for(request))  # fmt: skip
    return RedirectResponse(f"{_BASE}/runs/{run.id}", status_code=303)


# --- ratings --------------------------------------------------------------------------------------


def _ratings_page(request: Request, session: Session, principal: Principal, plan_id: int,
                  form: dict[str, str] | None = None, fields: list[dict[str, Any]] | None = None,
                  saved: int | None = None, status_code: int = 200) -> Response:  # fmt: skip
    grid = ratings.rating_grid(session, principal, plan_id)
    if form is None:
        form = {
            f"r-{sid}-{code}": rules.pct_text(r.rating) for (sid, code), r in grid.given.items()
        }
        form |= {f"c-{sid}-{code}": r.comment or "" for (sid, code), r in grid.given.items()}
    return render(request, "console/appraisal/ratings.html", {
        "grid": grid, "form": form, "fields": fields or [], "saved": saved,
    }, status_code=status_code)  # fmt: skip


@router.get(f"{_BASE}/plans/{{plan_id:int}}/ratings")
def ratings_page(plan_id: EntityId, request: Request, session: SessionDep,
                 principal: Rater) -> Response:  # fmt: skip
    return _ratings_page(request, session, principal, plan_id)


@router.post(f"{_BASE}/plans/{{plan_id:int}}/ratings")
async def save_ratings(plan_id: EntityId, request: Request, session: SessionDep,
                       principal: Rater) -> Response:  # fmt: skip
    """Save every rating typed (all or none); problems beside their cells."""
    submitted = await request.form()
    form = {k: v for k, v in submitted.items() if isinstance(v, str)}
    lang = request_lang(request)
    writes: list[RatingWrite] = []
    cells: list[str] = []
    problems: list[FieldProblem] = []
    for key, value in form.items():
        parts = key.split("-", 2)
        if not key.startswith("r-") or not value.strip() or len(parts) != 3:
            continue  # not a rating cell of the form (a hand-made key is ignored, not a 500)
        _, sid, code = parts
        try:
            rating = rules.parse_decimal(value)
        except ValueError:
            problems.append(rules.problem(key, "not_a_number"))
            continue
        if not sid.isdecimal() or rating is None:
            continue
        comment = form.get(f"c-{sid}-{code}", "")[:500]
        writes.append(RatingWrite.model_construct(staff_id=int(sid), indicator_code=code,
                                                  rating=rating, comment=comment))  # fmt: skip
        cells.append(key)
    try:
        if problems:
            raise ValidationError(
                "appraisal.ratings_invalid", "The ratings are not valid", problems
            )
        saved = ratings.save_ratings(session, plan_id, writes, principal=principal,
                                     actor=actor_of(request, principal), now=clock(request))  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        fields = []
        for p in exc.problems:
            field = p.field
            if field.startswith("ratings["):
                field = cells[int(field[8 : field.index("]")])]
            fields.append({"field": field, "message": problem_text(p, lang)})
        return _ratings_page(request, session, principal, plan_id, form, fields, status_code=422)
    return _ratings_page(request, session, principal, plan_id, saved=len(saved))


# --- results --------------------------------------------------------------------------------------


@router.get(f"{_BASE}/runs/{{run_id:int}}")
def run_page(run_id: EntityId, request: Request, session: SessionDep,
             principal: Reader) -> Response:  # fmt: skip
    """A run's ranked results by group within the caller's scope, and the score distribution."""
    run, plan = runs.get_run(session, run_id)
    found = runs.visible_scores(session, run_id, runs.scope_of(principal))
    labels = runs.group_labels(session, {s.group_key for s in found})
    groups: dict[str, list[repo.ScoreRow]] = {}
    for s in found:
        groups.setdefault(labels[str(s.group_key)], []).append(s)
    lang = request_lang(request)
    dist = explain.distribution(s.total for s in found)
    chart = {"bands": list(dist), "counts": list(dist.values()),
             "labels": {"people": translate("appraisal.run.people", lang),
                        "total": translate("appraisal.col.total", lang)}}  # fmt: skip
    return render(request, "console/appraisal/run.html", {
        "run": run, "plan": plan, "groups": groups, "chart": chart,
        "group_rule": runs.run_group_rule(run), "missing": rules.pct_text(rules.MISSING_SCORE),
    })  # fmt: skip


@router.get(f"{_BASE}/runs/{{run_id:int}}/staff/{{staff_id:int}}")
def score_page(run_id: EntityId, staff_id: EntityId, request: Request, session: SessionDep,
               principal: Reader) -> Response:  # fmt: skip
    """One person's score in a run, line by line (403 outside the caller's scope)."""
    run, plan, score, lines = runs.explanation(session, run_id, staff_id,
                                               runs.scope_of(principal))  # fmt: skip
    return render(request, "console/appraisal/score.html", {
        "run": run, "plan": plan, "score": score, "lines": lines,
        "group": runs.group_labels(session, {score.group_key})[str(score.group_key)],
    })  # fmt: skip
