"""SQL of the team's people work: portfolios and their history, training courses and attendance,
certificates, mentor pairs and job rotations. ``branch_ids`` (when not None) is the caller's scope:
only staff of those branches. Portable SQL only (SQLite and PostgreSQL); dates are computed by the
caller."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from loanpilot.customers.models import Customer
from loanpilot.lending.models import Loan, LoanStatus
from loanpilot.team.models import (
    Branch,
    Certification,
    JobRotation,
    MentorPair,
    OrgUnit,
    PortfolioAssignment,
    Staff,
    StaffStatus,
    TrainingCourse,
    TrainingRecord,
)
from loanpilot.team.people_rules import CUSTOMER_FACING_ROLES, CustomerFacts, Span, StaffFacts
from loanpilot.team.people_rules_training import CertFacts, CourseFacts, CourseRule

_S = TypeVar("_S", bound=Select)  # type: ignore[type-arg]
_CHUNK = 500


def chunks(ids: Sequence[int], size: int = _CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])


def _scoped(stmt: _S, branch_ids: Collection[int] | None, column: Any = Staff.branch_id) -> _S:
    if branch_ids is None:
        return stmt
    return stmt.where(column.in_(sorted(branch_ids)))


# --- staff --------------------------------------------------------------------------------------------

_STAFF_COLS = (Staff.id, Staff.employee_no, Staff.name, Staff.role, Staff.status, Staff.branch_id)


def _facts(row: Any) -> StaffFacts:
    return StaffFacts(int(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), int(row[5]))


def staff_by_ref(session: Session, ref: str) -> StaffFacts | None:
    """A staff member by employee number, or by id when ``ref`` is all digits and no employee
    number matches."""
    text = ref.strip()
    if not text:
        return None
    row = session.execute(select(*_STAFF_COLS).where(Staff.employee_no == text)).first()
    if row is None and text.isdigit() and len(text) < 16:
        row = session.execute(select(*_STAFF_COLS).where(Staff.id == int(text))).first()
    return _facts(row) if row is not None else None


def staff_facts(session: Session, ids: Iterable[int]) -> dict[int, StaffFacts]:
    wanted = sorted(set(ids))
    out: dict[int, StaffFacts] = {}
    for part in chunks(wanted):
        for row in session.execute(select(*_STAFF_COLS).where(Staff.id.in_(part))):
            out[int(row[0])] = _facts(row)
    return out


def staff_numbers(session: Session) -> dict[str, StaffFacts]:
    """Every staff member by employee number (for imports: a few thousand rows at most)."""
    return {str(r[1]): _facts(r) for r in session.execute(select(*_STAFF_COLS))}


@dataclass(frozen=True)
class StaffChoice:
    id: int
    employee_no: str
    name: str
    role: str
    branch_id: int


def staff_choices(
    session: Session, branch_ids: Collection[int] | None, *, customer_facing: bool = False
) -> list[StaffChoice]:
    """Active staff in scope (for the forms' selects), by employee number."""
    stmt = select(Staff.id, Staff.employee_no, Staff.name, Staff.role, Staff.branch_id).where(
        Staff.status == StaffStatus.ACTIVE
    )
    if customer_facing:
        stmt = stmt.where(Staff.role.in_(sorted(CUSTOMER_FACING_ROLES)))
    stmt = _scoped(stmt, branch_ids).order_by(Staff.employee_no)
    return [StaffChoice(int(a), str(b), str(c), str(d), int(e))
            for a, b, c, d, e in session.execute(stmt)]  # fmt: skip


# --- portfolios ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioRow:
    staff_id: int
    employee_no: str
    name: str
    role: str
    status: str
    branch_id: int
    branch_name: str
    customers: int
    balance_fen: int


def _balance_by_customer() -> Any:
    return (
        select(Loan.customer_id.label("customer_id"),
               func.sum(Loan.outstanding_principal_fen).label("fen"),
               func.count(Loan.id).label("loans"))
        .where(Loan.status == LoanStatus.REPAYING)
        .group_by(Loan.customer_id)
        .subquery()
    )  # fmt: skip


def portfolio_summary(
    session: Session, branch_ids: Collection[int] | None, q: str | None = None
) -> list[PortfolioRow]:
    """Customer-facing staff (and anyone else still holding customers) with their customers and
    the outstanding principal of those customers' repaying loans, largest portfolio first."""
    bal = _balance_by_customer()
    per = (
        select(Customer.manager_id.label("staff_id"), func.count(Customer.id).label("n"),
               func.coalesce(func.sum(bal.c.fen), 0).label("fen"))
        .outerjoin(bal, bal.c.customer_id == Customer.id)
        .where(Customer.manager_id.is_not(None))
        .group_by(Customer.manager_id)
        .subquery()
    )  # fmt: skip
    stmt = (
        select(*_STAFF_COLS, Branch.name, func.coalesce(per.c.n, 0), func.coalesce(per.c.fen, 0))
        .join(Branch, Branch.id == Staff.branch_id)
        .outerjoin(per, per.c.staff_id == Staff.id)
        .where(or_(Staff.role.in_(sorted(CUSTOMER_FACING_ROLES)), per.c.n > 0))
    )
    if q and q.strip():
        pattern = f"%{q.strip()}%"
        stmt = stmt.where(or_(Staff.name.like(pattern), Staff.employee_no.like(pattern)))
    stmt = _scoped(stmt, branch_ids).order_by(func.coalesce(per.c.n, 0).desc(), Staff.employee_no)
    return [
        PortfolioRow(f.id, f.employee_no, f.name, f.role, f.status, f.branch_id, str(r[6]),
                     int(r[7] or 0), int(r[8] or 0))
        for r in session.execute(stmt) for f in (_facts(r),)
    ]  # fmt: skip


@dataclass(frozen=True)
class PortfolioCustomer:
    id: int
    customer_no: str
    name: str  # clear: the page masks it
    city: str
    since: date | None  # start of the open assignment
    loans: int
    balance_fen: int


def portfolio_customers(session: Session, staff_id: int) -> list[PortfolioCustomer]:
    """The customers a manager looks after now, with their repaying loans and balance."""
    bal = _balance_by_customer()
    opened = (
        select(PortfolioAssignment.customer_id, func.max(PortfolioAssignment.start_on).label("s"))
        .where(PortfolioAssignment.staff_id == staff_id, PortfolioAssignment.end_on.is_(None))
        .group_by(PortfolioAssignment.customer_id)
        .subquery()
    )
    stmt = (
        select(Customer.id, Customer.customer_no, Customer.name, Customer.city, opened.c.s,
               func.coalesce(bal.c.loans, 0), func.coalesce(bal.c.fen, 0))
        .outerjoin(bal, bal.c.customer_id == Customer.id)
        .outerjoin(opened, opened.c.customer_id == Customer.id)
        .where(Customer.manager_id == staff_id)
        .order_by(Customer.customer_no)
    )  # fmt: skip
    return [PortfolioCustomer(int(a), str(b), str(c), str(d), e, int(f), int(g))
            for a, b, c, d, e, f, g in session.execute(stmt)]  # fmt: skip


_CUSTOMER_COLS = (Customer.id, Customer.customer_no, Customer.manager_id, Customer.home_branch_id)


def _customer(row: Any) -> CustomerFacts:
    return CustomerFacts(int(row[0]), str(row[1]), row[2], row[3])


def customers_of(session: Session, staff_id: int) -> list[CustomerFacts]:
    stmt = select(*_CUSTOMER_COLS).where(Customer.manager_id == staff_id).order_by(Customer.id)
    return [_customer(r) for r in session.execute(stmt)]


def customers_by_ref(session: Session, refs: Iterable[str]) -> dict[str, CustomerFacts]:
    """Customers by customer number or id (as given)."""
    given = {r.strip() for r in refs if r.strip()}
    out: dict[str, CustomerFacts] = {}
    numbers = sorted(given)
    for i in range(0, len(numbers), _CHUNK):
        part = numbers[i : i + _CHUNK]
        for row in session.execute(select(*_CUSTOMER_COLS).where(Customer.customer_no.in_(part))):
            out[str(row[1])] = _customer(row)
    ids = sorted(int(r) for r in given - out.keys() if r.isdigit() and len(r) < 16)
    for part_ids in chunks(ids):
        for row in session.execute(select(*_CUSTOMER_COLS).where(Customer.id.in_(part_ids))):
            out[str(row[0])] = _customer(row)
    return out


def move_customers(
    session: Session, customer_ids: Sequence[int], target_id: int, today: date, reason: str
) -> None:
    """Close the open assignments of the customers on ``today``, open one with ``target_id`` and
    make it their current manager (no flush of its own beyond the statements)."""
    for part in chunks(sorted(customer_ids)):
        session.execute(
            update(PortfolioAssignment)
            .where(PortfolioAssignment.customer_id.in_(part), PortfolioAssignment.end_on.is_(None))
            .values(end_on=today)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Customer)
            .where(Customer.id.in_(part))
            .values(manager_id=target_id)
            .execution_options(synchronize_session=False)
        )
    session.add_all(
        PortfolioAssignment(customer_id=c, staff_id=target_id, start_on=today, reason=reason)
        for c in customer_ids
    )
    session.flush()


