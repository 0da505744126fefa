"""Demo step: quarterly appraisal plans, indicators, runs, scores and score lines of the sales staff.

Appraisal actuals are computed from the generated loans, applications, customers and survey answers,
exactly as the appraisal engine would. The territory's market share is the KPI suite's
``market_share`` by branch (``team.appraisal_actuals``): the balance of the person's branch in the
quarter's last snapshot ÷ the market balance of its province that quarter, in per cent. The market
is the one the next step (``after_market.add_market``) draws from this step's random stream.
"""

from __future__ import annotations

import copy
import dataclasses
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
from loanpilot.demo.context import NAT_D, DemoContext, local_to_utc, utc_to_local_date

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
    ("territory_market_share", "辖区市场份额（%）", "quantitative", 0.05, True, LINEAR),
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
#: A quarter's target: this much of the role's previous quarter, for a flow indicator its mean
#: actual per day times the quarter's days, for the market share (a stock) its median actual.
AMBITION = 1.1


def _actuals(ctx: DemoContext, rng: np.random.Generator, nq: int) -> dict[str, Arr]:
    """Per staff member (row = staff id − 1) and quarter, the actual of every indicator (NaN: none).

    Customer managers are measured on their own loans, customers, applications and respondents.
    Sales consultants hold no portfolio: they get their branch's per-head amount and customers
    (scaled by their quality) and their branch's rates. The market share (everyone's: their
    branch's) is filled in later, by ``_market_share``, once the market is known.
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
            "portfolio_overdue_rate": 100 * b_bad[bi] / b_count[bi],
        }
    for code, values in proxy.items():
        own[code][consultant] = values
    for code in ("service_attitude", "teamwork", "innovation"):
        own[code] = np.clip(
            np.round(75 + 8 * quality[:, None] + rng.normal(0, 6, (ns, nq))), 40, 100
        )
    return own


def _next_market(ctx: DemoContext, rng: np.random.Generator) -> dict[str, Arr]:
    """The ``market_sizes`` rows the next step of this random stream (``after_market.add_market``,
    see ``aftercare.team_and_market``) will add, drawn from a copy of the stream on a copy of the
    context: nothing is added here, and the stream is left as it is."""
    from loanpilot.demo.after_market import add_market

    preview = dataclasses.replace(ctx, tables=dict(ctx.tables), latent=dict(ctx.latent))
    add_market(preview, copy.deepcopy(rng))
    return preview.tables["market_sizes"]


def _market_share(ctx: DemoContext, market: dict[str, Arr], nq: int) -> Arr:
    """Per branch (row = branch id − 1) and quarter, the KPI suite's ``market_share`` by branch in
    per cent to 4 places, as the appraisal engine takes it (NaN: no value).

    The branch's outstanding principal in the quarter's last snapshot, over the product lines and
    provinces with a market row of the quarter, ÷ the market balance of all lines of its province
    that quarter (``kpis_market.market_share_rows``); a branch without any such snapshot row has no
    value. Rounded half-even like ``Decimal.quantize``, in integers so that it is exact.
    """
    quarters = [q[0] for q in window_quarters(ctx)]
    nb = ctx.count("branches")
    province = np.asarray(ctx.tables["branches"]["province"], dtype=object)
    regions = sorted(set(province) | set(market["region"]))
    region_of = {r: k for k, r in enumerate(regions)}
    b_region = np.array([region_of[r] for r in province], dtype=np.int64)
    # market: (region, quarter) → balance of all its lines, and which (line, region, quarter) exist
    m_q = np.array([quarters.index(p) if p in quarters else -1 for p in market["period"]])
    m_r = np.array([region_of[r] for r in market["region"]], dtype=np.int64)
    m_fen = np.asarray(market["total_balance_fen"], dtype=np.int64)
    ok = m_q >= 0
    total = np.zeros((len(regions), nq), dtype=np.int64)
    np.add.at(total, (m_r[ok], m_q[ok]), m_fen[ok])
    lines = np.asarray(market["product_line"], dtype=object)[ok]
    has_row = {(str(x), int(r), int(q)) for x, r, q in zip(lines, m_r[ok], m_q[ok], strict=True)}
    # our side: the snapshot of each quarter's last snapshot day
    loans = loan_view(ctx, top_only=False)  # row = loan id − 1
    snaps = ctx.tables["delinquency_snapshots"]
    s_day = np.asarray(snaps["as_of"], dtype="M8[D]")
    sq = quarter_index(s_day, ctx)
    last = np.array([s_day[sq == k].max() if (sq == k).any() else NAT_D for k in range(nq)])
    on_last = (sq >= 0) & (sq < nq) & (s_day == last[np.clip(sq, 0, nq - 1)])
    rows = np.flatnonzero(on_last)
    sl = fk_ids(snaps["loan_id"])[rows] - 1
    s_branch = loans["branch"][sl]
    s_q = sq[rows]
    counted = np.array(
        [
            b > 0 and (str(line), int(b_region[b - 1]), int(q)) in has_row
            for line, b, q in zip(loans["ptype"][sl], s_branch, s_q, strict=True)
        ],
        dtype=bool,
    )
    fen = np.zeros((nb, nq), dtype=np.int64)
    seen = np.zeros((nb, nq), dtype=bool)
    balance = np.asarray(snaps["outstanding_principal_fen"], dtype=np.int64)[rows]
    np.add.at(fen, (s_branch[counted] - 1, s_q[counted]), balance[counted])
    seen[s_branch[counted] - 1, s_q[counted]] = True
    den = total[b_region]  # (nb, nq)
    out: Arr = np.full((nb, nq), np.nan)
    for b, q in zip(*np.nonzero(seen & (den > 0)), strict=True):
        # per cent to 4 places: fen ÷ den × 100 × 10⁴, rounded half-even (Python integers: exact)
        d = int(den[b, q])
        quo, rem = divmod(int(fen[b, q]) * 1_000_000, d)
        quo += 2 * rem > d or (2 * rem == d and quo % 2 == 1)
        out[b, q] = quo / 1e4
    return out


def _score(actual: Arr, target: float | None, curve: dict[str, Any]) -> Arr:
    lo, hi = curve["floor"], curve["cap"]
    if curve["type"] == "rating" or not target:
        raw = actual
    elif curve["type"] == "linear_inverse":
        raw = (2.0 - actual / target) * 100
    else:
        raw = actual / target * 100
    return np.where(np.isnan(actual), MISSING_SCORE, np.round(np.clip(raw, lo, hi), 2))


def _share_score(actual: Arr, target: float | None, curve: dict[str, Any]) -> Arr:
    """``_score`` of the market share, exactly as the engine's: the actual has 4 places and the
    target 2, so the points (actual ÷ target × 100) are rounded half-up to 0.01 in integers."""
    if not target:
        return _score(actual, target, curve)
    have = ~np.isnan(actual)
    a = np.round(np.where(have, actual, 0) * 10_000).astype(np.int64)
    t = round(target * 100)
    cents = np.clip((200 * a + t) // (2 * t), 100 * curve["floor"], 100 * curve["cap"])
    return np.where(have, cents / 100, MISSING_SCORE)


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
    # the days after a quarter's end its run took place, per plan (role, then quarter), drawn here
    # so that the stream is left as the market step will find it
    run_after = [int(rng.integers(3, 9)) for _ in SALES_ROLES for _ in quarters]
    share = _market_share(ctx, _next_market(ctx, rng), nq)
    actual["territory_market_share"] = np.where(
        branch[:, None] > 0, share[np.maximum(branch, 1) - 1], np.nan
    )
    days_in = np.array(
        [(q[2] - max(q[1], ctx.start64)).astype(int) + 1 for q in quarters], dtype=float
    )
    now = local_to_utc(np.array([ctx.as_of64]), np.array([24.0]))[0]
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
                    # a stock: AMBITION × the median share (of the role's branches) a quarter
                    # before; the median, as a few branches alone in a province hold large shares
                    prior = actual[code][members, ref_q]
                    typical = float(np.nanmedian(prior)) if np.isfinite(prior).any() else 0.0
                    target = max(round(typical * AMBITION, 2), 0.01)
                else:
                    per_day = (
                        np.nanmean(actual[code][members, ref_q]) / days_in[ref_q]
                        if members.size
                        else 0.0
                    )
                    digits = 1 if code == "disbursed_amount" else 0
                    target = max(
                        round(float(per_day * days_in[qi] * AMBITION), digits), 10.0**-digits
                    )
                targets.append(target)
                for key, value in zip(
                    ind, (plan_id, code, name, kind, weight, target, hib, curve), strict=True
                ):
                    ind[key].append(value)
            run_day = q_end + np.timedelta64(run_after[plan_id - 1], "D")
            run_at = local_to_utc(np.array([run_day]), np.array([10.0]))[0]
            who = members[hired[members] <= q_end]
            if not ended or run_at > now or who.size == 0:
                continue
            runs.append((plan_id, run_at))
            m = who.size
            scores = np.column_stack(
                [
                    (_share_score if c[0] == "territory_market_share" else _score)(
                        actual[c[0]][who, qi], t, c[5]
                    )
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
