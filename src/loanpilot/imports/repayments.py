"""Importing posted repayments: insert them, update the schedule lines and the loans' balances.

A repayment is identified by its transaction reference (交易流水号); one already in the database
is unchanged. The loan must already be in the database (not only in the same file).

How a repayment is allocated depends on the file:

* **with a split** (any of the columns principal, interest, fee, penalty): a row's missing parts
  count as 0 and the parts must add up to the amount;
* **without a split**: the amount pays the loan's unpaid instalments oldest first, each one fee,
  then interest, then principal (so an amount larger than what is due pays the next instalments
  in advance). An amount above everything the schedule still has unpaid is rejected.

Either way a repayment whose principal would take the loan's outstanding principal below zero is
rejected, and so is one dated before the disbursement or in the future. Repayments of one loan
are applied in date order (file order on the same day); the schedule lines record what was paid,
a line fully paid is settled on the date of the repayment that completed it, and a loan whose
outstanding principal reaches zero is settled.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from loanpilot.db.bulk import bulk_insert, max_id
from loanpilot.imports import allocation as alloc
from loanpilot.imports import repository as repo
from loanpilot.imports.context import ImportContext, Outcome
from loanpilot.imports.mapping import FieldSpec
from loanpilot.imports.parsing import (
    day64,
    empty,
    first_of_duplicates,
    parse_amounts,
    parse_bools,
    parse_dates,
    present,
)
from loanpilot.lending.models import LoanStatus

KIND = "repayments"
SPLIT = ("principal", "interest", "fee", "penalty")
FIELDS = (
    FieldSpec(
        "txn_ref", ("交易流水号", "流水号", "交易号", "交易参考号", "还款流水号"), required=True
    ),
    FieldSpec("loan_no", ("借据号", "借据编号", "贷款编号", "贷款账号", "贷款号"), required=True),
    FieldSpec("paid_on", ("还款日期", "交易日期", "实还日期", "入账日期"), required=True),
    FieldSpec("amount", ("还款金额", "实还金额", "交易金额", "金额"), required=True),
    FieldSpec("principal", ("本金", "实还本金", "还款本金", "归还本金")),
    FieldSpec("interest", ("利息", "实还利息", "还款利息", "归还利息")),
    FieldSpec("fee", ("费用", "手续费", "实还费用")),
    FieldSpec("penalty", ("罚息", "逾期罚息", "实还罚息")),
    FieldSpec("channel", ("还款渠道", "渠道", "还款方式")),
    FieldSpec("is_prepayment", ("是否提前还款", "提前还款")),
)
DEFAULT_CHANNEL = "import"


def run(ctx: ImportContext) -> Outcome:
    ctx.report("validate", 0, 1)
    cols = _validate(ctx)
    ctx.report("validate", 1, 1)
    return _apply(ctx, cols)


def _validate(ctx: ImportContext) -> dict[str, Any]:
    log, n = ctx.log, ctx.n
    cols: dict[str, Any] = {}

    ref = ctx.text("txn_ref")
    check = log.check("txn_ref", ref)
    check.fail(empty(ref), "is required")
    check.fail(np.strings.str_len(ref) > 40, "is longer than 40 characters")
    first = first_of_duplicates(ref, ~empty(ref))
    dup = first >= 0
    reasons = np.full(n, None, dtype=object)
    reasons[dup] = [f"duplicate of row {r}" for r in ctx.table.rows[first[dup]].tolist()]
    check.fail(dup, reasons)
    cols["txn_ref"] = ref.astype(object)

    number = ctx.text("loan_no")
    loans = repo.loans_by_no(ctx.conn, number[~empty(number)].astype(object).tolist())
    loan = np.array([loans.get(str(v)) for v in number.tolist()], dtype=object)
    found = present(loan)
    check = log.check("loan_no", number)
    check.fail(empty(number), "is required")
    check.fail(~found, "no loan with this number in the database: import loans first")
    cols["_loan"] = loan

    day = ctx.text("paid_on")
    parsed = parse_dates(day)
    disbursed = np.array(
        [x.disbursed_on if x is not None else None for x in loan], dtype="datetime64[D]"
    )
    check = log.check("paid_on", day)
    check.fail(empty(day), "is required")
    check.fail(parsed.bad, parsed.reasons)
    check.fail(parsed.values > day64(ctx.today), "is in the future")
    early = found & (parsed.values < disbursed)
    reasons = np.full(n, None, dtype=object)
    reasons[early] = [
        f"is before the loan was disbursed on {d}" for d in disbursed[early].astype(str).tolist()
    ]
    check.fail(early, reasons)
    cols["paid_on"] = parsed.values

    amount = ctx.text("amount")
    parsed_amount = parse_amounts(amount, ctx.unit("amount"))
    check = log.check("amount", amount)
    check.fail(empty(amount), "is required")
    check.fail(parsed_amount.bad, parsed_amount.reasons)
    check.fail(parsed_amount.values <= 0, "must be more than 0")
    cols["amount_fen"] = parsed_amount.values

    cols["_split"] = any(ctx.has(part) for part in SPLIT)
    if cols["_split"]:
        total = np.zeros(n, dtype=np.int64)
        for part in SPLIT:
            values = ctx.text(part)
            given = ~empty(values)
            parsed_part = parse_amounts(values, ctx.unit(part))
            check = log.check(part, values)
            check.fail(given & parsed_part.bad, parsed_part.reasons)
            check.fail(given & (parsed_part.values < 0), "must not be negative")
            cols[f"{part}_fen"] = np.where(given, parsed_part.values, 0)
            total += cols[f"{part}_fen"]
        mismatch = total != cols["amount_fen"]
        reasons = np.full(n, None, dtype=object)
        rows = np.flatnonzero(mismatch)
        reasons[rows] = [
            f"principal + interest + fee + penalty = {t / 100:.2f}, not the amount {a / 100:.2f}"
            for t, a in zip(total[rows].tolist(), cols["amount_fen"][rows].tolist(), strict=True)
        ]
        log.check("amount", amount).fail(mismatch, reasons)

    channel = ctx.text("channel")
    log.check("channel", channel).fail(
        np.strings.str_len(channel) > 16, "is longer than 16 characters"
    )
    channel_col = channel.astype(object)
    channel_col[empty(channel)] = DEFAULT_CHANNEL
    cols["channel"] = channel_col

    flag = ctx.text("is_prepayment")
    given = ~empty(flag)
    parsed_flag = parse_bools(flag)
    log.check("is_prepayment", flag).fail(given & parsed_flag.bad, parsed_flag.reasons)
    cols["is_prepayment"] = parsed_flag.values & given
    return cols


# --- applying ----------------------------------------------------------------------------------


def _apply(ctx: ImportContext, cols: dict[str, Any]) -> Outcome:
    candidates = np.flatnonzero(~ctx.log.bad)
    refs = cols["txn_ref"][candidates]
    known = repo.existing_txn_refs(ctx.conn, refs.tolist())
    existing = np.array([r in known for r in refs.tolist()], dtype=bool)
    rows = candidates[~existing]
    if rows.size == 0:
        return Outcome(unchanged=int(existing.sum()))

    loan_refs = cols["_loan"][rows]
    loan_ids = np.array([x.id for x in loan_refs], dtype=np.int64)
    unique_ids, row_loan = np.unique(loan_ids, return_inverse=True)
    order = np.lexsort((rows, cols["paid_on"][rows], row_loan))
    rows, row_loan = rows[order], row_loan[order]
    by_id = {x.id: x for x in loan_refs}
    outstanding = np.array([by_id[i].outstanding_principal_fen for i in unique_ids.tolist()])
    lines = _lines(ctx, unique_ids)

    split = _allocate(ctx, cols, rows, row_loan, outstanding, lines)
    keep = split.pop("_keep")
    rows, row_loan = rows[keep], row_loan[keep]
    split = {k: v[keep] for k, v in split.items()}
    if rows.size == 0:
        return Outcome(unchanged=int(existing.sum()))

    start = max_id(ctx.conn, repo.repayments_t) + 1
    ctx.report("write", 0, 3)
    bulk_insert(
        ctx.conn,
        repo.repayments_t,
        {
            "id": np.arange(start, start + rows.size, dtype=np.int64),
            "txn_ref": cols["txn_ref"][rows],
            "loan_id": unique_ids[row_loan],
            "paid_on": cols["paid_on"][rows],
            "amount_fen": cols["amount_fen"][rows],
            "principal_fen": split["principal"],
            "interest_fen": split["interest"],
            "fee_fen": split["fee"],
            "penalty_fen": split["penalty"],
            "channel": cols["channel"][rows],
            "is_prepayment": cols["is_prepayment"][rows],
            "reversal_of_id": np.full(rows.size, None, dtype=object),
            "reversed_at": np.full(rows.size, None, dtype=object),
        },
    )
    ctx.report("write", 1, 3)
    n_lines = _update_lines(ctx, lines, row_loan, cols["paid_on"][rows], split, len(unique_ids))
    ctx.report("write", 2, 3)
    n_loans = _update_loans(
        ctx, unique_ids, by_id, row_loan, split["principal"], cols["paid_on"][rows], outstanding
    )
    ctx.report("write", 3, 3)
    return Outcome(
        inserted=int(rows.size),
        unchanged=int(existing.sum()),
        written={"repayments": int(rows.size)},
        updated={"repayment_schedules": n_lines, "loans": n_loans},
    )


def _lines(ctx: ImportContext, loan_ids: npt.NDArray[np.int64]) -> dict[str, Any]:
    """The loans' current schedule lines (``loans.schedule_version``) as arrays, with what each still owes."""
    records = repo.schedule_lines(ctx.conn, loan_ids.tolist())
    index = {int(i): k for k, i in enumerate(loan_ids.tolist())}
    out: dict[str, Any] = {
        "id": np.array([r.id for r in records], dtype=np.int64),
        "loan": np.array([index[int(r.loan_id)] for r in records], dtype=np.int64),
        "settled": np.array([r.settled_on is not None for r in records], dtype=bool),
    }
    for category, total, paid in (
        ("fee", "fee_fen", "paid_fee_fen"),
        ("interest", "interest_fen", "paid_interest_fen"),
        ("principal", "principal_fen", "paid_principal_fen"),
    ):
        out[f"paid_{category}"] = np.array([getattr(r, paid) for r in records], dtype=np.int64)
        owed = np.array([getattr(r, total) for r in records], dtype=np.int64)
        out[f"due_{category}"] = np.maximum(owed - out[f"paid_{category}"], 0)
    return out


