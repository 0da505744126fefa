"""Demo step: quarterly appraisal plans, indicators, runs, scores and score lines of the sales staff.

Appraisal actuals are computed from the generated loans, applications, customers and survey answers,
exactly as the appraisal engine would.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo.after_common import (
    NULL,
    SALES_ROLES,
    Arr,
    fk_ids,
    group_pick,
    loan_view,
    null_if_zero,
    quarter_index,
    window_quarters,
)
from loanpilot.demo.context import DemoContext, local_to_utc, utc_to_local_date

APPROVED_STATUSES = ("approved", "offer_accepted", "contract_signed", "disbursed")
#: Role names in the plan names.
ROLE_ZH = {
    "customer_manager": "客户经理",
    "senior_customer_manager": "高级客户经理",
    "sales_consultant": "销售顾问",
}

LINEAR = {"type": "linear", "floor": 0, "cap": 120}
#: Appraisal indicators: (code, name, kind, weight, higher is better, curve); weights sum to 1.
INDICATORS: tuple[tuple[str, str, str, float, bool, dict[str, Any]], ...] = (
    ("disbursed_amount", "放款金额（万元）", "quantitative", 0.30, True, LINEAR),
    ("new_customers", "新增客户数", "quantitative", 0.15, True, LINEAR),
    ("approval_rate", "审批通过率（%）", "quantitative", 0.10, True, LINEAR),
    ("customer_satisfaction", "客户满意度（CSAT 1–5）", "quantitative", 0.15, True, LINEAR),
    ("territory_market_share", "辖区份额（本支行放款占比，%）", "quantitative", 0.05, True, LINEAR),
    (
        "portfolio_overdue_rate",
        "管户贷款逾期率（%）",
        "quantitative",
        0.10,
        False,
        {"type": "linear_inverse", "floor": 0, "cap": 120},
    ),
    (
        "service_attitude",
        "服务态度",
        "qualitative",
        0.05,
        True,
        {"type": "rating", "floor": 0, "cap": 100},
    ),
    ("teamwork", "团队协作", "qualitative", 0.05, True, {"type": "rating", "floor": 0, "cap": 100}),
    (
        "innovation",
        "创新能力",
        "qualitative",
        0.05,
        True,
        {"type": "rating", "floor": 0, "cap": 100},
    ),
)
FIXED_TARGETS = {"approval_rate": 60.0, "customer_satisfaction": 4.5, "portfolio_overdue_rate": 2.0}
MISSING_SCORE = 80.0


def _actuals(ctx: DemoContext, rng: np.random.Generator, nq: int) -> dict[str, Arr]:
    """Per staff member (row = staff id − 1) and quarter, the actual of every indicator (NaN: none).

    Customer managers are measured on their own loans, customers, applications and respondents.
    Sales consultants hold no portfolio: they get their branch's per-head amount and customers
    (scaled by their quality) and their branch's rates.
    """
    staff = ctx.tables["staff"]
    ns, nb = ctx.count("staff"), ctx.count("branches")
    branch = fk_ids(staff["branch_id"])
    quality = np.asarray(ctx.latent["staff_quality"], dtype=float)

    def grid(key: Arr, q: Arr, weights: Arr | None, size: int) -> Arr:
        ok = (key > 0) & (q >= 0) & (q < nq)
        flat = (key[ok] - 1) * nq + q[ok]
        w = None if weights is None else weights[ok]
        return np.bincount(flat, weights=w, minlength=size * nq).reshape(size, nq)

    def both(
        staff_key: Arr, branch_key: Arr, q: Arr, weights: Arr | None = None
    ) -> tuple[Arr, Arr]:
        return grid(staff_key, q, weights, ns), grid(branch_key, q, weights, nb)

    loans = loan_view(ctx, top_only=False)  # row = loan id − 1
    lq = quarter_index(loans["disbursed"], ctx)
    amount, b_amount = both(loans["manager"], loans["branch"], lq, loans["principal"] / 1e6)
    # overdue rate: share of the portfolio past due in the snapshot of the quarter's last month end
    snaps = ctx.tables["delinquency_snapshots"]
    s_day = np.asarray(snaps["as_of"], dtype="M8[D]")
    quarter_end = (s_day + np.timedelta64(1, "D")).astype("M8[M]").astype(np.int64) % 3 == 0
    sq = np.where(quarter_end, quarter_index(s_day, ctx), -1)
    sl = fk_ids(snaps["loan_id"]) - 1
    count, b_count = both(loans["manager"][sl], loans["branch"][sl], sq)
    late = (np.asarray(snaps["dpd"]) > 0).astype(float)
    bad, b_bad = both(loans["manager"][sl], loans["branch"][sl], sq, late)
    customers = ctx.tables["customers"]
    cq = quarter_index(customers["since"], ctx)
    new, b_new = both(fk_ids(customers["manager_id"]), fk_ids(customers["home_branch_id"]), cq)
    apps = ctx.tables["applications"]
    decided = np.asarray(apps["decided_at"], dtype="M8[us]")
    aq = np.where(np.isnat(decided), -1, quarter_index(utc_to_local_date(decided), ctx))
    a_mgr, a_branch = fk_ids(apps["manager_id"]), fk_ids(apps["branch_id"])
    dec, b_dec = both(a_mgr, a_branch, aq)
    ok, b_ok = both(a_mgr, a_branch, aq, np.isin(apps["status"], APPROVED_STATUSES).astype(float))
    answers, responses = ctx.tables["survey_answers"], ctx.tables["survey_responses"]
    is_csat = (
        np.asarray(ctx.tables["survey_questions"]["kind"])[np.asarray(answers["question_id"]) - 1]
        == "csat_1_5"
    )
    ri = np.asarray(answers["response_id"])[is_csat] - 1
    score = np.asarray(answers["score"])[is_csat].astype(float)
    rq = quarter_index(
        utc_to_local_date(np.asarray(responses["submitted_at"], dtype="M8[us]")[ri]), ctx
    )
    r_staff, r_branch = fk_ids(responses["staff_id"])[ri], fk_ids(responses["branch_id"])[ri]
    sat, b_sat = both(r_staff, r_branch, rq, score)
    sat_n, b_sat_n = both(r_staff, r_branch, rq)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = {
            "disbursed_amount": amount,
            "new_customers": new,
            "approval_rate": 100 * ok / dec,
            "customer_satisfaction": sat / sat_n,
            "territory_market_share": 100 * amount / b_amount[np.maximum(branch, 1) - 1],
            "portfolio_overdue_rate": 100 * bad / count,
        }
        consultant = np.flatnonzero(np.asarray(staff["role"]) == "sales_consultant")
        heads = np.bincount(branch[np.isin(staff["role"], SALES_ROLES)], minlength=nb + 1)[1:]
        bi = branch[consultant] - 1
        factor = np.exp(
            0.15 * quality[consultant, None] + rng.normal(0, 0.15, (consultant.size, nq))
        )
        proxy = {
            "disbursed_amount": b_amount[bi] / np.maximum(heads[bi, None], 1) * factor,
            "new_customers": np.round(b_new[bi] / np.maximum(heads[bi, None], 1) * factor),
            "approval_rate": 100 * b_ok[bi] / b_dec[bi],
            "customer_satisfaction": b_sat[bi] / b_sat_n[bi],
            "territory_market_share": 100 / np.maximum(heads[bi, None], 1) * factor,
            "portfolio_overdue_rate": 100 * b_bad[bi] / b_count[bi],
        }
    for code, values in proxy.items():
        own[code][consultant] = values
    for code in ("service_attitude", "teamwork", "innovation"):
        own[code] = np.clip(
            np.round(75 + 8 * quality[:, None] + rng.normal(0, 6, (ns, nq))), 40, 100
        )
    return own


def _score(actual: Arr, target: float | None, curve: dict[str, Any]) -> Arr:
    lo, hi = curve["floor"], curve["cap"]
    if curve["type"] == "rating" or not target:
        raw = actual
    elif curve["type"] == "linear_inverse":
        raw = (2.0 - actual / target) * 100
    else:
        raw = actual / target * 100
    return np.where(np.isnan(actual), MISSING_SCORE, np.round(np.clip(raw, lo, hi), 2))


def add_appraisal(ctx: DemoContext, rng: np.random.Generator) -> None:
    """Per sales role and quarter a plan with its indicators; a run, scores and score lines for
    every ended quarter."""
    quarters = window_quarters(ctx)
    nq = len(quarters)
    actual = _actuals(ctx, rng, nq)
    staff = ctx.tables["staff"]
    ids = np.asarray(staff["id"], dtype=np.int64)
    role = np.asarray(staff["role"], dtype=object)
    hired = np.asarray(staff["hired_on"], dtype="M8[D]")
    branch = fk_ids(staff["branch_id"])
    heads = np.flatnonzero(role == "branch_head")
    rater, _ = group_pick(rng, branch[heads], ids[heads], branch)
    days_in = np.array(
        [(q[2] - max(q[1], ctx.start64)).astype(int) + 1 for q in quarters], dtype=float
    )
    now = local_to_utc(np.array([ctx.as_of64]), np.array([24.0]))[0]
    sales = np.isin(role, SALES_ROLES)
    # a fair share of the branch's disbursement: 100 % ÷ sales staff per branch
    share_target = round(100.0 * len(np.unique(branch[sales])) / max(int(sales.sum()), 1), 1)
    plans: list[tuple[str, str, str, str]] = []
    ind: dict[str, list[Any]] = {
        k: [] for k in ("plan", "code", "name", "kind", "weight", "target", "hib", "curve")
    }
    runs: list[tuple[int, np.datetime64]] = []
    sc: dict[str, list[Arr]] = {k: [] for k in ("run", "staff", "total", "rank", "size")}
    ln: dict[str, list[Arr]] = {
        k: [] for k in ("indicator", "actual", "score", "weighted", "rater", "comment")
    }
    n_ind = len(INDICATORS)
    for r in SALES_ROLES:
        members = np.flatnonzero(role == r)
        for qi, (period, _, q_end) in enumerate(quarters):
            plan_id = len(plans) + 1
            ended = q_end < ctx.as_of64
            plans.append(
                (
                    f"{period} {ROLE_ZH[r]}绩效考核方案",
                    r,
                    period,
                    "closed" if ended else "active",
                )
            )
            ref_q = max(qi - 1, 0)
            first_ind = len(ind["plan"]) + 1
            targets: list[float | None] = []
            for code, name, kind, weight, hib, curve in INDICATORS:
                if code in FIXED_TARGETS:
                    target: float | None = FIXED_TARGETS[code]
                elif kind == "qualitative":
                    target = None
                elif code == "territory_market_share":
                    target = share_target
                else:
                    per_day = (
                        np.nanmean(actual[code][members, ref_q]) / days_in[ref_q]
                        if members.size
                        else 0.0
                    )
                    digits = 1 if code == "disbursed_amount" else 0
                    target = max(round(float(per_day * days_in[qi] * 1.1), digits), 10.0**-digits)
                targets.append(target)
                for key, value in zip(
                    ind, (plan_id, code, name, kind, weight, target, hib, curve), strict=True
                ):
                    ind[key].append(value)
            run_day = q_end + np.timedelta64(int(rng.integers(3, 9)), "D")
            run_at = local_to_utc(np.array([run_day]), np.array([10.0]))[0]
            who = members[hired[members] <= q_end]
            if not ended or run_at > now or who.size == 0:
                continue
            runs.append((plan_id, run_at))
            m = who.size
            scores = np.column_stack(
                [
                    _score(actual[c[0]][who, qi], t, c[5])
                    for c, t in zip(INDICATORS, targets, strict=True)
                ]
            )
            weights = np.array([c[3] for c in INDICATORS])
            weighted = np.round(scores * weights, 2)
            total = np.round(weighted.sum(axis=1), 2)
            rank = np.empty(m, dtype=np.int64)
            rank[np.argsort(-total, kind="stable")] = np.arange(1, m + 1)
            sc["run"].append(np.full(m, len(runs)))
            sc["staff"].append(ids[who])
            sc["total"].append(total)
            sc["rank"].append(rank)
            sc["size"].append(np.full(m, m))
            values = np.column_stack([actual[c[0]][who, qi] for c in INDICATORS])
            missing = np.isnan(values)
            qualitative = np.array([c[2] == "qualitative" for c in INDICATORS])
            ln["indicator"].append(np.tile(np.arange(first_ind, first_ind + n_ind), m))
            ln["actual"].append(np.where(missing, NULL, np.round(values, 4).astype(object)).ravel())
            ln["score"].append(scores.ravel())
            ln["weighted"].append(weighted.ravel())
            ln["rater"].append(
                np.where(qualitative[None, :] & (rater[who, None] > 0), rater[who, None], 0).ravel()
            )
            ln["comment"].append(
                np.where(missing, "本季度无有效样本，按基准分计", NULL).astype(object).ravel()
            )
    ctx.add(
        "appraisal_plans",
        {
            "id": ctx.next_ids("appraisal_plans", len(plans)),
            "name": np.array([p[0] for p in plans], dtype=object),
            "role": np.array([p[1] for p in plans], dtype=object),
            "period": np.array([p[2] for p in plans], dtype=object),
            "version": np.ones(len(plans), dtype=np.int64),
            "status": np.array([p[3] for p in plans], dtype=object),
        },
    )
    ctx.add(
        "appraisal_indicators",
        {
            "id": ctx.next_ids("appraisal_indicators", len(ind["plan"])),
            "plan_id": np.array(ind["plan"]),
            "code": np.array(ind["code"], dtype=object),
            "name": np.array(ind["name"], dtype=object),
            "kind": np.array(ind["kind"], dtype=object),
            "weight": np.array(ind["weight"]),
            "target": np.array(ind["target"], dtype=object),
            "higher_is_better": np.array(ind["hib"]),
            "curve": [dict(c) for c in ind["curve"]],
        },
    )
    ctx.add(
        "appraisal_runs",
        {
            "id": ctx.next_ids("appraisal_runs", len(runs)),
            "plan_id": np.array([r[0] for r in runs], dtype=np.int64),
            "run_at": np.array([r[1] for r in runs], dtype="M8[us]"),
            "status": np.full(len(runs), "done", dtype=object),
        },
    )
    score_ids = ctx.next_ids("appraisal_scores", sum(len(a) for a in sc["staff"]))
    ctx.add(
        "appraisal_scores",
        {
            "id": score_ids,
            "run_id": np.concatenate(sc["run"]),
            "staff_id": np.concatenate(sc["staff"]),
            "total": np.concatenate(sc["total"]),
            "rank_in_group": np.concatenate(sc["rank"]),
            "group_size": np.concatenate(sc["size"]),
        },
    )
    ctx.add(
        "appraisal_score_lines",
        {
            "id": ctx.next_ids("appraisal_score_lines", score_ids.size * n_ind),
            "score_id": np.repeat(score_ids, n_ind),
            "indicator_id": np.concatenate(ln["indicator"]),
            "actual": np.concatenate(ln["actual"]),
            "score": np.concatenate(ln["score"]),
            "weighted": np.concatenate(ln["weighted"]),
            "rated_by_id": null_if_zero(np.concatenate(ln["rater"])),
            "comment": np.concatenate(ln["comment"]),
        },
    )
