"""Demo step parts of ``customers``: each customer's bureau summary (from a latent credit
behaviour), deposits, wealth and card, the consents they gave and withdrew, their channel
identities, and their customer-manager assignments over time."""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.demo.context import DemoContext, by_key, local_to_utc, pick, zfill


def add_bureau_and_cards(
    ctx: DemoContext,
    rng: np.random.Generator,
    income_fen: np.ndarray[Any, Any],
    age: np.ndarray[Any, Any],
    occupation: np.ndarray[Any, Any],
    owns_home: np.ndarray[Any, Any],
) -> None:
    """Bureau reports and month-end financials (deposits, wealth, card) of every customer."""
    n = len(age)
    ids = ctx.tables["customers"]["id"]
    # a latent credit behaviour: riskier people miss payments, shop for credit and max their cards
    behaviour = rng.normal(0, 1, n) + by_key(
        occupation, {"freelancer": 0.3, "self_employed": 0.2, "student": 0.3, "civil_servant": -0.4}
    )
    history = np.clip((age - 18) * 12 * rng.uniform(0.2, 1.0, n), 0, 480).astype(np.int64)
    open_accounts = rng.poisson(1.2 + np.log1p(income_fen / 1_000_000)).astype(np.int64)
    mortgage = owns_home & (age < 60) & (rng.random(n) < 0.55)
    debt = (
        np.where(mortgage, rng.uniform(300_000, 2_500_000, n) * 100, 0)
        + open_accounts * rng.uniform(0, 60_000, n) * 100
    )
    debt_payment = np.where(mortgage, debt * 0.0055, debt * 0.03).astype(np.int64)
    delinquent = rng.poisson(np.exp(behaviour - 2.2)).astype(np.int64)
    max_dpd = np.where(
        delinquent > 0,
        pick(rng, [5, 15, 25, 45, 75, 120], n, [0.3, 0.25, 0.15, 0.15, 0.1, 0.05]),
        0,
    )
    inquiries = rng.poisson(np.exp(0.3 * behaviour - 0.2)).astype(np.int64)
    current_overdue = (delinquent > 0) & (rng.random(n) < 0.15)
    score = np.clip(
        np.round(720 - 60 * behaviour - 25 * delinquent + history / 12 + rng.normal(0, 20, n)),
        350,
        950,
    )
    util = np.clip(0.25 + 0.18 * behaviour + rng.normal(0, 0.15, n), 0.0, 1.0)
    ctx.add(
        "bureau_reports",
        {
            "id": ids.copy(),
            "customer_id": ids,
            "as_of": ctx.as_of64 - rng.integers(0, 60, n).astype("m8[D]"),
            "bureau_score": score.astype(np.int64),
            "credit_history_months": history,
            "open_accounts": open_accounts,
            "total_debt_fen": debt.astype(np.int64),
            "monthly_debt_payment_fen": debt_payment,
            "delinquent_accounts": delinquent,
            "max_dpd_24m": max_dpd.astype(np.int64),
            "current_overdue": current_overdue,
            "inquiries_6m": inquiries,
        },
    )
    month_end = (np.datetime64(ctx.as_of, "M")).astype("M8[D]") - np.timedelta64(1, "D")
    deposit = (income_fen * rng.lognormal(0.8, 1.0, n)).astype(np.int64)
    has_card = rng.random(n) < np.where(occupation == "student", 0.35, 0.7)
    limit = np.where(
        has_card, np.round(income_fen * rng.uniform(1.5, 4.0, n) / 100_000) * 100_000, 0
    ).astype(np.int64)
    ctx.add(
        "customer_financials",
        {
            "id": ids.copy(),
            "customer_id": ids,
            "as_of": np.full(n, month_end),
            "deposit_balance_fen": deposit,
            "avg_deposit_6m_fen": (deposit * rng.uniform(0.8, 1.2, n)).astype(np.int64),
            "wealth_balance_fen": np.where(
                rng.random(n) < 0.25, deposit * rng.uniform(0.5, 6.0, n), 0
            ).astype(np.int64),
            "salary_account": np.isin(occupation, ["civil_servant", "company_employee"])
            & (rng.random(n) < 0.45),
            "card_limit_fen": limit,
            "card_utilisation": np.where(has_card, np.round(util, 4), 0.0),
            "card_spend_monthly_fen": (limit * util * rng.uniform(0.3, 0.9, n)).astype(np.int64),
            "card_late_payments_12m": np.where(
                has_card, rng.poisson(np.exp(behaviour - 1.8)), 0
            ).astype(np.int64),
        },
    )
    ctx.latent["card_utilisation"] = np.where(has_card, util, 0.0)


