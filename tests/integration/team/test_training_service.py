"""Training, certificates, mentor pairs and rotations on the small hand-built bank (both
backends): the attendance import keeps good rows and reports every rejected one, hours per period
(a known answer across the quarter's edges), mandatory courses missing, reminder window edges,
mentor and rotation validation, and courses that keep their attendance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.team import test_team_bank as shared
from tests.integration.team.test_team_bank import Bank, branch_head

from loanpilot.db.session import transaction
from loanpilot.kit.errors import ConflictError, ValidationError
from loanpilot.kit.periods import parse_period
from loanpilot.team import people, people_development, people_training
from loanpilot.team import people_rules_training as trules
from loanpilot.team.models import Certification, OrgUnit, OrgUnitKind, TrainingRecord

team_url, team_db, bank = shared.team_url, shared.team_db, shared.bank  # the fixtures
TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
CLI = people.CLI_ACTOR


def _courses(s: Session, bank: Bank) -> tuple[int, int]:
    """Course A (4 h, mandatory for customer managers) and B (2 h, mandatory for customer
    managers and sales consultants)."""
    a = people_training.save_course(s, trules.CourseDraft(f"{bank.prefix}A", "产品知识", "product",
                                    Decimal(4), ("customer_manager",)), actor=CLI, now=NOW)  # fmt: skip
    b = people_training.save_course(s, trules.CourseDraft(
        f"{bank.prefix}B", "合规", "compliance", Decimal(2),
        ("customer_manager", "sales_consultant")), actor=CLI, now=NOW)  # fmt: skip
    return a.id, b.id


def _scope(bank: Bank) -> frozenset[int]:
    return frozenset({bank.branches["A"], bank.branches["A1"]})


def test_import_keeps_good_rows_and_reports_every_rejected_row(
    team_db: sessionmaker[Session], bank: Bank
) -> None:
    p = bank.prefix
    with transaction(team_db) as s:
        _courses(s, bank)
    csv_text = (
        "employee_no,course_code,session_date,hours_attended,exam_score,passed\n"
        f"{p}E001,{p}A,2026-11-02,4,88,\n"  # 2 good
        f"{p}E001,{p}A,2026-11-02,4,88,\n"  # 3 repeats row 2
        f"{p}E999,{p}A,2026-11-02,4,,\n"  # 4 unknown staff
        f"{p}E004,{p}B,2026-11-03,3,,\n"  # 5 over the course's 2 hours
        f"{p}E004,{p}B,2026-11-03,2,105,否\n"  # 6 score out of range
        f"{p}E002,{p}B,2026-11-04,1.5,,是\n"  # 7 good
        f"{p}E003,{p}B,2026-11-04,2,,\n"  # 8 good for the CLI, not for a branch-A head
    )
    with transaction(team_db) as s:
        report = people_training.import_attendance(
            s, csv_text.encode("utf-8-sig"), "att.csv", actor=people.Actor.of(branch_head(bank), None),
            today=TODAY, now=NOW)  # fmt: skip
    assert (report.rows, report.imported) == (7, 2)
    assert report.rejected_rows == [3, 4, 5, 6, 8]
    assert [(x.row, x.field, x.code) for x in report.problems] == [
        (3, "session_date", "duplicate_row"),
        (4, "employee_no", "unknown_staff"),
        (5, "hours_attended", "hours_over_course"),
        (6, "exam_score", "score_range"),
        (8, "employee_no", "out_of_scope"),
    ]
    assert {x.source for x in report.problems} == {"att.csv"}
    with team_db() as s:
        kept = s.execute(select(TrainingRecord.staff_id, TrainingRecord.hours_attended,
                                TrainingRecord.passed).where(TrainingRecord.staff_id.in_(
                                    [bank.staff["E001"], bank.staff["E002"]]))).all()  # fmt: skip
    assert sorted((a, Decimal(b), c) for a, b, c in kept) == [
        (bank.staff["E001"], Decimal(4), True), (bank.staff["E002"], Decimal("1.5"), True)
    ]  # fmt: skip
    # the same file again: every row is now a repeat or still wrong, nothing more is written
    with transaction(team_db) as s:
        again = people_training.import_attendance(
            s, csv_text.encode(), "att.csv", actor=CLI, today=TODAY, now=NOW)  # fmt: skip
    assert (again.imported, len(again.rejected_rows)) == (1, 6)  # only row 8 (CLI: whole bank)


def test_an_unreadable_file_is_refused_whole(team_db: sessionmaker[Session]) -> None:
    with pytest.raises(Exception, match="missing column"), transaction(team_db) as s:
        people_training.import_attendance(s, b"employee_no,course\nE1,A\n", "x.csv", actor=CLI,
                                          today=TODAY, now=NOW)  # fmt: skip
    with pytest.raises(Exception, match="empty"), transaction(team_db) as s:
        people_training.import_attendance(s, b"", "x.csv", actor=CLI, today=TODAY, now=NOW)


def test_hours_per_period_known_answer_and_mandatory_courses_missing(
    team_db: sessionmaker[Session], bank: Bank
) -> None:
    with transaction(team_db) as s:
        a, b = _courses(s, bank)
        e1, e4 = bank.staff["E001"], bank.staff["E004"]
        s.add_all([
            TrainingRecord(course_id=a, staff_id=e1, session_date=date(2026, 9, 30),
                           hours_attended=Decimal(4), passed=True),  # Q3
            TrainingRecord(course_id=a, staff_id=e1, session_date=date(2026, 10, 1),
                           hours_attended=Decimal(4), exam_score=90, passed=True),
            TrainingRecord(course_id=b, staff_id=e1, session_date=date(2026, 12, 31),
                           hours_attended=Decimal("1.5"), exam_score=50, passed=False),
            TrainingRecord(course_id=b, staff_id=e1, session_date=date(2027, 1, 1),
                           hours_attended=Decimal(2), passed=True),  # Q1 next year
            TrainingRecord(course_id=b, staff_id=e4, session_date=date(2026, 7, 1),
                           hours_attended=Decimal(2), passed=True),
        ])  # fmt: skip

    def ours(codes: list[str]) -> list[str]:
        return [c for c in codes if c.startswith(bank.prefix)]

    with team_db() as s:
        items = {i.row.employee_no: i for i in people_training.hours(s, _scope(bank),
                                                                      parse_period("2026Q4"))}  # fmt: skip
        q3 = {i.row.employee_no: i for i in people_training.hours(s, _scope(bank),
                                                                   parse_period("2026Q3"))}  # fmt: skip
    # active staff of branch A and A1 (E005 left; E003 works in branch B)
    assert set(items) == {bank.e(n) for n in ("E001", "E002", "E004", "E006", "E007")}
    e1_q4 = items[bank.e("E001")]
    assert (e1_q4.row.sessions, e1_q4.row.hours) == (2, Decimal("5.5"))
    assert ours(e1_q4.missing) == [
        f"{bank.prefix}B"
    ]  # B was failed in Q4 (and passed only in 2027)
    assert (q3[bank.e("E001")].row.hours, q3[bank.e("E004")].row.hours) == (Decimal(4), Decimal(2))
    assert ours(items[bank.e("E004")].missing) == []  # sales consultant: B passed in July
    assert ours(items[bank.e("E002")].missing) == []  # a senior customer manager: not mandatory
    assert ours(items[bank.e("E006")].missing) == []  # risk officer: neither course is mandatory
    assert people_training.total_hours(list(items.values())) == Decimal("5.5")


def test_reminders_window_edges_renewal_and_leavers(
    team_db: sessionmaker[Session], bank: Bank
) -> None:
    day = timedelta(days=1)
    with transaction(team_db) as s:

        def cert(no: str, issued: date, expires: date | None, name: str = "AFP") -> Certification:
            c = Certification(staff_id=bank.staff[no], name=name, issuer="FPSB",
                              issued_on=issued, expires_on=expires)  # fmt: skip
            s.add(c)
            return c

        cert("E001", date(2024, 1, 28), TODAY + 60 * day)  # in: day 60
        cert("E002", date(2024, 1, 29), TODAY + 61 * day)  # out: day 61
        old = cert("E004", date(2024, 11, 28), TODAY - day)  # expired yesterday...
        cert("E006", date(2024, 11, 28), TODAY - day)  # expired, not renewed
        cert("E005", date(2024, 11, 28), TODAY)  # the holder left the bank
        cert("E001", date(2020, 1, 1), None, name="银行从业资格")  # never expires
        s.flush()
        people_development.renew_certification(s, old.id, TODAY, TODAY + 730 * day, actor=CLI,
                                               today=TODAY, now=NOW)  # ...and renewed today  # fmt: skip
    with team_db() as s:
        due = people_development.reminders(s, _scope(bank), TODAY, 60)
        mine = people_development.reminders(s, None, TODAY, 60, bank.staff["E001"])
    assert [(r.cert.employee_no, r.reminder.days_left, r.reminder.expired) for r in due] == [
        (bank.e("E006"), -1, True), (bank.e("E001"), 60, False)
    ]  # fmt: skip
    assert [r.cert.employee_no for r in mine] == [bank.e("E001")]
    with pytest.raises(ValidationError) as caught, transaction(team_db) as s:
        people_development.renew_certification(s, old.id, TODAY - 400 * day, TODAY - 500 * day,
                                               actor=CLI, today=TODAY, now=NOW)  # fmt: skip
    assert [p.code for p in caught.value.problems] == ["renew_not_later", "expires_before_issue"]


def test_mentor_pairs(team_db: sessionmaker[Session], bank: Bank) -> None:
    e = bank.e
    with transaction(team_db) as s:
        pair = people_development.add_mentor_pair(s, e("E002"), e("E001"), date(2026, 6, 1), None,
                                                  actor=CLI, now=NOW)  # fmt: skip

    def refused(mentor: str, mentee: str, start: date, actor: people.Actor = CLI) -> list[str]:
        with pytest.raises(ValidationError) as caught, transaction(team_db) as s:
            people_development.add_mentor_pair(s, mentor, mentee, start, None, actor=actor,
                                               now=NOW)  # fmt: skip
        return [f"{p.field}:{p.code}" for p in caught.value.problems]

    assert refused(e("E004"), e("E001"), date(2026, 7, 1)) == ["mentee:mentee_paired"]
    assert refused(e("E004"), e("E004"), date(2026, 7, 1)) == ["mentee:same_mentor"]
    head = people.Actor.of(branch_head(bank), None)
    assert refused(e("E001"), e("E003"), date(2026, 7, 1), head) == ["mentee:out_of_scope"]
    with pytest.raises(ValidationError), transaction(team_db) as s:
        people_development.end_mentor_pair(s, pair.id, date(2026, 5, 31), actor=CLI, now=NOW)
    with transaction(team_db) as s:
        people_development.end_mentor_pair(s, pair.id, date(2026, 9, 1), actor=CLI, now=NOW)
    with pytest.raises(ConflictError), transaction(team_db) as s:
        people_development.end_mentor_pair(s, pair.id, date(2026, 9, 2), actor=CLI, now=NOW)
    with transaction(team_db) as s:  # a new mentor from the day the first pair ended
        people_development.add_mentor_pair(s, e("E004"), e("E001"), date(2026, 9, 1), None,
                                           actor=CLI, now=NOW)  # fmt: skip


def test_rotations(team_db: sessionmaker[Session], bank: Bank) -> None:
    with transaction(team_db) as s:
        units = [OrgUnit(code=f"{bank.prefix}U{i}", name=f"团队{i}", kind=OrgUnitKind.SALES_TEAM,
                         branch_id=bank.branches["A"]) for i in (1, 2)]  # fmt: skip
        s.add_all(units)
        s.flush()
        u1, u2 = units[0].id, units[1].id
    with pytest.raises(ValidationError) as caught, transaction(team_db) as s:
        people_development.add_rotation(s, bank.e("E001"), u1, u1, date(2026, 6, 1),
                                        date(2026, 5, 1), actor=CLI, now=NOW)  # fmt: skip
    assert [(p.field, p.code) for p in caught.value.problems] == [
        ("to_org_unit", "same_unit"), ("end_on", "ends_before_start")
    ]  # fmt: skip
    with pytest.raises(ValidationError) as caught, transaction(team_db) as s:
        people_development.add_rotation(s, "", u1, 2**40, None, None, actor=CLI, now=NOW)
    assert [(p.field, p.code) for p in caught.value.problems] == [
        ("staff", "required"), ("to_org_unit", "unknown_unit"), ("start_on", "required")
    ]  # fmt: skip
    with transaction(team_db) as s:
        rotation = people_development.add_rotation(s, bank.e("E001"), u1, u2, date(2026, 6, 1),
                                                   None, actor=CLI, now=NOW)  # fmt: skip
    with transaction(team_db) as s:
        ended = people_development.end_rotation(s, rotation.id, date(2026, 6, 1), actor=CLI,
                                                now=NOW)  # fmt: skip
    assert ended.end_on == date(2026, 6, 1)


def test_courses_keep_their_attendance(team_db: sessionmaker[Session], bank: Bank) -> None:
    with transaction(team_db) as s:
        a, b = _courses(s, bank)
        s.add(TrainingRecord(course_id=a, staff_id=bank.staff["E001"],
                             session_date=date(2026, 11, 2), hours_attended=Decimal(4)))  # fmt: skip
    with pytest.raises(ValidationError) as caught, transaction(team_db) as s:
        people_training.save_course(s, trules.CourseDraft(f"{bank.prefix}A", "改名", "product",
                                    Decimal(4)), actor=CLI, now=NOW, course_id=b)  # fmt: skip
    assert [p.code for p in caught.value.problems] == ["code_taken"]
    with pytest.raises(ConflictError), transaction(team_db) as s:
        people_training.delete_course(s, a, actor=CLI, now=NOW)
    with transaction(team_db) as s:
        people_training.delete_course(s, b, actor=CLI, now=NOW)
