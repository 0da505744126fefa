"""Demo steps: applications and decisions, loans with schedules and repayments drawn from the true
default model, month-end delinquency with the five-category classification, collections, manual
overrides and early-warning alerts."""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.analytics.finance import apr_batch, due_dates, schedule_batch
from loanpilot.demo import reference as ref
from loanpilot.demo.context import (
    DemoContext,
    local_to_utc,
    nullable,
    pick,
    utc_to_local_date,
    zfill,
)
from loanpilot.demo.truth import pd12
from loanpilot.risk.rules import FIVE_CLASSES, dpd_bucket_many, five_class_floor_many

NAT_US = np.datetime64("NaT", "us")
NAT_D = np.datetime64("NaT", "D")
HOUR = np.timedelta64(3_600_000_000, "us")
MODEL_VERSION = "legacy-scorecard@2024.1"
POLICY_VERSION = "policy@2024.1"
PENALTY_UPLIFT = 1.5
CUTOFF_APPROVE = 590  # legacy policy: approve at or above
CUTOFF_DECLINE = 560  # decline below; manual review in between  # penalty interest = contract rate × 1.5 on overdue amounts

#: Decline / refer reasons of the demo bank's legacy policy.
REASONS: dict[str, tuple[str, str]] = {
    "R01": ("借款人在本行黑名单中", "Applicant is on the bank's blacklist"),
    "R02": ("征信报告显示当前逾期", "Credit report shows a current delinquency"),
    "R03": ("年龄不符合产品要求", "Age outside the product's limits"),
    "R04": ("月收入低于产品最低要求", "Monthly income below the product minimum"),
    "R05": ("负债收入比超过上限", "Debt-to-income ratio above the limit"),
    "R06": ("职业不符合产品准入要求", "Occupation not eligible for this product"),
    "R07": ("未缴存住房公积金", "No housing provident-fund contributions"),
    "R10": ("信用评分低于审批线", "Credit score below the approval cut-off"),
    "R20": ("信用评分处于人工复核区间", "Credit score in the manual-review band"),
}

_APP_CHANNEL = {
    "sms": "mobile",
    "call_center": "call_center",
    "branch": "branch",
    "mobile": "mobile",
    "online": "online",
    "wechat": "wechat",
    "partner": "partner",
    "referral": "referral",
}


def _product_arrays(ctx: DemoContext) -> dict[str, np.ndarray[Any, Any]]:
    p = ctx.tables["loan_products"]
    specs = ref.PRODUCTS
    return {
        "type": p["product_type"].astype(str),
        "subtype": p["subtype"].astype(str),
        "min": p["min_amount_fen"],
        "max": p["max_amount_fen"],
        "min_term": p["min_term_months"],
        "max_term": p["max_term_months"],
        "basis": p["rate_basis"].astype(str),
        "min_spread": p["min_spread"],
        "max_spread": p["max_spread"],
        "fee": p["monthly_fee_rate"],
        "typical": np.array([s.typical_amount_yuan * 100 for s in specs]),
    }


