"""Pure appraisal rules (绩效考核): validating a plan, the scoring curves, the weighted total, ranks
within comparable groups and the lines that explain a score.

No session, clock or randomness here (house rule 2). Every problem names its field
(``indicators[2].weight``, ``weights``...) and carries a stable ``code`` (a key of
:data:`PROBLEMS`) with the values its text needs, so a page shows it in the reader's language
(``appraisal.problem.<code>``).

The rules, stated once:

* **Weights** are given in per cent and must add up to exactly 100 % (to the hundredth).
* **Curves** (the score of one indicator, in points, before its weight):
  ``linear`` (higher is better): ``actual ÷ target × 100``; ``linear_inverse`` (lower is better):
  ``(2 − actual ÷ target) × 100`` (on target 100, twice the target 0); ``rating`` (qualitative):
  the rating placed on its scale, ``(rating − scale_min) ÷ (scale_max − scale_min) × 100``. Each is
  clipped to ``[floor, cap]`` (default 0 and 120; 100 for ratings) and rounded half-up to 0.01.
* **Missing data** (no KPI value for the person, no rating yet) scores :data:`MISSING_SCORE`
  points (the 基准分, as the demo bank's history does), and the line says it is missing.
* **Weighted contribution** = score × weight, rounded to 0.01; the **total** is their sum.
* **Comparable groups**: the plan is for one role, so everyone in a group has the same role;
  ``branch`` groups them by the city branch (分行) they work under (a sub-branch's staff with their
  分行's; head-office staff form their own group); ``bank`` makes the whole bank one group.
* **Ranks**: highest total first; equal totals share a rank and the next rank skips (1, 2, 2, 4).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final, Literal, TypeVar

from loanpilot.kit.errors import CodedProblem

QUANTITATIVE: Final = "quantitative"
QUALITATIVE: Final = "qualitative"
KINDS: Final = (QUANTITATIVE, QUALITATIVE)
CURVES: Final = ("linear", "linear_inverse", "rating")
GroupRule = Literal["branch", "bank"]
GROUP_RULES: Final[tuple[GroupRule, ...]] = ("branch", "bank")
DEFAULT_GROUP_RULE: Final[GroupRule] = "branch"
BANK_GROUP: Final = "bank"
#: Score of a line without data (基准分).
MISSING_SCORE: Final = Decimal(80)
WEIGHT_TOTAL: Final = Decimal(100)
DEFAULT_FLOOR: Final = Decimal(0)
DEFAULT_CAP: Final = Decimal(120)
RATING_CAP: Final = Decimal(100)
#: The highest cap a curve may have (a score beyond twice the target's is a typo).
MAX_CAP: Final = Decimal(200)
MAX_TARGET: Final = Decimal(10) ** 12
MAX_SCALE: Final = Decimal(1000)
CODE_MAX: Final = 32
NAME_MAX: Final = 100
_CENT: Final = Decimal("0.01")
_TOO_LARGE: Final = Decimal(10) ** 24
_HUNDRED: Final = Decimal(100)


@dataclass(frozen=True)
class CatalogueEntry:
    """A quantitative indicator the system can measure (the adapter maps it to a KPI)."""

    name_zh: str
    name_en: str
    unit: str  # wan (万元), count, pct (per cent points), csat (1-5), points (0-100)
    higher_is_better: bool


#: The quantitative indicators, by code. Qualitative indicators may have any code.
CATALOGUE: Final[dict[str, CatalogueEntry]] = {
    "disbursed_amount": CatalogueEntry(
        "放款金额（万元）", "Disbursed amount (10k yuan)", "wan", True
    ),
    "new_customers": CatalogueEntry("新增客户数", "New customers", "count", True),
    "approval_rate": CatalogueEntry("审批通过率（%）", "Approval rate (%)", "pct", True),
    "customer_satisfaction": CatalogueEntry(
        "客户满意度（CSAT 1–5）", "Customer satisfaction (CSAT 1-5)", "csat", True
    ),
    "territory_market_share": CatalogueEntry(
        "辖区市场份额（%）", "Market share of the territory (%)", "pct", True
    ),
    "portfolio_overdue_rate": CatalogueEntry(
        "管户贷款逾期率（%）", "Overdue rate of own portfolio (%)", "pct", False
    ),
    "service_quality": CatalogueEntry(
        "服务质量检查得分", "Service-quality review score", "points", True
    ),
}
#: Qualitative indicators the plan editor offers (rated by managers).
QUALITATIVE_DEFAULTS: Final[dict[str, tuple[str, str]]] = {
    "service_attitude": ("服务态度", "Service attitude"),
    "teamwork": ("团队协作", "Teamwork"),
    "innovation": ("创新能力", "Innovation"),
}

PROBLEMS: Final[dict[str, str]] = {
    "required": "is required",
    "too_long": "must be at most {max} characters",
    "unknown_role": "unknown role {given}",
    "bad_code": "a code is 1-32 lower-case letters, digits or _ (given {given})",
    "duplicate_code": "the indicator code {given} is used twice",
    "unknown_kind": "unknown kind {given} (allowed: quantitative, qualitative)",
    "unknown_measure": "no measure for the quantitative indicator {given} (allowed: {allowed})",
    "not_a_number": "is not a number",
    "weight_range": "a weight is above 0 and at most 100 % (given {given})",
    "weight_places": "a weight has at most two decimals (given {given} %)",
    "weights_sum": "the weights add up to {total} %, not 100 % ({weights})",
    "no_indicators": "a plan needs at least one indicator",
    "target_required": "a quantitative indicator needs a target above 0",
    "target_too_large": "the target is too large",
    "unknown_curve": "unknown curve {given} (allowed: {allowed})",
    "curve_kind": "a {kind} indicator scores with {allowed}, not {given}",
    "curve_direction": "{given} does not match the direction (higher is better: {higher})",
    "floor_range": "the floor must be 0 or more and below the cap ({floor} ≥ {cap})",
    "cap_range": "the cap must be at most {max} points (given {given})",
    "scale_range": "the rating scale must run upwards within 0 to 1000 (given {low} to {high})",
    "rating_range": "the rating {given} is outside the scale {low} to {high}",
    "rating_not_qualitative": "{given} is not a qualitative indicator of this plan",
    "not_yours": "you may not rate this staff member",
    "unknown_staff": "no staff member {given} of this plan's role",
    "unknown_group_rule": "unknown grouping {given} (allowed: {allowed})",
}


class Problem(CodedProblem):
    """A problem of appraisal: its ``code`` is a key of :data:`PROBLEMS`."""


def problem(field: str, code: str, /, **params: object) -> Problem:
    """The problem ``code`` of ``field``, its English text filled from ``params``."""
    return Problem.of(PROBLEMS, field, code, params)


def cents(value: Decimal) -> Decimal:
    """Rounded half-up to 0.01 (a value too large to hold cents is returned as it is)."""
    if not value.is_finite() or abs(value) >= _TOO_LARGE:
        return value
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def pct_text(value: Decimal) -> str:
    """``30.00`` → ``30``, ``12.50`` → ``12.5``."""
    return f"{value.normalize():f}"


# --- curves ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Curve:
    """A scoring curve as stored in ``appraisal_indicators.curve``."""

    type: str
    floor: Decimal = DEFAULT_FLOOR
    cap: Decimal = DEFAULT_CAP
    scale_min: Decimal = Decimal(0)
    scale_max: Decimal = _HUNDRED

    @classmethod
    def of(cls, stored: Mapping[str, Any] | None) -> Curve:
        """The curve of a stored JSON object (missing parameters take their defaults)."""
        data = dict(stored or {})
        kind = str(data.get("type", "linear"))
        cap_default = RATING_CAP if kind == "rating" else DEFAULT_CAP

        def number(key: str, default: Decimal) -> Decimal:
            value = data.get(key)
            return default if value is None else Decimal(str(value))

        return cls(
            type=kind,
            floor=number("floor", DEFAULT_FLOOR),
            cap=number("cap", cap_default),
            scale_min=number("scale_min", Decimal(0)),
            scale_max=number("scale_max", _HUNDRED),
        )

    def stored(self) -> dict[str, Any]:
        """The JSON object kept with the indicator (numbers as plain JSON numbers)."""
        out: dict[str, Any] = {"type": self.type, "floor": _num(self.floor), "cap": _num(self.cap)}
        if self.type == "rating":
            out |= {"scale_min": _num(self.scale_min), "scale_max": _num(self.scale_max)}
        return out


def _num(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def curve_score(actual: Decimal, target: Decimal | None, curve: Curve) -> Decimal:
    """The points ``actual`` earns on ``curve`` (before the weight), clipped and rounded."""
    if curve.type == "rating":
        span = curve.scale_max - curve.scale_min
        raw = (actual - curve.scale_min) / span * _HUNDRED if span > 0 else actual
    elif target is None or target == 0:
        raw = actual
    elif curve.type == "linear_inverse":
        raw = (2 - actual / target) * _HUNDRED
    else:
        raw = actual / target * _HUNDRED
    return cents(min(max(raw, curve.floor), curve.cap))


# --- a plan and its validation ----------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorDraft:
    """One indicator as the form or the API gives it; ``weight_pct`` in per cent."""

    code: str
    name: str
    kind: str
    weight_pct: Decimal | None
    target: Decimal | None
    higher_is_better: bool
    curve: Curve


@dataclass(frozen=True)
class PlanDraft:
    name: str
    role: str
    period: str
    indicators: tuple[IndicatorDraft, ...]


def _is_code(code: str) -> bool:
    return 0 < len(code) <= CODE_MAX and all(c.isdigit() or c == "_" or "a" <= c <= "z"
                                             for c in code)  # fmt: skip


def _curve_problems(at: str, ind: IndicatorDraft) -> list[Problem]:
    out: list[Problem] = []
    c = ind.curve
    if c.type not in CURVES:
        return [problem(f"{at}.curve", "unknown_curve", given=c.type, allowed=", ".join(CURVES))]
    if ind.kind == QUALITATIVE and c.type != "rating":
        out.append(problem(f"{at}.curve", "curve_kind", kind=ind.kind, allowed="rating",
                           given=c.type))  # fmt: skip
    if ind.kind == QUANTITATIVE and c.type == "rating":
        out.append(problem(f"{at}.curve", "curve_kind", kind=ind.kind,
                           allowed="linear, linear_inverse", given=c.type))  # fmt: skip
    if ind.kind == QUANTITATIVE and (c.type == "linear_inverse") == ind.higher_is_better:
        out.append(problem(f"{at}.curve", "curve_direction", given=c.type,
                           higher=ind.higher_is_better))  # fmt: skip
    if c.floor < 0 or c.floor >= c.cap:
        out.append(problem(f"{at}.floor", "floor_range", floor=c.floor, cap=c.cap))
    if c.cap > MAX_CAP:
        out.append(problem(f"{at}.cap", "cap_range", max=MAX_CAP, given=c.cap))
    if c.type == "rating" and not 0 <= c.scale_min < c.scale_max <= MAX_SCALE:
        out.append(problem(f"{at}.scale", "scale_range", low=c.scale_min, high=c.scale_max))
    return out


def _indicator_problems(at: str, ind: IndicatorDraft, measures: Collection[str]) -> list[Problem]:
    out: list[Problem] = []
    if not _is_code(ind.code):
        out.append(problem(f"{at}.code", "bad_code", given=ind.code or "—"))
    if not ind.name.strip():
        out.append(problem(f"{at}.name", "required"))
    elif len(ind.name.strip()) > NAME_MAX:
        out.append(problem(f"{at}.name", "too_long", max=NAME_MAX))
    if ind.kind not in KINDS:
        out.append(problem(f"{at}.kind", "unknown_kind", given=ind.kind))
        return out
    if ind.weight_pct is None:
        out.append(problem(f"{at}.weight", "required"))
    elif not 0 < ind.weight_pct <= WEIGHT_TOTAL:
        out.append(problem(f"{at}.weight", "weight_range", given=pct_text(ind.weight_pct)))
    elif ind.weight_pct != cents(ind.weight_pct):
        out.append(problem(f"{at}.weight", "weight_places", given=pct_text(ind.weight_pct)))
    if ind.kind == QUANTITATIVE:
        if ind.code and _is_code(ind.code) and ind.code not in measures:
            out.append(problem(f"{at}.code", "unknown_measure", given=ind.code,
                               allowed=", ".join(sorted(measures))))  # fmt: skip
        if ind.target is None or ind.target <= 0:
            out.append(problem(f"{at}.target", "target_required"))
        elif ind.target > MAX_TARGET:
            out.append(problem(f"{at}.target", "target_too_large"))
    return out + _curve_problems(at, ind)


def weights_problem(indicators: Sequence[IndicatorDraft]) -> Problem | None:
    """The weights-sum problem (naming the sum and every weight), or None when they make 100 %."""
    given = [i for i in indicators if i.weight_pct is not None]
    total = sum((i.weight_pct or Decimal(0) for i in given), Decimal(0))
    if cents(total) == WEIGHT_TOTAL and len(given) == len(indicators):
        return None
    listed = ", ".join(
        f"{i.code or '?'} {pct_text(i.weight_pct) if i.weight_pct is not None else '—'} %"
        for i in indicators
    )
    return problem("weights", "weights_sum", total=pct_text(cents(total)), weights=listed)


def validate_plan(
    draft: PlanDraft, *, roles: Collection[str], measures: Collection[str] = tuple(CATALOGUE)
) -> list[Problem]:
    """Every problem of a plan: name, role, period text (parsed by the caller), each indicator
    (code, name, kind, weight, target, curve) and the weights' sum."""
    out: list[Problem] = []
    if not draft.name.strip():
        out.append(problem("name", "required"))
    elif len(draft.name.strip()) > NAME_MAX:
        out.append(problem("name", "too_long", max=NAME_MAX))
    if draft.role not in roles:
        out.append(problem("role", "unknown_role", given=draft.role or "—"))
    if not draft.indicators:
        out.append(problem("indicators", "no_indicators"))
        return out
    seen: set[str] = set()
    for i, ind in enumerate(draft.indicators):
        at = f"indicators[{i}]"
        out += _indicator_problems(at, ind, measures)
        if ind.code in seen:
            out.append(problem(f"{at}.code", "duplicate_code", given=ind.code))
        seen.add(ind.code)
    sum_problem = weights_problem(draft.indicators)
    if sum_problem is not None:
        out.append(sum_problem)
    return out


