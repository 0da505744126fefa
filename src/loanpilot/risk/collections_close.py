"""The collections step of the daily close.

The daily close calls :func:`after_close` once the loans' DPD are up to date. It seeds the ladder
when it is empty, opens a case for every repaying loan newly past due (moving the loan to the
collections stage of the workflow), places every open case on its ladder rung, follows up the
promises to pay that fell due, counts what was recovered since each case opened, closes the
cases of cured, settled, written-off and transferred loans (a cured loan goes back to repaying),
assigns unassigned cases to collectors and sets the day of each case's next action. It is
idempotent for one ``as_of``. Services flush; the entry point commits.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from loanpilot.kit.clock import SHANGHAI
from loanpilot.lending.events import transition
from loanpilot.lending.models import Loan, LoanStatus
from loanpilot.lending.workflow import Action, Stage
from loanpilot.risk import collection_rules as rules
from loanpilot.risk import repository_collections as repo
from loanpilot.risk.collections import ensure_default_ladder, rungs
from loanpilot.risk.models import CollectionCase, CollectionStage
from loanpilot.risk.models_post import CollectionPromise, PromiseStatus

#: How a closed case ended, by the loan's status.
_OUTCOME = {
    LoanStatus.SETTLED: "settled",
    LoanStatus.WRITTEN_OFF: "written_off",
    LoanStatus.TRANSFERRED: "transferred",
}


# --- the daily close ----------------------------------------------------------------------------


def _local_day(at: datetime, tz: ZoneInfo) -> date:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(tz).date()


def after_close(session: Session, as_of: date, now: datetime) -> dict[str, int]:
    """The daily close's step of this module (``risk.close_steps``): what it did, counted."""
    done: Counter[str] = Counter()
    if not repo.ladder(session):
        ensure_default_ladder(session, now)
        done["ladder_seeded"] = 1
    ladder = rungs(session)
    open_by_loan = {c.loan_id: c for c in repo.open_cases(session)}
    if ladder and any(r.enabled for r in ladder):
        floor = max(1, min(r.min_dpd for r in ladder if r.enabled))
        for loan in repo.delinquent_repaying_loans(session, floor):
            if loan.id not in open_by_loan and rules.opens_case(ladder, loan.dpd):
                open_by_loan[loan.id] = _open_case(session, loan, as_of, now)
                done["opened"] += 1
    cases = list(open_by_loan.values())
    ids = [c.id for c in cases]
    for action in repo.promised_actions_without_promise(session, ids):
        assert action.promise_amount_fen is not None
        assert action.promise_date is not None
        session.add(
            CollectionPromise(
                case_id=action.case_id,
                action_id=action.id,
                amount_fen=action.promise_amount_fen,
                due_on=action.promise_date,
                status=PromiseStatus.OPEN,
                paid_fen=0,
            )
        )
        done["promises_recorded"] += 1
    session.flush()
    loans = repo.loans_by_id(session, open_by_loan.keys())
    stages = repo.loan_stages(session, loans.keys())
    promises = repo.promises_of(session, ids)
    made_on = _promise_days(session, promises)
    for case in cases:
        loan = loans[case.loan_id]
        for p in promises.get(case.id, []):
            done.update(_follow_up(session, p, loan, made_on.get(p.id, case.opened_on), as_of))
    session.flush()
    recovered = repo.recovered_by_case(session, ids, as_of)
    overdue = repo.overdue_by_loan(session, loans.keys(), as_of)
    broken = repo.broken_counts(session, ids)
    last_contact = repo.last_contact_at(session, ids)
    still_open: list[CollectionCase] = []
    for case in cases:
        loan = loans[case.loan_id]
        case.recovered_fen = recovered.get(case.id, 0)
        stage = stages.get(loan.id, loan.status.value)
        if loan.status is not LoanStatus.REPAYING or loan.dpd <= 0:
            outcome = _OUTCOME.get(loan.status, "cured")
            _close(session, case, loan, outcome, stage, promises.get(case.id, []), as_of, now)
            done[f"closed_{outcome}"] += 1
            continue
        if stage == Stage.REPAYING.value:  # a case opened before the workflow was recorded
            _to_collections(session, loan, now)
        rung = rules.rung_for(
            ladder,
            dpd=loan.dpd,
            overdue_fen=overdue.get(loan.id, repo.Overdue()).total_fen,
            broken_promises=broken.get(case.id, 0),
            current=case.ladder_step,
        )
        step = rung.step if rung else None
        if step != case.ladder_step:
            done["placed" if case.ladder_step is None else "moved"] += 1
            case.ladder_step = step
            if step in rules.STAGE_OF_RUNG and case.stage is not CollectionStage.OUTSOURCED:
                case.stage = CollectionStage(rules.STAGE_OF_RUNG[step])
        due = [p.due_on for p in promises.get(case.id, []) if p.status is PromiseStatus.OPEN]
        last = last_contact.get(case.id)
        case.next_action_on = rules.next_action_on(
            step,
            as_of=as_of,
            last_contact_on=_local_day(last, SHANGHAI) if last else None,
            open_promise_due=min(due) if due else None,
        )
        still_open.append(case)
    done["assigned"] = _assign(session, still_open, loans)
    session.flush()
    return {k: v for k, v in sorted(done.items()) if v}


