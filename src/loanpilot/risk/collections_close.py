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
from loanpilot.lending.models import LoanStatus
from loanpilot.lending.workflow import Action, Stage, next_stage
from loanpilot.risk import collection_rules as rules
from loanpilot.risk import repository_collections as repo
from loanpilot.risk import repository_collections_close as close_repo
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
    """The daily close's step of this module (``risk.close_steps``): what it did, counted.

    Set-based: one query per kind of figure over every open case, the new cases and their
    workflow rows bulk inserted, and only the cases whose columns changed written back."""
    session.flush()
    done: Counter[str] = Counter()
    if not repo.ladder(session):
        ensure_default_ladder(session, now)
        done["ladder_seeded"] = 1
    ladder = rungs(session)
    if ladder and any(r.enabled for r in ladder):
        floor = max(1, min(r.min_dpd for r in ladder if r.enabled))
        new = [row for row in close_repo.delinquent_without_case(session, floor)
               if rules.opens_case(ladder, row[2])]  # fmt: skip
        if new:
            close_repo.add_cases(session, new, as_of)
            _transitions(session, [(i, no, f"{dpd} days past due") for i, no, dpd in new],
                         Stage.REPAYING, Action.TRANSFER_TO_COLLECTIONS, now)  # fmt: skip
            done["opened"] = len(new)
    for action in close_repo.open_promise_actions(session):
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
    cases = close_repo.open_case_rows(session)
    promises, made_at = close_repo.open_promises(session)
    for case in cases:
        for p in promises.get(case.id, []):
            made_on = _local_day(made_at[p.id], SHANGHAI) if p.id in made_at else case.opened_on
            done.update(_follow_up(session, p, case.loan_id, made_on, as_of))
    session.flush()
    fig = close_repo.case_figures(session, as_of)
    changes: dict[int, dict[str, object]] = {}
    to_collections: list[tuple[int, str, str]] = []
    cured: list[tuple[int, str, str]] = []
    still_open: list[close_repo.OpenCase] = []
    for case in cases:
        new_values: dict[str, object] = {"recovered_fen": fig.recovered.get(case.id, 0)}
        stage = fig.stage.get(case.loan_id, case.loan_status)
        if case.loan_status != LoanStatus.REPAYING.value or case.dpd <= 0:
            outcome = _OUTCOME.get(LoanStatus(case.loan_status), "cured")
            _resolve(promises.get(case.id, []), outcome, as_of)
            new_values.update(stage=CollectionStage.CLOSED.value, closed_on=as_of,
                              outcome=outcome, next_action_on=None)  # fmt: skip
            if outcome == "cured" and stage == Stage.IN_COLLECTIONS.value:
                cured.append((case.loan_id, case.loan_no, "no longer past due"))
            done[f"closed_{outcome}"] += 1
        else:
            if stage == Stage.REPAYING.value:  # a case opened before the workflow was recorded
                to_collections.append((case.loan_id, case.loan_no, f"{case.dpd} days past due"))
            rung = rules.rung_for(
                ladder, dpd=case.dpd, overdue_fen=fig.overdue.get(case.loan_id, 0),
                broken_promises=fig.broken.get(case.id, 0), current=case.ladder_step,
            )  # fmt: skip
            step = rung.step if rung else None
            if step != case.ladder_step:
                done["placed" if case.ladder_step is None else "moved"] += 1
                new_values["ladder_step"] = step
                if step in rules.STAGE_OF_RUNG and case.stage != CollectionStage.OUTSOURCED.value:
                    new_values["stage"] = rules.STAGE_OF_RUNG[step]
            due = [p.due_on for p in promises.get(case.id, []) if p.status is PromiseStatus.OPEN]
            last = fig.last_contact.get(case.id)
            new_values["next_action_on"] = rules.next_action_on(
                step,
                as_of=as_of,
                last_contact_on=_local_day(last, SHANGHAI) if last else None,
                open_promise_due=min(due) if due else None,
            )
            still_open.append(case)
        changed = {k: v for k, v in new_values.items() if getattr(case, k, None) != v}
        if changed:
            changes[case.id] = changed
    _transitions(session, to_collections, Stage.REPAYING, Action.TRANSFER_TO_COLLECTIONS, now)
    _transitions(session, cured, Stage.IN_COLLECTIONS, Action.CURE, now)
    for case_id, who in _assign(session, still_open).items():
        changes.setdefault(case_id, {})["assigned_to_id"] = who
        done["assigned"] += 1
    session.flush()
    close_repo.update_cases(session, changes)
    for obj in list(session.identity_map.values()):  # held cases see what was written
        if isinstance(obj, CollectionCase) and obj.id in changes:
            session.expire(obj)
    return {k: v for k, v in sorted(done.items()) if v}


def _transitions(
    session: Session, loans: list[tuple[int, str, str]], stage: Stage, action: Action,
    now: datetime,
) -> None:  # fmt: skip
    """``lending.events.transition`` of many loans (id, loan no, note) at once."""
    if loans:
        target = next_stage(stage, action)  # the pure state machine: refuses an illegal move
        close_repo.add_loan_transitions(
            session, loans, action.value, (stage.value, target.value), now
        )


def _follow_up(
    session: Session, promise: CollectionPromise, loan_id: int, made_on: date, as_of: date
) -> Counter[str]:
    if promise.status is not PromiseStatus.OPEN:
        return Counter()
    paid = repo.repaid_between(session, loan_id, made_on, min(as_of, promise.due_on))
    promise.paid_fen = paid
    outcome = rules.promise_outcome(promise.amount_fen, paid, promise.due_on, as_of)
    if outcome == "open":
        return Counter()
    promise.status, promise.resolved_on = PromiseStatus(outcome), as_of
    return Counter({f"promises_{outcome}": 1})


def _resolve(promises: list[CollectionPromise], outcome: str, as_of: date) -> None:
    """A closing case's open promises: kept when the loan was paid up, broken otherwise."""
    paid_up = outcome in ("cured", "settled")
    for p in promises:
        if p.status is PromiseStatus.OPEN:
            p.status = PromiseStatus.KEPT if paid_up else PromiseStatus.BROKEN
            p.resolved_on = as_of


def _assign(session: Session, cases: list[close_repo.OpenCase]) -> dict[int, int]:
    """Give each unassigned case to the active collector of the loan's branch with the fewest
    open cases (any branch's when the branch has none); ties to the lowest staff id. The
    assignments made, case id → staff id."""
    collectors = repo.active_collectors(session)
    if not collectors:
        return {}
    load = Counter(c.assigned_to_id for c in cases if c.assigned_to_id is not None)
    out: dict[int, int] = {}
    for case in sorted(cases, key=lambda c: c.id):
        if case.assigned_to_id is not None:
            continue
        pool = [s for s, b in collectors if b == case.branch_id] or [s for s, _ in collectors]
        chosen = min(pool, key=lambda s: (load[s], s))
        out[case.id] = chosen
        load[chosen] += 1
    return out