@dataclass(frozen=True)
class HistoryRow:
    id: int
    staff_id: int
    employee_no: str
    name: str
    start_on: date
    end_on: date | None
    reason: str | None


def manager_history(session: Session, customer_id: int) -> list[HistoryRow]:
    """Every assignment of a customer, newest first."""
    stmt = (
        select(PortfolioAssignment.id, Staff.id, Staff.employee_no, Staff.name,
               PortfolioAssignment.start_on, PortfolioAssignment.end_on, PortfolioAssignment.reason)
        .join(Staff, Staff.id == PortfolioAssignment.staff_id)
        .where(PortfolioAssignment.customer_id == customer_id)
        .order_by(PortfolioAssignment.start_on.desc(), PortfolioAssignment.id.desc())
    )  # fmt: skip
    return [HistoryRow(int(a), int(b), str(c), str(d), e, f, g)
            for a, b, c, d, e, f, g in session.execute(stmt)]  # fmt: skip


def customer_header(session: Session, customer_id: int) -> tuple[str, str, int | None] | None:
    """(customer no, name, home branch) of a customer."""
    row = session.execute(
        select(Customer.customer_no, Customer.name, Customer.home_branch_id).where(
            Customer.id == customer_id
        )
    ).first()
    return (str(row[0]), str(row[1]), row[2]) if row is not None else None