def _choose_organic_products(
    ctx: DemoContext, rng: np.random.Generator, cust_idx: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    cust = ctx.tables["customers"]
    code = ctx.latent["product_index"]
    n = len(cust_idx)
    age = ctx.latent["customer_age"][cust_idx]
    occ = cust["occupation"][cust_idx]
    pf = cust["has_provident_fund"][cust_idx]
    home = cust["owns_home"][cust_idx]
    income = cust["monthly_income_fen"][cust_idx]
    u = rng.random(n)
    young = pick(rng, ["CL-TRV", "CL-EDU", "CL-GEN", "CL-MED"], n, [0.3, 0.25, 0.35, 0.1])
    middle = pick(
        rng,
        ["CL-RENO", "CL-AUTO", "CL-GEN", "CL-MED", "CL-EDU", "CL-TRV"],
        n,
        [0.25, 0.2, 0.25, 0.1, 0.1, 0.1],
    )
    senior = pick(rng, ["CL-MED", "CL-GEN", "CL-TRV", "CL-RENO"], n, [0.35, 0.3, 0.2, 0.15])
    chosen = np.where(age < 30, young, np.where(age < 55, middle, senior)).astype(object)
    housing_ok = ~home & (age >= 24) & (age <= 48)
    housing = housing_ok & (u < 0.35)
    chosen[housing] = np.where(
        pf[housing],
        pick(rng, ["HL-PF", "HL-COMBO", "HL-COM"], int(housing.sum()), [0.35, 0.35, 0.3]),
        "HL-COM",
    )
    switch = home & pf & (age < 50) & (u < 0.05)
    chosen[switch] = "HL-C2F"
    business = np.isin(occ, ["self_employed", "freelancer"]) & (u > 0.35) & (u < 0.85)
    chosen[business] = np.where(
        occ[business] == "self_employed",
        pick(rng, ["BL-OPR", "BL-CRD", "BL-SEC"], int(business.sum()), [0.4, 0.35, 0.25]),
        "BL-CRD",
    )
    rich = (income > 8_000_000) & (u > 0.9)
    chosen[rich] = "PB-LUX"
    chosen[(occ == "student") & ~np.isin(chosen, ["CL-EDU", "CL-TRV", "CL-GEN"])] = "CL-EDU"
    return np.array([code[c] for c in chosen])


def applications(ctx: DemoContext) -> None:
    """Applications from campaign responders, organic leads and walk-ins; decisions by the legacy
    policy on a noisy estimate of the true PD; stage timestamps up to disbursement."""
    rng = ctx.rng("applications")
    cust = ctx.tables["customers"]
    targets = ctx.tables["campaign_targets"]
    leads = ctx.tables["leads"]
    lead_rows = ctx.latent["lead_target_rows"]
    as_of_end = local_to_utc(np.array([ctx.as_of64]), np.array([24.0]))[0]
    window = int((ctx.as_of64 - ctx.start64).astype(int))

    # 1. campaign responders apply (85 %) a little after responding
    applies = rng.random(len(lead_rows)) < 0.85
    t_rows = lead_rows[applies]
    c_lead = np.flatnonzero(applies) + 1
    c_cust = targets["customer_id"][t_rows] - 1
    c_time = targets["responded_at"][t_rows] + (rng.uniform(0, 72, len(t_rows)) * HOUR).astype(
        "m8[us]"
    )
    c_prod = targets["offer_product_id"][t_rows]
    c_chan = np.array([_APP_CHANNEL[c] for c in targets["channel"][t_rows]], dtype=object)
    c_camp = targets["campaign_id"][t_rows].astype(object)
    # 2. organic leads convert (45 %)
    org_leads = np.arange(len(lead_rows), len(leads["id"]))
    conv = org_leads[rng.random(len(org_leads)) < 0.45]
    o_cust = leads["customer_id"][conv] - 1
    o_time = leads["received_at"][conv] + (rng.uniform(1, 120, len(conv)) * HOUR).astype("m8[us]")
    o_chan = np.array([_APP_CHANNEL[c] for c in leads["source_channel"][conv]], dtype=object)
    # 3. walk-ins and self-service applications without a lead
    n_walk = int(ctx.n_customers * 0.10)
    w_cust = rng.integers(0, ctx.n_customers, n_walk)
    w_day = ctx.start64 + rng.integers(0, window + 1, n_walk).astype("m8[D]")
    w_day = np.maximum(w_day, cust["since"][w_cust])
    w_time = local_to_utc(w_day, rng.uniform(8.5, 21.5, n_walk))
    w_chan = pick(
        rng, ["branch", "mobile", "online", "wechat"], n_walk, [0.45, 0.3, 0.15, 0.1]
    ).astype(object)

    cust_idx = np.concatenate([c_cust, o_cust, w_cust]).astype(np.int64)
    n = len(cust_idx)
    product_id = np.concatenate(
        [
            c_prod,
            _choose_organic_products(ctx, rng, np.concatenate([o_cust, w_cust]).astype(np.int64)),
        ]
    )
    channel = np.concatenate([c_chan, o_chan, w_chan])
    submitted = np.concatenate([c_time, o_time, w_time])
    lead_id = np.concatenate([c_lead, conv + 1, np.full(n_walk, 0)]).astype(object)
    lead_id[lead_id == 0] = None
    campaign_id = np.concatenate([c_camp, np.full(len(conv) + n_walk, None, dtype=object)])
    partner_id = np.concatenate(
        [
            np.full(len(t_rows), None, dtype=object),
            leads["partner_id"][conv],
            np.full(n_walk, None, dtype=object),
        ]
    )
    # keep applications submitted inside the window and before the end of the as-of day
    keep = submitted <= as_of_end
    cust_idx, product_id, channel, submitted = (
        cust_idx[keep],
        product_id[keep],
        channel[keep],
        submitted[keep],
    )
    lead_id, campaign_id, partner_id = lead_id[keep], campaign_id[keep], partner_id[keep]
    target_of_app = np.concatenate([t_rows, np.full(len(conv) + n_walk, -1)])[keep]
    order = np.argsort(submitted, kind="stable")
    cust_idx, product_id, channel, submitted = (
        cust_idx[order],
        product_id[order],
        channel[order],
        submitted[order],
    )
    lead_id, campaign_id, partner_id, target_of_app = (
        lead_id[order],
        campaign_id[order],
        partner_id[order],
        target_of_app[order],
    )
    n = len(cust_idx)

    prod = _product_arrays(ctx)
    pidx = product_id - 1
    ptype = prod["type"][pidx]
    income = cust["monthly_income_fen"][cust_idx]
    age = ctx.latent["customer_age"][cust_idx]
    occ = cust["occupation"][cust_idx]
    typical_terms = [np.array(spec.typical_terms) for spec in ref.PRODUCTS]
    term = np.empty(n, dtype=np.int64)
    draw = rng.integers(0, 3, n)
    for p in np.unique(pidx):
        mask = pidx == p
        options = typical_terms[p]
        term[mask] = options[draw[mask] % len(options)]
    max_by_age = np.maximum((70 - age) * 12, prod["min_term"][pidx])
    term = np.minimum(term, max_by_age).astype(np.int64)
    # amount: what the applicant wants, held near what their income can carry (some ask for more)
    bureau = ctx.tables["bureau_reports"]
    debt_payment = bureau["monthly_debt_payment_fen"][cust_idx]
    scale = np.clip((income / 1_500_000.0) ** 0.5, 0.3, 3.0)
    wanted = prod["typical"][pidx] * scale * np.exp(rng.normal(0, 0.45, n))
    annuity = 0.045 / 12 / (1 - (1 + 0.045 / 12) ** (-term.astype(float)))
    affordable = (
        np.maximum(0.5 * income - debt_payment, 0.1 * income) / annuity * rng.uniform(0.6, 1.35, n)
    )
    amount = np.minimum(wanted, affordable)
    amount = np.clip(
        np.round(amount / 100_000) * 100_000, prod["min"][pidx], prod["max"][pidx]
    ).astype(np.int64)
    methods = ctx.tables["loan_products"]["repayment_methods"]
    method = np.empty(n, dtype=object)
    first = rng.random(n) < 0.75
    for p in np.unique(pidx):
        mask = pidx == p
        opts = np.array(methods[p])
        method[mask] = np.where(first[mask], opts[0], pick(rng, opts, int(mask.sum())))
    method[(method == "bullet") & (term > 12)] = "equal_instalment"

    # affordability and the true PD
    instalment = amount * annuity
    dti = (debt_payment + instalment) / np.maximum(income, 1)
    true_pd = pd12(
        ctx.truth.default,
        monthly_income_fen=income,
        dti=dti,
        occupation=occ,
        delinquent_accounts=bureau["delinquent_accounts"][cust_idx],
        max_dpd_24m=bureau["max_dpd_24m"][cust_idx],
        inquiries_6m=bureau["inquiries_6m"][cust_idx],
        age=age,
        card_utilisation=ctx.latent["card_utilisation"][cust_idx],
        product_type=ptype,
    )
    est_logit = np.log(true_pd / (1 - true_pd)) + rng.normal(0, 0.55, n)
    est_pd = 1 / (1 + np.exp(-est_logit))
    score = np.round(600 + 20 / np.log(2) * (np.log((1 - est_pd) / est_pd) - np.log(50))).astype(
        np.int64
    )
    grade = np.array(["A", "B", "C", "D", "E"], dtype=object)[
        np.digitize(-score, [-660, -620, -590, -560])
    ]

    # legacy policy: hard rules, then score cut-offs
    reasons: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    hard = np.zeros(n, dtype=bool)
    checks = [
        ("R01", cust["is_blacklisted"][cust_idx], None),
        ("R02", bureau["current_overdue"][cust_idx], None),
        ("R03", (age < 18) | (age + term / 12 > 70), age),
        ("R04", (income < 300_000) & (ptype != "consumer") | (income < 200_000), income / 100),
        ("R05", dti > 0.6, np.round(dti, 3)),
        ("R06", (ptype == "business") & ~np.isin(occ, ["self_employed", "freelancer"]), None),
        (
            "R07",
            np.isin(prod["subtype"][pidx], ["provident_fund", "combination", "commercial_to_fund"])
            & ~cust["has_provident_fund"][cust_idx],
            None,
        ),
    ]
    for code, mask, value in checks:
        for i in np.flatnonzero(mask):
            zh, en = REASONS[code]
            item: dict[str, Any] = {"code": code, "zh": zh, "en": en}
            if value is not None:
                item["value"] = float(value[i])
            reasons[i].append(item)
        hard |= mask
    refer = ~hard & (score >= CUTOFF_DECLINE) & (score < CUTOFF_APPROVE)
    decline = hard | (score < CUTOFF_DECLINE)
    for i in np.flatnonzero(~hard & (score < CUTOFF_DECLINE)):
        reasons[i].append(
            {
                "code": "R10",
                "zh": REASONS["R10"][0],
                "en": REASONS["R10"][1],
                "value": int(score[i]),
            }
        )
    for i in np.flatnonzero(refer):
        reasons[i].append(
            {
                "code": "R20",
                "zh": REASONS["R20"][0],
                "en": REASONS["R20"][1],
                "value": int(score[i]),
            }
        )
    # manual review approves the better half of the referred (officers see more than the score)
    manual_ok = refer & (rng.random(n) < np.clip(1.2 - true_pd * 8, 0.2, 0.9))
    approved = (~decline & ~refer) | manual_ok

    # stage timestamps

    def h(lo: float, hi: float) -> np.ndarray[Any, Any]:
        """A random wait of lo..hi hours for every application."""
        return (rng.uniform(lo, hi, n) * HOUR).astype("m8[us]")

    review = submitted + h(0.2, 8)
    is_housing, is_business = ptype == "housing", ptype == "business"
    decide_wait = np.where(
        is_housing,
        rng.uniform(24, 200, n),
        np.where(is_business, rng.uniform(4, 72, n), rng.uniform(0.05, 20, n)),
    )
    decide_wait += np.where(refer, rng.uniform(8, 48, n), 0)
    decided = review + (decide_wait * HOUR).astype("m8[us]")
    accepted_flag = approved & (rng.random(n) < 0.88)
    accepted = decided + h(0.5, 72)
    signed_flag = accepted_flag & (rng.random(n) < 0.97)
    signed = accepted + h(1, 96)
    disb_wait = np.where(
        is_housing,
        rng.uniform(72, 600, n),
        np.where(is_business, rng.uniform(4, 72, n), rng.uniform(0.5, 24, n)),
    )
    disbursed = signed + (disb_wait * HOUR).astype("m8[us]")
    withdrawn_flag = approved & ~accepted_flag
    withdrawn = decided + h(24, 240)
    drafts = rng.random(n) < 0.015

    def upto(flag: np.ndarray[Any, Any], when: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.where(flag & ~drafts & (when <= as_of_end), when, NAT_US)

    review_at = upto(np.ones(n, dtype=bool), review)
    decided_at = upto(np.ones(n, dtype=bool), decided)
    accepted_at = upto(accepted_flag, accepted)
    signed_at = upto(signed_flag, signed)
    disbursed_at = upto(signed_flag, disbursed)
    withdrawn_at = upto(withdrawn_flag, withdrawn)
    status = np.full(n, "submitted", dtype=object)
    status[~np.isnat(review_at)] = "under_review"
    has_decision = ~np.isnat(decided_at)
    status[has_decision & approved] = "approved"
    status[has_decision & decline] = "declined"
    status[has_decision & refer & ~manual_ok] = "declined"
    status[~np.isnat(accepted_at)] = "offer_accepted"
    status[~np.isnat(signed_at)] = "contract_signed"
    status[~np.isnat(disbursed_at)] = "disbursed"
    status[~np.isnat(withdrawn_at)] = "withdrawn"
    status[drafts] = "draft"
    submitted_at = np.where(drafts, NAT_US, submitted)

    ids = np.arange(1, n + 1)
    day = utc_to_local_date(submitted).astype("U10")
    app_no = np.char.add(
        np.char.add("A", np.char.replace(day, "-", "")), zfill(ids.astype("U7"), 7)
    )
    manager = cust["manager_id"][cust_idx]
    purposes = np.array([s.purpose for s in ref.PRODUCTS], dtype=object)[pidx]
    ctx.add(
        "applications",
        {
            "id": ids,
            "application_no": app_no.astype(object),
            "idempotency_key": np.full(n, None, dtype=object),
            "query_code_hash": np.full(n, None, dtype=object),
            "customer_id": cust_idx + 1,
            "product_id": product_id,
            "channel": channel,
            "branch_id": cust["home_branch_id"][cust_idx],
            "manager_id": manager,
            "lead_id": lead_id,
            "campaign_id": campaign_id,
            "partner_id": partner_id,
            "amount_fen": amount,
            "term_months": term,
            "repayment_method": method,
            "purpose": purposes,
            "stated_monthly_income_fen": income,
            "status": status,
            "submitted_at": submitted_at,
            "review_started_at": review_at,
            "decided_at": decided_at,
            "offer_accepted_at": accepted_at,
            "signed_at": signed_at,
            "disbursed_at": disbursed_at,
            "withdrawn_at": withdrawn_at,
        },
    )
    # link responders' target rows and leads to their applications
    linked = target_of_app >= 0
    app_col = np.array(targets["application_id"], dtype=object)
    app_col[target_of_app[linked]] = ids[linked]
    targets["application_id"] = app_col
    lead_status = np.array(leads["status"], dtype=object)
    has_lead = np.array([x is not None for x in lead_id])
    lead_status[np.asarray(lead_id[has_lead], dtype=np.int64) - 1] = "converted"
    leads["status"] = lead_status

    # pricing at decision
    d_day = utc_to_local_date(np.where(np.isnat(decided_at), submitted, decided_at))
    lpr_dates = np.array([r[0] for r in ref.LPR_HISTORY], dtype="M8[D]")
    k = np.clip(np.searchsorted(lpr_dates, d_day, side="right") - 1, 0, len(lpr_dates) - 1)
    lpr1 = np.array([float(ref.pct(r[1])) for r in ref.LPR_HISTORY])[k]
    lpr5 = np.array([float(ref.pct(r[2])) for r in ref.LPR_HISTORY])[k]
    pf_dates = np.array([r[0] for r in ref.PROVIDENT_FUND_HISTORY], dtype="M8[D]")
    kf = np.clip(np.searchsorted(pf_dates, d_day, side="right") - 1, 0, len(pf_dates) - 1)
    pf_rate = np.where(
        term > 60,
        np.array([float(ref.pct(r[2])) for r in ref.PROVIDENT_FUND_HISTORY])[kf],
        np.array([float(ref.pct(r[1])) for r in ref.PROVIDENT_FUND_HISTORY])[kf],
    )
    # LPR-priced loans take the LPR of their own tenor: over five years the 5-year LPR
    basis = prod["basis"][pidx]
    lpr_priced = np.isin(basis, ["lpr_1y", "lpr_5y"])
    basis = np.where(lpr_priced, np.where(term > 60, "lpr_5y", "lpr_1y"), basis)
    base = np.where(
        basis == "lpr_5y",
        lpr5,
        np.where(basis == "lpr_1y", lpr1, np.where(basis == "provident_fund", pf_rate, 0.0)),
    )
    position = np.select(
        [grade == "A", grade == "B", grade == "C", grade == "D"], [0.0, 0.25, 0.5, 0.75], 1.0
    )
    spread = np.round(
        prod["min_spread"][pidx] + (prod["max_spread"][pidx] - prod["min_spread"][pidx]) * position,
        4,
    )
    rate = np.round(base + spread, 6)
    approved_amount = np.where(
        grade == "D", np.round(amount * 0.8 / 100_000) * 100_000, amount
    ).astype(np.int64)
    approved_amount = np.maximum(approved_amount, prod["min"][pidx])

    decided_rows = np.flatnonzero(has_decision)
    staff = ctx.tables["staff"]
    approvers = staff["id"][staff["role"] == "approver"]
    outcome = np.where(
        approved,
        "approve",
        np.where(refer & ~manual_ok, "decline", np.where(decline, "decline", "refer")),
    )
    outcome = np.where(refer & manual_ok, "approve", outcome)
    ctx.add(
        "decisions",
        {
            "id": np.arange(1, len(decided_rows) + 1),
            "application_id": ids[decided_rows],
            "outcome": outcome[decided_rows].astype(object),
            "score": score[decided_rows],
            "pd": np.round(est_pd[decided_rows], 8),
            "grade": grade[decided_rows],
            "reasons": [reasons[i] for i in decided_rows],
            "model_version": np.full(len(decided_rows), MODEL_VERSION, dtype=object),
            "policy_version": np.full(len(decided_rows), POLICY_VERSION, dtype=object),
            "approved_amount_fen": nullable(approved[decided_rows], approved_amount[decided_rows]),
            "approved_rate": nullable(approved[decided_rows], rate[decided_rows]),
            "approved_term_months": nullable(approved[decided_rows], term[decided_rows]),
            "decided_at": decided_at[decided_rows],
            "decided_by_id": nullable(refer[decided_rows], pick(rng, approvers, len(decided_rows))),
        },
    )
    ctx.latent["app"] = {
        "true_pd": true_pd,
        "rate": rate,
        "base": base,
        "spread": spread,
        "basis": basis,
        "approved_amount": approved_amount,
        "ptype": ptype,
        "grade": grade,
    }


def loans(ctx: DemoContext) -> None:
    """Disbursed applications become loans (a combination loan becomes two sub-loans), with
    schedules, repayments drawn from the true PD, and month-end delinquency snapshots."""
    rng = ctx.rng("loans")
    apps = ctx.tables["applications"]
    lat = ctx.latent["app"]
    prod = _product_arrays(ctx)
    rows = np.flatnonzero(~np.isnat(apps["disbursed_at"]))
    combo = prod["subtype"][apps["product_id"][rows] - 1] == "combination"
    # combination loans: commercial part first, provident-fund part (≤ ¥1.2 m) right after it
    src = np.repeat(rows, np.where(combo, 2, 1))
    part = np.zeros(len(src), dtype=np.int64)
    part[1:][src[1:] == src[:-1]] = 1  # 1 = provident-fund part
    n = len(src)
    ids = np.arange(1, n + 1)
    total = lat["approved_amount"][src]
    is_combo = np.repeat(combo, np.where(combo, 2, 1))
    pf_amount = np.minimum(np.round(total * 0.5 / 100_000) * 100_000, 120_000_000).astype(np.int64)
    principal = np.where(is_combo, np.where(part == 1, pf_amount, total - pf_amount), total).astype(
        np.int64
    )
    term = apps["term_months"][src]
    disbursed_on = utc_to_local_date(apps["disbursed_at"][src])
    d_day = utc_to_local_date(apps["decided_at"][src])
    pf_dates = np.array([r[0] for r in ref.PROVIDENT_FUND_HISTORY], dtype="M8[D]")
    kf = np.clip(np.searchsorted(pf_dates, d_day, side="right") - 1, 0, len(pf_dates) - 1)
    pf_rate = np.where(
        term > 60,
        np.array([float(ref.pct(r[2])) for r in ref.PROVIDENT_FUND_HISTORY])[kf],
        np.array([float(ref.pct(r[1])) for r in ref.PROVIDENT_FUND_HISTORY])[kf],
    )
    basis = np.where(part == 1, "provident_fund", lat["basis"][src])
    base = np.where(part == 1, pf_rate, lat["base"][src])
    spread = np.where(part == 1, 0.0, lat["spread"][src])
    rate = np.round(base + spread, 6)
    pidx = apps["product_id"][src] - 1
    fee = np.where(part == 1, 0.0, prod["fee"][pidx])
    method = apps["repayment_method"][src].astype(str)
    sched = schedule_batch(principal, rate, term, method, fee)
    apr = np.round(apr_batch(sched), 6)
    li = sched.loan_index
    due = due_dates(disbursed_on[li], sched.month)
    n_rows = len(li)

    # behaviour: default period D (first missed), cure, full prepayment period E
    true_pd = lat["true_pd"][src]
    hazard = 1 - (1 - true_pd) ** (1 / 12)
    default_at = rng.geometric(np.clip(hazard, 1e-6, 1.0))
    periods = np.bincount(li, minlength=n)
    elapsed = np.bincount(li, weights=due <= ctx.as_of64, minlength=n).astype(np.int64)
    defaults = default_at <= elapsed  # the first missed instalment has fallen due
    cure = defaults & (rng.random(n) < ctx.truth.default.cure_share)
    cure_k = rng.integers(1, 3, n)
    ptype = prod["type"][pidx]
    prepay_q = np.select([ptype == "housing", ptype == "business"], [0.004, 0.01], 0.015)
    prepay_at = rng.geometric(prepay_q)
    prepays = (prepay_at < np.where(defaults & ~cure, default_at, periods + 1)) & (
        prepay_at < periods
    )
    period = sched.period
    d_row, e_row = default_at[li], prepay_at[li]
    # ordinary late payments: a few days (some of them failed debits, i.e. technical delays), and
    # occasional lapses of one to six weeks by otherwise good payers
    small = rng.random(n_rows) < 0.08
    lapse = rng.random(n_rows) < 0.012 + 3.0 * hazard[li]
    late_days = np.where(
        lapse, rng.integers(8, 45, n_rows), np.where(small, rng.integers(1, 6, n_rows), 0)
    )
    technical_row = small & ~lapse & (rng.random(n_rows) < 0.3)
    pay_date = due + late_days.astype("m8[D]")
    missed = defaults[li] & (period >= d_row)
    cured_rows = cure[li] & (period >= d_row) & (period <= d_row + cure_k[li])
    cure_day = due_dates(disbursed_on, np.minimum(default_at + cure_k, periods)) + rng.integers(
        0, 6, n
    ).astype("m8[D]")
    pay_date = np.where(missed & ~cure[li], NAT_D, pay_date)
    pay_date = np.where(cured_rows, cure_day[li], pay_date)
    prepay_date = due_dates(disbursed_on, np.minimum(prepay_at, periods)) - rng.integers(
        0, 20, n
    ).astype("m8[D]")
    prepaid_row = prepays[li] & (period > e_row)
    pay_date = np.where(prepaid_row, prepay_date[li], pay_date)
    paid = ~np.isnat(pay_date) & (pay_date <= ctx.as_of64)
    days_late = np.where(paid, (pay_date - due).astype(np.int64), 0)
    rate_row = rate[li]
    penalty = np.where(
        paid & (days_late > 0) & ~prepaid_row,
        np.floor(
            (sched.principal_fen + sched.interest_fen) * rate_row * PENALTY_UPLIFT / 360 * days_late
            + 0.5
        ),
        0,
    ).astype(np.int64)
    paid_principal = np.where(paid, sched.principal_fen, 0)
    paid_interest = np.where(paid & ~prepaid_row, sched.interest_fen, 0)
    paid_fee = np.where(paid & ~prepaid_row, sched.fee_fen, 0)

    # state at as-of
    outstanding = principal - np.bincount(li, weights=paid_principal, minlength=n).astype(np.int64)
    unpaid_due = ~paid & (due <= ctx.as_of64)
    first_unpaid = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_unpaid, li[unpaid_due], due[unpaid_due].astype(np.int64))
    dpd = np.where(
        first_unpaid < np.iinfo(np.int64).max, ctx.as_of64.astype(np.int64) - first_unpaid, 0
    )
    # a loan's arrear is technical when its oldest unpaid instalment is a failed debit
    unpaid_rows = np.flatnonzero(unpaid_due)
    loans_late, first_row = np.unique(li[unpaid_rows], return_index=True)
    technical = np.zeros(n, dtype=bool)
    technical[loans_late] = technical_row[unpaid_rows[first_row]]
    settled = outstanding == 0
    last_pay = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_pay, li[paid], pay_date[paid].astype(np.int64))
    writeoff_day = first_unpaid + rng.integers(361, 420, n)
    written_off = (
        (dpd > 360) & ~cure & (rng.random(n) < 0.7) & (writeoff_day <= ctx.as_of64.astype(np.int64))
    )
    status = np.where(settled, "settled", np.where(written_off, "written_off", "repaying")).astype(
        object
    )
    written_off_fen = np.where(written_off, outstanding, 0)
    five = five_class_floor_many(np.where(written_off, 9999, dpd), technical)
    loan_no = np.char.add("LN", zfill(ids.astype("U10"), 10))
    first_due = due[np.searchsorted(li, np.arange(n))]
    maturity = due[np.searchsorted(li, np.arange(n), side="right") - 1]
    parent = np.where(part == 1, ids - 1, 0).astype(object)
    parent[parent == 0] = None
    ctx.add(
        "loans",
        {
            "id": ids,
            "loan_no": loan_no.astype(object),
            "application_id": apps["id"][src],
            "parent_loan_id": parent,
            "customer_id": apps["customer_id"][src],
            "product_id": apps["product_id"][src],
            "branch_id": apps["branch_id"][src],
            "manager_id": apps["manager_id"][src],
            "channel": apps["channel"][src],
            "campaign_id": apps["campaign_id"][src],
            "principal_fen": principal,
            "rate_basis": basis.astype(object),
            "base_rate": np.round(base, 6),
            "spread": np.round(spread, 6),
            "annual_rate": rate,
            "monthly_fee_rate": fee,
            "apr": apr,
            "term_months": term,
            "repayment_method": method.astype(object),
            "purpose": apps["purpose"][src],
            "disbursed_on": disbursed_on,
            "first_due_on": first_due,
            "maturity_on": maturity,
            "status": status,
            "outstanding_principal_fen": np.where(written_off, 0, outstanding),
            "written_off_fen": written_off_fen,
            "settled_on": np.where(settled, last_pay.astype("M8[D]"), NAT_D),
            "dpd": np.where(settled, 0, dpd),
            "five_class": np.where(settled, "normal", five).astype(object),
        },
    )
    ctx.add(
        "repayment_schedules",
        {
            "id": np.arange(1, n_rows + 1),
            "loan_id": li + 1,
            "version": np.ones(n_rows, dtype=np.int64),
            "period_no": period,
            "due_on": due,
            "opening_principal_fen": sched.opening_principal_fen,
            "principal_fen": sched.principal_fen,
            "interest_fen": sched.interest_fen,
            "fee_fen": sched.fee_fen,
            "paid_principal_fen": paid_principal,
            "paid_interest_fen": paid_interest,
            "paid_fee_fen": paid_fee,
            "paid_penalty_fen": penalty,
            "settled_on": np.where(paid, pay_date, NAT_D),
        },
    )
    # one repayment per (loan, payment day)
    pr = np.flatnonzero(paid)
    key = li[pr].astype(np.int64) * 100_000 + pay_date[pr].astype(np.int64)
    order = np.argsort(key, kind="stable")
    pr, key = pr[order], key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sums = {
        name: np.add.reduceat(arr[pr], starts) if len(pr) else np.zeros(0, dtype=np.int64)
        for name, arr in (
            ("principal", paid_principal),
            ("interest", paid_interest),
            ("fee", paid_fee),
            ("penalty", penalty),
            ("prepaid", prepaid_row.astype(np.int64)),
        )
    }
    m = len(starts)
    rp_loan = li[pr[starts]] + 1 if m else np.zeros(0, dtype=np.int64)
    rp_day = pay_date[pr[starts]] if m else np.zeros(0, dtype="M8[D]")
    ctx.add(
        "repayments",
        {
            "id": np.arange(1, m + 1),
            "txn_ref": np.char.add("RP", zfill(np.arange(1, m + 1).astype("U12"), 12)).astype(
                object
            ),
            "loan_id": rp_loan,
            "paid_on": rp_day,
            "amount_fen": sums["principal"] + sums["interest"] + sums["fee"] + sums["penalty"],
            "principal_fen": sums["principal"],
            "interest_fen": sums["interest"],
            "fee_fen": sums["fee"],
            "penalty_fen": sums["penalty"],
            "channel": pick(
                rng, ["auto_debit", "mobile", "branch", "online"], m, [0.8, 0.12, 0.05, 0.03]
            ).astype(object),
            "is_prepayment": sums["prepaid"] > 0,
            "reversal_of_id": np.full(m, None, dtype=object),
            "reversed_at": np.full(m, NAT_US),
        },
    )
    ctx.latent["loan"] = {
        "first_unpaid": first_unpaid,
        "defaults": defaults,
        "cure": cure,
        "written_off": written_off,
        "writeoff_day": writeoff_day,
        "true_pd": true_pd,
        "dpd": dpd,
        "settled": settled,
        "last_pay": last_pay,
        "cure_day": cure_day.astype(np.int64),
        "missed_due": np.where(
            defaults, due_dates(disbursed_on, np.minimum(default_at, periods)), NAT_D
        ),
    }
    ctx.latent.setdefault("truth_tables", {})["loans"] = {
        "loan_id": ids,
        "true_pd12": np.round(true_pd, 6),
        "months_observed": elapsed,
        "first_missed_period": np.where(defaults, default_at, 0),
        "cured": cure,
        "default_12m": defaults & ~cure & (default_at <= 12),
    }
    _snapshots(
        ctx,
        li,
        due,
        pay_date,
        sched.principal_fen,
        sched.interest_fen,
        principal,
        disbursed_on,
        written_off,
        writeoff_day,
    )


