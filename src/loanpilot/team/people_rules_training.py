"""Pure rules of training (培训) and certificates (资格证书): courses, attendance and the CSV
import's row checks, the mandatory courses not yet passed, certificates and their expiry reminders.

No session, clock or randomness here (house rule 2); problems are :class:`people_rules.Problem`
with stable codes, each naming its field (and the file's row and name for imports).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Final

from loanpilot.team.people_rules import Problem, problem, text_problems

TOPICS: Final = (
    "product", "sales", "compliance", "privacy", "risk", "collection", "service", "digital",
    "management",
)  # fmt: skip
PASS_MARK: Final = 60
MAX_COURSE_HOURS: Final = Decimal("1000")
#: Columns of the attendance import file (``passed`` and ``exam_score`` may be left empty).
ATTENDANCE_COLUMNS: Final = (
    "employee_no", "course_code", "session_date", "hours_attended", "exam_score", "passed",
)  # fmt: skip
REQUIRED_COLUMNS: Final = ("employee_no", "course_code", "session_date", "hours_attended")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_TRUE: Final = frozenset({"1", "true", "yes", "y", "是", "通过", "pass", "passed"})
_FALSE: Final = frozenset({"0", "false", "no", "n", "否", "未通过", "fail", "failed"})


# --- training ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseDraft:
    code: str
    title: str
    topic: str
    hours: Decimal | None
    mandatory_for: tuple[str, ...] = ()


def hours_problems(field: str, hours: Decimal | None) -> list[Problem]:
    if hours is None:
        return [problem(field, "required")]
    if not hours.is_finite():
        return [problem(field, "not_a_number")]
    if hours <= 0:
        return [problem(field, "hours_positive")]
    if hours > MAX_COURSE_HOURS:
        return [problem(field, "hours_too_large", max=MAX_COURSE_HOURS)]
    return []


def course_problems(
    d: CourseDraft, known_roles: Collection[str], *, code_taken: bool = False
) -> list[Problem]:
    """Every problem of a course: code, title, topic, hours (0 < h ≤ 1000), the roles it is
    mandatory for."""
    out: list[Problem] = []
    if not d.code.strip():
        out.append(problem("code", "required"))
    elif not _CODE.match(d.code):
        out.append(problem("code", "bad_code"))
    elif code_taken:
        out.append(problem("code", "code_taken", given=d.code))
    out += text_problems("title", d.title, 200)
    if not d.topic.strip():
        out.append(problem("topic", "required"))
    elif d.topic not in TOPICS:
        out.append(problem("topic", "unknown_topic", given=d.topic, allowed=", ".join(TOPICS)))
    out += hours_problems("hours", d.hours)
    out += [problem("mandatory_for", "unknown_role", given=r) for r in d.mandatory_for
            if r not in known_roles]  # fmt: skip
    return out


@dataclass(frozen=True)
class AttendanceDraft:
    staff_id: int
    course_id: int
    session_date: date
    hours_attended: Decimal
    exam_score: int | None
    passed: bool


@dataclass(frozen=True)
class CourseFacts:
    id: int
    code: str
    hours: Decimal


def passed_of(given: bool | None, exam_score: int | None) -> bool:
    """Whether the attendance passed: as given, else by the exam (≥ 60), else yes (no exam)."""
    if given is not None:
        return given
    return exam_score is None or exam_score >= PASS_MARK


def attendance_problems(
    course: CourseFacts | None, session_date: date | None, hours: Decimal | None,
    exam_score: int | None, today: date, *, row: int | None = None, source: str | None = None,
) -> list[Problem]:  # fmt: skip
    """Problems of one attendance's values: hours above 0 and within the course's, a score from
    0 to 100, no session date in the future (what is None is checked elsewhere)."""
    out: list[Problem] = []
    if hours is not None:
        out += [replace_loc(p, row, source) for p in hours_problems("hours_attended", hours)]
        if not out and course is not None and hours > course.hours:
            out.append(problem("hours_attended", "hours_over_course", row=row, source=source,
                               given=hours.normalize(), max=course.hours.normalize()))  # fmt: skip
    if exam_score is not None and not 0 <= exam_score <= 100:
        out.append(problem("exam_score", "score_range", row=row, source=source))
    if session_date is not None and session_date > today:
        out.append(problem("session_date", "in_future", row=row, source=source,
                           given=session_date.isoformat()))  # fmt: skip
    return out


def replace_loc(p: Problem, row: int | None, source: str | None) -> Problem:
    return Problem(p.field, p.message, row, source, p.value, code=p.code, params=p.params)


def parse_decimal(text: str) -> Decimal | None:
    """``"4"`` / ``"3.5"`` → Decimal; anything else None."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_yes_no(text: str) -> bool | None:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(text)


@dataclass
class ImportCheck:
    """The attendance file, checked: the good rows (with their file rows) and every problem."""

    good: list[tuple[int, AttendanceDraft]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems if p.row is not None})


