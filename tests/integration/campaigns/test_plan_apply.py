"""Campaign planning on a copy of the demo bank with an offer run (``tests/planning_site.py``):
a plan under a budget, capacities and segment minimums, applied with a stratified hold-out;
consent rechecked at apply time; all or nothing when applying is refused or fails; infeasible
plans stored with their explanation; malformed constraints storing nothing."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tests.planning_site import COSTS, OfferData, build_offers, copy_demo_bank, new_campaign

from loanpilot.access.rules import Principal, ScopeKind
from loanpilot.audit.models import AuditLog
from loanpilot.campaigns import exports, planning
from loanpilot.campaigns.models import (
    Campaign,
    CampaignPlan,
    CampaignStatus,
    CampaignTarget,
    PlanStatus,
)
from loanpilot.customers.models import Customer
from loanpilot.customers.repository import scope_clause
from loanpilot.customers.service import Crypto
from loanpilot.db.session import make_engine
from loanpilot.kit.errors import ConflictError, NotFoundError, ValidationError
from loanpilot.products.models import LoanProduct
from loanpilot.products.models_offers import Offer
from loanpilot.team.models import Role

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import DemoBank

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def bank(
    demo_bank: DemoBank, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, OfferData]]:
    var_dir: Path = tmp_path_factory.mktemp("planning-int")
    url, _ = copy_demo_bank(demo_bank, var_dir)
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        data = build_offers(s, customers=400)
    yield engine, data
    engine.dispose()


def _solve(s: Session, campaign_id: int | None, **raw: object) -> CampaignPlan:
    return planning.solve_plan(s, campaign_id=campaign_id, raw=raw, now=NOW, staff_id=None)


def _targets(s: Session, campaign_id: int) -> list[CampaignTarget]:
    return list(s.scalars(select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)))


def test_plan_respects_every_limit_and_apply_holds_out_by_stratum(
    bank: tuple[Engine, OfferData],
) -> None:
    engine, data = bank
    with Session(engine) as s, s.begin():
        campaign = new_campaign(s)  # arms A CL-GEN sms, B CL-GEN call_center, C CL-TRV branch
        plan = _solve(s, campaign.id, budget_yuan="300", channel_capacity="call_center=20,branch=5",
                      branch_hours_per_contact="1", segment_min="senior=15")  # fmt: skip
        assert plan.status is PlanStatus.SOLVED, plan.infeasible_reason
        assert plan.method == "milp"
        assert 0 <= plan.gap < 0.01
        assert plan.bound_fen >= plan.objective_fen > 0
        assert plan.cost_fen <= 30_000
        assert 0 < plan.selected <= plan.candidates <= data.customers - data.blocked
        s_ = plan.summary
        by_channel = {r["key"]: r["selected"] for r in s_["by_channel"]}
        assert by_channel.get("call_center", 0) <= 20
        assert by_channel.get("branch", 0) <= 5
        assert {r["key"]: r["selected"] for r in s_["by_segment"]}["senior"] >= 15
        assert sum(r["cost_fen"] for r in s_["by_channel"]) == plan.cost_fen
        assert sum(r["value_fen"] for r in s_["by_product"]) == plan.objective_fen
        assert {"kind": "budget", "name": None} in s_["binding"]
        assert s_["dropped"]["no_consent"] > 0  # the made-up offers include them on purpose

        chosen = s.scalars(select(Offer).where(Offer.id.in_(s_["selection"]["offer_ids"]))).all()
        gen = s.scalar(select(LoanProduct.id).where(LoanProduct.code == "CL-GEN"))
        arms = {("sms", gen): "A", ("call_center", gen): "B"}
        for offer, arm in zip(
            sorted(chosen, key=lambda o: o.id), s_["selection"]["arms"], strict=True
        ):
            assert offer.channel.value in COSTS
            assert arms.get((offer.channel.value, offer.product_id), "C") == arm
        people = s.scalars(
            select(Customer).where(Customer.id.in_([o.customer_id for o in chosen]))
        ).all()
        assert all(c.marketing_consent and c.opted_out_at is None for c in people)
        assert len({o.customer_id for o in chosen}) == len(chosen) == plan.selected

        result = planning.apply_plan(s, campaign.id, plan.id, now=NOW, actor_label="test")
        targets = _targets(s, campaign.id)
        assert len(targets) == result.targets == plan.selected
        assert result.control == sum(t.group.value == "control" for t in targets)
        assert abs(result.control - 0.2 * result.targets) <= 1
        strata: dict[tuple[str | None, str | None], list[int]] = {}
        for t in targets:
            strata.setdefault((t.arm, t.segment_code), [0, 0])[t.group.value == "control"] += 1
        for treated, held in strata.values():
            assert abs(held - 0.2 * (treated + held)) < 1
        assert all(
            t.plan_id == plan.id and t.segment_run_id == data.segment_run_id for t in targets
        )
        assert all(t.expected_profit_fen is not None and t.offer_product_id for t in targets)
        assert plan.status is PlanStatus.APPLIED
        assert s.get(Campaign, campaign.id).segment_run_id == data.segment_run_id
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "campaign.plan.apply")).all()
        assert audit[-1].detail["plan_id"] == plan.id


def test_the_same_plan_and_seed_give_the_same_holdout(bank: tuple[Engine, OfferData]) -> None:
    engine, _ = bank
    groups = []
    for _ in range(2):
        with Session(engine) as s:
            campaign = new_campaign(s)
            plan = _solve(s, campaign.id, budget_yuan="100")
            planning.apply_plan(s, campaign.id, plan.id, now=NOW, seed=11, holdout_share=0.3)
            groups.append({t.customer_id: t.group.value for t in _targets(s, campaign.id)})
            s.rollback()
    assert groups[0] == groups[1]
    assert 0.29 <= sum(g == "control" for g in groups[0].values()) / len(groups[0]) <= 0.31


def test_consent_is_rechecked_when_a_plan_is_applied(bank: tuple[Engine, OfferData]) -> None:
    engine, _ = bank
    with Session(engine) as s:
        campaign = new_campaign(s)
        plan = _solve(s, campaign.id, budget_yuan="100")
        offers = s.scalars(
            select(Offer).where(Offer.id.in_(plan.summary["selection"]["offer_ids"][:3]))
        ).all()
        withdrawn, opted, black = (s.get(Customer, o.customer_id) for o in offers)
        withdrawn.marketing_consent = False
        opted.opted_out_at = NOW
        black.is_blacklisted = True
        s.flush()
        result = planning.apply_plan(s, campaign.id, plan.id, now=NOW)
        assert result.dropped == {
            "no_consent": 1,
            "opted_out": 1,
            "blacklisted": 1,
            "offer_missing": 0,
        }
        on_list = {t.customer_id for t in _targets(s, campaign.id)}
        assert on_list.isdisjoint({withdrawn.id, opted.id, black.id})
        assert len(on_list) == plan.selected - 3
        s.rollback()


def test_applying_is_refused_or_fails_as_a_whole(bank: tuple[Engine, OfferData]) -> None:
    engine, _ = bank
    with Session(engine) as s, s.begin():
        campaign = new_campaign(s)
        first = _solve(s, campaign.id, budget_yuan="100")
        planning.apply_plan(s, campaign.id, first.id, now=NOW)
        second = _solve(s, campaign.id, budget_yuan="50")
        campaign_id, first_id, second_id = campaign.id, first.id, second.id
    before = _snapshot(engine, campaign_id)

    with Session(engine) as s, pytest.raises(ConflictError) as refused:
        planning.apply_plan(s, campaign_id, second_id, now=NOW)
    assert refused.value.code == "campaign.has_targets"
    assert f"plan {first_id}" in refused.value.message
    with Session(engine) as s, pytest.raises(ConflictError) as again:
        planning.apply_plan(s, campaign_id, first_id, now=NOW)
    assert again.value.code == "plan.applied"
    assert _snapshot(engine, campaign_id) == before

    # a failure half-way (the old list deleted, the new one refused by the database) leaves the
    # old list as it was: the entry point rolls the whole unit back
    with Session(engine) as s:
        plan = s.get(CampaignPlan, second_id)
        plan.summary = {**plan.summary, "segment_run_id": 999_999}  # no such segmentation run
        s.flush()
        with pytest.raises(IntegrityError):
            planning.apply_plan(s, campaign_id, second_id, now=NOW, replace=True)
    assert _snapshot(engine, campaign_id) == before

    with Session(engine) as s, s.begin():
        replaced = planning.apply_plan(s, campaign_id, second_id, now=NOW, replace=True)
        assert replaced.replaced == len(before)
        assert s.get(CampaignPlan, first_id).status is PlanStatus.SOLVED
    after = _snapshot(engine, campaign_id)
    assert {plan for _, _, plan in after} == {second_id}

    with Session(engine) as s, s.begin():  # once the list is being worked, it stays
        target = _targets(s, campaign_id)[0]
        target.contacted_at = NOW
        third = _solve(s, campaign_id, budget_yuan="80")
        third_id = third.id
    with Session(engine) as s, pytest.raises(ConflictError) as worked:
        planning.apply_plan(s, campaign_id, third_id, now=NOW, replace=True)
    assert worked.value.code == "campaign.targets_worked"
    assert {plan for _, _, plan in _snapshot(engine, campaign_id)} == {second_id}

    with Session(engine) as s, s.begin():
        s.get(Campaign, campaign_id).status = CampaignStatus.COMPLETED
    with Session(engine) as s, pytest.raises(ConflictError) as closed:
        _solve(s, campaign_id, budget_yuan="80")
    assert closed.value.code == "campaign.closed"


def _snapshot(engine: Engine, campaign_id: int) -> set[tuple[int, str, int | None]]:
    with Session(engine) as s:
        return {(t.customer_id, t.group.value, t.plan_id) for t in _targets(s, campaign_id)}


def test_infeasible_plans_say_which_constraint_cannot_be_met(
    bank: tuple[Engine, OfferData],
) -> None:
    engine, _ = bank
    with Session(engine) as s:
        campaign = new_campaign(s)
        too_many = _solve(s, campaign.id, budget_yuan="1000", segment_min="senior=5000")
        assert too_many.status is PlanStatus.INFEASIBLE
        why = too_many.summary["infeasible"]
        assert (why["field"], why["code"], why["params"]["name"]) == (
            "segment_min",
            "segment_min",
            "senior",
        )
        assert "segment senior cannot be met: 5000 customers asked" in too_many.infeasible_reason

        poor = _solve(s, campaign.id, budget_yuan="3", segment_min="senior=10")
        assert poor.summary["infeasible"]["code"] == "budget"
        assert "The budget of 3.00 yuan" in poor.infeasible_reason
        assert "costs 5.00 yuan" in poor.infeasible_reason  # ten SMS at 0.50 yuan

        capped = _solve(s, campaign.id, budget_yuan="1000", segment_min="senior=30",
                        product_cap="CL-GEN=5,CL-TRV=5")  # fmt: skip
        assert capped.summary["infeasible"]["code"] in ("segment_min_limits", "conflict")
        assert "CL-GEN" in capped.infeasible_reason

        empty = new_campaign(s, arms=(("HL-COM", "branch"),))
        none = _solve(s, empty.id, budget_yuan="1000")
        assert none.summary["infeasible"]["code"] == "no_candidates"
        assert none.selected == 0
        s.rollback()


def test_a_plan_without_a_campaign_uses_every_offer(bank: tuple[Engine, OfferData]) -> None:
    engine, data = bank
    with Session(engine) as s:
        plan = _solve(s, None, budget_yuan="200")
        assert plan.status is PlanStatus.SOLVED
        assert plan.candidates == data.customers - data.blocked
        assert 0 < plan.selected < plan.candidates
        assert {r["key"] for r in plan.summary["by_product"]} == {"CL-GEN", "CL-TRV"}
        with pytest.raises(NotFoundError):
            planning.apply_plan(s, 999_999, plan.id, now=NOW)
        s.rollback()


def test_malformed_constraints_store_nothing(bank: tuple[Engine, OfferData]) -> None:
    engine, _ = bank
    with Session(engine) as s:
        before = s.scalar(select(func.count()).select_from(CampaignPlan))
        with pytest.raises(ValidationError) as caught:
            _solve(s, None, budget_yuan="-1", channel_capacity="fax=3", segment_min="nobody=1")
        assert {p.field for p in caught.value.problems} == {
            "budget",
            "channel_capacity",
            "segment_min",
        }
        with pytest.raises(ValidationError):
            planning.solve_plan(
                s, campaign_id=None, raw={"budget_yuan": "1"}, now=NOW, method="fast"
            )
        assert s.scalar(select(func.count()).select_from(CampaignPlan)) == before


def test_a_plan_from_a_real_offer_run(
    demo_bank: DemoBank, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The next-best-offer batch (``products.offers.run_offers``) feeds the plan directly."""
    from collections import Counter
    from datetime import date

    from loanpilot.db.session import make_session_factory
    from loanpilot.products.offers import run_offers

    url, settings = copy_demo_bank(demo_bank, tmp_path_factory.mktemp("planning-real"))
    engine = make_engine(url)
    run = run_offers(make_session_factory(engine), date(2026, 11, 29), NOW, settings, fit=True)
    assert run.status.value == "done", run.error
    with Session(engine) as s:
        plan = _solve(s, None, budget_yuan="500", channel_capacity="call_center=30")
        assert plan.status is PlanStatus.SOLVED, plan.infeasible_reason
        assert plan.offer_run_id == run.id
        assert plan.cost_fen <= 50_000
        assert {r["key"]: r["selected"] for r in plan.summary["by_channel"]}.get(
            "call_center", 0
        ) <= 30
        ids = plan.summary["selection"]["offer_ids"]
        people = s.scalars(
            select(Customer).join(Offer, Offer.customer_id == Customer.id).where(Offer.id.in_(ids))
        ).all()
        assert len(people) == plan.selected
        assert all(c.marketing_consent and c.opted_out_at is None for c in people)

        pairs = Counter(
            s.execute(select(Offer.product_id, Offer.channel).where(Offer.run_id == run.id)).all()
        )
        (product_id, channel), _ = pairs.most_common(1)[0]
        code = s.get(LoanProduct, product_id).code
        campaign = new_campaign(s, arms=((code, channel.value),))
        worth = s.scalar(select(func.sum(Offer.contact_cost_fen)).where(
            Offer.run_id == run.id, Offer.product_id == product_id, Offer.channel == channel,
            Offer.expected_profit_fen > 0,
        ))  # fmt: skip
        narrow = _solve(s, campaign.id, budget_yuan=f"{max(worth // 2, 1) / 100:.2f}")  # binding
        assert narrow.status is PlanStatus.SOLVED
        assert [r["key"] for r in narrow.summary["by_channel"]] == [channel.value]
        assert [r["key"] for r in narrow.summary["by_product"]] == [code]
        result = planning.apply_plan(s, campaign.id, narrow.id, now=NOW)
        assert {t.arm for t in _targets(s, campaign.id)} == {"A"}
        assert result.targets == narrow.selected
        s.rollback()
    engine.dispose()


