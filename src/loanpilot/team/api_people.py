"""The team API (营销团队): portfolios and hand-overs, training courses and attendance (with the
CSV import), hours per period, certificates and their reminders, mentor pairs and rotations.

Reading needs ``staff:read`` (branch heads see their branch subtree); changing needs ``team:write``
(branch heads change only their subtree). ``/api/v1/team/me/...`` is everyone's own view. A refused
change answers 422 with every problem (field, row, code) and changes nothing; the route's session
commits."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile

from loanpilot.access.rules import Permission, Principal
from loanpilot.app import EntityId, ErrorRead, SessionDep, yuan
from loanpilot.config import Settings
from loanpilot.kit.clock import to_business_date
from loanpilot.kit.masking import mask_name
from loanpilot.kit.periods import Period, parse_period
from loanpilot.team import people, people_development, people_training
from loanpilot.team import people_rules_training as trules
from loanpilot.team import repository_people as repo
from loanpilot.team.models import Certification, JobRotation, MentorPair, TrainingCourse
from loanpilot.team.people_schemas import (
    AttendanceRead,
    AttendanceWrite,
    CertificationRead,
    CertificationWrite,
    CourseRead,
    CourseWrite,
    CustomerManagersRead,
    EndWrite,
    HistoryItemRead,
    HoursRead,
    ImportRead,
    MentorPairRead,
    MentorPairWrite,
    PortfolioCustomerRead,
    PortfolioDetailRead,
    PortfolioRead,
    ReassignRead,
    ReassignWrite,
    RejectRead,
    ReminderRead,
    RemindersRead,
    RenewWrite,
    RotationRead,
    RotationWrite,
    StaffHoursRead,
)
from loanpilot.team.service import visible_branch_ids
from loanpilot.web.auth import client_address, clock, require

router = APIRouter(
    prefix="/api/v1/team",
    tags=["team"],
    responses={401: {"model": ErrorRead}, 403: {"model": ErrorRead}, 422: {"model": ErrorRead}},
)
_ONE: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead}}
Reader = Annotated[Principal, require(Permission.STAFF_READ)]
Writer = Annotated[Principal, require(Permission.TEAM_WRITE)]
Anyone = Annotated[Principal, require(Permission.DASHBOARD_VIEW)]
PeriodText = Annotated[str, Query(max_length=8, description="2026-10, 2026Q4, 2026H2 or 2026")]


def today(request: Request) -> date:
    settings: Settings = request.app.state.settings
    return to_business_date(clock(request), settings.tz)


def notice_days(request: Request) -> int:
    settings: Settings = request.app.state.settings
    return settings.cert_expiry_notice_days


def _actor(request: Request, principal: Principal) -> people.Actor:
    return people.Actor.of(principal, client_address(request))


def period_or_current(text: str, day: date) -> Period:
    return parse_period(text) if text.strip() else Period.containing(day, "quarter")


# --- portfolios -----------------------------------------------------------------------------------------


def portfolio_read(r: repo.PortfolioRow) -> PortfolioRead:
    return PortfolioRead(
        staff_id=r.staff_id, employee_no=r.employee_no, name=r.name, role=r.role, status=r.status,
        branch_id=r.branch_id, branch_name=r.branch_name, customers=r.customers,
        balance_fen=r.balance_fen, balance_yuan=yuan(r.balance_fen),
    )  # fmt: skip


@router.get("/portfolios", response_model=list[PortfolioRead])
def list_portfolios(
    session: SessionDep, principal: Reader,
    q: Annotated[str | None, Query(max_length=50, description="Name or employee no")] = None,
) -> list[PortfolioRead]:  # fmt: skip
    """Customer-facing staff with their customers and balance, largest portfolio first."""
    return [portfolio_read(r) for r in people.portfolios(session, principal, q)]


@router.get("/portfolios/{staff_id}", response_model=PortfolioDetailRead, responses=_ONE)
def get_portfolio(
    staff_id: EntityId, session: SessionDep, principal: Reader
) -> PortfolioDetailRead:
    """One manager's customers (names masked) with their repaying loans and balance."""
    manager, customers = people.portfolio(session, principal, staff_id)
    rows = {r.staff_id: r for r in people.portfolios(session, principal, manager.employee_no)}
    summary = rows.get(staff_id) or repo.PortfolioRow(
        manager.id, manager.employee_no, manager.name, manager.role, manager.status,
        manager.branch_id, "", 0, 0)  # fmt: skip
    return PortfolioDetailRead(manager=portfolio_read(summary), items=[
        PortfolioCustomerRead(id=c.id, customer_no=c.customer_no, name=mask_name(c.name),
                              city=c.city, since=c.since, loans=c.loans, balance_fen=c.balance_fen)
        for c in customers])  # fmt: skip


