"""Pure customer-service rules (客户服务): validating a survey and its questions, the survey's
status moves, validating a customer's answers, the NPS and CSAT arithmetic, the milestone day of
each trigger, SLA breaches, quality-review scores and the themes of free-text comments.

No session, clock or randomness here (house rule 2). Every problem names its field
(``questions[1].choices``) and carries a stable ``code`` (a key of :data:`PROBLEMS`) with the
values its text needs, so a page can show it in the reader's language (``service.problem.<code>``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from loanpilot.kit.errors import CodedProblem

KINDS: Final = ("csat", "nps", "general")
TRIGGERS: Final = ("disbursed", "disbursed_30d", "settled", "complaint_closed", "manual")
CHANNELS: Final = ("sms", "email", "app", "wechat", "portal", "phone", "branch")
STATUSES: Final = ("draft", "active", "closed")
QUESTION_KINDS: Final = ("csat_1_5", "nps_0_10", "single_choice", "multi_choice", "free_text")
SCORE_RANGE: Final[dict[str, tuple[int, int]]] = {"csat_1_5": (1, 5), "nps_0_10": (0, 10)}
CHOICE_KINDS: Final = frozenset({"single_choice", "multi_choice"})
#: Where each status may go next.
TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "draft": ("active",),
    "active": ("closed",),
    "closed": (),
}
REVIEW_KINDS: Final = ("mystery_shopper", "audit", "call_review")
MAX_TEXT: Final = 2000
_HUNDRED: Final = Decimal(100)
_CENT: Final = Decimal("0.01")

PROBLEMS: Final[dict[str, str]] = {
    "required": "is required",
    "too_long": "must be at most {max} characters",
    "code_format": "use 2 to 32 letters, digits, '-' or '_'",
    "code_taken": "the code {given} is taken by another survey",
    "unknown_kind": "unknown kind {given} (allowed: {allowed})",
    "unknown_trigger": "unknown trigger {given} (allowed: {allowed})",
    "unknown_channel": "unknown channel {given} (allowed: {allowed})",
    "no_questions": "a survey needs at least one question",
    "needs_csat": "a CSAT survey needs a CSAT (1-5) question",
    "needs_nps": "an NPS survey needs an NPS (0-10) question",
    "choices_min": "a choice question needs at least 2 distinct choices",
    "choices_on_score": "only choice questions take choices",
    "choice_value": "every choice needs a value and a Chinese label",
    "choice_duplicate": "the choice value {given} is given twice",
    "position_duplicate": "position {given} is used twice",
    "position_range": "the position must be 1 to 99",
    "not_draft": "only a draft survey can be edited (this one is {given})",
    "score_range": "must be a whole number from {low} to {high}",
    "unknown_choice": "{given} is not one of the choices",
    "one_choice": "choose one answer only",
    "item_points": "the points {points} exceed the item's maximum {max}",
    "item_max": "the maximum points must be above 0",
    "item_negative": "the points must not be negative",
    "no_items": "a review needs at least one checklist item",
    "self_review": "a reviewer cannot review themselves",
    "outside_branch": "the staff member works outside your branch",
    "unknown_staff": "no staff member with id {given}",
    "in_future": "the date {given} is after today",
    "target_positive": "the target must be above 0 hours",
    "unknown_stage": "unknown stage {given} (allowed: {allowed})",
    "unknown_product_type": "unknown product type {given} (allowed: {allowed})",
    "sla_exists": "a target for this stage and product type from {given} exists already",
}


class Problem(CodedProblem):
    """A problem of surveys: its ``code`` is a key of :data:`PROBLEMS`."""


def problem(field: str, code: str, /, **params: object) -> Problem:
    """The problem ``code`` of ``field``, its English text filled from ``params``."""
    return Problem.of(PROBLEMS, field, code, params)


# --- the survey --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceDraft:
    value: str
    label_zh: str
    label_en: str = ""


@dataclass(frozen=True)
class QuestionDraft:
    position: int
    kind: str
    text_zh: str
    text_en: str = ""
    choices: tuple[ChoiceDraft, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class SurveyDraft:
    code: str
    title: str
    kind: str
    trigger: str
    channel: str
    questions: tuple[QuestionDraft, ...] = ()


def _code_ok(code: str) -> bool:
    return 2 <= len(code) <= 32 and all(c.isascii() and (c.isalnum() or c in "-_") for c in code)


def _text(out: list[Problem], field: str, value: str, limit: int, *, required: bool) -> None:
    if required and not value.strip():
        out.append(problem(field, "required"))
    elif len(value) > limit:
        out.append(problem(field, "too_long", max=limit))


def _one_of(out: list[Problem], field: str, value: str, allowed: Sequence[str], code: str) -> None:
    if value not in allowed:
        out.append(problem(field, code, given=value or "-", allowed=", ".join(allowed)))


def _question_problems(i: int, q: QuestionDraft) -> list[Problem]:
    out: list[Problem] = []
    at = f"questions[{i}]"
    if not 1 <= q.position <= 99:
        out.append(problem(f"{at}.position", "position_range"))
    _one_of(out, f"{at}.kind", q.kind, QUESTION_KINDS, "unknown_kind")
    _text(out, f"{at}.text_zh", q.text_zh, 500, required=True)
    _text(out, f"{at}.text_en", q.text_en, 500, required=False)
    if q.kind in CHOICE_KINDS:
        if any(not c.value.strip() or not c.label_zh.strip() for c in q.choices):
            out.append(problem(f"{at}.choices", "choice_value"))
        values = [c.value.strip() for c in q.choices if c.value.strip()]
        seen: set[str] = set()
        for v in values:
            if v in seen:
                out.append(problem(f"{at}.choices", "choice_duplicate", given=v))
            seen.add(v)
        if len(seen) < 2:
            out.append(problem(f"{at}.choices", "choices_min"))
    elif q.choices:
        out.append(problem(f"{at}.choices", "choices_on_score"))
    return out


def validate_survey(draft: SurveyDraft) -> list[Problem]:
    """Every problem of a survey and its questions (empty when it is valid)."""
    out: list[Problem] = []
    if not _code_ok(draft.code.strip()):
        out.append(problem("code", "code_format"))
    _text(out, "title", draft.title, 200, required=True)
    _one_of(out, "kind", draft.kind, KINDS, "unknown_kind")
    _one_of(out, "trigger", draft.trigger, TRIGGERS, "unknown_trigger")
    _one_of(out, "channel", draft.channel, CHANNELS, "unknown_channel")
    if not draft.questions:
        out.append(problem("questions", "no_questions"))
    positions: set[int] = set()
    for i, q in enumerate(draft.questions):
        out += _question_problems(i, q)
        if q.position in positions:
            out.append(problem(f"questions[{i}].position", "position_duplicate", given=q.position))
        positions.add(q.position)
    kinds = {q.kind for q in draft.questions}
    if draft.kind == "csat" and "csat_1_5" not in kinds:
        out.append(problem("questions", "needs_csat"))
    if draft.kind == "nps" and "nps_0_10" not in kinds:
        out.append(problem("questions", "needs_nps"))
    return out


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())


# --- answers -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    """What the portal form checks an answer against."""

    id: int
    kind: str
    required: bool
    choice_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class CleanAnswer:
    question_id: int
    score: int | None = None
    choice: tuple[str, ...] | None = None
    text: str | None = None


def _parse_score(raw: str) -> int | None:
    text = raw.strip()
    if not text or not (text.isdecimal() or (text[0] == "-" and text[1:].isdecimal())):
        return None
    return int(text)


def validate_answers(
    questions: Sequence[QuestionSpec], given: Mapping[int, Sequence[str]]
) -> tuple[list[Problem], list[CleanAnswer]]:
    """Check the raw values sent for each question (by id): scores in range, chosen values among
    the choices, required questions answered. Returns every problem, and the clean answers (only
    meaningful when there is no problem); an unanswered optional question gives no answer."""
    out: list[Problem] = []
    clean: list[CleanAnswer] = []
    for q in questions:
        field = f"q{q.id}"
        values = [v.strip() for v in given.get(q.id, ()) if v.strip()]
        if not values:
            if q.required:
                out.append(problem(field, "required"))
            continue
        if q.kind in SCORE_RANGE:
            low, high = SCORE_RANGE[q.kind]
            score = _parse_score(values[0]) if len(values) == 1 else None
            if score is None or not low <= score <= high:
                out.append(problem(field, "score_range", low=low, high=high))
            else:
                clean.append(CleanAnswer(q.id, score=score))
        elif q.kind in CHOICE_KINDS:
            chosen = tuple(dict.fromkeys(values))
            unknown = [v for v in chosen if v not in q.choice_values]
            if unknown:
                out.append(problem(field, "unknown_choice", given=", ".join(unknown)[:80]))
            elif q.kind == "single_choice" and len(chosen) > 1:
                out.append(problem(field, "one_choice"))
            else:
                clean.append(CleanAnswer(q.id, choice=chosen))
        else:
            text = " ".join(values)
            if len(text) > MAX_TEXT:
                out.append(problem(field, "too_long", max=MAX_TEXT))
            else:
                clean.append(CleanAnswer(q.id, text=text))
    return out, clean


# --- ratios ------------------------------------------------------------------------------------------


def ratio(numerator: int, denominator: int, places: int = 4) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / denominator).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )


# --- sending -----------------------------------------------------------------------------------------

#: How many days after its milestone each loan trigger sends (the daily close of ``as_of`` sends the
#: invitations of loans whose milestone fell ``lag`` days before).
TRIGGER_LAG_DAYS: Final[dict[str, int]] = {"disbursed": 0, "disbursed_30d": 30, "settled": 0,
                                           "complaint_closed": 0}  # fmt: skip


def milestone_day(trigger: str, as_of: date) -> date:
    """The day whose milestones the close of ``as_of`` surveys (30 days earlier for
    ``disbursed_30d``)."""
    return as_of - timedelta(days=TRIGGER_LAG_DAYS[trigger])


def expired(sent_on: date, today: date, valid_days: int) -> bool:
    """An invitation sent on ``sent_on`` may be answered for ``valid_days`` days (the send day
    counts as day 0)."""
    return (today - sent_on).days > valid_days


# --- SLAs --------------------------------------------------------------------------------------------


def hours_between(seconds: float) -> Decimal:
    return (Decimal(str(seconds)) / 3600).quantize(_CENT, rounding=ROUND_HALF_UP)


def breached(seconds: float, target_hours: Decimal) -> bool:
    """A stage taking exactly its target is on time; only longer, by any second, is a breach (the
    exact span is compared, not the hours as shown, which are rounded to the hundredth)."""
    return Decimal(str(seconds)) > target_hours * 3600


# --- quality reviews ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewItem:
    code: str
    label: str
    max_points: int
    points: int
    note: str = ""


def review_problems(items: Sequence[ReviewItem]) -> list[Problem]:
    out: list[Problem] = []
    if not items:
        out.append(problem("items", "no_items"))
    for i, item in enumerate(items):
        at = f"items[{i}]"
        if not item.label.strip():
            out.append(problem(f"{at}.label", "required"))
        if item.max_points <= 0:
            out.append(problem(f"{at}.max_points", "item_max"))
        if item.points < 0:
            out.append(problem(f"{at}.points", "item_negative"))
        elif item.max_points > 0 and item.points > item.max_points:
            out.append(problem(f"{at}.points", "item_points", points=item.points,
                               max=item.max_points))  # fmt: skip
    return out


def review_score(items: Sequence[ReviewItem]) -> Decimal:
    """Points ÷ maximum points × 100, two decimals (valid items only)."""
    top = sum(i.max_points for i in items)
    if top <= 0:
        return Decimal(0)
    got = sum(i.points for i in items)
    return (Decimal(got) * _HUNDRED / top).quantize(_CENT, rounding=ROUND_HALF_UP)


# --- comment themes ----------------------------------------------------------------------------------

#: Theme → the words that mark a comment as about it (simple keyword match; the feedback part's
#: topic model classifies tickets, these themes only summarise survey comments).
THEMES: Final[dict[str, tuple[str, ...]]] = {
    "speed": (
        "慢",
        "快",
        "速度",
        "效率",
        "等了",
        "当天",
        "第二天",
        "一个多星期",
        "半个月",
        "十来天",
    ),
    "rate": ("利率", "利息", "费用", "价格", "手续费", "年化"),
    "staff": ("客户经理", "服务态度", "态度", "耐心", "专业", "热情"),
    "app": ("手机银行", "APP", "App", "app", "线上", "网上", "操作"),
    "process": ("材料", "手续", "流程", "申请", "繁琐", "简单", "方便"),
    "disbursement": ("放款", "到账"),
}


def themes_of(text: str) -> tuple[str, ...]:
    """The themes a free-text comment mentions (in :data:`THEMES` order)."""
    return tuple(t for t, words in THEMES.items() if any(w in text for w in words))
