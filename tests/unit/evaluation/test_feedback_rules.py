"""The pure rules of feedback to improvement: the ticket status machine (hand-worked moves and a
hypothesis run over random move sequences), SLA due times (known answers), action validation and
the before/after verdict."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.evaluation import feedback_rules as r
from loanpilot.kit.errors import ConflictError, ValidationError

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_a_ticket_goes_open_in_progress_resolved_closed() -> None:
    s = r.TicketState("open")
    s = r.move(s, "in_progress", NOW)
    assert s.status == "in_progress"
    assert s.first_response_at == NOW
    s = r.move(s, "resolved", NOW + timedelta(hours=5), resolution="  已退还多扣的利息  ")
    assert (s.status, s.resolution, s.resolved_at) == (
        "resolved",
        "已退还多扣的利息",
        NOW + timedelta(hours=5),
    )
    s = r.confirm(s, True, NOW + timedelta(hours=8))
    assert (s.status, s.customer_confirmed) == ("closed", True)


def test_illegal_moves_name_the_status_and_what_it_allows() -> None:
    with pytest.raises(ConflictError) as caught:
        r.move(r.TicketState("in_progress"), "open", NOW)
    assert caught.value.problems[0].code == "illegal_move"
    assert "'in_progress' cannot move to 'open'" in str(caught.value)
    assert "may move to: resolved" in str(caught.value)
    with pytest.raises(ConflictError, match=r"may move to: reopened"):
        r.move(r.TicketState("closed", resolution="x"), "resolved", NOW)
    with pytest.raises(ValidationError):
        r.move(r.TicketState("open"), "archived", NOW)


def test_closing_without_a_resolution_is_refused_whatever_the_status() -> None:
    for status in r.TICKET_STATUSES:
        with pytest.raises(ConflictError) as caught:
            r.move(r.TicketState(status), "closed", NOW)
        assert caught.value.problems[0].code == "no_resolution"
        assert "without a resolution" in str(caught.value)


def test_resolving_needs_a_resolution() -> None:
    with pytest.raises(ConflictError, match="without a resolution"):
        r.move(r.TicketState("open"), "resolved", NOW, resolution="   ")
    with pytest.raises(ValidationError, match="at most 4000"):
        r.move(r.TicketState("open"), "resolved", NOW, resolution="x" * 4001)


def test_close_needs_the_confirmation_or_the_seven_day_timeout() -> None:
    resolved = r.move(r.TicketState("open"), "resolved", NOW, resolution="done")
    with pytest.raises(ConflictError) as caught:
        r.move(resolved, "closed", NOW + timedelta(days=6, hours=23))
    assert caught.value.problems[0].code == "not_confirmed"
    closed = r.move(resolved, "closed", NOW + timedelta(days=7))
    assert closed.status == "closed"
    assert closed.customer_confirmed is None


def test_an_unsatisfied_customer_reopens_and_is_never_closed_over() -> None:
    resolved = r.move(r.TicketState("open"), "resolved", NOW, resolution="done")
    reopened = r.confirm(resolved, False, NOW)
    assert (reopened.status, reopened.customer_confirmed, reopened.resolution) == (
        "reopened",
        False,
        None,
    )
    unhappy = r.TicketState("resolved", resolution="x", resolved_at=NOW, customer_confirmed=False)
    with pytest.raises(ConflictError, match="reopen"):
        r.move(unhappy, "closed", NOW + timedelta(days=30))
    with pytest.raises(ConflictError, match="resolved ticket"):
        r.confirm(r.TicketState("open"), True, NOW)
    again = r.move(reopened, "resolved", NOW + timedelta(days=1), resolution="second try")
    assert again.customer_confirmed is None


_MOVES = st.lists(
    st.tuples(
        st.sampled_from([*r.TICKET_STATUSES, "confirm_yes", "confirm_no"]),
        st.sampled_from([None, "", "处理完毕"]),
        st.integers(min_value=0, max_value=240),
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(_MOVES)
def test_random_move_sequences_never_close_without_a_resolution(
    moves: list[tuple[str, str | None, int]],
) -> None:
    s = r.TicketState("open")
    clock = NOW
    for target, text, hours in moves:
        clock += timedelta(hours=hours)
        before = s
        try:
            if target.startswith("confirm_"):
                s = r.confirm(s, target == "confirm_yes", clock)
            else:
                s = r.move(s, target, clock, resolution=text)
        except (ConflictError, ValidationError):
            assert s == before  # a refused move changes nothing
            continue
        assert s.status in r.TICKET_STATUSES
        if s.status in ("resolved", "closed"):
            assert s.resolution  # never resolved or closed without a resolution
        if s.status == "closed":
            assert before.status == "resolved"
            assert s.customer_confirmed is not False


# --- SLA due times ---------------------------------------------------------------------------

RECEIVED = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
DAY = date(2026, 11, 2)


def test_default_due_times_by_type_and_priority() -> None:
    due = r.sla_due("complaint", "normal", RECEIVED, DAY)
    assert (due.due_at, due.first_response_due_at, due.source) == (
        RECEIVED + timedelta(hours=72),
        RECEIVED + timedelta(hours=12),
        "default",
    )
    assert r.sla_due("complaint", "urgent", RECEIVED, DAY).due_at == RECEIVED + timedelta(hours=24)
    inquiry = r.sla_due("inquiry", "low", RECEIVED, DAY)
    assert (inquiry.due_at, inquiry.first_response_due_at) == (RECEIVED + timedelta(hours=48), None)
    assert r.sla_due("suggestion", "normal", RECEIVED, DAY).due_at == RECEIVED + timedelta(days=10)


def test_configured_slas_win_the_latest_valid_and_the_product_type_first() -> None:
    rows = [
        r.SlaRow("complaint_resolution", None, Decimal("96"), date(2025, 1, 1)),
        r.SlaRow("complaint_resolution", None, Decimal("60"), date(2026, 6, 1)),
        r.SlaRow("complaint_resolution", None, Decimal("30"), date(2026, 12, 1)),  # not yet valid
        r.SlaRow("complaint_resolution", "housing", Decimal("120"), date(2025, 1, 1)),
        r.SlaRow("complaint_first_response", None, Decimal("8"), date(2025, 1, 1)),
        r.SlaRow("inquiry_response", None, Decimal("36"), date(2025, 1, 1)),
    ]
    due = r.sla_due("complaint", "normal", RECEIVED, DAY, rows)
    assert (due.due_at, due.first_response_due_at, due.source, due.hours) == (
        RECEIVED + timedelta(hours=60),
        RECEIVED + timedelta(hours=8),
        "service_slas",
        Decimal("60"),
    )
    assert r.sla_due(
        "complaint", "normal", RECEIVED, DAY, rows, "housing"
    ).due_at == RECEIVED + timedelta(hours=120)
    # urgent and high never get longer than their priority's default
    assert r.sla_due("complaint", "urgent", RECEIVED, DAY, rows).due_at == RECEIVED + timedelta(
        hours=24
    )
    assert r.sla_due("complaint", "low", RECEIVED, DAY, rows).due_at == RECEIVED + timedelta(
        hours=60
    )
    assert r.sla_due("inquiry", "normal", RECEIVED, DAY, rows).due_at == RECEIVED + timedelta(
        hours=36
    )


def test_overdue_is_unresolved_and_past_due() -> None:
    due = NOW - timedelta(minutes=1)
    assert r.is_overdue("in_progress", due, NOW)
    assert not r.is_overdue("resolved", due, NOW)
    assert not r.is_overdue("open", NOW + timedelta(hours=1), NOW)
    assert not r.is_overdue("open", None, NOW)


# --- improvement actions ---------------------------------------------------------------------


def _draft(**changes: object) -> r.ActionDraft:
    base: dict[str, object] = {
        "title": "修复批量扣款异常",
        "owner_id": 7,
        "deadline": date(2026, 12, 31),
        "source_kind": "ticket",
        "metric_code": "complaints_repayment",
        "target_value": Decimal("2"),
        "source_ticket_id": 3,
    }
    base.update(changes)
    return r.ActionDraft(**base)  # type: ignore[arg-type]


def test_an_action_without_owner_is_refused_with_every_problem() -> None:
    assert r.validate_action(_draft(), date(2026, 11, 29)) == []
    problems = r.validate_action(
        _draft(
            owner_id=None,
            title=" ",
            deadline=date(2026, 11, 1),
            source_ticket_id=None,
            target_value=None,
            metric_code="",
        ),
        date(2026, 11, 29),
    )
    assert {(p.field, p.code) for p in problems} == {
        ("owner_id", "owner_required"),
        ("title", "required"),
        ("deadline", "deadline_past"),
        ("source_ticket_id", "source_missing"),
        ("target_value", "required"),
        ("metric_code", "required"),
    }
    assert "needs an owner" in next(p.message for p in problems if p.field == "owner_id")
    kinds = r.validate_action(
        _draft(source_kind="survey", source_ticket_id=None), date(2026, 11, 29)
    )
    assert [(p.field, p.code) for p in kinds] == [("source_ref", "source_missing")]


def test_action_moves_and_the_target_direction() -> None:
    r.check_action_move("proposed", "in_progress")
    r.check_action_move("done", "verified")
    with pytest.raises(ConflictError, match="'proposed' cannot move to 'done'"):
        r.check_action_move("proposed", "done")
    with pytest.raises(ConflictError, match="may move to: nothing"):
        r.check_action_move("verified", "in_progress")
    assert r.target_problem(Decimal("5"), Decimal("3"), higher_is_better=False) is None
    wrong = r.target_problem(Decimal("5"), Decimal("6"), higher_is_better=False)
    assert wrong is not None
    assert "lower is better" in wrong.message


def test_verdict_known_answers() -> None:
    down = r.verify(Decimal("5.8065"), Decimal("3"), Decimal("1.9355"), higher_is_better=False)
    assert (down.met, down.change, down.change_pct) == (
        True,
        Decimal("-3.8710"),
        Decimal("-0.6667"),
    )
    up = r.verify(Decimal("4.20"), Decimal("4.40"), Decimal("4.35"), higher_is_better=True)
    assert (up.met, up.change) == (False, Decimal("0.15"))
    assert r.verify(Decimal("0"), Decimal("1"), Decimal("1"), True).change_pct is None