@router.get("/customers/{customer_id}/managers", response_model=CustomerManagersRead,
            responses=_ONE)  # fmt: skip
def customer_managers(
    customer_id: EntityId, session: SessionDep, principal: Reader
) -> CustomerManagersRead:
    """The history of a customer's managers, newest first."""
    found = people.customer_managers(session, principal, customer_id)
    return CustomerManagersRead(
        customer_id=found.customer_id, customer_no=found.customer_no, name=mask_name(found.name),
        current_manager_id=found.current_manager_id,
        history=[HistoryItemRead(staff_id=h.staff_id, employee_no=h.employee_no, name=h.name,
                                 start_on=h.start_on, end_on=h.end_on, reason=h.reason)
                 for h in found.history],
    )  # fmt: skip


@router.post("/reassignments", status_code=201, response_model=ReassignRead)
def reassign(
    body: ReassignWrite, request: Request, session: SessionDep, principal: Writer
) -> ReassignRead:
    """Hand customers (or ``from_staff``'s whole portfolio, when ``customers`` is omitted) to
    ``to_staff`` with a reason: old assignments closed today, new ones opened, current manager
    updated, audited; refused whole (422) if any problem."""
    done = people.reassign(
        session, to_staff=body.to_staff, from_staff=body.from_staff, reason=body.reason,
        customers=None if body.customers is None else [(c, None) for c in body.customers],
        actor=_actor(request, principal), today=today(request), now=clock(request),
    )  # fmt: skip
    return ReassignRead(moved=done.moved, from_staff_id=done.source.id if done.source else None,
                        to_staff_id=done.target.id, customer_ids=done.customer_ids, on=done.today)  # fmt: skip


# --- training -------------------------------------------------------------------------------------------


def course_read(c: TrainingCourse) -> CourseRead:
    return CourseRead(id=c.id, code=c.code, title=c.title, topic=c.topic, hours=c.hours,
                      mandatory_for=list(c.mandatory_for or []))  # fmt: skip


def course_draft(body: CourseWrite) -> trules.CourseDraft:
    return trules.CourseDraft(body.code, body.title, body.topic, body.hours,
                             tuple(body.mandatory_for))  # fmt: skip


@router.get("/courses", response_model=list[CourseRead])
def list_courses(session: SessionDep, _principal: Reader) -> list[CourseRead]:
    return [course_read(c) for c in repo.courses(session)]


@router.post("/courses", status_code=201, response_model=CourseRead)
def create_course(
    body: CourseWrite, request: Request, session: SessionDep, principal: Writer
) -> CourseRead:
    """A course: code, title, topic, hours (0 < h ≤ 1000) and the roles it is mandatory for."""
    return course_read(people_training.save_course(
        session, course_draft(body), actor=_actor(request, principal), now=clock(request)))  # fmt: skip


@router.put("/courses/{course_id}", response_model=CourseRead, responses=_ONE)
def update_course(
    course_id: EntityId, body: CourseWrite, request: Request, session: SessionDep,
    principal: Writer,
) -> CourseRead:  # fmt: skip
    return course_read(people_training.save_course(
        session, course_draft(body), actor=_actor(request, principal), now=clock(request),
        course_id=course_id))  # fmt: skip


@router.delete("/courses/{course_id}", status_code=204,
               responses={**_ONE, 409: {"model": ErrorRead}})  # fmt: skip
def delete_course(
    course_id: EntityId, request: Request, session: SessionDep, principal: Writer
) -> None:
    """Remove a course nobody attended (409 otherwise)."""
    people_training.delete_course(session, course_id, actor=_actor(request, principal),
                                  now=clock(request))  # fmt: skip


def attendance_read(r: repo.AttendanceRow) -> AttendanceRead:
    return AttendanceRead(id=r.id, session_date=r.session_date, employee_no=r.employee_no,
                          name=r.name, course_code=r.course_code, course_title=r.course_title,
                          hours_attended=r.hours_attended, exam_score=r.exam_score,
                          passed=r.passed)  # fmt: skip


@router.get("/attendance", response_model=list[AttendanceRead])
def list_attendance(
    session: SessionDep, principal: Reader, period: PeriodText = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AttendanceRead]:  # fmt: skip
    """Attendance in scope, latest session first (optionally within a period)."""
    p = parse_period(period) if period.strip() else None
    rows = repo.attendance(session, visible_branch_ids(principal),
                           start=p.start if p else None, end=p.end if p else None, limit=limit)  # fmt: skip
    return [attendance_read(r) for r in rows]


