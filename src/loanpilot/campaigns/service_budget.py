"""The budget of a campaign and its audience: spend booked against budget lines with alerts at
80 % and 100 % of the budget (each at most once), acknowledging an alert, the audience's counts,
and the contact windows that suit it. Services only flush; the entry point commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from loanpilot.campaigns import repository as repo
from loanpilot.campaigns import rules, window_rules
from loanpilot.campaigns.models import BudgetAlert, Campaign, Expense
from loanpilot.campaigns.schemas import ExpenseWrite
from loanpilot.campaigns.service import Actor, audit, get_campaign, refuse_closed
from loanpilot.kit.errors import ConflictError, FieldProblem, NotFoundError, ValidationError

# --- spend and alerts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    budget_fen: int
    budget_set: bool
    planned_fen: int
    spent_fen: int
    burn: float | None
    level: str


def budget_of(session: Session, campaign: Campaign) -> Budget:
    """The campaign's budget (its own, else the sum of its lines), spend and burn."""
    lines = repo.budget_lines(session, campaign.id)
    spent = sum(repo.spent_by_line(session, campaign.id).values())
    return make_budget(campaign.budget_fen, [line.planned_fen for line in lines], spent)


def make_budget(budget_fen: int | None, planned: Sequence[int], spent: int) -> Budget:
    total = rules.effective_budget(budget_fen, planned)
    share = rules.burn(spent, total)
    return Budget(
        total, budget_fen is not None, sum(planned), spent, share, rules.burn_level(share)
    )


@dataclass(frozen=True)
class ExpenseOutcome:
    expense: Expense
    alerts: list[BudgetAlert]
    budget: Budget


def record_expense(
    session: Session,
    campaign_id: int,
    body: ExpenseWrite,
    *,
    actor: Actor,
    now: datetime,
    today: date,
) -> ExpenseOutcome:
    """Book spend against one of the campaign's budget lines. Refused on a closed campaign. When
    the spend first reaches 80 % or 100 % of the budget an alert is written (once per threshold),
    measured on the total read after this expense is written (see below): of two concurrent
    expenses that together cross a threshold, the later one raises the alert."""
    c = get_campaign(session, campaign_id, for_update=True)
    refuse_closed(c, "expenses")
    lines = {line.id: line for line in repo.budget_lines(session, c.id)}
    problems: list[FieldProblem] = []
    if body.budget_line_id not in lines:
        problems.append(rules.problem("budget_line_id", "unknown_line", given=body.budget_line_id))
    if body.amount_fen <= 0:
        problems.append(rules.problem("amount_fen", "amount_positive"))
    elif body.amount_fen > rules.MAX_FEN:
        problems.append(rules.problem("amount_fen", "too_large"))
    if body.spent_on > today:
        problems.append(rules.problem("spent_on", "in_future", given=body.spent_on))
    for name, value, limit in (("vendor", body.vendor, 100), ("note", body.note, 200)):
        if value and len(value) > limit:
            problems.append(rules.problem(name, "too_long", max=limit))
    if problems:
        raise ValidationError("expense.invalid", "The expense is not valid", problems)
    expense = Expense(budget_line_id=body.budget_line_id, spent_on=body.spent_on,
                      amount_fen=body.amount_fen, vendor=(body.vendor or "").strip() or None,
                      note=(body.note or "").strip() or None, recorded_by_id=actor.staff_id,
                      recorded_at=now)  # fmt: skip
    session.add(expense)
    session.flush()
    # The spend is read only now, after this expense's INSERT: on SQLite (where FOR UPDATE does
    # nothing and a transaction begins at its first write) that INSERT holds the write lock, so
    # the total includes every expense committed before, and a concurrent one waits for ours.
    # A total read before the flush could miss a concurrent expense, and with it the crossing.
    spent = sum(repo.spent_by_line(session, c.id).values())
    budget = make_budget(c.budget_fen, [line.planned_fen for line in lines.values()], spent)
    raised = []
    for threshold in rules.reached_thresholds(budget.spent_fen, budget.budget_fen):
        alert = BudgetAlert(campaign_id=c.id, threshold_pct=threshold, spent_fen=budget.spent_fen,
                            budget_fen=budget.budget_fen, crossed_at=now, expense_id=expense.id)  # fmt: skip
        if repo.add_alert_once(session, alert):
            raised.append(alert)
    audit(session, actor, "campaign.expense", c.id, now, {
        "expense_id": expense.id, "budget_line_id": expense.budget_line_id,
        "amount_fen": expense.amount_fen, "alerts": [a.threshold_pct for a in raised],
    })  # fmt: skip
    return ExpenseOutcome(expense, raised, budget)


def acknowledge_alert(
    session: Session, campaign_id: int, alert_id: int, *, actor: Actor, now: datetime
) -> BudgetAlert:
    """Mark a budget alert as seen; 409 when it already was."""
    found = repo.alert(session, alert_id)
    if found is None or found.campaign_id != campaign_id:
        raise NotFoundError("campaign_alert.not_found",
                            f"No budget alert {alert_id} on campaign {campaign_id}")  # fmt: skip
    if found.acknowledged_at is not None:
        raise ConflictError(
            "campaign_alert.acknowledged", f"Budget alert {alert_id} is already acknowledged"
        )
    found.acknowledged_at, found.acknowledged_by_id = now, actor.staff_id
    session.flush()
    audit(session, actor, "campaign.alert_acknowledge", campaign_id, now,
           {"alert_id": alert_id, "threshold_pct": found.threshold_pct})  # fmt: skip
    return found


# --- the audience and the windows that suit it -----------------------------------------------------


def audience_of(session: Session, c: Campaign) -> tuple[repo.AudienceCounts, list[str], int]:
    """The counts of the campaign's segments, their codes and the size of its target list."""
    codes = [s.segment_code for s in repo.segments(session, c.id)]
    run_id = c.segment_run_id or (repo.segments(session, c.id)[0].segment_run_id if codes else None)
    counts = (
        repo.audience_counts(session, run_id, codes)
        if run_id
        else repo.AudienceCounts(0, 0, 0, 0, 0)
    )
    return counts, codes, repo.targets_count(session, c.id)


def suggest_windows(
    session: Session, run_id: int | None, codes: Sequence[str], starts_on: date, ends_on: date,
    audiences: Iterable[str] = (),
) -> list[rules.WindowDraft]:  # fmt: skip
    """Windows that suit the audience: the audiences named, and those making up at least 15 % of
    the chosen segments' customers (by occupation)."""
    chosen = set(audiences)
    if run_id is not None and codes:
        chosen |= set(window_rules.audiences_of(repo.occupation_mix(session, run_id, codes)))
    return window_rules.suggest_windows(chosen, starts_on, ends_on)
