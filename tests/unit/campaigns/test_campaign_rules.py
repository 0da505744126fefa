"""The pure campaign rules: every problem of a plan named by its field (known answers), the status
transitions, the budget burn and its 80 % / 100 % thresholds (known answers and properties), and
the contact windows that suit an audience."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from loanpilot.campaigns import rules, window_rules
from loanpilot.campaigns.rules import (
    ArmDraft,
    BudgetLineDraft,
    CampaignDraft,
    GoalDraft,
    PlaceDraft,
    WindowDraft,
)

GOOD = CampaignDraft(
    name="2026 青春梦想贷", theme="青春梦想贷", channel="branch",
    starts_on=date(2026, 9, 1), ends_on=date(2026, 9, 30), control_share=Decimal("0.1"),
    budget_fen=1_000_000,
    goals=(GoalDraft("applications", Decimal(120)), GoalDraft("disbursed_fen", Decimal(10**9))),
    places=(PlaceDraft("university", "浙江大学", datetime(2026, 9, 5, 1, tzinfo=UTC),
                       datetime(2026, 9, 5, 9, tzinfo=UTC)),),
    windows=(WindowDraft("开学季", date(2026, 9, 1), date(2026, 9, 21), "1234567", 10, 20),),
    arms=(ArmDraft("A", 1, "branch", "开学贷", share=Decimal("0.5")),
          ArmDraft("B", 1, "sms", "开学贷短信", share=Decimal("0.5"))),
    budget_lines=(BudgetLineDraft("venue", 400_000), BudgetLineDraft("promotion", 600_000)),
)  # fmt: skip


def fields(draft: CampaignDraft) -> dict[str, str]:
    return {p.field: p.code for p in rules.validate_campaign(draft)}


def test_a_good_plan_has_no_problem() -> None:
    assert rules.validate_campaign(GOOD) == []


def test_every_problem_is_named_by_its_field() -> None:
    bad = replace(
        GOOD,
        name=" ",
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 9, 1),
        control_share=Decimal("0.6"),
        budget_fen=900_000,
        goals=(GoalDraft("clicks", Decimal(1)), GoalDraft("approvals", Decimal(0)),
               GoalDraft("approvals", Decimal(5))),
        windows=(WindowDraft("x", date(2026, 9, 5), date(2026, 9, 1), "189", 20, 10),),
        arms=(ArmDraft("A", 1, "branch", "h", share=Decimal("0.5")),
              ArmDraft("A", 1, "fax", "h", share=Decimal("0.2")),
              ArmDraft("control", 1, "sms", "", share=Decimal(0))),
        budget_lines=(BudgetLineDraft("venue", 500_000), BudgetLineDraft("venue", 500_000),
                      BudgetLineDraft("parties", -1)),
    )  # fmt: skip
    assert fields(bad) == {
        "name": "required",
        "ends_on": "dates_reversed",
        "control_share": "control_share",
        "goals[0].metric": "unknown_metric",
        "goals[1].target": "target_positive",
        "goals[2].metric": "duplicate_metric",
        "windows[0].ends_on": "window_reversed",
        "windows[0].weekdays": "weekdays",
        "windows[0].end_hour": "hours",
        "arms[1].arm": "duplicate_arm",
        "arms[1].channel": "unknown_channel",
        "arms[2].arm": "reserved_arm",
        "arms[2].headline_zh": "required",
        "arms[2].share": "share_range",
        "arms": "shares_sum",
        "budget_lines[1].category": "duplicate_category",
        "budget_lines[2].category": "unknown_category",
        "budget_lines[2].planned_fen": "not_negative",
        "budget_fen": "budget_exceeded",
    }


def test_windows_and_places_outside_the_campaign() -> None:
    late = replace(
        GOOD,
        windows=(WindowDraft("late", date(2026, 9, 20), date(2026, 10, 5)),),
        # 2026-09-30 16:30 UTC is already 1 October in Shanghai
        places=(PlaceDraft("mall", "银泰", datetime(2026, 9, 30, 10, tzinfo=UTC),
                           datetime(2026, 9, 30, 16, 30, tzinfo=UTC)),
                PlaceDraft("park", "园区", datetime(2026, 9, 2, tzinfo=UTC),
                           datetime(2026, 9, 1, tzinfo=UTC))),
    )  # fmt: skip
    assert fields(late) == {
        "windows[0].ends_on": "outside_campaign",
        "places[0].ends_at": "outside_campaign",
        "places[1].kind": "unknown_kind",
        "places[1].ends_at": "place_reversed",
    }


def test_the_budget_message_names_both_sums() -> None:
    problems = rules.validate_campaign(replace(GOOD, budget_fen=999_999))
    assert [p.message for p in problems] == [
        "the budget lines add up to 10,000.00 yuan, more than the budget of 9,999.99 yuan"
    ]
    assert rules.validate_campaign(replace(GOOD, budget_fen=None)) == []  # the lines are the budget


def test_status_transitions() -> None:
    assert rules.can_transition("planned", "approved")
    assert rules.can_transition("approved", "running")
    assert rules.can_transition("running", "completed")
    for open_status in ("planned", "approved", "running"):
        assert rules.can_transition(open_status, "cancelled")
    assert not rules.can_transition("planned", "running")
    assert not rules.can_transition("planned", "completed")
    assert not rules.can_transition("completed", "cancelled")
    assert not rules.can_transition("cancelled", "planned")
    assert rules.is_closed("completed")
    assert rules.is_closed("cancelled")
    assert not rules.is_closed("running")


def test_burn_and_thresholds_known_answers() -> None:
    assert rules.effective_budget(None, [300, 700]) == 1_000
    assert rules.effective_budget(2_000, [300, 700]) == 2_000
    assert rules.burn(800, 1_000) == 0.8
    assert rules.burn(5, 0) is None
    assert rules.reached_thresholds(799, 1_000) == []
    assert rules.reached_thresholds(800, 1_000) == [80]
    assert rules.reached_thresholds(1_000, 1_000) == [80, 100]
    assert rules.crossed_thresholds(500, 850, 1_000) == [80]
    assert rules.crossed_thresholds(850, 900, 1_000) == []
    assert rules.crossed_thresholds(500, 1_200, 1_000) == [80, 100]
    assert rules.crossed_thresholds(0, 10, 0) == []
    assert [rules.burn_level(s) for s in (None, 0.79, 0.8, 0.99, 1.0, 1.5)] == [
        "ok", "ok", "warn", "warn", "over", "over",
    ]  # fmt: skip


amounts = st.integers(min_value=0, max_value=10**12)


@given(budget=st.integers(min_value=1, max_value=10**12), spends=st.lists(amounts, max_size=12))
def test_each_threshold_is_crossed_exactly_once_on_the_way_up(
    budget: int, spends: list[int]
) -> None:
    crossed: list[int] = []
    total = 0
    for amount in spends:
        crossed += rules.crossed_thresholds(total, total + amount, budget)
        total += amount
    assert crossed == sorted(crossed)
    assert crossed == rules.reached_thresholds(total, budget)
    assert len(crossed) == len(set(crossed))


@given(spent=amounts, budget=st.integers(min_value=1, max_value=10**12))
def test_reached_agrees_with_the_exact_share(spent: int, budget: int) -> None:
    reached = rules.reached_thresholds(spent, budget)
    for t in rules.ALERT_THRESHOLDS:
        assert (t in reached) == (Decimal(spent) / Decimal(budget) >= Decimal(t) / 100)


def test_suggested_windows_per_audience() -> None:
    starts, ends = date(2026, 8, 15), date(2026, 9, 30)
    got = window_rules.suggest_windows(["students", "office_workers", "retirees", "self_employed"],
                                       starts, ends)  # fmt: skip
    by = {
        (w.suggestion, w.starts_on, w.ends_on): (w.weekdays, w.start_hour, w.end_hour) for w in got
    }
    assert by == {
        ("office_workers", starts, ends): ("67", 10, 18),
        ("term_start", date(2026, 9, 1), date(2026, 9, 21)): ("1234567", 10, 20),
        ("students", starts, ends): ("12345", 18, 22),
        ("retirees", starts, ends): ("12345", 9, 16),
        ("self_employed", starts, ends): ("1234567", 19, 22),
    }
    # every suggestion is a valid window inside the campaign
    draft = replace(GOOD, starts_on=starts, ends_on=ends, places=(), windows=tuple(got))
    assert fields(draft) == {}
    # March term start, clipped to the campaign; nothing for reversed dates or unknown audiences
    march = window_rules.suggest_windows(["students"], date(2027, 3, 10), date(2027, 4, 30))
    assert (march[0].starts_on, march[0].ends_on) == (date(2027, 3, 10), date(2027, 3, 21))
    assert window_rules.suggest_windows(["students"], date(2026, 9, 2), date(2026, 9, 1)) == []
    assert window_rules.suggest_windows(["pilots"], starts, ends) == []


def test_audiences_of_a_segment_mix() -> None:
    mix = {
        "company_employee": 50,
        "civil_servant": 20,
        "student": 20,
        "retired": 5,
        "freelancer": 5,
    }
    assert window_rules.audiences_of(mix) == ["office_workers", "students"]
    assert window_rules.audiences_of({}) == []
