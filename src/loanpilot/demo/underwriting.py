"""Demo step parts of ``applications``: underwriting by the bank's legacy policy. A noisy estimate
of the true PD (``truth.pd12``) becomes a score and a grade; hard rules and score cut-offs decline
or refer an application, and manual review approves the better half of the referred. Applications
are priced at decision (the basis rate in force plus a spread by grade) and every decision is
recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from loanpilot.demo import reference as ref
from loanpilot.demo.context import DemoContext, nullable, pick, utc_to_local_date
from loanpilot.demo.lending import fund_rates
from loanpilot.demo.truth import pd12

MODEL_VERSION = "legacy-scorecard@2024.1"
POLICY_VERSION = "policy@2024.1"
CUTOFF_APPROVE = 590  # legacy policy: approve at or above
CUTOFF_DECLINE = 560  # decline below; manual review in between

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


@dataclass
class Assessment:
    """The legacy policy's view of each application (one entry per application)."""

    true_pd: np.ndarray[Any, Any]
    est_pd: np.ndarray[Any, Any]
    score: np.ndarray[Any, Any]
    grade: np.ndarray[Any, Any]
    reasons: list[list[dict[str, Any]]]
    refer: np.ndarray[Any, Any]
    decline: np.ndarray[Any, Any]
    manual_ok: np.ndarray[Any, Any]
    approved: np.ndarray[Any, Any]


def assess(
    ctx: DemoContext,
    rng: np.random.Generator,
    cust_idx: np.ndarray[Any, Any],
    pidx: np.ndarray[Any, Any],
    prod: dict[str, np.ndarray[Any, Any]],
    term: np.ndarray[Any, Any],
    amount: np.ndarray[Any, Any],
    annuity: np.ndarray[Any, Any],
) -> Assessment:
    """The true PD of each application, the legacy score and grade, and the policy's outcome."""
    cust = ctx.tables["customers"]
    bureau = ctx.tables["bureau_reports"]
    n = len(cust_idx)
    ptype = prod["type"][pidx]
    income = cust["monthly_income_fen"][cust_idx]
    age = ctx.latent["customer_age"][cust_idx]
    occ = cust["occupation"][cust_idx]
    debt_payment = bureau["monthly_debt_payment_fen"][cust_idx]
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
    return Assessment(
        true_pd=true_pd,
        est_pd=est_pd,
        score=score,
        grade=grade,
        reasons=reasons,
        refer=refer,
        decline=decline,
        manual_ok=manual_ok,
        approved=approved,
    )


def add_decisions(
    ctx: DemoContext,
    rng: np.random.Generator,
    ids: np.ndarray[Any, Any],
    pidx: np.ndarray[Any, Any],
    prod: dict[str, np.ndarray[Any, Any]],
    term: np.ndarray[Any, Any],
    amount: np.ndarray[Any, Any],
    submitted: np.ndarray[Any, Any],
    decided_at: np.ndarray[Any, Any],
    assessment: Assessment,
) -> None:
    """Price the applications at decision and record the decisions; keep what ``loans`` needs."""
    a = assessment
    true_pd, est_pd, score, grade, reasons = a.true_pd, a.est_pd, a.score, a.grade, a.reasons
    refer, decline, manual_ok, approved = a.refer, a.decline, a.manual_ok, a.approved
    ptype = prod["type"][pidx]
    has_decision = ~np.isnat(decided_at)

    # pricing at decision
    d_day = utc_to_local_date(np.where(np.isnat(decided_at), submitted, decided_at))
    lpr_dates = np.array([r[0] for r in ref.LPR_HISTORY], dtype="M8[D]")
    k = np.clip(np.searchsorted(lpr_dates, d_day, side="right") - 1, 0, len(lpr_dates) - 1)
    lpr1 = np.array([float(ref.pct(r[1])) for r in ref.LPR_HISTORY])[k]
    lpr5 = np.array([float(ref.pct(r[2])) for r in ref.LPR_HISTORY])[k]
    pf_rate = fund_rates(d_day, term)
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
