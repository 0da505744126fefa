"""Shared helpers of the after-sales and team demo steps (``aftercare`` and the ``after_*`` modules):
foreign-key columns, keyed lookups, random picks within groups, the quarters of the history window
and a view of the loans with the columns these steps use."""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo.context import HOUR, DemoContext, by_key, nullable

Arr = np.ndarray[Any, Any]
NULL = np.array(None, dtype=object)  # a 0-d None for np.where / np.equal
SALES_ROLES = ("customer_manager", "senior_customer_manager", "sales_consultant")
MANAGER_ROLES = ("customer_manager", "senior_customer_manager")

#: Decision targets in hours by product type (as the application_to_decision rows of
#: ``after_quality.SLA_HOURS``).
DECISION_SLA = {"consumer": 24.0, "housing": 120.0, "business": 72.0}


def fk_ids(values: Any) -> Arr:
    """Foreign-key column → int64 with 0 for NULL."""
    a = np.asarray(values)
    if a.dtype == object:
        return np.where(np.equal(a, NULL), 0, a).astype(np.int64)
    if a.dtype.kind == "f":
        out: Arr = np.nan_to_num(a, nan=0.0).astype(np.int64)
        return out
    return a.astype(np.int64)


def null_if_zero(ids: Arr) -> Arr:
    """Foreign-key ids → an object column with None for 0."""
    return nullable(ids != 0, ids)


def group_pick(
    rng: np.random.Generator, pool_key: Arr, pool_value: Arr, query: Arr
) -> tuple[Arr, Arr]:
    """For each query key a random pool value with the same key; (values, found)."""
    order = np.argsort(pool_key, kind="stable")
    keys, values = pool_key[order], pool_value[order]
    lo = np.searchsorted(keys, query, "left")
    count = np.searchsorted(keys, query, "right") - lo
    found = count > 0
    pos = lo + np.floor(rng.random(len(query)) * np.maximum(count, 1)).astype(np.int64)
    out = (
        values[np.clip(pos, 0, max(len(values) - 1, 0))]
        if len(values)
        else np.zeros(len(query), dtype=np.int64)
    )
    return np.where(found, out, 0), found


def days_between(rng: np.random.Generator, lo: Arr, hi: Arr) -> Arr:
    span = np.maximum((hi - lo).astype(np.int64) + 1, 1)
    out: Arr = lo + np.floor(rng.random(len(lo)) * span).astype(np.int64).astype("m8[D]")
    return out


def window_quarters(ctx: DemoContext) -> list[tuple[str, np.datetime64, np.datetime64]]:
    """(period like 2026Q3, first day, last day) of every quarter overlapping the window."""
    first = int(ctx.start64.astype("M8[M]").astype(np.int64)) // 3
    last = int(ctx.as_of64.astype("M8[M]").astype(np.int64)) // 3
    out = []
    for q in range(first, last + 1):
        start = (np.datetime64("1970-01", "M") + np.timedelta64(3 * q, "M")).astype("M8[D]")
        end = (np.datetime64("1970-01", "M") + np.timedelta64(3 * q + 3, "M")).astype(
            "M8[D]"
        ) - np.timedelta64(1, "D")
        out.append((f"{1970 + q // 4}Q{q % 4 + 1}", start, end))
    return out


def quarter_index(days: Arr, ctx: DemoContext) -> Arr:
    first = int(ctx.start64.astype("M8[M]").astype(np.int64)) // 3
    return np.asarray(days, dtype="M8[D]").astype("M8[M]").astype(np.int64) // 3 - first


def loan_view(ctx: DemoContext, *, top_only: bool = True) -> dict[str, Arr]:
    """Loans with the columns these steps use; ``top_only`` leaves out the provident-fund part of a
    combination loan (one survey, one ticket per loan), otherwise every loan (amounts, balances)."""
    loans = ctx.tables["loans"]
    parent = fk_ids(loans["parent_loan_id"])
    rows = np.flatnonzero(parent == 0) if top_only else np.arange(len(parent))

    def col(name: str) -> Arr:
        return np.asarray(loans[name])[rows]

    products = ctx.tables["loan_products"]
    pidx = fk_ids(col("product_id")) - 1
    view = {
        "id": fk_ids(col("id")),
        "customer": fk_ids(col("customer_id")),
        "product": pidx + 1,
        "branch": fk_ids(col("branch_id")),
        "manager": fk_ids(col("manager_id")),
        "channel": col("channel").astype(object),
        "principal": np.asarray(col("principal_fen"), dtype=np.int64),
        "disbursed": np.asarray(col("disbursed_on"), dtype="M8[D]"),
        "status": col("status").astype(object),
        "settled": np.asarray(col("settled_on"), dtype="M8[D]"),
        "dpd": np.asarray(col("dpd"), dtype=np.int64),
        "rate": np.asarray(col("annual_rate"), dtype=float),
        "apr": np.asarray(col("apr"), dtype=float),
        "term": np.asarray(col("term_months"), dtype=np.int64),
        "ptype": np.asarray(products["product_type"], dtype=object)[pidx],
        "subtype": np.asarray(products["subtype"], dtype=object)[pidx],
    }
    sla = by_key(view["ptype"], DECISION_SLA, 72.0)
    hours = sla.copy()
    app = fk_ids(col("application_id"))
    apps = ctx.tables.get("applications")
    if apps is not None and (app > 0).any():
        has = np.flatnonzero(app > 0)
        sub = np.asarray(apps["submitted_at"], dtype="M8[us]")[app[has] - 1]
        dec = np.asarray(apps["decided_at"], dtype="M8[us]")[app[has] - 1]
        ok = ~np.isnat(sub) & ~np.isnat(dec)
        hours[has[ok]] = (dec[ok] - sub[ok]) / HOUR
    view["hours"] = hours
    view["log_ratio"] = np.clip(np.log(np.maximum(hours, 0.5) / sla), -2.0, 2.0)
    return view


def staff_ids(ctx: DemoContext, *roles: str) -> Arr:
    staff = ctx.tables["staff"]
    return np.asarray(staff["id"], dtype=np.int64)[np.isin(staff["role"], roles)]
