"""Pure rules of the team's people work (营销团队): the problems every part reports, portfolio
reassignment, mentor pairs and job rotations (training and certificates: ``people_rules_training``).

No session, clock or randomness here (house rule 2): ``today``, the records looked up and the
actor's scope are passed in. Every check collects every problem; each problem names its field (and
the file's row for imports) and carries a stable ``code`` (a key of :data:`PROBLEMS`) with the
values its text needs, so a page shows it in the reader's language (``team.problem.<code>``).

Spans (portfolio assignments, mentor pairs, rotations) are half-open: ``end_on`` is the first day
the assignment no longer holds, so a reassignment closes the old one on the day the new one starts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from loanpilot.kit.errors import CodedProblem

#: Roles that look after customers: a portfolio may only be handed to one of them.
CUSTOMER_FACING_ROLES: Final = frozenset(
    {"customer_manager", "senior_customer_manager", "sales_consultant"}
)
REASON_MAX: Final = 200

PROBLEMS: Final[dict[str, str]] = {
    "required": "is required",
    "too_long": "must be at most {max} characters",
    "unknown_staff": "no staff member {given}",
    "unknown_customer": "no customer {given}",
    "target_not_active": "{given} is not an active staff member (status {status})",
    "target_not_customer_facing": "{given} is a {role}, not a customer-facing role",
    "target_out_of_scope": "{given} works outside your branch",
    "source_out_of_scope": "{given} works outside your branch",
    "customer_out_of_scope": "customer {given} is looked after outside your branch",
    "same_manager": "customer {given} is already looked after by {target}",
    "same_person": "the target is the manager the customers are taken from",
    "not_in_portfolio": "customer {given} is not in {manager}'s portfolio",
    "no_customers": "choose at least one customer",
    "portfolio_empty": "{given} has no customers to hand over",
    "duplicate_customer": "customer {given} is given twice",
    "bad_code": "must be 1-32 letters, digits, - or _, starting with a letter or digit",
    "code_taken": "the code {given} is taken by another course",
    "unknown_topic": "unknown topic {given} (allowed: {allowed})",
    "unknown_role": "unknown role {given}",
    "hours_positive": "must be greater than 0",
    "hours_too_large": "must be at most {max} hours",
    "not_a_number": "is not a number",
    "not_a_date": "is not a date (YYYY-MM-DD)",
    "not_a_yes_no": "is not yes or no",
    "unknown_course": "no course {given}",
    "hours_over_course": "{given} hours attended is more than the course's {max} hours",
    "score_range": "the exam score must be a whole number from 0 to 100",
    "in_future": "the date {given} is after today",
    "duplicate_attendance": "{staff} already attended {course} on {day}",
    "duplicate_row": "the same attendance as row {other}",
    "expires_before_issue": "expires on {expires}, before it was issued ({issued})",
    "renew_not_later": "a renewal must be issued after the current certificate ({issued})",
    "same_mentor": "a mentor cannot mentor themselves",
    "mentee_paired": "the mentee already has a mentor from {start} (pair {pair})",
    "same_unit": "the move must be to another org unit",
    "unknown_unit": "no org unit {given}",
    "ends_before_start": "ends on {end}, before it starts ({start})",
    "already_ended": "already ended on {end}",
    "out_of_scope": "{given} works outside your branch",
}


class Problem(CodedProblem):
    """A problem of people (staff, courses, certificates, training): its ``code`` is a key of :data:`PROBLEMS`."""


def problem(
    field: str, code: str, /, *, row: int | None = None, source: str | None = None, **params: object
) -> Problem:
    """The problem ``code`` of ``field`` (at ``row`` of ``source``), its English text filled."""
    return Problem.of(PROBLEMS, field, code, params, row=row, source=source)


def text_problems(field: str, value: str, max_len: int) -> list[Problem]:
    if not value.strip():
        return [problem(field, "required")]
    if len(value) > max_len:
        return [problem(field, "too_long", max=max_len)]
    return []


def in_scope(branch_id: int | None, scope: Collection[int] | None) -> bool:
    """Whether a branch is within the actor's scope (None: the whole bank)."""
    return scope is None or (branch_id is not None and branch_id in scope)


# --- portfolios -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffFacts:
    id: int
    employee_no: str
    name: str
    role: str
    status: str
    branch_id: int


@dataclass(frozen=True)
class CustomerFacts:
    id: int
    customer_no: str
    manager_id: int | None
    home_branch_id: int | None


@dataclass(frozen=True)
class CustomerPick:
    """One customer asked for: what was given (customer no or id), what it resolved to, and the
    file row it came from (for ``--customers FILE``)."""

    given: str
    found: CustomerFacts | None
    row: int | None = None


@dataclass(frozen=True)
class Reassignment:
    """A hand-over asked for. ``source`` is the manager giving up customers (required for a whole
    portfolio; when None, each picked customer leaves their own current manager). ``target_given``
    and ``source_given`` are what was typed, for messages. ``scope`` is the actor's branches (None:
    the whole bank)."""

    target: StaffFacts | None
    target_given: str
    source: StaffFacts | None
    source_given: str
    picks: tuple[CustomerPick, ...]
    whole_portfolio: bool
    reason: str
    scope: frozenset[int] | None
    source_file: str | None = None


