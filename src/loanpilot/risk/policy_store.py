"""The credit policy as versioned data: hard rules, score cut-offs and the pricing grid, kept as
JSON in ``credit_policies`` and turned into the frozen ``risk.rules.Policy`` and
``products.pricing.PricingGrid`` that the pure decision and pricing functions take.

A risk officer drafts a new version (every problem of the draft is listed at once, each naming its
field), then activates it: the old active version is retired in the same transaction, both are
audited, and from then on every decision stores the new version. An active or retired version is
never edited; a change is a new version. Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanpilot.audit.service import record
from loanpilot.kit.errors import ConflictError, FieldProblem, NotFoundError, ValidationError
from loanpilot.products.pricing import PricingGrid
from loanpilot.risk.models import CreditPolicy, PolicyStatus
from loanpilot.risk.rules import Cutoffs, HardRules, Policy, policy_problems


@dataclass(frozen=True)
class StoredPolicy:
    """A policy version as the decision service uses it."""

    policy: Policy
    grid: PricingGrid
    model_name: str


#: The model name whose champion decides applications.
APPLICATION_MODEL = "application"

DEFAULT_BODY: dict[str, Any] = {
    "hard": {
        "min_age": 18,
        "max_age": 60,
        "max_age_at_maturity": 70,
        "min_monthly_income_fen": 200_000,
        "max_dti": "0.60",
        "decline_current_delinquency": True,
        "decline_blacklisted": True,
        "occupations": {},
        "collateral": {},
    },
    "cutoffs": {"approve_from": 560, "decline_below": 520},
    "pricing": {
        "spread_by_grade": {"A": "0", "B": "0.003", "C": "0.007", "D": "0.012", "E": "0.02"},
        "income_months_by_grade": {"A": 36, "B": 30, "C": 24, "D": 15, "E": 8},
    },
    "model": APPLICATION_MODEL,
}


def _int(problems: list[FieldProblem], body: Mapping[str, Any], path: str) -> int:
    section, key = path.split(".")
    value = (body.get(section) or {}).get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            return int(str(value).strip())
        except (TypeError, ValueError):
            problems.append(FieldProblem(path, f"must be a whole number; got {value!r}"))
            return 0
    return value


def _decimal(problems: list[FieldProblem], value: Any, path: str) -> Decimal:
    try:
        out = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        problems.append(FieldProblem(path, f"must be a decimal number; got {value!r}"))
        return Decimal(0)
    if not out.is_finite():
        problems.append(FieldProblem(path, f"must be a finite number; got {value!r}"))
        return Decimal(0)
    return out


def _bool(problems: list[FieldProblem], body: Mapping[str, Any], path: str) -> bool:
    section, key = path.split(".")
    value = (body.get(section) or {}).get(key)
    if not isinstance(value, bool):
        problems.append(FieldProblem(path, f"must be true or false; got {value!r}"))
        return False
    return value


def parse_body(
    version: str, body: Mapping[str, Any]
) -> tuple[StoredPolicy | None, list[FieldProblem]]:
    """The policy in ``body`` and every problem with it (contradictions included)."""
    problems: list[FieldProblem] = []
    for section in ("hard", "cutoffs", "pricing"):
        if not isinstance(body.get(section), Mapping):
            problems.append(FieldProblem(section, "section missing"))
    if problems:
        return None, problems
    hard_in = body["hard"]
    occupations_in = hard_in.get("occupations") or {}
    collateral_in = hard_in.get("collateral") or {}
    if not isinstance(occupations_in, Mapping) or not isinstance(collateral_in, Mapping):
        problems.append(FieldProblem("hard.occupations", "must map product codes to lists"))
        occupations_in, collateral_in = {}, {}
    occupations: dict[str, frozenset[str]] = {}
    for code, allowed in occupations_in.items():
        if not isinstance(allowed, list | tuple) or not all(isinstance(o, str) for o in allowed):
            problems.append(
                FieldProblem(
                    f"hard.occupations.{code}", f"must be a list of occupations; got {allowed!r}"
                )
            )
        else:
            occupations[str(code)] = frozenset(allowed)
    hard = HardRules(
        min_age=_int(problems, body, "hard.min_age"),
        max_age=_int(problems, body, "hard.max_age"),
        max_age_at_maturity=_int(problems, body, "hard.max_age_at_maturity"),
        min_monthly_income_fen=_int(problems, body, "hard.min_monthly_income_fen"),
        max_dti=_decimal(problems, hard_in.get("max_dti"), "hard.max_dti"),
        decline_current_delinquency=_bool(problems, body, "hard.decline_current_delinquency"),
        decline_blacklisted=_bool(problems, body, "hard.decline_blacklisted"),
        occupations=occupations,
        collateral={str(k): str(v) for k, v in collateral_in.items()},
    )
    cutoffs = Cutoffs(
        approve_from=_int(problems, body, "cutoffs.approve_from"),
        decline_below=_int(problems, body, "cutoffs.decline_below"),
    )
    pricing = body["pricing"]
    spreads_in = pricing.get("spread_by_grade") or {}
    months_in = pricing.get("income_months_by_grade") or {}
    spreads = {
        str(g): _decimal(problems, v, f"pricing.spread_by_grade.{g}") for g, v in spreads_in.items()
    }
    months: dict[str, int] = {}
    for g, v in months_in.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            problems.append(
                FieldProblem(
                    f"pricing.income_months_by_grade.{g}", f"must be a whole number >= 0; got {v!r}"
                )
            )
        else:
            months[str(g)] = v
    if not spreads:
        problems.append(FieldProblem("pricing.spread_by_grade", "must list at least one grade"))
    if set(spreads) != set(months):
        problems.append(
            FieldProblem(
                "pricing",
                "spread_by_grade and income_months_by_grade must list the same grades; "
                f"got {sorted(spreads)} and {sorted(months)}",
            )
        )
    for g, s in spreads.items():
        if not Decimal(0) <= s <= Decimal("0.24"):
            problems.append(
                FieldProblem(f"pricing.spread_by_grade.{g}", "must be between 0 and 0.24")
            )
    model = str(body.get("model") or APPLICATION_MODEL)
    policy = Policy(version=version, hard=hard, cutoffs=cutoffs)
    problems.extend(policy_problems(policy))
    if problems:
        return None, problems
    return StoredPolicy(policy, PricingGrid(spreads, months), model), []


def to_body(stored: StoredPolicy) -> dict[str, Any]:
    """The JSON body of a policy (inverse of ``parse_body``)."""
    hard, cut, grid = stored.policy.hard, stored.policy.cutoffs, stored.grid
    return {
        "hard": {
            "min_age": hard.min_age,
            "max_age": hard.max_age,
            "max_age_at_maturity": hard.max_age_at_maturity,
            "min_monthly_income_fen": hard.min_monthly_income_fen,
            "max_dti": str(hard.max_dti),
            "decline_current_delinquency": hard.decline_current_delinquency,
            "decline_blacklisted": hard.decline_blacklisted,
            "occupations": {k: sorted(v) for k, v in hard.occupations.items()},
            "collateral": dict(hard.collateral),
        },
        "cutoffs": {"approve_from": cut.approve_from, "decline_below": cut.decline_below},
        "pricing": {
            "spread_by_grade": {g: str(s) for g, s in grid.spread_by_grade.items()},
            "income_months_by_grade": dict(grid.income_months_by_grade),
        },
        "model": stored.model_name,
    }


def check_body(version: str, body: Mapping[str, Any]) -> StoredPolicy:
    stored, problems = parse_body(version, body)
    if stored is None:
        raise ValidationError("policy.invalid", f"Policy {version!r} is not usable", problems)
    return stored


# --- stored versions --------------------------------------------------------------------------


def policies(session: Session) -> list[CreditPolicy]:
    """Every version, newest first."""
    return list(session.scalars(select(CreditPolicy).order_by(CreditPolicy.id.desc())))


def get_policy(session: Session, policy_id: int) -> CreditPolicy:
    row = session.get(CreditPolicy, policy_id)
    if row is None:
        raise NotFoundError("policy.not_found", f"No credit policy with id {policy_id}")
    return row


def active_row(session: Session) -> CreditPolicy | None:
    return session.scalars(
        select(CreditPolicy).where(CreditPolicy.status == PolicyStatus.ACTIVE)
    ).first()


def active_policy(session: Session) -> StoredPolicy | None:
    """The active policy, parsed (None when no version is active)."""
    row = active_row(session)
    return None if row is None else check_body(row.version, row.body)


def create_draft(
    session: Session,
    *,
    version: str,
    body: Mapping[str, Any],
    note: str | None,
    by_id: int | None,
    actor_label: str,
    now: datetime,
) -> CreditPolicy:
    """A new draft version; every problem with it is reported at once."""
    version = version.strip()
    problems: list[FieldProblem] = []
    if not version or len(version) > 64:
        problems.append(FieldProblem("version", "must be 1 to 64 characters"))
    elif session.scalars(select(CreditPolicy.id).where(CreditPolicy.version == version)).first():
        problems.append(
            FieldProblem("version", f"{version!r} already exists; choose a new version")
        )
    stored, more = parse_body(version or "?", body)
    problems.extend(more)
    if problems or stored is None:
        raise ValidationError("policy.invalid", f"Policy {version!r} is not usable", problems)
    row = CreditPolicy(
        version=version,
        status=PolicyStatus.DRAFT,
        body=to_body(stored),
        note=(note or "").strip() or None,
        created_at=now,
        created_by_id=by_id,
    )
    session.add(row)
    session.flush()
    record(
        session,
        action="policy.draft",
        actor_label=actor_label,
        actor_staff_id=by_id,
        entity="credit_policy",
        entity_id=version,
        detail={"body": row.body},
        at=now,
    )
    return row


def activate(
    session: Session, policy_id: int, *, by_id: int | None, actor_label: str, now: datetime
) -> CreditPolicy:
    """Make a draft the active policy; the previous active version is retired."""
    row = get_policy(session, policy_id)
    if row.status is not PolicyStatus.DRAFT:
        raise ConflictError(
            "policy.not_draft",
            f"Policy {row.version!r} is {row.status.value}; only a draft can be activated",
        )
    check_body(row.version, row.body)
    previous = active_row(session)
    if previous is not None:
        previous.status = PolicyStatus.RETIRED
        session.flush()
    row.status, row.activated_at, row.activated_by_id = PolicyStatus.ACTIVE, now, by_id
    session.flush()
    record(
        session,
        action="policy.activate",
        actor_label=actor_label,
        actor_staff_id=by_id,
        entity="credit_policy",
        entity_id=row.version,
        detail={"retired": previous.version if previous else None},
        at=now,
    )
    return row
