"""Console pages of customer service (客户服务): the analysis (satisfaction and NPS by product,
channel, branch and manager with their monthly trends, the response rate, comments with masked
names), and the survey builder (list, form, a survey's page with activate / close). The SLA and
quality-review pages are in ``pages_ops`` (included here). Viewing needs ``service:read``;
changing ``service:write``; problems are shown beside their fields, what was typed kept."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep, today_for
from loanpilot.kit.errors import ConflictError, FieldProblem, ValidationError
from loanpilot.kit.periods import Period, parse_period
from loanpilot.service import analysis, surveys
from loanpilot.service import pages_forms as pf
from loanpilot.service import repository as repo
from loanpilot.service import survey_rules as rules
from loanpilot.service.pages_common import actor_of, conflict_text, localised
from loanpilot.service.pages_ops import router as ops_router
from loanpilot.service.plan_section import THEME_LABELS
from loanpilot.service.schemas import SurveyWrite
from loanpilot.web.auth import clock, require
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
router.include_router(ops_router)
Reader = Annotated[Principal, require(Permission.SERVICE_READ)]
Writer = Annotated[Principal, require(Permission.SERVICE_WRITE)]
PeriodQuery = Annotated[str, Query(max_length=10)]


def chosen_period(text: str, request: Request) -> tuple[Period, list[dict[str, Any]]]:
    """The period asked for (default: this quarter), and its problem if it could not be read."""
    default = Period.containing(today_for(request), "quarter")
    if not text.strip():
        return default, []
    try:
        return parse_period(text), []
    except ValidationError as exc:
        return default, localised(exc.problems, request_lang(request))


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


@router.get("/console/service")
def analysis_page(
    request: Request, session: SessionDep, principal: Reader, period: PeriodQuery = ""
) -> Response:
    """Satisfaction and NPS (from the KPI suite) by dimension, trends, response rate, comments."""
    p, fields = chosen_period(period, request)
    a = analysis.analyse(session, p, principal)
    chart = {
        "months": [m for m, _ in a.trend],
        "satisfaction": [_num(pt.satisfaction) if pt else None for _, pt in a.trend],
        "nps": [round(float(pt.nps) * 100, 1) if pt and pt.nps is not None else None
                for _, pt in a.trend],
        "by": {d: {"labels": [x.label for x in pts], "satisfaction": [_num(x.satisfaction) for x in pts],
                   "nps": [round(float(x.nps) * 100, 1) if x.nps is not None else None for x in pts]}
               for d, pts in a.by.items()},
    }  # fmt: skip
    return render(request, "console/service/analysis.html", {
        "a": a, "period": p, "period_text": period or p.label, "fields": fields, "chart": chart,
        "theme_labels": THEME_LABELS, "can_write": principal.can(Permission.SERVICE_WRITE),
    })  # fmt: skip


# --- surveys -----------------------------------------------------------------------------------------


@router.get("/console/service/surveys")
def surveys_page(request: Request, session: SessionDep, principal: Reader) -> Response:
    return render(request, "console/service/surveys.html", {
        "surveys": repo.surveys(session), "counts": repo.invitation_counts(session),
        "can_write": principal.can(Permission.SERVICE_WRITE),
    })  # fmt: skip


def _form_page(
    request: Request, survey_id: int | None, form: dict[str, Any],
    fields: list[dict[str, Any]] | None = None, notice: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    rows = len(form["questions"]) + 2
    form["questions"] = form["questions"] + [dict.fromkeys(pf.QUESTION_FIELDS, "")] * (
        rows - len(form["questions"])
    )
    return render(request, "console/service/survey_form.html", {
        "survey_id": survey_id, "form": form, "fields": fields or [], "notice": notice,
        "kinds": rules.KINDS, "triggers": rules.TRIGGERS, "channels": rules.CHANNELS,
        "question_kinds": rules.QUESTION_KINDS,
    }, status_code=status_code)  # fmt: skip


@router.get("/console/service/surveys/new")
def new_survey_page(request: Request, _principal: Writer) -> Response:
    form: dict[str, Any] = {"code": "", "title": "", "kind": "csat", "trigger": "disbursed",
                            "channel": "sms", "questions": []}  # fmt: skip
    form["questions"] = [{"position": "1", "kind": "csat_1_5", "text_zh": "", "text_en": "",
                          "choices": "", "required": "1"}]  # fmt: skip
    return _form_page(request, None, form)


async def _submitted(request: Request) -> dict[str, Any]:
    return pf.survey_values(await request.form())


def _refused(
    request: Request, survey_id: int | None, values: dict[str, Any], problems: list[FieldProblem],
    body: SurveyWrite | None,
) -> Response:  # fmt: skip
    if body is not None:
        problems = pf.remap(problems, pf.row_of(body, values))
    lang = request_lang(request)
    return _form_page(request, survey_id, values, localised(problems, lang), status_code=422)


@router.post("/console/service/surveys")
async def create_survey(request: Request, session: SessionDep, principal: Writer) -> Response:
    values = await _submitted(request)
    body, problems = pf.parse_survey(values)
    if body is None:
        return _refused(request, None, values, problems, None)
    try:
        s = surveys.create_survey(session, body, actor=actor_of(request, principal),
                                  now=clock(request))  # fmt: skip
    except ValidationError as exc:
        return _refused(request, None, values, list(exc.problems), body)
    return RedirectResponse(f"/console/service/surveys/{s.id}", status_code=303)


@router.get("/console/service/surveys/{survey_id:int}")
def survey_page(
    survey_id: EntityId, request: Request, session: SessionDep, principal: Reader
) -> Response:
    s = surveys.get_survey(session, survey_id)
    sent, responded = repo.invitation_counts(session).get(s.id, (0, 0))
    return render(request, "console/service/survey.html", {
        "s": s, "questions": repo.questions(session, s.id), "sent": sent, "responded": responded,
        "rate": rules.ratio(responded, sent), "notice": None, "problems": [],
        "can_write": principal.can(Permission.SERVICE_WRITE),
        "next": rules.TRANSITIONS[s.status.value],
    })  # fmt: skip


@router.get("/console/service/surveys/{survey_id:int}/edit")
def edit_survey_page(
    survey_id: EntityId, request: Request, session: SessionDep, _principal: Writer
) -> Response:
    s = surveys.get_survey(session, survey_id)
    return _form_page(request, s.id, pf.survey_form_of(surveys.write_of(session, s)))


@router.post("/console/service/surveys/{survey_id:int}")
async def update_survey(
    survey_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> Response:
    values = await _submitted(request)
    body, problems = pf.parse_survey(values)
    if body is None:
        return _refused(request, survey_id, values, problems, None)
    try:
        surveys.update_survey(session, survey_id, body, actor=actor_of(request, principal),
                              now=clock(request))  # fmt: skip
    except ValidationError as exc:
        return _refused(request, survey_id, values, list(exc.problems), body)
    except ConflictError as exc:
        lang = request_lang(request)
        return _form_page(request, survey_id, values, notice=conflict_text(exc.code, lang),
                          status_code=409)  # fmt: skip
    return RedirectResponse(f"/console/service/surveys/{survey_id}", status_code=303)


@router.post("/console/service/surveys/{survey_id:int}/status")
async def survey_status(
    survey_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> Response:
    form = await request.form()
    status = str(form.get("status", ""))[:16]
    try:
        surveys.change_status(session, survey_id, status, actor=actor_of(request, principal),
                              now=clock(request))  # fmt: skip
    except (ConflictError, ValidationError) as exc:
        s = surveys.get_survey(session, survey_id)
        sent, responded = repo.invitation_counts(session).get(s.id, (0, 0))
        lang = request_lang(request)
        return render(request, "console/service/survey.html", {
            "s": s, "questions": repo.questions(session, s.id), "sent": sent,
            "responded": responded, "rate": rules.ratio(responded, sent),
            "notice": conflict_text(exc.code, lang), "problems": localised(exc.problems, lang),
            "can_write": True, "next": rules.TRANSITIONS[s.status.value],
        }, status_code=409 if isinstance(exc, ConflictError) else 422)  # fmt: skip
    return RedirectResponse(f"/console/service/surveys/{survey_id}", status_code=303)