def _open_case(session: Session, loan: Loan, as_of: date, now: datetime) -> CollectionCase:
    case = CollectionCase(
        case_no=f"CC{as_of:%Y%m%d}-{loan.id:06d}",
        loan_id=loan.id,
        opened_on=as_of,
        dpd_at_open=loan.dpd,
        stage=CollectionStage.SOFT,
        recovered_fen=0,
    )
    session.add(case)
    _to_collections(session, loan, now)
    return case


def _to_collections(session: Session, loan: Loan, now: datetime) -> None:
    transition(
        session,
        entity="loan",
        entity_id=loan.id,
        entity_label=loan.loan_no,
        stage=Stage.REPAYING,
        action=Action.TRANSFER_TO_COLLECTIONS,
        now=now,
        note=f"{loan.dpd} days past due",
    )


def _promise_days(
    session: Session, promises: dict[int, list[CollectionPromise]]
) -> dict[int, date]:
    """The business day each promise was made (its action's day)."""
    action_ids = {p.action_id for ps in promises.values() for p in ps if p.action_id}
    at = repo.action_times(session, action_ids)
    return {
        p.id: _local_day(at[p.action_id], SHANGHAI)
        for ps in promises.values()
        for p in ps
        if p.action_id in at
    }


def _follow_up(
    session: Session, promise: CollectionPromise, loan: Loan, made_on: date, as_of: date
) -> Counter[str]:
    if promise.status is not PromiseStatus.OPEN:
        return Counter()
    paid = repo.repaid_between(session, loan.id, made_on, min(as_of, promise.due_on))
    promise.paid_fen = paid
    outcome = rules.promise_outcome(promise.amount_fen, paid, promise.due_on, as_of)
    if outcome == "open":
        return Counter()
    promise.status, promise.resolved_on = PromiseStatus(outcome), as_of
    return Counter({f"promises_{outcome}": 1})


def _close(
    session: Session,
    case: CollectionCase,
    loan: Loan,
    outcome: str,
    stage: str,
    promises: list[CollectionPromise],
    as_of: date,
    now: datetime,
) -> None:
    paid_up = outcome in ("cured", "settled")
    for p in promises:
        if p.status is PromiseStatus.OPEN:
            p.status = PromiseStatus.KEPT if paid_up else PromiseStatus.BROKEN
            p.resolved_on = as_of
    case.stage, case.closed_on, case.outcome, case.next_action_on = (
        CollectionStage.CLOSED, as_of, outcome, None,
    )  # fmt: skip
    if outcome == "cured" and stage == Stage.IN_COLLECTIONS.value:
        transition(
            session,
            entity="loan",
            entity_id=loan.id,
            entity_label=loan.loan_no,
            stage=Stage.IN_COLLECTIONS,
            action=Action.CURE,
            now=now,
            note="no longer past due",
        )


def _assign(session: Session, cases: list[CollectionCase], loans: dict[int, Loan]) -> int:
    """Give each unassigned case to the active collector of the loan's branch with the fewest
    open cases (any branch's when the branch has none); ties to the lowest staff id."""
    collectors = repo.active_collectors(session)
    if not collectors:
        return 0
    load = Counter(repo.open_load(session))
    assigned = 0
    for case in sorted(cases, key=lambda c: c.id):
        if case.assigned_to_id is not None:
            continue
        branch = loans[case.loan_id].branch_id
        pool = [s for s, b in collectors if b == branch] or [s for s, _ in collectors]
        chosen = min(pool, key=lambda s: (load[s], s))
        case.assigned_to_id = chosen
        load[chosen] += 1
        assigned += 1
    return assigned