# --- training -----------------------------------------------------------------------------------------


def courses(session: Session) -> list[TrainingCourse]:
    return list(session.scalars(select(TrainingCourse).order_by(TrainingCourse.code)))


def course_rules(session: Session) -> list[CourseRule]:
    return [CourseRule(c.id, c.code, tuple(c.mandatory_for or ())) for c in courses(session)]


def course_facts(session: Session) -> dict[str, CourseFacts]:
    return {c.code: CourseFacts(c.id, c.code, Decimal(c.hours)) for c in courses(session)}


def code_taken(session: Session, code: str, except_id: int | None = None) -> bool:
    stmt = select(TrainingCourse.id).where(TrainingCourse.code == code)
    if except_id is not None:
        stmt = stmt.where(TrainingCourse.id != except_id)
    return session.execute(stmt.limit(1)).first() is not None


def records_of_course(session: Session, course_id: int) -> int:
    stmt = select(func.count(TrainingRecord.id)).where(TrainingRecord.course_id == course_id)
    return int(session.execute(stmt).scalar_one())


def attendance_keys(session: Session, staff_ids: Collection[int]) -> set[tuple[int, int, date]]:
    """(course, staff, session date) of the attendance already recorded for these staff."""
    out: set[tuple[int, int, date]] = set()
    for part in chunks(sorted(set(staff_ids))):
        stmt = select(TrainingRecord.course_id, TrainingRecord.staff_id,
                      TrainingRecord.session_date).where(TrainingRecord.staff_id.in_(part))  # fmt: skip
        out.update((int(a), int(b), c) for a, b, c in session.execute(stmt))
    return out


@dataclass(frozen=True)
class AttendanceRow:
    id: int
    session_date: date
    employee_no: str
    name: str
    course_code: str
    course_title: str
    hours_attended: Decimal
    exam_score: int | None
    passed: bool