@router.post("/attendance", status_code=201, response_model=AttendanceRead)
def record_attendance(
    body: AttendanceWrite, request: Request, session: SessionDep, principal: Writer
) -> AttendanceRead:
    """One attendance (hours ≤ the course's, exam score 0–100, not in the future, not twice)."""
    row = {k: "" if v is None else str(v) for k, v in body.model_dump().items()}
    if body.passed is not None:
        row["passed"] = "yes" if body.passed else "no"
    saved = people_training.record_attendance(
        session, row, actor=_actor(request, principal), today=today(request), now=clock(request))  # fmt: skip
    found = repo.attendance(session, None, staff_id=saved.staff_id, course_id=saved.course_id)
    return attendance_read(next(r for r in found if r.id == saved.id))


def import_read(report: people_training.ImportReport) -> ImportRead:
    return ImportRead(source=report.source, rows=report.rows, imported=report.imported,
                      rejected_rows=report.rejected_rows,
                      problems=[RejectRead(source=p.source, row=p.row, field=p.field, code=p.code,
                                           message=p.message) for p in report.problems])  # fmt: skip


@router.post("/attendance/import", response_model=ImportRead)
async def import_attendance(
    file: UploadFile, request: Request, session: SessionDep, principal: Writer
) -> ImportRead:
    """Import an attendance CSV (columns employee_no, course_code, session_date, hours_attended,
    exam_score, passed): good rows are kept, every rejected row reported (row, column)."""
    content = await file.read()
    name = (file.filename or "upload.csv").replace("\\", "/").rsplit("/", 1)[-1][:100]
    report = people_training.import_attendance(
        session, content, name, actor=_actor(request, principal), today=today(request),
        now=clock(request))  # fmt: skip
    return import_read(report)


def hours_read(period: Period, items: list[people_training.StaffHours]) -> HoursRead:
    return HoursRead(
        period=period.label, start=period.start, end=period.end,
        total_hours=people_training.total_hours(items),
        items=[StaffHoursRead(staff_id=i.row.staff_id, employee_no=i.row.employee_no,
                              name=i.row.name, role=i.row.role, branch_name=i.row.branch_name,
                              sessions=i.row.sessions, hours=i.row.hours,
                              missing_mandatory=i.missing) for i in items],
    )  # fmt: skip


@router.get("/hours", response_model=HoursRead)
def training_hours(
    request: Request, session: SessionDep, principal: Reader, period: PeriodText = ""
) -> HoursRead:
    """Hours attended per active staff member in the period (default: this quarter) and the
    mandatory courses of their role not yet passed."""
    p = period_or_current(period, today(request))
    return hours_read(p, people_training.hours(session, visible_branch_ids(principal), p))


# --- certificates ---------------------------------------------------------------------------------------


def cert_read(r: repo.CertRow, current: bool = True) -> CertificationRead:
    f = r.facts
    return CertificationRead(id=f.id, staff_id=f.staff_id, employee_no=r.employee_no,
                             holder=r.holder, name=f.name, issuer=r.issuer, issued_on=f.issued_on,
                             expires_on=f.expires_on, current=current)  # fmt: skip


def certs_read(rows: list[repo.CertRow]) -> list[CertificationRead]:
    current = {c.id for c in trules.current_certificates(r.facts for r in rows)}
    return [cert_read(r, r.facts.id in current) for r in rows]


@router.get("/certifications", response_model=list[CertificationRead])
def list_certifications(session: SessionDep, principal: Reader) -> list[CertificationRead]:
    """Certificates of current staff in scope (each marked current or renewed)."""
    return certs_read(repo.certifications(session, visible_branch_ids(principal)))


def _one_cert(session: SessionDep, cert: Certification) -> CertificationRead:
    rows = repo.certifications(session, None, cert.staff_id)
    return certs_read(rows)[[r.facts.id for r in rows].index(cert.id)]


@router.post("/certifications", status_code=201, response_model=CertificationRead)
def add_certification(
    body: CertificationWrite, request: Request, session: SessionDep, principal: Writer
) -> CertificationRead:
    draft = trules.CertificationDraft(body.name, body.issuer, body.issued_on, body.expires_on)
    cert = people_development.add_certification(
        session, body.staff, draft, actor=_actor(request, principal), today=today(request),
        now=clock(request))  # fmt: skip
    return _one_cert(session, cert)


@router.post("/certifications/{cert_id}/renew", status_code=201,
             response_model=CertificationRead, responses=_ONE)  # fmt: skip
def renew_certification(
    cert_id: EntityId, body: RenewWrite, request: Request, session: SessionDep, principal: Writer
) -> CertificationRead:
    """Record the renewal (a successor issued after the current certificate)."""
    cert = people_development.renew_certification(
        session, cert_id, body.issued_on, body.expires_on, actor=_actor(request, principal),
        today=today(request), now=clock(request))  # fmt: skip
    return _one_cert(session, cert)


def reminders_read(
    request: Request, rows: list[people_development.ReminderRow], day: date
) -> RemindersRead:
    return RemindersRead(today=day, notice_days=notice_days(request), items=[
        ReminderRead(certification=cert_read(r.cert), days_left=r.reminder.days_left,
                     expired=r.reminder.expired) for r in rows])  # fmt: skip


