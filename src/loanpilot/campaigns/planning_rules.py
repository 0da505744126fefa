"""The pure rules of campaign planning (issue 6): the optimiser's constraints as a manager writes
them, the randomised hold-out of a chosen list, the masking of exported rows and the words that
say why a plan is infeasible.

Constraints come as text (the console form, the CLI: ``sms=100000,call_center=2000``) or as
mappings (the JSON API); both go through :func:`validate_constraints`, which collects every problem
(each a :class:`Problem` with a stable code of :data:`PROBLEMS`, translated by the pages) and
raises one ``ValidationError``. Channel capacities are contacts, except the branch's: staff hours,
each branch contact taking ``branch_hours_per_contact`` of them.

The hold-out (:func:`assign_holdout`) is stratified systematic sampling: the list is ordered by
stratum (arm / segment) and, within a stratum, by a random key drawn from ``seed``; every
``1 / share``-th position from a random start goes to control. Each stratum gets its share to
within one customer, the whole list to within one, and the same list with the same seed always
gives the same groups, whatever order it came in.

No session, clock or randomness beyond the ``seed`` passed in (house rule 2).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from loanpilot.kit.errors import CodedProblem, ValidationError
from loanpilot.kit.masking import mask, mask_series

#: English texts of the problems; the pages translate ``planning.problem.<code>``.
PROBLEMS: Final[dict[str, str]] = {
    "required": "is required",
    "decimal": "must be a number; got {got!r}",
    "whole_number": "must be a whole number; got {got!r}",
    "positive": "must be greater than 0; got {got}",
    "not_negative": "must be 0 or more; got {got}",
    "too_large": "must be at most {limit}; got {got}",
    "pair_format": "write name=number pairs separated by commas, e.g. {example}; got {got!r}",
    "duplicate": "names {name!r} twice",
    "unknown_channel": "{name!r} is not a channel; allowed: {allowed}",
    "unknown_segment": "{name!r} is not a segment of the segmentation used; allowed: {allowed}",
    "unknown_product": "{name!r} is not a product code; allowed: {allowed}",
    "share": "must be a fraction from 0 up to (not including) 1, e.g. 0.1; got {got!r}",
}

#: The largest budget accepted (yuan): a plan beyond a trillion yuan is a typing mistake.
MAX_BUDGET_YUAN: Final = Decimal("1000000000000")
#: The largest capacity, coverage or cap accepted.
MAX_COUNT: Final = 100_000_000
#: Hours of branch staff time one branch contact takes, unless the plan says otherwise.
DEFAULT_BRANCH_HOURS_PER_CONTACT: Final = 0.5
#: The hold-out share when neither the plan nor the campaign says.
DEFAULT_HOLDOUT_SHARE: Final = 0.1
#: The channel whose capacity is staff hours.
BRANCH: Final = "branch"

_EXAMPLES: Final[dict[str, str]] = {
    "channel_capacity": "sms=100000,call_center=2000,branch=400",
    "segment_min": "young=200,senior=50",
    "product_cap": "CL-GEN=500,CL-TRV=300",
}
_PAIR_SPLIT = re.compile(r"[,，;；\n]+")
_PAIR = re.compile(r"^\s*([^=:：\s]+)\s*[=:：]\s*([^\s]+)\s*$")


class Problem(CodedProblem):
    """A problem of campaign planning: its ``code`` is a key of :data:`PROBLEMS`."""


def problem(field_name: str, code: str, /, **params: object) -> Problem:
    """The problem ``code`` of ``field_name``, its English text filled from ``params``."""
    return Problem.of(PROBLEMS, field_name, code, params)


def _got(raw: object) -> str:
    return str(raw)[:40]


def _allowed(names: Collection[str]) -> str:
    listed = sorted(names)
    shown = ", ".join(listed[:12])
    return shown + (f" … ({len(listed)} in all)" if len(listed) > 12 else "")


# --- the constraints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanConstraints:
    """What the optimiser must respect: the budget (fen, contact costs), per-channel capacity
    (contacts; the branch's in staff hours), per-segment minimum coverage (customers) and
    per-product caps (offers). Keys are channel values, segment codes and product codes."""

    budget_fen: int
    channel_capacity: Mapping[str, float] = field(default_factory=dict)
    segment_min: Mapping[str, int] = field(default_factory=dict)
    product_cap: Mapping[str, int] = field(default_factory=dict)
    branch_hours_per_contact: float = DEFAULT_BRANCH_HOURS_PER_CONTACT

    def to_json(self) -> dict[str, Any]:
        """The JSON stored in ``campaign_plans.constraints``."""
        return {
            "budget_fen": self.budget_fen,
            "channel_capacity": dict(sorted(self.channel_capacity.items())),
            "segment_min": dict(sorted(self.segment_min.items())),
            "product_cap": dict(sorted(self.product_cap.items())),
            "branch_hours_per_contact": self.branch_hours_per_contact,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlanConstraints:
        return cls(
            budget_fen=int(data["budget_fen"]),
            channel_capacity={str(k): float(v) for k, v in data["channel_capacity"].items()},
            segment_min={str(k): int(v) for k, v in data["segment_min"].items()},
            product_cap={str(k): int(v) for k, v in data["product_cap"].items()},
            branch_hours_per_contact=float(
                data.get("branch_hours_per_contact", DEFAULT_BRANCH_HOURS_PER_CONTACT)
            ),
        )

    def usage_of(self, channel: str) -> float:
        """Units of ``channel``'s capacity one contact takes (staff hours for the branch)."""
        return self.branch_hours_per_contact if channel == BRANCH else 1.0


def pairs_text(values: Mapping[str, object]) -> str:
    """``{"sms": 100000}`` → ``"sms=100000"``: how the form and the CLI write a mapping."""
    return ",".join(f"{k}={_number_text(v)}" for k, v in values.items())


def _number_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_pairs(text: str, field_name: str, problems: list[Problem]) -> dict[str, str]:
    """``"sms=100000, call_center=2000"`` → ``{"sms": "100000", "call_center": "2000"}``.

    Separators: commas, semicolons (also full-width) or new lines; ``=``, ``:`` or ``：`` between
    name and number. A malformed or repeated pair adds a problem to ``problems``."""
    result: dict[str, str] = {}
    for part in _PAIR_SPLIT.split(text or ""):
        if not part.strip():
            continue
        found = _PAIR.match(part)
        if found is None:
            problems.append(
                problem(field_name, "pair_format", example=_EXAMPLES[field_name], got=_got(part))
            )
            continue
        name, value = found.group(1), found.group(2)
        if name in result:
            problems.append(problem(field_name, "duplicate", name=name))
            continue
        result[name] = value
    return result


def _decimal(raw: object, field_name: str, problems: list[Problem]) -> Decimal | None:
    if isinstance(raw, bool):
        problems.append(problem(field_name, "decimal", got=_got(raw)))
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        problems.append(problem(field_name, "decimal", got=_got(raw)))
        return None
    if not value.is_finite():
        problems.append(problem(field_name, "decimal", got=_got(raw)))
        return None
    return value


def _count(raw: object, field_name: str, problems: list[Problem], *, zero_ok: bool) -> int | None:
    value = _decimal(raw, field_name, problems)
    if value is None:
        return None
    if value != value.to_integral_value():
        problems.append(problem(field_name, "whole_number", got=_got(raw)))
        return None
    if value < 0 or (value == 0 and not zero_ok):
        problems.append(problem(field_name, "not_negative" if zero_ok else "positive", got=value))
        return None
    if value > MAX_COUNT:
        problems.append(problem(field_name, "too_large", limit=MAX_COUNT, got=value))
        return None
    return int(value)


def budget_fen_of(raw: object, problems: list[Problem], field_name: str = "budget") -> int | None:
    """A budget in yuan (``"50000"``, ``"50,000.50"``) as integer fen; > 0."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        problems.append(problem(field_name, "required"))
        return None
    value = _decimal(raw, field_name, problems)
    if value is None:
        return None
    if value <= 0:
        problems.append(problem(field_name, "positive", got=value))
        return None
    if value > MAX_BUDGET_YUAN:
        problems.append(problem(field_name, "too_large", limit=MAX_BUDGET_YUAN, got=value))
        return None
    fen = int((value * 100).quantize(Decimal(1), ROUND_HALF_UP))
    if fen <= 0:  # less than half a fen
        problems.append(problem(field_name, "positive", got=value))
        return None
    return fen


def validate_constraints(
    *,
    budget_yuan: object,
    channel_capacity: Mapping[str, object] | str = "",
    segment_min: Mapping[str, object] | str = "",
    product_cap: Mapping[str, object] | str = "",
    branch_hours_per_contact: object = DEFAULT_BRANCH_HOURS_PER_CONTACT,
    channels: Collection[str],
    segments: Collection[str],
    products: Collection[str],
) -> PlanConstraints:
    """The constraints, checked against the known channels, segment codes (of the segmentation
    the plan uses) and product codes; a ``ValidationError`` listing every problem otherwise.

    The three mappings may be given as text (``name=number`` pairs) or as mappings."""
    problems: list[Problem] = []
    budget = budget_fen_of(budget_yuan, problems)
    capacity = _mapping(channel_capacity, "channel_capacity", problems)
    minimum = _mapping(segment_min, "segment_min", problems)
    caps = _mapping(product_cap, "product_cap", problems)

    hours_value = _decimal(branch_hours_per_contact, "branch_hours_per_contact", problems)
    hours = DEFAULT_BRANCH_HOURS_PER_CONTACT
    if hours_value is not None:
        if hours_value <= 0:
            problems.append(problem("branch_hours_per_contact", "positive", got=hours_value))
        elif hours_value > 24:
            problems.append(
                problem("branch_hours_per_contact", "too_large", limit=24, got=hours_value)
            )
        else:
            hours = float(hours_value)

    capacities: dict[str, float] = {}
    for name, raw in capacity.items():
        if name not in channels:
            problems.append(
                problem(
                    "channel_capacity", "unknown_channel", name=name, allowed=_allowed(channels)
                )
            )
            continue
        value = _decimal(raw, "channel_capacity", problems)
        if value is None:
            continue
        if value < 0:
            problems.append(problem("channel_capacity", "not_negative", got=value))
        elif value > MAX_COUNT:
            problems.append(problem("channel_capacity", "too_large", limit=MAX_COUNT, got=value))
        elif name != BRANCH and value != value.to_integral_value():
            problems.append(problem("channel_capacity", "whole_number", got=_got(raw)))
        else:
            capacities[name] = float(value)

    minimums: dict[str, int] = {}
    for name, raw in minimum.items():
        if name not in segments:
            problems.append(
                problem("segment_min", "unknown_segment", name=name, allowed=_allowed(segments))
            )
            continue
        count = _count(raw, "segment_min", problems, zero_ok=True)
        if count is not None:
            minimums[name] = count

    cap_values: dict[str, int] = {}
    for name, raw in caps.items():
        if name not in products:
            problems.append(
                problem("product_cap", "unknown_product", name=name, allowed=_allowed(products))
            )
            continue
        count = _count(raw, "product_cap", problems, zero_ok=True)
        if count is not None:
            cap_values[name] = count

    if problems or budget is None:
        raise ValidationError(
            "planning.invalid", "The plan's constraints are not valid", list(problems)
        )
    return PlanConstraints(
        budget_fen=budget,
        channel_capacity=capacities,
        segment_min=minimums,
        product_cap=cap_values,
        branch_hours_per_contact=hours,
    )


def _mapping(
    raw: Mapping[str, object] | str, field_name: str, problems: list[Problem]
) -> dict[str, object]:
    if isinstance(raw, str):
        return dict(parse_pairs(raw, field_name, problems))
    return {str(k).strip(): v for k, v in raw.items()}


def holdout_share_of(raw: object, field_name: str = "holdout") -> float:
    """A hold-out share in [0, 1); a ``ValidationError`` naming ``field_name`` otherwise."""
    problems: list[Problem] = []
    value = None if isinstance(raw, bool) else _decimal(raw, field_name, [])
    if value is None or not (0 <= value < 1):
        problems.append(problem(field_name, "share", got=_got(raw)))
        raise ValidationError("planning.invalid", "The hold-out share is not valid", list(problems))
    return float(value)


# --- the hold-out ---------------------------------------------------------------------------------


def assign_holdout(
    customer_ids: Sequence[int] | npt.NDArray[np.int64],
    strata: Sequence[str] | npt.NDArray[np.str_],
    share: float,
    seed: int,
) -> npt.NDArray[np.bool_]:
    """Which customers go to the randomised hold-out (``True`` = control), aligned with the input.

    Stratified systematic sampling by ``strata`` (e.g. ``"arm|segment"``): in each stratum
    ``floor`` or ``ceil`` of ``share × size`` customers, in the whole list ``floor`` or ``ceil`` of
    ``share × n``. The result depends only on the set of (customer, stratum) pairs, ``share`` and
    ``seed``, not on the input order."""
    if not (0 <= share < 1) or math.isnan(share):
        raise ValueError(f"share must be in [0, 1); got {share!r}")
    ids = np.asarray(customer_ids, dtype=np.int64)
    labels = np.asarray(strata, dtype=str)
    if ids.shape != labels.shape or ids.ndim != 1:
        raise ValueError(
            f"customer_ids and strata must be 1-D of one length; got {ids.shape} and {labels.shape}"
        )
    n = ids.size
    control = np.zeros(n, dtype=bool)
    if n == 0 or share == 0:
        return control
    if np.unique(ids).size != n:
        raise ValueError("customer_ids must not repeat")
    rng = np.random.default_rng(seed)
    by_id = np.argsort(ids, kind="stable")
    keys = np.empty(n, dtype=np.float64)
    keys[by_id] = rng.random(n)  # each customer's key follows its id, not the input order
    _, stratum_code = np.unique(labels, return_inverse=True)
    order = np.lexsort((ids, keys, stratum_code))
    start = float(rng.random())
    position = np.arange(n, dtype=np.float64)
    picked = np.floor((position + 1) * share + start) - np.floor(position * share + start) >= 1
    control[order] = picked
    return control


# --- masking of exported rows ---------------------------------------------------------------------


@dataclass(frozen=True)
class MaskRule:
    """How many characters stay visible (JR/T 0171-2020 defaults; configurable in Settings)."""

    phone_head: int = 3
    phone_tail: int = 4
    id_head: int = 3
    id_tail: int = 4


#: The personal-data columns of an export row and how each is masked.
PII_COLUMNS: Final = ("name", "phone", "id_number")


def mask_row(row: Mapping[str, Any], rule: MaskRule) -> dict[str, Any]:
    """``row`` with its name (``张*明``), phone (``138****5678``) and ID number (first 3 + last
    4) masked; other columns and missing values unchanged."""
    masked = dict(row)
    name, phone, id_number = row.get("name"), row.get("phone"), row.get("id_number")
    if isinstance(name, str) and name:
        masked["name"] = mask(name, 1, 1)
    if isinstance(phone, str) and phone:
        masked["phone"] = mask(phone, rule.phone_head, rule.phone_tail)
    if isinstance(id_number, str) and id_number:
        masked["id_number"] = mask(id_number, rule.id_head, rule.id_tail)
    return masked


def mask_rows(rows: Iterable[Mapping[str, Any]], rule: MaskRule) -> list[dict[str, Any]]:
    return [mask_row(row, rule) for row in rows]


def mask_frame(frame: pd.DataFrame, rule: MaskRule) -> pd.DataFrame:
    """:func:`mask_row` of every row of ``frame``, vectorised (``kit.masking.mask_series``)."""
    masked = frame.copy()
    keep = {"name": (1, 1), "phone": (rule.phone_head, rule.phone_tail),
            "id_number": (rule.id_head, rule.id_tail)}  # fmt: skip
    for column, (head, tail) in keep.items():
        if column in masked.columns:
            values = mask_series(masked[column], head, tail)
            masked[column] = values.astype(object).where(values.notna(), None)
    return masked


# --- why a plan is infeasible, in words -----------------------------------------------------------

_CONSTRAINT = re.compile(r"^([a-z_]+)(?:\[(-?\d+)\])?$")


@dataclass(frozen=True)
class ConstraintRef:
    """One constraint of the solver (``segment_min[3]``) as the manager named it."""

    kind: str  # budget, channel_capacity, segment_min, product_cap, or the solver's own word
    name: str | None  # channel value, segment code, product code; None for the budget


def constraint_ref(
    key: str,
    *,
    channels: Mapping[int, str],
    segments: Mapping[int, str],
    products: Mapping[int, str],
) -> ConstraintRef:
    """The solver's constraint key (``budget``, ``channel_capacity[2]``, ``segment_min[0]``,
    ``product_cap[14]``) with its integer code mapped back to the manager's name."""
    found = _CONSTRAINT.match(key.strip())
    if found is None:
        return ConstraintRef(key, None)
    kind, code = found.group(1), found.group(2)
    table = {"channel_capacity": channels, "segment_min": segments, "product_cap": products}.get(
        kind
    )
    if code is None or table is None:
        return ConstraintRef(kind, None)
    return ConstraintRef(kind, table.get(int(code), code))


