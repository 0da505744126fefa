"""Demo step: marketing. The partners, then the campaign calendar month by month: each campaign with
its audience, a targeting list with a randomised control group and responses drawn from the true
response model (``truth.response_probability``), its places, goals, budget and spend
(``campaign_plans``); then the leads (``leads``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo.campaign_plans import CONTACT_COST_FEN, CampaignPlans
from loanpilot.demo.context import DemoContext, local_to_utc, pick
from loanpilot.demo.leads import add_leads, add_partners
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


def campaigns(ctx: DemoContext) -> None:
    """Partners; the calendar's campaigns with targets, places, goals, budgets; leads."""
    rng = ctx.rng("campaigns")
    add_partners(ctx, rng)
    product_by_code = ctx.latent["product_index"]
    staff = ctx.tables["staff"]
    managers = staff["id"][staff["role"] == "marketing_manager"]
    city_branches = ctx.tables["branches"]["id"][ctx.tables["branches"]["level"] == "branch"]
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
    plans = CampaignPlans()
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
            window_days = int((end - start).astype(int))
            p = _add_targets(
                ctx,
                rng,
                targets,
                cid=cid,
                start=start,
                window_days=window_days,
                channel=channel,
                occupations=occs,
                age_range=(lo, hi),
                city=str(audience["city"]) if branch is not None else None,
                control_share=control_share,
                product_id=product_by_code[code],
            )
            plans.add(
                ctx,
                rng,
                cid=cid,
                channel=channel,
                branch=branch,
                city_branches=city_branches,
                start=start,
                end=end,
                status=status,
                p=p,
                product_id=product_by_code[code],
                window_days=window_days,
            )

    ids = np.arange(1, len(rows["code"]) + 1)
    # the budget: the planned lines plus a 10 % reserve, rounded to ¥1,000
    planned = np.bincount(
        np.array(plans.budget["campaign_id"], dtype=int),
        weights=np.array(plans.budget["planned_fen"], dtype=float),
        minlength=len(ids) + 1,
    )[1:]
    rows["budget_fen"] = list((np.round(planned * 1.1 / 100_000) * 100_000).astype(np.int64))
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
    plans.write(ctx)
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
    add_leads(ctx, rng)


def _add_targets(
    ctx: DemoContext,
    rng: np.random.Generator,
    targets: dict[str, list[np.ndarray[Any, Any]]],
    *,
    cid: int,
    start: np.datetime64,
    window_days: int,
    channel: str,
    occupations: tuple[str, ...] | None,
    age_range: tuple[int, int],
    city: str | None,
    control_share: float,
    product_id: int,
) -> np.ndarray[Any, Any]:
    """Draw one campaign's targeting list (treatment and control) into ``targets``; return each
    target's probability of responding, as drawn from the true response model."""
    cust = ctx.tables["customers"]
    age = ctx.latent["customer_age"]
    consent_ok = cust["marketing_consent"]
    opted_out_at = cust["opted_out_at"]
    occupation = cust["occupation"]
    lo, hi = age_range
    # eligible audience: consent at the start, not opted out before, in age and occupation range
    start_us = start.astype("M8[us]")
    ok = consent_ok | (~np.isnat(opted_out_at) & (opted_out_at > start_us))
    ok &= (age >= lo) & (age <= hi) & (cust["since"] <= start)
    if occupations:
        ok &= np.isin(occupation, occupations)
    if city is not None:
        ok &= cust["city"] == city
    pool = np.flatnonzero(ok)
    share = rng.uniform(0.03, 0.08) * (3.0 if city is not None else 1.0)
    size = min(len(pool), max(50, int(ctx.n_customers * share)))
    chosen = np.sort(rng.choice(pool, size=size, replace=False))
    control = rng.random(size) < control_share
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
    ptype = np.full(size, ctx.tables["loan_products"]["product_type"][product_id - 1])
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
    targets["offer_product_id"].append(np.full(size, product_id))
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
    return p