def parse_decimal(text: str | None) -> Decimal | None:
    """``"12.5"`` → Decimal; blank → None; raises ValueError on anything else."""
    if text is None or not str(text).strip():
        return None
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(str(text)) from exc
    if not value.is_finite():
        raise ValueError(str(text))
    return value


def rating_problem(field: str, rating: Decimal, curve: Curve) -> Problem | None:
    """A rating outside its indicator's scale, or None."""
    if curve.scale_min <= rating <= curve.scale_max:
        return None
    return problem(field, "rating_range", given=pct_text(rating), low=pct_text(curve.scale_min),
                   high=pct_text(curve.scale_max))  # fmt: skip


# --- scoring --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """A stored indicator as the scorer needs it; ``weight`` as a fraction (0.30)."""

    id: int
    code: str
    name: str
    kind: str
    weight: Decimal
    target: Decimal | None
    curve: Curve


@dataclass(frozen=True)
class Actual:
    """What was measured or rated for one person and indicator; ``value`` None when missing."""

    value: Decimal | None
    source: str
    rated_by_id: int | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Line:
    indicator: Indicator
    actual: Decimal | None
    score: Decimal
    weighted: Decimal
    missing: bool
    source: str
    rated_by_id: int | None
    comment: str | None


def score_line(
    indicator: Indicator, actual: Actual, missing_score: Decimal = MISSING_SCORE
) -> Line:
    """One indicator's line: its score on the curve (or the missing score) and its weighted part."""
    missing = actual.value is None
    score = (
        cents(missing_score)
        if actual.value is None
        else curve_score(actual.value, indicator.target, indicator.curve)
    )
    return Line(indicator=indicator, actual=actual.value, score=score,
                weighted=cents(score * indicator.weight), missing=missing, source=actual.source,
                rated_by_id=actual.rated_by_id, comment=actual.comment)  # fmt: skip