@dataclass(frozen=True)
class Explanation:
    """Why a plan cannot be made: the form field it belongs beside, a code
    (``planning.infeasible.<code>``) and the values of its text."""

    field: str
    code: str
    params: dict[str, str]
    english: str


INFEASIBLE: Final[dict[str, str]] = {
    "segment_min": "Minimum coverage of segment {name} cannot be met: {wanted} customers asked, "
    "but only {available} customers of that segment have an offer the plan may use within the "
    "limits. Lower the minimum or widen the campaign's arms and audience.",
    "segment_min_limits": "Minimum coverage of segment {name} cannot be met: {wanted} customers "
    "asked, but the limits on {related} allow at most {room}. Lower the minimum or raise those "
    "limits.",
    "segment_mins_limits": "The segment minimums together need {wanted} customers, but the limits "
    "on {related} allow at most {room}. Lower the minimums or raise those limits.",
    "budget": "The budget of {budget} yuan cannot pay for the minimum coverage asked: the "
    "cheapest list meeting every segment minimum costs {minimum_cost} yuan. Raise the budget or "
    "lower the minimums.",
    "conflict": "These constraints cannot all be met together: {related}. Relax one of them.",
    "no_candidates": "No customer has an offer this plan may use: run the next-best-offer batch "
    "(loanpilot offers build), or check the campaign's arms and audience segments.",
}