def _row_draft(
    row: Mapping[str, str], n: int, source: str, staff: Mapping[str, int],
    courses: Mapping[str, CourseFacts], today: date,
) -> tuple[AttendanceDraft | None, list[Problem]]:  # fmt: skip
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    out: list[Problem] = []
    for name in REQUIRED_COLUMNS:
        if not cell(name):
            out.append(problem(name, "required", row=n, source=source))
    staff_id = staff.get(cell("employee_no")) if cell("employee_no") else None
    if cell("employee_no") and staff_id is None:
        out.append(problem("employee_no", "unknown_staff", row=n, source=source,
                           given=cell("employee_no")))  # fmt: skip
    course = courses.get(cell("course_code")) if cell("course_code") else None
    if cell("course_code") and course is None:
        out.append(problem("course_code", "unknown_course", row=n, source=source,
                           given=cell("course_code")))  # fmt: skip
    day = parse_date(cell("session_date")) if cell("session_date") else None
    if cell("session_date") and day is None:
        out.append(problem("session_date", "not_a_date", row=n, source=source))
    hours = parse_decimal(cell("hours_attended")) if cell("hours_attended") else None
    if cell("hours_attended") and hours is None:
        out.append(problem("hours_attended", "not_a_number", row=n, source=source))
    score: int | None = None
    if cell("exam_score"):
        number = parse_decimal(cell("exam_score"))
        if number is None or number != number.to_integral_value():
            out.append(problem("exam_score", "score_range", row=n, source=source))
        else:
            score = int(number)
    passed: bool | None = None
    if cell("passed"):
        try:
            passed = parse_yes_no(cell("passed"))
        except ValueError:
            out.append(problem("passed", "not_a_yes_no", row=n, source=source))
    out += attendance_problems(course, day, hours, score, today, row=n, source=source)
    if out or staff_id is None or course is None or day is None or hours is None:
        return None, out
    return AttendanceDraft(staff_id, course.id, day, hours, score, passed_of(passed, score)), []


def check_attendance_file(
    rows: Iterable[Mapping[str, str]], *, source: str, staff: Mapping[str, int],
    courses: Mapping[str, CourseFacts], existing: Collection[tuple[int, int, date]], today: date,
    first_row: int = 2,
) -> ImportCheck:  # fmt: skip
    """Check every row of an attendance file (row numbers as a spreadsheet shows them: the header
    is row 1). A row is rejected for any problem, for repeating an attendance already recorded
    (same course, staff member and day), or for repeating an earlier row of the file; the others
    are good."""
    check = ImportCheck()
    seen: dict[tuple[int, int, date], int] = {}
    names = {v: k for k, v in staff.items()}
    codes = {c.id: c.code for c in courses.values()}
    for n, row in enumerate(rows, first_row):
        check.rows += 1
        draft, problems = _row_draft(row, n, source, staff, courses, today)
        if draft is not None:
            key = (draft.course_id, draft.staff_id, draft.session_date)
            if key in existing:
                problems = [problem("session_date", "duplicate_attendance", row=n, source=source,
                                    staff=names[draft.staff_id], course=codes[draft.course_id],
                                    day=draft.session_date.isoformat())]  # fmt: skip
            elif key in seen:
                problems = [problem("session_date", "duplicate_row", row=n, source=source,
                                    other=seen[key])]  # fmt: skip
            else:
                seen[key] = n
                check.good.append((n, draft))
        check.problems.extend(problems)
    return check


@dataclass(frozen=True)
class CourseRule:
    id: int
    code: str
    mandatory_for: tuple[str, ...]


def missing_mandatory(
    role: str, courses: Sequence[CourseRule], taken: Collection[int]
) -> list[str]:
    """Codes of the courses mandatory for ``role`` that the staff member has not passed."""
    return [c.code for c in courses if role in c.mandatory_for and c.id not in taken]


# --- certificates -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificationDraft:
    name: str
    issuer: str
    issued_on: date | None
    expires_on: date | None


def certification_problems(
    d: CertificationDraft, today: date, *, renews: date | None = None
) -> list[Problem]:
    """Name and issuer given, issued no later than today, expiring after the issue date; a
    renewal (``renews``: the current certificate's issue date) issued after the current one."""
    out = text_problems("name", d.name, 100) + text_problems("issuer", d.issuer, 100)
    if d.issued_on is None:
        out.append(problem("issued_on", "required"))
        return out
    if d.issued_on > today:
        out.append(problem("issued_on", "in_future", given=d.issued_on.isoformat()))
    if renews is not None and d.issued_on <= renews:
        out.append(problem("issued_on", "renew_not_later", issued=renews.isoformat()))
    if d.expires_on is not None and d.expires_on <= d.issued_on:
        out.append(problem("expires_on", "expires_before_issue", expires=d.expires_on.isoformat(),
                           issued=d.issued_on.isoformat()))  # fmt: skip
    return out


@dataclass(frozen=True)
class CertFacts:
    id: int
    staff_id: int
    name: str
    issued_on: date
    expires_on: date | None


@dataclass(frozen=True)
class Reminder:
    cert: CertFacts
    days_left: int  # negative once expired

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def current_certificates(certs: Iterable[CertFacts]) -> list[CertFacts]:
    """The latest certificate of each (holder, name): a renewal replaces the one it renews."""
    latest: dict[tuple[int, str], CertFacts] = {}
    for c in certs:
        key = (c.staff_id, c.name)
        held = latest.get(key)
        if held is None or (c.issued_on, c.id) > (held.issued_on, held.id):
            latest[key] = c
    return list(latest.values())


def reminders(certs: Iterable[CertFacts], today: date, notice_days: int) -> list[Reminder]:
    """Current certificates that expired or expire within ``notice_days`` (a certificate whose
    ``expires_on`` is ``today + notice_days`` is in, one day later is out), soonest first."""
    out: list[Reminder] = []
    for c in current_certificates(certs):
        if c.expires_on is None:
            continue
        left = (c.expires_on - today).days
        if left <= notice_days:
            out.append(Reminder(c, left))
    return sorted(out, key=lambda r: (r.days_left, r.cert.staff_id, r.cert.id))
