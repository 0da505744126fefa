"""Allocating repayments to schedule lines, vectorised over every loan at once. Pure numpy.

Arrays are "grouped": the rows of one loan are contiguous and loans appear in increasing index
order, both for repayments (sorted by loan, then date) and for schedule lines (by loan, then
period). Sequential work inside a loan (running totals, oldest-first allocation) becomes
cumulative sums restarted at each loan's first row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
CATEGORIES = ("fee", "interest", "principal")
"""The order a repayment without a split pays an instalment: fee, then interest, then principal."""


def group_cumsum(values: npt.ArrayLike, groups: npt.ArrayLike) -> IntArray:
    """Running totals of ``values`` restarted at the first row of each group."""
    v = np.asarray(values, dtype=np.int64)
    g = np.asarray(groups)
    if v.size == 0:
        return v.copy()
    total = np.cumsum(v)
    first = np.ones(v.size, dtype=bool)
    first[1:] = g[1:] != g[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(v.size), 0))
    out: IntArray = total - (total[start] - v[start])
    return out


def fill_in_order(totals: npt.ArrayLike, dues: npt.ArrayLike, groups: npt.ArrayLike) -> IntArray:
    """Spread each group's total over its dues oldest first: what each due receives."""
    d = np.asarray(dues, dtype=np.int64)
    g = np.asarray(groups, dtype=np.int64)
    before = group_cumsum(d, g) - d
    out: IntArray = np.clip(np.asarray(totals, dtype=np.int64)[g] - before, 0, d)
    return out


def split_amounts(
    amounts: npt.ArrayLike,
    row_loan: npt.ArrayLike,
    line_loan: npt.ArrayLike,
    line_dues: dict[str, npt.ArrayLike],
    n_loans: int,
) -> tuple[dict[str, IntArray], IntArray]:
    """Split repayments without a given split over the loan's unpaid instalments, oldest first,
    each instalment fee → interest → principal.

    Returns ``({category: amount per repayment}, owed)`` where ``owed[i]`` is what loan ``i``
    still owed on its schedule before these repayments; a repayment whose running total passes
    it gets only what was left (the caller rejects it).
    """
    amount = np.asarray(amounts, dtype=np.int64)
    loans = np.asarray(row_loan, dtype=np.int64)
    lines = np.asarray(line_loan, dtype=np.int64)
    n_lines = lines.size
    due = np.stack([np.asarray(line_dues[c], dtype=np.int64) for c in CATEGORIES], axis=1)
    bucket_due = due.reshape(-1)  # line-major: fee, interest, principal of each line
    bucket_cat = np.tile(np.arange(len(CATEGORIES)), n_lines)
    bucket_loan = np.repeat(lines, len(CATEGORIES))
    owed = np.bincount(bucket_loan, weights=bucket_due, minlength=n_loans).astype(np.int64)
    loan_start = np.cumsum(owed) - owed
    ends = np.cumsum(bucket_due)
    begins = ends - bucket_due
    prefix = {
        c: np.concatenate(([0], np.cumsum(np.where(bucket_cat == k, bucket_due, 0))))
        for k, c in enumerate(CATEGORIES)
    }
    paid_to = group_cumsum(amount, loans)
    top = np.minimum(paid_to, owed[loans]) + loan_start[loans]
    bottom = np.minimum(paid_to - amount, owed[loans]) + loan_start[loans]
    out: dict[str, IntArray] = {}
    for k, c in enumerate(CATEGORIES):
        out[c] = _covered(top, ends, begins, bucket_cat, prefix[c], k) - _covered(
            bottom, ends, begins, bucket_cat, prefix[c], k
        )
    return out, owed


def _covered(
    x: IntArray,
    ends: IntArray,
    begins: IntArray,
    cats: npt.NDArray[Any],
    prefix: IntArray,
    cat: int,
) -> IntArray:
    """How much of category ``cat`` lies below position ``x`` of the bucket line."""
    full = np.searchsorted(ends, x, side="right")
    out = prefix[full].copy()
    inside = full < ends.size
    idx = np.minimum(full, max(ends.size - 1, 0))
    if ends.size:
        partial = np.where(inside & (cats[idx] == cat), x - begins[idx], 0)
        out += np.maximum(partial, 0)
    result: IntArray = out.astype(np.int64)
    return result


def first_per_group(mask: npt.ArrayLike, groups: npt.ArrayLike) -> npt.NDArray[np.intp]:
    """Positions of the first ``True`` of each group."""
    m = np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(m)
    if rows.size == 0:
        return rows
    _, first = np.unique(np.asarray(groups)[rows], return_index=True)
    out: npt.NDArray[np.intp] = rows[first]
    return out


def completion_rows(
    line_loan: npt.ArrayLike,
    line_due: npt.ArrayLike,
    row_loan: npt.ArrayLike,
    row_paid: npt.ArrayLike,
    n_loans: int,
) -> npt.NDArray[np.intp]:
    """For each line, the repayment (position) whose running total of this category first
    covers the line's due in full; -1 when none does or the line owed nothing."""
    lines = np.asarray(line_loan, dtype=np.int64)
    due = np.asarray(line_due, dtype=np.int64)
    loans = np.asarray(row_loan, dtype=np.int64)
    paid = np.asarray(row_paid, dtype=np.int64)
    need = group_cumsum(due, lines)
    have = group_cumsum(paid, loans)
    span = (
        np.maximum(
            np.bincount(lines, weights=due, minlength=n_loans),
            np.bincount(loans, weights=paid, minlength=n_loans),
        ).astype(np.int64)
        + 1
    )
    offset = np.cumsum(span) - span
    j = np.searchsorted(have + offset[loans], need + offset[lines], side="left")
    found = (j < loans.size) & (due > 0)
    j_safe = np.minimum(j, max(loans.size - 1, 0))
    found &= loans.size > 0
    if loans.size:
        found &= loans[j_safe] == lines
    out: npt.NDArray[np.intp] = np.where(found, j_safe, -1)
    return out