def attendance(
    session: Session, branch_ids: Collection[int] | None, *, start: date | None = None,
    end: date | None = None, staff_id: int | None = None, course_id: int | None = None,
    limit: int = 200,
) -> list[AttendanceRow]:  # fmt: skip
    """Attendance, latest session first (``start``/``end``: a half-open range of session dates)."""
    stmt = (
        select(TrainingRecord.id, TrainingRecord.session_date, Staff.employee_no, Staff.name,
               TrainingCourse.code, TrainingCourse.title, TrainingRecord.hours_attended,
               TrainingRecord.exam_score, TrainingRecord.passed)
        .join(Staff, Staff.id == TrainingRecord.staff_id)
        .join(TrainingCourse, TrainingCourse.id == TrainingRecord.course_id)
    )  # fmt: skip
    if start is not None:
        stmt = stmt.where(TrainingRecord.session_date >= start)
    if end is not None:
        stmt = stmt.where(TrainingRecord.session_date < end)
    if staff_id is not None:
        stmt = stmt.where(TrainingRecord.staff_id == staff_id)
    if course_id is not None:
        stmt = stmt.where(TrainingRecord.course_id == course_id)
    stmt = _scoped(stmt, branch_ids).order_by(
        TrainingRecord.session_date.desc(), TrainingRecord.id.desc()
    )
    return [AttendanceRow(int(a), b, str(c), str(d), str(e), str(f), Decimal(g), h, bool(i))
            for a, b, c, d, e, f, g, h, i in session.execute(stmt.limit(limit))]  # fmt: skip


@dataclass(frozen=True)
class HoursRow:
    staff_id: int
    employee_no: str
    name: str
    role: str
    branch_name: str
    sessions: int
    hours: Decimal


def hours_by_staff(
    session: Session, branch_ids: Collection[int] | None, start: date, end: date,
    staff_id: int | None = None,
) -> list[HoursRow]:  # fmt: skip
    """Active staff in scope with the sessions and hours they attended in [start, end)."""
    per = (
        select(TrainingRecord.staff_id.label("staff_id"),
               func.count(TrainingRecord.id).label("n"),
               func.sum(TrainingRecord.hours_attended).label("h"))
        .where(TrainingRecord.session_date >= start, TrainingRecord.session_date < end)
        .group_by(TrainingRecord.staff_id)
        .subquery()
    )  # fmt: skip
    stmt = (
        select(Staff.id, Staff.employee_no, Staff.name, Staff.role, Branch.name,
               func.coalesce(per.c.n, 0), func.coalesce(per.c.h, 0))
        .join(Branch, Branch.id == Staff.branch_id)
        .outerjoin(per, per.c.staff_id == Staff.id)
        .where(Staff.status == StaffStatus.ACTIVE)
    )  # fmt: skip
    if staff_id is not None:
        stmt = stmt.where(Staff.id == staff_id)
    stmt = _scoped(stmt, branch_ids).order_by(Staff.employee_no)
    return [HoursRow(int(a), str(b), str(c), str(d), str(e), int(f), Decimal(g))
            for a, b, c, d, e, f, g in session.execute(stmt)]  # fmt: skip


def passed_courses(
    session: Session, staff_ids: Collection[int] | None = None, before: date | None = None
) -> dict[int, set[int]]:
    """The courses each staff member passed (in a session before ``before``, when given)."""
    stmt = select(TrainingRecord.staff_id, TrainingRecord.course_id).where(
        TrainingRecord.passed.is_(True)
    )
    if before is not None:
        stmt = stmt.where(TrainingRecord.session_date < before)
    if staff_ids is not None and len(staff_ids) <= _CHUNK:
        stmt = stmt.where(TrainingRecord.staff_id.in_(sorted(staff_ids)))
    out: dict[int, set[int]] = {}
    for staff_id, course_id in session.execute(stmt.distinct()):
        out.setdefault(int(staff_id), set()).add(int(course_id))
    return out


# --- certificates -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertRow:
    facts: CertFacts
    issuer: str
    employee_no: str
    holder: str
    branch_id: int