@router.get("/reminders", response_model=RemindersRead)
def reminders(request: Request, session: SessionDep, principal: Reader) -> RemindersRead:
    """Certificates in scope that expired or expire within the notice window, soonest first."""
    day = today(request)
    rows = people_development.reminders(session, visible_branch_ids(principal), day,
                                        notice_days(request))  # fmt: skip
    return reminders_read(request, rows, day)


@router.get("/me/reminders", response_model=RemindersRead)
def my_reminders(request: Request, session: SessionDep, principal: Anyone) -> RemindersRead:
    """The caller's own certificates that expired or expire within the notice window."""
    day = today(request)
    rows = people_development.reminders(session, None, day, notice_days(request),
                                        principal.staff_id)  # fmt: skip
    return reminders_read(request, rows, day)


@router.get("/me/hours", response_model=HoursRead)
def my_hours(
    request: Request, session: SessionDep, principal: Anyone, period: PeriodText = ""
) -> HoursRead:
    """The caller's own training hours in the period and mandatory courses not yet passed."""
    p = period_or_current(period, today(request))
    return hours_read(p, people_training.hours(session, None, p, principal.staff_id))


# --- mentor pairs and rotations -------------------------------------------------------------------------


def pair_read(r: repo.PairRow) -> MentorPairRead:
    return MentorPairRead(**{k: getattr(r, k) for k in MentorPairRead.model_fields})


def rotation_read(r: repo.RotationRow) -> RotationRead:
    return RotationRead(**{k: getattr(r, k) for k in RotationRead.model_fields})


@router.get("/mentor-pairs", response_model=list[MentorPairRead])
def list_pairs(session: SessionDep, principal: Reader) -> list[MentorPairRead]:
    """Mentor pairs in scope, open ones first."""
    return [pair_read(r) for r in repo.mentor_pairs(session, visible_branch_ids(principal))]


def _pair(session: SessionDep, pair: MentorPair) -> MentorPairRead:
    return next(pair_read(r) for r in repo.mentor_pairs(session, None, pair.mentee_id)
                if r.id == pair.id)  # fmt: skip


@router.post("/mentor-pairs", status_code=201, response_model=MentorPairRead)
def add_pair(
    body: MentorPairWrite, request: Request, session: SessionDep, principal: Writer
) -> MentorPairRead:
    """Pair a mentor and a mentee (different; no overlapping pair of the mentee)."""
    pair = people_development.add_mentor_pair(
        session, body.mentor, body.mentee, body.start_on, body.end_on,
        actor=_actor(request, principal), now=clock(request))  # fmt: skip
    return _pair(session, pair)


@router.post("/mentor-pairs/{pair_id}/end", response_model=MentorPairRead,
             responses={**_ONE, 409: {"model": ErrorRead}})  # fmt: skip
def end_pair(
    pair_id: EntityId, body: EndWrite, request: Request, session: SessionDep, principal: Writer
) -> MentorPairRead:
    pair = people_development.end_mentor_pair(session, pair_id, body.end_on,
                                              actor=_actor(request, principal), now=clock(request))  # fmt: skip
    return _pair(session, pair)


@router.get("/rotations", response_model=list[RotationRead])
def list_rotations(session: SessionDep, principal: Reader) -> list[RotationRead]:
    """Job rotations in scope, open ones first."""
    return [rotation_read(r) for r in repo.rotations(session, visible_branch_ids(principal))]


def _rotation(session: SessionDep, rotation: JobRotation) -> RotationRead:
    return next(rotation_read(r) for r in repo.rotations(session, None, rotation.staff_id)
                if r.id == rotation.id)  # fmt: skip


@router.post("/rotations", status_code=201, response_model=RotationRead)
def add_rotation(
    body: RotationWrite, request: Request, session: SessionDep, principal: Writer
) -> RotationRead:
    """Record a move between org units (to ≠ from, end ≥ start)."""
    rotation = people_development.add_rotation(
        session, body.staff, body.from_org_unit_id, body.to_org_unit_id, body.start_on,
        body.end_on, actor=_actor(request, principal), now=clock(request))  # fmt: skip
    return _rotation(session, rotation)


@router.post("/rotations/{rotation_id}/end", response_model=RotationRead,
             responses={**_ONE, 409: {"model": ErrorRead}})  # fmt: skip
def end_rotation(
    rotation_id: EntityId, body: EndWrite, request: Request, session: SessionDep,
    principal: Writer,
) -> RotationRead:  # fmt: skip
    rotation = people_development.end_rotation(
        session, rotation_id, body.end_on, actor=_actor(request, principal), now=clock(request))  # fmt: skip
    return _rotation(session, rotation)
