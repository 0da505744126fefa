"""The service API (客户服务): surveys (build while draft, activate, close; send the day's
invitations), the analysis (satisfaction and NPS from the KPI suite), SLA targets and breaches,
and quality reviews. Reading needs ``service:read``; every change ``service:write``. 422 lists
every problem with its field and a stable ``code``; the route's session commits."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, today_for
from loanpilot.kit.periods import Period, parse_period
from loanpilot.service import analysis, quality, sending, sla, surveys
from loanpilot.service import repository as repo
from loanpilot.service import repository_ops as repo_ops
from loanpilot.service.kpi_source import Point
from loanpilot.service.models import QualityReview, Survey
from loanpilot.service.schemas import (
    AnalysisRead,
    BreachListRead,
    BreachRead,
    FigureRead,
    QuestionRead,
    ReviewCreate,
    ReviewListRead,
    ReviewRead,
    SendRead,
    SlaRead,
    SlaWrite,
    StatusWrite,
    SurveyListRead,
    SurveyRead,
    SurveyWrite,
)
from loanpilot.web.auth import client_address, clock, require

router = APIRouter(
    prefix="/api/v1/service",
    tags=["service"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_CHANGED: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}, 409: {"model": ErrorRead}}
Reader = Annotated[Principal, require(Permission.SERVICE_READ)]
Writer = Annotated[Principal, require(Permission.SERVICE_WRITE)]
PeriodText = Annotated[str, Query(max_length=10, description="2026-10, 2026Q4, 2026H2 or 2026")]


def actor(request: Request, principal: Principal) -> surveys.Actor:
    return surveys.Actor(principal.staff_id, f"user:{principal.username}", client_address(request))


def period_or_current(text: str, today: date) -> Period:
    return parse_period(text) if text.strip() else Period.containing(today, "quarter")


def survey_read(
    session: Session, s: Survey, counts: dict[int, tuple[int, int]] | None = None
) -> SurveyRead:
    sent, responded = (counts if counts is not None else repo.invitation_counts(session)).get(
        s.id, (0, 0)
    )
    return SurveyRead(
        id=s.id, code=s.code, title=s.title, kind=s.kind.value, trigger=s.trigger.value,
        channel=s.channel.value, status=s.status.value, sent=sent, responded=responded,
        questions=[QuestionRead(id=q.id, position=q.position, kind=q.kind.value, text_zh=q.text_zh,
                                text_en=q.text_en, choices=q.choices or [], required=q.required)
                   for q in repo.questions(session, s.id)],
    )  # fmt: skip


@router.get("/surveys", response_model=SurveyListRead)
def list_surveys(session: SessionDep, _principal: Reader) -> SurveyListRead:
    counts = repo.invitation_counts(session)
    return SurveyListRead(items=[survey_read(session, s, counts) for s in repo.surveys(session)])


@router.post("/surveys", status_code=201, response_model=SurveyRead, responses=_CHANGED)
def create_survey(
    body: SurveyWrite, request: Request, session: SessionDep, principal: Writer
) -> SurveyRead:
    """A new draft survey; 422 lists every problem (a CSAT survey without a CSAT question, a
    choice question with fewer than two distinct choices, ...)."""
    s = surveys.create_survey(session, body, actor=actor(request, principal), now=clock(request))
    return survey_read(session, s)


@router.get("/surveys/{survey_id}", response_model=SurveyRead, responses=_CHANGED)
def read_survey(survey_id: EntityId, session: SessionDep, _principal: Reader) -> SurveyRead:
    return survey_read(session, surveys.get_survey(session, survey_id))


@router.put("/surveys/{survey_id}", response_model=SurveyRead, responses=_CHANGED)
def update_survey(
    survey_id: EntityId, body: SurveyWrite, request: Request, session: SessionDep, principal: Writer
) -> SurveyRead:
    """Replace a draft survey and its questions (409 once it is active or closed)."""
    s = surveys.update_survey(
        session, survey_id, body, actor=actor(request, principal), now=clock(request)
    )
    return survey_read(session, s)


@router.post("/surveys/{survey_id}/status", response_model=SurveyRead, responses=_CHANGED)
def change_status(
    survey_id: EntityId, body: StatusWrite, request: Request, session: SessionDep, principal: Writer
) -> SurveyRead:
    """draft → active → closed."""
    s = surveys.change_status(
        session, survey_id, body.status, actor=actor(request, principal), now=clock(request)
    )
    return survey_read(session, s)


@router.post("/surveys/send", response_model=SendRead)
def send_surveys(
    request: Request, session: SessionDep, _principal: Writer,
    as_of: Annotated[date | None, Query(description="business day (default today)")] = None,
) -> SendRead:  # fmt: skip
    """Send the invitations due on ``as_of`` (what the daily close does; idempotent)."""
    day = as_of or today_for(request)
    return SendRead(as_of=day, sent=sending.send_due(session, day, clock(request)))


def figure_read(p: Point) -> FigureRead:
    return FigureRead(key=p.key, label=p.label, satisfaction=p.satisfaction,
                      satisfaction_n=p.satisfaction_n, nps=p.nps, nps_n=p.nps_n)  # fmt: skip


@router.get("/analysis", response_model=AnalysisRead)
def read_analysis(
    request: Request, session: SessionDep, principal: Reader, period: PeriodText = ""
) -> AnalysisRead:
    """Satisfaction (mean CSAT) and NPS overall, by product, channel, branch and manager, with the
    12-month trend and the response rate, within the reader's scope."""
    a = analysis.analyse(session, period_or_current(period, today_for(request)), principal)
    return AnalysisRead(
        period=a.period.label, overall=figure_read(a.overall) if a.overall else None,
        by={d: [figure_read(p) for p in pts] for d, pts in a.by.items()},
        trend=[FigureRead(key=m, label=m, satisfaction=p.satisfaction if p else None,
                          satisfaction_n=p.satisfaction_n if p else 0, nps=p.nps if p else None,
                          nps_n=p.nps_n if p else 0) for m, p in a.trend],
        invitations=a.invitations, responded=a.responded, response_rate=a.response_rate,
    )  # fmt: skip


