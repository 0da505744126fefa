"""Collections rules, pure: the ladder rung a case belongs on, the compliance check of a proposed
contact, the queue's priority and the day of the next action.

The ladder (SMS reminder → phone → on-site visit → legal action) is data (``collection_ladder``):
each rung has an entry rule made of three floors that must *all* hold — days past due
(``min_dpd``), overdue amount (``min_overdue_fen``) and broken promises to pay
(``min_broken_promises``; 0: no requirement) — and the contact kinds allowed on it. A case belongs
on the highest enabled rung whose rule holds. While the loan is still delinquent a case never
moves down: a payment that brings the DPD from 40 to 35 leaves a visit case on the visit rung (the
collector's knowledge of the debtor does not go away). It moves down only when its current rung is
no longer on the ladder (disabled or removed by the ladder's editor), and it leaves the ladder when
the loan is cured, settled or written off.

Contact compliance (enforced by ``risk.collections.log_contact``; every violation is reported,
each with a Chinese and an English message):

* **hours** — no contact outside the contact hours (default 08:00–21:00 local time, the start
  included and the end excluded: 20:59 is allowed, 21:00 is not);
* **daily cap** — at most ``cap`` contacts per debtor per business day, across all their cases
  and channels (the cap-th contact is allowed, the next is refused);
* **third party** — only the debtor, or a guarantor of that loan, may be contacted about the
  debt; anyone else (relatives, employers, neighbours, colleagues…) is refused;
* **kind** — the contact kind must be one the case's rung allows (no lawsuit on the SMS rung).

Every kind of contact (SMS, phone, letter, visit, legal notice, lawsuit) is subject to all four;
a case note is not a contact.

No session, clock or randomness here (house rule 2).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Final

from loanpilot.kit.errors import FieldProblem

#: The contact kinds a collector may log (``collection_actions.kind``).
CONTACT_KINDS: Final[tuple[str, ...]] = (
    "sms",
    "phone",
    "letter",
    "visit",
    "legal_notice",
    "lawsuit",
)
#: A case note: recorded as an action of this kind, never a contact.
NOTE_KIND: Final = "note"
#: Who may be contacted about a debt.
ALLOWED_PARTIES: Final = frozenset({"debtor", "guarantor"})
#: Parties a form may name; every one but the debtor and a guarantor of the loan is refused.
PARTIES: Final[tuple[str, ...]] = ("debtor", "guarantor", "relative", "employer", "other")
#: Results a contact may have (``collection_actions.result``).
RESULTS: Final[tuple[str, ...]] = (
    "no_answer",
    "promise_to_pay",
    "paid",
    "partial_payment",
    "negotiating",
    "refused",
    "wrong_number",
    "delivered",
)
#: Days between actions on each default rung (another rung: a week).
CADENCE_DAYS: Final[dict[str, int]] = {"sms": 3, "phone": 2, "visit": 7, "legal": 14}
#: The legacy ``collection_cases.stage`` of each default rung.
STAGE_OF_RUNG: Final[dict[str, str]] = {
    "sms": "soft",
    "phone": "soft",
    "visit": "hard",
    "legal": "legal",
}


@dataclass(frozen=True)
class Rung:
    """One rung of the ladder and its entry rule (all floors must hold)."""

    step: str
    position: int
    min_dpd: int
    min_overdue_fen: int = 0
    min_broken_promises: int = 0
    contact_kinds: frozenset[str] = frozenset()
    enabled: bool = True

    def admits(self, dpd: int, overdue_fen: int, broken_promises: int) -> bool:
        """Whether a case with these figures meets this rung's entry rule."""
        return (
            dpd >= self.min_dpd
            and overdue_fen >= self.min_overdue_fen
            and broken_promises >= self.min_broken_promises
        )


#: The ladder seeded when ``collection_ladder`` is empty. SMS from the first day past due;
#: phone from day 8, when the technical-delay grace of the five-category rules (≤ 7 days) ends;
#: an on-site visit from day 31 (M2) once at least ¥500 is overdue; legal action from day 91
#: (M4, the loan is non-performing) once at least ¥2,000 is overdue. Each rung keeps the lower
#: rungs' contact kinds.
DEFAULT_LADDER: Final[tuple[Rung, ...]] = (
    Rung("sms", 1, 1, 0, 0, frozenset({"sms"})),
    Rung("phone", 2, 8, 0, 0, frozenset({"sms", "phone"})),
    Rung("visit", 3, 31, 50_000, 0, frozenset({"sms", "phone", "letter", "visit"})),
    Rung("legal", 4, 91, 200_000, 0, frozenset(CONTACT_KINDS)),
)


def _enabled(ladder: Iterable[Rung]) -> list[Rung]:
    return sorted((r for r in ladder if r.enabled), key=lambda r: r.position)


