"""Known answers and properties of the collections rules: the ladder rung, contact compliance
(hours, daily cap, third parties, kinds per rung), queue priority and promises."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loanpilot.risk import collection_rules as rules
from loanpilot.risk.collection_rules import DEFAULT_LADDER, ProposedContact, Rung

HOURS = rules.parse_contact_hours("08:00-21:00")
CAP = 3


def proposal(**changes: object) -> ProposedContact:
    base = ProposedContact(
        local_time=time(10, 0),
        kind="phone",
        party="debtor",
        guarantor_of_loan=False,
        contacts_today=0,
        rung="phone",
        allowed_kinds=frozenset({"sms", "phone"}),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def violated(p: ProposedContact) -> list[str]:
    return [v.rule for v in rules.check_contact(p, hours=HOURS, daily_cap=CAP)]


# --- hours ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        (time(7, 59), False),
        (time(7, 59, 59), False),
        (time(8, 0), True),
        (time(12, 30), True),
        (time(20, 59), True),
        (time(20, 59, 59), True),
        (time(21, 0), False),
        (time(23, 30), False),
        (time(0, 0), False),
    ],
)
def test_contact_hours_boundaries(at: time, allowed: bool) -> None:
    assert ("hours" not in violated(proposal(local_time=at))) is allowed


def test_hours_message_names_the_window_and_the_time() -> None:
    (v,) = rules.check_contact(proposal(local_time=time(21, 0)), hours=HOURS, daily_cap=CAP)
    assert v.rule == "hours"
    assert "08:00–21:00" in v.en
    assert "21:00" in v.en
    assert "08:00–21:00" in v.zh
    assert "联系时段" in v.zh


@pytest.mark.parametrize("text", ["8-21", "08:00", "21:00-08:00", "08:00-08:00", "x-y"])
def test_bad_contact_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="contact hours"):
        rules.parse_contact_hours(text)


# --- daily cap -----------------------------------------------------------------------------------


def test_the_cap_th_contact_is_allowed_and_the_next_refused() -> None:
    assert violated(proposal(contacts_today=CAP - 1)) == []  # this one is the cap-th
    assert violated(proposal(contacts_today=CAP)) == ["daily_cap"]
    assert violated(proposal(contacts_today=CAP + 5)) == ["daily_cap"]


# --- parties -------------------------------------------------------------------------------------


@pytest.mark.parametrize("party", ["relative", "employer", "other", "neighbour", ""])
def test_third_parties_are_refused(party: str) -> None:
    assert violated(proposal(party=party)) == ["third_party"]


def test_a_guarantor_of_the_loan_may_be_contacted_another_may_not() -> None:
    assert violated(proposal(party="guarantor", guarantor_of_loan=True)) == []
    assert violated(proposal(party="guarantor", guarantor_of_loan=False)) == ["third_party"]


def test_every_violation_is_reported_with_both_languages() -> None:
    found = rules.check_contact(
        proposal(local_time=time(22, 0), contacts_today=CAP, party="relative", kind="lawsuit"),
        hours=HOURS,
        daily_cap=CAP,
    )
    assert [v.rule for v in found] == ["hours", "daily_cap", "third_party", "kind"]
    assert all(v.zh and v.en and v.zh != v.en for v in found)


def test_kind_must_be_allowed_on_the_rung() -> None:
    assert violated(proposal(kind="visit")) == ["kind"]
    assert violated(proposal(kind="sms")) == []


# --- the ladder ----------------------------------------------------------------------------------


def rung_of(dpd: int, overdue: int = 10**7, broken: int = 0, current: str | None = None) -> str:
    found = rules.rung_for(
        DEFAULT_LADDER, dpd=dpd, overdue_fen=overdue, broken_promises=broken, current=current
    )
    return found.step if found else "-"


@pytest.mark.parametrize(
    ("dpd", "step"),
    [(0, "-"), (1, "sms"), (7, "sms"), (8, "phone"), (30, "phone"), (31, "visit"),
     (90, "visit"), (91, "legal"), (400, "legal")],
)  # fmt: skip
def test_default_ladder_by_dpd(dpd: int, step: str) -> None:
    assert rung_of(dpd) == step


def test_amount_floors_hold_a_case_lower() -> None:
    assert rung_of(120, overdue=199_999) == "visit"  # legal needs ¥2,000 overdue
    assert rung_of(120, overdue=200_000) == "legal"
    assert rung_of(40, overdue=49_999) == "phone"  # a visit needs ¥500
    assert rung_of(40, overdue=0) == "phone"


def test_broken_promises_floor() -> None:
    ladder = (*DEFAULT_LADDER[:2], Rung("visit", 3, 20, 0, 2, frozenset({"visit"})))
    args = {"dpd": 25, "overdue_fen": 10_000}
    assert rules.rung_for(ladder, broken_promises=1, **args).step == "phone"  # type: ignore[union-attr]
    assert rules.rung_for(ladder, broken_promises=2, **args).step == "visit"  # type: ignore[union-attr]


def test_never_down_while_delinquent() -> None:
    assert rung_of(35, current="visit") == "visit"
    assert rung_of(2, overdue=1, current="legal") == "legal"
    assert rung_of(0, current="legal") == "-"  # cured: off the ladder


def test_a_disabled_current_rung_lets_the_case_down() -> None:
    ladder = [replace(r, enabled=r.step != "visit") for r in DEFAULT_LADDER]
    found = rules.rung_for(ladder, dpd=40, overdue_fen=10**6, broken_promises=0, current="visit")
    assert found is not None
    assert found.step == "phone"


def test_below_every_floor_the_case_sits_on_the_lowest_rung() -> None:
    ladder = [Rung("phone", 1, 10, 0, 0, frozenset({"phone"}))]
    assert rules.rung_for(ladder, dpd=3, overdue_fen=0, broken_promises=0).step == "phone"  # type: ignore[union-attr]
    assert not rules.opens_case(ladder, 9)
    assert rules.opens_case(ladder, 10)


def test_ladder_problems() -> None:
    assert rules.ladder_problems(DEFAULT_LADDER) == []
    bad = [
        Rung("sms", 1, 10, 0, 0, frozenset({"sms"})),
        Rung("phone", 2, 5, -1, 0, frozenset({"fax"})),
        Rung("phone", 2, 0, 0, -2, frozenset()),
    ]
    fields = {p.field for p in rules.ladder_problems(bad)}
    assert {
        "ladder.phone.min_dpd",
        "ladder.phone.min_overdue_fen",
        "ladder.phone.contact_kinds",
        "ladder.phone",
        "ladder.phone.min_broken_promises",
    } <= fields
    off = [replace(r, enabled=False) for r in DEFAULT_LADDER]
    assert [p.field for p in rules.ladder_problems(off)] == ["ladder"]


# --- priority, next action, promises -------------------------------------------------------------


def test_priority_known_answers() -> None:
    assert rules.priority(0, 0, 0.0) == 0.0
    assert rules.priority(180, 100_000_000, 1.0) == 100.0
    assert rules.priority(400, 10**12, 1.0) == 100.0
    assert rules.priority(90, 0, None) == pytest.approx(45 * 0.5 + 20 * 1.0)
    with pytest.raises(ValueError, match="pd"):
        rules.priority(1, 1, 1.5)


def test_next_action_on() -> None:
    day = date(2026, 11, 29)
    assert (
        rules.next_action_on("phone", as_of=day, last_contact_on=None, open_promise_due=None) == day
    )
    assert rules.next_action_on(
        "phone", as_of=day, last_contact_on=day, open_promise_due=None
    ) == day + timedelta(days=2)
    assert rules.next_action_on(
        "sms", as_of=day, last_contact_on=day, open_promise_due=date(2026, 12, 5)
    ) == date(2026, 12, 6)


def test_promise_outcome() -> None:
    due = date(2026, 12, 5)
    assert rules.promise_outcome(1000, 1000, due, date(2026, 12, 1)) == "kept"
    assert rules.promise_outcome(1000, 999, due, date(2026, 12, 4)) == "open"
    assert rules.promise_outcome(1000, 999, due, due) == "broken"


# --- properties ----------------------------------------------------------------------------------

dpds = st.integers(0, 2000)
amounts = st.integers(0, 10**10)
pds = st.none() | st.floats(0, 1)


@given(dpds, dpds, amounts, st.integers(0, 5))
def test_rung_is_monotone_in_dpd(a: int, b: int, overdue: int, broken: int) -> None:
    lo, hi = sorted((a, b))
    r_lo = rules.rung_for(DEFAULT_LADDER, dpd=lo, overdue_fen=overdue, broken_promises=broken)
    r_hi = rules.rung_for(DEFAULT_LADDER, dpd=hi, overdue_fen=overdue, broken_promises=broken)
    if r_lo is not None:
        assert r_hi is not None
        assert r_hi.position >= r_lo.position


@given(
    st.integers(1, 2000),
    amounts,
    st.integers(0, 5),
    st.sampled_from(["sms", "phone", "visit", "legal"]),
)
def test_rung_never_below_current_while_delinquent(
    dpd: int, overdue: int, broken: int, cur: str
) -> None:
    found = rules.rung_for(
        DEFAULT_LADDER, dpd=dpd, overdue_fen=overdue, broken_promises=broken, current=cur
    )
    held = next(r for r in DEFAULT_LADDER if r.step == cur)
    assert found is not None
    assert found.position >= held.position
    best = rules.entry_rung(DEFAULT_LADDER, dpd=dpd, overdue_fen=overdue, broken_promises=broken)
    if best is not None:
        assert found.position >= best.position
        assert found.admits(dpd, overdue, broken) or found.step == cur


@given(dpds, dpds, amounts, amounts, pds)
def test_priority_is_bounded_and_monotone(
    d1: int, d2: int, a1: int, a2: int, pd: float | None
) -> None:
    lo_d, hi_d = sorted((d1, d2))
    lo_a, hi_a = sorted((a1, a2))
    low, high = rules.priority(lo_d, lo_a, pd), rules.priority(hi_d, hi_a, pd)
    assert 0.0 <= low <= high <= 100.0


@given(
    st.times(),
    st.integers(0, 10),
    st.sampled_from([*rules.PARTIES, "neighbour"]),
    st.booleans(),
    st.sampled_from(rules.CONTACT_KINDS),
)
def test_compliance_is_the_union_of_independent_rules(
    at: time, today: int, party: str, is_guarantor: bool, kind: str
) -> None:
    p = proposal(
        local_time=at, contacts_today=today, party=party, guarantor_of_loan=is_guarantor, kind=kind
    )
    found = set(violated(p))
    assert ("hours" in found) == (not time(8) <= at < time(21))
    assert ("daily_cap" in found) == (today >= CAP)
    allowed_party = party == "debtor" or (party == "guarantor" and is_guarantor)
    assert ("third_party" in found) == (not allowed_party)
    assert ("kind" in found) == (kind not in {"sms", "phone"})