# --- lists after apply: who may be contacted now, in whose scope ------------------------------------


def _csv_customers(content: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return [r[rows[0].index("Customer no")] for r in rows[1:]]


def test_lists_leave_out_whoever_may_no_longer_be_contacted(
    bank: tuple[Engine, OfferData], demo_bank: DemoBank
) -> None:
    """After the list was applied, one treated customer opts out, one withdraws consent, one is
    blacklisted: neither the campaign's lists nor the plan's file name them (PIPL), the plan's
    file has neither the hold-out nor those dropped at apply time, and the audit counts them."""
    engine, _ = bank
    crypto = Crypto.from_settings(demo_bank.settings)
    with Session(engine) as s:
        campaign = new_campaign(s)
        plan = _solve(s, campaign.id, budget_yuan="300")
        chosen = s.scalars(
            select(Offer).where(Offer.id.in_(plan.summary["selection"]["offer_ids"]))
        )
        dropped_at_apply = s.get(Customer, next(iter(chosen)).customer_id)
        dropped_at_apply.opted_out_at = NOW  # before apply: never on the list
        s.flush()
        result = planning.apply_plan(s, campaign.id, plan.id, now=NOW, seed=3)
        assert result.dropped["opted_out"] == 1
        targets = _targets(s, campaign.id)
        treated = [t for t in targets if t.group.value == "treatment"]
        held_out = [t for t in targets if t.group.value == "control"]
        assert held_out
        remote = [t for t in treated if t.channel.value != "branch"]
        gone = [s.get(Customer, t.customer_id) for t in remote[:3]]
        gone[0].opted_out_at = NOW
        gone[1].marketing_consent = False
        gone[2].is_blacklisted = True
        s.flush()
        gone_nos = {c.customer_no for c in gone}
        number = {c.id: c.customer_no for c in s.scalars(select(Customer))}

        file = exports.export_targets(s, campaign.id, audience="call_center", fmt="csv",
                                      crypto=crypto, lang="en", now=NOW, scope=None)  # fmt: skip
        listed = _csv_customers(file.content)
        assert gone_nos.isdisjoint(listed)
        assert sorted(listed) == sorted(number[t.customer_id] for t in remote[3:])
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "campaign.targets.export"))
        assert list(audit)[-1].detail == {"list": "call_center", "format": "csv",
                                          "rows": len(remote) - 3, "excluded": 3, "masked": True}  # fmt: skip

        content, rows = exports.plan_file(s, plan, crypto=crypto, lang="en", fmt="csv", now=NOW)
        in_file = _csv_customers(content)
        assert rows == len(in_file) == len(treated) - 3
        assert set(in_file) == {number[t.customer_id] for t in treated} - gone_nos
        assert dropped_at_apply.customer_no not in in_file
        assert {number[t.customer_id] for t in held_out}.isdisjoint(in_file)
        exported = select(AuditLog).where(AuditLog.action == "campaign.plan.export")
        entry = list(s.scalars(exported))[-1]
        assert entry.detail == {"format": "csv", "rows": rows, "excluded": 4,
                                "held_out": len(held_out), "not_on_list": 0, "masked": True}  # fmt: skip
        s.rollback()


