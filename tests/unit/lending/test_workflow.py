"""The loan workflow state machine and maker-checker authority (``lending.workflow``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.kit.errors import ConflictError
from loanpilot.lending.models import ApplicationStatus, LoanStatus
from loanpilot.lending.workflow import (
    TERMINAL,
    TRANSITIONS,
    Action,
    ApprovalNeed,
    Authority,
    Stage,
    allowed_actions,
    approval_need,
    check_checker,
    next_stage,
    stage_durations,
)

HAPPY_PATH = [
    (Action.SUBMIT, Stage.SUBMITTED),
    (Action.START_REVIEW, Stage.UNDER_REVIEW),
    (Action.APPROVE, Stage.APPROVED),
    (Action.ACCEPT_OFFER, Stage.OFFER_ACCEPTED),
    (Action.SIGN, Stage.CONTRACT_SIGNED),
    (Action.DISBURSE, Stage.DISBURSED),
    (Action.START_REPAYING, Stage.REPAYING),
    (Action.SETTLE, Stage.SETTLED),
]


def test_the_happy_path_from_draft_to_settled() -> None:
    stage = Stage.DRAFT
    for action, expected in HAPPY_PATH:
        stage = next_stage(stage, action)
        assert stage is expected


def test_stage_values_match_the_stored_statuses() -> None:
    stored = {s.value for s in ApplicationStatus} | {s.value for s in LoanStatus}
    shared = {s.value for s in Stage} & stored
    assert {s.value for s in ApplicationStatus} <= shared | {"draft"}
    assert {"repaying", "settled", "written_off"} <= shared


@given(st.sampled_from(list(Stage)), st.sampled_from(list(Action)))
def test_every_pair_is_either_a_transition_or_refused_naming_what_is_allowed(
    stage: Stage, action: Action
) -> None:
    if (stage, action) in TRANSITIONS:
        assert next_stage(stage, action) is TRANSITIONS[(stage, action)]
        return
    with pytest.raises(ConflictError) as caught:
        next_stage(stage, action)
    assert caught.value.code == "workflow.illegal"
    assert f"Cannot {action.value} in stage {stage.value}" in caught.value.message
    for allowed in allowed_actions(stage):
        assert allowed.value in caught.value.message


def test_nothing_leaves_a_final_stage() -> None:
    for stage in TERMINAL:
        assert allowed_actions(stage) == ()
        with pytest.raises(ConflictError, match="final stage"):
            next_stage(stage, Action.SUBMIT)


def test_withdrawal_is_possible_only_before_the_contract_is_signed() -> None:
    can = {s for s in Stage if Action.WITHDRAW in allowed_actions(s)}
    assert can == {
        Stage.DRAFT, Stage.SUBMITTED, Stage.UNDER_REVIEW, Stage.REFERRED, Stage.APPROVED,
        Stage.OFFER_ACCEPTED,
    }  # fmt: skip


def test_collections_branch_cures_settles_or_writes_off() -> None:
    stage = next_stage(Stage.REPAYING, Action.TRANSFER_TO_COLLECTIONS)
    assert stage is Stage.IN_COLLECTIONS
    assert next_stage(stage, Action.CURE) is Stage.REPAYING
    assert next_stage(stage, Action.SETTLE) is Stage.SETTLED
    assert next_stage(stage, Action.WRITE_OFF) is Stage.WRITTEN_OFF
    with pytest.raises(ConflictError):
        next_stage(Stage.DISBURSED, Action.WRITE_OFF)  # repaying first


def test_every_stage_is_reachable_from_draft() -> None:
    seen, todo = {Stage.DRAFT}, [Stage.DRAFT]
    while todo:
        stage = todo.pop()
        for action in allowed_actions(stage):
            target = next_stage(stage, action)
            if target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(Stage)


def test_unknown_stage_or_action_is_a_clear_error() -> None:
    with pytest.raises(ConflictError) as caught:
        next_stage("lost", "submit")
    assert caught.value.code == "workflow.unknown"


AUTH = {
    "approver": Authority(50_000_000, frozenset({"consumer", "business"})),
    "branch_head": Authority(300_000_000),
    "risk_officer": Authority(1_000_000_000),
}


def test_within_authority_alone_above_it_a_checker() -> None:
    need = approval_need(AUTH, role="approver", product_type="consumer", amount_fen=50_000_000)
    assert need is ApprovalNeed.ALONE
    need = approval_need(AUTH, role="approver", product_type="consumer", amount_fen=50_000_001)
    assert need is ApprovalNeed.CHECKER
    with pytest.raises(ConflictError) as caught:
        approval_need(AUTH, role="approver", product_type="housing", amount_fen=100)
    assert caught.value.code == "approval.not_authorised"
    with pytest.raises(ConflictError):
        approval_need(AUTH, role="service_agent", product_type="consumer", amount_fen=100)


def test_the_maker_cannot_check_their_own_and_the_checker_needs_the_authority() -> None:
    args = {"product_type": "consumer", "amount_fen": 80_000_000}
    with pytest.raises(ConflictError) as caught:
        check_checker(AUTH, maker_id=7, checker_id=7, checker_role="risk_officer", **args)
    assert caught.value.code == "approval.same_person"
    with pytest.raises(ConflictError) as caught:
        check_checker(AUTH, maker_id=7, checker_id=8, checker_role="approver", **args)
    assert caught.value.code == "approval.checker_not_authorised"
    check_checker(AUTH, maker_id=7, checker_id=8, checker_role="branch_head", **args)


def test_stage_durations_for_the_slas() -> None:
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    reached = {
        Stage.SUBMITTED: t0,
        Stage.APPROVED: t0 + timedelta(hours=3),
        Stage.CONTRACT_SIGNED: t0 + timedelta(days=2),
        Stage.DISBURSED: None,
    }
    assert stage_durations(reached) == {
        "to_decision": timedelta(hours=3),
        "to_contract": timedelta(days=2, hours=-3),
    }
    with pytest.raises(ConflictError) as caught:
        stage_durations({Stage.SUBMITTED: t0, Stage.APPROVED: t0 - timedelta(seconds=1)})
    assert caught.value.code == "workflow.time_order"