def _allocate(
    ctx: ImportContext,
    cols: dict[str, Any],
    rows: npt.NDArray[np.intp],
    row_loan: npt.NDArray[np.int64],
    outstanding: npt.NDArray[np.int64],
    lines: dict[str, Any],
) -> dict[str, Any]:
    """Per-row split; rejects rows (one per loan per round) until every loan's running totals fit."""
    n_loans = outstanding.size
    keep = np.ones(rows.size, dtype=bool)
    amount = cols["amount_fen"][rows]
    while True:
        active = np.flatnonzero(keep)
        if cols["_split"]:
            split = {part: cols[f"{part}_fen"][rows[active]] for part in SPLIT}
            too_much = np.zeros(active.size, dtype=bool)
        else:
            parts, owed = alloc.split_amounts(
                amount[active],
                row_loan[active],
                lines["loan"],
                {c: lines[f"due_{c}"] for c in alloc.CATEGORIES},
                n_loans,
            )
            split = {**parts, "penalty": np.zeros(active.size, dtype=np.int64)}
            too_much = alloc.group_cumsum(amount[active], row_loan[active]) > owed[row_loan[active]]
        running = alloc.group_cumsum(split["principal"], row_loan[active])
        over = running > outstanding[row_loan[active]]
        failing = alloc.first_per_group(over | too_much, row_loan[active])
        if failing.size == 0:
            out = {part: np.zeros(rows.size, dtype=np.int64) for part in SPLIT}
            for part in SPLIT:
                out[part][active] = split[part]
            return {**out, "_keep": keep}
        for position in failing.tolist():
            row = rows[active[position]]
            if too_much[position]:
                ctx.log.add(
                    "amount",
                    _one(ctx.n, row),
                    "is more than the loan still owes on its schedule",
                    ctx.text("amount"),
                )
            else:
                field = "principal" if cols["_split"] else "amount"
                ctx.log.add(
                    field,
                    _one(ctx.n, row),
                    "would repay more principal than the loan's outstanding principal",
                    ctx.text(field),
                )
        keep[active[failing]] = False


