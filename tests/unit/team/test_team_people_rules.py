"""The team's pure people rules: hand-over checks, courses, the attendance file's row checks,
certificate reminders (the window's edges), mentor pairs and rotations."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from loanpilot.team import people_rules as rules
from loanpilot.team import people_rules_training as trules

TODAY = date(2026, 11, 29)
CM = rules.StaffFacts(1, "E001", "张三", "customer_manager", "active", 10)
CM2 = rules.StaffFacts(2, "E002", "李四", "customer_manager", "active", 10)
FAR = rules.StaffFacts(3, "E003", "王五", "customer_manager", "active", 20)
LEFT = rules.StaffFacts(4, "E004", "赵六", "customer_manager", "left", 10)
RISK = rules.StaffFacts(5, "E005", "钱七", "risk_officer", "active", 10)


def _customer(i: int, manager: int | None = 1, branch: int = 10) -> rules.CustomerPick:
    return rules.CustomerPick(f"C{i}", rules.CustomerFacts(i, f"C{i}", manager, branch))


def _codes(problems: list[rules.Problem]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in problems]


def _handover(**kw: object) -> rules.Reassignment:
    values: dict[str, object] = {
        "target": CM2, "target_given": "E002", "source": CM, "source_given": "E001",
        "picks": (_customer(1),), "whole_portfolio": False, "reason": "离职交接", "scope": None,
    }  # fmt: skip
    values.update(kw)
    return rules.Reassignment(**values)  # type: ignore[arg-type]


def test_a_good_handover_has_no_problems() -> None:
    assert rules.reassignment_problems(_handover(), {}) == []


def test_every_problem_of_a_handover_is_reported_at_once() -> None:
    problems = rules.reassignment_problems(
        _handover(target=LEFT, reason=" ", picks=(_customer(1), _customer(2, manager=3))), {}
    )
    assert _codes(problems) == [
        ("reason", "required"),
        ("to_staff", "target_not_active"),
        ("customers", "not_in_portfolio"),
    ]


def test_target_must_be_customer_facing_another_person_and_known() -> None:
    assert ("to_staff", "target_not_customer_facing") in _codes(
        rules.reassignment_problems(_handover(target=RISK), {})
    )
    assert ("to_staff", "same_person") in _codes(
        rules.reassignment_problems(_handover(target=CM), {})
    )
    assert _codes(rules.reassignment_problems(_handover(target=None, target_given="E999"), {})) == [
        ("to_staff", "unknown_staff")
    ]


def test_a_branch_head_stays_within_their_branches() -> None:
    scope = frozenset({10, 11})
    assert rules.reassignment_problems(_handover(scope=scope), {}) == []
    out = rules.reassignment_problems(_handover(scope=scope, target=FAR), {})
    assert _codes(out) == [("to_staff", "target_out_of_scope")]
    out = rules.reassignment_problems(
        _handover(scope=scope, source=FAR, picks=(_customer(1, manager=3),)), {}
    )
    assert _codes(out) == [("from_staff", "source_out_of_scope")]
    # without a source, each customer's own manager must be in scope
    picks = (_customer(1, manager=3, branch=20),)
    out = rules.reassignment_problems(_handover(scope=scope, source=None, source_given="",
                                                picks=picks), {3: FAR})  # fmt: skip
    assert _codes(out) == [("customers", "customer_out_of_scope")]


def test_customers_given_in_a_file_name_their_row() -> None:
    picks = (
        rules.CustomerPick("C1", rules.CustomerFacts(1, "C1", 1, 10), row=2),
        rules.CustomerPick("NOPE", None, row=3),
        rules.CustomerPick("C1", rules.CustomerFacts(1, "C1", 1, 10), row=4),
    )
    out = rules.reassignment_problems(_handover(picks=picks, source_file="list.csv"), {})
    assert [(p.row, p.field, p.code, p.source) for p in out] == [
        (3, "customer", "unknown_customer", "list.csv"),
        (4, "customer", "duplicate_customer", "list.csv"),
    ]


def test_a_whole_portfolio_needs_a_manager_with_customers() -> None:
    out = rules.reassignment_problems(_handover(picks=(), whole_portfolio=True), {})
    assert _codes(out) == [("customers", "portfolio_empty")]
    out = rules.reassignment_problems(_handover(picks=(), whole_portfolio=False), {})
    assert _codes(out) == [("customers", "no_customers")]
    out = rules.reassignment_problems(
        _handover(source=None, source_given="", picks=(), whole_portfolio=True), {}
    )
    assert _codes(out) == [("from_staff", "required")]


def test_course_rules() -> None:
    good = trules.CourseDraft("TR-X-01", "课程", "product", Decimal("4"), ("customer_manager",))
    assert trules.course_problems(good, {"customer_manager"}) == []
    bad = trules.CourseDraft("bad code!", "", "cooking", Decimal("0"), ("pilot",))
    assert _codes(trules.course_problems(bad, {"customer_manager"})) == [
        ("code", "bad_code"), ("title", "required"), ("topic", "unknown_topic"),
        ("hours", "hours_positive"), ("mandatory_for", "unknown_role"),
    ]  # fmt: skip
    assert _codes(trules.course_problems(good, set(), code_taken=True))[0] == ("code", "code_taken")
    too_long = trules.CourseDraft("A", "t", "risk", Decimal("1000.5"))
    assert _codes(trules.course_problems(too_long, set())) == [("hours", "hours_too_large")]


COURSES = {"TR-1": trules.CourseFacts(1, "TR-1", Decimal("4")),
           "TR-2": trules.CourseFacts(2, "TR-2", Decimal("2"))}  # fmt: skip
STAFF = {"E001": 1, "E002": 2}


def _row(**kw: str) -> dict[str, str]:
    row = {"employee_no": "E001", "course_code": "TR-1", "session_date": "2026-11-02",
           "hours_attended": "4", "exam_score": "", "passed": ""}  # fmt: skip
    row.update(kw)
    return row


def test_the_attendance_file_keeps_good_rows_and_reports_every_rejected_one() -> None:
    rows = [
        _row(exam_score="88"),  # row 2: good, passed by score
        _row(exam_score="88"),  # row 3: repeats row 2
        # row 4: six problems
        _row(
            employee_no="E999",
            course_code="TR-9",
            hours_attended="x",
            exam_score="101",
            passed="maybe",
            session_date="2026-02-30",
        ),
        _row(employee_no="E002", course_code="TR-2", hours_attended="2.5"),  # row 5: over 2 hours
        _row(employee_no="E002", exam_score="59"),  # row 6: good, failed by score
        _row(employee_no="E002", session_date="2026-11-30"),  # row 7: in the future
        _row(employee_no="", passed="yes", session_date="2026-10-01"),  # row 8: no employee
        _row(session_date="2026-11-03"),  # row 9: already recorded
    ]
    check = trules.check_attendance_file(
        rows, source="a.csv", staff=STAFF, courses=COURSES,
        existing={(1, 1, date(2026, 11, 3))}, today=TODAY,
    )  # fmt: skip
    assert check.rows == 8
    assert [n for n, _ in check.good] == [2, 6]
    assert check.good[0][1].passed is True
    assert check.good[1][1].passed is False
    assert check.rejected_rows == [3, 4, 5, 7, 8, 9]
    found = {(p.row, p.field, p.code) for p in check.problems}
    assert {(4, "employee_no", "unknown_staff"), (4, "course_code", "unknown_course"),
            (4, "hours_attended", "not_a_number"), (4, "exam_score", "score_range"),
            (4, "passed", "not_a_yes_no"), (4, "session_date", "not_a_date")} <= found  # fmt: skip
    assert (3, "session_date", "duplicate_row") in found
    assert (5, "hours_attended", "hours_over_course") in found
    assert (7, "session_date", "in_future") in found
    assert (8, "employee_no", "required") in found
    assert (9, "session_date", "duplicate_attendance") in found
    assert all(p.source == "a.csv" for p in check.problems)


def test_missing_mandatory_courses() -> None:
    courses = [trules.CourseRule(1, "TR-1", ("customer_manager",)),
               trules.CourseRule(2, "TR-2", ("customer_manager", "risk_officer")),
               trules.CourseRule(3, "TR-3", ())]  # fmt: skip
    assert trules.missing_mandatory("customer_manager", courses, {2}) == ["TR-1"]
    assert trules.missing_mandatory("risk_officer", courses, set()) == ["TR-2"]
    assert trules.missing_mandatory("auditor", courses, set()) == []


def _cert(i: int, expires: date | None, *, issued: date = date(2024, 1, 1), name: str = "AFP",
          staff: int = 1) -> trules.CertFacts:  # fmt: skip
    return trules.CertFacts(i, staff, name, issued, expires)


def test_reminders_window_day_60_in_day_61_out_and_expired() -> None:
    certs = [
        _cert(1, TODAY + timedelta(days=60), name="in"),
        _cert(2, TODAY + timedelta(days=61), name="out"),
        _cert(3, TODAY, name="today"),
        _cert(4, TODAY - timedelta(days=1), name="expired"),
        _cert(5, None, name="never"),
    ]
    due = trules.reminders(certs, TODAY, 60)
    assert [(r.cert.id, r.days_left, r.expired) for r in due] == [
        (4, -1, True), (3, 0, False), (1, 60, False)
    ]  # fmt: skip


def test_a_renewal_silences_the_reminder_of_the_certificate_it_renews() -> None:
    old = _cert(1, TODAY + timedelta(days=10), issued=date(2024, 12, 1))
    new = _cert(2, TODAY + timedelta(days=740), issued=TODAY)
    assert trules.reminders([old, new], TODAY, 60) == []
    assert [c.id for c in trules.current_certificates([old, new])] == [2]
    other_holder = _cert(3, TODAY + timedelta(days=10), staff=2)
    assert [r.cert.id for r in trules.reminders([old, new, other_holder], TODAY, 60)] == [3]


@given(st.integers(-400, 400), st.integers(1, 365))
def test_a_certificate_is_reminded_exactly_when_within_the_window(left: int, notice: int) -> None:
    due = trules.reminders([_cert(1, TODAY + timedelta(days=left))], TODAY, notice)
    assert bool(due) == (left <= notice)
    if due:
        assert due[0].days_left == left
        assert due[0].expired == (left < 0)


def test_certification_rules() -> None:
    ok = trules.CertificationDraft("AFP", "FPSB", date(2026, 1, 1), date(2028, 1, 1))
    assert trules.certification_problems(ok, TODAY) == []
    bad = trules.CertificationDraft("", "", date(2026, 12, 1), date(2026, 11, 1))
    assert _codes(trules.certification_problems(bad, TODAY)) == [
        ("name", "required"), ("issuer", "required"), ("issued_on", "in_future"),
        ("expires_on", "expires_before_issue"),
    ]  # fmt: skip
    assert _codes(trules.certification_problems(ok, TODAY, renews=date(2026, 1, 1))) == [
        ("issued_on", "renew_not_later")
    ]


def test_mentor_pairs_are_two_people_and_do_not_overlap_for_a_mentee() -> None:
    d = date(2026, 6, 1)
    assert rules.mentor_pair_problems(1, 2, d, None, []) == []
    assert _codes(rules.mentor_pair_problems(1, 1, d, None, [])) == [("mentee", "same_mentor")]
    closed = rules.Span(7, date(2026, 1, 1), date(2026, 6, 1))
    assert rules.mentor_pair_problems(1, 2, d, None, [closed]) == []  # starts the day it ended
    still_open = rules.Span(8, date(2026, 1, 1), None)
    out = rules.mentor_pair_problems(1, 2, d, None, [still_open])
    assert _codes(out) == [("mentee", "mentee_paired")]
    later = rules.Span(9, date(2026, 9, 1), None)
    assert rules.mentor_pair_problems(1, 2, d, date(2026, 9, 1), [later]) == []
    assert _codes(rules.mentor_pair_problems(1, 2, d, date(2026, 9, 2), [later])) == [
        ("mentee", "mentee_paired")
    ]
    assert _codes(rules.mentor_pair_problems(1, 2, d, date(2026, 5, 31), [])) == [
        ("end_on", "ends_before_start")
    ]


def test_rotations_move_to_another_unit_and_end_after_they_start() -> None:
    d = date(2026, 6, 1)
    assert rules.rotation_problems(1, 3, 4, d, None) == []
    assert rules.rotation_problems(1, None, 4, d, d) == []
    assert _codes(rules.rotation_problems(1, 4, 4, d, date(2026, 5, 1))) == [
        ("to_org_unit", "same_unit"), ("end_on", "ends_before_start")
    ]  # fmt: skip
    assert _codes(rules.rotation_problems(None, None, None, None, None)) == [
        ("staff", "required"), ("to_org_unit", "required"), ("start_on", "required")
    ]  # fmt: skip
    assert _codes(rules.end_problems(d, date(2026, 7, 1), d)) == [("end_on", "already_ended")]
    assert _codes(rules.end_problems(d, None, date(2026, 5, 1))) == [
        ("end_on", "ends_before_start")
    ]