@router.get("/slas", response_model=list[SlaRead])
def list_slas(session: SessionDep, _principal: Reader) -> list[SlaRead]:
    return [
        SlaRead(id=r.id, stage=r.stage.value, product_type=r.product_type.value if r.product_type else None,
                target_hours=r.target_hours, valid_from=r.valid_from)
        for r in repo_ops.slas(session)
    ]  # fmt: skip


@router.post("/slas", status_code=201, response_model=SlaRead)
def set_sla(body: SlaWrite, request: Request, session: SessionDep, principal: Writer) -> SlaRead:
    """A dated target for a stage (and optionally one product type)."""
    r = sla.set_target(session, body, actor=actor(request, principal), now=clock(request))
    return SlaRead(id=r.id, stage=r.stage.value, target_hours=r.target_hours,
                   product_type=r.product_type.value if r.product_type else None,
                   valid_from=r.valid_from)  # fmt: skip


@router.get("/sla-breaches", response_model=BreachListRead)
def sla_breaches(
    request: Request, session: SessionDep, principal: Reader, period: PeriodText = ""
) -> BreachListRead:
    """The stage spans that ended in the period over their target (exactly on target is on time)."""
    report = sla.measure(
        session, period_or_current(period, today_for(request)), analysis.scope_of(principal)
    )
    return BreachListRead(
        period=report.period.label,
        measured={t.key: t.measured for t in report.by_stage},
        breaches=[BreachRead(application_id=s.application_id, application_no=s.application_no,
                             stage=s.stage, product=s.product, product_type=s.product_type,
                             branch=s.branch, started_at=s.started_at, ended_at=s.ended_at,
                             hours=s.hours, target_hours=s.target_hours) for s in report.breaches],
        by_branch=[{"branch_id": t.key, "branch": t.label, "measured": t.measured,
                    "breached": t.breached, "attainment": t.attainment} for t in report.by_branch],
    )  # fmt: skip


def review_read(r: QualityReview, names: dict[int, str]) -> ReviewRead:
    return ReviewRead(
        id=r.id, kind=r.kind.value, staff_id=r.staff_id, staff_name=names.get(r.staff_id, ""),
        branch_id=r.branch_id, reviewer_id=r.reviewer_id, reviewed_on=r.reviewed_on,
        score=r.score, items=r.items or [], comment=r.comment,
    )  # fmt: skip


@router.get("/quality-reviews", response_model=ReviewListRead)
def list_reviews(
    request: Request, session: SessionDep, principal: Reader, period: PeriodText = "",
    staff_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
) -> ReviewListRead:  # fmt: skip
    """Reviews of the period within the reader's scope, and each staff member's average."""
    p = period_or_current(period, today_for(request))
    rows = repo_ops.reviews(session, analysis.scope_of(principal), start=p.start, end=p.end,
                        staff_id=staff_id)  # fmt: skip
    names = {s.id: s.name for s in repo_ops.staff_in(session, sorted({r.staff_id for r in rows}))}
    averages = quality.average_scores(session, p)
    return ReviewListRead(
        items=[review_read(r, names) for r in rows],
        averages={k: v for k, v in averages.items() if k in names},
    )


@router.post("/quality-reviews", status_code=201, response_model=ReviewRead)
def create_review(
    body: ReviewCreate, request: Request, session: SessionDep, principal: Writer
) -> ReviewRead:
    """A review; the score is computed (points ÷ max × 100). The reviewer cannot review
    themselves, nor staff outside their branch subtree."""
    r = quality.record_review(
        session, body, reviewer_id=principal.staff_id,
        actor=actor(request, principal), today=today_for(request), now=clock(request),
    )  # fmt: skip
    names = {s.id: s.name for s in repo_ops.staff_in(session, [r.staff_id])}
    return review_read(r, names)
