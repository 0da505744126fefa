"""Importing disbursed loans, with their repayment schedules.

A loan is identified by its loan number (借据号); one already in the database is unchanged. The
customer is found by ID number (blind index) or customer number, and must exist. On insert the
schedule is computed with ``analytics.finance`` (``schedule_batch``, ``due_dates``) and the APR
by IRR (``apr_batch``, with the product's upfront fee). The rate basis comes from the product: a
fixed-rate loan stores its rate as the spread over 0; an LPR-priced loan stores the LPR in force
on the disbursement date (from ``lpr_rates``, 0 when the table has none) and the rest as spread;
a provident-fund loan stores its rate as the base rate.

When the file gives an outstanding principal below the principal, the difference is taken as
repaid in schedule order: instalments whose principal it covers in full are marked settled on
their due date (or today, if that is later) with their interest and fee paid, and the next
instalment gets the part-payment of principal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from loanpilot.analytics.finance import (
    MAX_MONTHLY_FEE_RATE,
    MAX_PRINCIPAL_FEN,
    MAX_TERM_MONTHS,
    apr_batch,
    due_dates,
    schedule_batch,
)
from loanpilot.db.bulk import bulk_insert, max_id
from loanpilot.imports import repository as repo
from loanpilot.imports.context import ImportContext, Outcome
from loanpilot.imports.labels import CHANNELS, REPAYMENT_METHODS
from loanpilot.imports.mapping import FieldSpec
from loanpilot.imports.parsing import (
    Mask,
    day64,
    empty,
    first_of_duplicates,
    lookup,
    parse_amounts,
    parse_choices,
    parse_dates,
    parse_ints,
    parse_rates,
    present,
)
from loanpilot.kit.ids import validate_resident_ids

KIND = "loans"
LEGAL_RATE_CAP = 0.36
"""Annual rates at or above 36 % are not protected by the courts: refused outright."""
ID_ALIASES = ("证件号码", "身份证号", "身份证号码", "身份证", "证件号", "借款人证件号码")
LOAN_NO_ALIASES = ("借据号", "借据编号", "贷款编号", "贷款账号", "贷款号", "贷款借据号")
FIELDS = (
    FieldSpec("loan_no", LOAN_NO_ALIASES, required=True),
    FieldSpec("id_number", ID_ALIASES, personal="id"),
    FieldSpec("customer_no", ("客户号", "客户编号", "客户代码")),
    FieldSpec("product_code", ("产品代码", "产品编号", "产品号", "贷款产品代码"), required=True),
    FieldSpec(
        "branch_code",
        ("所属网点", "网点代码", "网点号", "经办机构", "放款机构", "机构号", "所属机构"),
        required=True,
    ),
    FieldSpec("manager_employee_no", ("客户经理工号", "客户经理", "管户经理工号")),
    FieldSpec(
        "principal",
        ("贷款金额", "放款金额", "借款金额", "合同金额", "发放金额", "本金"),
        required=True,
    ),
    FieldSpec("annual_rate", ("年利率", "执行利率", "执行年利率", "利率"), required=True),
    FieldSpec("monthly_fee_rate", ("月费率", "月手续费率")),
    FieldSpec("term_months", ("期限", "贷款期限", "期数", "借款期限"), required=True),
    FieldSpec("repayment_method", ("还款方式",), required=True),
    FieldSpec("disbursed_on", ("放款日期", "发放日期", "起息日", "放款日"), required=True),
    FieldSpec("outstanding_principal", ("贷款余额", "剩余本金", "本金余额", "余额")),
    FieldSpec("channel", ("渠道", "申请渠道", "来源渠道")),
    FieldSpec("purpose", ("贷款用途", "用途", "借款用途")),
)
ONE_OF = (("id_number", "customer_no"),)
DEFAULT_CHANNEL = "branch"


def run(ctx: ImportContext) -> Outcome:
    ctx.report("validate", 0, 1)
    cols = _validate(ctx)
    ctx.report("validate", 1, 1)
    return _write(ctx, cols)


def _validate(ctx: ImportContext) -> dict[str, Any]:
    log = ctx.log
    cols: dict[str, Any] = {}

    loan_no = ctx.text("loan_no")
    check = log.check("loan_no", loan_no)
    check.fail(empty(loan_no), "is required")
    check.fail(np.strings.str_len(loan_no) > 24, "is longer than 24 characters")
    first = first_of_duplicates(loan_no, ~empty(loan_no))
    check.fail(first >= 0, _duplicate_reasons(ctx, first))
    cols["loan_no"] = loan_no.astype(object)

    cols["customer_id"] = _customer_ids(ctx)

    products = repo.products(ctx.conn)
    code = ctx.text("product_code")
    product_ids, found = lookup(code, {k: v.id for k, v in products.items()})
    check = log.check("product_code", code)
    check.fail(empty(code), "is required")
    check.fail(~found, "is not a product code in the database")
    cols["product_id"] = product_ids
    by_id = {p.id: p for p in products.values()}
    product = np.array([by_id.get(int(i)) for i in product_ids.tolist()], dtype=object)

    branches = repo.branches(ctx.conn)
    branch = ctx.text("branch_code")
    branch_ids, found = lookup(branch, {k: v.id for k, v in branches.items()})
    check = log.check("branch_code", branch)
    check.fail(empty(branch), "is required")
    check.fail(~found, "is not a branch code in the database")
    cols["branch_id"] = branch_ids

    manager = ctx.text("manager_employee_no")
    manager_ids, found = lookup(
        manager, repo.staff(ctx.conn) if ctx.has("manager_employee_no") else {}
    )
    given = ~empty(manager)
    log.check("manager_employee_no", manager).fail(
        given & ~found, "is not an employee number in the database"
    )
    manager_col = manager_ids.astype(object)
    manager_col[~(given & found)] = None
    cols["manager_id"] = manager_col

    principal = ctx.text("principal")
    parsed = parse_amounts(principal, ctx.unit("principal"))
    check = log.check("principal", principal)
    check.fail(empty(principal), "is required")
    check.fail(parsed.bad, parsed.reasons)
    check.fail(parsed.values <= 0, "must be more than 0")
    check.fail(parsed.values > MAX_PRINCIPAL_FEN, "is too large")
    cols["principal_fen"] = parsed.values

    _validate_terms(ctx, cols, product)
    _validate_dates_and_balance(ctx, cols)

    channel = ctx.text("channel")
    choice = parse_choices(channel, CHANNELS)
    log.check("channel", channel).fail(
        ~empty(channel) & choice.bad, f"is not one of: {', '.join(sorted(set(CHANNELS.values())))}"
    )
    channel_col = np.asarray(choice.values, dtype=object)
    channel_col[empty(channel)] = DEFAULT_CHANNEL
    cols["channel"] = channel_col

    purpose = ctx.text("purpose")
    log.check("purpose", purpose).fail(
        np.strings.str_len(purpose) > 100, "is longer than 100 characters"
    )
    purpose_col = purpose.astype(object)
    purpose_col[empty(purpose)] = None
    cols["purpose"] = purpose_col
    cols["_product"] = product
    return cols


def _duplicate_reasons(ctx: ImportContext, first: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    reasons = np.full(ctx.n, None, dtype=object)
    dup = first >= 0
    reasons[dup] = [f"duplicate of row {r}" for r in ctx.table.rows[first[dup]].tolist()]
    return reasons


def _customer_ids(ctx: ImportContext) -> npt.NDArray[np.int64]:
    """The customer of each row, by ID number (blind index) and/or customer number."""
    log, n = ctx.log, ctx.n
    out = np.full(n, -1, dtype=np.int64)
    raw = ctx.text("id_number")
    ids = np.strings.upper(raw)
    by_id = ~empty(ids)
    if by_id.any():
        ok, reasons = validate_resident_ids(ids, ctx.today)
        check = log.check("id_number", raw)
        check.fail(by_id & ~ok, reasons)
        rows = np.flatnonzero(by_id & ok)
        hashes = ctx.cipher.blind_index_many(ids[rows].astype(object), "id_number")
        known = repo.customers_by_hash(ctx.conn, hashes)
        out[rows] = [known.get(h, -1) for h in hashes]
        check.fail(
            by_id & ok & (out < 0), "no customer with this ID number: import customers first"
        )
    number = ctx.text("customer_no")
    by_no = ~empty(number)
    if by_no.any():
        rows = np.flatnonzero(by_no)
        known_no = repo.customers_by_no(ctx.conn, number[rows].astype(object).tolist())
        found = np.array([known_no.get(str(v), -1) for v in number[rows].tolist()], dtype=np.int64)
        check = log.check("customer_no", number)
        missing = np.zeros(n, dtype=bool)
        missing[rows[found < 0]] = True
        check.fail(missing, "no customer with this customer number: import customers first")
        clash = np.zeros(n, dtype=bool)
        clash[rows] = (found >= 0) & (out[rows] >= 0) & (found != out[rows])
        check.fail(clash, "belongs to another customer than the ID number of this row")
        take = rows[(found >= 0) & (out[rows] < 0)]
        out[take] = found[(found >= 0) & (out[rows] < 0)]
    neither = ~by_id & ~by_no
    log.check("id_number", raw).fail(neither, "is required (or give customer_no)")
    return out


def _validate_terms(ctx: ImportContext, cols: dict[str, Any], product: npt.NDArray[Any]) -> None:
    log, n = ctx.log, ctx.n
    has_product = present(product)

    rate = ctx.text("annual_rate")
    parsed = parse_rates(rate, percent=ctx.unit("annual_rate") == "percent")
    check = log.check("annual_rate", rate)
    check.fail(empty(rate), "is required")
    check.fail(parsed.bad, parsed.reasons)
    check.fail(
        (parsed.values <= 0) | (parsed.values >= LEGAL_RATE_CAP),
        "must be above 0% and below 36% a year (the legal cap)",
    )
    cols["annual_rate"] = parsed.values

    fee = ctx.text("monthly_fee_rate")
    parsed_fee = parse_rates(fee, percent=ctx.unit("monthly_fee_rate") == "percent")
    given = ~empty(fee)
    check = log.check("monthly_fee_rate", fee)
    check.fail(given & parsed_fee.bad, parsed_fee.reasons)
    check.fail(
        given & ((parsed_fee.values < 0) | (parsed_fee.values > MAX_MONTHLY_FEE_RATE)),
        f"must be between 0% and {MAX_MONTHLY_FEE_RATE:.0%} a month",
    )
    default_fee = np.array(
        [float(p.monthly_fee_rate) if p is not None else 0.0 for p in product], dtype=np.float64
    )
    cols["monthly_fee_rate"] = np.where(given, parsed_fee.values, default_fee)

    term = ctx.text("term_months")
    parsed_term = parse_ints(term, suffixes=("个月", "期", "月"))
    low = np.array([p.min_term_months if p is not None else 1 for p in product], dtype=np.int64)
    high = np.array(
        [p.max_term_months if p is not None else MAX_TERM_MONTHS for p in product], dtype=np.int64
    )
    check = log.check("term_months", term)
    check.fail(empty(term), "is required")
    check.fail(parsed_term.bad, parsed_term.reasons)
    check.fail(
        (parsed_term.values < 1) | (parsed_term.values > MAX_TERM_MONTHS),
        f"must be between 1 and {MAX_TERM_MONTHS} months",
    )
    outside = has_product & ((parsed_term.values < low) | (parsed_term.values > high))
    reasons = np.full(n, None, dtype=object)
    rows = np.flatnonzero(outside)
    reasons[rows] = [
        f"must be between {lo} and {hi} months for product {p.code}"
        for lo, hi, p in zip(low[rows].tolist(), high[rows].tolist(), product[rows], strict=True)
    ]
    check.fail(outside, reasons)
    cols["term_months"] = parsed_term.values

    method = ctx.text("repayment_method")
    choice = parse_choices(method, REPAYMENT_METHODS)
    check = log.check("repayment_method", method)
    check.fail(empty(method), "is required")
    check.fail(
        choice.bad, "is not a repayment method: use 等额本息, 等额本金, 先息后本 or 一次性还本付息"
    )
    offered = np.array(
        [
            p is None or not p.repayment_methods or m in p.repayment_methods
            for p, m in zip(product, choice.values, strict=True)
        ],
        dtype=bool,
    )
    reasons = np.full(n, None, dtype=object)
    rows = np.flatnonzero(~offered)
    reasons[rows] = [f"is not offered by product {product[i].code}" for i in rows.tolist()]
    check.fail(~offered, reasons)
    cols["repayment_method"] = choice.values


def _validate_dates_and_balance(ctx: ImportContext, cols: dict[str, Any]) -> None:
    log = ctx.log
    day = ctx.text("disbursed_on")
    parsed = parse_dates(day)
    check = log.check("disbursed_on", day)
    check.fail(empty(day), "is required")
    check.fail(parsed.bad, parsed.reasons)
    check.fail(parsed.values > day64(ctx.today), "is in the future")
    cols["disbursed_on"] = parsed.values

    outstanding = ctx.text("outstanding_principal")
    amounts = parse_amounts(outstanding, ctx.unit("outstanding_principal"))
    given = ~empty(outstanding)
    check = log.check("outstanding_principal", outstanding)
    check.fail(given & amounts.bad, amounts.reasons)
    check.fail(given & (amounts.values < 0), "must not be negative")
    check.fail(given & (amounts.values > cols["principal_fen"]), "is more than the principal")
    cols["outstanding_principal_fen"] = np.where(given, amounts.values, cols["principal_fen"])


# --- writing ------------------------------------------------------------------------------------


def _write(ctx: ImportContext, cols: dict[str, Any]) -> Outcome:
    candidates = np.flatnonzero(~ctx.log.bad)
    numbers = cols["loan_no"][candidates]
    known = repo.existing_loan_nos(ctx.conn, numbers.tolist())
    existing = np.array([n in known for n in numbers.tolist()], dtype=bool)
    new = candidates[~existing]
    if new.size == 0:
        return Outcome(inserted=0, unchanged=int(existing.sum()))
    pick = {k: v[new] for k, v in cols.items()}
    product = pick.pop("_product")
    principal = pick["principal_fen"]
    sched = schedule_batch(
        principal,
        pick["annual_rate"],
        pick["term_months"],
        pick["repayment_method"].astype(str),
        pick["monthly_fee_rate"],
    )
    li = sched.loan_index
    disbursed = pick["disbursed_on"]
    due = due_dates(disbursed[li], sched.month)
    upfront = np.array([float(p.upfront_fee_rate) for p in product], dtype=np.float64)
    upfront_fen = np.floor(principal * upfront + 0.5).astype(np.int64)
    apr = np.round(apr_batch(sched, principal, upfront_fen), 6)
    firsts = np.searchsorted(li, np.arange(len(new)))
    lasts = np.searchsorted(li, np.arange(len(new)), side="right") - 1
    basis, base_rate = _rate_basis(ctx, product, disbursed, pick["annual_rate"])
    start = max_id(ctx.conn, repo.loans_t) + 1
    pk = np.arange(start, start + len(new), dtype=np.int64)
    settled = pick["outstanding_principal_fen"] == 0
    loan_columns = {
        "id": pk,
        "loan_no": pick["loan_no"],
        "customer_id": pick["customer_id"],
        "product_id": pick["product_id"],
        "branch_id": pick["branch_id"],
        "manager_id": pick["manager_id"],
        "channel": pick["channel"],
        "principal_fen": principal,
        "rate_basis": basis,
        "base_rate": base_rate,
        "spread": np.round(pick["annual_rate"] - base_rate, 8),
        "annual_rate": pick["annual_rate"],
        "monthly_fee_rate": pick["monthly_fee_rate"],
        "apr": apr,
        "term_months": pick["term_months"],
        "repayment_method": pick["repayment_method"],
        "purpose": pick["purpose"],
        "disbursed_on": disbursed,
        "first_due_on": due[firsts],
        "maturity_on": due[lasts],
        "status": np.where(settled, "settled", "repaying").astype(object),
        "outstanding_principal_fen": pick["outstanding_principal_fen"],
        "written_off_fen": np.zeros(len(new), dtype=np.int64),
        "settled_on": np.full(len(new), np.datetime64("NaT"), dtype="datetime64[D]"),
        "dpd": np.zeros(len(new), dtype=np.int64),
        "five_class": np.full(len(new), "normal", dtype=object),
    }
    ctx.report("write", 0, 2)
    bulk_insert(ctx.conn, repo.loans_t, loan_columns)
    lines = _schedule_columns(ctx, sched, pk, due, principal - pick["outstanding_principal_fen"])
    ctx.report("write", 1, 2)
    bulk_insert(ctx.conn, repo.schedules_t, lines)
    ctx.report("write", 2, 2)
    return Outcome(
        inserted=len(new),
        unchanged=int(existing.sum()),
        written={"loans": len(new), "repayment_schedules": len(li)},
    )


def _rate_basis(
    ctx: ImportContext,
    product: npt.NDArray[Any],
    disbursed: npt.NDArray[np.datetime64],
    rate: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
    basis = np.array([p.rate_basis for p in product], dtype=object)
    base = np.zeros(len(product), dtype=np.float64)
    if np.isin(basis, ["lpr_1y", "lpr_5y"]).any():
        history = repo.lpr_history(ctx.conn)
        for name, term in (("lpr_1y", "1y"), ("lpr_5y", "5y")):
            days, rates = history[term]
            rows = np.flatnonzero(basis == name)
            if rows.size and days.size:
                at = np.searchsorted(days, disbursed[rows], side="right") - 1
                base[rows] = np.where(at >= 0, rates[np.maximum(at, 0)], 0.0)
    fund = basis == "provident_fund"
    base[fund] = rate[fund]
    return basis, np.round(base, 8)


def _schedule_columns(
    ctx: ImportContext,
    sched: Any,
    pk: npt.NDArray[np.int64],
    due: npt.NDArray[np.datetime64],
    repaid: npt.NDArray[np.int64],
) -> dict[str, Any]:
    li = sched.loan_index
    principal = np.asarray(sched.principal_fen)
    cum = np.cumsum(principal)
    starts = np.searchsorted(li, np.arange(len(pk)))
    before = cum - principal - (cum[starts] - principal[starts])[li]
    covered = np.clip(repaid[li] - before, 0, principal)
    settled: Mask = (principal > 0) & (covered == principal)
    today = day64(ctx.today)
    settled_on = np.where(settled, np.minimum(due, today), np.datetime64("NaT", "D"))
    start = max_id(ctx.conn, repo.schedules_t) + 1
    m = len(li)
    return {
        "id": np.arange(start, start + m, dtype=np.int64),
        "loan_id": pk[li],
        "version": np.ones(m, dtype=np.int64),
        "period_no": np.asarray(sched.period),
        "due_on": due,
        "opening_principal_fen": np.asarray(sched.opening_principal_fen),
        "principal_fen": principal,
        "interest_fen": np.asarray(sched.interest_fen),
        "fee_fen": np.asarray(sched.fee_fen),
        "paid_principal_fen": covered,
        "paid_interest_fen": np.where(settled, sched.interest_fen, 0),
        "paid_fee_fen": np.where(settled, sched.fee_fen, 0),
        "paid_penalty_fen": np.zeros(m, dtype=np.int64),
        "settled_on": settled_on.astype("datetime64[D]"),
    }