def _one(n: int, position: int) -> npt.NDArray[np.bool_]:
    mask = np.zeros(n, dtype=bool)
    mask[position] = True
    return mask


def _update_lines(
    ctx: ImportContext,
    lines: dict[str, Any],
    row_loan: npt.NDArray[np.int64],
    paid_on: npt.NDArray[np.datetime64],
    split: dict[str, npt.NDArray[np.int64]],
    n_loans: int,
) -> int:
    if lines["id"].size == 0:
        return 0
    added: dict[str, npt.NDArray[np.int64]] = {}
    completed_on = np.full(lines["id"].size, np.datetime64("NaT"), dtype="datetime64[D]")
    complete = np.ones(lines["id"].size, dtype=bool)
    for category in alloc.CATEGORIES:
        totals = np.bincount(row_loan, weights=split[category], minlength=n_loans)
        added[category] = alloc.fill_in_order(totals, lines[f"due_{category}"], lines["loan"])
        complete &= added[category] >= lines[f"due_{category}"]
        who = alloc.completion_rows(
            lines["loan"], lines[f"due_{category}"], row_loan, split[category], n_loans
        )
        when = np.where(who >= 0, paid_on[np.maximum(who, 0)], np.datetime64("NaT", "D"))
        completed_on = np.where(np.isnat(completed_on) | (when > completed_on), when, completed_on)
    touched = np.flatnonzero((added["fee"] + added["interest"] + added["principal"]) > 0)
    newly = complete & ~lines["settled"]
    updates = [
        {
            "b_id": int(lines["id"][i]),
            "b_principal": int(lines["paid_principal"][i] + added["principal"][i]),
            "b_interest": int(lines["paid_interest"][i] + added["interest"][i]),
            "b_fee": int(lines["paid_fee"][i] + added["fee"][i]),
            "b_settled": (
                completed_on[i].item() if newly[i] and not np.isnat(completed_on[i]) else None
            ),
        }
        for i in touched.tolist()
    ]
    repo.update_schedule_lines(ctx.conn, updates)
    return len(updates)


