"""The loan workflow as an explicit state machine, and who may approve what (maker-checker), pure.

One lifecycle from the application to the end of the loan::

    draft → submitted → under review → approved / referred / declined → offer accepted
          → contract signed → disbursed → repaying → settled

with the branches withdrawn (by the applicant, any time before the contract is signed), written
off, and in collections (from repaying; cured back to repaying, or settled, or written off). A
settled loan is reopened (back to repaying) only when the payment that settled it is reversed.
A referred application goes back under review or is decided by hand. ``next_stage`` is the only
way to move: an action the stage does not allow is refused with the stage, the action and what is
allowed now. The stage values are those of ``lending.models.ApplicationStatus`` and
``LoanStatus`` where they exist.

Approval authority is data (``Authority`` per role: the largest amount it may approve alone and
the product types it may approve at all). An approval within the maker's authority stands alone;
above it a second approver must check it, who is not the maker and whose own authority covers the
amount (maker-checker, 四眼原则).

No session, clock or randomness here (house rule 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from loanpilot.kit.errors import ConflictError


class Stage(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REFERRED = "referred"
    DECLINED = "declined"
    OFFER_ACCEPTED = "offer_accepted"
    CONTRACT_SIGNED = "contract_signed"
    DISBURSED = "disbursed"
    REPAYING = "repaying"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"
    WRITTEN_OFF = "written_off"
    IN_COLLECTIONS = "in_collections"


class Action(StrEnum):
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    APPROVE = "approve"
    REFER = "refer"
    DECLINE = "decline"
    ACCEPT_OFFER = "accept_offer"
    SIGN = "sign"
    DISBURSE = "disburse"
    START_REPAYING = "start_repaying"
    SETTLE = "settle"
    WITHDRAW = "withdraw"
    WRITE_OFF = "write_off"
    TRANSFER_TO_COLLECTIONS = "transfer_to_collections"
    CURE = "cure"
    REOPEN = "reopen"  # the payment that settled the loan was reversed


S, A = Stage, Action
_DECIDE = {A.APPROVE: S.APPROVED, A.REFER: S.REFERRED, A.DECLINE: S.DECLINED}
#: Where each allowed (stage, action) leads; everything else is refused.
TRANSITIONS: Mapping[tuple[Stage, Action], Stage] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.START_REVIEW): S.UNDER_REVIEW,
    **{(S.SUBMITTED, a): s for a, s in _DECIDE.items()},  # the automatic decision
    **{(S.UNDER_REVIEW, a): s for a, s in _DECIDE.items()},
    (S.REFERRED, A.START_REVIEW): S.UNDER_REVIEW,
    (S.REFERRED, A.APPROVE): S.APPROVED,
    (S.REFERRED, A.DECLINE): S.DECLINED,
    (S.APPROVED, A.ACCEPT_OFFER): S.OFFER_ACCEPTED,
    (S.OFFER_ACCEPTED, A.SIGN): S.CONTRACT_SIGNED,
    (S.CONTRACT_SIGNED, A.DISBURSE): S.DISBURSED,
    (S.DISBURSED, A.START_REPAYING): S.REPAYING,
    (S.REPAYING, A.SETTLE): S.SETTLED,
    (S.REPAYING, A.TRANSFER_TO_COLLECTIONS): S.IN_COLLECTIONS,
    (S.REPAYING, A.WRITE_OFF): S.WRITTEN_OFF,
    (S.IN_COLLECTIONS, A.CURE): S.REPAYING,
    (S.IN_COLLECTIONS, A.SETTLE): S.SETTLED,
    (S.IN_COLLECTIONS, A.WRITE_OFF): S.WRITTEN_OFF,
    (S.SETTLED, A.REOPEN): S.REPAYING,
    **{
        (s, A.WITHDRAW): S.WITHDRAWN
        for s in (
            S.DRAFT,
            S.SUBMITTED,
            S.UNDER_REVIEW,
            S.REFERRED,
            S.APPROVED,
            S.OFFER_ACCEPTED,
        )
    },
}
#: Stages nothing leaves (a settled loan is reopened only when its settling payment is reversed).
TERMINAL = frozenset({S.DECLINED, S.WITHDRAWN, S.WRITTEN_OFF})


def allowed_actions(stage: Stage) -> tuple[Action, ...]:
    """The actions ``stage`` allows, in the order of ``Action``."""
    return tuple(a for a in Action if (stage, a) in TRANSITIONS)


def next_stage(stage: Stage | str, action: Action | str) -> Stage:
    """Where ``action`` takes an application or loan in ``stage``; ConflictError otherwise."""
    try:
        current, act = Stage(stage), Action(action)
    except ValueError:
        raise ConflictError(
            "workflow.unknown", f"Unknown stage {stage!r} or action {action!r}"
        ) from None
    target = TRANSITIONS.get((current, act))
    if target is None:
        allowed = ", ".join(a.value for a in allowed_actions(current)) or "nothing (final stage)"
        raise ConflictError(
            "workflow.illegal",
            f"Cannot {act.value} in stage {current.value}; allowed now: {allowed}",
        )
    return target


# --- approval authority (maker-checker) --------------------------------------------------------


@dataclass(frozen=True)
class Authority:
    """What one role may approve: alone up to ``max_amount_fen``; only the ``product_types``
    listed (empty: every type)."""

    max_amount_fen: int
    product_types: frozenset[str] = field(default_factory=frozenset)

    def covers(self, product_type: str, amount_fen: int) -> bool:
        return (not self.product_types or product_type in self.product_types) and (
            amount_fen <= self.max_amount_fen
        )


class ApprovalNeed(StrEnum):
    ALONE = "alone"  # within the maker's authority
    CHECKER = "checker"  # above it: a second approver must check


def approval_need(
    authorities: Mapping[str, Authority], *, role: str, product_type: str, amount_fen: int
) -> ApprovalNeed:
    """Whether ``role`` may approve this alone or needs a checker; ConflictError when the role
    may not approve this product type at all."""
    authority = authorities.get(role)
    if authority is None or (
        authority.product_types and product_type not in authority.product_types
    ):
        raise ConflictError(
            "approval.not_authorised", f"Role {role} may not approve {product_type} loans"
        )
    return (
        ApprovalNeed.ALONE if authority.covers(product_type, amount_fen) else ApprovalNeed.CHECKER
    )


def check_checker(
    authorities: Mapping[str, Authority],
    *,
    maker_id: int,
    checker_id: int,
    checker_role: str,
    product_type: str,
    amount_fen: int,
) -> None:
    """Refuse a check by the maker or by someone whose own authority does not cover the loan."""
    if maker_id == checker_id:
        raise ConflictError(
            "approval.same_person", "The approver cannot check their own approval (maker-checker)"
        )
    authority = authorities.get(checker_role)
    if authority is None or not authority.covers(product_type, amount_fen):
        raise ConflictError(
            "approval.checker_not_authorised",
            f"Role {checker_role} may not check a {product_type} loan of {amount_fen} fen",
        )


# --- stage durations (service SLAs) ------------------------------------------------------------

#: (name, from stage, to stage) of the durations the service SLAs measure.
SLA_SPANS: tuple[tuple[str, Stage, Stage], ...] = (
    ("to_decision", S.SUBMITTED, S.APPROVED),
    ("to_contract", S.APPROVED, S.CONTRACT_SIGNED),
    ("to_disbursement", S.CONTRACT_SIGNED, S.DISBURSED),
    ("end_to_end", S.SUBMITTED, S.DISBURSED),
)


def stage_durations(reached: Mapping[Stage, datetime | None]) -> dict[str, timedelta]:
    """The SLA spans whose two ends were both reached (a negative span is a data error and is
    refused, naming the span)."""
    out: dict[str, timedelta] = {}
    for name, start, end in SLA_SPANS:
        a, b = reached.get(start), reached.get(end)
        if a is None or b is None:
            continue
        if b < a:
            raise ConflictError(
                "workflow.time_order", f"{end.value} is recorded before {start.value} ({name})"
            )
        out[name] = b - a
    return out
