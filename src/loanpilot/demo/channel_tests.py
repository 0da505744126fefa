"""Demo step (part of ``campaign_arms``): the bank's test-and-learn channel experiments.

Each calendar campaign contacts a narrow audience through one channel with one product, so
history alone cannot say how, say, a retired customer responds to a mobile push about a
business loan. Twice before the as-of date the bank therefore runs a randomised multi-arm
experiment (``CHANNEL_TESTS``, 160 and 90 days before the as-of date): every customer who
consents to marketing (aged 20–75: every age band and occupation) is assigned at random,
independently per customer, to a channel (one of the seven, equal shares) and to an offered product (one per product type, equal shares:
``TEST_PRODUCTS``); then ``TEST_CONTROL_SHARE`` of them are held out at random as the control
group (they keep their assigned channel and product as the context they were held out from, and
``arm`` None). The treated carry ``arm`` = "<channel code>-<product code>" (e.g. "MOB-CL-GEN"),
and each of the 28 arms is a ``campaign_offers`` row with share 1/28. Responses are drawn from
the true response model (``truth.response_probability``, treated = reached). The campaign's own
``channel`` column holds the first arm's channel (the schema has one per campaign) and its
``contact_cost_fen`` the arms' average; responders become leads like the A/B tests'. The step uses
its own random stream (``ctx.rng("channel_test")``) and runs after every other row is made, so
no other table's rows change.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo.campaign_plans import CONTACT_COST_FEN
from loanpilot.demo.context import DemoContext, local_to_utc, pick
from loanpilot.demo.truth import response_probability

#: (code suffix, name, days before as-of it starts, length in days, share of the consenting)
CHANNEL_TESTS: tuple[tuple[str, str, int, int, float], ...] = (
    ("CT01", "渠道与产品随机测试（第一波）", 160, 35, 1.0),
    ("CT02", "渠道与产品随机测试（第二波）", 90, 35, 1.0),
)
#: the product offered for each product type (one per type, so every type is tested)
TEST_PRODUCTS = ("HL-COM", "CL-GEN", "BL-CRD", "PB-LUX")
TEST_CONTROL_SHARE = 0.2
CHANNEL_CODE = {
    "sms": "SMS",
    "call_center": "CALL",
    "branch": "BRCH",
    "mobile": "MOB",
    "online": "WEB",
    "wechat": "WX",
    "partner": "PTNR",
}
TEST_CHANNELS = tuple(CHANNEL_CODE)
#: P(a targeted customer is reached) by channel: the rates every demo campaign draws contacts with
#: (``demo/campaigns.py``: 0.85 for the push channels, 0.7 for the others); the true effect of
#: *targeting* a customer is this × (p(treated) − p(untreated))
REACH = {"sms": 0.85, "mobile": 0.85, "wechat": 0.85}
DEFAULT_REACH = 0.7


def reach_probability(channel: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The probability a target of each channel is reached (vectorised)."""
    return np.array([REACH.get(str(c), DEFAULT_REACH) for c in channel], dtype=float)


def arm_label(channel: str, product_code: str) -> str:
    return f"{CHANNEL_CODE[channel]}-{product_code}"


def add_channel_tests(ctx: DemoContext, offers: dict[str, list[Any]]) -> None:
    """Add the channel experiments that fit in the demo's history (campaigns, offers, targets,
    goals, budget, spend, leads)."""
    rng = ctx.rng("channel_test")
    for test in CHANNEL_TESTS:
        if ctx.as_of64 - np.timedelta64(test[2], "D") >= ctx.start64:
            _add_test(ctx, rng, offers, test)