def _update_loans(
    ctx: ImportContext,
    loan_ids: npt.NDArray[np.int64],
    by_id: dict[int, Any],
    row_loan: npt.NDArray[np.int64],
    principal: npt.NDArray[np.int64],
    paid_on: npt.NDArray[np.datetime64],
    outstanding: npt.NDArray[np.int64],
) -> int:
    repaid = np.bincount(row_loan, weights=principal, minlength=loan_ids.size).astype(np.int64)
    last_paid = np.full(loan_ids.size, np.datetime64("NaT"), dtype="datetime64[D]")
    np.maximum.at(
        last_paid.view(np.int64), row_loan, paid_on.astype("datetime64[D]").view(np.int64)
    )
    remaining = outstanding - repaid
    updates = []
    for k in np.flatnonzero(repaid > 0).tolist():
        loan = by_id[int(loan_ids[k])]
        settles = remaining[k] == 0 and loan.status == LoanStatus.REPAYING.value
        updates.append(
            {
                "b_id": int(loan_ids[k]),
                "b_outstanding": int(remaining[k]),
                "b_status": LoanStatus.SETTLED if settles else LoanStatus(loan.status),
                "b_settled": last_paid[k].item() if settles else None,
            }
        )
    repo.update_loans(ctx.conn, updates)
    return len(updates)
