"""Post-loan monitoring: the monthly behavioural score, purpose-of-funds checks sampled by risk,
periodic reviews of large loans, and completing a task with its finding.

The daily close runs ``after_close``; every part is idempotent for one business date:

- **behavioural scores** (``risk.behaviour``) are computed for every repaying loan that has no
  score for the month yet: on the first close of a month that is the whole book, later only loans
  disbursed since. Inputs are SQL aggregates (current DPD, max DPD over the last 6 and 12 months of
  snapshots, months since the last delinquent snapshot, the share of instalments paid late,
  outstanding / principal, months on book); the score is one vectorised call; rows are bulk inserted.
- **purpose-of-funds checks**: loans disbursed in the last ``NEW_LOAN_DAYS`` days without a check
  are drawn with ``behaviour.sampled`` (probability rising with the PD of their decision and the
  amount; every loan of ¥1,000,000 or more) with the seed of their disbursement day, so a rerun or
  a later close draws the same numbers and creates nothing new. Due ``CHECK_DUE_DAYS`` after
  disbursement, assigned to the loan's manager.
- **large-loan reviews**: loans of ¥1,000,000 or more are reviewed every 6 months from
  disbursement; the task is created ``REVIEW_LEAD_DAYS`` before it is due.

Completing a task records the finding and a note (audited); a ``misuse`` finding raises an alert.
Given a ``viewer``, a task outside that staff member's scope (``repository_warnings.task_scope``:
a branch head's branches' loans, a customer manager's own tasks) is refused.
Services flush; the caller commits.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy.orm import Session

from loanpilot.access.rules import Principal
from loanpilot.audit.service import record
from loanpilot.kit.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from loanpilot.lending.models import Loan
from loanpilot.risk import behaviour, warnings
from loanpilot.risk import repository_behaviour as behaviour_repo
from loanpilot.risk import repository_warnings as repo
from loanpilot.risk import warning_rules as wr
from loanpilot.risk.models_post import MonitoringTask, TaskKind, TaskStatus
from loanpilot.team.models import Role

NEW_LOAN_DAYS = 7
CHECK_DUE_DAYS = 30
REVIEW_LEAD_DAYS = 30
DEFAULT_PD = Decimal("0.05")  # a loan whose decision gave no PD (migrated, manual)
MISUSE_RULE = "purpose_misuse"


def _months_between(first: date, last: date) -> int:
    return max(0, (last.year - first.year) * 12 + last.month - first.month - (last.day < first.day))


def _months_between_many(first: np.ndarray, last: date) -> np.ndarray:
    """``_months_between`` of each day of ``first`` (datetime64[D]) and ``last``."""
    month = first.astype("M8[M]")
    day = (first - month.astype("M8[D]")).astype(np.int64) + 1
    whole = (np.datetime64(last, "M") - month).astype(np.int64) - (last.day < day)
    return np.asarray(np.maximum(whole, 0), dtype=np.int64)


def refresh_behaviour_scores(session: Session, as_of: date) -> int:
    """Score every repaying loan without a score for ``as_of``'s month; how many were scored.
    The inputs are read for those loans only (three aggregate queries), scored in one call and
    bulk inserted."""
    month = as_of.replace(day=1)
    cols = behaviour_repo.behaviour_inputs(
        session, month, as_of, behaviour.add_months(as_of, -6), behaviour.add_months(as_of, -12)
    )
    if not len(cols["loan_id"]):
        return 0
    dpd = cols["dpd"]
    max6 = np.maximum(dpd, cols["max6"])
    max12 = np.maximum(max6, cols["max12"])
    bad = ~np.isnat(cols["last_bad"])
    since = np.where(dpd > 0, 0, behaviour.NEVER)
    clean = (dpd <= 0) & bad
    since[clean] = _months_between_many(cols["last_bad"][clean], as_of)
    due, late = cols["due"], cols["late"]
    late_share = np.divide(late, due, out=np.zeros_like(due), where=due > 0)
    principal = cols["principal"]
    utilisation = np.divide(
        cols["outstanding"], principal, out=np.zeros_like(principal), where=principal > 0
    )
    mob = _months_between_many(cols["disbursed_on"], as_of)
    scores, pds, grades = behaviour.score_many(
        dpd, max6, max12, since, late_share, utilisation, mob
    )
    inputs = [  # the JSON text json.dumps writes for the dict of the inputs
        f'{{"dpd": {a}, "max6": {b}, "max12": {c}, "since": {d}, "late": {round(e, 4)!r}, '
        f'"util": {round(f, 4)!r}, "mob": {g}}}'
        for a, b, c, d, e, f, g in zip(
            dpd.tolist(), max6.tolist(), max12.tolist(), since.tolist(), late_share.tolist(),
            utilisation.tolist(), mob.tolist(), strict=True,
        )
    ]  # fmt: skip
    return behaviour_repo.insert_behaviour_scores(
        session,
        month,
        {"loan_id": cols["loan_id"], "score": scores, "pd": pds, "grade": grades,
         "inputs": inputs},
    )  # fmt: skip


def _task_no(session: Session, as_of: date) -> str:
    prefix = f"MT{as_of:%Y%m%d}"
    return f"{prefix}{repo.last_number(session, MonitoringTask.task_no, prefix) + 1:05d}"


def _add_task(
    session: Session, kind: TaskKind, loan_id: int, as_of: date, due_on: date,
    manager_id: int | None, reason: str,
) -> None:  # fmt: skip
    session.add(
        MonitoringTask(
            task_no=_task_no(session, as_of), kind=kind, loan_id=loan_id, created_on=as_of,
            due_on=due_on, status=TaskStatus.OPEN, assigned_to_id=manager_id, reason=reason[:200],
        )
    )  # fmt: skip
    session.flush()


def sample_purpose_checks(session: Session, as_of: date) -> int:
    """Draw purpose-of-funds checks among newly disbursed loans; how many were created."""
    loans = repo.new_loans(session, as_of - timedelta(days=NEW_LOAN_DAYS - 1), as_of)
    done = {
        loan_id
        for loan_id, _ in repo.tasked_loans(session, TaskKind.PURPOSE_CHECK, [r[0] for r in loans])
    }
    created = 0
    for loan_id, principal, manager, disbursed_on, pd in loans:
        if loan_id in done:
            continue
        p = float(pd if pd is not None else DEFAULT_PD)
        if not behaviour.sampled([loan_id], [p], [principal], behaviour.seed_of(disbursed_on))[0]:
            continue
        prob = float(behaviour.check_probability([p], [principal])[0])
        reason = (
            f"sampled:{prob:.2f}:{p:.4f}:{principal // 100}"  # shown by pages_alerts.task_reason
        )
        _add_task(session, TaskKind.PURPOSE_CHECK, loan_id, as_of,
                  disbursed_on + timedelta(days=CHECK_DUE_DAYS), manager, reason)  # fmt: skip
        created += 1
    return created


def schedule_reviews(session: Session, as_of: date) -> int:
    """Create the periodic reviews of large loans falling due within ``REVIEW_LEAD_DAYS``."""
    loans = repo.large_loans(session, behaviour.LARGE_LOAN_FEN, as_of)
    due = {loan_id: behaviour.next_review_on(disbursed, as_of) for loan_id, disbursed, _ in loans}
    taken = repo.tasked_loans(session, TaskKind.LARGE_LOAN_REVIEW, list(due))
    created = 0
    for loan_id, _, manager in loans:
        day = due[loan_id]
        if (day - as_of).days > REVIEW_LEAD_DAYS or (loan_id, day) in taken:
            continue
        reason = f"large_loan:{behaviour.REVIEW_EVERY_MONTHS}"  # shown by pages_alerts.task_reason
        _add_task(session, TaskKind.LARGE_LOAN_REVIEW, loan_id, as_of, day, manager, reason)
        created += 1
    return created


def after_close(session: Session, as_of: date, now: datetime) -> dict[str, int]:
    """The daily close's step of this module (``risk.close_steps``): what it did, counted."""
    return {
        "behaviour_scores": refresh_behaviour_scores(session, as_of),
        "purpose_checks": sample_purpose_checks(session, as_of),
        "large_loan_reviews": schedule_reviews(session, as_of),
    }


