"""What a campaign achieved: the funnel against its goals, the incremental effect against the
randomised hold-out with confidence intervals, ROI, and A/B tests of two offers. Pure: counts in,
figures out (no session, clock or randomness).

Definitions (stated once, used everywhere):

* **Funnel.** targeted → contacted → responded → applied → approved → disbursed, counted per
  group (treatment, hold-out). The hold-out is never contacted, so its ``contacted`` is 0.
* **Rates are intent-to-treat**: a stage's rate is its count over the group's *targeted* count,
  so a treated customer who was never reached still counts in the denominator (the randomisation
  is kept; the lift is the effect of *putting a customer on the list*).
* **Lift** of a stage = treatment rate − hold-out rate, with a 95 % interval by **Newcombe's
  hybrid score method** (Newcombe 1998, method 10: the difference of the two groups' Wilson score
  intervals combined by the square-and-add rule; no continuity correction). It stays inside
  [−1, 1] and behaves at zero counts, where the Wald interval collapses.
* **Incremental count** of a stage = lift × treated targets (the interval scaled the same way).
* **Net revenue per loan** = net interest income over the loan's expected life − expected loss
  (:func:`net_revenue_per_loan`, the same form as ``products.offer_rules.risk_adjusted_value``,
  which the results service uses so results and next-best-offer value loans alike).
* **ROI** = (incremental net revenue − cost) / cost, with incremental net revenue = incremental
  disbursed loans × mean net revenue per disbursed loan; its interval is the lift interval of the
  ``disbursed`` stage carried through this monotone map (the revenue per loan and the cost are
  taken as known).
* **A/B test** of two arms: the pooled two-proportion z-test, and Fisher's exact test (two-sided)
  which decides when any expected cell count is below 5; significance at α = 5 %; the lift of B
  over A with its Newcombe interval; the sample size per arm needed to detect the observed
  difference with 80 % power (normal approximation, Fleiss' formula without continuity
  correction).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from scipy import stats

STAGES: tuple[str, ...] = ("targeted", "contacted", "responded", "applied", "approved", "disbursed")
#: The stages whose lift over the hold-out is measured (the hold-out is never contacted).
LIFT_STAGES: tuple[str, ...] = ("responded", "applied", "approved", "disbursed")

#: Goal metrics → how the actual is measured. ``rate`` metrics are shares of the treated targets.
GOAL_METRICS: dict[str, str] = {
    "responses": "count",
    "response_rate": "rate",
    "applications": "count",
    "approvals": "count",
    "disbursed_fen": "fen",
    "disbursed_yuan": "yuan",
    "new_customers": "count",
    "satisfaction": "score",
}

#: Loss given default by product type when a loan's own is unknown (documented defaults:
#: mortgage-secured 25 %, unsecured consumer 65 %, business 45 % (Basel foundation IRB for senior
#: unsecured), private banking 25 %).
DEFAULT_LGD: dict[str, float] = {
    "housing": 0.25,
    "consumer": 0.65,
    "business": 0.45,
    "private_banking": 0.25,
}
#: Funding cost of the bank (annual) used in the net interest margin when none is given.
DEFAULT_FUNDING_RATE = 0.02


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval."""

    estimate: float
    low: float
    high: float

    def scaled(self, factor: float) -> Interval:
        lo, hi = sorted((self.low * factor, self.high * factor))
        return Interval(self.estimate * factor, lo, hi)

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class GroupCounts:
    """One group's funnel: how many reached each stage, and what was disbursed."""

    targeted: int
    contacted: int = 0
    responded: int = 0
    applied: int = 0
    approved: int = 0
    disbursed: int = 0
    disbursed_fen: int = 0
    new_customers: int = 0

    def count(self, stage: str) -> int:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {', '.join(STAGES)}; got {stage!r}")
        return int(getattr(self, stage))

    def rate(self, stage: str) -> float:
        return self.count(stage) / self.targeted if self.targeted else 0.0


@dataclass(frozen=True)
class StageLift:
    stage: str
    treatment_rate: float
    control_rate: float
    lift: Interval  # treatment rate − hold-out rate
    incremental: Interval  # lift × treated targets

    @property
    def significant(self) -> bool:
        return self.lift.excludes_zero()


@dataclass(frozen=True)
class GoalProgress:
    metric: str
    target: float
    actual: float | None  # None: not measurable from the data
    share: float | None  # actual / target


@dataclass(frozen=True)
class RoiResult:
    cost_fen: int
    net_revenue_per_loan_fen: float
    incremental_loans: Interval
    incremental_net_revenue_fen: Interval
    roi: Interval | None  # None when the cost is zero