def add_consents_links_assignments(
    ctx: DemoContext,
    rng: np.random.Generator,
    consent: np.ndarray[Any, Any],
    opt_out: np.ndarray[Any, Any],
    opt_out_day: np.ndarray[Any, Any],
    source: np.ndarray[Any, Any],
    manager: np.ndarray[Any, Any],
    since: np.ndarray[Any, Any],
) -> None:
    """Consents (granted and withdrawn), channel links and customer-manager assignments."""
    ids = ctx.tables["customers"]["id"]
    n = len(ids)
    at = local_to_utc(since, rng.uniform(9, 18, n))
    # data processing + credit inquiry for everyone; marketing as granted; withdrawals for opt-outs
    cid = np.concatenate([ids, ids, ids[consent], ids[opt_out]])
    kind = np.concatenate(
        [
            np.full(n, "data_processing"),
            np.full(n, "credit_inquiry"),
            np.full(int(consent.sum()), "marketing"),
            np.full(int(opt_out.sum()), "marketing"),
        ]
    )
    granted = np.concatenate(
        [np.ones(2 * n + int(consent.sum()), dtype=bool), np.zeros(int(opt_out.sum()), dtype=bool)]
    )
    when = np.concatenate(
        [
            at,
            at,
            at[consent],
            local_to_utc(opt_out_day[opt_out], rng.uniform(8, 21, int(opt_out.sum()))),
        ]
    )
    channel = np.concatenate(
        [
            source,
            source,
            source[consent],
            pick(rng, ["mobile", "call_center", "branch", "sms"], int(opt_out.sum())),
        ]
    )
    channel = np.where(channel == "referral", "branch", channel)
    ctx.add(
        "consents",
        {
            "id": np.arange(1, len(cid) + 1),
            "customer_id": cid,
            "kind": kind.astype(object),
            "granted": granted,
            "at": when,
            "channel": channel.astype(object),
            "text_version": np.full(len(cid), "v1", dtype=object),
        },
    )
    second = rng.random(n) < 0.3
    link_cid = np.concatenate([ids, ids[second]])
    link_channel = np.concatenate(
        [source, pick(rng, ["mobile", "online", "wechat"], int(second.sum()))]
    )
    link_at = np.concatenate(
        [at, at[second] + rng.integers(1, 900, int(second.sum())).astype("m8[D]").astype("m8[us]")]
    )
    link_at = np.minimum(
        link_at, local_to_utc(np.full(len(link_at), ctx.as_of64), np.full(len(link_at), 20.0))
    )
    ctx.add(
        "customer_channel_links",
        {
            "id": np.arange(1, len(link_cid) + 1),
            "customer_id": link_cid,
            "channel": link_channel.astype(object),
            "external_ref": np.char.add(
                "X", zfill(np.arange(1, len(link_cid) + 1).astype("U10"), 10)
            ).astype(object),
            "first_seen_at": link_at,
        },
    )
    has_mgr = np.array([m is not None for m in manager])
    staff = ctx.tables["staff"]
    hired = staff["hired_on"][np.asarray(manager[has_mgr], dtype=np.int64) - 1]
    start = np.maximum(since[has_mgr], hired)
    reassigned = rng.random(int(has_mgr.sum())) < 0.12
    cm_ids = staff["id"][np.isin(staff["role"], ["customer_manager", "senior_customer_manager"])]
    prev_mgr = pick(rng, cm_ids, int(reassigned.sum()))
    prev_start = start[reassigned] - rng.integers(200, 900, int(reassigned.sum())).astype("m8[D]")
    a_cid = np.concatenate([ids[has_mgr][reassigned], ids[has_mgr]])
    a_staff = np.concatenate([prev_mgr, np.asarray(manager[has_mgr], dtype=np.int64)])
    a_start = np.concatenate([prev_start, start])
    a_end = np.concatenate(
        [start[reassigned], np.full(int(has_mgr.sum()), np.datetime64("NaT", "D"))]
    )
    a_reason = np.concatenate(
        [np.full(int(reassigned.sum()), "客户经理岗位调整"), np.full(int(has_mgr.sum()), "")]
    ).astype(object)
    a_reason[a_reason == ""] = None
    ctx.add(
        "portfolio_assignments",
        {
            "id": np.arange(1, len(a_cid) + 1),
            "customer_id": a_cid,
            "staff_id": a_staff,
            "start_on": a_start,
            "end_on": a_end,
            "reason": a_reason,
        },
    )