def entry_rung(
    ladder: Sequence[Rung], *, dpd: int, overdue_fen: int, broken_promises: int
) -> Rung | None:
    """The highest enabled rung whose entry rule holds (None: none holds)."""
    found: Rung | None = None
    for rung in _enabled(ladder):
        if rung.admits(dpd, overdue_fen, broken_promises):
            found = rung
    return found


def rung_for(
    ladder: Sequence[Rung],
    *,
    dpd: int,
    overdue_fen: int,
    broken_promises: int,
    current: str | None = None,
) -> Rung | None:
    """The rung a case belongs on: the highest whose rule holds, never below ``current`` while
    the loan is delinquent (``dpd`` > 0); the lowest enabled rung when the case is delinquent but
    no rule holds; None when the loan is not delinquent or the ladder has no enabled rung."""
    rungs = _enabled(ladder)
    if dpd <= 0 or not rungs:
        return None
    best = entry_rung(rungs, dpd=dpd, overdue_fen=overdue_fen, broken_promises=broken_promises)
    if best is None:
        best = rungs[0]
    held = next((r for r in rungs if r.step == current), None)
    if held is not None and held.position > best.position:
        return held
    return best


def opens_case(ladder: Sequence[Rung], dpd: int) -> bool:
    """Whether a repaying loan this many days past due is taken into collections: from the
    lowest enabled rung's DPD floor (the first day past due by default)."""
    rungs = _enabled(ladder)
    return bool(rungs) and dpd >= max(1, rungs[0].min_dpd)


def ladder_problems(ladder: Sequence[Rung]) -> list[FieldProblem]:
    """Every problem of an edited ladder (empty when it may be saved): steps and positions
    unique, floors not negative, known contact kinds, and the DPD floors of the enabled rungs
    rising with the position (a higher rung cannot be entered earlier than a lower one)."""
    problems: list[FieldProblem] = []
    seen_steps: set[str] = set()
    seen_positions: set[int] = set()
    for rung in ladder:
        where = f"ladder.{rung.step}"
        if not rung.step or len(rung.step) > 16:
            problems.append(FieldProblem(where, "step must be 1 to 16 characters"))
        if rung.step in seen_steps:
            problems.append(FieldProblem(where, f"step {rung.step} is listed twice"))
        if rung.position in seen_positions:
            problems.append(FieldProblem(where, f"position {rung.position} is used twice"))
        seen_steps.add(rung.step)
        seen_positions.add(rung.position)
        if rung.min_dpd < 1:
            problems.append(FieldProblem(f"{where}.min_dpd", "must be at least 1 day"))
        if rung.min_overdue_fen < 0:
            problems.append(FieldProblem(f"{where}.min_overdue_fen", "must not be negative"))
        if rung.min_broken_promises < 0:
            problems.append(FieldProblem(f"{where}.min_broken_promises", "must not be negative"))
        unknown = sorted(rung.contact_kinds - set(CONTACT_KINDS))
        if unknown:
            problems.append(
                FieldProblem(
                    f"{where}.contact_kinds",
                    f"unknown contact kinds {', '.join(unknown)}; "
                    f"allowed: {', '.join(CONTACT_KINDS)}",
                )
            )
        if rung.enabled and not rung.contact_kinds:
            problems.append(FieldProblem(f"{where}.contact_kinds", "an enabled rung needs a kind"))
    rungs = _enabled(ladder)
    for lower, upper in itertools.pairwise(rungs):
        if upper.min_dpd < lower.min_dpd:
            problems.append(
                FieldProblem(
                    f"ladder.{upper.step}.min_dpd",
                    f"must be at least {lower.min_dpd} (the DPD floor of {lower.step}, "
                    "the rung below it)",
                )
            )
    if not rungs:
        problems.append(FieldProblem("ladder", "at least one rung must be enabled"))
    return problems


# --- contact compliance -----------------------------------------------------------------------


@dataclass(frozen=True)
class ContactHours:
    """Local hours in which a debtor may be contacted: ``start`` included, ``end`` excluded."""

    start: time
    end: time

    def allows(self, local: time) -> bool:
        return self.start <= local < self.end

    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


def parse_contact_hours(text: str) -> ContactHours:
    """``"08:00-21:00"`` → ContactHours; ValueError naming what is wrong otherwise."""
    parts = text.replace("–", "-").split("-")
    if len(parts) != 2:
        raise ValueError(f"contact hours must look like 08:00-21:00, got {text!r}")
    try:
        start, end = (time.fromisoformat(p.strip()) for p in parts)
    except ValueError:
        raise ValueError(f"contact hours must look like 08:00-21:00, got {text!r}") from None
    if not start < end:
        raise ValueError(f"contact hours must start before they end, got {text!r}")
    return ContactHours(start, end)


