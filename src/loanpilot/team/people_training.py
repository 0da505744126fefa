"""Training (培训): the course catalogue, attendance (one at a time or imported from CSV), hours
per staff member per period and the mandatory courses not yet passed.

An import keeps every good row and reports every rejected row with its file, row and column; a
file that cannot be read at all (not CSV, missing columns) is refused whole. Services only flush;
the entry point commits. Changes are audited (no personal data)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from loanpilot.kit.errors import ConflictError, ImportFileError, NotFoundError
from loanpilot.kit.periods import Period
from loanpilot.team import people_rules as rules
from loanpilot.team import people_rules_training as trules
from loanpilot.team import repository_people as repo
from loanpilot.team.models import Role, TrainingCourse, TrainingRecord
from loanpilot.team.people import Actor, audit, invalid

KNOWN_ROLES = frozenset(r.value for r in Role)
#: The most rows one import takes (a year of a large bank's sessions).
MAX_IMPORT_ROWS = 100_000


# --- courses --------------------------------------------------------------------------------------------


def get_course(session: Session, course_id: int) -> TrainingCourse:
    found = session.get(TrainingCourse, course_id)
    if found is None:
        raise NotFoundError("course.not_found", f"No course with id {course_id}")
    return found


def save_course(
    session: Session, draft: trules.CourseDraft, *, actor: Actor, now: datetime,
    course_id: int | None = None, extra: Sequence[rules.Problem] = (),
) -> TrainingCourse:  # fmt: skip
    """Create (``course_id`` None) or update a course; every problem reported at once."""
    course = get_course(session, course_id) if course_id is not None else None
    taken = bool(draft.code.strip()) and repo.code_taken(session, draft.code.strip(), course_id)
    problems = [*extra, *trules.course_problems(draft, KNOWN_ROLES, code_taken=taken)]
    invalid("The course is not valid", problems)
    assert draft.hours is not None
    if course is None:
        course = TrainingCourse(code=draft.code.strip())
        session.add(course)
    course.code = draft.code.strip()
    course.title = draft.title.strip()
    course.topic = draft.topic
    course.hours = draft.hours
    course.mandatory_for = list(dict.fromkeys(draft.mandatory_for))
    session.flush()
    audit(session, actor, "team.course_created" if course_id is None else "team.course_updated",
          "training_course", course.id, {"code": course.code, "hours": str(course.hours),
                                         "mandatory_for": course.mandatory_for}, now)  # fmt: skip
    return course


def delete_course(session: Session, course_id: int, *, actor: Actor, now: datetime) -> None:
    """Remove a course nobody attended (one with attendance is kept: 409)."""
    course = get_course(session, course_id)
    if repo.records_of_course(session, course_id):
        raise ConflictError("course.has_attendance",
                            f"Course {course.code} has attendance recorded and cannot be removed")  # fmt: skip
    session.delete(course)
    session.flush()
    audit(session, actor, "team.course_deleted", "training_course", course_id,
          {"code": course.code}, now)  # fmt: skip


# --- attendance -----------------------------------------------------------------------------------------


def _scope_problems(
    check: trules.ImportCheck, staff: dict[str, rules.StaffFacts], actor: Actor, source: str | None
) -> None:
    """Move the good rows of staff outside the actor's branches to the rejected ones."""
    if actor.branch_ids is None:
        return
    by_id = {s.id: s for s in staff.values()}
    kept: list[tuple[int, trules.AttendanceDraft]] = []
    for n, draft in check.good:
        who = by_id[draft.staff_id]
        if rules.in_scope(who.branch_id, actor.branch_ids):
            kept.append((n, draft))
        else:
            check.problems.append(rules.problem("employee_no", "out_of_scope", row=n,
                                                source=source, given=who.employee_no))  # fmt: skip
    check.good = kept


def _check(
    session: Session, rows: Sequence[dict[str, str]], source: str, actor: Actor, today: date
) -> trules.ImportCheck:
    staff = repo.staff_numbers(session)
    wanted = {staff[r["employee_no"].strip()].id for r in rows
              if (r.get("employee_no") or "").strip() in staff}  # fmt: skip
    check = trules.check_attendance_file(
        rows, source=source, staff={k: v.id for k, v in staff.items()},
        courses=repo.course_facts(session), existing=repo.attendance_keys(session, wanted),
        today=today,
    )  # fmt: skip
    _scope_problems(check, staff, actor, source)
    return check