def _snapshots(
    ctx: DemoContext,
    li: np.ndarray[Any, Any],
    due: np.ndarray[Any, Any],
    pay_date: np.ndarray[Any, Any],
    principal_row: np.ndarray[Any, Any],
    interest_row: np.ndarray[Any, Any],
    principal: np.ndarray[Any, Any],
    disbursed_on: np.ndarray[Any, Any],
    written_off: np.ndarray[Any, Any],
    writeoff_day: np.ndarray[Any, Any],
) -> None:
    """Month-end delinquency and classification history of every open loan."""
    n = len(principal)
    month_ends = np.arange(ctx.start64.astype("M8[M]") + 1, ctx.as_of64.astype("M8[M]") + 1).astype(
        "M8[D]"
    ) - np.timedelta64(1, "D")
    pay_i = np.where(np.isnat(pay_date), np.iinfo(np.int64).max, pay_date.astype(np.int64))
    due_i = due.astype(np.int64)
    big = np.iinfo(np.int64).max
    out: dict[str, list[np.ndarray[Any, Any]]] = {
        k: [] for k in ("loan_id", "as_of", "dpd", "outstanding", "over_p", "over_i")
    }
    for t in month_ends:
        ti = int(t.astype(np.int64))
        paid_by = pay_i <= ti
        paid_p = np.bincount(li, weights=np.where(paid_by, principal_row, 0), minlength=n)
        outstanding = principal - paid_p.astype(np.int64)
        overdue = (due_i <= ti) & ~paid_by
        first = np.full(n, big)
        np.minimum.at(first, li[overdue], due_i[overdue])
        dpd = np.where(first < big, ti - first, 0)
        over_p = np.bincount(li, weights=np.where(overdue, principal_row, 0), minlength=n).astype(
            np.int64
        )
        over_i = np.bincount(li, weights=np.where(overdue, interest_row, 0), minlength=n).astype(
            np.int64
        )
        active = (
            (disbursed_on.astype(np.int64) <= ti)
            & (outstanding > 0)
            & ~(written_off & (writeoff_day <= ti))
        )
        idx = np.flatnonzero(active)
        out["loan_id"].append(idx + 1)
        out["as_of"].append(np.full(len(idx), t))
        out["dpd"].append(dpd[idx])
        out["outstanding"].append(outstanding[idx])
        out["over_p"].append(over_p[idx])
        out["over_i"].append(over_i[idx])
    cols = {k: np.concatenate(v) for k, v in out.items()}
    m = len(cols["loan_id"])
    ctx.add(
        "delinquency_snapshots",
        {
            "id": np.arange(1, m + 1),
            "loan_id": cols["loan_id"],
            "as_of": cols["as_of"].astype("M8[D]"),
            "dpd": cols["dpd"],
            "bucket": dpd_bucket_many(cols["dpd"]),
            "outstanding_principal_fen": cols["outstanding"],
            "overdue_principal_fen": cols["over_p"],
            "overdue_interest_fen": cols["over_i"],
            "five_class": five_class_floor_many(cols["dpd"]),
            "class_source": np.full(m, "rule", dtype=object),
        },
    )