_FIELDS: Final = ("segment_min", "budget", "channel_capacity", "product_cap")


def _yuan(fen: object) -> str:
    return f"{float(str(fen)) / 100:,.2f}"


def _ref_text(ref: ConstraintRef) -> str:
    return ref.kind if ref.name is None else f"{ref.kind} {ref.name}"


def explain_infeasible(
    ref: ConstraintRef,
    constraints: PlanConstraints,
    *,
    related: Sequence[ConstraintRef] = (),
    details: Mapping[str, object] | None = None,
    available: Mapping[str, int] | None = None,
) -> Explanation:
    """A manager's explanation of the solver's ``Infeasible``: which constraint (``ref``), named,
    with the figures (``details``: the solver's ``eligible``, ``room``, ``minimum_cost_fen``), and
    the other constraints of the conflict (``related``). ``available`` counts, per segment code,
    the customers with a usable option (used when the solver gave no count)."""
    facts = dict(details or {})
    others = [r for r in related if r != ref]
    params: dict[str, str]
    if ref.kind == "no_candidates":
        params, code = {}, "no_candidates"
    elif ref.kind == "budget" and "minimum_cost_fen" in facts:
        params = {
            "budget": _yuan(constraints.budget_fen),
            "minimum_cost": _yuan(facts["minimum_cost_fen"]),
        }
        code = "budget"
    elif ref.kind == "segment_min" and "room" in facts and others:
        wanted = facts.get("minimum", constraints.segment_min.get(ref.name or "", 0))
        params = {
            "name": ref.name or "",
            "wanted": str(wanted),
            "room": str(facts["room"]),
            "related": ", ".join(_ref_text(r) for r in others),
        }
        code = "segment_min_limits" if "segment" in facts else "segment_mins_limits"
    elif ref.kind == "segment_min" and ref.name is not None and not others:
        eligible = facts.get("eligible", (available or {}).get(ref.name, 0))
        params = {
            "name": ref.name,
            "wanted": str(constraints.segment_min.get(ref.name, facts.get("minimum", 0))),
            "available": str(eligible),
        }
        code = "segment_min"
    else:
        params = {"related": ", ".join(_ref_text(r) for r in (ref, *others))}
        code = "conflict"
    field_name = ref.kind if ref.kind in _FIELDS else "budget"
    return Explanation(field_name, code, params, INFEASIBLE[code].format(**params))
