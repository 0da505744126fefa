"""Demo step: the security behind the loans — collateral for secured products (房产, 车辆, 存单) and
personal guarantors for part of the business loans.

Collateral is appraised shortly before disbursement at a value that keeps the loan-to-value ratio
within the product's maximum; guarantors are people of their own, with valid resident IDs and mobile
numbers that are encrypted like a customer's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo.context import DemoContext, pick, utc_to_local_date
from loanpilot.demo.geography import CITIES, MIGRANT_REGIONS
from loanpilot.demo.identities import mobile_numbers, person_names
from loanpilot.kit.ids import make_resident_ids

#: Share of loans of each business subtype that carry a personal guarantee.
GUARANTEED_SHARE = {"credit": 0.45, "operating": 0.25, "secured": 0.15}
RELATIONS = ("配偶", "父母", "子女", "兄弟姐妹", "朋友", "合伙人", "关联企业法人")
ESTATES = ("花园", "公寓", "家园", "新村", "华庭", "苑", "府", "城")
CAR_BRANDS = ("大众", "丰田", "比亚迪", "吉利", "本田", "别克", "特斯拉", "理想", "宝马", "奔驰")


def collateral_and_guarantors(ctx: DemoContext) -> None:
    """Add the collateral of every secured loan and the guarantors of some business loans."""
    rng = ctx.rng("security")
    loans = ctx.tables["loans"]
    products = ctx.tables["loan_products"]
    pidx = loans["product_id"] - 1
    _collateral(ctx, rng, loans, products, pidx)
    _guarantors(ctx, rng, loans, products, pidx)


def _collateral(
    ctx: DemoContext, rng: np.random.Generator, loans: Any, products: Any, pidx: Any
) -> None:
    kind = np.asarray(products["collateral_required"], dtype=object)[pidx]
    secured = np.flatnonzero(np.isin(kind, ["property", "vehicle", "deposit"]))
    # the provident-fund part of a combination loan shares the commercial part's property
    secured = secured[np.array([loans["parent_loan_id"][i] is None for i in secured], dtype=bool)]
    m = len(secured)
    if m == 0:
        return
    kinds = kind[secured]
    max_ltv = np.array(
        [
            0.7 if v is None else float(v)
            for v in np.asarray(products["max_ltv"], dtype=object)[pidx[secured]]
        ]
    )
    ltv = max_ltv * rng.uniform(0.55, 1.0, m)
    principal = loans["principal_fen"][secured]
    # a combination loan's property secures both parts
    child_of = {p: i for i, p in enumerate(loans["parent_loan_id"]) if p is not None}
    principal = principal + np.array(
        [
            loans["principal_fen"][child_of[int(i) + 1]] if int(i) + 1 in child_of else 0
            for i in secured
        ]
    )
    value = np.ceil(principal / ltv / 10_000) * 10_000  # rounded up: the LTV stays within the cap
    # appraised between the application and the disbursement
    apps = ctx.tables["applications"]
    applied_on = utc_to_local_date(apps["submitted_at"][loans["application_id"][secured] - 1])
    city_of = np.asarray(ctx.tables["customers"]["city"], dtype=object)[
        loans["customer_id"][secured] - 1
    ]
    district = {c.name: [d[1] for d in c.districts] for c in CITIES}
    area = rng.integers(60, 180, m)
    description = np.array(
        [
            f"{city}{pick(rng, district[city], 1)[0]}{pick(rng, ESTATES, 1)[0]}住宅 {a}㎡"
            if k == "property"
            else f"{pick(rng, CAR_BRANDS, 1)[0]}乘用车（新车）"
            if k == "vehicle"
            else "本行定期存单"
            for k, city, a in zip(kinds, city_of, area, strict=True)
        ],
        dtype=object,
    )
    ctx.add(
        "collaterals",
        {
            "id": np.arange(1, m + 1),
            "loan_id": secured + 1,
            "kind": kinds,
            "description": description,
            "appraised_value_fen": value.astype(np.int64),
            "appraised_on": np.maximum(
                loans["disbursed_on"][secured] - rng.integers(3, 30, m).astype("m8[D]"), applied_on
            ),
            "lien_rank": np.where(rng.random(m) < 0.05, 2, 1),
        },
    )


def _guarantors(
    ctx: DemoContext, rng: np.random.Generator, loans: Any, products: Any, pidx: Any
) -> None:
    subtype = np.asarray(products["subtype"], dtype=object)[pidx]
    share = np.array([GUARANTEED_SHARE.get(str(s), 0.0) for s in subtype])
    chosen = np.flatnonzero(rng.random(len(subtype)) < share)
    m = len(chosen)
    if m == 0:
        return
    male = rng.random(m) < 0.55
    age = rng.integers(25, 65, m)
    birth = ctx.as_of64 - (age * 365.25).astype("m8[D]") - rng.integers(0, 365, m).astype("m8[D]")
    regions = np.array([d[0] for c in CITIES for d in c.districts] + list(MIGRANT_REGIONS))
    region = pick(rng, regions, m)
    seq = rng.integers(0, 500, m) * 2 + np.where(male, 1, 0)
    ids = make_resident_ids(region, birth, seq, male)
    # one person per ID number: redraw any that clash with a customer's or another guarantor's
    taken = set(ctx.tables["customers"]["id_number_hash"])
    for _ in range(20):
        hashes = ctx.cipher.blind_index_many(ids, "id_number")
        seen: set[bytes] = set()
        clash = np.zeros(m, dtype=bool)
        for i, h in enumerate(hashes):
            clash[i] = h in taken or h in seen
            seen.add(h)
        if not clash.any():
            break
        seq[clash] = rng.integers(0, 500, int(clash.sum())) * 2 + np.where(male[clash], 1, 0)
        ids[clash] = make_resident_ids(region[clash], birth[clash], seq[clash], male[clash])
    else:
        raise RuntimeError("could not draw distinct guarantor ID numbers")
    phones = mobile_numbers(rng, m)
    cipher = ctx.cipher
    ctx.add(
        "guarantors",
        {
            "id": np.arange(1, m + 1),
            "loan_id": chosen + 1,
            "name": person_names(rng, male),
            "id_number_enc": cipher.encrypt_many(ids, "id_number"),
            "id_number_hash": hashes,
            "phone_enc": cipher.encrypt_many(phones, "phone"),
            "relation": pick(rng, RELATIONS, m).astype(object),
            "guaranteed_fen": loans["principal_fen"][chosen],
        },
    )