@dataclass(frozen=True)
class Violation:
    """One broken compliance rule, with what to tell the collector in each language."""

    rule: str  # hours | daily_cap | third_party | kind
    zh: str
    en: str


@dataclass(frozen=True)
class ProposedContact:
    """A contact a collector wants to make (or has just made and wants to log)."""

    local_time: time  # in the bank's timezone
    kind: str
    party: str
    guarantor_of_loan: bool  # the party is a guarantor of this loan (for party "guarantor")
    contacts_today: int  # contacts already made today to this debtor, all cases and channels
    rung: str | None
    allowed_kinds: frozenset[str]


def check_contact(
    contact: ProposedContact, *, hours: ContactHours, daily_cap: int
) -> tuple[Violation, ...]:
    """Every compliance rule the contact breaks (empty: it may be made)."""
    out: list[Violation] = []
    if not hours.allows(contact.local_time):
        at, span = f"{contact.local_time:%H:%M}", hours.label()
        out.append(
            Violation(
                "hours",
                f"不在允许的联系时段内（{span}，当前当地时间 {at}）",
                f"outside the contact hours {span} (local time now {at})",
            )
        )
    if contact.contacts_today >= daily_cap:
        out.append(
            Violation(
                "daily_cap",
                f"该债务人今日已被联系 {contact.contacts_today} 次，已达每日上限 {daily_cap} 次",
                f"this debtor has been contacted {contact.contacts_today} times today; "
                f"the daily cap is {daily_cap}",
            )
        )
    if contact.party not in ALLOWED_PARTIES or (
        contact.party == "guarantor" and not contact.guarantor_of_loan
    ):
        out.append(
            Violation(
                "third_party",
                "不得就债务联系第三方：只可联系借款人本人或该笔贷款的担保人",
                f"no contact of third parties about the debt ({contact.party}): only the "
                "debtor or a guarantor of this loan may be contacted",
            )
        )
    if contact.kind not in contact.allowed_kinds:
        rung = contact.rung or "—"
        allowed = ", ".join(sorted(contact.allowed_kinds)) or "—"
        out.append(
            Violation(
                "kind",
                f"当前催收阶段（{rung}）不允许此联系方式（{contact.kind}）；允许：{allowed}",
                f"the contact kind {contact.kind} is not allowed on the {rung} rung; "
                f"allowed: {allowed}",
            )
        )
    return tuple(out)


# --- the queue --------------------------------------------------------------------------------

#: DPD at which the DPD part of the priority is full (M7+).
_DPD_FULL: Final = 180
#: Overdue amount (fen) at which the amount part is full: ¥1,000,000 (log scale below it).
_AMOUNT_FULL_FEN: Final = 100_000_000
#: Weights of DPD, overdue amount and probability of default in the priority (sum 100).
WEIGHTS: Final = (45.0, 35.0, 20.0)


def priority(dpd: int, overdue_fen: int, pd: float | None = None) -> float:
    """A case's place in the queue, 0–100, higher first: DPD (full at 180 days), the overdue
    amount (log scale, full at ¥1,000,000) and the behavioural PD when known (unknown: the DPD
    part stands in for it, DPD/90 capped at 1, so a case without a score is not ranked low)."""
    if dpd < 0 or overdue_fen < 0:
        raise ValueError(f"dpd and overdue_fen must be >= 0, got {dpd} and {overdue_fen}")
    if pd is not None and not 0.0 <= pd <= 1.0:
        raise ValueError(f"pd must be within [0, 1], got {pd}")
    w_dpd, w_amount, w_pd = WEIGHTS
    dpd_part = min(dpd, _DPD_FULL) / _DPD_FULL
    amount_part = min(1.0, math.log1p(overdue_fen) / math.log1p(_AMOUNT_FULL_FEN))
    pd_part = pd if pd is not None else min(1.0, dpd / 90)
    return round(w_dpd * dpd_part + w_amount * amount_part + w_pd * pd_part, 4)


def next_action_on(
    rung: str | None,
    *,
    as_of: date,
    last_contact_on: date | None,
    open_promise_due: date | None,
) -> date:
    """When the collector should act next: the day after an open promise falls due (follow it
    up), else the rung's cadence after the last contact (a new case: today)."""
    if open_promise_due is not None:
        return open_promise_due + timedelta(days=1)
    if last_contact_on is None:
        return as_of
    return last_contact_on + timedelta(days=CADENCE_DAYS.get(rung or "", 7))


def promise_outcome(amount_fen: int, paid_fen: int, due_on: date, as_of: date) -> str:
    """``kept`` once the repayments since the promise cover it, ``broken`` when its day has
    passed without that (checked at the close of ``due_on``), else ``open``."""
    if paid_fen >= amount_fen:
        return "kept"
    if as_of >= due_on:
        return "broken"
    return "open"