def total_of(lines: Iterable[Line]) -> Decimal:
    return cents(sum((line.weighted for line in lines), Decimal(0)))


K = TypeVar("K", bound=Hashable)


def ranks(totals: Mapping[K, Decimal]) -> dict[K, int]:
    """Competition ranks (1, 2, 2, 4): highest total first, equal totals share a rank."""
    ordered = sorted(totals.values(), reverse=True)
    first: dict[Decimal, int] = {}
    for position, value in enumerate(ordered, start=1):
        first.setdefault(value, position)
    return {key: first[value] for key, value in totals.items()}


def ranks_in_groups(entries: Mapping[K, tuple[str, Decimal]]) -> dict[K, tuple[int, int]]:
    """(rank, group size) of each key, given its (group, total)."""
    groups: dict[str, dict[K, Decimal]] = {}
    for key, (group, total) in entries.items():
        groups.setdefault(group, {})[key] = total
    out: dict[K, tuple[int, int]] = {}
    for members in groups.values():
        for key, rank in ranks(members).items():
            out[key] = (rank, len(members))
    return out


def group_of(rule: str, branch_path: Sequence[tuple[str, str]]) -> str:
    """The comparable group of a staff member: ``bank``, or under rule ``branch`` the code of the
    city branch (level ``branch``) on their branch's path (own branch first, head office last);
    head-office staff (no city branch on the path) group under their own branch's code."""
    if rule == "bank" or not branch_path:
        return BANK_GROUP
    for code, level in branch_path:
        if level == "branch":
            return code
    return branch_path[0][0]