def reassignment_problems(r: Reassignment, managers: Mapping[int, StaffFacts]) -> list[Problem]:
    """Every reason the hand-over cannot be made. ``managers`` are the current managers of the
    picked customers (by id), for the scope check of a per-customer hand-over."""
    out = text_problems("reason", r.reason, REASON_MAX)
    target = r.target
    if target is None:
        out.append(problem("to_staff", "required" if not r.target_given.strip() else
                           "unknown_staff", given=r.target_given))  # fmt: skip
    else:
        who = f"{target.employee_no} {target.name}"
        if target.status != "active":
            out.append(problem("to_staff", "target_not_active", given=who, status=target.status))
        if target.role not in CUSTOMER_FACING_ROLES:
            out.append(problem("to_staff", "target_not_customer_facing", given=who,
                               role=target.role))  # fmt: skip
        if not in_scope(target.branch_id, r.scope):
            out.append(problem("to_staff", "target_out_of_scope", given=who))
    source = r.source
    if source is None and (r.source_given.strip() or r.whole_portfolio):
        code = "unknown_staff" if r.source_given.strip() else "required"
        out.append(problem("from_staff", code, given=r.source_given))
    if source is not None:
        if not in_scope(source.branch_id, r.scope):
            out.append(problem("from_staff", "source_out_of_scope",
                               given=f"{source.employee_no} {source.name}"))  # fmt: skip
        if target is not None and target.id == source.id:
            out.append(problem("to_staff", "same_person"))
    out.extend(_pick_problems(r, managers))
    return out


def _pick_problems(r: Reassignment, managers: Mapping[int, StaffFacts]) -> list[Problem]:
    out: list[Problem] = []
    src = r.source_file
    if not r.picks:
        if r.whole_portfolio and r.source is not None:
            out.append(problem("customers", "portfolio_empty", given=r.source.employee_no))
        elif not r.whole_portfolio:
            out.append(problem("customers", "no_customers"))
        return out
    seen: set[int] = set()
    for pick in r.picks:
        field = "customer" if pick.row is not None else "customers"
        c = pick.found
        if c is None:
            out.append(problem(field, "unknown_customer", row=pick.row, source=src,
                               given=pick.given))  # fmt: skip
            continue
        if c.id in seen:
            out.append(problem(field, "duplicate_customer", row=pick.row, source=src,
                               given=c.customer_no))  # fmt: skip
            continue
        seen.add(c.id)
        if r.source is not None and c.manager_id != r.source.id:
            out.append(problem(field, "not_in_portfolio", row=pick.row, source=src,
                               given=c.customer_no, manager=r.source.employee_no))  # fmt: skip
            continue
        if (
            r.target is not None
            and c.manager_id == r.target.id
            and (r.source is None or r.source.id != r.target.id)
        ):
            out.append(problem(field, "same_manager", row=pick.row, source=src,
                               given=c.customer_no, target=r.target.employee_no))  # fmt: skip
            continue
        if r.source is None and r.scope is not None:
            current = managers.get(c.manager_id) if c.manager_id is not None else None
            branch = current.branch_id if current is not None else c.home_branch_id
            if not in_scope(branch, r.scope):
                out.append(problem(field, "customer_out_of_scope", row=pick.row, source=src,
                                   given=c.customer_no))  # fmt: skip
    return out


# --- mentor pairs and rotations ---------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    id: int
    start_on: date
    end_on: date | None  # the first day it no longer holds; None while open


def overlaps(a_start: date, a_end: date | None, b: Span) -> bool:
    """Whether [a_start, a_end) and [b.start_on, b.end_on) share a day (None: open-ended)."""
    return (b.end_on is None or a_start < b.end_on) and (a_end is None or b.start_on < a_end)


def span_problems(start_on: date | None, end_on: date | None) -> list[Problem]:
    if start_on is None:
        return [problem("start_on", "required")]
    if end_on is not None and end_on < start_on:
        return [problem("end_on", "ends_before_start", end=end_on.isoformat(),
                        start=start_on.isoformat())]  # fmt: skip
    return []


def mentor_pair_problems(
    mentor_id: int | None, mentee_id: int | None, start_on: date | None, end_on: date | None,
    mentee_pairs: Sequence[Span],
) -> list[Problem]:  # fmt: skip
    """Mentor and mentee given and different, end ≥ start, and no other pair of the mentee
    overlapping this one."""
    out: list[Problem] = []
    if mentor_id is None:
        out.append(problem("mentor", "required"))
    if mentee_id is None:
        out.append(problem("mentee", "required"))
    if mentor_id is not None and mentor_id == mentee_id:
        out.append(problem("mentee", "same_mentor"))
    spans = span_problems(start_on, end_on)
    out += spans
    if start_on is not None and not spans:
        for other in mentee_pairs:
            if overlaps(start_on, end_on, other):
                out.append(problem("mentee", "mentee_paired", start=other.start_on.isoformat(),
                                   pair=other.id))  # fmt: skip
                break
    return out


def rotation_problems(
    staff_id: int | None, from_unit: int | None, to_unit: int | None, start_on: date | None,
    end_on: date | None,
) -> list[Problem]:  # fmt: skip
    """Staff member and target unit given, the target another unit, end ≥ start."""
    out: list[Problem] = []
    if staff_id is None:
        out.append(problem("staff", "required"))
    if to_unit is None:
        out.append(problem("to_org_unit", "required"))
    elif from_unit is not None and from_unit == to_unit:
        out.append(problem("to_org_unit", "same_unit"))
    return out + span_problems(start_on, end_on)


def end_problems(start_on: date, ended_on: date | None, end_on: date | None) -> list[Problem]:
    """Ending a pair or rotation: not already ended, on or after its start."""
    if ended_on is not None:
        return [problem("end_on", "already_ended", end=ended_on.isoformat())]
    if end_on is None:
        return [problem("end_on", "required")]
    return span_problems(start_on, end_on)
