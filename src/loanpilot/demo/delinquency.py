"""Demo step parts of ``loans`` and ``debt_collection``: the month-end delinquency history of every
open loan (days past due, overdue amounts, the five-category class by rule), and the manual
classification overrides by which risk officers downgrade loans."""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo.context import NAT_D, NAT_US, DemoContext, local_to_utc, pick
from loanpilot.risk.rules import FIVE_CLASSES, dpd_bucket_many, five_class_floor_many


def add_snapshots(
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


def add_overrides(
    ctx: DemoContext, rng: np.random.Generator, delinquent: np.ndarray[Any, Any]
) -> None:
    """Manual downgrades by risk officers of some delinquent open loans; the loans' class and their
    month-end snapshots from the override on follow the override."""
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