def test_a_list_holds_only_the_customers_in_the_callers_scope(
    bank: tuple[Engine, OfferData], demo_bank: DemoBank
) -> None:
    """A customer manager sees only the customers they look after (``scope_clause``)."""
    engine, _ = bank
    crypto = Crypto.from_settings(demo_bank.settings)
    with Session(engine) as s:
        campaign = new_campaign(s)
        plan = _solve(s, campaign.id, budget_yuan="300")
        planning.apply_plan(s, campaign.id, plan.id, now=NOW, holdout_share=0.0)
        treated = [t.customer_id for t in _targets(s, campaign.id) if t.channel.value != "branch"]
        people = {c.id: c for c in s.scalars(select(Customer).where(Customer.id.in_(treated)))}
        manager_id = Counter(c.manager_id for c in people.values() if c.manager_id).most_common(1)[
            0
        ][0]
        mine = {c.customer_no for c in people.values() if c.manager_id == manager_id}
        assert 0 < len(mine) < len(people)
        own = Principal(account_id=1, staff_id=manager_id, username="m", name="m",
                        role=Role.CUSTOMER_MANAGER, branch_id=1, branch_ids=frozenset({1}),
                        permissions=frozenset(), scope=ScopeKind.OWN, via="session")  # fmt: skip
        file = exports.export_targets(s, campaign.id, audience="call_center", fmt="csv",
                                      crypto=crypto, lang="en", now=NOW,
                                      scope=scope_clause(own))  # fmt: skip
        assert set(_csv_customers(file.content)) == mine
        everyone = exports.export_targets(s, campaign.id, audience="call_center", fmt="csv",
                                          crypto=crypto, lang="en", now=NOW, scope=None)  # fmt: skip
        assert len(_csv_customers(everyone.content)) == len(people)
        s.rollback()