def _add_test(
    ctx: DemoContext,
    rng: np.random.Generator,
    offers: dict[str, list[Any]],
    test: tuple[str, str, int, int, float],
) -> None:
    from loanpilot.demo.campaign_arms import _add_plan

    suffix, name, days_before, length, share = test
    cid = ctx.count("campaigns") + 1
    index = ctx.latent["product_index"]
    start = ctx.as_of64 - np.timedelta64(days_before, "D")
    end = start + np.timedelta64(length, "D")
    cost = round(float(np.mean([CONTACT_COST_FEN[c] for c in TEST_CHANNELS])))
    staff = ctx.tables["staff"]
    owner = int(pick(rng, staff["id"][staff["role"] == "marketing_manager"], 1)[0])
    theme = "随机分配渠道与产品，另留随机对照组，测量各渠道对各类客户的增量效果"
    ctx.add(
        "campaigns",
        {
            "id": np.array([cid]),
            "code": np.array([f"CMP{str(start)[:7].replace('-', '')}{suffix}"], dtype=object),
            "name": np.array([name], dtype=object),
            "theme": np.array([theme], dtype=object),
            "description": np.array(
                [f"{theme}。{len(TEST_CHANNELS)} 个渠道 × {len(TEST_PRODUCTS)} 类产品。"],
                dtype=object,
            ),
            "status": np.array(["completed" if end < ctx.as_of64 else "running"], dtype=object),
            "owner_id": np.array([owner], dtype=object),
            "branch_id": np.array([None], dtype=object),
            "product_id": np.array([int(index[TEST_PRODUCTS[0]])], dtype=object),
            "channel": np.array([TEST_CHANNELS[0]], dtype=object),
            "audience": [
                {
                    "age_min": 20,
                    "age_max": 75,
                    "requires_marketing_consent": True,
                    "experiment": "channel × product, randomised",
                }
            ],
            "starts_on": np.array([start], dtype="M8[D]"),
            "ends_on": np.array([end], dtype="M8[D]"),
            "control_share": np.array([TEST_CONTROL_SHARE], dtype=object),
            "contact_cost_fen": np.array([cost], dtype=object),
            "budget_fen": np.array([None], dtype=object),  # measured against its lines
        },
    )
    n_arms = len(TEST_CHANNELS) * len(TEST_PRODUCTS)
    for channel in TEST_CHANNELS:
        for code in TEST_PRODUCTS:
            for key, value in (
                ("campaign_id", cid),
                ("arm", arm_label(channel, code)),
                ("product_id", int(index[code])),
                ("channel", channel),
                ("headline_zh", f"{name}：{code} × {channel}"),
                ("headline_en", None),
                ("rate_discount_bp", 0),
                ("fee_waived", False),
                ("seasonal_offer_id", None),
                ("contact_cost_fen", CONTACT_COST_FEN[channel]),
                ("share", 1.0 / n_arms),
            ):
                offers[key].append(value)
    p, spent = _add_targets(ctx, rng, cid, start, length, share)
    _add_plan(
        ctx,
        rng,
        cid,
        start,
        len(p),
        max(spent // max(len(p), 1), 1),
        float(p.sum()),
        vendor="渠道测试执行",
        note="渠道测试",
    )


def _add_targets(
    ctx: DemoContext,
    rng: np.random.Generator,
    cid: int,
    start: np.datetime64,
    length: int,
    share: float,
) -> tuple[np.ndarray[Any, Any], int]:
    """The experiment's targets; returns each one's response probability and the contact cost."""
    from loanpilot.demo.campaign_arms import _add_responder_leads

    cust = ctx.tables["customers"]
    age = ctx.latent["customer_age"]
    start_us = start.astype("M8[us]")
    opted = cust["opted_out_at"]
    ok = (cust["marketing_consent"] | (~np.isnat(opted) & (opted > start_us))) & (
        (age >= 20) & (age <= 75) & (cust["since"] <= start)
    )
    pool = np.flatnonzero(ok)
    size = min(len(pool), max(200, int(len(pool) * share)))
    chosen = np.sort(rng.choice(pool, size=size, replace=False))
    channel = np.asarray(TEST_CHANNELS)[rng.integers(0, len(TEST_CHANNELS), size)]
    which = rng.integers(0, len(TEST_PRODUCTS), size)
    code = np.asarray(TEST_PRODUCTS)[which]
    index = ctx.latent["product_index"]
    product_id = np.array([int(index[c]) for c in TEST_PRODUCTS], dtype=np.int64)[which]
    control = rng.random(size) < TEST_CONTROL_SHARE
    contact_day = start + rng.integers(0, max(length // 3, 1), size).astype("m8[D]")
    contact_at = local_to_utc(contact_day, rng.uniform(9, 20, size))
    answer = reach_probability(channel)
    reached = (
        ~control
        & (rng.random(size) < answer)
        & (contact_day <= ctx.as_of64)
        & (np.isnat(opted[chosen]) | (opted[chosen] > contact_at))
    )
    kw = {
        "channel": channel,
        "occupation": cust["occupation"][chosen],
        "product_type": ctx.tables["loan_products"]["product_type"][product_id - 1],
        "age": age[chosen],
    }
    p0 = response_probability(ctx.truth.response, treated=np.zeros(size), **kw)
    p1 = response_probability(ctx.truth.response, treated=np.ones(size), **kw)
    p = np.where(reached, p1, p0)
    responded = rng.random(size) < p
    resp_day = np.where(reached, contact_day, start) + rng.integers(0, length, size).astype("m8[D]")
    responded &= resp_day <= ctx.as_of64
    responded_at = local_to_utc(resp_day, rng.uniform(8, 22, size))
    responded_at = np.where(
        reached, np.maximum(responded_at, contact_at + np.timedelta64(1, "h")), responded_at
    )
    first = ctx.count("campaign_targets") + 1
    ids = np.arange(first, first + size)
    occ = cust["occupation"][chosen].astype(str)
    band = np.where(age[chosen] < 30, "young", np.where(age[chosen] < 50, "middle", "senior"))
    arm = np.array([arm_label(c, k) for c, k in zip(channel, code, strict=True)], dtype=object)
    arm[control] = None
    attempts = np.where(control, 0, rng.integers(1, 3, size))
    ctx.add(
        "campaign_targets",
        {
            "id": ids,
            "campaign_id": np.full(size, cid),
            "customer_id": cust["id"][chosen],
            "group": np.where(control, "control", "treatment").astype(object),
            "offer_product_id": product_id,
            "channel": channel.astype(object),
            "segment_code": np.char.add(np.char.add(band, "-"), occ).astype(object),
            "contacted_at": np.where(reached, contact_at, np.datetime64("NaT", "us")),
            "responded": responded,
            "responded_at": np.where(responded, responded_at, np.datetime64("NaT", "us")),
            "contact_attempts": attempts,
            "application_id": np.full(size, None, dtype=object),
            "arm": arm,
        },
    )
    truth = ctx.latent.get("truth_tables", {}).get("campaign_targets")
    if truth is not None:
        truth["target_id"] = np.concatenate([truth["target_id"], ids])
        truth["p_control"] = np.concatenate([truth["p_control"], p0])
        truth["p_treatment"] = np.concatenate([truth["p_treatment"], p1])
    rows = np.flatnonzero(responded)
    _add_responder_leads(
        ctx, rng, cid, channel[rows], product_id[rows], ids[rows] - 1, responded_at[rows]
    )
    cost = np.array([CONTACT_COST_FEN[c] for c in channel]) * (~control)
    return p, int(cost.sum())
