"""The campaign-arms demo step: it only adds rows and fills new columns (every row the other
steps made stays as it was), gives every campaign its arm, adds A/B tests whose arm B carries the
documented extra effect, tags online campaign leads with UTM codes, and writes to the database."""

from __future__ import annotations

import copy
from datetime import date

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.results_bank import generate_before_arms

from loanpilot.campaigns.models import Campaign, CampaignOffer, CampaignTarget
from loanpilot.channels.models import Lead
from loanpilot.db.session import make_engine
from loanpilot.demo.builder import write
from loanpilot.demo.campaign_arms import AB_TESTS, ARM_B_EXTRA_LOGIT, campaign_arms
from loanpilot.demo.channel_tests import CHANNEL_TESTS, TEST_CHANNELS, TEST_PRODUCTS


def _build():
    ctx = generate_before_arms(1_500, 7, date(2026, 11, 29))
    before = copy.deepcopy(ctx.tables)
    campaign_arms(ctx)
    return before, ctx


@pytest.fixture(scope="module")
def built():
    return _build()


def _same(a, b) -> bool:
    if isinstance(a, list):
        return a == list(b)
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "fM":
        return bool(np.array_equal(a, b, equal_nan=True))
    return a.tolist() == b.tolist()


def test_rows_of_the_other_steps_are_unchanged(built) -> None:
    before, ctx = built
    for table, columns in before.items():
        n = len(next(iter(columns.values())))
        for name, values in columns.items():
            after = ctx.tables[table][name]
            assert _same(values, list(after)[:n] if isinstance(values, list) else after[:n]), (
                f"{table}.{name} changed"
            )


def test_every_calendar_campaign_has_arm_a_and_its_treated_targets_carry_it(built) -> None:
    before, ctx = built
    n_old = len(before["campaigns"]["id"])
    offers = ctx.tables["campaign_offers"]
    assert sorted(offers["campaign_id"][:n_old].tolist()) == list(range(1, n_old + 1))
    t = ctx.tables["campaign_targets"]
    old = np.arange(len(before["campaign_targets"]["id"]))
    treated = t["group"][old] == "treatment"
    assert (t["arm"][old][treated] == "A").all()
    assert all(a is None for a in t["arm"][old][~treated])


def test_ab_campaigns_split_the_treated_between_two_arms_of_one_channel(built) -> None:
    before, ctx = built
    n_old = len(before["campaigns"]["id"])
    camps = ctx.tables["campaigns"]
    assert ctx.count("campaigns") == n_old + len(AB_TESTS) + len(CHANNEL_TESTS)
    offers = ctx.tables["campaign_offers"]
    t = ctx.tables["campaign_targets"]
    for cid in range(n_old + 1, n_old + len(AB_TESTS) + 1):
        assert "AB0" in camps["code"][cid - 1]
        mine = offers["campaign_id"] == cid
        assert sorted(offers["arm"][mine].tolist()) == ["A", "B"]
        assert set(offers["channel"][mine].tolist()) == {camps["channel"][cid - 1]}
        rows = t["campaign_id"] == cid
        a = (rows & (t["arm"] == "A")).sum()
        b = (rows & (t["arm"] == "B")).sum()
        assert a > 50
        assert b > 50
        assert abs(a - b) < 0.25 * (a + b)
        assert all(x is None for x in t["arm"][rows & (t["group"] == "control")])
    assert ARM_B_EXTRA_LOGIT["AB01"] > 0
    assert ARM_B_EXTRA_LOGIT["AB02"] == 0
    truth = ctx.latent["truth_tables"]["campaign_targets"]
    assert len(truth["target_id"]) == ctx.count("campaign_targets")


def test_channel_tests_randomise_every_channel_and_product_type_with_a_control_group(
    built,
) -> None:
    before, ctx = built
    first = len(before["campaigns"]["id"]) + len(AB_TESTS) + 1
    camps, t = ctx.tables["campaigns"], ctx.tables["campaign_targets"]
    offers = ctx.tables["campaign_offers"]
    ptype = ctx.tables["loan_products"]["product_type"]
    for cid in range(first, ctx.count("campaigns") + 1):
        assert "CT0" in camps["code"][cid - 1]
        assert (offers["campaign_id"] == cid).sum() == len(TEST_CHANNELS) * len(TEST_PRODUCTS)
        rows = t["campaign_id"] == cid
        control = rows & (t["group"] == "control")
        assert 0.1 < control.sum() / rows.sum() < 0.3
        assert all(a is None for a in t["arm"][control])
        assert set(t["channel"][rows]) == set(TEST_CHANNELS)
        types = ptype[np.asarray(t["offer_product_id"][rows], dtype=int) - 1]
        assert len(set(types)) == len(TEST_PRODUCTS)
        # the audience is broad: every age band and the control rows keep their context
        assert set(t["segment_code"][rows].astype(str).tolist()) >= {
            f"{band}-company_employee" for band in ("young", "middle", "senior")
        }
        assert len(set(t["channel"][control])) == len(TEST_CHANNELS)
    truth = ctx.latent["truth_tables"]["campaign_targets"]
    assert len(truth["target_id"]) == ctx.count("campaign_targets")


def test_online_campaign_leads_carry_utm_tags_naming_their_campaign(built) -> None:
    _, ctx = built
    leads = ctx.tables["leads"]
    codes = ctx.tables["campaigns"]["code"]
    tagged = np.array([x is not None for x in leads["utm_campaign"]])
    assert tagged.any()
    assert set(leads["source_channel"][tagged]) <= {"online", "mobile", "wechat"}
    for cid, code in zip(leads["campaign_id"][tagged], leads["utm_campaign"][tagged], strict=True):
        assert codes[int(cid) - 1] == code
    untagged_campaign = np.array([c is None for c in leads["campaign_id"]])
    assert not (tagged & untagged_campaign).any()


def test_the_step_is_deterministic() -> None:
    _, a = _build()
    _, b = _build()
    for table in ("campaign_offers", "campaign_targets", "leads", "campaigns"):
        for name, values in a.tables[table].items():
            assert _same(values, b.tables[table][name]), f"{table}.{name}"


def test_the_tables_write_to_a_migrated_database(built, tmp_path, migrated_sqlite) -> None:
    _, ctx = built
    url = migrated_sqlite(tmp_path / "arms.db")
    engine = make_engine(url)
    try:
        write(engine, ctx)
        with Session(engine) as s:
            assert s.scalar(select(func.count()).select_from(CampaignOffer)) == ctx.count(
                "campaign_offers"
            )
            ab = s.scalars(select(Campaign).where(Campaign.code.like("%AB0%"))).all()
            assert len(ab) == len(AB_TESTS)
            arms = s.execute(
                select(CampaignTarget.arm, func.count())
                .where(CampaignTarget.campaign_id == ab[0].id)
                .group_by(CampaignTarget.arm)
            ).all()
            assert {a for a, _ in arms} == {"A", "B", None}
            assert s.scalar(
                select(func.count()).select_from(Lead).where(Lead.utm_campaign.is_not(None))
            )
    finally:
        engine.dispose()
