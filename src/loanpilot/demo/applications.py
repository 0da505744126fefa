"""Demo step: loan applications from campaign responders (who apply a little after responding),
organic leads and walk-ins; the product, amount, term and repayment method each asks for; the
decision of the legacy policy (``underwriting``) and the stage timestamps up to disbursement; and
the links from campaign targets and leads to the applications they became."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from loanpilot.demo.catalogue import PRODUCTS
from loanpilot.demo.context import (
    HOUR,
    NAT_US,
    DemoContext,
    local_to_utc,
    pick,
    utc_to_local_date,
    zfill,
)
from loanpilot.demo.lending import product_arrays
from loanpilot.demo.underwriting import Assessment, add_decisions, assess

#: Model and policy version of the decisions migrated with the back book.
MIGRATED_VERSION = "core-banking-migration"

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
    as_of_end = local_to_utc(np.array([ctx.as_of64]), np.array([24.0]))[0]
    (
        cust_idx,
        product_id,
        channel,
        submitted,
        lead_id,
        campaign_id,
        partner_id,
        target_of_app,
        booked,
    ) = _sources(ctx, rng, as_of_end)
    n = len(cust_idx)
    prod = product_arrays(ctx)
    pidx = product_id - 1
    income = cust["monthly_income_fen"][cust_idx]
    term, amount, method, annuity = _requests(ctx, rng, cust_idx, pidx, prod)
    assessment = assess(ctx, rng, cust_idx, pidx, prod, term, amount, annuity)
    # back-book loans were approved and booked before LoanPilot; their decisions are the record
    # migrated from the core banking system (graded by today's estimate, so some carry grade E:
    # loans that would not be approved today)
    assessment = replace(
        assessment,
        approved=assessment.approved | booked,
        refer=assessment.refer & ~booked,
        decline=assessment.decline & ~booked,
        manual_ok=assessment.manual_ok & ~booked,
        reasons=[[] if b else r for r, b in zip(assessment.reasons, booked, strict=True)],
    )
    (
        status,
        submitted_at,
        review_at,
        decided_at,
        accepted_at,
        signed_at,
        disbursed_at,
        withdrawn_at,
    ) = _stages(rng, prod["type"][pidx], submitted, assessment, as_of_end, booked)

    ids = np.arange(1, n + 1)
    day = utc_to_local_date(submitted).astype("U10")
    app_no = np.char.add(
        np.char.add("A", np.char.replace(day, "-", "")), zfill(ids.astype("U7"), 7)
    )
    # the customer's manager handled the application only if they were already at the bank
    manager = np.array(cust["manager_id"][cust_idx], dtype=object)
    has_manager = np.array([m is not None for m in manager], dtype=bool)
    hired = ctx.tables["staff"]["hired_on"][np.asarray(manager[has_manager], dtype=np.int64) - 1]
    too_early = np.zeros(n, dtype=bool)
    too_early[has_manager] = hired > utc_to_local_date(submitted[has_manager])
    manager[too_early] = None
    purposes = np.array([s.purpose for s in PRODUCTS], dtype=object)[pidx]
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

    add_decisions(ctx, rng, ids, pidx, prod, term, amount, submitted, decided_at, assessment)
    decisions = ctx.tables["decisions"]
    migrated = booked[decisions["application_id"] - 1]
    for column in ("model_version", "policy_version"):
        values = np.array(decisions[column], dtype=object)
        values[migrated] = MIGRATED_VERSION
        decisions[column] = values


def _sources(
    ctx: DemoContext, rng: np.random.Generator, as_of_end: np.datetime64
) -> tuple[np.ndarray[Any, Any], ...]:
    """Who applies for what, when and through which channel, in order of submission:
    (customer index, product id, channel, submitted at, lead id, campaign id, partner id, row of
    the campaign target or -1)."""
    cust = ctx.tables["customers"]
    targets = ctx.tables["campaign_targets"]
    leads = ctx.tables["leads"]
    lead_rows = ctx.latent["lead_target_rows"]
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

    # 4. the back book: mortgages booked before the window (from its own stream, so that adding
    # it changed none of the draws above)
    b_cust, b_prod, b_time = _back_book(ctx)
    n_book = len(b_cust)

    cust_idx = np.concatenate([c_cust, o_cust, w_cust, b_cust]).astype(np.int64)
    product_id = np.concatenate(
        [
            c_prod,
            _choose_organic_products(ctx, rng, np.concatenate([o_cust, w_cust]).astype(np.int64)),
            b_prod,
        ]
    )
    channel = np.concatenate([c_chan, o_chan, w_chan, np.full(n_book, "branch", dtype=object)])
    submitted = np.concatenate([c_time, o_time, w_time, b_time])
    lead_id = np.concatenate([c_lead, conv + 1, np.full(n_walk + n_book, 0)]).astype(object)
    lead_id[lead_id == 0] = None
    campaign_id = np.concatenate([c_camp, np.full(len(conv) + n_walk + n_book, None, dtype=object)])
    partner_id = np.concatenate(
        [
            np.full(len(t_rows), None, dtype=object),
            leads["partner_id"][conv],
            np.full(n_walk + n_book, None, dtype=object),
        ]
    )
    booked = np.concatenate(
        [np.zeros(len(cust_idx) - n_book, dtype=bool), np.ones(n_book, dtype=bool)]
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
    target_of_app = np.concatenate([t_rows, np.full(len(conv) + n_walk + n_book, -1)])[keep]
    booked = booked[keep]
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
    return (
        cust_idx,
        product_id,
        channel,
        submitted,
        lead_id,
        campaign_id,
        partner_id,
        target_of_app,
        booked[order],
    )


#: The back book reaches back five years, but not before the LPR reform of August 2019.
BACK_BOOK_YEARS = 5
LPR_REFORM = np.datetime64("2019-09-01")


def _back_book(ctx: DemoContext) -> tuple[np.ndarray[Any, Any], ...]:
    """Mortgages booked before the window: a fifth of the homeowners whose credit report shows a
    mortgage took it with us (customer index, product id, submitted at)."""
    rng = ctx.rng("back_book")
    cust = ctx.tables["customers"]
    bureau = ctx.tables["bureau_reports"]
    code = ctx.latent["product_index"]
    earliest = max(ctx.start64 - np.timedelta64(365 * BACK_BOOK_YEARS, "D"), LPR_REFORM)
    latest = ctx.start64 - np.timedelta64(60, "D")
    # a loan is booked after the customer joined and after their branch opened
    branch_opened = ctx.tables["branches"]["opened_on"][cust["home_branch_id"] - 1]
    since = np.maximum(cust["since"], branch_opened)
    draw = rng.random(ctx.n_customers)
    if latest <= earliest:  # an as-of date so early that the window reaches back to the reform
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype="M8[us]")
    eligible = (
        cust["owns_home"]
        & (bureau["total_debt_fen"] > 30_000_000)
        & (since <= latest)
        & (draw < 0.2)
    )
    idx = np.flatnonzero(eligible)
    m = len(idx)
    first = np.maximum(since[idx], earliest)
    span = (latest - first).astype(np.int64)
    day = first + (rng.random(m) * span).astype(np.int64).astype("m8[D]")
    pf = cust["has_provident_fund"][idx]
    product = np.where(pf, pick(rng, ["HL-COM", "HL-PF", "HL-COMBO"], m, [0.5, 0.3, 0.2]), "HL-COM")
    return (
        idx,
        np.array([code[p] for p in product], dtype=np.int64),
        local_to_utc(day, rng.uniform(9, 17, m)),
    )


def _requests(
    ctx: DemoContext,
    rng: np.random.Generator,
    cust_idx: np.ndarray[Any, Any],
    pidx: np.ndarray[Any, Any],
    prod: dict[str, np.ndarray[Any, Any]],
) -> tuple[np.ndarray[Any, Any], ...]:
    """What each applicant asks for: (term in months, amount in fen, repayment method, and the
    annuity factor of the term at 4.5 %, by which the amount was held near what income can carry)."""
    cust = ctx.tables["customers"]
    n = len(cust_idx)
    income = cust["monthly_income_fen"][cust_idx]
    age = ctx.latent["customer_age"][cust_idx]
    typical_terms = [np.array(spec.typical_terms) for spec in PRODUCTS]
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
    return term, amount, method, annuity


def _stages(
    rng: np.random.Generator,
    ptype: np.ndarray[Any, Any],
    submitted: np.ndarray[Any, Any],
    assessment: Assessment,
    as_of_end: np.datetime64,
    booked: np.ndarray[Any, Any],
) -> tuple[np.ndarray[Any, Any], ...]:
    """Each application's status at the as-of date and its stage timestamps (NaT when not reached
    by then): (status, submitted, review started, decided, offer accepted, signed, disbursed,
    withdrawn)."""
    n = len(submitted)
    refer, decline = assessment.refer, assessment.decline
    manual_ok, approved = assessment.manual_ok, assessment.approved

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
    accepted_flag = approved & ((rng.random(n) < 0.88) | booked)
    accepted = decided + h(0.5, 72)
    signed_flag = accepted_flag & ((rng.random(n) < 0.97) | booked)
    signed = accepted + h(1, 96)
    disb_wait = np.where(
        is_housing,
        rng.uniform(72, 600, n),
        np.where(is_business, rng.uniform(4, 72, n), rng.uniform(0.5, 24, n)),
    )
    disbursed = signed + (disb_wait * HOUR).astype("m8[us]")
    withdrawn_flag = approved & ~accepted_flag
    withdrawn = decided + h(24, 240)
    drafts = (rng.random(n) < 0.015) & ~booked

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
    return (
        status,
        submitted_at,
        review_at,
        decided_at,
        accepted_at,
        signed_at,
        disbursed_at,
        withdrawn_at,
    )