def certifications(
    session: Session, branch_ids: Collection[int] | None, staff_id: int | None = None
) -> list[CertRow]:
    stmt = (
        select(Certification.id, Certification.staff_id, Certification.name,
               Certification.issued_on, Certification.expires_on, Certification.issuer,
               Staff.employee_no, Staff.name, Staff.branch_id)
        .join(Staff, Staff.id == Certification.staff_id)
        .where(Staff.status != StaffStatus.LEFT)
    )  # fmt: skip
    if staff_id is not None:
        stmt = stmt.where(Certification.staff_id == staff_id)
    stmt = _scoped(stmt, branch_ids).order_by(Staff.employee_no, Certification.name,
                                              Certification.issued_on.desc())  # fmt: skip
    return [CertRow(CertFacts(int(a), int(b), str(c), d, e), str(f), str(g), str(h), int(i))
            for a, b, c, d, e, f, g, h, i in session.execute(stmt)]  # fmt: skip


# --- mentor pairs and rotations -----------------------------------------------------------------------


def mentee_spans(session: Session, mentee_id: int) -> list[Span]:
    stmt = select(MentorPair.id, MentorPair.start_on, MentorPair.end_on).where(
        MentorPair.mentee_id == mentee_id
    )
    return [Span(int(a), b, c) for a, b, c in session.execute(stmt.order_by(MentorPair.id))]


@dataclass(frozen=True)
class PairRow:
    id: int
    mentor_id: int
    mentor_no: str
    mentor_name: str
    mentee_id: int
    mentee_no: str
    mentee_name: str
    start_on: date
    end_on: date | None


def mentor_pairs(
    session: Session, branch_ids: Collection[int] | None, staff_id: int | None = None
) -> list[PairRow]:
    """Pairs whose mentee (or mentor) is in scope, open ones first, latest start first."""
    mentor, mentee = aliased(Staff), aliased(Staff)
    stmt = (
        select(MentorPair.id, mentor.id, mentor.employee_no, mentor.name, mentee.id,
               mentee.employee_no, mentee.name, MentorPair.start_on, MentorPair.end_on)
        .join(mentor, mentor.id == MentorPair.mentor_id)
        .join(mentee, mentee.id == MentorPair.mentee_id)
    )  # fmt: skip
    if branch_ids is not None:
        scope = sorted(branch_ids)
        stmt = stmt.where(or_(mentee.branch_id.in_(scope), mentor.branch_id.in_(scope)))
    if staff_id is not None:
        stmt = stmt.where(or_(MentorPair.mentor_id == staff_id, MentorPair.mentee_id == staff_id))
    stmt = stmt.order_by(MentorPair.end_on.is_not(None), MentorPair.start_on.desc(),
                         MentorPair.id.desc())  # fmt: skip
    return [PairRow(int(a), int(b), str(c), str(d), int(e), str(f), str(g), h, i)
            for a, b, c, d, e, f, g, h, i in session.execute(stmt)]  # fmt: skip


@dataclass(frozen=True)
class RotationRow:
    id: int
    staff_id: int
    employee_no: str
    name: str
    from_unit: str | None
    to_unit: str
    start_on: date
    end_on: date | None


def rotations(
    session: Session, branch_ids: Collection[int] | None, staff_id: int | None = None
) -> list[RotationRow]:
    src, dst = aliased(OrgUnit), aliased(OrgUnit)
    stmt = (
        select(JobRotation.id, Staff.id, Staff.employee_no, Staff.name, src.name, dst.name,
               JobRotation.start_on, JobRotation.end_on)
        .join(Staff, Staff.id == JobRotation.staff_id)
        .outerjoin(src, src.id == JobRotation.from_org_unit_id)
        .join(dst, dst.id == JobRotation.to_org_unit_id)
    )  # fmt: skip
    if staff_id is not None:
        stmt = stmt.where(JobRotation.staff_id == staff_id)
    stmt = _scoped(stmt, branch_ids).order_by(JobRotation.end_on.is_not(None),
                                              JobRotation.start_on.desc(), JobRotation.id.desc())  # fmt: skip
    return [RotationRow(int(a), int(b), str(c), str(d), e, str(f), g, h)
            for a, b, c, d, e, f, g, h in session.execute(stmt)]  # fmt: skip


def unit_ids(session: Session, ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    return {int(i) for i in session.scalars(select(OrgUnit.id).where(OrgUnit.id.in_(wanted)))}
