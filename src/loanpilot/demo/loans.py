"""Demo step: disbursed applications become loans (a combination loan becomes a commercial and a
provident-fund sub-loan), with repayment schedules and APRs, repayments drawn from the true default
model (default, cure, prepayment, ordinary late payments), penalty interest, write-offs and the
five-category class at the as-of date; then the month-end delinquency history (``delinquency``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from loanpilot.analytics.finance import apr_batch, due_dates, schedule_batch
from loanpilot.demo.context import NAT_D, NAT_US, DemoContext, pick, utc_to_local_date, zfill
from loanpilot.demo.delinquency import add_snapshots
from loanpilot.demo.lending import fund_rates, product_arrays
from loanpilot.risk.rules import five_class_floor_many

PENALTY_UPLIFT = 1.5  # penalty interest = contract rate × 1.5 on overdue amounts
#: A loan is 30+ / 90+ past due from these days past due on (more than 30 / 90 days)
DPD30, DPD90 = 31, 91


def dpd_history(
    li: np.ndarray[Any, Any],
    due: np.ndarray[Any, Any],
    pay_date: np.ndarray[Any, Any],
    n: int,
    as_of: np.datetime64,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Per loan, from its instalments' due and payment days up to ``as_of``: the worst DPD reached
    at any close, and the first days it was 30+ and 90+ past due (NaT if never).

    As the daily close counts it, an instalment is overdue at the close of day ``t`` when
    ``due <= t`` and it is not paid by ``t``; the loan's DPD is ``t`` minus the oldest overdue due
    day. So an instalment paid on ``pay`` adds DPD up to ``pay - 1 - due`` (to ``as_of - due`` if
    unpaid), and the loan is first ``d``+ days past due on the least ``due + d`` among the
    instalments that stayed overdue that long."""
    as_of_i = as_of.astype(np.int64)
    due_i = due.astype(np.int64)
    end = np.where(np.isnat(pay_date), as_of_i, np.minimum(pay_date.astype(np.int64) - 1, as_of_i))
    span = end - due_i
    max_dpd = np.zeros(n, dtype=np.int64)
    np.maximum.at(max_dpd, li, np.maximum(span, 0))
    big = np.iinfo(np.int64).max
    firsts = []
    for days in (DPD30, DPD90):
        first = np.full(n, big)
        hit = span >= days
        np.minimum.at(first, li[hit], due_i[hit] + days)
        firsts.append(np.where(first < big, first, np.iinfo(np.int64).min).astype("M8[D]"))
    return max_dpd, firsts[0], firsts[1]


def loans(ctx: DemoContext) -> None:
    """Disbursed applications become loans (a combination loan becomes two sub-loans), with
    schedules, repayments drawn from the true PD, and month-end delinquency snapshots."""
    rng = ctx.rng("loans")
    apps = ctx.tables["applications"]
    lat = ctx.latent["app"]
    prod = product_arrays(ctx)
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
    pf_rate = fund_rates(d_day, term)
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
        (dpd > 360) & ~cure & (rng.random(n) < 0.9) & (writeoff_day <= ctx.as_of64.astype(np.int64))
    )
    status = np.where(settled, "settled", np.where(written_off, "written_off", "repaying")).astype(
        object
    )
    written_off_fen = np.where(written_off, outstanding, 0)
    five = five_class_floor_many(np.where(written_off, 9999, dpd), technical)
    max_dpd, first_dpd30, first_dpd90 = dpd_history(li, due, pay_date, n, ctx.as_of64)
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
            "max_dpd": max_dpd,
            "first_dpd30_on": first_dpd30,
            "first_dpd90_on": first_dpd90,
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
            # the penalty accrued on a late line up to the day it was paid, all of it paid
            "penalty_fen": penalty,
            "penalty_accrued_on": np.where(penalty > 0, pay_date, NAT_D),
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
    add_snapshots(
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