def _write(
    session: Session, good: Sequence[tuple[int, trules.AttendanceDraft]]
) -> list[TrainingRecord]:
    records = [
        TrainingRecord(course_id=d.course_id, staff_id=d.staff_id, session_date=d.session_date,
                       hours_attended=d.hours_attended, exam_score=d.exam_score, passed=d.passed)
        for _, d in good
    ]  # fmt: skip
    session.add_all(records)
    session.flush()
    return records


def record_attendance(
    session: Session, row: dict[str, str], *, actor: Actor, today: date, now: datetime
) -> TrainingRecord:
    """One attendance, given as the import's columns (employee_no, course_code, session_date,
    hours_attended, exam_score, passed); every problem reported at once."""
    check = _check(session, [row], "form", actor, today)
    invalid("The attendance is not valid",
            [trules.replace_loc(p, None, None) for p in check.problems])  # fmt: skip
    (saved,) = _write(session, check.good)
    draft = check.good[0][1]
    audit(session, actor, "team.attendance_recorded", "training_record", saved.id,
          {"course_id": draft.course_id, "staff_id": draft.staff_id,
           "hours": str(draft.hours_attended)}, now)  # fmt: skip
    return saved


@dataclass
class ImportReport:
    source: str
    rows: int
    imported: int
    problems: list[rules.Problem] = field(default_factory=list)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems if p.row is not None})


def read_csv(content: bytes, source: str) -> list[dict[str, str]]:
    """The rows of an attendance CSV (UTF-8, with or without BOM, or GB18030 as Excel saves it in
    China). Refused whole when unreadable, without a header, or missing a required column."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportFileError("import.encoding",
                                  f"{source}: not a UTF-8 or GB18030 text file") from None  # fmt: skip
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if not header:
        raise ImportFileError("import.empty", f"{source}: the file is empty (no header row)")
    missing = [c for c in trules.REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c and c not in trules.ATTENDANCE_COLUMNS]
    if missing or unknown:
        parts = [f"missing column(s) {', '.join(missing)}" if missing else "",
                 f"unknown column(s) {', '.join(unknown)}" if unknown else ""]  # fmt: skip
        raise ImportFileError("import.columns", f"{source}: " + "; ".join(p for p in parts if p)
                              + f" (columns: {', '.join(trules.ATTENDANCE_COLUMNS)})")  # fmt: skip
    reader.fieldnames = header
    rows = [{k: (v or "") for k, v in r.items() if isinstance(k, str)} for r in reader]
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportFileError("import.too_large",
                              f"{source}: {len(rows)} rows, more than {MAX_IMPORT_ROWS}")  # fmt: skip
    return rows


def import_attendance(
    session: Session, content: bytes, source: str, *, actor: Actor, today: date, now: datetime
) -> ImportReport:
    """Import an attendance CSV: the good rows are written, every rejected row reported."""
    rows = read_csv(content, source)
    check = _check(session, rows, source, actor, today)
    _write(session, check.good)
    report = ImportReport(source, check.rows, len(check.good),
                          sorted(check.problems, key=lambda p: (p.row or 0, p.field)))  # fmt: skip
    audit(session, actor, "team.attendance_imported", "training_record", source[:64],
          {"rows": report.rows, "imported": report.imported,
           "rejected": len(report.rejected_rows)}, now)  # fmt: skip
    return report


# --- hours and mandatory courses ------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffHours:
    row: repo.HoursRow
    missing: list[str]  # codes of mandatory courses not yet passed


def hours(
    session: Session, branch_ids: frozenset[int] | None, period: Period,
    staff_id: int | None = None,
) -> list[StaffHours]:  # fmt: skip
    """Hours attended by each active staff member in ``period`` and the mandatory courses of
    their role they had not passed by the period's end."""
    rows = repo.hours_by_staff(session, branch_ids, period.start, period.end, staff_id)
    courses = repo.course_rules(session)
    passed = repo.passed_courses(session, [r.staff_id for r in rows], period.end)
    return [StaffHours(r, trules.missing_mandatory(r.role, courses, passed.get(r.staff_id, set())))
            for r in rows]  # fmt: skip


def total_hours(items: Sequence[StaffHours]) -> Decimal:
    return sum((i.row.hours for i in items), Decimal(0))
