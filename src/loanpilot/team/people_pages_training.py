"""Console pages of training (培训): the courses with the course form, attendance (one by one or
imported from CSV, every rejected row listed with its row and column), and hours per staff member
for a period with the mandatory courses not yet passed. Mounted by ``team.pages_people``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, SessionDep
from loanpilot.kit.errors import ConflictError, DomainError, ValidationError
from loanpilot.kit.periods import Period, parse_period
from loanpilot.team import people_rules as rules
from loanpilot.team import people_rules_training as trules
from loanpilot.team import people_training
from loanpilot.team import repository_people as repo
from loanpilot.team.models import Role, TrainingCourse
from loanpilot.team.people_pages_forms import (
    Reader as FormReader,
)
from loanpilot.team.people_pages_forms import (
    actor,
    conflict_text,
    localised,
    texts,
    today,
)
from loanpilot.team.service import visible_branch_ids
from loanpilot.web.auth import clock, require
from loanpilot.web.i18n import translate
from loanpilot.web.render import render, request_lang

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Permission.STAFF_READ)]
Writer = Annotated[Principal, require(Permission.TEAM_WRITE)]
COURSE_FIELDS = ("code", "title", "topic", "hours")
ATTENDANCE_FIELDS = trules.ATTENDANCE_COLUMNS
_EMPTY_COURSE: dict[str, Any] = {
    "code": "",
    "title": "",
    "topic": "",
    "hours": "",
    "mandatory_for": [],
}


def _training_page(
    request: Request, session: Session, principal: Principal, *,
    course_form: dict[str, Any] | None = None, attendance_form: dict[str, str] | None = None,
    fields: list[dict[str, Any]] | None = None, form_name: str = "", notice: str = "",
    report: people_training.ImportReport | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    scope = visible_branch_ids(principal)
    return render(request, "console/team/training.html", {
        "courses": repo.courses(session), "topics": trules.TOPICS, "roles": [r.value for r in Role],
        "course_form": course_form or dict(_EMPTY_COURSE),
        "attendance_form": attendance_form or dict.fromkeys(ATTENDANCE_FIELDS, ""),
        "fields": fields or [], "form_name": form_name, "notice": notice, "report": report,
        "attendance": repo.attendance(session, scope, limit=50),
        "staff": repo.staff_choices(session, scope),
        "can_write": principal.can(Permission.TEAM_WRITE),
    }, status_code=status_code)  # fmt: skip


@router.get("/console/team/training")
def training_page(request: Request, session: SessionDep, principal: Reader) -> Response:
    """Courses, the latest attendance, and (for ``team:write``) the course, attendance and import
    forms."""
    notice = request.query_params.get("done", "")
    text = translate(f"team.training.{notice}", request_lang(request)) if notice in (
        "recorded", "deleted", "saved") else ""  # fmt: skip
    return _training_page(request, session, principal, notice=text)


def _course_form(submitted: Any) -> dict[str, Any]:
    form: dict[str, Any] = texts(submitted, COURSE_FIELDS)
    form["mandatory_for"] = [v for v in submitted.getlist("mandatory_for") if isinstance(v, str)]
    return form


def _course_draft(form: dict[str, Any]) -> tuple[trules.CourseDraft, list[rules.Problem]]:
    reader = FormReader(form)
    hours = reader.decimal("hours")
    draft = trules.CourseDraft(form["code"], form["title"], form["topic"], hours,
                              tuple(form["mandatory_for"]))  # fmt: skip
    return draft, reader.problems


@router.post("/console/team/training/courses")
async def create_course(request: Request, session: SessionDep, principal: Writer) -> Response:
    form = _course_form(await request.form())
    draft, problems = _course_draft(form)
    try:
        people_training.save_course(session, draft, actor=actor(request, principal),
                                    now=clock(request), extra=problems)  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _training_page(request, session, principal, course_form=form, form_name="course",
                              fields=localised(exc.problems, request), status_code=422)  # fmt: skip
    return RedirectResponse("/console/team/training?done=saved#courses", status_code=303)


def _course_page(
    request: Request, course: TrainingCourse, form: dict[str, Any],
    fields: list[dict[str, Any]] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    return render(request, "console/team/course.html", {
        "course": course, "course_form": form, "fields": fields or [], "topics": trules.TOPICS,
        "roles": [r.value for r in Role],
    }, status_code=status_code)  # fmt: skip


@router.get("/console/team/training/courses/{course_id}")
def course_page(
    course_id: EntityId, request: Request, session: SessionDep, _principal: Writer
) -> Response:
    course = people_training.get_course(session, course_id)
    form = {"code": course.code, "title": course.title, "topic": course.topic,
            "hours": f"{course.hours.normalize():f}", "mandatory_for": list(course.mandatory_for or [])}  # fmt: skip
    return _course_page(request, course, form)


@router.post("/console/team/training/courses/{course_id}")
async def update_course(
    course_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> Response:
    form = _course_form(await request.form())
    draft, problems = _course_draft(form)
    try:
        people_training.save_course(session, draft, actor=actor(request, principal),
                                    now=clock(request), course_id=course_id, extra=problems)  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        course = people_training.get_course(session, course_id)
        return _course_page(request, course, form, localised(exc.problems, request), 422)
    return RedirectResponse("/console/team/training?done=saved#courses", status_code=303)


@router.post("/console/team/training/courses/{course_id}/delete")
def delete_course(
    course_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> Response:
    """Remove a course nobody attended; one with attendance is kept (409, said on the page)."""
    try:
        people_training.delete_course(session, course_id, actor=actor(request, principal),
                                      now=clock(request))  # fmt: skip
    except ConflictError as exc:
        session.rollback()
        course = people_training.get_course(session, course_id)
        form = {"code": course.code, "title": course.title, "topic": course.topic,
                "hours": f"{course.hours.normalize():f}",
                "mandatory_for": list(course.mandatory_for or [])}  # fmt: skip
        return _course_page(request, course, form,
                            [{"field": "form", "message": conflict_text(exc.code, request)}], 409)  # fmt: skip
    return RedirectResponse("/console/team/training?done=deleted", status_code=303)


@router.post("/console/team/training/attendance")
async def record_attendance(request: Request, session: SessionDep, principal: Writer) -> Response:
    """Record one attendance, or show the form again with every problem beside its field."""
    form = texts(await request.form(), ATTENDANCE_FIELDS)
    try:
        people_training.record_attendance(session, dict(form), actor=actor(request, principal),
                                          today=today(request), now=clock(request))  # fmt: skip
    except ValidationError as exc:
        session.rollback()
        return _training_page(request, session, principal, attendance_form=form,
                              form_name="attendance", fields=localised(exc.problems, request),
                              status_code=422)  # fmt: skip
    return RedirectResponse("/console/team/training?done=recorded#attendance", status_code=303)


@router.post("/console/team/training/import")
async def import_attendance(request: Request, session: SessionDep, principal: Writer) -> Response:
    """Import an attendance CSV: the good rows are kept; the page lists every rejected row."""
    submitted = await request.form()
    upload = submitted.get("file")
    lang = request_lang(request)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _training_page(request, session, principal, form_name="import", status_code=422,
                              fields=[{"field": "file", "row": None, "source": None,
                                       "message": translate("team.training.no_file", lang)}])  # fmt: skip
    content = await upload.read()
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:100]
    try:
        report = people_training.import_attendance(
            session, content, name, actor=actor(request, principal), today=today(request),
            now=clock(request))  # fmt: skip
    except DomainError as exc:
        session.rollback()
        message = translate("team.training.file_error", lang, detail=exc.message)
        return _training_page(request, session, principal, form_name="import", status_code=422,
                              fields=[{"field": "file", "row": None, "source": name,
                                       "message": message}])  # fmt: skip
    return _training_page(request, session, principal, report=report, form_name="import",
                          fields=localised(report.problems, request))  # fmt: skip


@router.get("/console/team/training/hours")
def hours_page(
    request: Request, session: SessionDep, principal: Reader,
    period: Annotated[str, Query(max_length=8)] = "",
) -> Response:  # fmt: skip
    """Hours per active staff member in a period (default: this quarter), with the mandatory
    courses of their role not yet passed."""
    fields: list[dict[str, Any]] = []
    chosen = Period.containing(today(request), "quarter")
    status = 200
    if period.strip():
        try:
            chosen = parse_period(period)
        except ValidationError:
            message = translate("team.hours.bad_period", request_lang(request), given=period)
            fields, status = [{"field": "period", "message": message}], 422
    items = people_training.hours(session, visible_branch_ids(principal), chosen)
    return render(request, "console/team/hours.html", {
        "period": chosen, "typed": period or chosen.label, "items": items, "fields": fields,
        "total": people_training.total_hours(items),
    }, status_code=status)  # fmt: skip