def get_task(session: Session, task_id: int, viewer: Principal | None = None) -> MonitoringTask:
    """The task ``task_id``; PermissionDeniedError when it is outside ``viewer``'s scope."""
    task = session.get(MonitoringTask, task_id)
    if task is None:
        raise NotFoundError("task.not_found", f"No monitoring task with id {task_id}")
    if not repo.task_visible(session, task_id, viewer):
        raise PermissionDeniedError(
            "scope.forbidden", f"Task {task.task_no} is outside your branch or your own tasks"
        )
    return task


def complete_task(
    session: Session, task_id: int, finding: str, note: str, *, by_id: int | None,
    actor_label: str, now: datetime, today: date, viewer: Principal | None = None,
) -> MonitoringTask:  # fmt: skip
    """Record a task's finding (ok, concern, misuse) and note; a misuse raises an alert."""
    task = get_task(session, task_id, viewer)
    note = note.strip()
    problems = wr.finding_problems(finding, note)
    if problems:
        raise ValidationError("task.invalid", "The finding is not complete", problems)
    if task.status is not TaskStatus.OPEN:
        raise ConflictError(
            "task.not_open", f"Task {task.task_no} is {task.status.value}, not open"
        )
    task.status, task.finding, task.note = TaskStatus.DONE, finding, note or None
    task.completed_at, task.completed_by_id = now, by_id
    session.flush()
    record(session, action="monitoring_task.complete", actor_label=actor_label,
           actor_staff_id=by_id, entity="monitoring_task", entity_id=task.task_no,
           detail={"finding": finding, "kind": task.kind.value}, at=now)  # fmt: skip
    if finding == "misuse":
        loan = session.get(Loan, task.loan_id)
        loan_no = loan.loan_no if loan else str(task.loan_id)
        warnings.raise_alert(
            session, rule_code=MISUSE_RULE, severity="high", dimension="loan", key=loan_no,
            metric="purpose_misuse", value=Decimal(1), threshold=Decimal(0), as_of=today, now=now,
            owner_id=repo.staff_of_role(session, Role.RISK_OFFICER.value), due_days=7,
            detail={"period": today.isoformat(), "task_no": task.task_no,
                    "explain_zh": f"贷后检查 {task.task_no} 发现贷款 {loan_no} 资金挪用",
                    "explain_en": f"Monitoring task {task.task_no} found misuse of funds on loan {loan_no}",
                    "contingency_zh": "核实资金流向；要求借款人限期纠正或提前收回贷款；视情况下调风险分类。",
                    "contingency_en": "Trace the funds; require the borrower to correct it or recall the "
                    "loan early; downgrade the classification if warranted."},
        )  # fmt: skip
    return task