@dataclass(frozen=True)
class AbTestResult:
    arm_a: str
    arm_b: str
    successes_a: int
    trials_a: int
    successes_b: int
    trials_b: int
    rate_a: float
    rate_b: float
    difference: Interval  # rate B − rate A (Newcombe)
    relative_lift: float | None  # (rate B − rate A) / rate A
    z: float | None
    p_value_z: float | None
    p_value_fisher: float
    test: str  # the test that decides: "z" or "fisher"
    p_value: float
    significant: bool
    alpha: float
    n_per_arm_needed: int | None  # to detect the observed difference with 80 % power

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["difference"] = self.difference.as_dict()
        return out


# --------------------------------------------------------------------------- intervals


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _check_counts(x: int, n: int, name: str) -> None:
    if n < 0 or x < 0 or x > n:
        raise ValueError(f"{name}: need 0 <= successes <= trials; got {x} of {n}")


def wilson_interval(x: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson's score interval for a proportion x/n (the empty sample gives [0, 1])."""
    _check_counts(x, n, "wilson_interval")
    if n == 0:
        return Interval(0.0, 0.0, 1.0)
    z = _z(confidence)
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def newcombe_interval(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> Interval:
    """Newcombe's hybrid score interval (method 10) for p1 − p2."""
    a = wilson_interval(x1, n1, confidence)
    b = wilson_interval(x2, n2, confidence)
    d = a.estimate - b.estimate
    low = d - math.sqrt((a.estimate - a.low) ** 2 + (b.high - b.estimate) ** 2)
    high = d + math.sqrt((a.high - a.estimate) ** 2 + (b.estimate - b.low) ** 2)
    return Interval(d, max(-1.0, low), min(1.0, high))


# --------------------------------------------------------------------------- funnel and lift


def lift_by_stage(
    treatment: GroupCounts, control: GroupCounts, confidence: float = 0.95
) -> list[StageLift]:
    """The lift of every measured stage over the hold-out, scaled to the treated group."""
    out = []
    for stage in LIFT_STAGES:
        lift = newcombe_interval(
            treatment.count(stage),
            treatment.targeted,
            control.count(stage),
            control.targeted,
            confidence,
        )
        out.append(
            StageLift(
                stage=stage,
                treatment_rate=treatment.rate(stage),
                control_rate=control.rate(stage),
                lift=lift,
                incremental=lift.scaled(float(treatment.targeted)),
            )
        )
    return out


def goal_actuals(treatment: GroupCounts, satisfaction: float | None = None) -> dict[str, float]:
    """What each goal metric measures, from the treated group's funnel."""
    actuals = {
        "responses": float(treatment.responded),
        "response_rate": treatment.rate("responded"),
        "applications": float(treatment.applied),
        "approvals": float(treatment.approved),
        "disbursed_fen": float(treatment.disbursed_fen),
        "disbursed_yuan": treatment.disbursed_fen / 100,
        "new_customers": float(treatment.new_customers),
    }
    if satisfaction is not None:
        actuals["satisfaction"] = satisfaction
    return actuals


def goal_progress(
    goals: Mapping[str, Decimal | float], actuals: Mapping[str, float]
) -> list[GoalProgress]:
    """Each goal beside its actual (unknown metrics and missing actuals give None)."""
    out = []
    for metric, raw in goals.items():
        target = float(raw)
        actual = actuals.get(metric)
        share = actual / target if actual is not None and target else None
        out.append(GoalProgress(metric, target, actual, share))
    return out


# --------------------------------------------------------------------------- value and ROI


def net_revenue_per_loan(
    amount_fen: Sequence[float] | np.ndarray[Any, Any],
    annual_rate: Sequence[float] | np.ndarray[Any, Any],
    term_months: Sequence[int] | np.ndarray[Any, Any],
    pd12: Sequence[float] | np.ndarray[Any, Any],
    lgd: Sequence[float] | np.ndarray[Any, Any],
    funding_rate: float = DEFAULT_FUNDING_RATE,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Net interest income over the expected life − expected loss, in fen, per loan.

    The balance follows the equal-instalment (等额本息) schedule; the loan survives month m with
    probability (1 − h)^m, h = 1 − (1 − PD12)^(1/12) the monthly default hazard. NII = Σ survival ×
    balance × (rate − funding rate) / 12; expected loss = Σ survival × h × balance × LGD
    (PD × LGD × EAD, month by month). Vectorised over loans (terms padded to the longest).
    """
    amount = np.asarray(amount_fen, dtype=float)
    rate = np.asarray(annual_rate, dtype=float)
    term = np.asarray(term_months, dtype=np.int64)
    p = np.clip(np.asarray(pd12, dtype=float), 0.0, 1.0)
    loss = np.asarray(lgd, dtype=float)
    if amount.size == 0:
        return np.zeros(0)
    if (term <= 0).any():
        raise ValueError("term_months must be positive")
    months = np.arange(int(term.max()))[None, :]
    r = rate[:, None] / 12
    t = term[:, None].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = (1 + r) ** months
        annuity_left = np.where(r > 0, ((1 + r) ** t - growth) / ((1 + r) ** t - 1), 1 - months / t)
    balance = np.where(months < t, amount[:, None] * annuity_left, 0.0)
    hazard = 1 - (1 - p[:, None]) ** (1 / 12)
    survival = (1 - hazard) ** months
    nii = (survival * balance * (rate[:, None] - funding_rate) / 12).sum(axis=1)
    expected_loss = (survival * hazard * balance * loss[:, None]).sum(axis=1)
    return np.asarray(nii - expected_loss, dtype=np.float64)


def roi(disbursed_lift: StageLift, net_revenue_per_loan_fen: float, cost_fen: int) -> RoiResult:
    """ROI = (incremental net revenue − cost) / cost, its interval from the disbursed lift's."""
    loans = disbursed_lift.incremental
    revenue = loans.scaled(net_revenue_per_loan_fen)
    ratio = None
    if cost_fen > 0:
        ratio = Interval(
            (revenue.estimate - cost_fen) / cost_fen,
            (revenue.low - cost_fen) / cost_fen,
            (revenue.high - cost_fen) / cost_fen,
        )
    return RoiResult(cost_fen, net_revenue_per_loan_fen, loans, revenue, ratio)


# --------------------------------------------------------------------------- A/B tests


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float] | None:
    """Pooled two-proportion z statistic of p2 − p1 and its two-sided p-value (None if undefined)."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    z = (x2 / n2 - x1 / n1) / se
    return z, float(2 * stats.norm.sf(abs(z)))


def fisher_exact_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of Fisher's exact test on the 2 × 2 table."""
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    return float(stats.fisher_exact(table, alternative="two-sided").pvalue)


def sample_size_per_arm(
    p1: float, p2: float, alpha: float = 0.05, power: float = 0.8
) -> int | None:
    """Customers per arm to detect p1 vs p2 (two-sided α, power; Fleiss, no continuity
    correction). None when the two rates are equal (no finite size detects no difference)."""
    if p1 == p2 or not (0 <= p1 <= 1 and 0 <= p2 <= 1):
        return None
    za = float(stats.norm.ppf(1 - alpha / 2))
    zb = float(stats.norm.ppf(power))
    pbar = (p1 + p2) / 2
    num = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil((num / (p1 - p2)) ** 2)


def ab_test(
    arm_a: str,
    successes_a: int,
    trials_a: int,
    arm_b: str,
    successes_b: int,
    trials_b: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> AbTestResult:
    """Compare arm B with arm A on one success measure (response, application...)."""
    _check_counts(successes_a, trials_a, f"arm {arm_a}")
    _check_counts(successes_b, trials_b, f"arm {arm_b}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    rate_a = successes_a / trials_a if trials_a else 0.0
    rate_b = successes_b / trials_b if trials_b else 0.0
    zres = two_proportion_z(successes_a, trials_a, successes_b, trials_b)
    p_fisher = fisher_exact_p(successes_a, trials_a, successes_b, trials_b)
    total = trials_a + trials_b
    small = True
    if total and trials_a and trials_b:
        col = (successes_a + successes_b, total - successes_a - successes_b)
        expected = [n * c / total for n in (trials_a, trials_b) for c in col]
        small = min(expected) < 5
    test = "fisher" if small or zres is None else "z"
    p_value = p_fisher if test == "fisher" else zres[1] if zres else 1.0
    return AbTestResult(
        arm_a=arm_a,
        arm_b=arm_b,
        successes_a=successes_a,
        trials_a=trials_a,
        successes_b=successes_b,
        trials_b=trials_b,
        rate_a=rate_a,
        rate_b=rate_b,
        difference=newcombe_interval(successes_b, trials_b, successes_a, trials_a, 1 - alpha),
        relative_lift=(rate_b - rate_a) / rate_a if rate_a else None,
        z=zres[0] if zres else None,
        p_value_z=zres[1] if zres else None,
        p_value_fisher=p_fisher,
        test=test,
        p_value=p_value,
        significant=p_value < alpha,
        alpha=alpha,
        n_per_arm_needed=sample_size_per_arm(rate_a, rate_b, alpha, power),
    )
