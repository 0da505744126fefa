"""Demo step: collections and alerts. Collection cases open a few days after a loan's first missed
instalment (or on a lapse of more than a week) and climb a ladder of actions (SMS, phone, letter,
visit, legal notice, lawsuit) until cured, settled or written off; risk officers downgrade some
delinquent loans by hand (``delinquency.add_overrides``); and the bank raises early-warning alerts
on branch overdue rates and LPR changes."""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo import reference as ref
from loanpilot.demo.context import NAT_D, NAT_US, DemoContext, local_to_utc, nullable, pick, zfill
from loanpilot.demo.delinquency import add_overrides


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
    add_overrides(ctx, rng, idx)
    _alerts(ctx, rng)


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
