"""Demo step: partners, campaigns with goals, places, budgets and spend, targeting lists with
randomised control groups, responses drawn from the true response model, and leads."""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo import reference as ref
from loanpilot.demo.context import DemoContext, local_to_utc, nullable, pick, zfill
from loanpilot.demo.truth import response_probability

# month → campaigns: (name, theme, product code, channel, occupations or None, min age, max age)
CAMPAIGN_CALENDAR: dict[
    int, tuple[tuple[str, str, str, str, tuple[str, ...] | None, int, int], ...]
] = {
    1: (
        ("春节出游季", "春节假期出游，旅游贷限时优惠", "CL-TRV", "wechat", None, 22, 55),
        (
            "年货消费节",
            "年货采购分期，薪享消费贷",
            "CL-GEN",
            "sms",
            ("company_employee", "civil_servant"),
            22,
            60,
        ),
    ),
    2: (
        (
            "新春开工贷",
            "个体工商户开工周转",
            "BL-CRD",
            "call_center",
            ("self_employed", "freelancer"),
            25,
            60,
        ),
    ),
    3: (
        ("春季家装节", "家装分期，合作装修公司现场签约", "CL-RENO", "partner", None, 28, 60),
        ("小微春耕贷", "小微经营者专属信用贷", "BL-OPR", "branch", ("self_employed",), 25, 60),
    ),
    4: (("安居购车节", "合作 4S 店车贷专场", "CL-AUTO", "partner", None, 24, 55),),
    5: (
        (
            "公积金贷款宣讲月",
            "公积金与组合贷政策宣讲会",
            "HL-PF",
            "branch",
            ("civil_servant", "company_employee"),
            25,
            50,
        ),
        ("健康守护计划", "医疗分期贷，合作医院专享", "CL-MED", "call_center", None, 30, 65),
    ),
    6: (
        (
            "毕业季进修贷",
            "毕业生与职场新人进修贷",
            "CL-EDU",
            "mobile",
            ("company_employee", "student"),
            20,
            32,
        ),
    ),
    7: (
        ("暑期旅游贷", "暑期亲子游分期", "CL-TRV", "mobile", None, 28, 50),
        (
            "代发工资客户专享",
            "代发客户消费贷利率优惠",
            "CL-GEN",
            "sms",
            ("company_employee", "civil_servant"),
            23,
            58,
        ),
    ),
    8: (("开学季教育贷", "子女教育与职业培训分期", "CL-EDU", "wechat", None, 30, 50),),
    9: (
        ("金九银十购房季", "售楼处驻点与首套房贷款咨询", "HL-COM", "branch", None, 25, 50),
        (
            "组合贷专场",
            "公积金+商贷组合贷一站式办理",
            "HL-COMBO",
            "partner",
            ("civil_servant", "company_employee"),
            25,
            48,
        ),
    ),
    10: (
        ("国庆出游季", "国庆长假旅游分期", "CL-TRV", "online", None, 22, 55),
        ("经营贷旺季备货", "年末备货经营周转", "BL-SEC", "call_center", ("self_employed",), 28, 62),
    ),
    11: (
        ("双十一消费季", "线上消费分期利率折扣", "CL-GEN", "mobile", None, 20, 45),
        ("私行客户答谢会", "私人银行客户专属融资方案", "PB-LUX", "branch", None, 35, 70),
    ),
    12: (
        ("年末家装冲刺", "年末装修贷款优惠", "CL-RENO", "online", None, 26, 60),
        (
            "公积金商转公服务月",
            "商业贷款转公积金贷款服务",
            "HL-C2F",
            "branch",
            ("civil_servant", "company_employee"),
            25,
            55,
        ),
    ),
}

#: Cost of one contact, in fen, by channel.
CONTACT_COST_FEN = {
    "sms": 8,
    "call_center": 350,
    "branch": 2_500,
    "mobile": 2,
    "online": 40,
    "wechat": 15,
    "partner": 4_000,
}

PLACE_KIND = {
    "branch": "branch",
    "partner": "partner_site",
    "call_center": "online",
    "sms": "online",
    "mobile": "online",
    "online": "online",
    "wechat": "online",
}

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


