"""Demo step: the bank's organisation (head office, a branch per city, sub-branches by customer
weight), its org units (HQ marketing groups, the risk team, a sales team per sub-branch) and staff
with line managers, approval limits and a latent quality."""

from __future__ import annotations

import numpy as np

from loanpilot.demo.context import DemoContext, pick
from loanpilot.demo.geography import CITIES
from loanpilot.demo.identities import person_names
from loanpilot.demo.reference import BANK_NAME_ZH, YUAN

SUB_BRANCH_SUFFIXES = ("", "城东", "城西", "科技城", "中心", "开发区", "新城", "北")


def organisation(ctx: DemoContext) -> None:
    """Head office, one branch per city, sub-branches by customer weight; org units; staff."""
    rng = ctx.rng("organisation")
    codes: list[str] = ["HQ0001"]
    names: list[str] = [f"{BANK_NAME_ZH}总行"]
    levels: list[str] = ["head_office"]
    parents: list[int | None] = [None]
    provinces: list[str] = ["浙江"]
    cities: list[str] = ["杭州"]
    districts: list[str | None] = ["上城区"]
    tiers: list[int] = [1]
    sub_branch_city: list[int] = []
    scale = max(ctx.n_customers / 20_000, 0.25)
    for ci, city in enumerate(CITIES):
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
            "name": person_names(rng, male),
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
