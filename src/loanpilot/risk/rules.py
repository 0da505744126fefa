"""Pure risk rules (no session, clock or randomness): DPD buckets and the five-category
classification floor by days past due (金融资产风险分类办法, 2023).

* any overdue principal or interest → at least 关注 (special mention), except a delay of at most
  ``TECHNICAL_DELAY_DAYS`` days that the bank has established as operational or technical (a failed
  debit, a system outage) — the caller says so with ``technical=True``; an ordinary late payment of
  one day is already 关注;
* more than 90 days past due → at least 次级 (substandard);
* more than 270 → at least 可疑 (doubtful);
* more than 360 → 损失 (loss).

These are floors: an officer may classify worse (a manual override), and the daily close keeps the
worse of the rule and the override.

Below them, the credit decision: a versioned policy of hard rules and score cut-offs, and ``decide``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from loanpilot.kit.errors import FieldProblem, ValidationError

TECHNICAL_DELAY_DAYS = 7

FIVE_CLASSES: tuple[str, ...] = ("normal", "special_mention", "substandard", "doubtful", "loss")
FIVE_CLASS_ZH: dict[str, str] = {
    "normal": "正常",
    "special_mention": "关注",
    "substandard": "次级",
    "doubtful": "可疑",
    "loss": "损失",
}
NON_PERFORMING_CLASSES: frozenset[str] = frozenset({"substandard", "doubtful", "loss"})

#: DPD bucket upper bounds (inclusive): M0 0, M1 1–30, …, M6 151–180, M7+ beyond.
BUCKETS: tuple[str, ...] = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+")
_BUCKET_EDGES = np.array([0, 30, 60, 90, 120, 150, 180])
_CLASS_EDGES = np.array([90, 270, 360])  # special mention up to 90, substandard to 270, ...


def five_class_floor(dpd: int, *, technical: bool = False) -> str:
    """The least severe class the rules allow for a loan ``dpd`` days past due.

    ``technical`` marks an arrear the bank has established as an operational or technical delay:
    up to ``TECHNICAL_DELAY_DAYS`` days of it keep the loan 正常.
    """
    if dpd < 0:
        raise ValueError(f"dpd must be >= 0, got {dpd}")
    if dpd == 0 or (technical and dpd <= TECHNICAL_DELAY_DAYS):
        return FIVE_CLASSES[0]
    return FIVE_CLASSES[1 + int(np.searchsorted(_CLASS_EDGES, dpd, side="left"))]


def five_class_floor_many(
    dpd: npt.ArrayLike, technical: npt.ArrayLike | None = None
) -> npt.NDArray[Any]:
    """Vectorised ``five_class_floor``; ``technical`` is a boolean per loan (default all False)."""
    days = np.asarray(dpd)
    if days.size and days.min() < 0:
        raise ValueError("dpd must be >= 0")
    classes = np.asarray(FIVE_CLASSES, dtype=object)[
        1 + np.searchsorted(_CLASS_EDGES, days, side="left")
    ]
    excused = days == 0
    if technical is not None:
        excused |= np.asarray(technical, dtype=bool) & (days <= TECHNICAL_DELAY_DAYS)
    classes[excused] = FIVE_CLASSES[0]
    return classes


def dpd_bucket(dpd: int) -> str:
    if dpd < 0:
        raise ValueError(f"dpd must be >= 0, got {dpd}")
    return BUCKETS[int(np.searchsorted(_BUCKET_EDGES, dpd, side="left"))]


def dpd_bucket_many(dpd: npt.ArrayLike) -> npt.NDArray[Any]:
    days = np.asarray(dpd)
    if days.size and days.min() < 0:
        raise ValueError("dpd must be >= 0")
    return np.asarray(BUCKETS, dtype=object)[np.searchsorted(_BUCKET_EDGES, days, side="left")]


def worse_class(a: str, b: str) -> str:
    """The more severe of two classes."""
    return FIVE_CLASSES[max(FIVE_CLASSES.index(a), FIVE_CLASSES.index(b))]


# --- credit decisions ----------------------------------------------------------------------------
#
# A policy is data (versioned, edited by a risk officer): hard rules that decline whatever the
# score, then score cut-offs giving approve / refer to manual review / decline. ``decide`` is pure:
# it takes the applicant's facts, the score (or None when no model scored them) and the policy.


class DecisionOutcome(StrEnum):
    """The outcome of a credit decision (stored by ``risk.models.Decision``)."""

    APPROVE = "approve"
    REFER = "refer"  # manual review
    DECLINE = "decline"


@dataclass(frozen=True)
class HardRules:
    """Rules that decline an application whatever its score (amounts in fen, ratios as fractions).

    ``occupations`` and ``collateral`` are per product code: the occupations a product lends to
    (absent or empty: any) and the collateral kind it requires (absent: none).
    """

    min_age: int = 18
    max_age: int = 60  # at application
    max_age_at_maturity: int = 65
    min_monthly_income_fen: int = 300_000
    max_dti: Decimal = Decimal("0.55")  # all monthly debt payments after the new loan ÷ income
    decline_current_delinquency: bool = True
    decline_blacklisted: bool = True
    occupations: Mapping[str, frozenset[str]] = field(default_factory=dict)
    collateral: Mapping[str, str] = field(default_factory=dict)
    provident_fund_required: frozenset[str] = frozenset()  # product codes (公积金 loans)


@dataclass(frozen=True)
class Cutoffs:
    """Score cut-offs: ``approve_from`` and above approve, below ``decline_below`` decline, and the
    band between goes to manual review."""

    approve_from: int = 620
    decline_below: int = 560


@dataclass(frozen=True)
class Policy:
    version: str
    hard: HardRules = field(default_factory=HardRules)
    cutoffs: Cutoffs = field(default_factory=Cutoffs)


@dataclass(frozen=True)
class Facts:
    """What the decision knows about one application (ages in whole years at the two dates)."""

    product_code: str
    age: int
    age_at_maturity: int
    monthly_income_fen: int
    monthly_debt_payment_fen: int  # existing obligations (bureau)
    new_instalment_fen: int  # the largest instalment of the loan applied for
    bureau_current_overdue: bool
    blacklisted: bool
    occupation: str
    collateral_kind: str | None = None
    has_provident_fund: bool = False


@dataclass(frozen=True)
class Reason:
    """Why: a stable ``code`` (the surfaces translate it) and the figures it refers to."""

    code: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CreditDecision:
    outcome: DecisionOutcome
    reasons: tuple[Reason, ...]
    score: int | None
    policy_version: str


def policy_problems(policy: Policy) -> list[FieldProblem]:
    """Every contradiction or impossible value of ``policy`` (empty when it is usable)."""
    hard, cut = policy.hard, policy.cutoffs
    problems: list[FieldProblem] = []
    if not policy.version.strip():
        problems.append(FieldProblem("version", "must not be empty"))
    if not 0 < hard.min_age <= hard.max_age:
        problems.append(FieldProblem("hard.min_age", "must be positive and at most max_age"))
    if hard.max_age > hard.max_age_at_maturity:
        problems.append(
            FieldProblem("hard.max_age_at_maturity", "must be at least max_age at application")
        )
    if hard.min_monthly_income_fen < 0:
        problems.append(FieldProblem("hard.min_monthly_income_fen", "must not be negative"))
    if not Decimal(0) < hard.max_dti <= Decimal(1):
        problems.append(FieldProblem("hard.max_dti", "must be above 0 and at most 1 (100 %)"))
    if cut.decline_below > cut.approve_from:
        problems.append(
            FieldProblem(
                "cutoffs",
                f"decline_below ({cut.decline_below}) is above approve_from "
                f"({cut.approve_from}): the bands overlap",
            )
        )
    for code, allowed in hard.occupations.items():
        if not allowed:
            problems.append(
                FieldProblem(f"hard.occupations.{code}", "an empty list would refuse everyone")
            )
    return problems


def check_policy(policy: Policy) -> Policy:
    """``policy`` if usable, else ValidationError listing every contradiction at once."""
    problems = policy_problems(policy)
    if problems:
        raise ValidationError(
            "policy.invalid", f"Policy {policy.version!r} is not usable", problems
        )
    return policy


def dti_after(facts: Facts) -> Decimal | None:
    """Monthly debt payments after the new loan ÷ monthly income (None without income)."""
    if facts.monthly_income_fen <= 0:
        return None
    debt = facts.monthly_debt_payment_fen + facts.new_instalment_fen
    return Decimal(debt) / Decimal(facts.monthly_income_fen)


def hard_rule_reasons(facts: Facts, hard: HardRules) -> list[Reason]:
    """Every hard rule ``facts`` break, in a fixed order."""
    reasons: list[Reason] = []
    if facts.age < hard.min_age:
        reasons.append(Reason("rule.age_below_min", {"min": str(hard.min_age)}))
    if facts.age > hard.max_age:
        reasons.append(Reason("rule.age_above_max", {"max": str(hard.max_age)}))
    if facts.age_at_maturity > hard.max_age_at_maturity:
        reasons.append(Reason("rule.age_at_maturity", {"max": str(hard.max_age_at_maturity)}))
    if facts.monthly_income_fen < hard.min_monthly_income_fen:
        reasons.append(
            Reason("rule.income_below_min", {"min_fen": str(hard.min_monthly_income_fen)})
        )
    dti = dti_after(facts)
    if dti is None or dti > hard.max_dti:
        shown = "n/a" if dti is None else str(dti.quantize(Decimal("0.0001")))
        reasons.append(Reason("rule.dti_above_max", {"dti": shown, "max": str(hard.max_dti)}))
    if hard.decline_current_delinquency and facts.bureau_current_overdue:
        reasons.append(Reason("rule.bureau_delinquent"))
    if hard.decline_blacklisted and facts.blacklisted:
        reasons.append(Reason("rule.blacklisted"))
    allowed = hard.occupations.get(facts.product_code)
    if allowed and facts.occupation not in allowed:
        reasons.append(Reason("rule.occupation_not_eligible", {"occupation": facts.occupation}))
    needed = hard.collateral.get(facts.product_code)
    if needed and facts.collateral_kind != needed:
        reasons.append(Reason("rule.collateral_required", {"kind": needed}))
    if facts.product_code in hard.provident_fund_required and not facts.has_provident_fund:
        reasons.append(Reason("rule.provident_fund_required"))
    return reasons


def decide(
    facts: Facts,
    score: int | None,
    policy: Policy,
    score_reasons: tuple[Reason, ...] = (),
) -> CreditDecision:
    """The decision on one application: any broken hard rule declines (with every rule broken);
    otherwise the score decides by the cut-offs, with ``score_reasons`` (the scorecard's top
    reasons) attached to a refer or a decline; no score at all refers to manual review."""
    broken = hard_rule_reasons(facts, policy.hard)
    if broken:
        return CreditDecision(DecisionOutcome.DECLINE, tuple(broken), score, policy.version)
    cut = policy.cutoffs
    if score is None:
        return CreditDecision(
            DecisionOutcome.REFER, (Reason("score.missing"),), None, policy.version
        )
    if score >= cut.approve_from:
        return CreditDecision(DecisionOutcome.APPROVE, (), score, policy.version)
    if score < cut.decline_below:
        band = Reason(
            "score.below_decline", {"score": str(score), "cutoff": str(cut.decline_below)}
        )
        return CreditDecision(
            DecisionOutcome.DECLINE, (band, *score_reasons), score, policy.version
        )
    band = Reason("score.refer_band", {"score": str(score), "approve_from": str(cut.approve_from)})
    return CreditDecision(DecisionOutcome.REFER, (band, *score_reasons), score, policy.version)
