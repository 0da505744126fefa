"""Pure campaign rules (营销活动): validating a campaign plan, its status transitions, the budget
burn and its alert thresholds, and the contact windows that suit an audience.

No session, clock or randomness here (house rule 2): ``today`` and the drafts are passed in. Every
problem names its field (``ends_on``, ``goals[1].target``, ``windows[0].weekdays``...) and carries a
stable ``code`` (a key of :data:`PROBLEMS`) with the values its text needs, so a page can show it
in the reader's language (``campaigns.problem.<code>``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from loanpilot.kit.clock import to_business_date
from loanpilot.kit.errors import CodedProblem

GOAL_METRICS: Final = (
    "applications", "approvals", "disbursed_fen", "new_customers", "satisfaction", "responses",
)  # fmt: skip
PLACE_KINDS: Final = (
    "branch", "university", "industrial_park", "mall", "community", "enterprise", "partner_site",
    "online",
)  # fmt: skip
BUDGET_CATEGORIES: Final = ("planning", "venue", "materials", "promotion", "personnel")
CHANNELS: Final = (
    "online", "mobile", "branch", "partner", "call_center", "sms", "wechat", "referral",
)  # fmt: skip
STATUSES: Final = ("planned", "approved", "running", "completed", "cancelled")
OPEN_STATUSES: Final = frozenset({"planned", "approved", "running"})
CLOSED_STATUSES: Final = frozenset({"completed", "cancelled"})
#: Where each status may go next; every open status may also be cancelled.
TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "planned": ("approved", "cancelled"),
    "approved": ("running", "cancelled"),
    "running": ("completed", "cancelled"),
    "completed": (),
    "cancelled": (),
}
#: Shares of the budget (per cent) whose first crossing raises a budget alert.
ALERT_THRESHOLDS: Final = (80, 100)
MAX_CONTROL_SHARE: Final = Decimal("0.5")
#: Arm label reserved for the randomised hold-out (``campaign_targets.group = control``).
CONTROL_ARM: Final = "control"
#: The largest amount a campaign field takes (¥10 billion, in fen): beyond it is a typo.
MAX_FEN: Final = 1_000_000_000_000
MAX_GOAL_TARGET: Final = Decimal(10) ** 15
_SHARE_TOLERANCE: Final = Decimal("0.0001")

PROBLEMS: Final[dict[str, str]] = {
    "required": "is required",
    "too_long": "must be at most {max} characters",
    "dates_reversed": "the campaign ends before it starts ({starts} > {ends})",
    "window_reversed": "the window ends before it starts",
    "outside_campaign": "lies outside the campaign's dates ({starts} to {ends})",
    "weekdays": "must be ISO weekdays 1 (Monday) to 7 (Sunday), each at most once",
    "hours": "hours must be 0 to 24 with the end after the start",
    "unknown_metric": "unknown goal metric {given} (allowed: {allowed})",
    "target_positive": "the target must be greater than 0",
    "target_too_large": "the target is too large",
    "duplicate_metric": "the goal {given} is given twice",
    "control_share": "the control share must be between 0 and 0.5 (given {given})",
    "budget_exceeded": "the budget lines add up to {total} yuan, more than the budget of {budget} yuan",
    "not_negative": "must not be negative",
    "too_large": "is too large",
    "unknown_category": "unknown budget category {given} (allowed: {allowed})",
    "duplicate_category": "the budget line {given} is given twice",
    "unknown_kind": "unknown place kind {given} (allowed: {allowed})",
    "unknown_channel": "unknown channel {given} (allowed: {allowed})",
    "place_reversed": "the place's time ends before it starts",
    "duplicate_arm": "the arm label {given} is used twice",
    "reserved_arm": "the arm label control is reserved for the hold-out",
    "share_range": "an arm's share must be above 0 and at most 1",
    "shares_sum": "the arms' shares add up to {total}, not 1",
    "amount_positive": "the amount must be greater than 0",
    "in_future": "the date {given} is after today",
    "not_a_number": "is not a number",
    "not_a_date": "is not a date (YYYY-MM-DD)",
    "unknown_product": "no product with id {given}",
    "unknown_branch": "no branch with id {given}",
    "unknown_run": "no completed segmentation run with id {given}",
    "unknown_segment": "no segment {given} in segmentation run {run}",
    "audience_empty": "the chosen segments hold no customers",
    "audience_no_consent": (
        "none of the {total} customers in the chosen segments may be contacted: {no_consent} "
        "without marketing consent, {opted_out} opted out, {blacklisted} blacklisted"
    ),
    "one_run": "the segments must all come from one segmentation run",
    "code_taken": "the code {given} is taken by another campaign",
    "line_has_expenses": "the {given} line has expenses booked and cannot be removed",
    "unknown_line": "no budget line {given} in this campaign",
}


class Problem(CodedProblem):
    """A problem of campaigns: its ``code`` is a key of :data:`PROBLEMS`."""


def problem(field: str, code: str, /, **params: object) -> Problem:
    """The problem ``code`` of ``field``, its English text filled from ``params``."""
    return Problem.of(PROBLEMS, field, code, params)


# --- the plan ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalDraft:
    metric: str
    target: Decimal


@dataclass(frozen=True)
class PlaceDraft:
    kind: str
    name: str
    starts_at: datetime  # aware
    ends_at: datetime
    city: str | None = None
    branch_id: int | None = None


@dataclass(frozen=True)
class WindowDraft:
    label: str
    starts_on: date
    ends_on: date
    weekdays: str = "1234567"
    start_hour: int = 9
    end_hour: int = 21
    segment_code: str | None = None
    suggestion: str | None = None  # the kind of a suggested window (a key of window_rules.LABELS)


@dataclass(frozen=True)
class ArmDraft:
    arm: str
    product_id: int
    channel: str
    headline_zh: str
    headline_en: str | None = None
    rate_discount_bp: int = 0
    fee_waived: bool = False
    contact_cost_fen: int = 0
    share: Decimal = Decimal(1)


@dataclass(frozen=True)
class BudgetLineDraft:
    category: str
    planned_fen: int


@dataclass(frozen=True)
class CampaignDraft:
    name: str
    theme: str
    channel: str
    starts_on: date
    ends_on: date
    control_share: Decimal = Decimal("0.1")
    contact_cost_fen: int = 0
    budget_fen: int | None = None
    goals: tuple[GoalDraft, ...] = ()
    places: tuple[PlaceDraft, ...] = ()
    windows: tuple[WindowDraft, ...] = ()
    arms: tuple[ArmDraft, ...] = ()
    budget_lines: tuple[BudgetLineDraft, ...] = ()


def _allowed(values: Iterable[str]) -> str:
    return ", ".join(values)


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def _fen_problems(field: str, fen: int | None) -> list[Problem]:
    if fen is None:
        return []
    if fen < 0:
        return [problem(field, "not_negative")]
    return [problem(field, "too_large")] if fen > MAX_FEN else []


def _within(day: date, d: CampaignDraft) -> bool:
    return d.starts_on <= day <= d.ends_on


def validate_campaign(d: CampaignDraft) -> list[Problem]:
    """Every problem of a campaign plan (empty when it is acceptable)."""
    out: list[Problem] = []
    for name, value, limit in (("name", d.name, 200), ("theme", d.theme, 200)):
        if not value.strip():
            out.append(problem(name, "required"))
        elif len(value) > limit:
            out.append(problem(name, "too_long", max=limit))
    if not d.channel:
        out.append(problem("channel", "required"))
    elif d.channel not in CHANNELS:
        out.append(
            problem("channel", "unknown_channel", given=d.channel, allowed=_allowed(CHANNELS))
        )
    dates_ok = d.ends_on >= d.starts_on
    if not dates_ok:
        out.append(problem("ends_on", "dates_reversed", starts=d.starts_on, ends=d.ends_on))
    if not Decimal(0) <= d.control_share <= MAX_CONTROL_SHARE:
        out.append(problem("control_share", "control_share", given=d.control_share))
    out += _fen_problems("contact_cost_fen", d.contact_cost_fen)
    out += _fen_problems("budget_fen", d.budget_fen)
    out += _goal_problems(d.goals)
    out += _place_problems(d, check_dates=dates_ok)
    out += _window_problems(d, check_dates=dates_ok)
    out += _arm_problems(d.arms)
    out += _budget_problems(d.budget_lines, d.budget_fen)
    return out


def _goal_problems(goals: Sequence[GoalDraft]) -> list[Problem]:
    out: list[Problem] = []
    seen: set[str] = set()
    for i, g in enumerate(goals):
        at = f"goals[{i}]"
        if g.metric not in GOAL_METRICS:
            out.append(problem(f"{at}.metric", "unknown_metric", given=g.metric or "''",
                               allowed=_allowed(GOAL_METRICS)))  # fmt: skip
        elif g.metric in seen:
            out.append(problem(f"{at}.metric", "duplicate_metric", given=g.metric))
        seen.add(g.metric)
        if not g.target.is_finite() or g.target <= 0:
            out.append(problem(f"{at}.target", "target_positive"))
        elif g.target >= MAX_GOAL_TARGET:
            out.append(problem(f"{at}.target", "target_too_large"))
    return out


def _place_problems(d: CampaignDraft, *, check_dates: bool) -> list[Problem]:
    out: list[Problem] = []
    for i, p in enumerate(d.places):
        at = f"places[{i}]"
        if p.kind not in PLACE_KINDS:
            out.append(problem(f"{at}.kind", "unknown_kind", given=p.kind or "''",
                               allowed=_allowed(PLACE_KINDS)))  # fmt: skip
        if not p.name.strip():
            out.append(problem(f"{at}.name", "required"))
        elif len(p.name) > 200:
            out.append(problem(f"{at}.name", "too_long", max=200))
        if p.ends_at < p.starts_at:
            out.append(problem(f"{at}.ends_at", "place_reversed"))
        elif check_dates:
            first, last = to_business_date(p.starts_at), to_business_date(p.ends_at)
            for field, day in ((f"{at}.starts_at", first), (f"{at}.ends_at", last)):
                if not _within(day, d):
                    out.append(
                        problem(field, "outside_campaign", starts=d.starts_on, ends=d.ends_on)
                    )
    return out


def weekdays_valid(weekdays: str) -> bool:
    """ISO weekdays as a string of digits 1–7, each at most once, at least one."""
    return (
        bool(weekdays) and set(weekdays) <= set("1234567") and len(set(weekdays)) == len(weekdays)
    )


def _window_problems(d: CampaignDraft, *, check_dates: bool) -> list[Problem]:
    out: list[Problem] = []
    for i, w in enumerate(d.windows):
        at = f"windows[{i}]"
        if not w.label.strip():
            out.append(problem(f"{at}.label", "required"))
        elif len(w.label) > 64:
            out.append(problem(f"{at}.label", "too_long", max=64))
        if w.ends_on < w.starts_on:
            out.append(problem(f"{at}.ends_on", "window_reversed"))
        elif check_dates and not (_within(w.starts_on, d) and _within(w.ends_on, d)):
            field = f"{at}.starts_on" if not _within(w.starts_on, d) else f"{at}.ends_on"
            out.append(problem(field, "outside_campaign", starts=d.starts_on, ends=d.ends_on))
        if not weekdays_valid(w.weekdays):
            out.append(problem(f"{at}.weekdays", "weekdays"))
        if not (0 <= w.start_hour < w.end_hour <= 24):
            out.append(problem(f"{at}.end_hour", "hours"))
    return out


def _arm_problems(arms: Sequence[ArmDraft]) -> list[Problem]:
    out: list[Problem] = []
    seen: set[str] = set()
    for i, a in enumerate(arms):
        at = f"arms[{i}]"
        label = a.arm.strip()
        if not label:
            out.append(problem(f"{at}.arm", "required"))
        elif len(label) > 16:
            out.append(problem(f"{at}.arm", "too_long", max=16))
        elif label.lower() == CONTROL_ARM:
            out.append(problem(f"{at}.arm", "reserved_arm"))
        elif label in seen:
            out.append(problem(f"{at}.arm", "duplicate_arm", given=label))
        seen.add(label)
        if a.channel not in CHANNELS:
            out.append(problem(f"{at}.channel", "unknown_channel", given=a.channel or "''",
                               allowed=_allowed(CHANNELS)))  # fmt: skip
        if not a.headline_zh.strip():
            out.append(problem(f"{at}.headline_zh", "required"))
        elif len(a.headline_zh) > 200:
            out.append(problem(f"{at}.headline_zh", "too_long", max=200))
        if a.headline_en and len(a.headline_en) > 200:
            out.append(problem(f"{at}.headline_en", "too_long", max=200))
        if a.rate_discount_bp < 0:
            out.append(problem(f"{at}.rate_discount_bp", "not_negative"))
        elif a.rate_discount_bp > 10_000:
            out.append(problem(f"{at}.rate_discount_bp", "too_large"))
        out += _fen_problems(f"{at}.contact_cost_fen", a.contact_cost_fen)
        if not (a.share.is_finite() and Decimal(0) < a.share <= 1):
            out.append(problem(f"{at}.share", "share_range"))
    shares = [a.share for a in arms if a.share.is_finite()]
    total = sum(shares, Decimal(0))
    if arms and len(shares) == len(arms) and abs(total - 1) > _SHARE_TOLERANCE:
        out.append(problem("arms", "shares_sum", total=total.normalize()))
    return out


def _budget_problems(lines: Sequence[BudgetLineDraft], budget_fen: int | None) -> list[Problem]:
    out: list[Problem] = []
    seen: set[str] = set()
    for i, line in enumerate(lines):
        at = f"budget_lines[{i}]"
        if line.category not in BUDGET_CATEGORIES:
            out.append(problem(f"{at}.category", "unknown_category", given=line.category or "''",
                               allowed=_allowed(BUDGET_CATEGORIES)))  # fmt: skip
        elif line.category in seen:
            out.append(problem(f"{at}.category", "duplicate_category", given=line.category))
        seen.add(line.category)
        out += _fen_problems(f"{at}.planned_fen", line.planned_fen)
    total = sum(line.planned_fen for line in lines)
    if budget_fen is not None and 0 <= budget_fen < total:
        out.append(problem("budget_fen", "budget_exceeded", total=_yuan(total),
                           budget=_yuan(budget_fen)))  # fmt: skip
    return out


# --- status -----------------------------------------------------------------------------------------


def can_transition(current: str, target: str) -> bool:
    """Whether a campaign in ``current`` may move to ``target``."""
    return target in TRANSITIONS.get(current, ())


def is_closed(status: str) -> bool:
    """A completed or cancelled campaign refuses expenses and edits."""
    return status in CLOSED_STATUSES


# --- the budget -------------------------------------------------------------------------------------


def effective_budget(budget_fen: int | None, planned_fen: Iterable[int]) -> int:
    """The budget a campaign's spend is measured against: its own, else the sum of its lines."""
    return int(budget_fen) if budget_fen is not None else sum(planned_fen)


def burn(spent_fen: int, budget_fen: int) -> float | None:
    """Spend as a share of the budget (1.0 = all of it); None without a budget."""
    return spent_fen / budget_fen if budget_fen > 0 else None


def reached_thresholds(
    spent_fen: int, budget_fen: int, thresholds: Sequence[int] = ALERT_THRESHOLDS
) -> list[int]:
    """The thresholds (per cent) that ``spent_fen`` has reached, in exact integer arithmetic."""
    if budget_fen <= 0:
        return []
    return [t for t in thresholds if spent_fen * 100 >= t * budget_fen]


def crossed_thresholds(
    before_fen: int, after_fen: int, budget_fen: int, thresholds: Sequence[int] = ALERT_THRESHOLDS
) -> list[int]:
    """The thresholds an expense crosses: reached after it, not before."""
    before = set(reached_thresholds(before_fen, budget_fen, thresholds))
    return [t for t in reached_thresholds(after_fen, budget_fen, thresholds) if t not in before]


def burn_level(share: float | None) -> str:
    """How a burn bar is coloured: ``ok`` below 80 %, ``warn`` from 80 %, ``over`` from 100 %."""
    if share is None or share < 0.8:
        return "ok"
    return "warn" if share < 1.0 else "over"
