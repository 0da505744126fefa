"""Demo step parts of ``campaigns``: the bank's partners (developers, car dealers, schools and
others who refer customers), and the leads: campaign responders plus organic interest from
partners, referrals and the bank's own channels."""

from __future__ import annotations

import numpy as np

from loanpilot.demo.context import DemoContext, local_to_utc, nullable, pick, zfill
from loanpilot.demo.geography import CITIES

PARTNERS: tuple[tuple[str, str], ...] = (
    ("developer", "绿城置业"),
    ("developer", "滨江房产"),
    ("developer", "万科城"),
    ("car_dealer", "之江汽车城 4S 店"),
    ("car_dealer", "宁波东方汽车"),
    ("ecommerce", "浙里购商城"),
    ("school", "西湖职业培训学院"),
    ("school", "甬城教育"),
    ("employer", "海康示范科技"),
    ("employer", "吉利示范制造"),
    ("hospital", "仁和口腔医院"),
    ("decoration", "东方装饰"),
    ("decoration", "金螳螂家装"),
    ("travel_agency", "浙旅国际旅行社"),
    ("car_dealer", "温州瓯江汽车"),
    ("developer", "温州华鸿地产"),
)


def add_partners(ctx: DemoContext, rng: np.random.Generator) -> None:
    """The partners, each in a city and tied to that city's branch."""
    branches = ctx.tables["branches"]
    city_branch = {
        str(c): int(i)
        for i, c, lv in zip(branches["id"], branches["city"], branches["level"], strict=True)
        if lv == "branch"
    }
    cities = [c.name for c in CITIES]
    n = len(PARTNERS)
    partner_city = np.array(
        [
            cities[
                i % 4 if "温州" not in name and "宁波" not in name else (2 if "温州" in name else 1)
            ]
            for i, (_, name) in enumerate(PARTNERS)
        ],
        dtype=object,
    )
    ctx.add(
        "partners",
        {
            "id": np.arange(1, n + 1),
            "code": np.array([f"P{i + 1:04d}" for i in range(n)], dtype=object),
            "name": np.array([name for _, name in PARTNERS], dtype=object),
            "kind": np.array([kind for kind, _ in PARTNERS], dtype=object),
            "city": partner_city,
            "branch_id": np.array([city_branch.get(str(c)) for c in partner_city], dtype=object),
            "commission_rate": np.round(rng.uniform(0.002, 0.012, n), 4),
            "contract_start": ctx.start64 - rng.integers(30, 900, n).astype("m8[D]"),
            "contract_end": np.where(
                rng.random(n) < 0.2,
                ctx.as_of64 + rng.integers(-60, 400, n).astype("m8[D]"),
                np.datetime64("NaT", "D"),
            ),
        },
    )


def add_leads(ctx: DemoContext, rng: np.random.Generator) -> None:
    """Leads: campaign responders plus organic interest from partners, referrals and the portal."""
    cust = ctx.tables["customers"]
    t = ctx.tables["campaign_targets"]
    resp = np.flatnonzero(t["responded"])
    n_org = int(ctx.n_customers * 0.12)
    org_cust = rng.integers(1, ctx.n_customers + 1, n_org)
    window = int((ctx.as_of64 - ctx.start64).astype(int))
    org_day = ctx.start64 + rng.integers(0, window + 1, n_org).astype("m8[D]")
    org_day = np.maximum(org_day, cust["since"][org_cust - 1])  # interest only once a customer
    org_channel = pick(
        rng,
        ["partner", "referral", "online", "mobile", "branch", "wechat"],
        n_org,
        [0.25, 0.12, 0.2, 0.2, 0.15, 0.08],
    )
    partners = ctx.tables["partners"]["id"]
    n = len(resp) + n_org
    customer_id = np.concatenate([t["customer_id"][resp], org_cust])
    channel = np.concatenate([t["channel"][resp], org_channel]).astype(object)
    channel = np.where(np.isin(channel, ["sms", "call_center"]), "call_center", channel).astype(
        object
    )
    received = np.concatenate(
        [t["responded_at"][resp], local_to_utc(org_day, rng.uniform(8, 22, n_org))]
    )
    is_partner = channel == "partner"
    is_referral = channel == "referral"
    staff = ctx.tables["staff"]
    sales = staff["id"][
        np.isin(staff["role"], ["customer_manager", "senior_customer_manager", "sales_consultant"])
    ]
    status = pick(
        rng, ["converted", "qualified", "contacted", "lost", "new"], n, [0.0, 0.15, 0.2, 0.25, 0.05]
    )
    ids = np.arange(1, n + 1)
    ctx.add(
        "leads",
        {
            "id": ids,
            "lead_no": np.char.add("L", zfill(ids.astype("U10"), 10)).astype(object),
            "customer_id": customer_id,
            "name": cust["name"][customer_id - 1],
            "phone_enc": cust["phone_enc"][customer_id - 1]
            if isinstance(cust["phone_enc"], np.ndarray)
            else np.array(cust["phone_enc"], dtype=object)[customer_id - 1],
            "phone_hash": np.array(cust["phone_hash"], dtype=object)[customer_id - 1],
            "source_channel": channel,
            "external_ref": np.full(n, None, dtype=object),
            "partner_id": nullable(is_partner, pick(rng, partners, n)),
            "referrer_customer_id": nullable(is_referral, rng.integers(1, ctx.n_customers + 1, n)),
            "referrer_staff_id": nullable(
                ~is_partner & ~is_referral & (rng.random(n) < 0.1), pick(rng, sales, n)
            ),
            "campaign_id": np.concatenate(
                [t["campaign_id"][resp], np.full(n_org, None, dtype=object)]
            ).astype(object),
            "product_id": np.concatenate(
                [t["offer_product_id"][resp], np.full(n_org, None, dtype=object)]
            ).astype(object),
            "assigned_to_id": pick(rng, sales, n),
            "status": status.astype(object),
            "received_at": received,
            "status_changed_at": received + rng.integers(1, 72, n).astype("m8[h]").astype("m8[us]"),
        },
    )
    ctx.latent["lead_target_rows"] = resp  # lead i < len(resp) came from campaign target resp[i]
