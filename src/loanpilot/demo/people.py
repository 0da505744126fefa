"""Demo steps: the bank's organisation and staff, its product catalogue and rate tables, and its
customers with their bureau summaries, deposits and cards, consents and channel identities."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from loanpilot.demo import reference as ref
from loanpilot.demo.context import DemoContext, local_to_utc, nullable, pick, zfill
from loanpilot.kit.ids import make_resident_ids

YUAN = 100  # fen per yuan

SUB_BRANCH_SUFFIXES = ("", "城东", "城西", "科技城", "中心", "开发区", "新城", "北")


def _names(rng: np.random.Generator, male: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    n = len(male)
    surnames = np.array([s for s, _ in ref.SURNAMES])
    weights = np.array([w for _, w in ref.SURNAMES])
    family = pick(rng, surnames, n, weights)
    male_chars = np.array(list(ref.GIVEN_MALE))
    female_chars = np.array(list(ref.GIVEN_FEMALE))
    first = np.where(male, pick(rng, male_chars, n), pick(rng, female_chars, n))
    second = np.where(male, pick(rng, male_chars, n), pick(rng, female_chars, n))
    two = rng.random(n) < 0.7
    given = np.where(two, np.char.add(first, second), first)
    return np.char.add(family, given).astype(object)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray[Any, Any]:
    prefixes = pick(rng, np.array(ref.PHONE_PREFIXES), n)
    # distinct 8-digit tails: a random permutation sample, so no two customers share a number
    tails = rng.choice(100_000_000, size=n, replace=False)
    return np.char.add(prefixes, zfill(tails.astype("U8"), 8)).astype(object)


def organisation(ctx: DemoContext) -> None:
    """Head office, one branch per city, sub-branches by customer weight; org units; staff."""
    rng = ctx.rng("organisation")
    codes: list[str] = ["HQ0001"]
    names: list[str] = [f"{ref.BANK_NAME_ZH}总行"]
    levels: list[str] = ["head_office"]
    parents: list[int | None] = [None]
    provinces: list[str] = ["浙江"]
    cities: list[str] = ["杭州"]
    districts: list[str | None] = ["上城区"]
    tiers: list[int] = [1]
    sub_branch_city: list[int] = []
    scale = max(ctx.n_customers / 20_000, 0.25)
    for ci, city in enumerate(ref.CITIES):
        branch_id = len(codes) + 1
        codes.append(f"BR{ci + 1:02d}00")
        names.append(f"{city.name}分行")
        levels.append("branch")
        parents.append(1)
        provinces.append(city.province)
        cities.append(city.name)
        districts.append(city.districts[0][1])
        tiers.append(city.tier)
        n_sub = max(2, round(city.weight * 40 * min(scale, 3.0) ** 0.5))
        for si in range(n_sub):
            district = city.districts[si % len(city.districts)][1]
            suffix = SUB_BRANCH_SUFFIXES[(si // len(city.districts)) % len(SUB_BRANCH_SUFFIXES)]
            codes.append(f"BR{ci + 1:02d}{si + 1:02d}")
            names.append(f"{city.name}{district}{suffix}支行")
            levels.append("sub_branch")
            parents.append(branch_id)
            provinces.append(city.province)
            cities.append(city.name)
            districts.append(district)
            tiers.append(city.tier)
            sub_branch_city.append(ci)
    n_branches = len(codes)
    branch_ids = np.arange(1, n_branches + 1)
    opened = ctx.as_of64 - (rng.integers(3, 25, n_branches) * 365).astype("m8[D]")
    ctx.add(
        "branches",
        {
            "id": branch_ids,
            "code": np.array(codes, dtype=object),
            "name": np.array(names, dtype=object),
            "level": np.array(levels, dtype=object),
            "parent_id": np.array(parents, dtype=object),
            "province": np.array(provinces, dtype=object),
            "city": np.array(cities, dtype=object),
            "district": np.array(districts, dtype=object),
            "address": np.array(
                [
                    f"{c}{d or ''}人民路{i * 7 + 1}号"
                    for i, (c, d) in enumerate(zip(cities, districts, strict=True))
                ],
                dtype=object,
            ),
            "city_tier": np.array(tiers),
            "opened_on": opened,
        },
    )
    levels_arr = np.array(levels)
    sub_ids = branch_ids[levels_arr == "sub_branch"]
    ctx.latent["sub_branch_ids"] = sub_ids
    ctx.latent["sub_branch_city"] = np.array(sub_branch_city)

    # org units: HQ marketing department with three groups, the risk team, one sales team per sub-branch
    ou_codes = ["HQ-MKT", "HQ-MKT-ANA", "HQ-MKT-PRO", "HQ-MKT-SVC", "HQ-RISK"]
    ou_names = ["市场营销部", "市场分析组", "产品推广组", "客户服务组", "风险管理部"]
    ou_kinds = [
        "marketing_department",
        "market_analysis_group",
        "product_promotion_group",
        "customer_service_group",
        "risk_team",
    ]
    ou_branch = [1, 1, 1, 1, 1]
    ou_parent: list[int | None] = [None, 1, 1, 1, None]
    for bid in sub_ids:
        ou_codes.append(f"{codes[bid - 1]}-SALES")
        ou_names.append(f"{names[bid - 1]}销售团队")
        ou_kinds.append("sales_team")
        ou_branch.append(int(bid))
        ou_parent.append(None)
    n_ou = len(ou_codes)
    ou_ids = np.arange(1, n_ou + 1)
    sales_team_of_branch = {int(b): 6 + i for i, b in enumerate(sub_ids)}

    # staff
    roles: list[str] = []
    staff_branch: list[int] = []
    staff_ou: list[int] = []
    hq_roles = (
        [("administrator", 1, 1)]
        + [("marketing_manager", 1, 1)] * 3
        + [("market_analyst", 1, 2)] * 4
        + [("marketing_manager", 1, 3)] * 2
        + [("service_agent", 1, 4)] * max(6, round(8 * scale))
        + [("risk_officer", 1, 5)] * max(4, round(5 * scale))
        + [("approver", 1, 5)] * max(3, round(3 * scale))
        + [("collector", 1, 5)] * max(4, round(6 * scale))
        + [("auditor", 1, 5)] * 2
    )
    for role, bid, ou in hq_roles:
        roles.append(role)
        staff_branch.append(bid)
        staff_ou.append(ou)
    customers_per_sub = ctx.n_customers / len(sub_ids)
    for bid in sub_ids:
        team = sales_team_of_branch[int(bid)]
        n_cm = max(2, round(customers_per_sub / 220))
        for role, count in (
            ("branch_head", 1),
            ("senior_customer_manager", max(1, n_cm // 3)),
            ("customer_manager", n_cm),
            ("sales_consultant", max(1, n_cm // 2)),
        ):
            for _ in range(count):
                roles.append(role)
                staff_branch.append(int(bid))
                staff_ou.append(team)
    n_staff = len(roles)
    staff_ids = np.arange(1, n_staff + 1)
    male = rng.random(n_staff) < 0.48
    role_arr = np.array(roles, dtype=object)
    hired = ctx.as_of64 - rng.integers(60, 365 * 15, n_staff).astype("m8[D]")
    # the org-unit head and each staff member's line manager
    head_of_ou: dict[int, int] = {}
    for sid, role, ou in zip(staff_ids, roles, staff_ou, strict=True):
        if role in ("branch_head", "administrator") or (
            ou not in head_of_ou and role != "sales_consultant"
        ):
            head_of_ou.setdefault(ou, int(sid))
    manager = np.array(
        [
            head_of_ou.get(ou) if head_of_ou.get(ou) != sid else None
            for sid, ou in zip(staff_ids, staff_ou, strict=True)
        ],
        dtype=object,
    )
    limit_yuan = {"approver": 3_000_000, "risk_officer": 500_000, "branch_head": 1_000_000}
    ctx.add(
        "staff",
        {
            "id": staff_ids,
            "employee_no": np.array([f"E{i:05d}" for i in staff_ids], dtype=object),
            "name": _names(rng, male),
            "gender": np.where(male, "M", "F").astype(object),
            "role": role_arr,
            "branch_id": np.array(staff_branch),
            "org_unit_id": np.array(staff_ou),
            "manager_id": manager,
            "hired_on": hired,
            "status": pick(rng, ["active", "on_leave"], n_staff, [0.97, 0.03]).astype(object),
            "email": np.array([f"e{i:05d}@demo-bank.example" for i in staff_ids], dtype=object),
            "approval_limit_fen": np.array(
                [limit_yuan[r] * YUAN if r in limit_yuan else None for r in roles], dtype=object
            ),
        },
    )
    ctx.add(
        "org_units",
        {
            "id": ou_ids,
            "code": np.array(ou_codes, dtype=object),
            "name": np.array(ou_names, dtype=object),
            "kind": np.array(ou_kinds, dtype=object),
            "branch_id": np.array(ou_branch),
            "parent_id": np.array(ou_parent, dtype=object),
            "head_staff_id": np.array([head_of_ou.get(int(i)) for i in ou_ids], dtype=object),
        },
    )
    # a latent quality per staff member drives satisfaction, reviews and appraisal
    ctx.latent["staff_quality"] = rng.normal(0.0, 1.0, n_staff)


def products(ctx: DemoContext) -> None:
    """The catalogue, seasonal offers, and the LPR and provident-fund rate tables."""
    specs = ref.PRODUCTS
    n = len(specs)
    ids = np.arange(1, n + 1)
    by_code = {s.code: i + 1 for i, s in enumerate(specs)}
    components = [
        [by_code["HL-COM"], by_code["HL-PF"]] if s.subtype == "combination" else [] for s in specs
    ]
    ctx.add(
        "loan_products",
        {
            "id": ids,
            "code": np.array([s.code for s in specs], dtype=object),
            "name_zh": np.array([s.name_zh for s in specs], dtype=object),
            "name_en": np.array([s.name_en for s in specs], dtype=object),
            "product_type": np.array([s.product_type for s in specs], dtype=object),
            "subtype": np.array([s.subtype for s in specs], dtype=object),
            "status": np.array(["active"] * n, dtype=object),
            "min_amount_fen": np.array([s.min_amount_yuan * YUAN for s in specs]),
            "max_amount_fen": np.array([s.max_amount_yuan * YUAN for s in specs]),
            "min_term_months": np.array([s.min_term for s in specs]),
            "max_term_months": np.array([s.max_term for s in specs]),
            "rate_basis": np.array([s.rate_basis for s in specs], dtype=object),
            "min_spread": np.array([float(ref.pct(s.min_spread)) for s in specs]),
            "max_spread": np.array([float(ref.pct(s.max_spread)) for s in specs]),
            "monthly_fee_rate": np.array([float(ref.pct(s.monthly_fee)) for s in specs]),
            "upfront_fee_rate": np.zeros(n),
            "repayment_methods": [list(s.methods) for s in specs],
            "max_ltv": np.array(
                [None if s.max_ltv is None else float(ref.pct(s.max_ltv)) for s in specs],
                dtype=object,
            ),
            "collateral_required": np.array([s.collateral for s in specs], dtype=object),
            "eligibility": [dict(s.eligibility) for s in specs],
            "component_product_ids": components,
            "description_zh": np.array(
                [
                    f"{s.name_zh}：用于{s.purpose}，额度{s.min_amount_yuan // 10_000 or s.min_amount_yuan}起"
                    for s in specs
                ],
                dtype=object,
            ),
            "description_en": np.array(
                [f"{s.name_en} for {s.subtype.replace('_', ' ')}" for s in specs], dtype=object
            ),
            "launched_on": np.array(
                [np.datetime64("2018-01-01") + np.timedelta64(90 * i, "D") for i in range(n)]
            ),
        },
    )
    ctx.latent["product_index"] = by_code
    # seasonal offers every year of the window
    offers: list[tuple[str, str, str, str, str, float, bool]] = []
    for year in range(ctx.start64.astype(object).year, ctx.as_of.year + 1):
        offers += [
            (
                "CL-TRV",
                "春节出游季",
                "Spring Festival travel",
                f"{year}-01-10",
                f"{year}-02-28",
                0.005,
                True,
            ),
            (
                "CL-EDU",
                "开学季助学优惠",
                "Back-to-school",
                f"{year}-07-15",
                f"{year}-09-15",
                0.004,
                False,
            ),
            (
                "HL-COM",
                "金九银十购房季",
                "Golden autumn home season",
                f"{year}-09-01",
                f"{year}-10-31",
                0.001,
                False,
            ),
            (
                "CL-RENO",
                "春季家装节",
                "Spring renovation fair",
                f"{year}-03-01",
                f"{year}-04-30",
                0.003,
                True,
            ),
            (
                "CL-GEN",
                "双十一消费季",
                "Double-11 shopping season",
                f"{year}-10-25",
                f"{year}-11-20",
                0.004,
                False,
            ),
        ]
    ctx.add(
        "seasonal_offers",
        {
            "id": np.arange(1, len(offers) + 1),
            "product_id": np.array([by_code[o[0]] for o in offers]),
            "name_zh": np.array([f"{o[3][:4]}{o[1]}" for o in offers], dtype=object),
            "name_en": np.array([f"{o[2]} {o[3][:4]}" for o in offers], dtype=object),
            "starts_on": np.array([o[3] for o in offers], dtype="M8[D]"),
            "ends_on": np.array([o[4] for o in offers], dtype="M8[D]"),
            "spread_discount": np.array([o[5] for o in offers]),
            "fee_waived": np.array([o[6] for o in offers]),
        },
    )
    lpr_rows = [
        (d, t, r) for d, one, five in ref.LPR_HISTORY for t, r in (("1y", one), ("5y", five))
    ]
    ctx.add(
        "lpr_rates",
        {
            "id": np.arange(1, len(lpr_rows) + 1),
            "effective_on": np.array([r[0] for r in lpr_rows], dtype="M8[D]"),
            "term": np.array([r[1] for r in lpr_rows], dtype=object),
            "rate": np.array([float(ref.pct(r[2])) for r in lpr_rows]),
        },
    )
    fund_rows = [
        (d, band, order, rate)
        for d, a, b, c, e in ref.PROVIDENT_FUND_HISTORY
        for band, order, rate in (("le5y", 1, a), ("gt5y", 1, b), ("le5y", 2, c), ("gt5y", 2, e))
    ]
    ctx.add(
        "provident_fund_rates",
        {
            "id": np.arange(1, len(fund_rows) + 1),
            "effective_on": np.array([r[0] for r in fund_rows], dtype="M8[D]"),
            "term_band": np.array([r[1] for r in fund_rows], dtype=object),
            "home_order": np.array([r[2] for r in fund_rows]),
            "rate": np.array([float(ref.pct(r[3])) for r in fund_rows]),
        },
    )


# occupation mix by age band: civil servant, employee, freelancer, self-employed, student, retired
_OCC_BY_AGE: dict[tuple[int, int], tuple[float, ...]] = {
    (18, 25): (0.03, 0.42, 0.10, 0.05, 0.40, 0.0),
    (25, 55): (0.12, 0.54, 0.12, 0.22, 0.0, 0.0),
    (55, 60): (0.10, 0.33, 0.05, 0.20, 0.0, 0.32),
    (60, 200): (0.02, 0.06, 0.02, 0.10, 0.0, 0.80),
}
_INCOME_MEDIAN_YUAN: dict[str, float] = {
    "civil_servant": 11_000,
    "company_employee": 9_500,
    "freelancer": 8_500,
    "self_employed": 14_000,
    "student": 1_800,
    "retired": 5_200,
}
_INCOME_SIGMA: dict[str, float] = {
    "civil_servant": 0.30,
    "company_employee": 0.50,
    "freelancer": 0.65,
    "self_employed": 0.80,
    "student": 0.45,
    "retired": 0.40,
}
_EDU_BY_OCC: dict[str, tuple[float, ...]] = {
    "civil_servant": (0.01, 0.06, 0.18, 0.55, 0.20),
    "company_employee": (0.06, 0.20, 0.28, 0.38, 0.08),
    "freelancer": (0.10, 0.25, 0.30, 0.30, 0.05),
    "self_employed": (0.22, 0.38, 0.22, 0.16, 0.02),
    "student": (0.0, 0.10, 0.35, 0.45, 0.10),
    "retired": (0.35, 0.35, 0.15, 0.13, 0.02),
}


def _by_key(keys: np.ndarray[Any, Any], table: dict[str, float]) -> np.ndarray[Any, Any]:
    out = np.zeros(len(keys))
    for key, value in table.items():
        out[keys == key] = value
    return out


def customers(ctx: DemoContext) -> None:
    """Customers with valid IDs and phones, incomes by occupation × age × city, bureau and cards."""
    rng = ctx.rng("customers")
    n = ctx.n_customers
    ids = np.arange(1, n + 1, dtype=np.int64)
    city_weights = np.array([c.weight for c in ref.CITIES])
    city_idx = rng.choice(len(ref.CITIES), size=n, p=city_weights / city_weights.sum())
    age = np.clip(np.round(19 + rng.gamma(3.2, 6.0, n)), 18, 75).astype(np.int64)
    occupation = np.empty(n, dtype=object)
    occupations = np.array(ref.OCCUPATIONS)
    for (lo, hi), probs in _OCC_BY_AGE.items():
        mask = (age >= lo) & (age < hi)
        occupation[mask] = pick(rng, occupations, int(mask.sum()), probs)
    male = rng.random(n) < 0.51
    edu = np.empty(n, dtype=object)
    for occ, probs in _EDU_BY_OCC.items():
        mask = occupation == occ
        edu[mask] = pick(rng, np.array(ref.EDUCATIONS), int(mask.sum()), probs)
    city_factor = np.array([c.income_factor for c in ref.CITIES])[city_idx]
    age_curve = np.exp(-(((age - 45) / 22.0) ** 2)) * 0.45 + 0.75
    edu_factor = _by_key(
        edu,
        {
            "below_high_school": 0.75,
            "high_school": 0.88,
            "college": 1.0,
            "bachelor": 1.18,
            "postgraduate": 1.45,
        },
    )
    median = (
        _by_key(occupation, _INCOME_MEDIAN_YUAN)
        * city_factor
        * np.where(np.isin(occupation, ["student", "retired"]), 1.0, age_curve * edu_factor)
    )
    sigma = _by_key(occupation, _INCOME_SIGMA)
    income_yuan = np.round(median * np.exp(rng.normal(0, 1, n) * sigma) / 10) * 10
    income_fen = (np.maximum(income_yuan, 800) * 100).astype(np.int64)
    pf_prob = _by_key(
        occupation,
        {
            "civil_servant": 0.98,
            "company_employee": 0.72,
            "freelancer": 0.08,
            "self_employed": 0.10,
            "student": 0.0,
            "retired": 0.0,
        },
    )
    has_pf = rng.random(n) < pf_prob
    pf_monthly = np.where(has_pf, np.minimum(income_fen * 0.24, 1_000_000), 0).astype(np.int64)
    owns_home = rng.random(n) < np.clip(
        0.1 + (age - 25) * 0.02 + np.log(income_fen / 1_000_000) * 0.15, 0.02, 0.92
    )
    married = rng.random(n) < np.clip((age - 22) * 0.06, 0.0, 0.85)
    marital = np.where(married, "married", "single").astype(object)
    marital[(age > 40) & (rng.random(n) < 0.08)] = "divorced"
    marital[(age > 65) & (rng.random(n) < 0.12)] = "widowed"

    # resident IDs: born in the customer's city district (75 %) or elsewhere in China
    district_codes = [np.array([d[0] for d in c.districts]) for c in ref.CITIES]
    region = np.empty(n, dtype="U6")
    for ci, codes in enumerate(district_codes):
        mask = city_idx == ci
        region[mask] = pick(rng, codes, int(mask.sum()))
    migrants = rng.random(n) < 0.25
    region[migrants] = pick(rng, np.array(ref.MIGRANT_REGIONS), int(migrants.sum()))
    birth = ctx.as_of64 - (age * 365.25).astype("m8[D]") - rng.integers(0, 365, n).astype("m8[D]")
    seq = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)
    id_numbers = make_resident_ids(region, birth, seq, male)
    # a clash of region + birth date + sequence is possible: draw a new sequence until unique
    for _ in range(20):
        _, first = np.unique(id_numbers, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        seq[dup] = rng.integers(0, 500, int(dup.sum())) * 2 + np.where(male[dup], 1, 0)
        id_numbers[dup] = make_resident_ids(region[dup], birth[dup], seq[dup], male[dup])
    phones = _phones(rng, n)

    sub_ids = ctx.latent["sub_branch_ids"]
    sub_city = ctx.latent["sub_branch_city"]
    home_branch = np.empty(n, dtype=np.int64)
    for ci in range(len(ref.CITIES)):
        mask = city_idx == ci
        home_branch[mask] = pick(rng, sub_ids[sub_city == ci], int(mask.sum()))
    staff = ctx.tables["staff"]
    cm_mask = np.isin(staff["role"], ["customer_manager", "senior_customer_manager"])
    cm_ids, cm_branch = staff["id"][cm_mask], staff["branch_id"][cm_mask]
    manager = np.full(n, -1, dtype=np.int64)
    for bid in np.unique(home_branch):
        mask = home_branch == bid
        pool = cm_ids[cm_branch == bid]
        manager[mask] = pick(rng, pool, int(mask.sum()))
    assigned = rng.random(n) < 0.85
    manager_col = np.where(assigned, manager, -1).astype(object)
    manager_col[~assigned] = None

    young, senior = age < 35, age >= 55
    source = np.where(
        young,
        pick(rng, ref.CHANNELS, n, [0.20, 0.35, 0.12, 0.10, 0.02, 0.0, 0.14, 0.07]),
        np.where(
            senior,
            pick(rng, ref.CHANNELS, n, [0.05, 0.08, 0.70, 0.05, 0.05, 0.0, 0.02, 0.05]),
            pick(rng, ref.CHANNELS, n, [0.15, 0.25, 0.35, 0.12, 0.03, 0.0, 0.05, 0.05]),
        ),
    ).astype(object)
    preferred = np.where(
        young,
        pick(rng, ["mobile", "online", "wechat", "branch"], n, [0.5, 0.2, 0.2, 0.1]),
        np.where(
            senior,
            pick(rng, ["branch", "call_center", "mobile", "sms"], n, [0.65, 0.2, 0.1, 0.05]),
            pick(
                rng,
                ["mobile", "branch", "online", "call_center", "wechat"],
                n,
                [0.35, 0.35, 0.1, 0.1, 0.1],
            ),
        ),
    ).astype(object)
    consent = rng.random(n) < np.where(young, 0.66, 0.76)
    # customers since up to nine years ago, but never before their eighteenth birthday
    adult_on = birth + np.timedelta64(6576, "D")  # 18 × 365.25 + 1 days
    since = np.minimum(
        np.maximum(ctx.as_of64 - rng.integers(30, 365 * 9, n).astype("m8[D]"), adult_on),
        ctx.as_of64,
    )
    opt_out = consent & (rng.random(n) < 0.04)
    opt_out_day = since + ((ctx.as_of64 - since).astype(np.int64) * rng.random(n)).astype("m8[D]")
    opted_out_at = np.where(
        opt_out, local_to_utc(opt_out_day, rng.uniform(8, 21, n)), np.datetime64("NaT", "us")
    )
    blacklisted = rng.random(n) < 0.003

    employer_kind = np.full(n, None, dtype=object)
    employer_kind[occupation == "civil_servant"] = "government"
    employed = occupation == "company_employee"
    employer_kind[employed] = pick(
        rng,
        ["state_owned", "private", "foreign", "listed"],
        int(employed.sum()),
        [0.25, 0.55, 0.08, 0.12],
    )
    cipher = ctx.cipher
    ctx.add(
        "customers",
        {
            "id": ids,
            "customer_no": np.char.add("C", zfill(ids.astype("U10"), 10)).astype(object),
            "name": _names(rng, male),
            "id_number_enc": cipher.encrypt_many(id_numbers, "id_number"),
            "id_number_hash": cipher.blind_index_many(id_numbers, "id_number"),
            "phone_enc": cipher.encrypt_many(phones, "phone"),
            "phone_hash": cipher.blind_index_many(phones, "phone"),
            "birth_date": birth,
            "gender": np.where(male, "M", "F").astype(object),
            "occupation": occupation,
            "employer_kind": employer_kind,
            "education": edu,
            "marital_status": marital,
            "monthly_income_fen": income_fen,
            "has_provident_fund": has_pf,
            "provident_fund_monthly_fen": nullable(has_pf, pf_monthly),
            "owns_home": owns_home,
            "province": np.array([c.province for c in ref.CITIES], dtype=object)[city_idx],
            "city": np.array([c.name for c in ref.CITIES], dtype=object)[city_idx],
            "home_branch_id": home_branch,
            "manager_id": manager_col,
            "source_channel": source,
            "preferred_channel": preferred,
            "marketing_consent": consent & ~opt_out,
            "opted_out_at": opted_out_at,
            "is_blacklisted": blacklisted,
            "since": since,
        },
    )
    ctx.latent["customer_age"] = age
    ctx.latent["customer_city_idx"] = city_idx
    _bureau_and_cards(ctx, rng, income_fen, age, occupation, owns_home)
    _consents_links_assignments(ctx, rng, consent, opt_out, opt_out_day, source, manager_col, since)


def _bureau_and_cards(
    ctx: DemoContext,
    rng: np.random.Generator,
    income_fen: np.ndarray[Any, Any],
    age: np.ndarray[Any, Any],
    occupation: np.ndarray[Any, Any],
    owns_home: np.ndarray[Any, Any],
) -> None:
    n = len(age)
    ids = ctx.tables["customers"]["id"]
    # a latent credit behaviour: riskier people miss payments, shop for credit and max their cards
    behaviour = rng.normal(0, 1, n) + _by_key(
        occupation, {"freelancer": 0.3, "self_employed": 0.2, "student": 0.3, "civil_servant": -0.4}
    )
    history = np.clip((age - 18) * 12 * rng.uniform(0.2, 1.0, n), 0, 480).astype(np.int64)
    open_accounts = rng.poisson(1.2 + np.log1p(income_fen / 1_000_000)).astype(np.int64)
    mortgage = owns_home & (age < 60) & (rng.random(n) < 0.55)
    debt = (
        np.where(mortgage, rng.uniform(300_000, 2_500_000, n) * 100, 0)
        + open_accounts * rng.uniform(0, 60_000, n) * 100
    )
    debt_payment = np.where(mortgage, debt * 0.0055, debt * 0.03).astype(np.int64)
    delinquent = rng.poisson(np.exp(behaviour - 2.2)).astype(np.int64)
    max_dpd = np.where(
        delinquent > 0,
        pick(rng, [5, 15, 25, 45, 75, 120], n, [0.3, 0.25, 0.15, 0.15, 0.1, 0.05]),
        0,
    )
    inquiries = rng.poisson(np.exp(0.3 * behaviour - 0.2)).astype(np.int64)
    current_overdue = (delinquent > 0) & (rng.random(n) < 0.15)
    score = np.clip(
        np.round(720 - 60 * behaviour - 25 * delinquent + history / 12 + rng.normal(0, 20, n)),
        350,
        950,
    )
    util = np.clip(0.25 + 0.18 * behaviour + rng.normal(0, 0.15, n), 0.0, 1.0)
    ctx.add(
        "bureau_reports",
        {
            "id": ids.copy(),
            "customer_id": ids,
            "as_of": ctx.as_of64 - rng.integers(0, 60, n).astype("m8[D]"),
            "bureau_score": score.astype(np.int64),
            "credit_history_months": history,
            "open_accounts": open_accounts,
            "total_debt_fen": debt.astype(np.int64),
            "monthly_debt_payment_fen": debt_payment,
            "delinquent_accounts": delinquent,
            "max_dpd_24m": max_dpd.astype(np.int64),
            "current_overdue": current_overdue,
            "inquiries_6m": inquiries,
        },
    )
    month_end = (np.datetime64(ctx.as_of, "M")).astype("M8[D]") - np.timedelta64(1, "D")
    deposit = (income_fen * rng.lognormal(0.8, 1.0, n)).astype(np.int64)
    has_card = rng.random(n) < np.where(occupation == "student", 0.35, 0.7)
    limit = np.where(
        has_card, np.round(income_fen * rng.uniform(1.5, 4.0, n) / 100_000) * 100_000, 0
    ).astype(np.int64)
    ctx.add(
        "customer_financials",
        {
            "id": ids.copy(),
            "customer_id": ids,
            "as_of": np.full(n, month_end),
            "deposit_balance_fen": deposit,
            "avg_deposit_6m_fen": (deposit * rng.uniform(0.8, 1.2, n)).astype(np.int64),
            "wealth_balance_fen": np.where(
                rng.random(n) < 0.25, deposit * rng.uniform(0.5, 6.0, n), 0
            ).astype(np.int64),
            "salary_account": np.isin(occupation, ["civil_servant", "company_employee"])
            & (rng.random(n) < 0.45),
            "card_limit_fen": limit,
            "card_utilisation": np.where(has_card, np.round(util, 4), 0.0),
            "card_spend_monthly_fen": (limit * util * rng.uniform(0.3, 0.9, n)).astype(np.int64),
            "card_late_payments_12m": np.where(
                has_card, rng.poisson(np.exp(behaviour - 1.8)), 0
            ).astype(np.int64),
        },
    )
    ctx.latent["card_utilisation"] = np.where(has_card, util, 0.0)


def _consents_links_assignments(
    ctx: DemoContext,
    rng: np.random.Generator,
    consent: np.ndarray[Any, Any],
    opt_out: np.ndarray[Any, Any],
    opt_out_day: np.ndarray[Any, Any],
    source: np.ndarray[Any, Any],
    manager: np.ndarray[Any, Any],
    since: np.ndarray[Any, Any],
) -> None:
    ids = ctx.tables["customers"]["id"]
    n = len(ids)
    at = local_to_utc(since, rng.uniform(9, 18, n))
    # data processing + credit inquiry for everyone; marketing as granted; withdrawals for opt-outs
    cid = np.concatenate([ids, ids, ids[consent], ids[opt_out]])
    kind = np.concatenate(
        [
            np.full(n, "data_processing"),
            np.full(n, "credit_inquiry"),
            np.full(int(consent.sum()), "marketing"),
            np.full(int(opt_out.sum()), "marketing"),
        ]
    )
    granted = np.concatenate(
        [np.ones(2 * n + int(consent.sum()), dtype=bool), np.zeros(int(opt_out.sum()), dtype=bool)]
    )
    when = np.concatenate(
        [
            at,
            at,
            at[consent],
            local_to_utc(opt_out_day[opt_out], rng.uniform(8, 21, int(opt_out.sum()))),
        ]
    )
    channel = np.concatenate(
        [
            source,
            source,
            source[consent],
            pick(rng, ["mobile", "call_center", "branch", "sms"], int(opt_out.sum())),
        ]
    )
    channel = np.where(channel == "referral", "branch", channel)
    ctx.add(
        "consents",
        {
            "id": np.arange(1, len(cid) + 1),
            "customer_id": cid,
            "kind": kind.astype(object),
            "granted": granted,
            "at": when,
            "channel": channel.astype(object),
            "text_version": np.full(len(cid), "v1", dtype=object),
        },
    )
    second = rng.random(n) < 0.3
    link_cid = np.concatenate([ids, ids[second]])
    link_channel = np.concatenate(
        [source, pick(rng, ["mobile", "online", "wechat"], int(second.sum()))]
    )
    link_at = np.concatenate(
        [at, at[second] + rng.integers(1, 900, int(second.sum())).astype("m8[D]").astype("m8[us]")]
    )
    link_at = np.minimum(
        link_at, local_to_utc(np.full(len(link_at), ctx.as_of64), np.full(len(link_at), 20.0))
    )
    ctx.add(
        "customer_channel_links",
        {
            "id": np.arange(1, len(link_cid) + 1),
            "customer_id": link_cid,
            "channel": link_channel.astype(object),
            "external_ref": np.char.add(
                "X", zfill(np.arange(1, len(link_cid) + 1).astype("U10"), 10)
            ).astype(object),
            "first_seen_at": link_at,
        },
    )
    has_mgr = np.array([m is not None for m in manager])
    staff = ctx.tables["staff"]
    hired = staff["hired_on"][np.asarray(manager[has_mgr], dtype=np.int64) - 1]
    start = np.maximum(since[has_mgr], hired)
    reassigned = rng.random(int(has_mgr.sum())) < 0.12
    cm_ids = staff["id"][np.isin(staff["role"], ["customer_manager", "senior_customer_manager"])]
    prev_mgr = pick(rng, cm_ids, int(reassigned.sum()))
    prev_start = start[reassigned] - rng.integers(200, 900, int(reassigned.sum())).astype("m8[D]")
    a_cid = np.concatenate([ids[has_mgr][reassigned], ids[has_mgr]])
    a_staff = np.concatenate([prev_mgr, np.asarray(manager[has_mgr], dtype=np.int64)])
    a_start = np.concatenate([prev_start, start])
    a_end = np.concatenate(
        [start[reassigned], np.full(int(has_mgr.sum()), np.datetime64("NaT", "D"))]
    )
    a_reason = np.concatenate(
        [np.full(int(reassigned.sum()), "客户经理岗位调整"), np.full(int(has_mgr.sum()), "")]
    ).astype(object)
    a_reason[a_reason == ""] = None
    ctx.add(
        "portfolio_assignments",
        {
            "id": np.arange(1, len(a_cid) + 1),
            "customer_id": a_cid,
            "staff_id": a_staff,
            "start_on": a_start,
            "end_on": a_end,
            "reason": a_reason,
        },
    )


_ = date
