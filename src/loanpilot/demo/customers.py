"""Demo step: the bank's customers, with valid resident IDs and mobile numbers, incomes by
occupation × age × city, home branches and managers, channels and marketing consent; then their
profiles (``customer_profile``): bureau summaries, deposits and cards, consents, channel identities
and portfolio assignments."""

from __future__ import annotations

import numpy as np

from loanpilot.demo import reference as ref
from loanpilot.demo.context import DemoContext, by_key, local_to_utc, nullable, pick, zfill
from loanpilot.demo.customer_profile import add_bureau_and_cards, add_consents_links_assignments
from loanpilot.demo.geography import CITIES, MIGRANT_REGIONS
from loanpilot.demo.identities import mobile_numbers, person_names
from loanpilot.kit.ids import make_resident_ids

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


def customers(ctx: DemoContext) -> None:
    """Customers with valid IDs and phones, incomes by occupation × age × city, bureau and cards."""
    rng = ctx.rng("customers")
    n = ctx.n_customers
    ids = np.arange(1, n + 1, dtype=np.int64)
    city_weights = np.array([c.weight for c in CITIES])
    city_idx = rng.choice(len(CITIES), size=n, p=city_weights / city_weights.sum())
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
    city_factor = np.array([c.income_factor for c in CITIES])[city_idx]
    age_curve = np.exp(-(((age - 45) / 22.0) ** 2)) * 0.45 + 0.75
    edu_factor = by_key(
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
        by_key(occupation, _INCOME_MEDIAN_YUAN)
        * city_factor
        * np.where(np.isin(occupation, ["student", "retired"]), 1.0, age_curve * edu_factor)
    )
    sigma = by_key(occupation, _INCOME_SIGMA)
    income_yuan = np.round(median * np.exp(rng.normal(0, 1, n) * sigma) / 10) * 10
    income_fen = (np.maximum(income_yuan, 800) * 100).astype(np.int64)
    pf_prob = by_key(
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
    district_codes = [np.array([d[0] for d in c.districts]) for c in CITIES]
    region = np.empty(n, dtype="U6")
    for ci, codes in enumerate(district_codes):
        mask = city_idx == ci
        region[mask] = pick(rng, codes, int(mask.sum()))
    migrants = rng.random(n) < 0.25
    region[migrants] = pick(rng, np.array(MIGRANT_REGIONS), int(migrants.sum()))
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
    phones = mobile_numbers(rng, n)

    sub_ids = ctx.latent["sub_branch_ids"]
    sub_city = ctx.latent["sub_branch_city"]
    home_branch = np.empty(n, dtype=np.int64)
    for ci in range(len(CITIES)):
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
            "name": person_names(rng, male),
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
            "province": np.array([c.province for c in CITIES], dtype=object)[city_idx],
            "city": np.array([c.name for c in CITIES], dtype=object)[city_idx],
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
    add_bureau_and_cards(ctx, rng, income_fen, age, occupation, owns_home)
    add_consents_links_assignments(
        ctx, rng, consent, opt_out, opt_out_day, source, manager_col, since
    )
