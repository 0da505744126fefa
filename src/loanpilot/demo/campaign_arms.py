"""Demo step: campaign arms, A/B tests and UTM tags. Runs last, after every other step, with its
own random stream (``ctx.rng("campaign_arms")``), so the rows the other steps generate stay as
they were; it only adds rows and fills columns nobody else fills.

1. Every calendar campaign gets one arm (``campaign_offers`` arm "A": its product × channel, the
   headline its theme) and its treated targets ``campaign_targets.arm = "A"``.
2. Two A/B-test campaigns near the as-of date, each with two arms of the same channel whose treated
   targets split half and half (``share`` 0.5). Responses follow the true response model
   (``truth.response_probability``) plus, for arm B's treated targets, ``ARM_B_EXTRA_LOGIT`` of
   the campaign on the logit scale (the documented true A/B effect: +0.35 for the fee waiver of
   the first test, 0 for the second, a test that should find nothing). Their responders become
   leads (not yet converted: the applications of the other steps are left as they were).
3. Two randomised multi-arm channel experiments (test-and-learn, ``demo/channel_tests.py``, own
   random stream ``ctx.rng("channel_test")``): every consenting customer (aged 20–75), assigned at
   random to one of the seven channels × one product of each product type, 20 % held out as
   control; responses from ``truth.response_probability``; responders become leads.
4. The campaign leads that came online (online, mobile, wechat) carry UTM tags:
   ``utm_source``/``utm_medium`` by channel, ``utm_campaign`` the campaign code, ``utm_content``
   the arm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo.campaign_plans import CONTACT_COST_FEN
from loanpilot.demo.context import DemoContext, local_to_utc, pick, zfill
from loanpilot.demo.truth import response_probability

#: (code suffix, name, theme, product code, channel, days before as-of it starts, length in days,
#:  arm A (headline, rate discount bp, fee waived), arm B (...), true extra logit of arm B)
AB_TESTS: tuple[
    tuple[str, str, str, str, str, int, int, tuple[Any, ...], tuple[Any, ...], float], ...
] = (
    (
        "AB01",
        "消费贷 A/B 测试：利率折扣 vs 免手续费",
        "手机银行推送两种优惠，比较响应率",
        "CL-GEN",
        "mobile",
        45,
        35,
        ("薪享消费贷 利率立减 0.5%", 50, False),
        ("薪享消费贷 免手续费", 0, True),
        0.35,
    ),
    (
        "AB02",
        "旅游贷短信文案 A/B 测试",
        "短信文案：限时优惠 vs 专属额度",
        "CL-TRV",
        "sms",
        20,
        30,
        ("旅游贷限时优惠，立即申请", 30, False),
        ("您有一笔专属旅游贷额度待领取", 30, False),
        0.0,
    ),
)
ARM_B_EXTRA_LOGIT = {code: extra for code, *_, extra in AB_TESTS}

#: UTM source and medium of campaign leads that came online, by the lead's channel.
UTM_BY_CHANNEL = {
    "online": ("baidu", "cpc"),
    "mobile": ("app", "push"),
    "wechat": ("wechat", "social"),
}


def campaign_arms(ctx: DemoContext) -> None:
    """Arms for the calendar campaigns, the A/B-test campaigns, and UTM tags on online leads."""
    rng = ctx.rng("campaign_arms")
    camps = ctx.tables["campaigns"]
    n_camp = ctx.count("campaigns")
    targets = ctx.tables["campaign_targets"]
    arm = np.full(ctx.count("campaign_targets"), None, dtype=object)
    arm[targets["group"] == "treatment"] = "A"
    targets["arm"] = arm
    offers: dict[str, list[Any]] = {
        "campaign_id": list(camps["id"]),
        "arm": ["A"] * n_camp,
        "product_id": list(camps["product_id"]),
        "channel": list(camps["channel"]),
        "headline_zh": list(camps["theme"]),
        "headline_en": [None] * n_camp,
        "rate_discount_bp": [0] * n_camp,
        "fee_waived": [False] * n_camp,
        "seasonal_offer_id": [None] * n_camp,
        "contact_cost_fen": list(camps["contact_cost_fen"]),
        "share": [1.0] * n_camp,
    }
    for test in AB_TESTS:
        if ctx.as_of64 - np.timedelta64(test[5], "D") >= ctx.start64:
            _add_ab_campaign(ctx, rng, offers, test)
    from loanpilot.demo.channel_tests import add_channel_tests  # it uses this module's helpers

    add_channel_tests(ctx, offers)
    ctx.add(
        "campaign_offers",
        {"id": np.arange(1, len(offers["arm"]) + 1)}
        | {k: np.array(v, dtype=object if k != "share" else float) for k, v in offers.items()},
    )
    _tag_leads(ctx)


def _add_ab_campaign(
    ctx: DemoContext, rng: np.random.Generator, offers: dict[str, list[Any]], test: tuple[Any, ...]
) -> None:
    suffix, name, theme, code, channel, days_before, length, arm_a, arm_b, extra = test
    cid = ctx.count("campaigns") + 1
    product_id = int(ctx.latent["product_index"][code])
    start = ctx.as_of64 - np.timedelta64(days_before, "D")
    end = start + np.timedelta64(length, "D")
    cost = CONTACT_COST_FEN[channel]
    staff = ctx.tables["staff"]
    owner = int(pick(rng, staff["id"][staff["role"] == "marketing_manager"], 1)[0])
    ctx.add(
        "campaigns",
        {
            "id": np.array([cid]),
            "code": np.array([f"CMP{str(start)[:7].replace('-', '')}{suffix}"], dtype=object),
            "name": np.array([name], dtype=object),
            "theme": np.array([theme], dtype=object),
            "description": np.array(
                [f"{theme}。A/B 测试：两组各半，另留随机对照组。"], dtype=object
            ),
            "status": np.array(["completed" if end < ctx.as_of64 else "running"], dtype=object),
            "owner_id": np.array([owner], dtype=object),
            "branch_id": np.array([None], dtype=object),
            "product_id": np.array([product_id], dtype=object),
            "channel": np.array([channel], dtype=object),
            "audience": [
                {"age_min": 22, "age_max": 55, "requires_marketing_consent": True, "product": code}
            ],
            "starts_on": np.array([start], dtype="M8[D]"),
            "ends_on": np.array([end], dtype="M8[D]"),
            "control_share": np.array([0.1], dtype=object),
            "contact_cost_fen": np.array([cost], dtype=object),
            "budget_fen": np.array([None], dtype=object),  # measured against its lines
        },
    )
    for arm, (headline, discount, waived) in (("A", arm_a), ("B", arm_b)):
        for key, value in (
            ("campaign_id", cid),
            ("arm", arm),
            ("product_id", product_id),
            ("channel", channel),
            ("headline_zh", headline),
            ("headline_en", None),
            ("rate_discount_bp", discount),
            ("fee_waived", waived),
            ("seasonal_offer_id", None),
            ("contact_cost_fen", cost),
            ("share", 0.5),
        ):
            offers[key].append(value)
    p = _add_ab_targets(ctx, rng, cid, start, length, channel, product_id, extra)
    _add_plan(ctx, rng, cid, start, len(p), cost, float(p.sum()))


def _add_ab_targets(
    ctx: DemoContext,
    rng: np.random.Generator,
    cid: int,
    start: np.datetime64,
    length: int,
    channel: str,
    product_id: int,
    extra: float,
) -> np.ndarray[Any, Any]:
    cust = ctx.tables["customers"]
    age = ctx.latent["customer_age"]
    start_us = start.astype("M8[us]")
    opted = cust["opted_out_at"]
    ok = (cust["marketing_consent"] | (~np.isnat(opted) & (opted > start_us))) & (
        (age >= 22) & (age <= 55) & (cust["since"] <= start)
    )
    pool = np.flatnonzero(ok)
    size = min(len(pool), max(200, int(ctx.n_customers * 0.3)))
    chosen = np.sort(rng.choice(pool, size=size, replace=False))
    control = rng.random(size) < 0.1
    arm_b = ~control & (rng.random(size) < 0.5)
    contact_day = start + rng.integers(0, max(length // 3, 1), size).astype("m8[D]")
    contact_at = local_to_utc(contact_day, rng.uniform(9, 20, size))
    reached = (
        ~control
        & (rng.random(size) < 0.85)
        & (contact_day <= ctx.as_of64)
        & (np.isnat(opted[chosen]) | (opted[chosen] > contact_at))
    )
    kw = {
        "channel": np.full(size, channel),
        "occupation": cust["occupation"][chosen],
        "product_type": np.full(size, ctx.tables["loan_products"]["product_type"][product_id - 1]),
        "age": age[chosen],
    }
    p0 = response_probability(ctx.truth.response, treated=np.zeros(size), **kw)
    p1 = response_probability(ctx.truth.response, treated=np.ones(size), **kw)
    p1b = 1 / (1 + (1 / p1 - 1) * np.exp(-extra))  # arm B: + extra on the logit
    p_treated = np.where(arm_b, p1b, p1)
    p = np.where(reached, p_treated, p0)
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
    ctx.add(
        "campaign_targets",
        {
            "id": ids,
            "campaign_id": np.full(size, cid),
            "customer_id": cust["id"][chosen],
            "group": np.where(control, "control", "treatment").astype(object),
            "offer_product_id": np.full(size, product_id),
            "channel": np.full(size, channel, dtype=object),
            "segment_code": np.char.add(np.char.add(band, "-"), occ).astype(object),
            "contacted_at": np.where(reached, contact_at, np.datetime64("NaT", "us")),
            "responded": responded,
            "responded_at": np.where(responded, responded_at, np.datetime64("NaT", "us")),
            "contact_attempts": np.where(control, 0, rng.integers(1, 3, size)),
            "application_id": np.full(size, None, dtype=object),
            "arm": _arm_column(control, arm_b),
        },
    )
    truth = ctx.latent.get("truth_tables", {}).get("campaign_targets")
    if truth is not None:
        truth["target_id"] = np.concatenate([truth["target_id"], ids])
        truth["p_control"] = np.concatenate([truth["p_control"], p0])
        truth["p_treatment"] = np.concatenate([truth["p_treatment"], p_treated])
    rows = np.flatnonzero(responded)
    _add_responder_leads(ctx, rng, cid, channel, product_id, ids[rows] - 1, responded_at[rows])
    return p


def _arm_column(control: np.ndarray[Any, Any], arm_b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    out = np.where(arm_b, "B", "A").astype(object)
    out[control] = None
    return out


def _add_responder_leads(
    ctx: DemoContext,
    rng: np.random.Generator,
    cid: int,
    channel: Any,
    product_id: Any,
    target_rows: np.ndarray[Any, Any],
    received: np.ndarray[Any, Any],
) -> None:
    """Leads of a campaign's responders; ``channel`` and ``product_id`` are one value or one per
    responder."""
    leads = ctx.tables["leads"]
    cust = ctx.tables["customers"]
    targets = ctx.tables["campaign_targets"]
    n = len(target_rows)
    customer_id = targets["customer_id"][target_rows]
    first = ctx.count("leads") + 1
    ids = np.arange(first, first + n)
    staff = ctx.tables["staff"]
    sales = staff["id"][np.isin(staff["role"], ["customer_manager", "senior_customer_manager"])]
    channel = np.broadcast_to(np.asarray(channel, dtype=object), (n,))
    lead_channel = np.where(np.isin(channel, ["sms", "call_center"]), "call_center", channel)
    phone_enc = np.asarray(cust["phone_enc"], dtype=object)
    arm = np.asarray(targets["arm"], dtype=object)[target_rows]
    columns: dict[str, Any] = {
        "id": ids,
        "lead_no": np.char.add("L", zfill(ids.astype("U10"), 10)).astype(object),
        "customer_id": customer_id,
        "name": cust["name"][customer_id - 1],
        "phone_enc": phone_enc[customer_id - 1],
        "phone_hash": np.asarray(cust["phone_hash"], dtype=object)[customer_id - 1],
        "source_channel": lead_channel.astype(object),
        "external_ref": np.full(n, None, dtype=object),
        "partner_id": np.full(n, None, dtype=object),
        "referrer_customer_id": np.full(n, None, dtype=object),
        "referrer_staff_id": np.full(n, None, dtype=object),
        "campaign_id": np.full(n, cid, dtype=object),
        "product_id": np.broadcast_to(np.asarray(product_id, dtype=object), (n,)).copy(),
        "assigned_to_id": pick(rng, sales, n),
        "status": pick(rng, ["new", "contacted", "qualified"], n, [0.3, 0.4, 0.3]).astype(object),
        "received_at": received,
        "status_changed_at": received + rng.integers(1, 48, n).astype("m8[h]").astype("m8[us]"),
        "_arm": arm,
    }
    for key in leads:
        if key not in columns:
            columns[key] = np.full(n, None, dtype=object)
    arms = ctx.latent.setdefault("lead_arm", {})
    arms.update(dict(zip(ids.tolist(), arm.tolist(), strict=True)))
    del columns["_arm"]
    ctx.add("leads", columns)


def _add_plan(
    ctx: DemoContext,
    rng: np.random.Generator,
    cid: int,
    start: np.datetime64,
    size: int,
    cost: int,
    expected: float,
    vendor: str = "数联短信平台",
    note: str = "A/B",
) -> None:
    """Goals, budget lines and their spend for one A/B (or channel-test) campaign."""
    goal_id = ctx.count("campaign_goals") + 1
    ctx.add(
        "campaign_goals",
        {
            "id": np.arange(goal_id, goal_id + 2),
            "campaign_id": np.full(2, cid),
            "metric": np.array(["responses", "applications"], dtype=object),
            "target": np.array([round(expected * 1.1), round(expected * 0.8)], dtype=float),
        },
    )
    base = max(size * cost, 300_000) * 2
    split = {"planning": 0.15, "materials": 0.2, "promotion": 0.45, "personnel": 0.2}
    line0 = ctx.count("campaign_budget_lines") + 1
    lines = np.arange(line0, line0 + len(split))
    planned = np.array([int(round(base * f / 100) * 100) for f in split.values()])
    ctx.add(
        "campaign_budget_lines",
        {
            "id": lines,
            "campaign_id": np.full(len(split), cid),
            "category": np.array(list(split), dtype=object),
            "planned_fen": planned,
        },
    )
    spent = (planned * rng.uniform(0.5, 1.05, len(split))).astype(np.int64)
    exp0 = ctx.count("campaign_expenses") + 1
    days = np.minimum(start + rng.integers(0, 10, len(split)).astype("m8[D]"), ctx.as_of64)
    ctx.add(
        "campaign_expenses",
        {
            "id": np.arange(exp0, exp0 + len(split)),
            "budget_line_id": lines,
            "spent_on": days.astype("M8[D]"),
            "amount_fen": spent,
            "vendor": np.full(len(split), vendor, dtype=object),
            "note": np.array([f"{c} {note}" for c in split], dtype=object),
        },
    )


def _tag_leads(ctx: DemoContext) -> None:
    """UTM tags on the campaign leads that came through the online channels."""
    leads = ctx.tables["leads"]
    n = ctx.count("leads")
    codes = np.asarray(ctx.tables["campaigns"]["code"], dtype=object)
    campaign = np.asarray(leads["campaign_id"], dtype=object)
    channel = np.asarray(leads["source_channel"], dtype=object)
    has = np.array([c is not None for c in campaign]) & np.isin(channel, list(UTM_BY_CHANNEL))
    source = np.full(n, None, dtype=object)
    medium = np.full(n, None, dtype=object)
    code = np.full(n, None, dtype=object)
    content = np.full(n, None, dtype=object)
    for ch, (src, med) in UTM_BY_CHANNEL.items():
        mask = has & (channel == ch)
        source[mask], medium[mask] = src, med
    rows = np.flatnonzero(has)
    code[rows] = codes[np.asarray(campaign[rows], dtype=np.int64) - 1]
    arms = ctx.latent.get("lead_arm", {})
    content[rows] = [arms.get(int(i), "A") for i in np.asarray(leads["id"])[rows]]
    leads["utm_source"], leads["utm_medium"], leads["utm_campaign"] = source, medium, code
    leads["utm_content"], leads["utm_term"] = content, np.full(n, None, dtype=object)