def collections(ctx: DemoContext) -> None:
    """Collection cases and the ladder of actions, manual classification overrides, and alerts."""
    rng = ctx.rng("collections")
    loans_t = ctx.tables["loans"]
    lat = ctx.latent["loan"]
    as_of_i = int(ctx.as_of64.astype(np.int64))
    first_unpaid = lat["first_unpaid"]
    big = np.iinfo(np.int64).max
    # a defaulting loan's case opens a few days after its first missed instalment; a loan that is
    # merely late today (a lapse of more than a week) has an open soft-collection case as well
    missed_due = np.where(np.isnat(lat["missed_due"]), big, lat["missed_due"].astype(np.int64))
    lapsed = ~lat["defaults"] & (loans_t["dpd"] > 7) & (loans_t["status"] == "repaying")
    missed_due = np.where(lapsed, first_unpaid, missed_due)
    opened = missed_due + rng.integers(1, 6, len(first_unpaid))
    idx = np.flatnonzero((lat["defaults"] | lapsed) & (missed_due < big) & (opened <= as_of_i))
    open_day = opened[idx]
    cured = lat["cure"][idx] & (lat["cure_day"][idx] <= as_of_i)
    cur_dpd = loans_t["dpd"][idx]
    wo = lat["written_off"][idx]
    settled = lat["settled"][idx]
    closed = cured | settled | wo
    stage = np.select(
        [closed, cur_dpd > 180, cur_dpd > 90, cur_dpd > 30],
        ["closed", "outsourced", "legal", "hard"],
        "soft",
    ).astype(object)
    stage = np.where((stage == "outsourced") & (rng.random(len(idx)) < 0.5), "legal", stage)
    closed_on = np.where(
        cured,
        np.maximum(lat["cure_day"][idx], open_day),
        np.where(
            settled,
            np.maximum(lat["last_pay"][idx], open_day),
            np.where(wo, lat["writeoff_day"][idx], np.iinfo(np.int64).min),
        ),
    )
    outcome = np.where(cured | settled, "cured", nullable(wo, "written_off")).astype(object)
    recovered = np.where(
        wo, np.round(loans_t["written_off_fen"][idx] * rng.uniform(0, 0.2, len(idx)) / 100) * 100, 0
    ).astype(np.int64)
    staff = ctx.tables["staff"]
    collectors = staff["id"][staff["role"] == "collector"]
    m = len(idx)
    case_ids = np.arange(1, m + 1)
    ctx.add(
        "collection_cases",
        {
            "id": case_ids,
            "case_no": np.char.add("CC", zfill(case_ids.astype("U10"), 10)).astype(object),
            "loan_id": idx + 1,
            "opened_on": open_day.astype("M8[D]"),
            "dpd_at_open": np.maximum(open_day - missed_due[idx], 1),
            "stage": stage,
            "assigned_to_id": pick(rng, collectors, m),
            "closed_on": np.where(
                closed_on > np.iinfo(np.int64).min, closed_on, np.iinfo(np.int64).min
            ).astype("M8[D]"),
            "outcome": outcome,
            "recovered_fen": recovered,
        },
    )
    # actions: every 4–9 days from opening until closed or the as-of date, at most 24
    end = np.where(closed_on > np.iinfo(np.int64).min, closed_on, as_of_i)
    span = np.maximum(end - open_day, 0)
    step = rng.integers(4, 10, m)
    count = np.clip(span // step + 1, 1, 24)
    case_of = np.repeat(np.arange(m), count)
    k = np.arange(len(case_of)) - np.repeat(np.cumsum(count) - count, count)
    day = open_day[case_of] + k * step[case_of]
    dpd_then = day - missed_due[idx][case_of]
    kind = np.select(
        [dpd_then > 180, dpd_then > 90, dpd_then > 60, dpd_then > 30, k % 3 == 0],
        ["lawsuit", "legal_notice", "visit", "letter", "sms"],
        "phone",
    ).astype(object)
    kind = np.where((kind == "lawsuit") & (rng.random(len(kind)) < 0.7), "phone", kind)
    result = pick(
        rng,
        [
            "no_answer",
            "promise_to_pay",
            "refused",
            "wrong_number",
            "partial_payment",
            "negotiating",
        ],
        len(kind),
        [0.35, 0.25, 0.12, 0.05, 0.08, 0.15],
    ).astype(object)
    is_last = np.r_[case_of[1:] != case_of[:-1], True]
    result = np.where(is_last & cured[case_of], "paid", result)
    promise = result == "promise_to_pay"
    ctx.add(
        "collection_actions",
        {
            "id": np.arange(1, len(case_of) + 1),
            "case_id": case_of + 1,
            "at": local_to_utc(day.astype("M8[D]"), rng.uniform(9, 19, len(day))),
            "kind": kind,
            "staff_id": nullable(
                ~(kind == "sms"), ctx.tables["collection_cases"]["assigned_to_id"][case_of]
            ),
            "result": result,
            "promise_amount_fen": nullable(
                promise, np.round(loans_t["principal_fen"][idx][case_of] * 0.05 / 100) * 100
            ),
            "promise_date": np.where(
                promise, (day + rng.integers(3, 15, len(day))).astype("M8[D]"), NAT_D
            ),
            "note": nullable(promise, "客户承诺近期还款"),
        },
    )
    _overrides(ctx, rng, idx)
    _alerts(ctx, rng)


def _overrides(
    ctx: DemoContext, rng: np.random.Generator, delinquent: np.ndarray[Any, Any]
) -> None:
    loans_t = ctx.tables["loans"]
    open_rows = delinquent[
        (loans_t["status"][delinquent] == "repaying") & (loans_t["dpd"][delinquent] > 0)
    ]
    take = open_rows[rng.random(len(open_rows)) < 0.12]
    m = len(take)
    if m == 0:
        return
    staff = ctx.tables["staff"]
    officers = staff["id"][staff["role"] == "risk_officer"]
    worse = {
        "normal": "special_mention",
        "special_mention": "substandard",
        "substandard": "doubtful",
        "doubtful": "loss",
        "loss": "loss",
    }
    new_class = np.array([worse[c] for c in loans_t["five_class"][take]], dtype=object)
    reasons = pick(
        rng,
        [
            "借款人经营状况恶化，第一还款来源不足",
            "抵押物价值下跌，覆盖率不足",
            "借款人涉诉，资产被冻结",
            "借款人失联，保证人代偿意愿弱",
        ],
        m,
    )
    at_day = ctx.as_of64 - rng.integers(1, 90, m).astype("m8[D]")
    ctx.add(
        "classification_overrides",
        {
            "id": np.arange(1, m + 1),
            "loan_id": take + 1,
            "five_class": new_class,
            "officer_id": pick(rng, officers, m),
            "reason": reasons.astype(object),
            "at": local_to_utc(at_day, rng.uniform(9, 18, m)),
            "expires_on": np.where(rng.random(m) < 0.6, at_day + np.timedelta64(180, "D"), NAT_D),
            "revoked_at": np.full(m, NAT_US),
        },
    )
    # the stored class at as-of, and every month-end snapshot from the override on, is the worse
    # of the rule and the override (an override only ever downgrades here)
    five = np.array(loans_t["five_class"], dtype=object)
    five[take] = new_class
    loans_t["five_class"] = five
    snaps = ctx.tables["delinquency_snapshots"]
    override_of = np.zeros(len(loans_t["id"]), dtype=np.int64) - 1
    override_of[take] = np.arange(m)
    row_override = override_of[snaps["loan_id"] - 1]
    hit = np.flatnonzero(row_override >= 0)
    hit = hit[snaps["as_of"][hit] >= at_day[row_override[hit]]]
    order = {c: i for i, c in enumerate(FIVE_CLASSES)}
    snap_class = np.array(snaps["five_class"], dtype=object)
    source = np.array(snaps["class_source"], dtype=object)
    for row in hit:
        forced = new_class[row_override[row]]
        if order[forced] > order[snap_class[row]]:
            snap_class[row] = forced
            source[row] = "override"
    snaps["five_class"] = snap_class
    snaps["class_source"] = source


def _alerts(ctx: DemoContext, rng: np.random.Generator) -> None:
    """Early-warning alerts the bank raised over the window: branch overdue rates, LPR changes."""
    snaps = ctx.tables["delinquency_snapshots"]
    loans_t = ctx.tables["loans"]
    branch_of = loans_t["branch_id"][snaps["loan_id"] - 1]
    months = np.unique(snaps["as_of"])
    rules: list[dict[str, Any]] = []
    for t in months[-6:]:
        at_t = snaps["as_of"] == t
        bal = snaps["outstanding_principal_fen"][at_t]
        m1 = snaps["dpd"][at_t] > 0
        overall = (bal * m1).sum() / max(bal.sum(), 1)
        for b in np.unique(branch_of[at_t]):
            mask = branch_of[at_t] == b
            rate = (bal[mask] * m1[mask]).sum() / max(bal[mask].sum(), 1)
            if bal[mask].sum() > 0 and rate > max(overall * 2.0, 0.01):
                rules.append(
                    {
                        "rule": "branch_m1plus_rate_high",
                        "dimension": "branch",
                        "value_key": str(ctx.tables["branches"]["code"][b - 1]),
                        "metric": "m1plus_balance_rate",
                        "value": rate,
                        "threshold": overall * 2.0,
                        "day": t,
                    }
                )
    for d, _one, five in ref.LPR_HISTORY:
        day = np.datetime64(d, "D")
        if ctx.start64 <= day <= ctx.as_of64:
            rules.append(
                {
                    "rule": "market_lpr_change",
                    "dimension": "all",
                    "value_key": "LPR",
                    "metric": "lpr_5y",
                    "value": float(ref.pct(five)),
                    "threshold": 0.0,
                    "day": day,
                }
            )
    staff = ctx.tables["staff"]
    officers = staff["id"][staff["role"] == "risk_officer"]
    n = len(rules)
    if n == 0:
        return
    days = np.array([r["day"] for r in rules], dtype="M8[D]")
    age_days = (ctx.as_of64 - days).astype(np.int64)
    status = np.where(
        age_days > 60,
        "closed",
        np.where(age_days > 20, "actioned", pick(rng, ["open", "acknowledged"], n)),
    ).astype(object)
    actions = [
        [
            {
                "at": str(r["day"]),
                "action_zh": "约谈支行负责人，收紧该网点新增审批",
                "action_en": "Met the branch head; tightened approvals at the branch",
            }
        ]
        if r["rule"] == "branch_m1plus_rate_high" and s != "open"
        else [
            {
                "at": str(r["day"]),
                "action_zh": "评估 LPR 下调对存量浮动利率贷款收益的影响",
                "action_en": "Assessed the effect of the LPR cut on floating-rate loan income",
            }
        ]
        if s != "open"
        else []
        for r, s in zip(rules, status, strict=True)
    ]
    ctx.add(
        "risk_alerts",
        {
            "id": np.arange(1, n + 1),
            "alert_no": np.array([f"RA{i:08d}" for i in range(1, n + 1)], dtype=object),
            "rule_code": np.array([r["rule"] for r in rules], dtype=object),
            "severity": np.array(
                [
                    "high"
                    if r["rule"] == "branch_m1plus_rate_high" and r["value"] > r["threshold"] * 1.5
                    else "medium"
                    for r in rules
                ],
                dtype=object,
            ),
            "dimension": np.array([r["dimension"] for r in rules], dtype=object),
            "dimension_value": np.array([r["value_key"] for r in rules], dtype=object),
            "metric": np.array([r["metric"] for r in rules], dtype=object),
            "value": np.array([round(r["value"], 8) for r in rules]),
            "threshold": np.array([round(r["threshold"], 8) for r in rules]),
            "raised_on": days,
            "owner_id": pick(rng, officers, n),
            "due_on": days + np.timedelta64(14, "D"),
            "status": status,
            "actions": actions,
            "closed_at": np.where(
                status == "closed",
                local_to_utc(days + np.timedelta64(30, "D"), np.full(n, 17.0)),
                NAT_US,
            ),
        },
    )