def campaigns(ctx: DemoContext) -> None:
    rng = ctx.rng("campaigns")
    _partners(ctx, rng)
    products = ctx.tables["loan_products"]
    product_by_code = ctx.latent["product_index"]
    staff = ctx.tables["staff"]
    managers = staff["id"][staff["role"] == "marketing_manager"]
    city_branches = ctx.tables["branches"]["id"][ctx.tables["branches"]["level"] == "branch"]
    cust = ctx.tables["customers"]
    n_cust = ctx.n_customers
    age = ctx.latent["customer_age"]
    months = np.arange(ctx.start64.astype("M8[M]"), ctx.as_of64.astype("M8[M]") + 1)

    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "code",
            "name",
            "theme",
            "description",
            "status",
            "owner_id",
            "branch_id",
            "product_id",
            "channel",
            "audience",
            "starts_on",
            "ends_on",
            "control_share",
            "contact_cost_fen",
        )
    }
    targets: dict[str, list[np.ndarray[Any, Any]]] = {
        k: []
        for k in (
            "campaign_id",
            "customer_id",
            "group",
            "offer_product_id",
            "channel",
            "segment_code",
            "contacted_at",
            "responded",
            "responded_at",
            "contact_attempts",
            "p_control",
            "p_treatment",
        )
    }
    places: dict[str, list[Any]] = {
        k: [] for k in ("campaign_id", "kind", "name", "branch_id", "city", "starts_at", "ends_at")
    }
    goals: dict[str, list[Any]] = {k: [] for k in ("campaign_id", "metric", "target")}
    budget: dict[str, list[Any]] = {k: [] for k in ("id", "campaign_id", "category", "planned_fen")}
    expenses: dict[str, list[Any]] = {
        k: [] for k in ("budget_line_id", "spent_on", "amount_fen", "vendor", "note")
    }
    consent_ok = cust["marketing_consent"]
    opted_out_at = cust["opted_out_at"]
    occupation = cust["occupation"]
    cid = 0
    for month in months:
        year, mon = int(str(month)[:4]), int(str(month)[5:7])
        for name, theme, code, channel, occs, lo, hi in CAMPAIGN_CALENDAR[mon]:
            start = month.astype("M8[D]") + np.timedelta64(int(rng.integers(0, 8)), "D")
            end = start + np.timedelta64(int(rng.integers(20, 45)), "D")
            if start > ctx.as_of64:
                continue
            cid += 1
            status = "completed" if end < ctx.as_of64 else "running"
            local = rng.random() < 0.35
            branch = int(pick(rng, city_branches, 1)[0]) if local else None
            control_share = float(pick(rng, [0.1, 0.15, 0.2], 1)[0])
            audience = {
                "occupations": list(occs) if occs else None,
                "age_min": lo,
                "age_max": hi,
                "requires_marketing_consent": True,
                "product": code,
            }
            if branch is not None:
                audience["city"] = str(ctx.tables["branches"]["city"][branch - 1])
            rows["code"].append(f"CMP{year}{mon:02d}{cid:03d}")
            rows["name"].append(f"{year}{name}" + (f"（{audience['city']}）" if branch else ""))
            rows["theme"].append(theme)
            rows["description"].append(
                f"{theme}。目标客群：{lo}–{hi} 岁" + ("，" + "、".join(occs) if occs else "") + "。"
            )
            rows["status"].append(status)
            rows["owner_id"].append(int(pick(rng, managers, 1)[0]))
            rows["branch_id"].append(branch)
            rows["product_id"].append(product_by_code[code])
            rows["channel"].append(channel)
            rows["audience"].append(audience)
            rows["starts_on"].append(start)
            rows["ends_on"].append(end)
            rows["control_share"].append(control_share)
            rows["contact_cost_fen"].append(CONTACT_COST_FEN[channel])
            # eligible audience: consent at the start, not opted out before, in age and occupation range
            start_us = start.astype("M8[us]")
            ok = consent_ok | (~np.isnat(opted_out_at) & (opted_out_at > start_us))
            ok &= (age >= lo) & (age <= hi) & (cust["since"] <= start)
            if occs:
                ok &= np.isin(occupation, occs)
            if branch is not None:
                ok &= cust["city"] == audience["city"]
            pool = np.flatnonzero(ok)
            share = rng.uniform(0.03, 0.08) * (3.0 if branch is not None else 1.0)
            size = min(len(pool), max(50, int(n_cust * share)))
            chosen = np.sort(rng.choice(pool, size=size, replace=False))
            control = rng.random(size) < control_share
            window_days = int((end - start).astype(int))
            contact_day = start + rng.integers(0, max(window_days // 2, 1), size).astype("m8[D]")
            contact_at = local_to_utc(contact_day, rng.uniform(9, 20, size))
            # reached: not held out, answered, already happened, and not opted out by then
            opted_out = opted_out_at[chosen]
            reached = (
                ~control
                & (rng.random(size) < (0.85 if channel in ("sms", "mobile", "wechat") else 0.7))
                & (contact_day <= ctx.as_of64)
                & (np.isnat(opted_out) | (opted_out > contact_at))
            )
            contacted_at = np.where(reached, contact_at, np.datetime64("NaT", "us"))
            ptype = np.full(size, products["product_type"][product_by_code[code] - 1])
            occ = occupation[chosen]
            ch = np.full(size, channel)
            p0 = response_probability(
                ctx.truth.response,
                channel=ch,
                occupation=occ,
                product_type=ptype,
                age=age[chosen],
                treated=np.zeros(size),
            )
            p1 = response_probability(
                ctx.truth.response,
                channel=ch,
                occupation=occ,
                product_type=ptype,
                age=age[chosen],
                treated=np.ones(size),
            )
            p = np.where(reached, p1, p0)
            responded = rng.random(size) < p
            resp_day = np.where(reached, contact_day, start) + rng.integers(
                0, max(window_days, 1), size
            ).astype("m8[D]")
            responded &= resp_day <= ctx.as_of64
            responded_at = local_to_utc(resp_day, rng.uniform(8, 22, size))
            # a contacted customer answers after the contact, at least an hour later
            responded_at = np.where(
                reached, np.maximum(responded_at, contact_at + np.timedelta64(1, "h")), responded_at
            )
            responded_at = np.where(responded, responded_at, np.datetime64("NaT", "us"))
            targets["campaign_id"].append(np.full(size, cid))
            targets["customer_id"].append(cust["id"][chosen])
            targets["group"].append(np.where(control, "control", "treatment"))
            targets["offer_product_id"].append(np.full(size, product_by_code[code]))
            targets["channel"].append(ch)
            targets["segment_code"].append(
                np.char.add(
                    np.char.add(
                        np.where(
                            age[chosen] < 30,
                            "young",
                            np.where(age[chosen] < 50, "middle", "senior"),
                        ),
                        "-",
                    ),
                    occ.astype(str),
                )
            )
            targets["contacted_at"].append(contacted_at)
            targets["responded"].append(responded)
            targets["responded_at"].append(responded_at)
            targets["contact_attempts"].append(np.where(control, 0, rng.integers(1, 4, size)))
            targets["p_control"].append(p0)
            targets["p_treatment"].append(p1)
            # places, goals, budget, spend
            kind = PLACE_KIND[channel]
            n_places = 1 if kind == "online" else int(rng.integers(1, 4))
            for pi in range(n_places):
                pb = branch or int(pick(rng, city_branches, 1)[0])
                places["campaign_id"].append(cid)
                places["kind"].append(
                    kind if pi == 0 else str(pick(rng, ["community", "mall", "enterprise"], 1)[0])
                )
                places["name"].append(
                    "线上渠道"
                    if kind == "online"
                    else f"{ctx.tables['branches']['name'][pb - 1]}{'网点' if pi == 0 else ['社区活动点', '商场展位', '企业驻点'][pi % 3]}"
                )
                places["branch_id"].append(pb if kind != "online" else None)
                places["city"].append(
                    str(ctx.tables["branches"]["city"][pb - 1]) if kind != "online" else None
                )
                places["starts_at"].append(local_to_utc(np.array([start]), np.array([9.0]))[0])
                places["ends_at"].append(local_to_utc(np.array([end]), np.array([18.0]))[0])
            expected_apps = float(p.sum())
            for metric, target in (
                ("applications", round(expected_apps * rng.uniform(0.9, 1.3))),
                (
                    "response_rate",
                    round(float(p.mean() if size else 0.0) * rng.uniform(1.0, 1.3), 4),
                ),
                (
                    "disbursed_yuan",
                    round(
                        expected_apps
                        * 0.6
                        * ref.PRODUCTS[product_by_code[code] - 1].typical_amount_yuan,
                        -3,
                    ),
                ),
            ):
                goals["campaign_id"].append(cid)
                goals["metric"].append(metric)
                goals["target"].append(float(target))
            contact_budget = size * CONTACT_COST_FEN[channel]
            base = max(contact_budget, 500_000) * rng.uniform(1.5, 3.0)
            split = {
                "planning": 0.12,
                "venue": 0.0 if kind == "online" else 0.25,
                "materials": 0.13,
                "promotion": 0.35,
                "personnel": 0.15,
            }
            for category, frac in split.items():
                if frac == 0:
                    continue
                line_id = len(budget["id"]) + 1
                planned = int(round(base * frac / 100) * 100)
                budget["id"].append(line_id)
                budget["campaign_id"].append(cid)
                budget["category"].append(category)
                budget["planned_fen"].append(planned)
                spent_share = (
                    rng.uniform(0.75, 1.1) if status == "completed" else rng.uniform(0.2, 0.6)
                )
                n_exp = int(rng.integers(1, 4))
                parts = rng.dirichlet(np.ones(n_exp)) * planned * spent_share
                for part in parts:
                    expenses["budget_line_id"].append(line_id)
                    expenses["spent_on"].append(
                        min(
                            start + np.timedelta64(int(rng.integers(-10, window_days + 1)), "D"),
                            ctx.as_of64,
                        )
                    )
                    expenses["amount_fen"].append(int(part))
                    expenses["vendor"].append(
                        str(
                            pick(
                                rng,
                                [
                                    "杭州创意广告",
                                    "浙江会展服务",
                                    "之江印务",
                                    "数联短信平台",
                                    "示范银行人力",
                                ],
                                1,
                            )[0]
                        )
                    )
                    expenses["note"].append(f"{category} 第{len(expenses['note']) % 9 + 1}笔")

    ids = np.arange(1, len(rows["code"]) + 1)
    ctx.add(
        "campaigns",
        {
            k: (
                np.array(v, dtype=object)
                if k not in ("starts_on", "ends_on")
                else np.array(v, dtype="M8[D]")
            )
            if k != "audience"
            else v
            for k, v in rows.items()
        }
        | {"id": ids},
    )
    ctx.add(
        "campaign_places",
        {
            "id": np.arange(1, len(places["name"]) + 1),
            **{
                k: np.array(v)
                if k == "campaign_id"
                else np.array(v, dtype=object if k not in ("starts_at", "ends_at") else "M8[us]")
                for k, v in places.items()
            },
        },
    )
    ctx.add(
        "campaign_goals",
        {
            "id": np.arange(1, len(goals["metric"]) + 1),
            "campaign_id": np.array(goals["campaign_id"]),
            "metric": np.array(goals["metric"], dtype=object),
            "target": np.array(goals["target"]),
        },
    )
    ctx.add(
        "campaign_budget_lines",
        {
            "id": np.array(budget["id"]),
            "campaign_id": np.array(budget["campaign_id"]),
            "category": np.array(budget["category"], dtype=object),
            "planned_fen": np.array(budget["planned_fen"]),
        },
    )
    ctx.add(
        "campaign_expenses",
        {
            "id": np.arange(1, len(expenses["amount_fen"]) + 1),
            "budget_line_id": np.array(expenses["budget_line_id"]),
            "spent_on": np.array(expenses["spent_on"], dtype="M8[D]"),
            "amount_fen": np.array(expenses["amount_fen"]),
            "vendor": np.array(expenses["vendor"], dtype=object),
            "note": np.array(expenses["note"], dtype=object),
        },
    )
    t = {k: np.concatenate(v) for k, v in targets.items()}
    n_t = len(t["customer_id"])
    truth = {
        "target_id": np.arange(1, n_t + 1),
        "p_control": t.pop("p_control"),
        "p_treatment": t.pop("p_treatment"),
    }
    ctx.latent.setdefault("truth_tables", {})["campaign_targets"] = truth
    ctx.add(
        "campaign_targets",
        {
            "id": np.arange(1, n_t + 1),
            **{k: (v.astype(object) if v.dtype.kind == "U" else v) for k, v in t.items()},
            "application_id": np.full(n_t, None, dtype=object),
        },
    )
    _leads(ctx, rng)


def _partners(ctx: DemoContext, rng: np.random.Generator) -> None:
    branches = ctx.tables["branches"]
    city_branch = {
        str(c): int(i)
        for i, c, lv in zip(branches["id"], branches["city"], branches["level"], strict=True)
        if lv == "branch"
    }
    cities = [c.name for c in ref.CITIES]
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


def _leads(ctx: DemoContext, rng: np.random.Generator) -> None:
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