@pytest.mark.parametrize("replace", [False, True])
def test_two_applies_at_once_never_merge_or_lose_a_list(
    bank: tuple[Engine, OfferData], replace: bool
) -> None:
    """Apply A has written its list but not committed when apply B (another request) starts: B
    waits for A's lock, then sees A's list: refused, or (asked to replace) replacing all of it.
    Either way the campaign ends with exactly one plan's list."""
    engine, _ = bank
    with Session(engine) as s, s.begin():
        campaign = new_campaign(s)
        first = _solve(s, campaign.id, budget_yuan="100")
        second = _solve(s, campaign.id, budget_yuan="60")
        campaign_id, first_id, second_id = campaign.id, first.id, second.id
    outcome: list[object] = []

    def other_request() -> None:
        try:
            with Session(engine) as b, b.begin():
                outcome.append(
                    planning.apply_plan(b, campaign_id, second_id, now=NOW, replace=replace)
                )
        except Exception as exc:  # noqa: BLE001  (reported by the test)
            outcome.append(exc)

    a = Session(engine)
    try:
        applied = planning.apply_plan(a, campaign_id, first_id, now=NOW)
        thread = threading.Thread(target=other_request)
        thread.start()
        time.sleep(0.5)  # B has started (and, unlocked, would have read an empty list by now)
        assert not outcome  # B waits for A
        a.commit()
    finally:
        a.close()
    thread.join(timeout=60)
    [got] = outcome
    plans = {plan for _, _, plan in _snapshot(engine, campaign_id)}
    if replace:
        assert isinstance(got, planning.ApplyResult), got
        assert got.replaced == applied.targets
        assert plans == {second_id}
    else:
        assert isinstance(got, ConflictError), got
        assert got.code == "campaign.has_targets"
        assert plans == {first_id}
        assert len(_snapshot(engine, campaign_id)) == applied.targets
